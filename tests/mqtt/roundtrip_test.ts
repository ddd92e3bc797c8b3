/**
 * Property-based round trips (fast-check): any valid PUBLISH, SUBSCRIBE and
 * CONNECT encodes, decodes back to itself, and decodes the same through the
 * stream decoder at a random split.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ConnectPacket,
  type ConnectProperties,
  decodePacket,
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
  type PublishPacket,
  type PublishProperties,
  type QoS,
  type SubscribePacket,
  type Subscription,
  type UserProperty,
  type WillProperties,
} from "../../src/mqtt/mod.ts";

const RUNS = { numRuns: 150, seed: 20261123 };

/** MQTT strings: any Unicode scalar values except U+0000. */
const text = (maxLength = 20) =>
  fc.string({ unit: "binary", maxLength }).filter((s) => !s.includes("\0"));
const topicLevel = fc.string({ unit: "binary", maxLength: 6 }).filter((s) =>
  !/[\0+#/]/.test(s)
);
const topicName = fc.array(topicLevel, { minLength: 1, maxLength: 4 })
  .map((levels) => levels.join("/"))
  .filter((t) => t.length > 0);
const topicFilter = fc.tuple(
  fc.array(fc.oneof(topicLevel, fc.constant("+")), {
    minLength: 1,
    maxLength: 4,
  }),
  fc.boolean(),
).map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
  .filter((f) => f.length > 0);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 0xffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const userProperties = fc.array(
  fc.tuple(text(8), text(8)).map(([k, v]): UserProperty => [k, v]),
  { minLength: 1, maxLength: 3 },
);

/** Drops an empty properties object, as the decoder does. */
function withProps<T extends { properties?: object }>(packet: T): T {
  if (
    packet.properties !== undefined &&
    Object.keys(packet.properties).length === 0
  ) {
    delete packet.properties;
  }
  return packet;
}

const publishProperties: fc.Arbitrary<PublishProperties> = fc.record({
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  topicAlias: fc.integer({ min: 1, max: 0xffff }),
  responseTopic: topicName,
  correlationData: bytes(16),
  userProperties,
  subscriptionIdentifiers: fc.array(fc.integer({ min: 1, max: 268_435_455 }), {
    minLength: 1,
    maxLength: 3,
  }),
  contentType: text(),
}, { requiredKeys: [] }).map((p) => ({ ...p })); // plain prototype, as decoded

function publish(version: MqttVersion): fc.Arbitrary<PublishPacket> {
  return fc.record({
    topic: version === 5 ? fc.oneof(topicName, fc.constant("")) : topicName,
    payload: bytes(300),
    qos,
    retain: fc.boolean(),
    dup: fc.boolean(),
    packetId,
    properties: publishProperties,
  }).map((r) => {
    const p: PublishPacket = {
      type: "publish",
      topic: r.topic,
      payload: r.payload,
      qos: r.qos,
      retain: r.retain,
      dup: r.qos > 0 && r.dup,
    };
    if (r.qos > 0) p.packetId = r.packetId;
    if (version === 5) {
      p.properties = r.properties;
      if (r.topic === "") p.properties = { ...r.properties, topicAlias: 1 };
    }
    return withProps(p);
  });
}

function subscribe(version: MqttVersion): fc.Arbitrary<SubscribePacket> {
  const sub = fc.record({
    topicFilter: fc.oneof(
      { weight: 4, arbitrary: topicFilter },
      { weight: 1, arbitrary: topicFilter.map((f) => `$share/g1/${f}`) },
    ),
    qos,
    noLocal: fc.boolean(),
    retainAsPublished: fc.boolean(),
    retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  }).map((s): Subscription =>
    version === 5
      ? {
        ...s,
        noLocal: s.noLocal && !s.topicFilter.startsWith("$share/"),
      }
      : { topicFilter: s.topicFilter, qos: s.qos }
  );
  return fc.record({
    packetId,
    subscriptions: fc.array(sub, { minLength: 1, maxLength: 4 }),
    subscriptionIdentifier: fc.option(
      fc.integer({ min: 1, max: 268_435_455 }),
      {
        nil: undefined,
      },
    ),
    userProperties: fc.option(userProperties, { nil: undefined }),
  }).map((r) => {
    const p: SubscribePacket = {
      type: "subscribe",
      packetId: r.packetId,
      subscriptions: r.subscriptions,
    };
    if (version === 5) {
      p.properties = {};
      if (r.subscriptionIdentifier !== undefined) {
        p.properties.subscriptionIdentifiers = [r.subscriptionIdentifier];
      }
      if (r.userProperties !== undefined) {
        p.properties.userProperties = r.userProperties;
      }
    }
    return withProps(p);
  });
}

const connectProperties: fc.Arbitrary<ConnectProperties> = fc.record({
  sessionExpiryInterval: u32,
  receiveMaximum: fc.integer({ min: 1, max: 0xffff }),
  maximumPacketSize: fc.integer({ min: 1, max: 0xffff_ffff }),
  topicAliasMaximum: u16,
  requestResponseInformation: fc.boolean(),
  requestProblemInformation: fc.boolean(),
  userProperties,
  authenticationMethod: text(),
}, { requiredKeys: [] }).map((p) => ({ ...p }));

const willProperties: fc.Arbitrary<WillProperties> = fc.record({
  willDelayInterval: u32,
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: text(),
  responseTopic: topicName,
  correlationData: bytes(8),
  userProperties,
}, { requiredKeys: [] }).map((p) => ({ ...p }));

function connect(version: MqttVersion): fc.Arbitrary<ConnectPacket> {
  const clientId = version === 3
    ? fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 23 })
      .filter((s) => !s.includes("\0"))
    : text(30);
  return fc.record({
    clean: fc.boolean(),
    keepAlive: u16,
    clientId,
    username: fc.option(text(), { nil: undefined }),
    password: fc.option(bytes(20), { nil: undefined }),
    will: fc.option(
      fc.record({
        topic: topicName,
        payload: bytes(40),
        qos,
        retain: fc.boolean(),
        properties: willProperties,
      }),
      { nil: undefined },
    ),
    properties: connectProperties,
  }).map((r) => {
    const p: ConnectPacket = {
      type: "connect",
      protocolVersion: version,
      clean: r.clean || (version === 4 && r.clientId === ""),
      keepAlive: r.keepAlive,
      clientId: r.clientId,
    };
    if (r.username !== undefined) p.username = r.username;
    if (
      r.password !== undefined && (version === 5 || r.username !== undefined)
    ) {
      p.password = r.password;
    }
    if (r.will !== undefined) {
      const { properties, ...will } = r.will;
      p.will = version === 5 ? withProps({ ...will, properties }) : will;
    }
    if (version === 5) p.properties = r.properties;
    return withProps(p);
  });
}

function roundTrip(packet: Packet, version: MqttVersion, cut: number): void {
  const bytes = encodePacket(packet, version);
  assert.deepEqual(decodePacket(bytes, version), packet);
  const d = new MqttStreamDecoder({ version });
  const at = cut % (bytes.length + 1);
  d.push(bytes.subarray(0, at));
  const got = [...d];
  d.push(bytes.subarray(at));
  got.push(...d);
  assert.deepEqual(got, [packet]);
}

for (const version of [3, 4, 5] as const) {
  const name = version === 5 ? "5.0" : version === 4 ? "3.1.1" : "3.1";
  Deno.test(`encodePacket() and decodePacket() round-trip any ${name} PUBLISH`, () => {
    fc.assert(
      fc.property(
        publish(version),
        fc.nat(),
        (p, cut) => roundTrip(p, version, cut),
      ),
      RUNS,
    );
  });
  Deno.test(`encodePacket() and decodePacket() round-trip any ${name} SUBSCRIBE`, () => {
    fc.assert(
      fc.property(
        subscribe(version),
        fc.nat(),
        (p, cut) => roundTrip(p, version, cut),
      ),
      RUNS,
    );
  });
  Deno.test(`encodePacket() and decodePacket() round-trip any ${name} CONNECT`, () => {
    fc.assert(
      fc.property(
        connect(version),
        fc.nat(),
        (p, cut) => roundTrip(p, version, cut),
      ),
      RUNS,
    );
  });
}
