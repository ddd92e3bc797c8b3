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
 * ```
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
import type { BrokerStats } from "./sys_topics.ts";
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
   * Runs what is due at `now`: keep-alive (1.5 × keep alive), will delays,
   * session expiry, `$SYS`, store batches; applies settled authentications.
   *
   * @example Keep-alive timeout
   * ```ts
   * import { Broker } from "./broker.ts";
   * import { encodePacket } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
   * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 10, clientId: "k" }, 4));
   * assert.equal(broker.nextTimeout(), 15_000);
   * broker.handleTimeout(15_000);
   * const kinds = [];
   * for (let e = broker.pollEvent(); e; e = broker.pollEvent()) kinds.push(e.kind);
   * assert.ok(kinds.includes("close"));
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
}
