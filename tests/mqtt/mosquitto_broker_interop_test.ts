/**
 * Interop with the Mosquitto broker (Debian `mosquitto`): a client made of
 * this codec runs 5.0 and 3.1.1 sessions against a real broker on a free
 * loopback port. Mosquitto must accept every packet this codec encodes
 * (properties, subscription options, topic aliases, QoS 2 flows), and this
 * codec must decode every packet Mosquitto sends back.
 *
 * Skipped where `mosquitto` is missing, except in CI (`CI=true`).
 */
import assert from "node:assert/strict";
import {
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
  type PublishPacket,
} from "../../src/mqtt/mod.ts";

function findMosquitto(): string | undefined {
  for (const path of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

const MOSQUITTO = findMosquitto();
const IN_CI = Deno.env.get("CI") === "true";
const te = new TextEncoder();

class Client {
  readonly #conn: Deno.TcpConn;
  readonly #decoder: MqttStreamDecoder;
  readonly #version: MqttVersion;
  readonly #buf = new Uint8Array(65536);
  readonly #queue: Packet[] = [];

  constructor(conn: Deno.TcpConn, version: MqttVersion) {
    this.#conn = conn;
    this.#version = version;
    this.#decoder = new MqttStreamDecoder({ version, expectConnect: false });
  }

  async send(packet: Packet): Promise<void> {
    await this.#conn.write(encodePacket(packet, this.#version));
  }

  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.#conn.write(bytes);
  }

  /** Next packet from the broker (5 s at most). */
  async receive(): Promise<Packet> {
    const deadline = Date.now() + 5000;
    while (this.#queue.length === 0) {
      this.#queue.push(...this.#decoder);
      if (this.#queue.length > 0) break;
      if (Date.now() > deadline) {
        throw new Error("Timed out waiting for a packet");
      }
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error("Broker closed the connection");
      this.#decoder.push(this.#buf.subarray(0, n));
    }
    return this.#queue.shift() as Packet;
  }

  /** Raw bytes until the broker closes (for answers this codec refuses). */
  async readAll(): Promise<Uint8Array> {
    const parts: number[] = [];
    for (;;) {
      const n = await this.#conn.read(this.#buf);
      if (n === null) return new Uint8Array(parts);
      parts.push(...this.#buf.subarray(0, n));
    }
  }

  close(): void {
    this.#conn.close();
  }
}

async function withBroker(fn: (port: number) => Promise<void>): Promise<void> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const dir = await Deno.makeTempDir({ prefix: "postern-mosquitto-" });
  const conf = `${dir}/mosquitto.conf`;
  await Deno.writeTextFile(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
  );
  const broker = new Deno.Command(MOSQUITTO as string, {
    args: ["-c", conf],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0;; i++) {
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        c.close();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await fn(port);
  } finally {
    broker.kill("SIGTERM");
    await broker.status;
    await Deno.remove(dir, { recursive: true });
  }
}

async function connectClient(
  port: number,
  version: MqttVersion,
): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return new Client(conn, version);
}

function brokerTest(name: string, fn: (port: number) => Promise<void>): void {
  Deno.test({
    name,
    ignore: MOSQUITTO === undefined && !IN_CI,
    async fn() {
      if (MOSQUITTO === undefined) {
        assert.fail(
          "mosquitto is not installed: CI must install the mosquitto package",
        );
      }
      await withBroker(fn);
    },
  });
}

brokerTest(
  "MQTT 5.0 session against Mosquitto: properties, options, aliases, QoS 2",
  async (port) => {
    const c = await connectClient(port, 5);
    try {
      await c.send({
        type: "connect",
        protocolVersion: 5,
        clean: true,
        keepAlive: 30,
        clientId: "postern-codec-5",
        username: "u",
        password: te.encode("p"),
        will: {
          topic: "will/t",
          payload: te.encode("bye"),
          qos: 1,
          retain: false,
          properties: { willDelayInterval: 0, contentType: "text/plain" },
        },
        properties: {
          sessionExpiryInterval: 0,
          receiveMaximum: 10,
          topicAliasMaximum: 5,
          maximumPacketSize: 1 << 20,
          requestProblemInformation: true,
          userProperties: [["a", "b"]],
        },
      });
      const connack = await c.receive();
      assert.ok(connack.type === "connack", connack.type);
      assert.equal(connack.reasonCode, 0);

      await c.send({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{
          topicFilter: "t/#",
          qos: 2,
          noLocal: false,
          retainAsPublished: true,
          retainHandling: 0,
        }],
        properties: { subscriptionIdentifiers: [42] },
      });
      assert.deepEqual(await c.receive(), {
        type: "suback",
        packetId: 1,
        reasonCodes: [2],
      });

      const sent: PublishPacket = {
        type: "publish",
        topic: "t/x",
        payload: te.encode("hi"),
        qos: 2,
        packetId: 2,
        retain: false,
        dup: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 100,
          contentType: "text/plain",
          responseTopic: "r/t",
          correlationData: new Uint8Array([1, 2, 3]),
          userProperties: [["k", "v"], ["k", "w"]],
        },
      };
      await c.send(sent);
      let delivered: PublishPacket | undefined;
      let completed = false;
      let released = false;
      while (delivered === undefined || !completed || !released) {
        const p = await c.receive();
        switch (p.type) {
          case "pubrec":
            assert.equal(p.packetId, 2);
            await c.send({ type: "pubrel", packetId: 2 });
            break;
          case "pubcomp":
            assert.equal(p.packetId, 2);
            completed = true;
            break;
          case "publish":
            delivered = p;
            await c.send({ type: "pubrec", packetId: p.packetId as number });
            break;
          case "pubrel":
            await c.send({ type: "pubcomp", packetId: p.packetId });
            released = true;
            break;
          default:
            assert.fail(`unexpected ${p.type}`);
        }
      }
      assert.equal(delivered.topic, "t/x");
      assert.deepEqual(delivered.payload, te.encode("hi"));
      assert.equal(delivered.qos, 2);
      const props = delivered.properties;
      assert.deepEqual(props?.subscriptionIdentifiers, [42]);
      assert.equal(props?.contentType, "text/plain");
      assert.equal(props?.responseTopic, "r/t");
      assert.equal(props?.payloadFormatIndicator, true);
      assert.deepEqual(props?.correlationData, new Uint8Array([1, 2, 3]));
      assert.deepEqual(props?.userProperties, [["k", "v"], ["k", "w"]]);
      assert.ok((props?.messageExpiryInterval ?? 0) <= 100);

      // a topic alias set, then used with an empty topic (§3.3.2.3.4)
      const base = { qos: 0, retain: false, dup: false } as const;
      await c.send({
        type: "publish",
        topic: "t/y",
        payload: te.encode("1"),
        ...base,
        properties: { topicAlias: 1 },
      });
      await c.send({
        type: "publish",
        topic: "",
        payload: te.encode("2"),
        ...base,
        properties: { topicAlias: 1 },
      });
      for (const payload of ["1", "2"]) {
        const p = await c.receive();
        assert.ok(p.type === "publish");
        assert.equal(p.topic, "t/y");
        assert.deepEqual(p.payload, te.encode(payload));
      }

      await c.send({
        type: "unsubscribe",
        packetId: 3,
        topicFilters: ["t/#", "nope"],
      });
      assert.deepEqual(await c.receive(), {
        type: "unsuback",
        packetId: 3,
        reasonCodes: [0x00, 0x11],
      });
      await c.send({ type: "pingreq" });
      assert.deepEqual(await c.receive(), { type: "pingresp" });
      await c.send({ type: "disconnect", reasonCode: 0 });
    } finally {
      c.close();
    }
  },
);

brokerTest(
  "MQTT 3.1.1 session against Mosquitto: will, QoS 1, unsubscribe",
  async (port) => {
    const c = await connectClient(port, 4);
    try {
      await c.send({
        type: "connect",
        protocolVersion: 4,
        clean: true,
        keepAlive: 30,
        clientId: "postern-codec-4",
        username: "u",
        password: te.encode("p"),
        will: {
          topic: "will/t",
          payload: te.encode("bye"),
          qos: 2,
          retain: true,
        },
      });
      assert.deepEqual(await c.receive(), {
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
      });
      await c.send({
        type: "subscribe",
        packetId: 10,
        subscriptions: [{ topicFilter: "s/+", qos: 1 }, {
          topicFilter: "$SYS/x/#",
          qos: 0,
        }],
      });
      assert.deepEqual(await c.receive(), {
        type: "suback",
        packetId: 10,
        reasonCodes: [1, 0],
      });
      await c.send({
        type: "publish",
        topic: "s/1",
        payload: new Uint8Array(3000).fill(7),
        qos: 1,
        packetId: 11,
        retain: false,
        dup: false,
      });
      const got = [await c.receive(), await c.receive()];
      const ack = got.find((p) => p.type === "puback");
      const pub = got.find((p) => p.type === "publish");
      assert.deepEqual(ack, { type: "puback", packetId: 11 });
      assert.ok(pub?.type === "publish");
      assert.equal(pub.topic, "s/1");
      assert.deepEqual(pub.payload, new Uint8Array(3000).fill(7));
      await c.send({ type: "puback", packetId: pub.packetId as number });
      await c.send({
        type: "unsubscribe",
        packetId: 12,
        topicFilters: ["s/+"],
      });
      assert.deepEqual(await c.receive(), { type: "unsuback", packetId: 12 });
      await c.send({ type: "disconnect" });
    } finally {
      c.close();
    }
  },
);

brokerTest(
  "connackFor() answers an unknown level as Mosquitto does",
  async (port) => {
    const c = await connectClient(port, 4);
    try {
      // CONNECT "MQTT" level 6
      await c.sendRaw(
        new Uint8Array([
          0x10,
          0x0d,
          0x00,
          0x04,
          0x4d,
          0x51,
          0x54,
          0x54,
          0x06,
          0x02,
          0x00,
          0x3c,
          0x00,
          0x01,
          0x61,
        ]),
      );
      assert.deepEqual(
        await c.readAll(),
        new Uint8Array([0x20, 0x02, 0x00, 0x01]),
      );
    } finally {
      c.close();
    }
  },
);
