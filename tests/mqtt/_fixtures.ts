/**
 * Golden MQTT packets, hand-written from the OASIS MQTT 3.1.1 and 5.0
 * specifications (section numbers beside each), as bytes and as the packet
 * object the codec must produce. Each fixture is in canonical form: encoding
 * the object gives exactly these bytes (shortest acknowledgements, properties
 * in ascending identifier order, minimal Remaining Length).
 *
 * @module
 */

import type { MqttVersion, Packet } from "../../src/mqtt/mod.ts";

/** One golden packet. */
export interface Fixture {
  name: string;
  version: MqttVersion;
  /** Hex, spaces allowed. */
  hex: string;
  packet: Packet;
}

const te = new TextEncoder();
function b(text: string): Uint8Array {
  return te.encode(text);
}
function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** Fixtures valid in MQTT 3.1.1 (and, for non-CONNECT packets, in 3.1). */
export const V4_FIXTURES: Fixture[] = [
  {
    name: "3.1.1 CONNECT, minimal",
    version: 4,
    // §3.1: "MQTT" level 4, clean session, keep alive 60, client id "a"
    hex: "10 0d 0004 4d515454 04 02 003c 0001 61",
    packet: {
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 60,
      clientId: "a",
    },
  },
  {
    name: "3.1.1 CONNECT with will, user name and password",
    version: 4,
    // flags 0xee: user, password, will retain, will QoS 1, will, clean
    hex: "10 34 0004 4d515454 04 ee 001e 0004 74657374" +
      " 0005 746f706963 0007 7061796c6f6164" +
      " 0008 757365726e616d65 0008 70617373776f7264",
    packet: {
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 30,
      clientId: "test",
      username: "username",
      password: b("password"),
      will: { topic: "topic", payload: b("payload"), qos: 1, retain: true },
    },
  },
  {
    name: "3.1.1 CONNECT with an empty client id",
    version: 4,
    // [MQTT-3.1.3-6] empty client id with clean session 1, keep alive 0
    hex: "10 0c 0004 4d515454 04 02 0000 0000",
    packet: {
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId: "",
    },
  },
  {
    name: "3.1.1 CONNACK, session present",
    version: 4,
    hex: "20 02 01 00",
    packet: { type: "connack", sessionPresent: true, reasonCode: 0 },
  },
  {
    name: "3.1.1 CONNACK, not authorized",
    version: 4,
    hex: "20 02 00 05",
    packet: { type: "connack", sessionPresent: false, reasonCode: 5 },
  },
  {
    name: "3.1.1 PUBLISH QoS 0",
    version: 4,
    hex: "30 0b 0004 74657374 68656c6c6f",
    packet: {
      type: "publish",
      topic: "test",
      payload: b("hello"),
      qos: 0,
      retain: false,
      dup: false,
    },
  },
  {
    name: "3.1.1 PUBLISH QoS 1, DUP, retain, empty payload",
    version: 4,
    hex: "3b 07 0003 612f62 0102",
    packet: {
      type: "publish",
      topic: "a/b",
      payload: new Uint8Array(0),
      qos: 1,
      retain: true,
      dup: true,
      packetId: 0x0102,
    },
  },
  {
    name: "3.1.1 PUBLISH QoS 2 with a two-byte Remaining Length",
    version: 4,
    // Remaining Length 205 = 0xcd 0x01 (§1.5.5 / 3.1.1 §2.2.3)
    hex: "34 cd01 0001 74 ffff " + "ab".repeat(200),
    packet: {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(200).fill(0xab),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 0xffff,
    },
  },
  {
    name: "3.1.1 PUBLISH with a UTF-8 topic",
    version: 4,
    // "é/€/😀": c3a9 2f e282ac 2f f09f9880 (11 bytes)
    hex: "30 0e 000b c3a92fe282ac2ff09f9880 7a",
    packet: {
      type: "publish",
      topic: "é/€/😀",
      payload: b("z"),
      qos: 0,
      retain: false,
      dup: false,
    },
  },
  {
    name: "3.1.1 PUBACK",
    version: 4,
    hex: "40 02 0001",
    packet: { type: "puback", packetId: 1 },
  },
  {
    name: "3.1.1 PUBREC",
    version: 4,
    hex: "50 02 0002",
    packet: { type: "pubrec", packetId: 2 },
  },
  {
    name: "3.1.1 PUBREL",
    version: 4,
    // [MQTT-3.6.1-1] flags 0010
    hex: "62 02 0003",
    packet: { type: "pubrel", packetId: 3 },
  },
  {
    name: "3.1.1 PUBCOMP",
    version: 4,
    hex: "70 02 0004",
    packet: { type: "pubcomp", packetId: 4 },
  },
  {
    name: "3.1.1 SUBSCRIBE with two filters",
    version: 4,
    hex: "82 0c 0006 0003 612f2b 00 0001 23 02",
    packet: {
      type: "subscribe",
      packetId: 6,
      subscriptions: [{ topicFilter: "a/+", qos: 0 }, {
        topicFilter: "#",
        qos: 2,
      }],
    },
  },
  {
    name: "3.1.1 SUBACK with a failure",
    version: 4,
    hex: "90 05 0006 00 02 80",
    packet: { type: "suback", packetId: 6, reasonCodes: [0, 2, 0x80] },
  },
  {
    name: "3.1.1 UNSUBSCRIBE",
    version: 4,
    hex: "a2 0a 0007 0003 612f2b 0001 23",
    packet: { type: "unsubscribe", packetId: 7, topicFilters: ["a/+", "#"] },
  },
  {
    name: "3.1.1 UNSUBACK",
    version: 4,
    hex: "b0 02 0007",
    packet: { type: "unsuback", packetId: 7 },
  },
  {
    name: "3.1.1 PINGREQ",
    version: 4,
    hex: "c0 00",
    packet: { type: "pingreq" },
  },
  {
    name: "3.1.1 PINGRESP",
    version: 4,
    hex: "d0 00",
    packet: { type: "pingresp" },
  },
  {
    name: "3.1.1 DISCONNECT",
    version: 4,
    hex: "e0 00",
    packet: { type: "disconnect" },
  },
];

/** MQTT 3.1 ("MQIsdp", level 3). */
export const V3_FIXTURES: Fixture[] = [
  {
    name: "3.1 CONNECT",
    version: 3,
    hex: "10 0f 0006 4d5149736470 03 02 003c 0001 61",
    packet: {
      type: "connect",
      protocolVersion: 3,
      clean: true,
      keepAlive: 60,
      clientId: "a",
    },
  },
  {
    name: "3.1 SUBSCRIBE",
    version: 3,
    hex: "82 06 0001 0001 23 01",
    packet: {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "#", qos: 1 }],
    },
  },
];

/** Fixtures of MQTT 5.0. */
export const V5_FIXTURES: Fixture[] = [
  {
    name: "5.0 CONNECT, minimal",
    version: 5,
    // §3.1.2.11: property length 0
    hex: "10 0e 0004 4d515454 05 02 003c 00 0001 61",
    packet: {
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 60,
      clientId: "a",
    },
  },
  {
    name: "5.0 CONNECT with every CONNECT and will property",
    version: 5,
    // flags 0xd6: user, password, will QoS 2, will, clean start
    hex: "10 79 0004 4d515454 05 d6 000a" +
      // CONNECT properties, 36 bytes (§3.1.2.11)
      " 24 11 00000e10 15 0001 6d 16 0002 0102 17 00 19 01 21 0014" +
      " 22 000a 26 0001 6b 0001 76 27 00010000" +
      " 0004 74657374" +
      // will properties, 39 bytes (§3.1.3.2)
      " 27 01 01 02 0000003c 03 0004 74657874 08 0005 7265706c79" +
      " 09 0002 abcd 18 00000005 26 0001 61 0001 62" +
      " 0005 746f706963 0007 7061796c6f6164 0004 75736572 0004 70617373",
    packet: {
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 10,
      clientId: "test",
      username: "user",
      password: b("pass"),
      will: {
        topic: "topic",
        payload: b("payload"),
        qos: 2,
        retain: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          contentType: "text",
          responseTopic: "reply",
          correlationData: bytes(0xab, 0xcd),
          willDelayInterval: 5,
          userProperties: [["a", "b"]],
        },
      },
      properties: {
        sessionExpiryInterval: 3600,
        authenticationMethod: "m",
        authenticationData: bytes(1, 2),
        requestProblemInformation: false,
        requestResponseInformation: true,
        receiveMaximum: 20,
        topicAliasMaximum: 10,
        userProperties: [["k", "v"]],
        maximumPacketSize: 65536,
      },
    },
  },
  {
    name: "5.0 CONNECT with a password and no user name",
    version: 5,
    // §3.1.2.9: allowed in 5.0; flags 0x42
    hex: "10 12 0004 4d515454 05 42 003c 00 0001 61 0002 7077",
    packet: {
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 60,
      clientId: "a",
      password: b("pw"),
    },
  },
  {
    name: "5.0 CONNACK with every CONNACK property",
    version: 5,
    hex: "20 35 00 00 32" +
      " 11 0000003c 12 0003 616263 13 0014 1a 0002 7269 1c 0002 7372" +
      " 1f 0002 6f6b 21 000a 22 0005 24 01 25 00 27 00001000 28 01 29 00 2a 01",
    packet: {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 60,
        assignedClientIdentifier: "abc",
        serverKeepAlive: 20,
        responseInformation: "ri",
        serverReference: "sr",
        reasonString: "ok",
        receiveMaximum: 10,
        topicAliasMaximum: 5,
        maximumQos: 1,
        retainAvailable: false,
        maximumPacketSize: 4096,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
      },
    },
  },
  {
    name: "5.0 CONNACK, not authorized",
    version: 5,
    hex: "20 03 00 87 00",
    packet: { type: "connack", sessionPresent: false, reasonCode: 0x87 },
  },
  {
    name: "5.0 PUBLISH QoS 0 without properties",
    version: 5,
    hex: "30 0c 0004 74657374 00 68656c6c6f",
    packet: {
      type: "publish",
      topic: "test",
      payload: b("hello"),
      qos: 0,
      retain: false,
      dup: false,
    },
  },
  {
    name: "5.0 PUBLISH QoS 1 with every PUBLISH property",
    version: 5,
    // two Subscription Identifiers (§3.3.2.3.8), 128 as 0x80 0x01
    hex: "32 2d 0001 61 0001 25" +
      " 01 01 02 00000e10 03 0004 6a736f6e 08 0001 72 09 0001 01" +
      " 0b 01 0b 8001 23 0005 26 0001 78 0001 79" +
      " 7b7d",
    packet: {
      type: "publish",
      topic: "a",
      payload: b("{}"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: "json",
        responseTopic: "r",
        correlationData: bytes(1),
        subscriptionIdentifiers: [1, 128],
        topicAlias: 5,
        userProperties: [["x", "y"]],
      },
    },
  },
  {
    name: "5.0 PUBLISH with an empty topic and a topic alias",
    version: 5,
    // §3.3.2.3.4
    hex: "30 08 0000 03 23 0007 6869",
    packet: {
      type: "publish",
      topic: "",
      payload: b("hi"),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 7 },
    },
  },
  {
    name: "5.0 PUBLISH with repeated user properties in order",
    version: 5,
    hex: "31 13 0001 74 0e 26 0001 6b 0001 31 26 0001 6b 0001 32 ff",
    packet: {
      type: "publish",
      topic: "t",
      payload: bytes(0xff),
      qos: 0,
      retain: true,
      dup: false,
      properties: { userProperties: [["k", "1"], ["k", "2"]] },
    },
  },
  {
    name: "5.0 PUBACK, success in the short form",
    version: 5,
    // §3.4.2.1: Remaining Length 2 means reason code 0x00
    hex: "40 02 0001",
    packet: { type: "puback", packetId: 1, reasonCode: 0 },
  },
  {
    name: "5.0 PUBACK, no matching subscribers",
    version: 5,
    hex: "40 03 0001 10",
    packet: { type: "puback", packetId: 1, reasonCode: 0x10 },
  },
  {
    name: "5.0 PUBREC with a reason string",
    version: 5,
    hex: "50 0b 0002 80 07 1f 0004 6f6f7073",
    packet: {
      type: "pubrec",
      packetId: 2,
      reasonCode: 0x80,
      properties: { reasonString: "oops" },
    },
  },
  {
    name: "5.0 PUBREL, packet identifier not found",
    version: 5,
    hex: "62 03 0003 92",
    packet: { type: "pubrel", packetId: 3, reasonCode: 0x92 },
  },
  {
    name: "5.0 PUBCOMP",
    version: 5,
    hex: "70 02 0004",
    packet: { type: "pubcomp", packetId: 4, reasonCode: 0 },
  },
  {
    name: "5.0 SUBSCRIBE with options and a shared subscription",
    version: 5,
    // options 0x2d: retain handling 2, retain as published, no local, QoS 1
    // options 0x12: retain handling 1, QoS 2
    hex: "82 21 0001 09 0b 05 26 0001 61 0001 62" +
      " 0003 612f62 2d 000c 247368617265 2f672f632f23 12",
    packet: {
      type: "subscribe",
      packetId: 1,
      subscriptions: [
        {
          topicFilter: "a/b",
          qos: 1,
          noLocal: true,
          retainAsPublished: true,
          retainHandling: 2,
        },
        {
          topicFilter: "$share/g/c/#",
          qos: 2,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 1,
        },
      ],
      properties: {
        subscriptionIdentifiers: [5],
        userProperties: [["a", "b"]],
      },
    },
  },
  {
    name: "5.0 SUBACK",
    version: 5,
    hex: "90 07 0001 00 01 02 8f a2",
    packet: { type: "suback", packetId: 1, reasonCodes: [1, 2, 0x8f, 0xa2] },
  },
  {
    name: "5.0 UNSUBSCRIBE",
    version: 5,
    hex: "a2 08 0002 00 0003 612f62",
    packet: { type: "unsubscribe", packetId: 2, topicFilters: ["a/b"] },
  },
  {
    name: "5.0 UNSUBACK",
    version: 5,
    hex: "b0 05 0002 00 00 11",
    packet: { type: "unsuback", packetId: 2, reasonCodes: [0, 0x11] },
  },
  {
    name: "5.0 DISCONNECT, normal in the short form",
    version: 5,
    // §3.14.2.1: Remaining Length 0 means 0x00
    hex: "e0 00",
    packet: { type: "disconnect", reasonCode: 0 },
  },
  {
    name: "5.0 DISCONNECT with will message",
    version: 5,
    hex: "e0 01 04",
    packet: { type: "disconnect", reasonCode: 4 },
  },
  {
    name: "5.0 DISCONNECT with properties",
    version: 5,
    hex: "e0 11 8e 0f 11 00000000 1c 0001 73 1f 0003 627965",
    packet: {
      type: "disconnect",
      reasonCode: 0x8e,
      properties: {
        sessionExpiryInterval: 0,
        serverReference: "s",
        reasonString: "bye",
      },
    },
  },
  {
    name: "5.0 AUTH, continue authentication",
    version: 5,
    hex: "f0 10 18 0e 15 0005 5343524d4d 16 0003 010203",
    packet: {
      type: "auth",
      reasonCode: 0x18,
      properties: {
        authenticationMethod: "SCRMM",
        authenticationData: bytes(1, 2, 3),
      },
    },
  },
  {
    name: "5.0 AUTH, success",
    version: 5,
    hex: "f0 02 00 00",
    packet: { type: "auth", reasonCode: 0 },
  },
  {
    name: "5.0 PINGREQ",
    version: 5,
    hex: "c0 00",
    packet: { type: "pingreq" },
  },
  {
    name: "5.0 PINGRESP",
    version: 5,
    hex: "d0 00",
    packet: { type: "pingresp" },
  },
];

/** Every fixture. */
export const ALL_FIXTURES: Fixture[] = [
  ...V3_FIXTURES,
  ...V4_FIXTURES,
  ...V5_FIXTURES,
];
