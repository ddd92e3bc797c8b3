/**
 * MQTT keep-alive and session expiry on the shared session sweeper, driven
 * by a virtual clock: the broker's own timers no longer end connections or
 * sessions; the sweeper's `mqtt/keep_alive` and `mqtt/session_expiry` kinds
 * do, and count what they removed.
 */
import assert from "node:assert/strict";
import { Broker, type BrokerOptions } from "../../src/mqtt/broker/mod.ts";
import { encodePacket, type Packet } from "../../src/mqtt/mod.ts";
import {
  IdleIndex,
  SessionSweeper,
  type SweepReport,
} from "../../src/sessions/mod.ts";

class World {
  readonly broker: Broker;
  readonly sweeper = new SessionSweeper();
  readonly closed = new Set<number>();
  readonly out = new Map<number, Uint8Array[]>();
  readonly reports: SweepReport[] = [];
  now = 0;

  constructor(options: BrokerOptions = {}) {
    this.broker = new Broker({ sysInterval: 0, ...options });
    for (
      const t of this.broker.sweepTargets({
        keepAliveMs: 1000,
        sessionsMs: 5000,
        afterSweep: () => this.drain(),
      })
    ) this.sweeper.register(t, 0);
  }

  connect(packet: Packet, version: 4 | 5): number {
    const id = this.broker.openConnection(this.now, {
      remoteAddress: "192.0.2.1:1",
      transport: "tcp",
    });
    this.broker.handleInput(this.now, id, encodePacket(packet, version));
    this.drain();
    return id;
  }

  drain(): void {
    for (
      let t = this.broker.pollTransmit();
      t;
      t = this.broker.pollTransmit()
    ) {
      const list = this.out.get(t.connection) ?? [];
      list.push(t.bytes);
      this.out.set(t.connection, list);
    }
    for (let e = this.broker.pollEvent(); e; e = this.broker.pollEvent()) {
      if (e.kind === "close") {
        this.closed.add(e.connection);
        this.broker.connectionClosed(this.now, e.connection);
      }
    }
  }

  /** Runs broker timers and due sweeps up to `to`. */
  runTo(to: number): void {
    for (;;) {
      const next = Math.min(
        this.sweeper.nextTimeout() ?? Infinity,
        this.broker.nextTimeout() ?? Infinity,
      );
      if (next > to) break;
      this.now = next;
      this.broker.handleTimeout(this.now);
      this.reports.push(...this.sweeper.handleTimeout(this.now));
      this.drain();
    }
    this.now = to;
  }
}

Deno.test("keep-alive runs on the sweeper: the broker's timers alone never close an idle client", () => {
  const broker = new Broker({ sysInterval: 0 });
  const id = broker.openConnection(0, {
    remoteAddress: "::1",
    transport: "tcp",
  });
  broker.handleInput(
    0,
    id,
    encodePacket({
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 10,
      clientId: "k",
    }, 4),
  );
  assert.equal(broker.nextTimeout(), undefined);
  broker.handleTimeout(60_000);
  assert.equal(broker.hasConnection(id), true);
  assert.equal(broker.sweepKeepAlive(60_000), 1);
  assert.equal(broker.hasConnection(id), false);
});

Deno.test("mqtt/keep_alive closes a silent client at the first sweep after 1.5 × keep alive and counts it", () => {
  const w = new World();
  const quiet = w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: true,
    keepAlive: 4,
    clientId: "quiet",
  }, 5);
  const chatty = w.connect({
    type: "connect",
    protocolVersion: 4,
    clean: true,
    keepAlive: 4,
    clientId: "chatty",
  }, 4);
  for (let t = 2000; t <= 12_000; t += 2000) {
    w.runTo(t);
    w.broker.handleInput(t, chatty, encodePacket({ type: "pingreq" }, 4));
    w.drain();
    if (t === 5000) assert.equal(w.closed.has(quiet), false);
  }
  assert.equal(w.closed.has(quiet), true);
  assert.equal(w.closed.has(chatty), false);
  const closing = w.reports.find((r) => r.removed > 0);
  assert.deepEqual(closing, {
    target: "mqtt/keep_alive",
    at: 6000,
    removed: 1,
    removedTotal: 1,
  });
  const last = w.out.get(quiet)?.at(-1);
  assert.deepEqual(
    last,
    encodePacket({ type: "disconnect", reasonCode: 0x8d }, 5),
  );
  assert.deepEqual(w.sweeper.totals(), {
    "mqtt/keep_alive": 1,
    "mqtt/session_expiry": 0,
  });
});

Deno.test("mqtt/session_expiry ends a 5.0 session after its Session Expiry Interval, not before", () => {
  const w = new World();
  const id = w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: false,
    keepAlive: 0,
    clientId: "s",
    properties: { sessionExpiryInterval: 7 },
  }, 5);
  w.broker.connectionClosed(1000, id);
  assert.equal(w.broker.sweepDeadlines().sessionExpiry, 8000);
  w.runTo(9999);
  assert.equal(w.broker.sessionCount, 1); // due at 8000, next sweep at 10 000
  w.runTo(10_000);
  assert.equal(w.broker.sessionCount, 0);
  assert.deepEqual(w.sweeper.totals(), {
    "mqtt/keep_alive": 0,
    "mqtt/session_expiry": 1,
  });
});

Deno.test("mqtt/session_expiry keeps a session its client came back to", () => {
  const w = new World();
  const props = { sessionExpiryInterval: 2 };
  const a = w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: false,
    keepAlive: 0,
    clientId: "s",
    properties: props,
  }, 5);
  w.broker.connectionClosed(0, a);
  w.now = 1000;
  w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: false,
    keepAlive: 0,
    clientId: "s",
    properties: props,
  }, 5);
  w.runTo(20_000);
  assert.equal(w.broker.sessionCount, 1);
  assert.equal(w.sweeper.totals()["mqtt/session_expiry"], 0);
});

Deno.test("mqtt/session_expiry ends 3.1.1 persistent sessions after limits.persistentSessionExpiry", () => {
  const w = new World({ limits: { persistentSessionExpiry: 60 } });
  const id = w.connect({
    type: "connect",
    protocolVersion: 4,
    clean: false,
    keepAlive: 0,
    clientId: "p",
  }, 4);
  w.broker.connectionClosed(0, id);
  w.runTo(59_999);
  assert.equal(w.broker.sessionCount, 1);
  w.runTo(60_000);
  assert.equal(w.broker.sessionCount, 0);
  const forever = new World();
  const f = forever.connect({
    type: "connect",
    protocolVersion: 4,
    clean: false,
    keepAlive: 0,
    clientId: "p",
  }, 4);
  forever.broker.connectionClosed(0, f);
  forever.runTo(10 * 86_400_000);
  assert.equal(forever.broker.sessionCount, 1);
});

Deno.test("restored sessions expire through the sweeper", () => {
  const broker = new Broker({ sysInterval: 0 });
  broker.restore({
    sessions: [{
      clientId: "r",
      expiryInterval: 30,
      expiresAt: 30_000,
      subscriptions: [],
      inflight: [],
      queue: [],
      incomingQos2: [],
    }],
    retained: [],
  }, 0);
  assert.equal(broker.sweepDeadlines().sessionExpiry, 30_000);
  assert.equal(broker.sweepSessions(29_999), 0);
  assert.equal(broker.sweepSessions(30_000), 1);
  assert.equal(broker.sessionCount, 0);
});

Deno.test("$SYS/broker/sessions/<kind>/swept and /count carry the sweeper's figures after sweeps", () => {
  const w = new World({ publishedEvents: true });
  const dtls = new IdleIndex<string>();
  dtls.touch("a", 0);
  dtls.touch("b", 0);
  dtls.touch("c", 2500);
  w.sweeper.register({
    name: "dtls/default",
    intervalMs: 3000,
    sweep: (now) => dtls.takeIdle(now, 2000).length,
    size: () => dtls.size,
  }, 0);
  w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: true,
    keepAlive: 1,
    clientId: "quiet",
  }, 5);
  w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: true,
    keepAlive: 60,
    clientId: "other",
  }, 5);
  const persistent = w.connect({
    type: "connect",
    protocolVersion: 5,
    clean: false,
    keepAlive: 0,
    clientId: "away",
    properties: { sessionExpiryInterval: 3600 },
  }, 5);
  w.broker.connectionClosed(0, persistent);
  w.runTo(3000);
  w.broker.setSweepFigures(w.sweeper.figures());
  w.broker.publishSys(w.now);
  const sys = new Map<string, string>();
  for (let e = w.broker.pollEvent(); e; e = w.broker.pollEvent()) {
    if (e.kind === "published" && e.topic.startsWith("$SYS/broker/sessions/")) {
      sys.set(e.topic, new TextDecoder().decode(e.payload));
    }
  }
  assert.deepEqual(Object.fromEntries(sys), {
    "$SYS/broker/sessions/mqtt/keep_alive/swept": "1",
    "$SYS/broker/sessions/mqtt/keep_alive/count": "1",
    "$SYS/broker/sessions/mqtt/session_expiry/swept": "0",
    "$SYS/broker/sessions/mqtt/session_expiry/count": "1",
    "$SYS/broker/sessions/dtls/default/swept": "2",
    "$SYS/broker/sessions/dtls/default/count": "1",
  });
});
