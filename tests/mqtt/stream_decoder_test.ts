import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import {
  encodePacket,
  MqttError,
  MqttStreamDecoder,
  type Packet,
  UnsupportedProtocolVersionError,
} from "../../src/mqtt/mod.ts";

const CONNECT4 = decodeHex("10 0d 0004 4d515454 04 02 003c 0001 61");
const CONNECT5 = decodeHex("10 0e 0004 4d515454 05 02 003c 00 0001 61");

function isError(kind: string, code: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof MqttError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.reasonCode, code, e.message);
    return true;
  };
}

Deno.test("MqttStreamDecoder rejects a packet before CONNECT", () => {
  // [MQTT-3.1.0-1], checked on the first byte
  const d = new MqttStreamDecoder();
  d.push(new Uint8Array([0x30]));
  assert.throws(() => d.next(), isError("protocol", 0x82));
});

Deno.test("MqttStreamDecoder rejects a second CONNECT", () => {
  // [MQTT-3.1.0-2]
  const d = new MqttStreamDecoder();
  d.push(CONNECT4);
  d.push(CONNECT4);
  assert.equal(d.next()?.type, "connect");
  assert.throws(() => d.next(), isError("protocol", 0x82));
});

Deno.test("MqttStreamDecoder takes the version from CONNECT", () => {
  const d = new MqttStreamDecoder();
  d.push(CONNECT5);
  // 5.0 PUBLISH with a topic alias: only decodable as 5.0
  d.push(decodeHex("30 08 0000 03 23 0007 6869"));
  const packets = [...d];
  assert.equal(d.version, 5);
  assert.deepEqual(packets[1], {
    type: "publish",
    topic: "",
    payload: new Uint8Array([0x68, 0x69]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 7 },
  });
});

Deno.test("MqttStreamDecoder reports an unsupported protocol level", () => {
  const d = new MqttStreamDecoder();
  d.push(decodeHex("10 0d 0004 4d515454 07 02 003c 0001 61"));
  assert.throws(
    () => d.next(),
    (e: unknown) =>
      e instanceof UnsupportedProtocolVersionError && e.protocolLevel === 7,
  );
});

Deno.test("MqttStreamDecoder rejects an oversized packet before its body arrives", () => {
  const d = new MqttStreamDecoder({ version: 4, maximumPacketSize: 1000 });
  // PUBLISH, Remaining Length 998: 1 + 2 + 998 = 1001 bytes > 1000
  d.push(new Uint8Array([0x30, 0xe6]));
  assert.equal(d.next(), undefined);
  d.push(new Uint8Array([0x07]));
  assert.throws(() => d.next(), isError("packet_too_large", 0x95));
  assert.equal(d.bufferedBytes, 0);
});

Deno.test("MqttStreamDecoder accepts a packet of exactly maximumPacketSize", () => {
  const d = new MqttStreamDecoder({ version: 4, maximumPacketSize: 1000 });
  const packet = encodePacket({
    type: "publish",
    topic: "t",
    payload: new Uint8Array(994),
    qos: 0,
    retain: false,
    dup: false,
  }, 4);
  assert.equal(packet.length, 1000);
  d.push(packet);
  assert.equal(d.next()?.type, "publish");
});

Deno.test("MqttStreamDecoder rejects a fifth Remaining Length byte on arrival", () => {
  const d = new MqttStreamDecoder({ version: 4 });
  d.push(new Uint8Array([0x30, 0xff, 0xff, 0xff]));
  assert.equal(d.next(), undefined);
  d.push(new Uint8Array([0xff]));
  assert.throws(() => d.next(), isError("malformed", 0x81));
});

Deno.test("MqttStreamDecoder rejects reserved type and flags on the first byte", () => {
  for (const byte of [0x00, 0x60, 0x41, 0x36, 0x38, 0xf0]) {
    const d = new MqttStreamDecoder({ version: 4 });
    d.push(new Uint8Array([byte]));
    assert.throws(
      () => d.next(),
      isError("malformed", 0x81),
      `0x${byte.toString(16)}`,
    );
  }
});

Deno.test("MqttStreamDecoder stays failed after an error", () => {
  const d = new MqttStreamDecoder({ version: 4 });
  d.push(new Uint8Array([0x00, 0x00]));
  let first: unknown;
  try {
    d.next();
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof MqttError);
  d.push(new Uint8Array([0xc0, 0x00]));
  assert.equal(d.bufferedBytes, 0);
  assert.throws(() => d.next(), (e: unknown) => e === first);
  assert.equal(d.error, first);
});

Deno.test("MqttStreamDecoder needs a version for packets other than CONNECT", () => {
  const d = new MqttStreamDecoder({ expectConnect: false });
  d.push(new Uint8Array([0xd0, 0x00]));
  assert.throws(() => d.next(), isError("protocol", 0x82));
  const c = new MqttStreamDecoder({ expectConnect: false });
  c.setVersion(4);
  c.push(new Uint8Array([0xd0, 0x00]));
  assert.deepEqual(c.next(), { type: "pingresp" });
});

Deno.test("MqttStreamDecoder hands out packets that survive reuse of the input buffer", () => {
  const d = new MqttStreamDecoder({ version: 4 });
  const read = decodeHex("30 0b 0004 74657374 68656c6c6f");
  d.push(read.subarray(0, 8));
  read.fill(0, 0, 8);
  d.push(read.subarray(8));
  const p = d.next();
  read.fill(0);
  d.push(decodeHex("30 0b 0004 74657374 776f726c64"));
  const q = d.next();
  assert.ok(p?.type === "publish" && q?.type === "publish");
  assert.equal(new TextDecoder().decode(p.payload), "hello");
  assert.equal(new TextDecoder().decode(q.payload), "world");
});

Deno.test("MqttStreamDecoder decodes a large PUBLISH fed one byte at a time", () => {
  const payload = new Uint8Array(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  const bytes = encodePacket({
    type: "publish",
    topic: "big",
    payload,
    qos: 1,
    packetId: 9,
    retain: false,
    dup: false,
  }, 4);
  const d = new MqttStreamDecoder({ version: 4 });
  let got: Packet | undefined;
  for (let i = 0; i < bytes.length; i++) {
    d.push(bytes.subarray(i, i + 1));
    got = d.next() ?? got;
  }
  assert.ok(got?.type === "publish");
  assert.deepEqual(got.payload, payload);
  assert.equal(d.bufferedBytes, 0);
});

Deno.test("MqttStreamDecoder keeps at most one partial packet across odd chunks", () => {
  const one = encodePacket({
    type: "publish",
    topic: "a/b",
    payload: new Uint8Array(100),
    qos: 0,
    retain: false,
    dup: false,
  }, 4);
  const stream = new Uint8Array(one.length * 500);
  for (let i = 0; i < 500; i++) stream.set(one, i * one.length);
  const d = new MqttStreamDecoder({
    version: 4,
    maximumPacketSize: one.length,
  });
  let count = 0;
  for (let pos = 0; pos < stream.length; pos += 97) {
    d.push(stream.subarray(pos, pos + 97));
    for (const _ of d) count++;
    assert.ok(d.bufferedBytes < one.length);
  }
  assert.equal(count, 500);
});

Deno.test("MqttStreamDecoder ignores empty chunks", () => {
  const d = new MqttStreamDecoder({ version: 4 });
  d.push(new Uint8Array(0));
  assert.equal(d.next(), undefined);
  d.push(new Uint8Array([0xd0, 0x00]));
  d.push(new Uint8Array(0));
  assert.deepEqual(d.next(), { type: "pingresp" });
});

Deno.test("MqttStreamDecoder() rejects a maximumPacketSize outside 2..268435460", () => {
  assert.throws(
    () => new MqttStreamDecoder({ maximumPacketSize: 1 }),
    RangeError,
  );
  assert.throws(
    () => new MqttStreamDecoder({ maximumPacketSize: 268_435_461 }),
    RangeError,
  );
});
