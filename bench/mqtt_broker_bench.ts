/**
 * Broker core throughput without sockets: encoded PUBLISH batches go in
 * through `handleInput`, output is drained with `pollTransmit`. Each
 * iteration moves BATCH messages; messages/s = BATCH / (time per iteration).
 * Target (ANCHORS.md): Mosquitto moves 166,000 QoS 0 msg/s 1→1 at 64 B.
 *
 *   deno bench --allow-all bench/mqtt_broker_bench.ts
 */
import { Broker } from "../src/mqtt/broker/mod.ts";
import { encodePacket, type QoS } from "../src/mqtt/mod.ts";

const BATCH = 1000;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function setup(subscribers: number, qos: QoS) {
  const broker = new Broker({
    sysInterval: 0,
    limits: { maxInflight: 65535, maxQueuedMessages: 1_000_000 },
  });
  const subs: number[] = [];
  for (let i = 0; i < subscribers; i++) {
    const id = broker.openConnection(0, {
      remoteAddress: "s",
      transport: "tcp",
    });
    broker.handleInput(
      0,
      id,
      encodePacket({
        type: "connect",
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: `sub${i}`,
      }, 4),
    );
    broker.handleInput(
      0,
      id,
      encodePacket({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "bench/+/data", qos }],
      }, 4),
    );
    subs.push(id);
  }
  const pub = broker.openConnection(0, {
    remoteAddress: "p",
    transport: "tcp",
  });
  broker.handleInput(
    0,
    pub,
    encodePacket({
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId: "pub",
    }, 4),
  );
  while (broker.pollTransmit() !== undefined);
  return { broker, subs, pub };
}

function publishBatch(n: number, qos: QoS): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(encodePacket({
      type: "publish",
      topic: "bench/device-1/data",
      payload: new Uint8Array(64).fill(0x61),
      qos,
      retain: false,
      dup: false,
      ...(qos > 0 ? { packetId: 1 + (i % 65535) } : {}),
    }, 4));
  }
  return concat(parts);
}

{
  const { broker, pub } = setup(1, 0);
  const batch = publishBatch(BATCH, 0);
  Deno.bench(`QoS 0 1→1 64 B (${BATCH} msgs/iter)`, {
    group: "broker",
    baseline: true,
  }, () => {
    broker.handleInput(0, pub, batch);
    while (broker.pollTransmit() !== undefined);
  });
}

{
  const { broker, pub, subs } = setup(1, 1);
  const sub = subs[0] as number;
  const batch = publishBatch(BATCH, 1);
  const acks = new Uint8Array(4 * BATCH);
  let nextId = 1;
  Deno.bench(`QoS 1 1→1 64 B (${BATCH} msgs/iter, PUBACKs both ways)`, {
    group: "broker",
  }, () => {
    broker.handleInput(0, pub, batch);
    while (broker.pollTransmit() !== undefined);
    for (let i = 0; i < BATCH; i++) {
      acks[4 * i] = 0x40;
      acks[4 * i + 1] = 2;
      acks[4 * i + 2] = nextId >> 8;
      acks[4 * i + 3] = nextId & 0xff;
      nextId = nextId === 0xffff ? 1 : nextId + 1;
    }
    broker.handleInput(0, sub, acks);
    while (broker.pollTransmit() !== undefined);
  });
}

{
  const n = BATCH / 100;
  const { broker, pub } = setup(100, 0);
  const batch = publishBatch(n, 0);
  Deno.bench(`QoS 0 1→100 fan-out 64 B (${n} msgs in, ${n * 100} out/iter)`, {
    group: "broker",
  }, () => {
    broker.handleInput(0, pub, batch);
    while (broker.pollTransmit() !== undefined);
  });
}
