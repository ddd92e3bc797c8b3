/**
 * The broker's shared state and the operations the packet handlers use:
 * output batching, closing, sessions, routing and delivery, timers and
 * write-behind persistence. `Broker` (broker.ts) is the public face; the
 * handlers in `handlers/` implement one packet type each.
 *
 * @module
 */

import { connackFor, disconnectFor, MqttError } from "../errors.ts";
import { encodePacket } from "../packet/codec.ts";
import { encodePublish } from "../packet/publish.ts";
import type {
  ConnectPacket,
  Packet,
  PublishPacket,
  PublishProperties,
  QoS,
} from "../packet/types.ts";
import type { AuthHooks, AuthResult } from "./auth_hooks.ts";
import { Connection, type ConnectionInfo } from "./connection.ts";
import { RetainedStore } from "./retained.ts";
import {
  type Message,
  type QueuedMessage,
  Session,
  type SessionSubscription,
} from "./session.ts";
import type {
  SessionStore,
  StoredSession,
  StoreOp,
  StoreSnapshot,
} from "./session_store.ts";
import {
  type BrokerStats,
  newStats,
  SysLoad,
  sysTopics,
} from "./sys_topics.ts";
import { TopicTrie } from "./topic_trie.ts";
import { TimerHeap } from "./_timers.ts";
import { DeadlineIndex } from "../../sessions/deadline_index.ts";
import type { SweepFigures } from "../../sessions/sweeper.ts";
import { handleAuth } from "./handlers/auth.ts";
import { finishConnect, handleConnect } from "./handlers/connect.ts";
import { handleDisconnect } from "./handlers/disconnect.ts";
import { handlePingreq } from "./handlers/pingreq.ts";
import { handlePuback } from "./handlers/puback.ts";
import { handlePubcomp } from "./handlers/pubcomp.ts";
import { handlePublish } from "./handlers/publish.ts";
import { handlePubrec } from "./handlers/pubrec.ts";
import { handlePubrel } from "./handlers/pubrel.ts";
import { handleSubscribe } from "./handlers/subscribe.ts";
import { handleUnsubscribe } from "./handlers/unsubscribe.ts";

/** Tunable bounds of a broker. */
export interface BrokerLimits {
  /** Our Maximum Packet Size (CONNACK, decoder), bytes. Default 1 MiB. */
  maximumPacketSize: number;
  /** Our Receive Maximum: incoming QoS 2 awaiting PUBREL. Default 100. */
  receiveMaximum: number;
  /** Our Topic Alias Maximum for inbound aliases. Default 10. */
  topicAliasMaximum: number;
  /** Queued messages per session before dropping. Default 1000. */
  maxQueuedMessages: number;
  /** Cap of the outgoing QoS 1/2 window per session. Default 100. */
  maxInflight: number;
  /** Largest keep alive accepted, seconds (5.0 Server Keep Alive). Default 65535. */
  maxKeepAlive: number;
  /** Largest Session Expiry Interval granted, seconds. Default `Infinity`. */
  maxSessionExpiry: number;
  /** Session expiry of 3.1.1 `clean_session = false`, seconds. Default `Infinity`. */
  persistentSessionExpiry: number;
  /** Queue QoS 0 messages for offline sessions. Default false (Mosquitto). */
  queueQos0Offline: boolean;
  /** Input buffered while `authenticate` is pending, bytes. Default 64 KiB. */
  maxPendingInput: number;
}

const DEFAULT_LIMITS: BrokerLimits = {
  maximumPacketSize: 1024 * 1024,
  receiveMaximum: 100,
  topicAliasMaximum: 10,
  maxQueuedMessages: 1000,
  maxInflight: 100,
  maxKeepAlive: 65535,
  maxSessionExpiry: Infinity,
  persistentSessionExpiry: Infinity,
  queueQos0Offline: false,
  maxPendingInput: 64 * 1024,
};

/** Options of a `Broker`. */
export interface BrokerOptions {
  /** Authentication and authorization hooks. */
  auth?: AuthHooks;
  /**
   * Accept CONNECTs with neither user name nor transport identity. Default
   * `true`; the server sets it from `mqtt.allow_anonymous`.
   */
  allowAnonymous?: boolean;
  /** Persistence of sessions and retained messages (write-behind). */
  store?: SessionStore;
  /** Bounds; unspecified ones keep their defaults. */
  limits?: Partial<BrokerLimits>;
  /** Random bytes, for assigned client identifiers. Default WebCrypto. */
  random?: (n: number) => Uint8Array;
  /** Server name, in `$SYS/broker/version`. Default "postern". */
  serverName?: string;
  /** Version string. Default "0.1.0". */
  version?: string;
  /** Seconds between `$SYS` publications; 0 disables. Default 10. */
  sysInterval?: number;
  /** Milliseconds between store batches. Default 1000. */
  persistInterval?: number;
  /** Emit a `published` event per accepted message (see `Broker.publishedEvents`). Default false. */
  publishedEvents?: boolean;
  /** Response Information for a client that asks (5.0). Default `response/{clientId}`. */
  responseInformation?: (clientId: string) => string;
}

/** Why a connection ended. */
export type CloseReason =
  | "client_disconnect"
  | "refused"
  | "protocol_error"
  | "keep_alive_timeout"
  | "session_taken_over"
  | "transport"
  | "administrative"
  | "internal_error";

/** What the broker tells its adapter and observers. */
export type BrokerEvent =
  | {
    kind: "connected";
    connection: number;
    clientId: string;
    sessionPresent: boolean;
    subject: string | undefined;
  }
  | {
    kind: "disconnected";
    connection: number;
    clientId: string;
    reason: CloseReason;
  }
  | {
    kind: "close";
    connection: number;
    reason: CloseReason;
    reasonCode: number | undefined;
  }
  | {
    kind: "published";
    clientId: string | undefined;
    topic: string;
    payload: Uint8Array;
    qos: QoS;
    retain: boolean;
  }
  | { kind: "auth_pending"; connection: number; settled: Promise<void> }
  | { kind: "error"; connection: number | undefined; error: unknown }
  | { kind: "store_error"; error: unknown };

/**
 * A protocol violation found by a handler, answered with DISCONNECT.
 *
 * @example
 * ```ts
 * import { DisconnectError } from "./_core.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new DisconnectError(0x94, "Cannot accept topic alias").reasonCode, 0x94);
 * ```
 */
export class DisconnectError extends Error {
  /** The 5.0 reason code to send. */
  readonly reasonCode: number;

  /**
   * @param reasonCode DISCONNECT reason code.
   * @param message Sentence-case description.
   */
  constructor(reasonCode: number, message: string) {
    super(message);
    this.name = "DisconnectError";
    this.reasonCode = reasonCode;
  }
}

/** One round-robin shared subscription group for one filter. */
export interface SharedGroup {
  /** Share name. */
  name: string;
  /** Members by client id, in join order. */
  members: Map<string, SessionSubscription>;
  /** Round-robin cursor. */
  next: number;
}

interface SettledAuth {
  connection: Connection;
  packet: ConnectPacket;
  result: AuthResult | "error";
}

interface Match {
  session: Session;
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[] | undefined;
}

function defaultRandom(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function pidOffset(bytes: Uint8Array): number {
  let i = 1;
  while (((bytes[i] as number) & 0x80) !== 0) i++;
  i++;
  return i + 2 + (((bytes[i] as number) << 8) | (bytes[i + 1] as number));
}

const PINGRESP = new Uint8Array([0xd0, 0x00]);

/**
 * Internal state and operations of a broker (see `Broker`); fields are
 * public for the packet handlers only.
 *
 * @example
 * ```ts
 * import { BrokerCore } from "./_core.ts";
 * import assert from "node:assert/strict";
 *
 * const core = new BrokerCore({ sysInterval: 0 });
 * assert.equal(core.publishMessage({ topic: "t", payload: new Uint8Array(1), qos: 0, retain: false }, 0), 0);
 * ```
 */
export class BrokerCore {
  readonly limits: BrokerLimits;
  readonly auth: AuthHooks | undefined;
  readonly allowAnonymous: boolean;
  readonly store: SessionStore | undefined;
  readonly random: (n: number) => Uint8Array;
  readonly versionString: string;
  readonly sysIntervalMs: number;
  readonly persistIntervalMs: number;
  /** Emit a `published` event per accepted message (see `Broker.publishedEvents`). */
  publishedEvents: boolean;
  readonly responseInformation: (clientId: string) => string;

  readonly connections: Map<number, Connection> = new Map();
  readonly sessions: Map<string, Session> = new Map();
  readonly subs: TopicTrie<SessionSubscription> = new TopicTrie();
  readonly shared: TopicTrie<SharedGroup> = new TopicTrie();
  readonly retained: RetainedStore = new RetainedStore();
  readonly timers: TimerHeap = new TimerHeap();
  /** Keep-alive deadlines (may be early: input moves them lazily). */
  readonly keepAlive: DeadlineIndex<Connection> = new DeadlineIndex();
  /** Expiry deadlines of sessions with no connection attached. */
  readonly sessionExpiry: DeadlineIndex<Session> = new DeadlineIndex();
  readonly stats: BrokerStats = newStats();
  readonly sysLoad: SysLoad = new SysLoad();
  /** The session sweeper's figures, as last fed in (for `$SYS`). */
  sweepFigures: ReadonlyMap<string, SweepFigures> = new Map();
  connected = 0;
  startedAt: number | undefined;
  /** The latest `now` seen at any entry point. */
  clock = 0;

  #nextConnection = 1;
  #transmit: Connection[] = [];
  #transmitHead = 0;
  #events: BrokerEvent[] = [];
  #eventsHead = 0;
  #settled: SettledAuth[] = [];
  #dirtySessions: Set<string> = new Set();
  #dirtyRetained: Set<string> = new Set();
  #storeBusy = false;
  #persistArmed = false;
  #sysArmed = false;

  constructor(options: BrokerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.auth = options.auth;
    this.allowAnonymous = options.allowAnonymous ?? true;
    this.store = options.store;
    this.random = options.random ?? defaultRandom;
    this.versionString = `${options.serverName ?? "postern"} ${
      options.version ?? "0.1.0"
    }`;
    this.sysIntervalMs = (options.sysInterval ?? 10) * 1000;
    this.persistIntervalMs = options.persistInterval ?? 1000;
    this.publishedEvents = options.publishedEvents ?? false;
    this.responseInformation = options.responseInformation ??
      ((id) => `response/${id}`);
  }

  // ---- clock ------------------------------------------------------------

  touch(now: number): void {
    if (now > this.clock) this.clock = now;
    if (this.startedAt !== undefined) return;
    this.startedAt = now;
    if (this.sysIntervalMs > 0 && !this.#sysArmed) {
      this.#sysArmed = true;
      this.timers.schedule(now + this.sysIntervalMs, (t) => this.#sysTick(t));
    }
  }

  // ---- events and output ---------------------------------------------------

  emit(event: BrokerEvent): void {
    this.#events.push(event);
  }

  pollEvent(): BrokerEvent | undefined {
    if (this.#eventsHead >= this.#events.length) return undefined;
    const e = this.#events[this.#eventsHead++];
    if (this.#eventsHead === this.#events.length) {
      this.#events = [];
      this.#eventsHead = 0;
    }
    return e;
  }

  send(conn: Connection, bytes: Uint8Array): void {
    conn.out.push(bytes);
    conn.outBytes += bytes.length;
    this.stats.messagesSent++;
    if (!conn.queuedForTransmit) {
      conn.queuedForTransmit = true;
      this.#transmit.push(conn);
    }
  }

  sendPacket(conn: Connection, packet: Packet): void {
    this.send(conn, encodePacket(packet, conn.version));
  }

  pollTransmit(): { connection: number; bytes: Uint8Array } | undefined {
    while (this.#transmitHead < this.#transmit.length) {
      const conn = this.#transmit[this.#transmitHead++] as Connection;
      if (this.#transmitHead === this.#transmit.length) {
        this.#transmit = [];
        this.#transmitHead = 0;
      }
      conn.queuedForTransmit = false;
      const chunks = conn.out;
      if (chunks.length === 0) continue;
      let bytes: Uint8Array;
      if (chunks.length === 1) bytes = chunks[0] as Uint8Array;
      else {
        bytes = new Uint8Array(conn.outBytes);
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.length;
        }
      }
      conn.out = [];
      conn.outBytes = 0;
      this.stats.bytesSent += bytes.length;
      return { connection: conn.id, bytes };
    }
    return undefined;
  }

  // ---- connections -------------------------------------------------------

  openConnection(now: number, info: ConnectionInfo): number {
    this.touch(now);
    const id = this.#nextConnection++;
    const conn = new Connection(id, info, {
      maximumPacketSize: this.limits.maximumPacketSize,
      now,
    });
    this.connections.set(id, conn);
    return id;
  }

  handleInput(now: number, id: number, bytes: Uint8Array): void {
    const conn = this.connections.get(id);
    if (conn === undefined || conn.state === "closed") return;
    if (now > this.clock) this.clock = now;
    this.stats.bytesReceived += bytes.length;
    conn.lastInputAt = now;
    try {
      conn.decoder.push(bytes);
      this.process(conn, now);
    } catch (e) {
      this.fault(conn, e, now);
    }
  }

  /** Decodes and dispatches buffered packets while the connection allows. */
  process(conn: Connection, now: number): void {
    if (conn.state === "authenticating") {
      if (conn.decoder.bufferedBytes > this.limits.maxPendingInput) {
        this.close(conn, now, {
          reason: "protocol_error",
          reasonCode: 0x97,
          publishWill: false,
        });
      }
      return;
    }
    for (;;) {
      const state: string = conn.state;
      if (state !== "awaiting_connect" && state !== "open") return;
      const packet = conn.decoder.next();
      if (packet === undefined) return;
      this.stats.messagesReceived++;
      this.dispatch(conn, packet, now);
    }
  }

  dispatch(conn: Connection, packet: Packet, now: number): void {
    switch (packet.type) {
      case "connect":
        return handleConnect(this, conn, packet, now);
      case "publish":
        return handlePublish(this, conn, packet, now);
      case "puback":
        return handlePuback(this, conn, packet, now);
      case "pubrec":
        return handlePubrec(this, conn, packet, now);
      case "pubrel":
        return handlePubrel(this, conn, packet, now);
      case "pubcomp":
        return handlePubcomp(this, conn, packet, now);
      case "subscribe":
        return handleSubscribe(this, conn, packet, now);
      case "unsubscribe":
        return handleUnsubscribe(this, conn, packet, now);
      case "pingreq":
        return handlePingreq(this, conn, packet, now);
      case "disconnect":
        return handleDisconnect(this, conn, packet, now);
      case "auth":
        return handleAuth(this, conn, packet, now);
      case "connack":
      case "suback":
      case "unsuback":
      case "pingresp":
        // [MQTT-4.8.0-1] server-to-client packets sent by a client
        throw new DisconnectError(
          0x82,
          `Cannot accept ${packet.type.toUpperCase()} from a client`,
        );
    }
  }

  /** Turns any error of one connection into its close; never rethrows. */
  fault(conn: Connection, e: unknown, now: number): void {
    try {
      if (conn.state === "closed") return;
      const beforeConnack = conn.state !== "open";
      if (e instanceof MqttError) {
        const bytes = beforeConnack
          ? connackFor(e)
          : disconnectFor(e, conn.version);
        this.close(conn, now, {
          reason: beforeConnack ? "refused" : "protocol_error",
          reasonCode: e.reasonCode,
          publishWill: true,
          bytes,
        });
      } else if (e instanceof DisconnectError) {
        this.close(conn, now, {
          reason: "protocol_error",
          reasonCode: e.reasonCode,
          publishWill: true,
          bytes: conn.version === 5 && !beforeConnack
            ? encodePacket({ type: "disconnect", reasonCode: e.reasonCode }, 5)
            : undefined,
        });
      } else {
        this.emit({ kind: "error", connection: conn.id, error: e });
        this.close(conn, now, {
          reason: "internal_error",
          reasonCode: 0x83,
          publishWill: true,
          bytes: conn.version === 5 && !beforeConnack
            ? new Uint8Array([0xe0, 0x01, 0x83])
            : undefined,
        });
      }
    } catch (inner) {
      conn.state = "closed";
      this.emit({ kind: "error", connection: conn.id, error: inner });
      this.emit({
        kind: "close",
        connection: conn.id,
        reason: "internal_error",
        reasonCode: 0x83,
      });
    }
  }

  /**
   * Ends a connection from the server side: sends `bytes` (DISCONNECT or
   * CONNACK) first, detaches the session (publishing the will when asked)
   * and emits `close` for the adapter.
   */
  close(
    conn: Connection,
    now: number,
    options: {
      reason: CloseReason;
      reasonCode: number | undefined;
      publishWill: boolean;
      bytes?: Uint8Array | undefined;
      fromTransport?: boolean;
    },
  ): void {
    if (conn.state === "closed") return;
    if (options.bytes !== undefined) this.send(conn, options.bytes);
    const wasOpen = conn.state === "open";
    conn.state = "closed";
    conn.pendingConnect = undefined;
    this.keepAlive.delete(conn);
    if (wasOpen) {
      this.connected--;
      this.detachSession(conn, now, options.publishWill);
      this.emit({
        kind: "disconnected",
        connection: conn.id,
        clientId: conn.clientId,
        reason: options.reason,
      });
    }
    if (options.fromTransport !== true) {
      this.emit({
        kind: "close",
        connection: conn.id,
        reason: options.reason,
        reasonCode: options.reasonCode,
      });
    }
  }

  connectionClosed(now: number, id: number): void {
    const conn = this.connections.get(id);
    if (conn === undefined) return;
    try {
      this.close(conn, now, {
        reason: "transport",
        reasonCode: undefined,
        publishWill: true,
        fromTransport: true,
      });
    } catch (e) {
      this.emit({ kind: "error", connection: id, error: e });
    }
    conn.out = [];
    conn.outBytes = 0;
    this.connections.delete(id);
  }

  // ---- sessions ----------------------------------------------------------

  detachSession(conn: Connection, now: number, publishWill: boolean): void {
    const session = conn.session;
    conn.session = undefined;
    if (session === undefined || session.connection !== conn.id) return;
    session.connection = undefined;
    const will = session.will;
    session.will = undefined;
    if (publishWill && will !== undefined) {
      const delay = Math.min(
        session.willDelayMs,
        session.expiryInterval * 1000,
      );
      if (delay <= 0) this.publishWill(will, conn.subject, now, conn.clientId);
      else {
        const at = now + delay; // 5.0 §3.1.3.2 will delay
        session.pendingWill = { message: will, at, subject: conn.subject };
        this.timers.schedule(at, (t) => this.#willTick(session, t));
      }
    }
    if (session.expiryInterval === 0) {
      this.endSession(session, now);
      return;
    }
    if (Number.isFinite(session.expiryInterval)) {
      const at = now + session.expiryInterval * 1000;
      session.expiresAt = at;
      this.sessionExpiry.set(session, at);
    } else session.expiresAt = undefined;
    this.markSession(session);
  }

  /** Discards a session: subscriptions, queue, in-flight state, store. */
  endSession(session: Session, now: number): void {
    if (this.sessions.get(session.clientId) !== session) return;
    this.sessions.delete(session.clientId);
    this.sessionExpiry.delete(session);
    for (const sub of session.subscriptions.values()) this.removeSub(sub);
    session.subscriptions.clear();
    session.queue = [];
    session.inflight.clear();
    session.incomingQos2.clear();
    const pending = session.pendingWill;
    session.pendingWill = undefined;
    if (pending !== undefined) {
      this.publishWill(pending.message, pending.subject, now, session.clientId); // will delay ends with the session
    }
    if (this.store !== undefined) {
      this.#dirtySessions.add(session.clientId);
      this.#armPersist(now);
    }
  }

  #willTick(session: Session, now: number): void {
    const pending = session.pendingWill;
    if (pending === undefined || pending.at > now) return;
    session.pendingWill = undefined;
    this.publishWill(pending.message, pending.subject, now, session.clientId);
  }

  publishWill(
    will: Message,
    subject: string | undefined,
    now: number,
    clientId: string,
  ): void {
    const auth = this.auth;
    if (subject !== undefined && auth?.authorizePublish !== undefined) {
      if (!auth.authorizePublish(subject, will.topic, { clientId })) return;
    }
    const { properties, expiresAt } = splitExpiry(will.properties, now);
    this.publishMessage({ ...will, properties, expiresAt }, now);
  }

  /** Sends PUBACK, PUBREC, PUBREL or PUBCOMP; the 4-byte form when possible. */
  sendAck(
    conn: Connection,
    type: "puback" | "pubrec" | "pubrel" | "pubcomp",
    ack: { packetId: number; reasonCode: number },
  ): void {
    if (conn.version === 5 && ack.reasonCode !== 0) {
      this.sendPacket(conn, {
        type,
        packetId: ack.packetId,
        reasonCode: ack.reasonCode,
      });
      return;
    }
    const first = type === "puback"
      ? 0x40
      : type === "pubrec"
      ? 0x50
      : type === "pubrel"
      ? 0x62
      : 0x70;
    this.send(
      conn,
      new Uint8Array([first, 2, ack.packetId >> 8, ack.packetId & 0xff]),
    );
  }

  addSub(sub: SessionSubscription): void {
    if (sub.group === undefined) {
      this.subs.add(sub.topicFilter, sub.session.clientId, sub);
      return;
    }
    let group = this.shared.get(sub.topicFilter, sub.group);
    if (group === undefined) {
      group = { name: sub.group, members: new Map(), next: 0 };
      this.shared.add(sub.topicFilter, sub.group, group);
    }
    group.members.set(sub.session.clientId, sub);
  }

  removeSub(sub: SessionSubscription): void {
    if (sub.group === undefined) {
      this.subs.remove(sub.topicFilter, sub.session.clientId);
      return;
    }
    const group = this.shared.get(sub.topicFilter, sub.group);
    if (group === undefined) return;
    group.members.delete(sub.session.clientId);
    if (group.members.size === 0) {
      this.shared.remove(sub.topicFilter, sub.group);
    }
  }

  subscriptionCount(): number {
    let n = this.subs.size;
    for (const s of this.sessions.values()) {
      for (const sub of s.subscriptions.values()) {
        if (sub.group !== undefined) n++;
      }
    }
    return n;
  }

  // ---- authentication ------------------------------------------------------

  /** Records the outcome of an asynchronous `authenticate`. */
  settle(
    conn: Connection,
    packet: ConnectPacket,
    result: AuthResult | "error",
  ) {
    this.#settled.push({ connection: conn, packet, result });
  }

  /** Applies settled asynchronous authentications. */
  resume(now: number): void {
    const settled = this.#settled;
    if (settled.length === 0) return;
    this.#settled = [];
    for (const s of settled) {
      const conn = s.connection;
      if (conn.state !== "authenticating" || conn.pendingConnect !== s.packet) {
        continue;
      }
      try {
        conn.pendingConnect = undefined;
        finishConnect(this, conn, s.packet, { result: s.result, now });
        this.process(conn, now);
      } catch (e) {
        this.fault(conn, e, now);
      }
    }
  }

  // ---- routing and delivery -----------------------------------------------

  /**
   * Publishes a message that passed authorization: the retained store, then
   * every matching subscription.
   *
   * @returns The number of sessions it was delivered or queued to.
   */
  publishMessage(message: Message, now: number): number {
    this.touch(now);
    if (message.retain) {
      // [MQTT-3.3.1-5], [MQTT-3.3.1-10]
      this.retained.set(message);
      if (this.store !== undefined) {
        this.#dirtyRetained.add(message.topic);
        this.#armPersist(now);
      }
    }
    if (this.publishedEvents) {
      this.emit({
        kind: "published",
        clientId: message.origin,
        topic: message.topic,
        payload: message.payload,
        qos: message.qos,
        retain: message.retain,
      });
    }
    return this.route(message, now);
  }

  route(message: Message, now: number): number {
    const matches = new Map<string, Match>();
    const origin = message.origin;
    const qos = message.qos;
    this.subs.match(message.topic, (sub, clientId) => {
      if (sub.noLocal && clientId === origin) return; // [MQTT-3.8.3-3]
      const q = (sub.qos < qos ? sub.qos : qos) as QoS;
      const retain = sub.retainAsPublished && message.retain; // [MQTT-3.3.1-12]
      const m = matches.get(clientId);
      if (m === undefined) {
        matches.set(clientId, {
          session: sub.session,
          qos: q,
          retain,
          subscriptionIds: sub.subscriptionId === undefined
            ? undefined
            : [sub.subscriptionId],
        });
        return;
      }
      // overlapping subscriptions: one delivery, highest QoS, all ids [MQTT-3.3.4-2], [MQTT-3.3.4-3]
      if (q > m.qos) m.qos = q;
      if (retain) m.retain = true;
      if (sub.subscriptionId !== undefined) {
        (m.subscriptionIds ??= []).push(sub.subscriptionId);
      }
    });
    let groups: SharedGroup[] | undefined;
    this.shared.match(message.topic, (group) => (groups ??= []).push(group));
    const total = matches.size + (groups?.length ?? 0);
    if (total === 0) return 0;
    const cache = total > 1 ? new Map<string, Uint8Array>() : undefined;
    for (const m of matches.values()) {
      this.deliver(m.session, {
        message,
        qos: m.qos,
        retain: m.retain,
        subscriptionIds: m.subscriptionIds,
      }, { now, cache });
    }
    if (groups !== undefined) {
      for (const group of groups) {
        const sub = this.#pickMember(group);
        if (sub === undefined) continue;
        this.deliver(sub.session, {
          message,
          qos: (sub.qos < qos ? sub.qos : qos) as QoS,
          retain: sub.retainAsPublished && message.retain,
          subscriptionIds: sub.subscriptionId === undefined
            ? undefined
            : [sub.subscriptionId],
        }, { now, cache });
      }
    }
    return total;
  }

  /** Round robin among members, preferring connected writable ones [MQTT-4.8.2-3]. */
  #pickMember(group: SharedGroup): SessionSubscription | undefined {
    const members = [...group.members.values()];
    const n = members.length;
    if (n === 0) return undefined;
    for (let k = 0; k < n; k++) {
      const i = (group.next + k) % n;
      const sub = members[i] as SessionSubscription;
      const conn = sub.session.connection === undefined
        ? undefined
        : this.connections.get(sub.session.connection);
      if (conn !== undefined && conn.state === "open" && conn.writable) {
        group.next = (i + 1) % n;
        return sub;
      }
    }
    const i = group.next % n;
    group.next = (i + 1) % n;
    return members[i];
  }

  /** Sends now when the window and socket allow, queues otherwise. */
  deliver(
    session: Session,
    item: QueuedMessage,
    options: { now: number; cache: Map<string, Uint8Array> | undefined },
  ): void {
    const id = session.connection;
    const conn = id === undefined ? undefined : this.connections.get(id);
    if (
      conn === undefined || conn.state !== "open" || !conn.writable ||
      session.queue.length > 0 ||
      (item.qos > 0 && session.inflight.size >= this.windowOf(conn))
    ) {
      if (
        conn === undefined && item.qos === 0 && !this.limits.queueQos0Offline
      ) {
        this.drop(session);
        return;
      }
      this.enqueue(session, item);
      return;
    }
    this.transmitPublish(conn, session, item, options);
  }

  windowOf(conn: Connection): number {
    const w = conn.clientReceiveMaximum;
    return w < this.limits.maxInflight ? w : this.limits.maxInflight;
  }

  drop(session: Session): void {
    session.dropped++;
    this.stats.publishDropped++;
  }

  /** Queues with the bound: QoS 0 goes first, oldest first. */
  enqueue(session: Session, item: QueuedMessage): void {
    const queue = session.queue;
    if (queue.length >= this.limits.maxQueuedMessages) {
      if (item.qos === 0) {
        this.drop(session);
        return;
      }
      const i = queue.findIndex((q) => q.qos === 0);
      if (i < 0) {
        this.drop(session); // the queue holds only QoS 1/2: refuse the newest
        return;
      }
      queue.splice(i, 1);
      this.drop(session);
    }
    if (item.qos > 0 && item.message.payload.buffer.byteLength > 4096) {
      item.message.payload = item.message.payload.slice();
    }
    queue.push(item);
    if (item.qos > 0) this.markSession(session);
  }

  /** Encodes (once per variant) and sends a PUBLISH; false when dropped. */
  transmitPublish(
    conn: Connection,
    session: Session,
    item: QueuedMessage,
    options: { now: number; cache: Map<string, Uint8Array> | undefined },
  ): boolean {
    const message = item.message;
    let expiry: number | undefined;
    if (message.expiresAt !== undefined) {
      expiry = Math.ceil((message.expiresAt - options.now) / 1000);
      if (expiry <= 0) {
        this.drop(session); // [MQTT-3.3.2-5]
        return false;
      }
    }
    const v5 = conn.version === 5;
    const key = v5
      ? `5|${item.qos}|${item.retain ? 1 : 0}|${
        item.subscriptionIds?.join(",") ?? ""
      }`
      : `4|${item.qos}|${item.retain ? 1 : 0}`;
    let bytes = options.cache?.get(key);
    if (bytes === undefined) {
      const packet: PublishPacket = {
        type: "publish",
        topic: message.topic,
        payload: message.payload,
        qos: item.qos,
        retain: item.retain,
        dup: false,
      };
      if (item.qos > 0) packet.packetId = 0xffff;
      if (v5) {
        const props = outgoingProperties(message.properties, {
          expiry,
          subscriptionIds: item.subscriptionIds,
        });
        if (props !== undefined) packet.properties = props;
      }
      bytes = encodePublish(packet, conn.version);
      options.cache?.set(key, bytes);
    }
    if (bytes.length > conn.clientMaximumPacketSize) {
      this.drop(session); // [MQTT-3.1.2-24], [MQTT-3.1.2-25]
      return false;
    }
    if (item.qos === 0) {
      this.send(conn, bytes);
      this.stats.publishSent++;
      return true;
    }
    const packetId = session.inflight.allocate();
    if (packetId === undefined) {
      this.drop(session);
      return false;
    }
    const copy = bytes.slice();
    const at = pidOffset(copy);
    copy[at] = packetId >> 8;
    copy[at + 1] = packetId & 0xff;
    if (message.payload.buffer.byteLength > 4096) {
      message.payload = message.payload.slice();
    }
    session.inflight.add({
      packetId,
      message,
      qos: item.qos as 1 | 2,
      retain: item.retain,
      subscriptionIds: item.subscriptionIds,
      state: "publish",
    });
    this.markSession(session);
    this.send(conn, copy);
    this.stats.publishSent++;
    return true;
  }

  /** Sends queued messages while the connection and window allow. */
  drainQueue(session: Session, now: number): void {
    const id = session.connection;
    const conn = id === undefined ? undefined : this.connections.get(id);
    if (conn === undefined || conn.state !== "open") return;
    const queue = session.queue;
    let i = 0;
    const window = this.windowOf(conn);
    while (i < queue.length && conn.writable) {
      const item = queue[i] as QueuedMessage;
      if (item.qos > 0 && session.inflight.size >= window) break;
      i++;
      this.transmitPublish(conn, session, item, { now, cache: undefined });
    }
    if (i > 0) {
      session.queue = i === queue.length ? [] : queue.slice(i);
      this.markSession(session);
    }
  }

  /** Resends unacknowledged messages on session resume [MQTT-4.4.0-1]. */
  resendInflight(conn: Connection, session: Session, now: number): void {
    for (const entry of session.inflight.values()) {
      if (entry.state === "pubrel") {
        this.sendPacket(conn, { type: "pubrel", packetId: entry.packetId });
        continue;
      }
      const message = entry.message;
      const packet: PublishPacket = {
        type: "publish",
        topic: message.topic,
        payload: message.payload,
        qos: entry.qos,
        retain: entry.retain,
        dup: true, // [MQTT-3.3.1-1]
        packetId: entry.packetId,
      };
      if (conn.version === 5) {
        let expiry: number | undefined;
        if (message.expiresAt !== undefined) {
          expiry = Math.max(1, Math.ceil((message.expiresAt - now) / 1000));
        }
        const props = outgoingProperties(message.properties, {
          expiry,
          subscriptionIds: entry.subscriptionIds,
        });
        if (props !== undefined) packet.properties = props;
      }
      const bytes = encodePublish(packet, conn.version);
      if (bytes.length > conn.clientMaximumPacketSize) {
        session.inflight.delete(entry.packetId);
        this.drop(session);
        continue;
      }
      this.send(conn, bytes);
      this.stats.publishSent++;
    }
  }

  sendPingresp(conn: Connection): void {
    this.send(conn, PINGRESP);
  }

  // ---- timers --------------------------------------------------------------

  armKeepAlive(conn: Connection): void {
    if (conn.keepAliveMs === 0) return;
    // [MQTT-3.1.2-22] (5.0), [MQTT-3.1.2-24] (3.1.1): 1.5 × keep alive
    this.keepAlive.set(conn, conn.lastInputAt + conn.keepAliveMs * 1.5);
  }

  /** Closes connections silent for 1.5 × their keep alive; returns how many. */
  sweepKeepAlive(now: number): number {
    this.touch(now);
    let closed = 0;
    for (const conn of this.keepAlive.takeDue(now)) {
      if (conn.state !== "open") continue;
      const deadline = conn.lastInputAt + conn.keepAliveMs * 1.5;
      if (deadline > now) {
        this.keepAlive.set(conn, deadline);
        continue;
      }
      closed++;
      try {
        this.close(conn, now, {
          reason: "keep_alive_timeout",
          reasonCode: 0x8d,
          publishWill: true,
          bytes: conn.version === 5
            ? encodePacket({ type: "disconnect", reasonCode: 0x8d }, 5)
            : undefined,
        });
      } catch (e) {
        this.emit({ kind: "error", connection: conn.id, error: e });
      }
    }
    return closed;
  }

  /** Ends sessions whose expiry interval has passed; returns how many. */
  sweepSessions(now: number): number {
    this.touch(now);
    let ended = 0;
    for (const session of this.sessionExpiry.takeDue(now)) {
      if (session.connection !== undefined) continue;
      if (session.expiresAt === undefined || session.expiresAt > now) continue;
      if (this.sessions.get(session.clientId) !== session) continue;
      ended++;
      try {
        this.endSession(session, now);
      } catch (e) {
        this.emit({ kind: "error", connection: undefined, error: e });
      }
    }
    return ended;
  }

  handleTimeout(now: number): void {
    this.touch(now);
    this.resume(now);
    try {
      this.timers.run(now);
    } catch (e) {
      this.emit({ kind: "error", connection: undefined, error: e });
    }
  }

  nextTimeout(): number | undefined {
    return this.timers.next();
  }

  #sysTick(now: number): void {
    this.timers.schedule(now + this.sysIntervalMs, (t) => this.#sysTick(t));
    this.publishSys(now);
  }

  publishSys(now: number): void {
    this.sysLoad.update(this.stats, now);
    let disconnected = 0;
    for (const s of this.sessions.values()) {
      if (s.connection === undefined) disconnected++;
    }
    const gauges = {
      version: this.versionString,
      uptimeSeconds: Math.floor((now - (this.startedAt ?? now)) / 1000),
      connected: this.connected,
      disconnected,
      subscriptions: this.subscriptionCount(),
      retained: this.retained.size,
    };
    const encoder = new TextEncoder();
    for (
      const [topic, value] of sysTopics(this.stats, {
        gauges,
        load: this.sysLoad,
        sessions: this.sweepFigures,
      })
    ) {
      this.publishMessage({
        topic,
        payload: encoder.encode(value),
        qos: 0,
        retain: true,
      }, now);
    }
  }

  // ---- persistence (write-behind) -------------------------------------------

  markSession(session: Session): void {
    if (this.store === undefined || session.expiryInterval === 0) return;
    this.#dirtySessions.add(session.clientId);
    this.#armPersist(this.clock);
  }

  armPersistAt(now: number): void {
    this.#armPersist(now);
  }

  #armPersist(now: number): void {
    if (this.#persistArmed || this.store === undefined) return;
    this.#persistArmed = true;
    this.timers.schedule(now + this.persistIntervalMs, (t) => {
      this.#persistArmed = false;
      this.flushStore(t);
    });
  }

  /** Hands the dirty state to the store as one batch, unless one is in flight. */
  flushStore(now: number): void {
    const store = this.store;
    if (store === undefined) return;
    if (this.#dirtySessions.size === 0 && this.#dirtyRetained.size === 0) {
      return;
    }
    if (this.#storeBusy) {
      this.#armPersist(now);
      return;
    }
    const ops: StoreOp[] = [];
    for (const clientId of this.#dirtySessions) {
      const s = this.sessions.get(clientId);
      if (s === undefined || s.expiryInterval === 0) {
        ops.push({ kind: "delete_session", clientId });
      } else ops.push({ kind: "session", session: storedSession(s) });
    }
    for (const topic of this.#dirtyRetained) {
      const m = this.retained.get(topic);
      ops.push(
        m === undefined
          ? { kind: "delete_retained", topic }
          : { kind: "retained", message: m },
      );
    }
    this.#dirtySessions.clear();
    this.#dirtyRetained.clear();
    let result: void | Promise<void>;
    try {
      result = store.write(ops);
    } catch (e) {
      this.emit({ kind: "store_error", error: e });
      return;
    }
    if (result instanceof Promise) {
      this.#storeBusy = true;
      result.then(
        () => {
          this.#storeBusy = false;
        },
        (e) => {
          this.#storeBusy = false;
          this.emit({ kind: "store_error", error: e });
        },
      );
    }
  }

  /** Loads a store snapshot (once, before connections arrive). */
  restore(snapshot: StoreSnapshot, now: number): void {
    this.touch(now);
    for (const m of snapshot.retained) this.retained.set(m);
    for (const stored of snapshot.sessions) {
      if (stored.expiresAt !== undefined && stored.expiresAt <= now) continue;
      const s = new Session(stored.clientId);
      s.expiryInterval = stored.expiryInterval;
      s.expiresAt = stored.expiresAt ??
        (Number.isFinite(stored.expiryInterval)
          ? now + stored.expiryInterval * 1000
          : undefined);
      for (const sub of stored.subscriptions) {
        const share = sharedParts(sub.filter);
        const entry: SessionSubscription = {
          filter: sub.filter,
          topicFilter: share?.filter ?? sub.filter,
          group: share?.group,
          qos: sub.qos,
          noLocal: sub.noLocal,
          retainAsPublished: sub.retainAsPublished,
          retainHandling: sub.retainHandling,
          subscriptionId: sub.subscriptionId,
          session: s,
        };
        s.subscriptions.set(sub.filter, entry);
        this.addSub(entry);
      }
      for (const e of stored.inflight) s.inflight.add({ ...e });
      s.queue = stored.queue.map((q) => ({ ...q }));
      for (const id of stored.incomingQos2) s.incomingQos2.add(id);
      this.sessions.set(s.clientId, s);
      if (s.expiresAt !== undefined) this.sessionExpiry.set(s, s.expiresAt);
    }
  }
}

/**
 * Splits `$share/{group}/{filter}`; `undefined` for other filters.
 *
 * @example
 * ```ts
 * import { sharedParts } from "./_core.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(sharedParts("$share/g/a/#"), { group: "g", filter: "a/#" });
 * assert.equal(sharedParts("a/#"), undefined);
 * ```
 */
export function sharedParts(
  filter: string,
): { group: string; filter: string } | undefined {
  if (!filter.startsWith("$share/")) return undefined;
  const slash = filter.indexOf("/", 7);
  if (slash < 0) return undefined;
  return { group: filter.slice(7, slash), filter: filter.slice(slash + 1) };
}

/**
 * Splits the Message Expiry Interval out of PUBLISH (or will) properties
 * into an absolute time, dropping per-connection properties (Topic Alias,
 * Subscription Identifiers, Will Delay Interval).
 *
 * @example
 * ```ts
 * import { splitExpiry } from "./_core.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitExpiry({ messageExpiryInterval: 5, topicAlias: 2 }, 1000), {
 *   properties: undefined,
 *   expiresAt: 6000,
 * });
 * ```
 */
export function splitExpiry(
  props: (PublishProperties & { willDelayInterval?: number }) | undefined,
  now: number,
): {
  properties: PublishProperties | undefined;
  expiresAt: number | undefined;
} {
  if (props === undefined) {
    return { properties: undefined, expiresAt: undefined };
  }
  const {
    messageExpiryInterval,
    topicAlias: _alias,
    subscriptionIdentifiers: _ids,
    willDelayInterval: _delay,
    ...rest
  } = props;
  let properties: PublishProperties | undefined = rest;
  let empty = true;
  for (const _ in rest) {
    empty = false;
    break;
  }
  if (empty) properties = undefined;
  return {
    properties,
    expiresAt: messageExpiryInterval === undefined
      ? undefined
      : now + messageExpiryInterval * 1000,
  };
}

function outgoingProperties(
  base: PublishProperties | undefined,
  extra: { expiry: number | undefined; subscriptionIds: number[] | undefined },
): PublishProperties | undefined {
  if (extra.expiry === undefined && extra.subscriptionIds === undefined) {
    return base;
  }
  const props: PublishProperties = { ...base };
  if (extra.expiry !== undefined) props.messageExpiryInterval = extra.expiry; // [MQTT-3.3.2-6]
  if (extra.subscriptionIds !== undefined) {
    props.subscriptionIdentifiers = extra.subscriptionIds; // [MQTT-3.3.4-3]
  }
  return props;
}

function storedSession(s: Session): StoredSession {
  return {
    clientId: s.clientId,
    expiryInterval: s.expiryInterval,
    expiresAt: s.expiresAt,
    subscriptions: [...s.subscriptions.values()].map((sub) => ({
      filter: sub.filter,
      qos: sub.qos,
      noLocal: sub.noLocal,
      retainAsPublished: sub.retainAsPublished,
      retainHandling: sub.retainHandling,
      subscriptionId: sub.subscriptionId,
    })),
    inflight: [...s.inflight.values()].map((e) => ({ ...e })),
    queue: s.queue.filter((q) => q.qos > 0).map((q) => ({ ...q })),
    incomingQos2: [...s.incomingQos2],
  };
}
