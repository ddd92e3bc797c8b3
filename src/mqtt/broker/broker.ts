/**
 * The sans-IO MQTT broker: bytes and the time go in, bytes to send, events
 * and the next deadline come out. An adapter owns the sockets and loops:
 *
 * ```
 *  socket data ─► handleInput(now, id, bytes)
 *  timer       ─► handleTimeout(now)             (also applies settled auth)
 *  socket end  ─► connectionClosed(now, id)
 *  then drain  ◄─ pollTransmit() until undefined (one chunk per connection)
 *              ◄─ pollEvent()    until undefined ("close": flush, then close)
 *  re-arm      ◄─ nextTimeout()
 *  sweeper     ─► sweepKeepAlive(now), sweepSessions(now)   then drain
 * ```
 *
 * Keep-alive (1.5 × keep alive) and session expiry are not on the broker's
 * timers: the server's one session sweeper (`src/sessions`) calls
 * `sweepKeepAlive` and `sweepSessions`, at its own interval, and
 * `sweepDeadlines()` says when there is something to sweep.
 *
 * Asynchronous `authenticate`: the broker emits `auth_pending` with a
 * `settled` promise; the adapter awaits it and calls `resume(now)` (or just
 * `handleTimeout(now)`), then drains as above. Input of that connection is
 * buffered meanwhile (bounded by `limits.maxPendingInput`).
 *
 * Backpressure: `setWritable(id, false)` makes new PUBLISH deliveries for
 * that session wait in its queue (bounded by `limits.maxQueuedMessages`;
 * QoS 0 is dropped first and counted); other sessions are not affected.
 * Bytes already handed to the output stay there.
 *
 * A fault in one connection (malformed input, a protocol violation, even a
 * bug) closes that connection only: nothing escapes to the caller.
 *
 * @module
 */

import { validateTopicName } from "../topic.ts";
import { encodePacket } from "../packet/codec.ts";
import type { PublishProperties, QoS } from "../packet/types.ts";
import type { ConnectionId, ConnectionInfo } from "./connection.ts";
import type { StoreSnapshot } from "./session_store.ts";
import type { Message } from "./session.ts";
import type { BrokerStats } from "./sys_topics.ts";
import type { SweepFigures, SweepTarget } from "../../sessions/sweeper.ts";
import {
  BrokerCore,
  type BrokerEvent,
  type BrokerOptions,
  splitExpiry,
} from "./_core.ts";

/** A message published through {@link Broker.publish}. */
export interface InternalPublish {
  /** Topic name. */
  topic: string;
  /** Payload (kept by the broker when queued or retained: do not reuse). */
  payload: Uint8Array;
  /** QoS. */
  qos: QoS;
  /** Retain flag. */
  retain: boolean;
  /** 5.0 properties (Message Expiry Interval, user properties, ...). */
  properties?: PublishProperties;
}

/** One chunk of output for one connection. */
export interface Transmit {
  /** The connection to write to. */
  connection: ConnectionId;
  /** The bytes, possibly several packets concatenated. */
  bytes: Uint8Array;
}

/**
 * An MQTT 3.1, 3.1.1 and 5.0 broker core without IO.
 *
 * @example QoS 0 from one client to another
 * ```ts
 * import { Broker } from "./broker.ts";
 * import { decodePacket, encodePacket } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker();
 * const sub = broker.openConnection(0, { remoteAddress: "10.0.0.1", transport: "tcp" });
 * const pub = broker.openConnection(0, { remoteAddress: "10.0.0.2", transport: "tcp" });
 * broker.handleInput(0, sub, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 60, clientId: "sub" }, 4));
 * broker.handleInput(0, sub, encodePacket({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "t/+", qos: 0 }] }, 4));
 * broker.handleInput(0, pub, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 60, clientId: "pub" }, 4));
 * while (broker.pollTransmit() !== undefined); // CONNACKs and SUBACK
 * broker.handleInput(1, pub, encodePacket({ type: "publish", topic: "t/1", payload: new Uint8Array([42]), qos: 0, retain: false, dup: false }, 4));
 * const out = broker.pollTransmit();
 * assert.equal(out?.connection, sub);
 * const packet = decodePacket(out!.bytes, 4);
 * assert.equal(packet.type === "publish" && packet.topic, "t/1");
 * ```
 */
export class Broker {
  #core: BrokerCore;

  /** @param options Hooks, store, limits and intervals; all optional. */
  constructor(options: BrokerOptions = {}) {
    this.#core = new BrokerCore(options);
  }

  /** Counters (also published under `$SYS`). */
  get stats(): Readonly<BrokerStats> {
    return this.#core.stats;
  }

  /** Clients connected now. */
  get connectedClients(): number {
    return this.#core.connected;
  }

  /** Sessions held, connected or not. */
  get sessionCount(): number {
    return this.#core.sessions.size;
  }

  /** Retained messages held. */
  get retainedCount(): number {
    return this.#core.retained.size;
  }

  /** Connections known (open, authenticating or closing). */
  get connectionCount(): number {
    return this.#core.connections.size;
  }

  /**
   * Registers a new network connection; its first packet must be CONNECT.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tls" });
   * assert.equal(typeof id, "number");
   * ```
   */
  openConnection(now: number, info: ConnectionInfo): ConnectionId {
    return this.#core.openConnection(now, info);
  }

  /**
   * Feeds bytes received on a connection, split anywhere.
   *
   * @example A non-CONNECT first packet closes the connection
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, new Uint8Array([0xc0, 0x00]));
   * assert.equal(broker.pollEvent()?.kind, "close");
   * ```
   */
  handleInput(now: number, id: ConnectionId, bytes: Uint8Array): void {
    this.#core.handleInput(now, id, bytes);
  }

  /**
   * Runs what is due at `now`: will delays, `$SYS`, store batches; applies
   * settled authentications. Keep-alive and session expiry are swept by
   * {@link sweepKeepAlive} and {@link sweepSessions}.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 10 });
   * broker.handleTimeout(0);
   * assert.equal(broker.nextTimeout(), 10_000);
   * ```
   */
  handleTimeout(now: number): void {
    this.#core.handleTimeout(now);
  }

  /**
   * Applies the results of asynchronous `authenticate` calls that settled.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { encodePacket } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ auth: { authenticate: () => Promise.resolve({ ok: true as const, subject: "s" }) } });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 5, clean: true, keepAlive: 0, clientId: "a" }, 5));
   * const pending = broker.pollEvent();
   * assert.equal(pending?.kind, "auth_pending");
   * if (pending?.kind === "auth_pending") await pending.settled;
   * broker.resume(1);
   * assert.equal(broker.pollTransmit()?.bytes[0], 0x20);
   * ```
   */
  resume(now: number): void {
    this.#core.resume(now);
  }

  /**
   * The transport closed (or failed). Publishes the will unless the client
   * sent DISCONNECT 0x00, and forgets the connection.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.connectionClosed(1, id, "reset");
   * assert.equal(broker.connectionCount, 0);
   * ```
   */
  connectionClosed(now: number, id: ConnectionId, _reason?: string): void {
    this.#core.connectionClosed(now, id);
  }

  /**
   * Ends a connection from the server side (a revoked credential, an
   * operator's request): a 5.0 client that completed CONNECT first gets
   * DISCONNECT with `reasonCode` (default 0x98 Administrative action), a
   * 3.1.1 client just sees the connection close. The will is published
   * [MQTT-3.1.2-8]; then `close` is emitted as for any server-side close.
   *
   * @param now Current time in ms.
   * @param id The connection.
   * @param reasonCode 5.0 DISCONNECT reason code.
   * @returns Whether the connection was open (or authenticating) and is now closing.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { encodePacket } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 5, clean: true, keepAlive: 0, clientId: "c" }, 5));
   * broker.pollTransmit(); // CONNACK
   * assert.equal(broker.disconnect(1, id), true);
   * assert.deepEqual(broker.pollTransmit()?.bytes, new Uint8Array([0xe0, 0x01, 0x98]));
   * const kinds = [];
   * for (let e = broker.pollEvent(); e; e = broker.pollEvent()) kinds.push(e.kind);
   * assert.ok(kinds.includes("close"));
   * assert.equal(broker.disconnect(2, id), false);
   * ```
   */
  disconnect(now: number, id: ConnectionId, reasonCode = 0x98): boolean {
    const core = this.#core;
    const conn = core.connections.get(id);
    if (conn === undefined || conn.state === "closed") return false;
    core.touch(now);
    try {
      core.close(conn, now, {
        reason: "administrative",
        reasonCode,
        publishWill: true,
        bytes: conn.version === 5 && conn.state === "open"
          ? encodePacket({ type: "disconnect", reasonCode }, 5)
          : undefined,
      });
    } catch (e) {
      core.fault(conn, e, now);
    }
    return true;
  }

  /**
   * Whether a connection is known and not closed.
   *
   * @param id The connection.
   * @returns Whether it is open, authenticating or awaiting CONNECT.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * assert.equal(broker.hasConnection(id), true);
   * broker.connectionClosed(1, id);
   * assert.equal(broker.hasConnection(id), false);
   * ```
   */
  hasConnection(id: ConnectionId): boolean {
    const conn = this.#core.connections.get(id);
    return conn !== undefined && conn.state !== "closed";
  }

  /**
   * The next chunk to write: all pending packets of one connection.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Broker().pollTransmit(), undefined);
   * ```
   */
  pollTransmit(): Transmit | undefined {
    return this.#core.pollTransmit();
  }

  /**
   * The next event.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Broker().pollEvent(), undefined);
   * ```
   */
  pollEvent(): BrokerEvent | undefined {
    return this.#core.pollEvent();
  }

  /**
   * Closes every connection that sent nothing for 1.5 × its keep alive
   * ([MQTT-3.1.2-22] in 5.0, [MQTT-3.1.2-24] in 3.1.1); 5.0 clients get
   * DISCONNECT 0x8D first, wills are published. Drain afterwards.
   *
   * @returns How many connections it closed.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { encodePacket } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 10, clientId: "k" }, 4));
   * assert.equal(broker.sweepDeadlines().keepAlive, 15_000);
   * assert.equal(broker.sweepKeepAlive(14_999), 0);
   * assert.equal(broker.sweepKeepAlive(15_000), 1);
   * assert.equal(broker.hasConnection(id), false);
   * ```
   */
  sweepKeepAlive(now: number): number {
    return this.#core.sweepKeepAlive(now);
  }

  /**
   * Ends every session without a connection whose Session Expiry Interval
   * (5.0) or configured persistence (3.1.1, `limits.maxSessionExpiry`) has
   * run out: subscriptions, queue and stored state go.
   *
   * @returns How many sessions it ended.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { encodePacket } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 5, clean: false, keepAlive: 0, clientId: "s", properties: { sessionExpiryInterval: 5 } }, 5));
   * broker.connectionClosed(1000, id);
   * assert.equal(broker.sweepDeadlines().sessionExpiry, 6000);
   * assert.equal(broker.sweepSessions(6000), 1);
   * assert.equal(broker.sessionCount, 0);
   * ```
   */
  sweepSessions(now: number): number {
    return this.#core.sweepSessions(now);
  }

  /**
   * The broker's two kinds for the session sweeper: `mqtt/keep_alive` and
   * `mqtt/session_expiry`. `afterSweep` runs after each sweep that removed
   * something (an adapter drains the broker there).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { SessionSweeper } from "../../sessions/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const sweeper = new SessionSweeper();
   * for (const t of broker.sweepTargets({ keepAliveMs: 1000, sessionsMs: 5000 })) sweeper.register(t, 0);
   * assert.equal(sweeper.nextTimeout(), 1000);
   * ```
   */
  sweepTargets(options: {
    keepAliveMs: number;
    sessionsMs: number;
    afterSweep?: () => void;
  }): SweepTarget[] {
    const after = options.afterSweep;
    const wrap = (sweep: (now: number) => number) => (now: number) => {
      const removed = sweep(now);
      if (removed > 0) after?.();
      return removed;
    };
    return [{
      name: "mqtt/keep_alive",
      intervalMs: options.keepAliveMs,
      sweep: wrap((now) => this.sweepKeepAlive(now)),
      size: () => this.#core.keepAlive.size,
    }, {
      name: "mqtt/session_expiry",
      intervalMs: options.sessionsMs,
      sweep: wrap((now) => this.sweepSessions(now)),
      size: () => this.#core.sessionExpiry.size,
    }];
  }

  /**
   * The earliest keep-alive and session-expiry deadlines, for a sweeper
   * that wants to know whether anything is due (keep-alive ones may be
   * early: input moves them lazily).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new Broker({ sysInterval: 0 }).sweepDeadlines(), { keepAlive: undefined, sessionExpiry: undefined });
   * ```
   */
  sweepDeadlines(): {
    keepAlive: number | undefined;
    sessionExpiry: number | undefined;
  } {
    return {
      keepAlive: this.#core.keepAlive.next(),
      sessionExpiry: this.#core.sessionExpiry.next(),
    };
  }

  /**
   * When the broker last received bytes on a connection.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(42, id, new Uint8Array([0xc0]));
   * assert.equal(broker.lastActivity(id), 42);
   * assert.equal(broker.lastActivity(99), undefined);
   * ```
   */
  lastActivity(id: ConnectionId): number | undefined {
    return this.#core.connections.get(id)?.lastInputAt;
  }

  /**
   * The earliest deadline for `handleTimeout`, in ms (may be early).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Broker({ sysInterval: 0 }).nextTimeout(), undefined);
   * ```
   */
  nextTimeout(): number | undefined {
    return this.#core.nextTimeout();
  }

  /**
   * Publishes a message from inside the process (CoAP gateway, `$SYS`).
   * It is not subject to `authorizePublish`.
   *
   * @returns The number of sessions it went to.
   * @throws {TypeError} when `topic` is not a valid topic name.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * broker.publish(0, { topic: "status", payload: new Uint8Array([1]), qos: 0, retain: true });
   * assert.equal(broker.retainedCount, 1);
   * ```
   */
  publish(now: number, message: InternalPublish): number {
    const problem = validateTopicName(message.topic);
    if (problem !== undefined) {
      throw new TypeError(`Cannot publish to topic: it ${problem}`);
    }
    const { properties, expiresAt } = splitExpiry(message.properties, now);
    return this.#core.publishMessage({
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      properties,
      expiresAt,
    }, now);
  }

  /**
   * Whether every accepted message (a client's PUBLISH, a will, an internal
   * publish, `$SYS`) is also emitted as a `published` event: the
   * in-process subscription of the CoAP gateway, which needs no MQTT
   * connection and so no credentials. Off by default (an event per
   * message).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * broker.publishedEvents = true;
   * broker.publish(0, { topic: "a/b", payload: new Uint8Array([1]), qos: 0, retain: false });
   * const e = broker.pollEvent();
   * assert.equal(e?.kind === "published" && e.topic, "a/b");
   * ```
   */
  get publishedEvents(): boolean {
    return this.#core.publishedEvents;
  }

  set publishedEvents(on: boolean) {
    this.#core.publishedEvents = on;
  }

  /**
   * The retained message of a topic, unless its Message Expiry Interval
   * has passed at `now`.
   *
   * @param now Current time, ms.
   * @param topic A topic name (not a filter).
   * @returns The message (owned by the broker: do not modify), or undefined.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * broker.publish(0, { topic: "s", payload: new Uint8Array([1]), qos: 0, retain: true, properties: { messageExpiryInterval: 5 } });
   * assert.deepEqual(broker.retainedMessage(4_999, "s")?.payload, new Uint8Array([1]));
   * assert.equal(broker.retainedMessage(5_000, "s"), undefined);
   * ```
   */
  retainedMessage(now: number, topic: string): Readonly<Message> | undefined {
    if (topic.includes("+") || topic.includes("#")) return undefined;
    return this.#core.retained.match(topic, now)[0];
  }

  /**
   * Reports whether the connection's socket accepts more data. When it
   * becomes writable again, queued messages are sent (message expiry is
   * judged at `now`, default: the latest time the broker was given).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   *
   * const broker = new Broker();
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.setWritable(id, false);
   * broker.setWritable(id, true);
   * ```
   */
  setWritable(id: ConnectionId, writable: boolean, now?: number): void {
    const core = this.#core;
    if (now !== undefined) core.touch(now);
    const conn = core.connections.get(id);
    if (conn === undefined || conn.writable === writable) return;
    conn.writable = writable;
    if (writable && conn.session !== undefined) {
      try {
        core.drainQueue(conn.session, core.clock);
      } catch (e) {
        core.fault(conn, e, core.clock);
      }
    }
  }

  /**
   * Loads what a store held (once, before connections arrive).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { MemorySessionStore } from "./session_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemorySessionStore();
   * store.write([{ kind: "retained", message: { topic: "t", payload: new Uint8Array([1]), qos: 0, retain: true } }]);
   * const broker = new Broker({ store });
   * broker.restore(store.load(), 0);
   * assert.equal(broker.retainedCount, 1);
   * ```
   */
  restore(snapshot: StoreSnapshot, now: number): void {
    this.#core.restore(snapshot, now);
  }

  /**
   * Hands pending changes to the store now (e.g. at shutdown), unless a
   * batch is still in flight.
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { MemorySessionStore } from "./session_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemorySessionStore();
   * const broker = new Broker({ store });
   * broker.publish(0, { topic: "t", payload: new Uint8Array([1]), qos: 0, retain: true });
   * broker.flushStore(0);
   * assert.equal(store.load().retained.length, 1);
   * ```
   */
  flushStore(now: number): void {
    this.#core.flushStore(now);
  }

  /**
   * Publishes the `$SYS` statistics now (otherwise every `sysInterval`).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker();
   * broker.publishSys(0);
   * assert.ok(broker.retainedCount > 10);
   * ```
   */
  publishSys(now: number): void {
    this.#core.publishSys(now);
  }

  /**
   * Feeds in the session sweeper's figures by kind, published at the next
   * `$SYS` interval as `$SYS/broker/sessions/<kind>/swept` and `/count`
   * (the adapter passes `SessionSweeper.figures()` after each sweep).
   *
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0, publishedEvents: true });
   * broker.setSweepFigures(new Map([["mqtt/keep_alive", { swept: 2, current: 5 }]]));
   * broker.publishSys(0);
   * const values = new Map<string, string>();
   * for (let e = broker.pollEvent(); e; e = broker.pollEvent()) {
   *   if (e.kind === "published") values.set(e.topic, new TextDecoder().decode(e.payload));
   * }
   * assert.equal(values.get("$SYS/broker/sessions/mqtt/keep_alive/swept"), "2");
   * assert.equal(values.get("$SYS/broker/sessions/mqtt/keep_alive/count"), "5");
   * ```
   */
  setSweepFigures(figures: ReadonlyMap<string, SweepFigures>): void {
    this.#core.sweepFigures = new Map(figures);
  }
}
