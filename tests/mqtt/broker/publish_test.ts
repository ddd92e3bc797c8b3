import assert from "node:assert/strict";
import type {
  AckPacket,
  DisconnectPacket,
  SubackPacket,
} from "../../../src/mqtt/mod.ts";
import { Harness, text } from "./_harness.ts";

for (const version of [4, 5] as const) {
  Deno.test(`QoS 0/1 v${version}: delivered with min(pub, sub) QoS [MQTT-3.8.4-8]`, () => {
    const h = new Harness();
    const sub = h.connect("sub", { version });
    sub.subscribe("t/#", { qos: 1 });
    const pub = h.connect("pub", { version });
    sub.take();
    pub.take();
    pub.publish("t/a", "zero");
    pub.publish("t/a", "one", { qos: 1, packetId: 9 });
    const acks = pub.take();
    assert.equal(acks[0]?.type, "puback");
    assert.equal((acks[0] as AckPacket<"puback">).packetId, 9);
    const got = sub.publishes();
    assert.deepEqual(got.map((p) => [text(p.payload), p.qos]), [
      ["zero", 0],
      ["one", 1],
    ]);
    assert.equal(got[1]?.dup, false);
    assert.equal(typeof got[1]?.packetId, "number");
  });

  Deno.test(`QoS 2 v${version}: exactly once, duplicate before PUBREL not delivered twice [MQTT-4.3.3-10]`, () => {
    const h = new Harness();
    const sub = h.connect("sub", { version });
    sub.subscribe("q2", { qos: 2 });
    const pub = h.connect("pub", { version });
    sub.take();
    pub.take();
    pub.publish("q2", "m", { qos: 2, packetId: 5 });
    pub.publish("q2", "m", { qos: 2, packetId: 5, dup: true });
    assert.deepEqual(pub.take().map((p) => p.type), ["pubrec", "pubrec"]);
    pub.send({ type: "pubrel", packetId: 5 });
    assert.deepEqual(pub.take().map((p) => p.type), ["pubcomp"]);
    pub.publish("q2", "m2", { qos: 2, packetId: 5 }); // id free again
    const got = sub.publishes();
    assert.deepEqual(got.map((p) => text(p.payload)), ["m", "m2"]);
    // outgoing flow: PUBREC → PUBREL → PUBCOMP
    const id = got[0]?.packetId as number;
    sub.send({ type: "pubrec", packetId: id });
    assert.deepEqual(sub.take().map((p) => p.type), ["pubrel"]);
    sub.send({ type: "pubcomp", packetId: id });
    assert.equal(sub.take().length, 0);
  });

  Deno.test(`ordering v${version}: messages on one topic arrive in order [MQTT-4.6.0-5]`, () => {
    const h = new Harness();
    const sub = h.connect("sub", { version });
    sub.subscribe("o", { qos: 1 });
    const pub = h.connect("pub", { version });
    for (let i = 0; i < 50; i++) {
      pub.publish("o", String(i), { qos: (i % 2) as 0 | 1 });
    }
    const got = sub.publishes().map((p) => Number(text(p.payload)));
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
  });

  Deno.test(`retained v${version}: set, delivered on subscribe with RETAIN 1, cleared by empty payload [MQTT-3.3.1-10]`, () => {
    const h = new Harness();
    const pub = h.connect("pub", { version });
    pub.publish("r/1", "v1", { retain: true, qos: 1 });
    pub.publish("r/2", "v2", { retain: true });
    assert.equal(h.broker.retainedCount, 2);
    pub.publish("r/2", "", { retain: true });
    assert.equal(h.broker.retainedCount, 1); // [MQTT-3.3.1-11]
    const sub = h.connect("sub", { version });
    sub.subscribe("r/+", { qos: 1 });
    const got = sub.take();
    assert.equal(got[1]?.type, "suback");
    const p = got[2];
    assert.ok(p?.type === "publish");
    assert.equal(p.retain, true);
    assert.equal(text(p.payload), "v1");
    // a live retained publish to an existing subscriber has RETAIN 0 [MQTT-3.3.1-12]
    pub.publish("r/1", "v3", { retain: true });
    assert.equal(sub.publishes()[0]?.retain, false);
  });

  Deno.test(`$-topics v${version}: not matched by a leading wildcard [MQTT-4.7.2-1]`, () => {
    const h = new Harness();
    const all = h.connect("all", { version });
    all.subscribe("#");
    const sys = h.connect("sys", { version });
    sys.subscribe("$SYS/#");
    h.broker.publish(h.now, {
      topic: "$SYS/x",
      payload: new Uint8Array([1]),
      qos: 0,
      retain: false,
    });
    h.flush();
    assert.equal(all.publishes().length, 0);
    assert.equal(sys.publishes().length, 1);
  });

  Deno.test(`shared subscriptions v${version}: round robin, one delivery per group [MQTT-4.8.2-3]`, () => {
    const h = new Harness();
    const a = h.connect("a", { version });
    const b = h.connect("b", { version });
    const c = h.connect("c", { version });
    a.subscribe("$share/g/s/#");
    b.subscribe("$share/g/s/#");
    c.subscribe("s/#");
    const pub = h.connect("pub", { version });
    for (let i = 0; i < 10; i++) pub.publish("s/x", String(i));
    const na = a.publishes().length;
    const nb = b.publishes().length;
    assert.equal(na + nb, 10);
    assert.equal(na, 5);
    assert.equal(c.publishes().length, 10);
  });

  Deno.test(`ACL v${version}: refused subscribe and publish get the right codes`, () => {
    const h = new Harness({
      auth: {
        authorizePublish: (_s, topic) => !topic.startsWith("deny/"),
        authorizeSubscribe: (_s, filter) => !filter.startsWith("deny/"),
      },
    });
    const sub = h.connect("sub", { version });
    sub.take();
    sub.send({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "deny/#", qos: 1 }, {
        topicFilter: "#",
        qos: 1,
      }],
    });
    const suback = sub.take()[0] as SubackPacket;
    assert.deepEqual(suback.reasonCodes, [version === 5 ? 0x87 : 0x80, 1]);
    const pub = h.connect("pub", { version });
    pub.take();
    pub.publish("deny/x", "a", { qos: 1, packetId: 3 });
    pub.publish("deny/x", "b", { qos: 2, packetId: 4 });
    pub.publish("deny/x", "c");
    const acks = pub.take() as AckPacket<"puback" | "pubrec">[];
    assert.deepEqual(acks.map((a) => a.type), ["puback", "pubrec"]);
    if (version === 5) {
      assert.deepEqual(acks.map((a) => a.reasonCode), [0x87, 0x87]);
    }
    assert.equal(sub.publishes().length, 0);
  });
}

Deno.test("overlapping subscriptions v5: one delivery, max QoS, all subscription ids [MQTT-3.3.4-3]", () => {
  const h = new Harness();
  const sub = h.connect("sub", { version: 5 });
  sub.subscribe("a/+", { qos: 0, id: 1 });
  sub.subscribe("a/#", { qos: 1, id: 2 });
  const pub = h.connect("pub", { version: 5 });
  pub.publish("a/b", "x", { qos: 1 });
  const got = sub.publishes();
  assert.equal(got.length, 1);
  assert.equal(got[0]?.qos, 1);
  assert.deepEqual(
    got[0]?.properties?.subscriptionIdentifiers?.slice().sort(),
    [1, 2],
  );
});

Deno.test("no local v5: own publications not delivered [MQTT-3.8.3-3]", () => {
  const h = new Harness();
  const me = h.connect("me", { version: 5 });
  me.subscribe("n", { noLocal: true });
  const other = h.connect("other", { version: 5 });
  other.subscribe("n");
  me.take();
  other.take();
  me.publish("n", "x");
  assert.equal(me.publishes().length, 0);
  assert.equal(other.publishes().length, 1);
});

Deno.test("retain handling v5: 1 only for a new subscription, 2 never, RAP keeps the flag", () => {
  const h = new Harness();
  const pub = h.connect("pub", { version: 5 });
  pub.publish("r", "v", { retain: true });
  const s = h.connect("s", { version: 5 });
  s.subscribe("r", { retainHandling: 1 });
  assert.equal(s.publishes().length, 1);
  s.subscribe("r", { retainHandling: 1 });
  assert.equal(s.publishes().length, 0);
  s.subscribe("r", { retainHandling: 0 }); // [MQTT-3.8.4-3] replaced, resent
  assert.equal(s.publishes().length, 1);
  const t = h.connect("t", { version: 5 });
  t.subscribe("r", { retainHandling: 2, retainAsPublished: true });
  assert.equal(t.publishes().length, 0);
  pub.publish("r", "w", { retain: true });
  assert.equal(t.publishes()[0]?.retain, true); // [MQTT-3.3.1-12] retain as published
});

Deno.test("topic alias v5: inbound alias maps, invalid alias gets DISCONNECT 0x94", () => {
  const h = new Harness();
  const sub = h.connect("sub", { version: 5 });
  sub.subscribe("long/topic/name");
  const pub = h.connect("pub", { version: 5 });
  pub.publish("long/topic/name", "1", { properties: { topicAlias: 3 } });
  pub.publish("", "2", { properties: { topicAlias: 3 } });
  const got = sub.publishes();
  assert.deepEqual(got.map((p) => [p.topic, text(p.payload)]), [
    ["long/topic/name", "1"],
    ["long/topic/name", "2"],
  ]);
  assert.equal(got[0]?.properties?.topicAlias, undefined);
  pub.take();
  pub.publish("x", "3", { properties: { topicAlias: 11 } });
  assert.equal((pub.take()[0] as DisconnectPacket).reasonCode, 0x94);
  assert.equal(pub.closed, true);
});

Deno.test("topic alias v5: unmapped alias is a protocol error", () => {
  const h = new Harness();
  const pub = h.connect("pub", { version: 5 });
  pub.take();
  pub.publish("", "x", { properties: { topicAlias: 2 } });
  assert.equal((pub.take()[0] as DisconnectPacket).reasonCode, 0x82);
});

Deno.test("receive maximum v5: outgoing window respected, rest queued in order [MQTT-3.3.4-7]", () => {
  const h = new Harness();
  const sub = h.connect("sub", {
    version: 5,
    properties: { receiveMaximum: 2 },
  });
  sub.subscribe("w", { qos: 1 });
  const pub = h.connect("pub", { version: 5 });
  for (let i = 0; i < 5; i++) pub.publish("w", String(i), { qos: 1 });
  let got = sub.publishes();
  assert.deepEqual(got.map((p) => text(p.payload)), ["0", "1"]);
  const all: string[] = got.map((p) => text(p.payload));
  while (got.length > 0) {
    for (const p of got) {
      sub.send({ type: "puback", packetId: p.packetId as number });
    }
    got = sub.publishes();
    assert.ok(got.length <= 2);
    all.push(...got.map((p) => text(p.payload)));
  }
  assert.deepEqual(all, ["0", "1", "2", "3", "4"]);
});

Deno.test("receive maximum v5: incoming QoS 2 over our maximum gets DISCONNECT 0x93", () => {
  const h = new Harness({ limits: { receiveMaximum: 2 } });
  const pub = h.connect("pub", { version: 5 });
  pub.take();
  pub.publish("x", "1", { qos: 2 });
  pub.publish("x", "2", { qos: 2 });
  pub.publish("x", "3", { qos: 2 });
  const got = pub.take();
  assert.equal((got[2] as DisconnectPacket).reasonCode, 0x93);
});

Deno.test("message expiry v5: interval decremented on delivery, expired queued messages dropped [MQTT-3.3.2-5]", () => {
  const h = new Harness();
  const sub = h.connect("sub", {
    version: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  sub.subscribe("e", { qos: 1 });
  sub.drop();
  const pub = h.connect("pub", { version: 5 });
  pub.publish("e", "short", {
    qos: 1,
    properties: { messageExpiryInterval: 5 },
  });
  pub.publish("e", "long", {
    qos: 1,
    properties: { messageExpiryInterval: 100 },
  });
  h.advance(10_000);
  const back = h.connect("sub", {
    version: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  const got = back.publishes();
  assert.deepEqual(got.map((p) => text(p.payload)), ["long"]);
  assert.equal(got[0]?.properties?.messageExpiryInterval, 90); // [MQTT-3.3.2-6]
});

Deno.test("request/response v5: response topic, correlation data and user properties pass through", () => {
  const h = new Harness();
  const sub = h.connect("sub", { version: 5 });
  sub.subscribe("req");
  const pub = h.connect("pub", { version: 5 });
  pub.publish("req", "x", {
    properties: {
      responseTopic: "resp/1",
      correlationData: new Uint8Array([7]),
      userProperties: [["k", "v"]],
      contentType: "text/plain",
    },
  });
  const p = sub.publishes()[0];
  assert.equal(p?.properties?.responseTopic, "resp/1");
  assert.deepEqual(p?.properties?.correlationData, new Uint8Array([7]));
  assert.deepEqual(p?.properties?.userProperties, [["k", "v"]]);
  assert.equal(p?.properties?.contentType, "text/plain");
});

Deno.test("maximum packet size v5: packets over the client's maximum are dropped [MQTT-3.1.2-25]", () => {
  const h = new Harness();
  const sub = h.connect("sub", {
    version: 5,
    properties: { maximumPacketSize: 64 },
  });
  sub.subscribe("big", { qos: 1 });
  const pub = h.connect("pub", { version: 5 });
  pub.publish("big", "x".repeat(100), { qos: 1 });
  pub.publish("big", "small", { qos: 1 });
  assert.deepEqual(sub.publishes().map((p) => text(p.payload)), ["small"]);
  assert.equal(h.broker.stats.publishDropped, 1);
});

Deno.test("PUBLISH fan-out: QoS 1 packet ids are per subscriber", () => {
  const h = new Harness();
  const subs = Array.from({ length: 5 }, (_, i) => {
    const c = h.connect(`s${i}`, { version: 4 });
    c.subscribe("f", { qos: 1 });
    return c;
  });
  subs[2]?.publish("other", "x", { qos: 1 }); // bump nothing, just traffic
  const pub = h.connect("pub", { version: 4 });
  pub.publish("f", "m", { qos: 1 });
  for (const s of subs) {
    const p = s.publishes()[0];
    assert.equal(p?.qos, 1);
    assert.equal(p?.packetId, 1);
    assert.equal(text(p?.payload ?? new Uint8Array()), "m");
  }
});
