/**
 * The credential store behind the real listeners (`startServer`, loopback
 * port 0, a temporary data directory): an access token as the MQTT user
 * name (`mosquitto_pub -u TOKEN`, as ThingsBoard devices connect), user
 * name and password, anonymous clients refused with
 * `mqtt.allow_anonymous = false`, ACL refusals with the right codes, and
 * revocation from another process (`postern psk|token|user rm`) ending the
 * MQTT connections and DTLS associations within a second.
 *
 * A missing peer (mosquitto clients) skips locally and fails with
 * `CI=true`.
 */
import assert from "node:assert/strict";
import { KvStore } from "../../src/auth/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { type Server, startServer } from "../../src/server.ts";
import { connectDtls } from "../../src/net/udp.ts";
import { devCerts, findPeer, run } from "../net/_support.ts";

const PUB = findPeer("mosquitto_pub");
const te = new TextEncoder();
const CLI = new URL("../../cli/main.ts", import.meta.url).pathname;
const PSK = new Uint8Array(16).fill(0x42);
/** Revocation must reach a live session within a second; slack for CI timers. */
const REVOKE_BOUND_MS = 1500;

interface Harness {
  server: Server;
  dataDir: string;
  tokens: Record<string, string>;
  mqttPort: number;
  dtlsPort: number | undefined;
  close(): Promise<void>;
}

async function start(
  options: { allowAnonymous: boolean; dtls?: boolean },
): Promise<Harness> {
  const dataDir = await Deno.makeTempDir({ prefix: "postern-cred-" });
  const seed = await KvStore.openDataDir(dataDir, {
    watch: false,
    passwordIterations: 1000,
  });
  const tokens: Record<string, string> = {};
  try {
    tokens.device1 = (await seed.addToken("device-1")).token;
    tokens.device2 = (await seed.addToken("device-2")).token;
    await seed.addUser("alice", "s3cret!");
    await seed.addUser("bob", "hunter2");
    await seed.addPsk("device-1", PSK);
    await seed.setAcl("device-2", [
      { permission: "allow", action: "publish", topic: "v1/devices/%u/#" },
      { permission: "allow", action: "subscribe", topic: "v1/commands/%c" },
    ]);
  } finally {
    await seed.close();
  }
  const listeners: Record<string, unknown> = {
    tcp: { default: { bind: "127.0.0.1:0" } },
    coap: { default: { enable: false } },
  };
  if (options.dtls === true) {
    const certs = await devCerts();
    listeners.dtls = {
      default: {
        bind: "127.0.0.1:0",
        dtls_options: {
          certfile: `${certs}/server.pem`,
          keyfile: `${certs}/server_key.pem`,
        },
      },
    };
  }
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      listeners,
      mqtt: { allow_anonymous: options.allowAnonymous },
      data_dir: dataDir,
    }),
  });
  assert.deepEqual(errors, []);
  const server = await startServer(config, {
    logger: new Logger({ sink: () => {} }),
  });
  const port = (family: string) =>
    server.listeners.find((l) => l.family === family)?.address.port;
  const mqttPort = port("tcp");
  assert.ok(mqttPort !== undefined);
  return {
    server,
    dataDir,
    tokens,
    mqttPort,
    dtlsPort: port("dtls"),
    async close() {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A raw MQTT client over TCP that reports every packet and the close. */
class RawClient {
  readonly #conn: Deno.TcpConn;
  readonly #decoder: MqttStreamDecoder;
  readonly #packets: Packet[] = [];
  #waiters: (() => void)[] = [];
  #closedAt: number | undefined;
  readonly version: MqttVersion;

  private constructor(conn: Deno.TcpConn, version: MqttVersion) {
    this.#conn = conn;
    this.version = version;
    this.#decoder = new MqttStreamDecoder({ version });
    void this.#read();
  }

  static async connect(port: number, version: MqttVersion): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new RawClient(conn, version);
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#decoder.push(buf.subarray(0, n));
        for (let p = this.#decoder.next(); p; p = this.#decoder.next()) {
          this.#packets.push(p);
        }
        this.#wake();
      }
    } catch {
      // reset
    }
    this.#closedAt = Date.now();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  get closedAt(): number | undefined {
    return this.#closedAt;
  }

  send(packet: Packet): Promise<number> {
    return this.#conn.write(encodePacket(packet, this.version));
  }

  /** The next packet of `type`, or undefined once the connection closed. */
  async next<T extends Packet["type"]>(
    type: T,
    timeoutMs = 5000,
  ): Promise<Extract<Packet, { type: T }> | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#packets.findIndex((p) => p.type === type);
      if (i >= 0) {
        return this.#packets.splice(i, 1)[0] as Extract<Packet, { type: T }>;
      }
      if (this.#closedAt !== undefined) return undefined;
      const left = end - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the time the server closed the connection. */
  async closed(timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.#closedAt === undefined) {
      const left = end - Date.now();
      if (left <= 0) assert.fail("the server did not close the connection");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#closedAt;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

async function connectRaw(
  h: Harness,
  options: {
    version: MqttVersion;
    clientId: string;
    username?: string;
    password?: string;
  },
): Promise<{ client: RawClient; code: number }> {
  const client = await RawClient.connect(h.mqttPort, options.version);
  await client.send({
    type: "connect",
    protocolVersion: options.version,
    clean: true,
    keepAlive: 60,
    clientId: options.clientId,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined
      ? {}
      : { password: te.encode(options.password) }),
  });
  const connack = await client.next("connack");
  assert.ok(connack, "closed before CONNACK");
  return { client, code: connack.reasonCode };
}

async function cli(dataDir: string, args: string[]): Promise<void> {
  const out = await run(Deno.execPath(), [
    "run",
    "-A",
    CLI,
    ...args,
    "--data-dir",
    dataDir,
  ], 30_000);
  assert.equal(out.code, 0, `postern ${args.join(" ")}: ${out.stderr}`);
}

Deno.test({
  name: "mosquitto_pub connects with an access token as the user name",
  ignore: PUB === undefined,
  async fn() {
    const h = await start({ allowAnonymous: false });
    try {
      for (const version of ["mqttv311", "mqttv5"]) {
        const base = ["-h", "127.0.0.1", "-p", String(h.mqttPort)];
        const msg = [
          "-V",
          version,
          "-t",
          "v1/devices/me/telemetry",
          "-m",
          "{}",
        ];
        const good = await run(PUB!, [
          ...base,
          "-u",
          h.tokens.device1!,
          ...msg,
        ]);
        assert.equal(good.code, 0, good.stderr);
        const bad = await run(PUB!, [...base, "-u", "wrong-token", ...msg]);
        assert.notEqual(bad.code, 0);
        const anonymous = await run(PUB!, [...base, ...msg]);
        assert.notEqual(anonymous.code, 0);
      }
    } finally {
      await h.close();
    }
  },
});

for (const version of [4, 5] as const) {
  Deno.test(`MQTT ${version}: token, password, wrong password and anonymous get the right CONNACK`, async () => {
    const h = await start({ allowAnonymous: false });
    const clients: RawClient[] = [];
    try {
      const cases: [
        { username?: string; password?: string },
        number,
      ][] = [
        [{ username: h.tokens.device1! }, 0],
        [{ username: "alice", password: "s3cret!" }, 0],
        [{ username: "alice", password: "wrong" }, version === 5 ? 0x86 : 0x04],
        [{ username: "nobody-token" }, version === 5 ? 0x86 : 0x04],
        [{}, version === 5 ? 0x87 : 0x05],
      ];
      let n = 0;
      for (const [creds, expected] of cases) {
        const { client, code } = await connectRaw(h, {
          version,
          clientId: `c${n++}`,
          ...creds,
        });
        clients.push(client);
        assert.equal(code, expected, JSON.stringify(creds));
      }
    } finally {
      for (const c of clients) c.close();
      await h.close();
    }
  });

  Deno.test(`MQTT ${version}: anonymous clients connect when allowed`, async () => {
    const h = await start({ allowAnonymous: true });
    try {
      const { client, code } = await connectRaw(h, { version, clientId: "a" });
      assert.equal(code, 0);
      client.close();
    } finally {
      await h.close();
    }
  });

  Deno.test(
    `MQTT ${version}: ACL refusals (SUBACK ${
      version === 5 ? "0x87, PUBACK 0x87" : "0x80"
    })`,
    async () => {
      const h = await start({ allowAnonymous: false });
      const { client, code } = await connectRaw(h, {
        version,
        clientId: "dev2-client",
        username: h.tokens.device2!,
      });
      try {
        assert.equal(code, 0);
        await client.send({
          type: "subscribe",
          packetId: 1,
          subscriptions: [
            { topicFilter: "v1/commands/dev2-client", qos: 1 },
            { topicFilter: "v1/commands/other", qos: 1 },
            { topicFilter: "#", qos: 0 },
          ],
        });
        const suback = await client.next("suback");
        const refused = version === 5 ? 0x87 : 0x80;
        assert.deepEqual(suback?.reasonCodes, [1, refused, refused]);
        await client.send({
          type: "publish",
          topic: "v1/devices/device-1/telemetry",
          payload: te.encode("{}"),
          qos: 1,
          packetId: 2,
          retain: false,
          dup: false,
        });
        const puback = await client.next("puback");
        assert.equal(puback?.packetId, 2);
        assert.equal(puback?.reasonCode ?? 0, version === 5 ? 0x87 : 0);
        await client.send({
          type: "publish",
          topic: "v1/devices/device-2/telemetry",
          payload: te.encode("{}"),
          qos: 1,
          packetId: 3,
          retain: false,
          dup: false,
        });
        const allowed = await client.next("puback");
        assert.equal(allowed?.packetId, 3);
        assert.ok((allowed?.reasonCode ?? 0) < 0x80);
      } finally {
        client.close();
        await h.close();
      }
    },
  );
}

Deno.test("revocation from another process closes MQTT connections within a second", async () => {
  const h = await start({ allowAnonymous: false });
  const v5 = await connectRaw(h, {
    version: 5,
    clientId: "tok5",
    username: h.tokens.device1!,
  });
  const v4 = await connectRaw(h, {
    version: 4,
    clientId: "user4",
    username: "alice",
    password: "s3cret!",
  });
  const bystander = await connectRaw(h, {
    version: 5,
    clientId: "bob",
    username: "bob",
    password: "hunter2",
  });
  try {
    assert.deepEqual([v5.code, v4.code, bystander.code], [0, 0, 0]);

    await cli(h.dataDir, ["token", "rm", h.tokens.device1!]);
    const t5 = Date.now();
    const disconnect = await v5.client.next("disconnect", REVOKE_BOUND_MS);
    assert.equal(disconnect?.reasonCode, 0x98);
    assert.ok(
      (await v5.client.closed(REVOKE_BOUND_MS)) - t5 <= REVOKE_BOUND_MS,
    );

    await cli(h.dataDir, ["user", "rm", "alice"]);
    const t4 = Date.now();
    assert.ok(
      (await v4.client.closed(REVOKE_BOUND_MS)) - t4 <= REVOKE_BOUND_MS,
    );

    assert.equal(bystander.client.closedAt, undefined);
    const again = await connectRaw(h, {
      version: 5,
      clientId: "tok5b",
      username: h.tokens.device1!,
    });
    again.client.close();
    assert.equal(again.code, 0x86);
  } finally {
    v5.client.close();
    v4.client.close();
    bystander.client.close();
    await h.close();
  }
});

Deno.test("revocation from another process closes a DTLS association within a second", async () => {
  const h = await start({ allowAnonymous: false, dtls: true });
  try {
    assert.ok(h.dtlsPort !== undefined);
    const client = await connectDtls({
      hostname: "127.0.0.1",
      port: h.dtlsPort,
      client: { psk: { identity: "device-1", key: PSK } },
      handshakeTimeoutMs: 5000,
    });
    try {
      const read = client.read();
      await cli(h.dataDir, ["psk", "rm", "device-1"]);
      const t = Date.now();
      const result = await Promise.race([
        read,
        new Promise<"timeout">((r) =>
          setTimeout(() => r("timeout"), REVOKE_BOUND_MS)
        ),
      ]);
      assert.equal(result, null, "the association was not closed in time");
      assert.ok(Date.now() - t <= REVOKE_BOUND_MS);
    } finally {
      await client.close();
    }
  } finally {
    await h.close();
  }
});
