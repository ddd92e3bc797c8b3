/**
 * Interop with Mosquitto's command-line clients (Debian `mosquitto-clients`):
 * a small Deno TCP listener on port 0 plays the broker with this codec.
 *
 * - `mosquitto_pub` packets are captured as golden bytes and go through the
 *   four fixture checks (parse, generate, mirror, split-feed).
 * - `mosquitto_sub` must read the CONNACK, SUBACK and PUBLISH this codec
 *   encodes (properties included) and print the message.
 *
 * Skipped where the clients are missing, except in CI (`CI=true`), where a
 * missing client fails the test.
 */
import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";

function hasCommand(name: string): boolean {
  try {
    const out = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

const HAVE_CLIENTS = hasCommand("mosquitto_pub") && hasCommand("mosquitto_sub");
const IN_CI = Deno.env.get("CI") === "true";
const te = new TextEncoder();

interface Capture {
  /** Each packet the client sent, as received. */
  raw: Uint8Array[];
  packets: Packet[];
  version: MqttVersion;
  code: number;
  stdout: string;
  stderr: string;
}

/** Splits a byte stream into whole packets by their fixed headers. */
function splitPackets(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < stream.length) {
    let rl = 0;
    let mul = 1;
    let i = pos + 1;
    for (;;) {
      const byte = stream[i++] as number;
      rl += (byte & 0x7f) * mul;
      mul *= 128;
      if ((byte & 0x80) === 0) break;
    }
    out.push(stream.slice(pos, i + rl));
    pos = i + rl;
  }
  return out;
}

/**
 * Runs a Mosquitto client against a one-connection broker made of this
 * codec: CONNACK on CONNECT, the QoS 1/2 acknowledgements, and on SUBSCRIBE
 * a SUBACK followed by one QoS 1 PUBLISH to "a/b".
 */
async function runClient(command: string, args: string[]): Promise<Capture> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const child = new Deno.Command(command, {
    args: ["-h", "127.0.0.1", "-p", String(port), ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(15_000),
  }).spawn();
  const output = child.output();
  const chunks: Uint8Array[] = [];
  const packets: Packet[] = [];
  let version: MqttVersion = 4;
  try {
    const conn = await Promise.race([
      listener.accept(),
      output.then(() => undefined),
    ]);
    if (conn !== undefined) {
      conn.setNoDelay(true);
      const decoder = new MqttStreamDecoder({ maximumPacketSize: 1 << 20 });
      const buf = new Uint8Array(65536);
      let done = false;
      while (!done) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
        decoder.push(buf.subarray(0, n));
        for (const p of decoder) {
          packets.push(p);
          for (const reply of answer(p, version)) await conn.write(reply);
          if (p.type === "connect") version = p.protocolVersion;
          if (p.type === "disconnect") done = true;
        }
      }
      conn.close();
    }
  } finally {
    listener.close();
  }
  const out = await output;
  const stream = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    stream.set(c, off);
    off += c.length;
  }
  return {
    raw: splitPackets(stream),
    packets,
    version,
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function answer(p: Packet, current: MqttVersion): Uint8Array[] {
  switch (p.type) {
    case "connect":
      return [encodePacket(
        { type: "connack", sessionPresent: false, reasonCode: 0 },
        p.protocolVersion,
      )];
    case "publish":
      if (p.qos === 1) {
        return [encodePacket(
          { type: "puback", packetId: p.packetId as number },
          current,
        )];
      }
      if (p.qos === 2) {
        return [encodePacket(
          { type: "pubrec", packetId: p.packetId as number },
          current,
        )];
      }
      return [];
    case "pubrel":
      return [encodePacket({ type: "pubcomp", packetId: p.packetId }, current)];
    case "subscribe":
      return [
        encodePacket({
          type: "suback",
          packetId: p.packetId,
          reasonCodes: p.subscriptions.map((s) => s.qos),
        }, current),
        encodePacket({
          type: "publish",
          topic: "a/b",
          payload: te.encode("hello"),
          qos: 1,
          packetId: 7,
          retain: false,
          dup: false,
          ...(current === 5
            ? {
              properties: {
                contentType: "text/plain",
                userProperties: [["k", "v"]] as [string, string][],
              },
            }
            : {}),
        }, current),
      ];
    default:
      return [];
  }
}

/** The four fixture checks on captured bytes. */
function checkCaptured(raw: Uint8Array, version: MqttVersion): Packet {
  const packet = decodePacket(raw, version);
  const again = encodePacket(packet, version);
  // Mosquitto orders properties its own way; the size and the meaning must
  // match, and the bytes too when there is nothing to reorder.
  assert.equal(again.length, raw.length);
  assert.deepEqual(decodePacket(again, version), packet);
  if (!("properties" in packet) || packet.properties === undefined) {
    assert.deepEqual(again, raw);
  }
  for (let cut = 0; cut <= raw.length; cut++) {
    const d = new MqttStreamDecoder({ version });
    d.push(raw.subarray(0, cut));
    const got = [...d];
    d.push(raw.subarray(cut));
    got.push(...d);
    assert.deepEqual(got, [packet]);
  }
  return packet;
}

function interopTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !HAVE_CLIENTS && !IN_CI,
    async fn() {
      if (!HAVE_CLIENTS) {
        assert.fail(
          "mosquitto_pub/mosquitto_sub are not installed: CI must install mosquitto-clients",
        );
      }
      await fn();
    },
  });
}

interopTest(
  "decodePacket() reads mosquitto_pub 5.0 QoS 2 with properties",
  async () => {
    const cap = await runClient("mosquitto_pub", [
      "-V",
      "mqttv5",
      "-q",
      "2",
      "-r",
      "-i",
      "pub5",
      "-t",
      "a/b",
      "-m",
      "hello",
      "-D",
      "connect",
      "session-expiry-interval",
      "60",
      "-D",
      "connect",
      "user-property",
      "a",
      "b",
      "-D",
      "publish",
      "content-type",
      "text",
      "-D",
      "publish",
      "user-property",
      "k",
      "v",
      "-D",
      "publish",
      "message-expiry-interval",
      "30",
    ]);
    assert.equal(cap.code, 0, cap.stderr);
    assert.deepEqual(cap.packets.map((p) => p.type), [
      "connect",
      "publish",
      "pubrel",
      "disconnect",
    ]);
    const [connect, publish] = cap.raw.map((r) => checkCaptured(r, 5));
    assert.ok(connect?.type === "connect");
    assert.equal(connect.protocolVersion, 5);
    assert.equal(connect.clientId, "pub5");
    assert.equal(connect.properties?.sessionExpiryInterval, 60);
    assert.deepEqual(connect.properties?.userProperties, [["a", "b"]]);
    assert.ok(publish?.type === "publish");
    assert.equal(publish.topic, "a/b");
    assert.deepEqual(publish.payload, te.encode("hello"));
    assert.equal(publish.qos, 2);
    assert.equal(publish.retain, true);
    assert.deepEqual(publish.properties, {
      contentType: "text",
      userProperties: [["k", "v"]],
      messageExpiryInterval: 30,
    });
  },
);

interopTest(
  "decodePacket() reads mosquitto_pub 3.1.1 with will and credentials",
  async () => {
    const cap = await runClient("mosquitto_pub", [
      "-V",
      "mqttv311",
      "-q",
      "1",
      "-i",
      "pub4",
      "-u",
      "user",
      "-P",
      "secret",
      "--will-topic",
      "w/t",
      "--will-payload",
      "gone",
      "--will-qos",
      "1",
      "--will-retain",
      "-t",
      "a/b",
      "-m",
      "hello",
    ]);
    assert.equal(cap.code, 0, cap.stderr);
    assert.deepEqual(cap.packets.map((p) => p.type), [
      "connect",
      "publish",
      "disconnect",
    ]);
    const [connect, publish] = cap.raw.map((r) => checkCaptured(r, 4));
    assert.deepEqual(connect, {
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 60,
      clientId: "pub4",
      username: "user",
      password: te.encode("secret"),
      will: { topic: "w/t", payload: te.encode("gone"), qos: 1, retain: true },
    });
    assert.ok(publish?.type === "publish");
    assert.equal(publish.qos, 1);
  },
);

interopTest("decodePacket() reads mosquitto_pub 3.1 (MQIsdp)", async () => {
  const cap = await runClient("mosquitto_pub", [
    "-V",
    "mqttv31",
    "-i",
    "pub3",
    "-t",
    "a/b",
    "-m",
    "hello",
  ]);
  assert.equal(cap.code, 0, cap.stderr);
  const [connect] = cap.raw.map((r) => checkCaptured(r, 3));
  assert.ok(connect?.type === "connect");
  assert.equal(connect.protocolVersion, 3);
});

interopTest("encodePacket() output is read by mosquitto_sub 5.0", async () => {
  const cap = await runClient("mosquitto_sub", [
    "-V",
    "mqttv5",
    "-q",
    "1",
    "-i",
    "sub5",
    "-t",
    "a/#",
    "-C",
    "1",
    "-W",
    "10",
    "-F",
    "%t|%p|%q|%P|%C",
  ]);
  assert.equal(cap.code, 0, cap.stderr);
  assert.equal(cap.stdout.trim(), "a/b|hello|1|k:v|text/plain");
  const packets = cap.raw.map((r) => checkCaptured(r, 5));
  assert.deepEqual(packets.map((p) => p.type), [
    "connect",
    "subscribe",
    "puback",
    "disconnect",
  ]);
});

interopTest(
  "encodePacket() output is read by mosquitto_sub 3.1.1",
  async () => {
    const cap = await runClient("mosquitto_sub", [
      "-V",
      "mqttv311",
      "-q",
      "2",
      "-i",
      "sub4",
      "-t",
      "a/+",
      "-C",
      "1",
      "-W",
      "10",
      "-F",
      "%t|%p|%q",
    ]);
    assert.equal(cap.code, 0, cap.stderr);
    assert.equal(cap.stdout.trim(), "a/b|hello|1");
    for (const r of cap.raw) checkCaptured(r, 4);
  },
);
