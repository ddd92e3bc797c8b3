/**
 * Four checks per golden packet, as mqtt-packet's `testParseGenerate`:
 * parse, generate, mirror (generate then parse) and split-feed through the
 * stream decoder at every split point and one byte at a time.
 */
import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  decodePacket,
  encodePacket,
  MqttStreamDecoder,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { ALL_FIXTURES, type Fixture } from "./_fixtures.ts";

function drain(decoder: MqttStreamDecoder): Packet[] {
  return [...decoder];
}

function splitFeed(f: Fixture): void {
  const bytes = decodeHex(f.hex);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new MqttStreamDecoder({ version: f.version });
    d.push(bytes.subarray(0, cut));
    const got = drain(d);
    d.push(bytes.subarray(cut));
    got.push(...drain(d));
    assert.deepEqual(got, [f.packet], `split at ${cut}`);
    assert.equal(d.bufferedBytes, 0);
  }
  const d = new MqttStreamDecoder({ version: f.version });
  const got: Packet[] = [];
  for (let i = 0; i < bytes.length; i++) {
    d.push(bytes.subarray(i, i + 1));
    got.push(...drain(d));
  }
  assert.deepEqual(got, [f.packet], "one byte at a time");
}

for (const f of ALL_FIXTURES) {
  Deno.test(`decodePacket() parses ${f.name}`, () => {
    assert.deepEqual(decodePacket(decodeHex(f.hex), f.version), f.packet);
  });
  Deno.test(`encodePacket() generates ${f.name}`, () => {
    assert.equal(
      encodeHex(encodePacket(f.packet, f.version)),
      encodeHex(decodeHex(f.hex)),
    );
  });
  Deno.test(`encodePacket() then decodePacket() mirrors ${f.name}`, () => {
    const bytes = encodePacket(f.packet, f.version);
    assert.deepEqual(decodePacket(bytes, f.version), f.packet);
  });
  Deno.test(`MqttStreamDecoder parses ${f.name} split at every point`, () => {
    splitFeed(f);
  });
}

Deno.test("MqttStreamDecoder parses every fixture back to back in one push", () => {
  for (const version of [3, 4, 5] as const) {
    const fixtures = ALL_FIXTURES.filter((f) =>
      f.version === version && f.packet.type !== "connect"
    );
    const stream = decodeHex(fixtures.map((f) => f.hex).join(""));
    const d = new MqttStreamDecoder({ version });
    d.push(stream);
    assert.deepEqual(drain(d), fixtures.map((f) => f.packet));
  }
});

Deno.test("decodePacket() reads the 5.0 short forms the encoder never writes", () => {
  // AUTH with Remaining Length 0 (§3.15.2.1), PUBACK with reason code and
  // property length 0, DISCONNECT with reason code and property length 0
  assert.deepEqual(decodePacket(decodeHex("f000"), 5), {
    type: "auth",
    reasonCode: 0,
  });
  assert.deepEqual(decodePacket(decodeHex("4004000100 00"), 5), {
    type: "puback",
    packetId: 1,
    reasonCode: 0,
  });
  assert.deepEqual(decodePacket(decodeHex("e002 0000"), 5), {
    type: "disconnect",
    reasonCode: 0,
  });
});

Deno.test("encodePacket() uses a four-byte Remaining Length for large packets", () => {
  const payload = new Uint8Array(2_097_152);
  const bytes = encodePacket({
    type: "publish",
    topic: "t",
    payload,
    qos: 0,
    retain: false,
    dup: false,
  }, 4);
  // Remaining Length 2,097,155 = 0x83 0x80 0x80 0x01
  assert.equal(encodeHex(bytes.subarray(0, 5)), "3083808001");
  assert.equal(bytes.length, 1 + 4 + 2_097_155);
  const back = decodePacket(bytes, 4);
  assert.equal(back.type === "publish" && back.payload.length, payload.length);
});
