import assert from "node:assert/strict";
import { encodePacket } from "../../src/mqtt/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { findPeer, run, startTestServer, waitFor } from "./_support.ts";

Deno.test("tcp listener: the server's sweeper closes a client silent for 1.5 × keep alive and logs the kind", async () => {
  const ts = await startTestServer(["tcp"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: ts.port("tcp"),
  });
  try {
    await conn.write(
      encodePacket({
        type: "connect",
        protocolVersion: 5,
        clean: true,
        keepAlive: 1,
        clientId: "silent",
      }, 5),
    );
    const buf = new Uint8Array(256);
    const got: number[] = [];
    const started = Date.now();
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      got.push(...buf.subarray(0, n));
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1400, `closed after ${elapsed} ms`);
    assert.equal(got[0], 0x20); // CONNACK
    const tail = got.slice(-3);
    assert.deepEqual(tail, [0xe0, 0x01, 0x8d]); // DISCONNECT Keep alive timeout
    await waitFor(() =>
      ts.lines.some((l) =>
        l.includes('"sweep.done"') && l.includes('"mqtt/keep_alive"') &&
        l.includes('"removed":1')
      )
    );
  } finally {
    conn.close();
    await ts.close();
  }
});

Deno.test("mqtt.session_expiry_interval ends a 3.1.1 persistent session through the server's sweeper", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "postern-sweep-" });
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      listeners: {
        tcp: { default: { bind: "127.0.0.1:0" } },
        coap: { default: { enable: false } },
      },
      mqtt: { session_expiry_interval: "1s" },
      data_dir: dataDir,
    }),
  });
  assert.deepEqual(errors, []);
  const lines: string[] = [];
  const server = await startServer(config, {
    logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
  });
  const port = server.listeners[0]!.address.port;
  const connack = async (): Promise<number[]> => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encodePacket({
        type: "connect",
        protocolVersion: 4,
        clean: false,
        keepAlive: 0,
        clientId: "persistent",
      }, 4),
    );
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    conn.close();
    return [...buf.subarray(0, n ?? 0)];
  };
  try {
    assert.deepEqual(await connack(), [0x20, 2, 0, 0]);
    assert.deepEqual(await connack(), [0x20, 2, 1, 0]); // session present
    await waitFor(
      () =>
        lines.some((l) =>
          l.includes('"mqtt/session_expiry"') && l.includes('"removed":1')
        ),
      5000,
      "the session expiry sweep",
    );
    assert.deepEqual(await connack(), [0x20, 2, 0, 0]);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

const SUB = findPeer("mosquitto_sub");

Deno.test({
  name:
    "mosquitto_sub -t '$SYS/#' sees the sweeper's keep-alive count of a started server",
  ignore: SUB === undefined,
  async fn() {
    const ts = await startTestServer(["tcp"]);
    const port = ts.port("tcp");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        encodePacket({
          type: "connect",
          protocolVersion: 5,
          clean: true,
          keepAlive: 1,
          clientId: "silent",
        }, 5),
      );
      const buf = new Uint8Array(256);
      while (await conn.read(buf) !== null) {
        // until the sweeper closes it
      }
      // $SYS is published (retained) every 10 s: ask again until it carries the sweep
      let values = new Map<string, string>();
      for (let i = 0; i < 15; i++) {
        const r = await run(SUB!, [
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          "-v",
          "-t",
          "$SYS/#",
          "-W",
          "1",
        ], 5000);
        values = new Map(
          r.stdout.split("\n").filter((l) => l.startsWith("$SYS/")).map((
            l,
          ) => [
            l.slice(0, l.lastIndexOf(" ")),
            l.slice(l.lastIndexOf(" ") + 1),
          ]),
        );
        if (values.get("$SYS/broker/sessions/mqtt/keep_alive/swept") === "1") {
          break;
        }
      }
      assert.equal(
        values.get("$SYS/broker/sessions/mqtt/keep_alive/swept"),
        "1",
      );
      // the mosquitto_sub of an earlier round may still be counted
      assert.match(
        values.get("$SYS/broker/sessions/mqtt/keep_alive/count") ?? "",
        /^[01]$/,
      );
      assert.equal(
        values.get("$SYS/broker/sessions/mqtt/session_expiry/swept"),
        "0",
      );
      assert.ok(values.has("$SYS/broker/clients/connected"));
    } finally {
      conn.close();
      await ts.close();
    }
  },
});
