/**
 * Seeded fuzzing of the broker core: valid packet streams of both protocol
 * versions are mutated and fed, split at random points, into several
 * connections. No exception may escape, a well-behaved client on another
 * connection keeps being served, and state stays bounded.
 */
import assert from "node:assert/strict";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import {
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const ITERATIONS = 2000;
const TIME_BUDGET_MS = 15_000;

function stream(version: MqttVersion, rng: SeededRandom): Uint8Array {
  const id = `f${rng.int(4)}`;
  const packets: Packet[] = [{
    type: "connect",
    protocolVersion: version,
    clean: rng.int(2) === 0,
    keepAlive: rng.int(3),
    clientId: id,
    ...(rng.int(3) === 0
      ? {
        will: {
          topic: "w/" + id,
          payload: new Uint8Array([1]),
          qos: 1 as const,
          retain: false,
        },
      }
      : {}),
    ...(version === 5
      ? { properties: { sessionExpiryInterval: rng.int(3) } }
      : {}),
  }, {
    type: "subscribe",
    packetId: 1,
    subscriptions: [{
      topicFilter: rng.pick(["a/#", "+/b", "$share/g/a/+", "#"]),
      qos: rng.pick([0, 1, 2] as const),
    }],
  }];
  for (let i = 0; i < 4; i++) {
    const qos = rng.pick([0, 1, 2] as const);
    packets.push({
      type: "publish",
      topic: rng.pick(["a/b", "a", "x/b"]),
      payload: rng.bytes(rng.int(20)),
      qos,
      retain: rng.int(4) === 0,
      dup: false,
      ...(qos > 0 ? { packetId: 1 + rng.int(5) } : {}),
      ...(version === 5 && rng.int(2) === 0
        ? {
          properties: { topicAlias: 1 + rng.int(3), messageExpiryInterval: 1 },
        }
        : {}),
    });
  }
  packets.push(
    { type: "pubrel", packetId: 1 + rng.int(5) },
    { type: "puback", packetId: 1 + rng.int(5) },
    { type: "pubrec", packetId: 1 + rng.int(5) },
    { type: "pubcomp", packetId: 1 + rng.int(5) },
    { type: "unsubscribe", packetId: 2, topicFilters: ["a/#"] },
    { type: "pingreq" },
  );
  if (rng.int(2) === 0) packets.push({ type: "disconnect" });
  const parts = packets.map((p) => encodePacket(p, version));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("Broker survives mutated input on several connections (seeded)", () => {
  const rng = new SeededRandom(0x5eed);
  const broker = new Broker({
    sysInterval: 5,
    limits: { maxQueuedMessages: 50, maxSessionExpiry: 60 },
  });
  let now = 0;
  const good = broker.openConnection(now, {
    remoteAddress: "good",
    transport: "tcp",
  });
  const goodDecoder = new MqttStreamDecoder({
    version: 5,
    expectConnect: false,
  });
  broker.handleInput(
    now,
    good,
    encodePacket({
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 0,
      clientId: "good",
    }, 5),
  );
  broker.handleInput(
    now,
    good,
    encodePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a/#", qos: 0 }],
    }, 5),
  );
  const started = performance.now();
  let iterations = 0;
  for (; iterations < ITERATIONS; iterations++) {
    if (performance.now() - started > TIME_BUDGET_MS) break;
    const ids: number[] = [];
    for (let k = 0; k < 3; k++) {
      const id = broker.openConnection(now, {
        remoteAddress: `fuzz${k}`,
        transport: "tcp",
      });
      ids.push(id);
      const version = rng.pick([3, 4, 5] as const);
      const base = stream(version === 3 ? 4 : version, rng);
      const input = rng.int(5) === 0
        ? rng.bytes(rng.int(64))
        : mutate(base, rng);
      let at = 0;
      while (at < input.length) {
        const n = 1 + rng.int(input.length - at);
        broker.handleInput(now, id, input.subarray(at, at + n)); // must not throw
        at += n;
      }
    }
    if (rng.int(3) === 0) broker.setWritable(ids[0] as number, false, now);
    now += rng.int(2000);
    broker.handleTimeout(now);
    broker.sweepKeepAlive(now);
    broker.sweepSessions(now);
    for (const id of ids) broker.connectionClosed(now, id, "end");
    broker.handleInput(now, good, encodePacket({ type: "pingreq" }, 5));
    let sawPing = false;
    let goodClosed = false;
    for (let t = broker.pollTransmit(); t; t = broker.pollTransmit()) {
      if (t.connection !== good) continue;
      goodDecoder.push(t.bytes);
      for (const p of goodDecoder) if (p.type === "pingresp") sawPing = true;
    }
    for (let e = broker.pollEvent(); e; e = broker.pollEvent()) {
      if (e.kind === "close" && e.connection === good) goodClosed = true;
      if (e.kind === "error") throw e.error;
    }
    assert.ok(sawPing, `iteration ${iterations}: good client not served`);
    assert.ok(!goodClosed, `iteration ${iterations}: good client closed`);
    assert.equal(broker.connectionCount, 1);
  }
  assert.ok(iterations > 100);
  assert.ok(broker.sessionCount <= 3 * 120, `sessions ${broker.sessionCount}`);
  broker.sweepSessions(now + 61_000); // every fuzz session expires
  assert.equal(broker.sessionCount, 1);
  assert.ok(broker.retainedCount <= 64, `retained ${broker.retainedCount}`);
});
