import assert from "node:assert/strict";
import { MemorySessionStore } from "../../../src/mqtt/broker/mod.ts";
import type { PublishPacket } from "../../../src/mqtt/mod.ts";
import { Harness, text } from "./_harness.ts";

const WILL = {
  topic: "will/t",
  payload: new TextEncoder().encode("gone"),
  qos: 1 as const,
  retain: false,
};

for (const version of [4, 5] as const) {
  const persistent = version === 5
    ? { clean: false, properties: { sessionExpiryInterval: 3600 } }
    : { clean: false };

  Deno.test(`persistent session v${version}: queued QoS 1 delivered and unacked resent with DUP [MQTT-4.4.0-1]`, () => {
    const h = new Harness();
    const sub = h.connect("sub", { version, ...persistent });
    sub.subscribe("p", { qos: 1 });
    const pub = h.connect("pub", { version });
    pub.publish("p", "unacked", { qos: 1 });
    const first = sub.publishes()[0] as PublishPacket;
    assert.equal(first.dup, false);
    sub.drop();
    pub.publish("p", "queued", { qos: 1 });
    pub.publish("p", "qos0-offline", { qos: 0 });
    const back = h.connect("sub", { version, ...persistent });
    const got = back.publishes();
    assert.deepEqual(got.map((p) => [text(p.payload), p.dup]), [
      ["unacked", true],
      ["queued", false],
    ]);
    assert.equal(got[0]?.packetId, first.packetId);
  });

  Deno.test(`will v${version}: published on abrupt close, not after DISCONNECT 0x00 [MQTT-3.1.2-10]`, () => {
    const h = new Harness();
    const watcher = h.connect("w", { version });
    watcher.subscribe("will/#", { qos: 1 });
    const a = h.connect("a", { version, will: WILL });
    a.drop();
    assert.deepEqual(watcher.publishes().map((p) => text(p.payload)), ["gone"]);
    const b = h.connect("b", { version, will: WILL });
    b.send({ type: "disconnect" });
    assert.equal(watcher.publishes().length, 0);
  });

  Deno.test(`will v${version}: published on keep-alive timeout`, () => {
    const h = new Harness();
    const watcher = h.connect("w", { version });
    watcher.subscribe("will/#");
    h.connect("a", { version, will: WILL, keepAlive: 2 });
    h.advance(3000);
    assert.equal(watcher.publishes().length, 1);
  });

  Deno.test(`session expiry v${version}: clean session state removed on disconnect`, () => {
    const h = new Harness();
    const a = h.connect("a", { version });
    a.subscribe("x");
    assert.equal(h.broker.sessionCount, 1);
    a.drop();
    assert.equal(h.broker.sessionCount, 0);
  });

  Deno.test(`backpressure v${version}: non-writable subscriber queue bounded, QoS 0 dropped first, others unaffected`, () => {
    const h = new Harness({ limits: { maxQueuedMessages: 4 } });
    const slow = h.connect("slow", { version });
    slow.subscribe("b", { qos: 1 });
    const fast = h.connect("fast", { version });
    fast.subscribe("b", { qos: 1 });
    slow.take();
    h.broker.setWritable(slow.id, false);
    const pub = h.connect("pub", { version });
    pub.publish("b", "q0-a");
    pub.publish("b", "q1-a", { qos: 1 });
    pub.publish("b", "q0-b");
    pub.publish("b", "q1-b", { qos: 1 });
    pub.publish("b", "q1-c", { qos: 1 }); // drops q0-a
    pub.publish("b", "q1-d", { qos: 1 }); // drops q0-b
    pub.publish("b", "q0-c"); // dropped: queue full of QoS 1
    assert.equal(fast.publishes().length, 7);
    assert.equal(slow.take().length, 0);
    assert.equal(h.broker.stats.publishDropped, 3);
    h.broker.setWritable(slow.id, true, h.now);
    h.flush();
    assert.deepEqual(slow.publishes().map((p) => text(p.payload)), [
      "q1-a",
      "q1-b",
      "q1-c",
      "q1-d",
    ]);
  });
}

Deno.test("will delay v5: cancelled by a reconnect within the delay [MQTT-3.1.3-9]", () => {
  const h = new Harness();
  const watcher = h.connect("w", { version: 5 });
  watcher.subscribe("will/#");
  const will = { ...WILL, properties: { willDelayInterval: 10 } };
  const props = { sessionExpiryInterval: 100 };
  const a = h.connect("a", {
    version: 5,
    clean: false,
    will,
    properties: props,
  });
  a.drop();
  h.advance(5000);
  h.connect("a", { version: 5, clean: false, properties: props });
  h.advance(10_000);
  assert.equal(watcher.publishes().length, 0);
});

Deno.test("will delay v5: published after the delay", () => {
  const h = new Harness();
  const watcher = h.connect("w", { version: 5 });
  watcher.subscribe("will/#");
  const will = { ...WILL, properties: { willDelayInterval: 10 } };
  const a = h.connect("a", {
    version: 5,
    clean: false,
    will,
    properties: { sessionExpiryInterval: 100 },
  });
  a.drop();
  h.advance(9_999);
  assert.equal(watcher.publishes().length, 0);
  h.advance(1);
  assert.equal(watcher.publishes().length, 1);
});

Deno.test("will v5: DISCONNECT 0x04 publishes the will", () => {
  const h = new Harness();
  const watcher = h.connect("w", { version: 5 });
  watcher.subscribe("will/#");
  const a = h.connect("a", { version: 5, will: WILL });
  a.send({ type: "disconnect", reasonCode: 0x04 });
  assert.equal(watcher.publishes().length, 1);
});

Deno.test("session expiry v5: state removed after the interval", () => {
  const h = new Harness();
  const a = h.connect("a", {
    version: 5,
    clean: false,
    properties: { sessionExpiryInterval: 5 },
  });
  a.subscribe("x", { qos: 1 });
  a.drop();
  h.advance(4_999);
  assert.equal(h.broker.sessionCount, 1);
  h.advance(1);
  assert.equal(h.broker.sessionCount, 0);
  const b = h.connect("a", {
    version: 5,
    clean: false,
    properties: { sessionExpiryInterval: 5 },
  });
  const ack = b.take()[0];
  assert.ok(ack?.type === "connack" && ack.sessionPresent === false);
});

Deno.test("DISCONNECT v5: session expiry after CONNECT 0 is a protocol error [MQTT-3.14.2-2]", () => {
  const h = new Harness();
  const a = h.connect("a", { version: 5 });
  a.take();
  a.send({ type: "disconnect", properties: { sessionExpiryInterval: 10 } });
  const got = a.take()[0];
  assert.ok(got?.type === "disconnect" && got.reasonCode === 0x82);
});

Deno.test("store: write-behind batches, restore brings sessions and retained back", () => {
  const store = new MemorySessionStore();
  const h = new Harness({ store, persistInterval: 100 });
  const sub = h.connect("sub", { version: 4, clean: false });
  sub.subscribe("s/#", { qos: 1 });
  sub.drop();
  const pub = h.connect("pub", { version: 4 });
  pub.publish("s/1", "kept", { qos: 1 });
  pub.publish("s/r", "ret", { retain: true });
  assert.equal(store.writes, 0);
  h.advance(100);
  assert.equal(store.writes, 1);
  const snap = store.load();
  assert.equal(snap.sessions.length, 1);
  assert.equal(snap.sessions[0]?.queue.length, 1);
  assert.equal(snap.retained.length, 1);

  const h2 = new Harness({ store });
  h2.broker.restore(store.load(), 0);
  const back = h2.connect("sub", { version: 4, clean: false });
  const got = back.take();
  assert.ok(got[0]?.type === "connack" && got[0].sessionPresent);
  assert.deepEqual(
    got.filter((p) => p.type === "publish").map((p) =>
      p.type === "publish" ? text(p.payload) : ""
    ),
    ["kept"],
  );
  back.subscribe("s/r");
  assert.equal(back.publishes().length, 1);
});

Deno.test("store: async writes are ordered, never overlapping", async () => {
  const order: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    load: () => ({ sessions: [], retained: [] }),
    write: async (ops: unknown[]) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      order.push(ops.length);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    },
  };
  const h = new Harness({ store, persistInterval: 10 });
  h.broker.publish(0, {
    topic: "a",
    payload: new Uint8Array([1]),
    qos: 0,
    retain: true,
  });
  h.advance(10);
  h.broker.publish(h.now, {
    topic: "b",
    payload: new Uint8Array([1]),
    qos: 0,
    retain: true,
  });
  h.advance(10); // previous batch still in flight: postponed
  await new Promise((r) => setTimeout(r, 20));
  h.advance(10);
  assert.equal(maxInFlight, 1);
  assert.deepEqual(order, [1, 1]);
});

Deno.test("$SYS: statistics published periodically as retained messages", () => {
  const h = new Harness({ sysInterval: 10 });
  h.broker.handleTimeout(0);
  const c = h.connect("watch", { version: 4 });
  c.subscribe("$SYS/broker/#");
  c.take();
  h.advance(10_000);
  const topics = new Map(
    c.publishes().map((p) => [p.topic, text(p.payload)]),
  );
  assert.equal(topics.get("$SYS/broker/clients/connected"), "1");
  assert.equal(topics.get("$SYS/broker/uptime"), "10 seconds");
  assert.equal(topics.get("$SYS/broker/subscriptions/count"), "1");
  assert.ok(topics.has("$SYS/broker/messages/received"));
  assert.ok(topics.has("$SYS/broker/bytes/sent"));
  assert.ok(topics.has("$SYS/broker/retained messages/count"));
  assert.ok(topics.has("$SYS/broker/load/publish/received/1min"));
  assert.match(topics.get("$SYS/broker/version") ?? "", /^postern /);
});

Deno.test("store: in-flight state of a connected persistent session is written behind", () => {
  const store = new MemorySessionStore();
  const h = new Harness({ store, persistInterval: 100 });
  const sub = h.connect("sub", { version: 4, clean: false });
  sub.subscribe("s", { qos: 1 });
  h.advance(200);
  const before = store.writes;
  const pub = h.connect("pub", { version: 4 });
  pub.publish("s", "m", { qos: 1 });
  h.advance(100);
  assert.ok(store.writes > before);
  assert.equal(store.load().sessions[0]?.inflight.length, 1);
  const id = sub.publishes()[0]?.packetId as number;
  sub.send({ type: "puback", packetId: id });
  h.advance(100);
  assert.equal(store.load().sessions[0]?.inflight.length, 0);
});

Deno.test("MQTT 3.1 (MQIsdp) clients connect, subscribe and receive", () => {
  const h = new Harness();
  const sub = h.connect("old-sub", { version: 3 });
  sub.subscribe("legacy", { qos: 1 });
  const pub = h.connect("old-pub", { version: 3 });
  pub.publish("legacy", "hi", { qos: 1 });
  assert.deepEqual(sub.publishes().map((p) => text(p.payload)), ["hi"]);
});
