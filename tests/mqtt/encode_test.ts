/**
 * The encoder refuses what the decoder would refuse, with a `TypeError` or
 * `RangeError` (a caller's bug, not a peer's), and otherwise writes the
 * shortest form.
 */
import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import {
  encodePacket,
  encodePublish,
  encodePublishInto,
  type MqttVersion,
  type Packet,
  type PublishPacket,
  publishSize,
} from "../../src/mqtt/mod.ts";

function fails(
  packet: Packet,
  version: MqttVersion,
  error: ErrorConstructor,
): void {
  assert.throws(() => encodePacket(packet, version), error);
}

const publish: PublishPacket = {
  type: "publish",
  topic: "t",
  payload: new Uint8Array([1, 2]),
  qos: 0,
  retain: false,
  dup: false,
};

Deno.test("encodePacket() refuses a PUBLISH the decoder would refuse", () => {
  fails({ ...publish, qos: 3 as 0 }, 4, RangeError);
  fails({ ...publish, qos: 1 }, 4, RangeError); // no packet identifier
  fails({ ...publish, qos: 1, packetId: 0 }, 4, RangeError); // [MQTT-2.3.1-1]
  fails({ ...publish, qos: 1, packetId: 65536 }, 4, RangeError);
  fails({ ...publish, dup: true }, 4, RangeError); // [MQTT-3.3.1-2]
  fails({ ...publish, topic: "a/+" }, 4, TypeError); // [MQTT-3.3.2-2]
  fails({ ...publish, topic: "" }, 4, TypeError); // [MQTT-4.7.3-1]
  fails({ ...publish, topic: "" }, 5, TypeError); // no topic alias
  fails({ ...publish, topic: "a\0" }, 4, TypeError); // [MQTT-1.5.4-2]
  fails({ ...publish, topic: "a\ud800" }, 4, TypeError); // [MQTT-1.5.4-1]
  fails({ ...publish, topic: "é".repeat(32768) }, 4, RangeError);
});

Deno.test("encodePacket() refuses a CONNECT the version does not allow", () => {
  const connect = {
    type: "connect",
    protocolVersion: 4,
    clean: true,
    keepAlive: 60,
    clientId: "a",
  } as const;
  fails(connect, 5, RangeError); // version mismatch
  fails({ ...connect, password: new Uint8Array(1) }, 4, TypeError); // [MQTT-3.1.2-22]
  fails({ ...connect, clean: false, clientId: "" }, 4, RangeError); // [MQTT-3.1.3-8]
  fails(
    { ...connect, protocolVersion: 3, clientId: "x".repeat(24) },
    3,
    RangeError,
  );
  fails({ ...connect, keepAlive: 65536 }, 4, RangeError);
  fails(
    {
      ...connect,
      will: { topic: "a/#", payload: new Uint8Array(0), qos: 0, retain: false },
    },
    4,
    TypeError,
  );
  fails(
    {
      ...connect,
      will: {
        topic: "a",
        payload: new Uint8Array(0),
        qos: 3 as 0,
        retain: false,
      },
    },
    4,
    RangeError,
  );
  fails({ ...connect, properties: { receiveMaximum: 1 } }, 4, TypeError);
  fails(
    { ...connect, protocolVersion: 5, properties: { receiveMaximum: 0 } },
    5,
    RangeError,
  );
  // a password alone is fine in 5.0
  assert.equal(
    encodeHex(encodePacket({
      ...connect,
      protocolVersion: 5,
      password: new Uint8Array([0x70, 0x77]),
    }, 5)),
    "101200044d5154540542003c00000161" + "00027077",
  );
});

Deno.test("encodePacket() refuses SUBSCRIBE and UNSUBSCRIBE without filters or with bad ones", () => {
  fails({ type: "subscribe", packetId: 1, subscriptions: [] }, 4, RangeError);
  fails(
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a#", qos: 0 }],
    },
    4,
    TypeError,
  );
  fails(
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0, noLocal: true }],
    },
    4,
    TypeError,
  ); // 5.0 option in 3.1.1
  fails(
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "$share/g/a", qos: 0, noLocal: true }],
    },
    5,
    TypeError,
  ); // [MQTT-3.8.3-4]
  fails(
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0, retainHandling: 3 as 0 }],
    },
    5,
    RangeError,
  );
  fails({ type: "unsubscribe", packetId: 1, topicFilters: [] }, 4, RangeError);
  fails(
    { type: "unsubscribe", packetId: 0, topicFilters: ["a"] },
    4,
    RangeError,
  );
  fails(
    { type: "unsubscribe", packetId: 1, topicFilters: ["+a"] },
    4,
    TypeError,
  );
});

Deno.test("encodePacket() refuses reason codes a packet does not define", () => {
  fails({ type: "suback", packetId: 1, reasonCodes: [3] }, 4, RangeError);
  fails({ type: "suback", packetId: 1, reasonCodes: [0x8f] }, 4, RangeError);
  fails({ type: "suback", packetId: 1, reasonCodes: [] }, 5, RangeError);
  fails(
    { type: "connack", sessionPresent: false, reasonCode: 6 },
    4,
    RangeError,
  );
  fails(
    { type: "connack", sessionPresent: false, reasonCode: 1 },
    5,
    RangeError,
  );
  fails(
    { type: "connack", sessionPresent: true, reasonCode: 0x80 },
    5,
    RangeError,
  );
  fails({ type: "puback", packetId: 1, reasonCode: 0x92 }, 5, RangeError);
  fails({ type: "pubrel", packetId: 1, reasonCode: 0x10 }, 5, RangeError);
  fails({ type: "unsuback", packetId: 1 }, 5, RangeError); // 5.0 needs codes
  fails({ type: "unsuback", packetId: 1, reasonCodes: [0] }, 4, TypeError);
  fails({ type: "disconnect", reasonCode: 0x01 }, 5, RangeError);
  fails({ type: "disconnect", reasonCode: 0x81 }, 4, TypeError);
  fails({ type: "auth", reasonCode: 0x01 }, 5, RangeError);
});

Deno.test("encodePacket() writes the shortest 5.0 acknowledgements, as Mosquitto does", () => {
  const hex = (p: Packet) => encodeHex(encodePacket(p, 5));
  assert.equal(hex({ type: "puback", packetId: 1, reasonCode: 0 }), "40020001");
  assert.equal(hex({ type: "puback", packetId: 1 }), "40020001");
  assert.equal(
    hex({ type: "pubrec", packetId: 1, reasonCode: 0x10 }),
    "5003000110",
  );
  assert.equal(
    hex({ type: "pubcomp", packetId: 1, properties: { reasonString: "x" } }),
    "7008000100041f000178",
  );
  assert.equal(hex({ type: "disconnect" }), "e000");
  assert.equal(hex({ type: "disconnect", reasonCode: 0x8b }), "e0018b");
  assert.equal(hex({ type: "auth" }), "f0020000");
});

Deno.test("encodePublishInto() writes into a caller's buffer without allocating", () => {
  const packets: PublishPacket[] = [
    publish,
    {
      ...publish,
      qos: 2,
      packetId: 7,
      retain: true,
      properties: { topicAlias: 3 },
    },
  ];
  for (const version of [4, 5] as const) {
    for (const p of packets) {
      if (version === 4 && p.properties !== undefined) continue;
      const expected = encodePublish(p, version);
      assert.equal(publishSize(p, version), expected.length);
      const out = new Uint8Array(expected.length + 10);
      assert.equal(
        encodePublishInto(p, { version, target: out, offset: 5 }),
        expected.length,
      );
      assert.deepEqual(out.subarray(5, 5 + expected.length), expected);
      assert.equal(
        encodePublishInto(p, { version, target: out, offset: 11 }),
        -1,
      );
    }
  }
});
