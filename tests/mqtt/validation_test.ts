/**
 * One test per validation rule: the bytes, the protocol level, and the error
 * kind and MQTT 5.0 reason code the decoder must answer with.
 */
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import {
  connackFor,
  decodeConnect,
  decodePacket,
  disconnectFor,
  MqttError,
  type MqttErrorKind,
  type MqttVersion,
  UnsupportedProtocolVersionError,
} from "../../src/mqtt/mod.ts";

interface Rule {
  name: string;
  version: MqttVersion;
  hex: string;
  kind: MqttErrorKind;
  code: number;
}

const MALFORMED = { kind: "malformed", code: 0x81 } as const;
const PROTOCOL = { kind: "protocol", code: 0x82 } as const;
const TOPIC_NAME = { kind: "topic_name_invalid", code: 0x90 } as const;
const TOPIC_FILTER = { kind: "topic_filter_invalid", code: 0x8f } as const;
const CLIENT_ID = { kind: "client_identifier_not_valid", code: 0x85 } as const;

const CONNECT4 = "0004 4d515454 04";
const CONNECT5 = "0004 4d515454 05";

const RULES: Rule[] = [
  // ---- fixed header (§2.1, §2.2.2, §1.5.5)
  {
    name: "a packet of reserved type 0",
    version: 4,
    hex: "00 00",
    ...MALFORMED,
  },
  { name: "AUTH before MQTT 5.0", version: 4, hex: "f0 00", ...MALFORMED },
  {
    name: "a PUBREL with flags 0000",
    version: 4,
    hex: "60 02 0001",
    ...MALFORMED,
  },
  {
    name: "a SUBSCRIBE with flags 0000",
    version: 4,
    hex: "80 06 0001 0001 23 00",
    ...MALFORMED,
  },
  {
    name: "an UNSUBSCRIBE with flags 0000",
    version: 5,
    hex: "a0 06 0001 00 0001 23",
    ...MALFORMED,
  },
  {
    name: "a PUBACK with flags 0001",
    version: 4,
    hex: "41 02 0001",
    ...MALFORMED,
  },
  { name: "a PINGREQ with flags 0001", version: 4, hex: "c1 00", ...MALFORMED },
  { name: "a PINGREQ with a body", version: 4, hex: "c0 01 00", ...MALFORMED },
  {
    name: "a Remaining Length of five bytes",
    version: 4,
    hex: "30 ff ff ff ff 01",
    ...MALFORMED,
  },
  {
    name: "a Remaining Length that is not minimal",
    version: 4,
    hex: "c0 80 00",
    ...MALFORMED,
  },
  {
    name: "a packet shorter than its Remaining Length",
    version: 4,
    hex: "30 05 0001 61",
    ...MALFORMED,
  },
  {
    name: "trailing bytes after the packet",
    version: 4,
    hex: "40 02 0001 00",
    ...MALFORMED,
  },
  // ---- PUBLISH (§3.3)
  {
    name: "a PUBLISH with QoS 3",
    version: 4,
    hex: "36 05 0001 61 0001",
    ...MALFORMED,
  },
  {
    name: "a PUBLISH with DUP on QoS 0",
    version: 4,
    hex: "38 03 0001 61",
    ...MALFORMED,
  },
  {
    name: "a PUBLISH topic with '#'",
    version: 4,
    hex: "30 05 0003 612f23",
    ...TOPIC_NAME,
  },
  {
    name: "a PUBLISH topic with '+' in 5.0",
    version: 5,
    hex: "30 06 0003 612f2b 00",
    ...TOPIC_NAME,
  },
  {
    name: "a PUBLISH with an empty topic in 3.1.1",
    version: 4,
    hex: "30 02 0000",
    ...TOPIC_NAME,
  },
  {
    name: "a PUBLISH with an empty topic and no topic alias",
    version: 5,
    hex: "30 03 0000 00",
    ...PROTOCOL,
  },
  {
    name: "a PUBLISH with topic alias 0",
    version: 5,
    hex: "30 06 0000 03 23 0000",
    ...PROTOCOL,
  },
  {
    name: "a QoS 1 PUBLISH with packet identifier 0",
    version: 4,
    hex: "32 05 0001 61 0000",
    ...PROTOCOL,
  },
  {
    name: "a PUBLISH topic length past the packet end",
    version: 4,
    hex: "30 03 0005 61",
    ...MALFORMED,
  },
  // ---- UTF-8 strings (§1.5.4)
  {
    name: "a topic with ill-formed UTF-8",
    version: 4,
    hex: "30 04 0002 c328",
    ...MALFORMED,
  },
  {
    name: "a topic with an overlong UTF-8 encoding",
    version: 4,
    hex: "30 04 0002 c0af",
    ...MALFORMED,
  },
  {
    name: "a topic with an encoded surrogate",
    version: 4,
    hex: "30 05 0003 eda080",
    ...MALFORMED,
  },
  {
    name: "a topic with U+0000",
    version: 4,
    hex: "30 04 0002 6100",
    ...MALFORMED,
  },
  {
    name: "a non-ASCII topic with U+0000",
    version: 4,
    hex: "30 06 0004 c3a90061",
    ...MALFORMED,
  },
  // ---- properties (§2.2.2)
  {
    name: "a property not allowed in PUBLISH",
    version: 5,
    hex: "30 09 0001 61 05 11 0000003c",
    ...MALFORMED,
  },
  {
    name: "an unknown property identifier",
    version: 5,
    hex: "30 06 0001 61 02 7f 00",
    ...MALFORMED,
  },
  {
    name: "a duplicate Topic Alias",
    version: 5,
    hex: "30 0a 0001 61 06 23 0001 23 0002",
    ...PROTOCOL,
  },
  {
    name: "a property length past the packet end",
    version: 5,
    hex: "30 04 0001 61 05",
    ...MALFORMED,
  },
  {
    name: "a property length that is not minimal",
    version: 5,
    hex: "30 05 0001 61 80 00",
    ...MALFORMED,
  },
  {
    name: "a Payload Format Indicator of 2",
    version: 5,
    hex: "30 06 0001 61 02 01 02",
    ...PROTOCOL,
  },
  {
    name: "a Subscription Identifier of 0",
    version: 5,
    hex: "30 06 0001 61 02 0b 00",
    ...PROTOCOL,
  },
  {
    name: "a Subscription Identifier that is not minimal",
    version: 5,
    hex: "30 07 0001 61 03 0b 8000",
    ...MALFORMED,
  },
  {
    name: "a Response Topic with a wildcard",
    version: 5,
    hex: "30 08 0001 61 04 08 0001 23",
    ...PROTOCOL,
  },
  {
    name: "two Subscription Identifiers in SUBSCRIBE",
    version: 5,
    hex: "82 0b 0001 04 0b01 0b02 0001 23 00",
    ...PROTOCOL,
  },
  {
    name: "a Subscription Identifier in UNSUBSCRIBE",
    version: 5,
    hex: "a2 08 0001 02 0b01 0001 23",
    ...MALFORMED,
  },
  {
    name: "a Receive Maximum of 0",
    version: 5,
    hex: `10 11 ${CONNECT5} 02 003c 03 210000 0001 61`,
    ...PROTOCOL,
  },
  {
    name: "a Maximum Packet Size of 0",
    version: 5,
    hex: `10 13 ${CONNECT5} 02 003c 05 2700000000 0001 61`,
    ...PROTOCOL,
  },
  {
    name: "Authentication Data without Authentication Method",
    version: 5,
    hex: `10 11 ${CONNECT5} 02 003c 03 160000 0001 61`,
    ...PROTOCOL,
  },
  {
    name: "a Will Delay Interval among the CONNECT properties",
    version: 5,
    hex: `10 13 ${CONNECT5} 02 003c 05 1800000005 0001 61`,
    ...MALFORMED,
  },
  {
    name: "a Request Problem Information of 2",
    version: 5,
    hex: `10 10 ${CONNECT5} 02 003c 02 1702 0001 61`,
    ...PROTOCOL,
  },
  {
    name: "a Maximum QoS of 2 in CONNACK",
    version: 5,
    hex: "20 05 00 00 02 2402",
    ...PROTOCOL,
  },
  // ---- CONNECT (§3.1)
  {
    name: "a CONNECT with the reserved flag set",
    version: 4,
    hex: `10 0d ${CONNECT4} 03 003c 0001 61`,
    ...MALFORMED,
  },
  {
    name: "a CONNECT with will QoS but no will",
    version: 4,
    hex: `10 0d ${CONNECT4} 0a 003c 0001 61`,
    ...MALFORMED,
  },
  {
    name: "a CONNECT with will retain but no will",
    version: 5,
    hex: `10 0e ${CONNECT5} 22 003c 00 0001 61`,
    ...MALFORMED,
  },
  {
    name: "a CONNECT with will QoS 3",
    version: 4,
    hex: `10 0d ${CONNECT4} 1e 003c 0001 61`,
    ...MALFORMED,
  },
  {
    name: "a 3.1.1 CONNECT with a password but no user name",
    version: 4,
    hex: `10 11 ${CONNECT4} 42 003c 0001 61 0002 7077`,
    ...MALFORMED,
  },
  {
    name: "an unknown protocol name",
    version: 4,
    hex: "10 0d 0004 4d515458 04 02 003c 0001 61",
    ...PROTOCOL,
  },
  {
    name: "a 3.1.1 CONNECT with an empty client id and no clean session",
    version: 4,
    hex: `10 0c ${CONNECT4} 00 003c 0000`,
    ...CLIENT_ID,
  },
  {
    name: "a 3.1 CONNECT with an empty client id",
    version: 3,
    hex: "10 0e 0006 4d5149736470 03 02 003c 0000",
    ...CLIENT_ID,
  },
  {
    name: "a 3.1 CONNECT with a client id of 24 characters",
    version: 3,
    hex: "10 26 0006 4d5149736470 03 02 003c 0018 " + "61".repeat(24),
    ...CLIENT_ID,
  },
  {
    name: "a will topic with a wildcard",
    version: 4,
    hex: `10 12 ${CONNECT4} 06 003c 0001 61 0001 23 0000`,
    ...TOPIC_NAME,
  },
  {
    name: "trailing bytes after the CONNECT payload",
    version: 4,
    hex: `10 0e ${CONNECT4} 02 003c 0001 61 00`,
    ...MALFORMED,
  },
  {
    name: "a user name with ill-formed UTF-8",
    version: 5,
    hex: `10 12 ${CONNECT5} 82 003c 00 0001 61 0002 c328`,
    ...MALFORMED,
  },
  // ---- CONNACK (§3.2)
  {
    name: "a CONNACK with reserved flag bits",
    version: 4,
    hex: "20 02 02 00",
    ...MALFORMED,
  },
  {
    name: "a CONNACK with session present on a refusal",
    version: 4,
    hex: "20 02 01 05",
    ...PROTOCOL,
  },
  {
    name: "a 3.1.1 CONNACK return code of 6",
    version: 4,
    hex: "20 02 00 06",
    ...PROTOCOL,
  },
  {
    name: "a 5.0 CONNACK reason code CONNACK does not define",
    version: 5,
    hex: "20 03 00 01 00",
    ...PROTOCOL,
  },
  // ---- SUBSCRIBE (§3.8)
  {
    name: "a SUBSCRIBE without topic filters",
    version: 4,
    hex: "82 02 0001",
    ...PROTOCOL,
  },
  {
    name: "a 5.0 SUBSCRIBE without topic filters",
    version: 5,
    hex: "82 03 0001 00",
    ...PROTOCOL,
  },
  {
    name: "a SUBSCRIBE with packet identifier 0",
    version: 4,
    hex: "82 06 0000 0001 23 00",
    ...PROTOCOL,
  },
  {
    name: "3.1.1 subscription options with reserved bits",
    version: 4,
    hex: "82 06 0001 0001 23 04",
    ...MALFORMED,
  },
  {
    name: "a 3.1.1 SUBSCRIBE with QoS 3",
    version: 4,
    hex: "82 06 0001 0001 23 03",
    ...MALFORMED,
  },
  {
    name: "5.0 subscription options with reserved bits",
    version: 5,
    hex: "82 07 0001 00 0001 23 40",
    ...MALFORMED,
  },
  {
    name: "a 5.0 SUBSCRIBE with QoS 3",
    version: 5,
    hex: "82 07 0001 00 0001 23 03",
    ...PROTOCOL,
  },
  {
    name: "a SUBSCRIBE with retain handling 3",
    version: 5,
    hex: "82 07 0001 00 0001 23 30",
    ...PROTOCOL,
  },
  {
    name: "no local on a shared subscription",
    version: 5,
    hex: "82 10 0001 00 000a 2473686172652f672f61 05",
    ...PROTOCOL,
  },
  {
    name: "a topic filter with '#' before the last level",
    version: 4,
    hex: "82 0a 0001 0005 612f232f62 00",
    ...TOPIC_FILTER,
  },
  {
    name: "a topic filter with '+' inside a level",
    version: 4,
    hex: "82 07 0001 0002 612b 00",
    ...TOPIC_FILTER,
  },
  {
    name: "an empty topic filter",
    version: 4,
    hex: "82 05 0001 0000 00",
    ...TOPIC_FILTER,
  },
  {
    name: "a shared subscription without a topic filter",
    version: 5,
    hex: "82 0e 0001 00 0008 2473686172652f67 00",
    ...TOPIC_FILTER,
  },
  {
    name: "a shared subscription with an empty share name",
    version: 5,
    hex: "82 0f 0001 00 0009 2473686172652f2f61 00",
    ...TOPIC_FILTER,
  },
  {
    name: "subscription options missing after a topic filter",
    version: 4,
    hex: "82 05 0001 0001 23",
    ...MALFORMED,
  },
  // ---- SUBACK (§3.9)
  {
    name: "a 3.1.1 SUBACK return code of 3",
    version: 4,
    hex: "90 03 0001 03",
    ...PROTOCOL,
  },
  {
    name: "a 5.0 SUBACK reason code SUBACK does not define",
    version: 5,
    hex: "90 04 0001 00 10",
    ...PROTOCOL,
  },
  {
    name: "a SUBACK without codes",
    version: 4,
    hex: "90 02 0001",
    ...PROTOCOL,
  },
  // ---- UNSUBSCRIBE / UNSUBACK (§3.10, §3.11)
  {
    name: "an UNSUBSCRIBE without topic filters",
    version: 4,
    hex: "a2 02 0001",
    ...PROTOCOL,
  },
  {
    name: "an UNSUBSCRIBE with packet identifier 0",
    version: 4,
    hex: "a2 05 0000 0001 23",
    ...PROTOCOL,
  },
  {
    name: "an UNSUBSCRIBE with an invalid topic filter",
    version: 4,
    hex: "a2 06 0001 0002 2361",
    ...TOPIC_FILTER,
  },
  {
    name: "a 3.1.1 UNSUBACK with a reason code",
    version: 4,
    hex: "b0 03 0001 00",
    ...MALFORMED,
  },
  {
    name: "a 5.0 UNSUBACK reason code UNSUBACK does not define",
    version: 5,
    hex: "b0 04 0001 00 10",
    ...PROTOCOL,
  },
  // ---- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4-§3.7)
  {
    name: "a PUBACK with packet identifier 0",
    version: 4,
    hex: "40 02 0000",
    ...PROTOCOL,
  },
  {
    name: "a 3.1.1 PUBACK with a reason code",
    version: 4,
    hex: "40 03 0001 00",
    ...MALFORMED,
  },
  {
    name: "a PUBACK reason code PUBACK does not define",
    version: 5,
    hex: "40 03 0001 92",
    ...PROTOCOL,
  },
  {
    name: "a PUBREL reason code PUBREL does not define",
    version: 5,
    hex: "62 03 0001 10",
    ...PROTOCOL,
  },
  {
    name: "a PUBACK property PUBACK does not allow",
    version: 5,
    hex: "40 06 0001 00 02 2301",
    ...MALFORMED,
  },
  // ---- DISCONNECT, AUTH (§3.14, §3.15)
  {
    name: "a 3.1.1 DISCONNECT with a body",
    version: 4,
    hex: "e0 01 00",
    ...MALFORMED,
  },
  {
    name: "a DISCONNECT reason code DISCONNECT does not define",
    version: 5,
    hex: "e0 01 01",
    ...PROTOCOL,
  },
  {
    name: "an AUTH reason code AUTH does not define",
    version: 5,
    hex: "f0 02 01 00",
    ...PROTOCOL,
  },
  {
    name: "an AUTH with flags 0001",
    version: 5,
    hex: "f1 00",
    ...MALFORMED,
  },
];

for (const rule of RULES) {
  Deno.test(`decodePacket() rejects ${rule.name}`, () => {
    assert.throws(
      () => decodePacket(decodeHex(rule.hex), rule.version),
      (e: unknown) => {
        assert.ok(e instanceof MqttError, `not an MqttError: ${e}`);
        assert.equal(e.kind, rule.kind, e.message);
        assert.equal(e.reasonCode, rule.code, e.message);
        return true;
      },
    );
  });
}

Deno.test("decodePacket() wraps a truncated field's DecodeError as its cause", () => {
  try {
    decodePacket(decodeHex("32 03 0001 61"), 4);
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof MqttError);
    assert.equal(e.kind, "malformed");
    assert.equal((e.cause as Error).name, "DecodeError");
  }
});

Deno.test("decodePacket() keeps a leading U+FEFF in a topic", () => {
  // [MQTT-1.5.4-3] a BOM must not be skipped or stripped
  const p = decodePacket(decodeHex("30 05 0003 efbbbf"), 4);
  assert.ok(p.type === "publish");
  assert.equal(p.topic, "\ufeff");
});

Deno.test("decodePacket() accepts a 5.0 password without a user name and an empty client id", () => {
  const p = decodePacket(
    decodeHex(`10 11 ${CONNECT5} 40 003c 00 0000 0002 7077`),
    5,
  );
  assert.ok(p.type === "connect");
  assert.equal(p.clientId, "");
  assert.equal(p.clean, false);
  assert.deepEqual(p.password, new Uint8Array([0x70, 0x77]));
});

Deno.test("decodePacket() accepts MQTT 3.1 SUBSCRIBE flags with DUP set", () => {
  const p = decodePacket(decodeHex("8a 06 0001 0001 23 01"), 3);
  assert.equal(p.type, "subscribe");
});

Deno.test("decodePacket() accepts a Mosquitto bridge CONNECT (level 0x84)", () => {
  const p = decodeConnect(decodeHex(`10 0d 0004 4d515454 84 02 003c 0001 61`));
  assert.equal(p.protocolVersion, 4);
  assert.equal(p.bridgeMode, true);
});

Deno.test("decodePacket() rejects a packet over maximumPacketSize", () => {
  assert.throws(
    () =>
      decodePacket(decodeHex("30 0b 0004 74657374 68656c6c6f"), 4, {
        maximumPacketSize: 12,
      }),
    (e: unknown) =>
      e instanceof MqttError && e.kind === "packet_too_large" &&
      e.reasonCode === 0x95,
  );
  assert.equal(
    decodePacket(decodeHex("30 0b 0004 74657374 68656c6c6f"), 4, {
      maximumPacketSize: 13,
    }).type,
    "publish",
  );
});

Deno.test("decodeConnect() rejects an unknown level with the version info", () => {
  for (
    const [hex, name, level] of [
      ["10 0d 0004 4d515454 06 02 003c 0001 61", "MQTT", 6],
      ["10 0d 0004 4d515454 03 02 003c 0001 61", "MQTT", 3],
      ["10 0f 0006 4d5149736470 04 02 003c 0001 61", "MQIsdp", 4],
    ] as const
  ) {
    assert.throws(
      () => decodeConnect(decodeHex(hex)),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedProtocolVersionError);
        assert.equal(e.kind, "unsupported_protocol_version");
        assert.equal(e.reasonCode, 0x84);
        assert.equal(e.protocolName, name);
        assert.equal(e.protocolLevel, level);
        assert.deepEqual(connackFor(e), decodeHex("20 02 00 01"));
        return true;
      },
    );
  }
});

Deno.test("connackFor() answers CONNECT faults in the client's version", () => {
  const refused = (hex: string): MqttError => {
    try {
      decodeConnect(decodeHex(hex));
    } catch (e) {
      if (e instanceof MqttError) return e;
    }
    throw new Error("expected an MqttError");
  };
  // 3.1.1 empty client id without clean session: return code 0x02
  const v4 = refused(`10 0c ${CONNECT4} 00 003c 0000`);
  assert.equal(v4.protocolVersion, 4);
  assert.deepEqual(connackFor(v4), decodeHex("20 02 00 02"));
  // 3.1 client id too long: return code 0x02
  const v3 = refused("10 0e 0006 4d5149736470 03 02 003c 0000");
  assert.deepEqual(connackFor(v3), decodeHex("20 02 00 02"));
  // 3.1.1 malformed: no code, just close
  assert.equal(
    connackFor(refused(`10 0d ${CONNECT4} 03 003c 0001 61`)),
    undefined,
  );
  // 5.0 malformed user name: CONNACK 0x81
  const v5 = refused(`10 12 ${CONNECT5} 82 003c 00 0001 61 0002 c328`);
  assert.equal(v5.protocolVersion, 5);
  assert.deepEqual(connackFor(v5), decodeHex("20 03 00 81 00"));
  // 5.0 will topic with a wildcard: CONNACK 0x90
  const topic = refused(`10 14 ${CONNECT5} 06 003c 00 0001 61 00 0001 23 0000`);
  assert.deepEqual(connackFor(topic), decodeHex("20 03 00 90 00"));
  // unknown protocol name: nothing, close
  assert.equal(
    connackFor(refused("10 0d 0004 4d515458 04 02 003c 0001 61")),
    undefined,
  );
});

Deno.test("disconnectFor() sends DISCONNECT with the reason code in 5.0 only", () => {
  for (
    const [kind, code] of [
      ["malformed", 0x81],
      ["protocol", 0x82],
      ["packet_too_large", 0x95],
      ["topic_name_invalid", 0x90],
      ["topic_filter_invalid", 0x8f],
    ] as const
  ) {
    const e = new MqttError(kind, "test");
    assert.deepEqual(disconnectFor(e, 5), new Uint8Array([0xe0, 0x01, code]));
    assert.equal(disconnectFor(e, 4), undefined);
    assert.equal(disconnectFor(e, 3), undefined);
    // the DISCONNECT itself decodes back
    assert.deepEqual(
      decodePacket(disconnectFor(e, 5) as Uint8Array, 5),
      { type: "disconnect", reasonCode: code },
    );
  }
  // CONNECT-only codes are not DISCONNECT codes: Protocol Error instead
  const e = new UnsupportedProtocolVersionError("MQTT", 9);
  assert.deepEqual(disconnectFor(e, 5), new Uint8Array([0xe0, 0x01, 0x82]));
});
