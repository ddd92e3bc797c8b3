/**
 * The MQTT 5.0 property table (§2.2.2.2), checked cell by cell: every
 * property in every packet that has properties decodes where the table
 * allows it and is a Malformed Packet elsewhere; a second copy of a
 * single-valued property is a Protocol Error.
 */
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import {
  decodePacket,
  encodePacket,
  MqttError,
  type Packet,
} from "../../src/mqtt/mod.ts";

type Where =
  | "CONNECT"
  | "Will"
  | "CONNACK"
  | "PUBLISH"
  | "PUBACK"
  | "PUBREC"
  | "PUBREL"
  | "PUBCOMP"
  | "SUBSCRIBE"
  | "SUBACK"
  | "UNSUBSCRIBE"
  | "UNSUBACK"
  | "DISCONNECT"
  | "AUTH";

const ALL_WHERE: Where[] = [
  "CONNECT",
  "Will",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "DISCONNECT",
  "AUTH",
];

/** id, name, a valid value (hex), where the table allows it. */
const TABLE: [number, string, string, Where[]][] = [
  [0x01, "Payload Format Indicator", "01", ["PUBLISH", "Will"]],
  [0x02, "Message Expiry Interval", "00000001", ["PUBLISH", "Will"]],
  [0x03, "Content Type", "0001 61", ["PUBLISH", "Will"]],
  [0x08, "Response Topic", "0001 61", ["PUBLISH", "Will"]],
  [0x09, "Correlation Data", "0001 ff", ["PUBLISH", "Will"]],
  [0x0b, "Subscription Identifier", "01", ["PUBLISH", "SUBSCRIBE"]],
  [0x11, "Session Expiry Interval", "00000001", [
    "CONNECT",
    "CONNACK",
    "DISCONNECT",
  ]],
  [0x12, "Assigned Client Identifier", "0001 61", ["CONNACK"]],
  [0x13, "Server Keep Alive", "0001", ["CONNACK"]],
  [0x15, "Authentication Method", "0001 61", ["CONNECT", "CONNACK", "AUTH"]],
  // Authentication Data is checked with a method beside it (see below)
  [0x17, "Request Problem Information", "01", ["CONNECT"]],
  [0x18, "Will Delay Interval", "00000001", ["Will"]],
  [0x19, "Request Response Information", "01", ["CONNECT"]],
  [0x1a, "Response Information", "0001 61", ["CONNACK"]],
  [0x1c, "Server Reference", "0001 61", ["CONNACK", "DISCONNECT"]],
  [0x1f, "Reason String", "0001 61", [
    "CONNACK",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBACK",
    "UNSUBACK",
    "DISCONNECT",
    "AUTH",
  ]],
  [0x21, "Receive Maximum", "0001", ["CONNECT", "CONNACK"]],
  [0x22, "Topic Alias Maximum", "0001", ["CONNECT", "CONNACK"]],
  [0x23, "Topic Alias", "0001", ["PUBLISH"]],
  [0x24, "Maximum QoS", "01", ["CONNACK"]],
  [0x25, "Retain Available", "01", ["CONNACK"]],
  [0x26, "User Property", "0001 61 0001 62", ALL_WHERE],
  [0x27, "Maximum Packet Size", "00000001", ["CONNECT", "CONNACK"]],
  [0x28, "Wildcard Subscription Available", "01", ["CONNACK"]],
  [0x29, "Subscription Identifier Available", "01", ["CONNACK"]],
  [0x2a, "Shared Subscription Available", "01", ["CONNACK"]],
];

function varint(n: number): string {
  let out = "";
  let x = n;
  do {
    let d = x & 0x7f;
    x >>>= 7;
    if (x > 0) d |= 0x80;
    out += d.toString(16).padStart(2, "0");
  } while (x > 0);
  return out;
}

function section(props: string): string {
  const clean = props.replace(/\s/g, "");
  return varint(clean.length / 2) + clean;
}

/** A packet of kind `where` whose property section holds `props`. */
function packetWith(where: Where, props: string): Uint8Array {
  const s = section(props);
  const bodies: Record<Where, [string, string]> = {
    CONNECT: ["10", `00044d515454 05 02 003c ${s} 0001 61`],
    Will: ["10", `00044d515454 05 06 003c 00 0001 61 ${s} 0001 74 0000`],
    CONNACK: ["20", `00 00 ${s}`],
    PUBLISH: ["30", `0001 61 ${s}`],
    PUBACK: ["40", `0001 00 ${s}`],
    PUBREC: ["50", `0001 00 ${s}`],
    PUBREL: ["62", `0001 00 ${s}`],
    PUBCOMP: ["70", `0001 00 ${s}`],
    SUBSCRIBE: ["82", `0001 ${s} 0001 23 00`],
    SUBACK: ["90", `0001 ${s} 00`],
    UNSUBSCRIBE: ["a2", `0001 ${s} 0001 23`],
    UNSUBACK: ["b0", `0001 ${s} 00`],
    DISCONNECT: ["e0", `00 ${s}`],
    AUTH: ["f0", `00 ${s}`],
  };
  const [byte1, body] = bodies[where];
  const clean = body.replace(/\s/g, "");
  return decodeHex(byte1 + varint(clean.length / 2) + clean);
}

function outcome(bytes: Uint8Array): string {
  try {
    decodePacket(bytes, 5);
    return "ok";
  } catch (e) {
    if (e instanceof MqttError) {
      return `${e.kind} 0x${e.reasonCode.toString(16)}`;
    }
    throw e;
  }
}

for (const [id, name, value, allowed] of TABLE) {
  const prop = id.toString(16).padStart(2, "0") + value;
  Deno.test(`decodePacket() allows ${name} only where §2.2.2.2 lists it`, () => {
    for (const where of ALL_WHERE) {
      const expected = allowed.includes(where) ? "ok" : "malformed 0x81";
      assert.equal(outcome(packetWith(where, prop)), expected, where);
    }
  });
  if (id === 0x26) continue;
  Deno.test(`decodePacket() rejects a duplicate ${name}`, () => {
    const where = allowed[0] as Where;
    const result = outcome(packetWith(where, prop + prop));
    // PUBLISH may carry several Subscription Identifiers (§3.3.2.3.8)
    const expected = id === 0x0b && where === "PUBLISH"
      ? "ok"
      : "protocol 0x82";
    assert.equal(result, expected);
    if (id === 0x0b) {
      assert.equal(
        outcome(packetWith("SUBSCRIBE", prop + prop)),
        "protocol 0x82",
      );
    }
  });
}

Deno.test("decodePacket() allows Authentication Data only where §2.2.2.2 lists it", () => {
  const props = "15 0001 61 16 0001 ff";
  for (const where of ALL_WHERE) {
    const expected = ["CONNECT", "CONNACK", "AUTH"].includes(where)
      ? "ok"
      : "malformed 0x81";
    assert.equal(outcome(packetWith(where, props)), expected, where);
  }
  assert.equal(
    outcome(packetWith("AUTH", props + "16 0001 ff")),
    "protocol 0x82",
  );
});

Deno.test("decodePacket() keeps user properties in order with duplicates", () => {
  const p = decodePacket(
    packetWith(
      "PUBACK",
      "26 0001 62 0001 31 26 0001 61 0001 32 26 0001 62 0001 33",
    ),
    5,
  );
  assert.deepEqual(p, {
    type: "puback",
    packetId: 1,
    reasonCode: 0,
    properties: { userProperties: [["b", "1"], ["a", "2"], ["b", "3"]] },
  });
});

Deno.test("decodePacket() rejects a property value cut by the property length", () => {
  // Topic Alias needs two bytes; the section gives it one
  assert.equal(outcome(decodeHex("30 06 0001 61 02 23 00")), "malformed 0x81");
});

function encodeError(packet: Packet, version: 3 | 4 | 5): string {
  try {
    encodePacket(packet, version);
    return "ok";
  } catch (e) {
    return (e as Error).name;
  }
}

Deno.test("encodePacket() refuses properties a packet does not allow", () => {
  assert.equal(
    encodeError({
      type: "puback",
      packetId: 1,
      properties: { topicAlias: 1 } as Record<string, number>,
    }, 5),
    "TypeError",
  );
  assert.equal(
    encodeError({
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      properties: { sessionExpiryInterval: 1 } as Record<string, number>,
    }, 5),
    "TypeError",
  );
});

Deno.test("encodePacket() refuses properties before MQTT 5.0", () => {
  const publish: Packet = {
    type: "publish",
    topic: "t",
    payload: new Uint8Array(0),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 1 },
  };
  assert.equal(encodeError(publish, 4), "TypeError");
  assert.equal(
    encodeError({ type: "puback", packetId: 1, reasonCode: 0x10 }, 4),
    "TypeError",
  );
  assert.equal(encodeError({ type: "auth", reasonCode: 0 }, 4), "TypeError");
});

Deno.test("encodePacket() refuses property values out of range", () => {
  const base = {
    type: "publish",
    topic: "t",
    payload: new Uint8Array(0),
    qos: 0,
    retain: false,
    dup: false,
  } as const;
  assert.equal(
    encodeError({ ...base, properties: { topicAlias: 0 } }, 5),
    "RangeError",
  );
  assert.equal(
    encodeError({ ...base, properties: { messageExpiryInterval: 2 ** 32 } }, 5),
    "RangeError",
  );
  assert.equal(
    encodeError({
      ...base,
      properties: { subscriptionIdentifiers: [268_435_456] },
    }, 5),
    "RangeError",
  );
  assert.equal(
    encodeError({ ...base, properties: { contentType: "a\0" } }, 5),
    "TypeError",
  );
  assert.equal(
    encodeError({ ...base, properties: { responseTopic: "a/#" } }, 5),
    "TypeError",
  );
  assert.equal(
    encodeError({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
      properties: { subscriptionIdentifiers: [1, 2] },
    }, 5),
    "RangeError",
  );
  assert.equal(
    encodeError({
      type: "auth",
      reasonCode: 0x18,
      properties: { authenticationData: new Uint8Array(1) },
    }, 5),
    "TypeError",
  );
});
