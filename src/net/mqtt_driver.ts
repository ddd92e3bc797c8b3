/**
 * Drives the sans-IO MQTT broker core over real connections: one read loop
 * per connection feeding `handleInput`, one write queue per connection fed by
 * `pollTransmit`, one timer re-armed at `nextTimeout`. Every transport (TCP,
 * TLS, WebSocket, postern's own TLS engine) hands its connections here as a
 * {@link ByteStream}.
 *
 * ```
 *  stream.read ─► core.handleInput ─┐
 *  timer       ─► core.handleTimeout ├─► pump(): pollTransmit → link queues → stream.write
 *  auth settled ─► core.resume ──────┘           pollEvent    → close / log / auth_pending
 *                                                nextTimeout  → re-arm the one timer
 * ```
 *
 * Writes are batched: everything the core produced for a connection since
 * the last write goes out in one `write` call, which is what lets fan-out
 * keep up with a C broker. A connection whose socket does not drain is
 * reported to the core as not writable once `highWatermark` bytes wait, so
 * the core queues (bounded by its per-session limit, QoS 0 dropped first)
 * for that session only and other subscribers are not stalled.
 *
 * @module
 */

import { type ByteStream, writeAll } from "./byte_stream.ts";
import type { Logger } from "../log/mod.ts";
import type { Broker, BrokerEvent } from "../mqtt/broker/mod.ts";
import type { ConnectionInfo } from "../mqtt/broker/mod.ts";

/** Transports as the broker core names them. */
export type MqttTransport = ConnectionInfo["transport"];

/**
 * What the driver needs from the broker core: the methods of `Broker`.
 *
 * @example A `Broker` is an MqttCore
 * ```ts
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import type { MqttCore } from "./mqtt_driver.ts";
 *
 * const core: MqttCore = new Broker({ sysInterval: 0 });
 * ```
 */
export type MqttCore = Pick<
  Broker,
  | "openConnection"
  | "handleInput"
  | "connectionClosed"
  | "handleTimeout"
  | "setWritable"
  | "pollTransmit"
  | "pollEvent"
  | "nextTimeout"
  | "resume"
  | "publishedEvents"
>;

/**
 * A message the broker accepted, as {@link MqttDriver.onPublished} hands it
 * over (the core's `published` event).
 *
 * @example
 * ```ts
 * import type { PublishedMessage } from "./mqtt_driver.ts";
 *
 * const m: PublishedMessage = { kind: "published", clientId: undefined, topic: "a", payload: new Uint8Array(), qos: 0, retain: false };
 * ```
 */
export type PublishedMessage = Extract<BrokerEvent, { kind: "published" }>;

/**
 * Options of {@link MqttDriver}.
 *
 * @example
 * ```ts
 * import type { MqttDriverOptions } from "./mqtt_driver.ts";
 *
 * const options: MqttDriverOptions = { highWatermark: 256 * 1024, lowWatermark: 64 * 1024 };
 * ```
 */
export interface MqttDriverOptions {
  /** Logger for connection-level events (debug) and broker errors. */
  logger?: Logger;
  /** Clock in ms (default `Date.now`). */
  clock?: () => number;
  /** Bytes queued for one socket before the core is told it is not writable. */
  highWatermark?: number;
  /** Bytes queued below which the core is told it is writable again. */
  lowWatermark?: number;
  /**
   * Largest size of each connection's reused read buffer (default 64 KiB).
   * It starts at 4 KiB and doubles when a read fills it, so an idle
   * connection holds little memory.
   */
  readBufferSize?: number;
}

interface Link {
  readonly stream: ByteStream;
  readonly queue: Uint8Array[];
  queued: number;
  writing: boolean;
  blocked: boolean;
  closing: boolean;
  closed: boolean;
  readonly done: PromiseWithResolvers<void>;
}

/**
 * Connects a broker core to byte streams.
 *
 * @example Drive a real broker over an in-memory stream
 * ```ts
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { encodePacket } from "../mqtt/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks = [encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 0, clientId: "c" }, 4)];
 * const written: Uint8Array[] = [];
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * await driver.serve({
 *   read: async (buf) => {
 *     await new Promise((r) => setTimeout(r, 1));
 *     const c = chunks.shift();
 *     if (!c) return null;
 *     buf.set(c);
 *     return c.length;
 *   },
 *   write: (d) => (written.push(d.slice()), Promise.resolve(d.length)),
 *   close: () => {},
 * }, { remoteAddress: "127.0.0.1:5000", transport: "tcp" });
 * assert.equal(written[0]?.[0], 0x20); // CONNACK
 * driver.close();
 * ```
 */
export class MqttDriver {
  readonly #core: MqttCore;
  readonly #clock: () => number;
  readonly #high: number;
  readonly #low: number;
  readonly #readSize: number;
  readonly #logger: Logger | undefined;
  readonly #links = new Map<number, Link>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt: number | undefined;
  #closed = false;
  #pendingAuth = 0;
  readonly #published = new Set<(message: PublishedMessage) => void>();

  /**
   * @param core The broker core.
   * @param options Clock, watermarks, logger.
   */
  constructor(core: MqttCore, options: MqttDriverOptions = {}) {
    this.#core = core;
    this.#clock = options.clock ?? Date.now;
    this.#high = options.highWatermark ?? 1 << 20;
    this.#low = options.lowWatermark ?? 1 << 18;
    this.#readSize = options.readBufferSize ?? 64 * 1024;
    this.#logger = options.logger;
  }

  /** Number of connections being served. */
  get connections(): number {
    return this.#links.size;
  }

  /** Bytes waiting in the driver's write queues, over all connections. */
  get queuedBytes(): number {
    let n = 0;
    for (const link of this.#links.values()) n += link.queued;
    return n;
  }

  /**
   * Hands every message the broker accepts from now on to `listener`, as
   * the driver drains the core's events: an in-process subscriber (the
   * CoAP gateway) that is no MQTT client, so no credential, ACL or client
   * identifier of its own is involved. The core emits these events while
   * at least one listener is registered.
   *
   * @param listener Called for each message, `$SYS` included.
   * @returns A function that removes the listener.
   *
   * @example
   * ```ts
   * import { MqttDriver } from "./mqtt_driver.ts";
   * import { Broker } from "../mqtt/broker/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const broker = new Broker({ sysInterval: 0 });
   * const driver = new MqttDriver(broker);
   * const seen: string[] = [];
   * const off = driver.onPublished((m) => seen.push(m.topic));
   * broker.publish(0, { topic: "a/b", payload: new Uint8Array([1]), qos: 0, retain: false });
   * driver.pump();
   * off();
   * assert.deepEqual(seen, ["a/b"]);
   * assert.equal(broker.publishedEvents, false);
   * driver.close();
   * ```
   */
  onPublished(listener: (message: PublishedMessage) => void): () => void {
    this.#published.add(listener);
    this.#core.publishedEvents = true;
    return () => {
      this.#published.delete(listener);
      if (this.#published.size === 0) this.#core.publishedEvents = false;
    };
  }

  /**
   * Serves one connection until it ends; resolves when it is closed.
   *
   * @param stream The connection.
   * @param info What the core is told about it.
   */
  async serve(stream: ByteStream, info: ConnectionInfo): Promise<void> {
    if (this.#closed) {
      stream.close();
      return;
    }
    const id = this.#core.openConnection(this.#clock(), info);
    const link: Link = {
      stream,
      queue: [],
      queued: 0,
      writing: false,
      blocked: false,
      closing: false,
      closed: false,
      done: Promise.withResolvers<void>(),
    };
    this.#links.set(id, link);
    this.#logger?.debug("mqtt.connection_opened", {
      connection: id,
      remote: info.remoteAddress,
      transport: info.transport,
    });
    this.pump();
    let buffer = new Uint8Array(Math.min(512, this.#readSize));
    let reason = "connection closed by peer";
    try {
      while (!link.closed && !link.closing) {
        const n = await stream.read(buffer);
        if (n === null) break;
        if (link.closed || link.closing) break;
        this.#core.handleInput(this.#clock(), id, buffer.subarray(0, n));
        this.pump();
        if (n === buffer.length && buffer.length < this.#readSize) {
          buffer = new Uint8Array(Math.min(buffer.length * 2, this.#readSize));
        }
      }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (!link.closing) this.#finish(id, link, reason);
    await link.done.promise;
  }

  #finish(id: number, link: Link, reason: string): void {
    if (link.closed) return;
    link.closed = true;
    link.done.resolve();
    this.#links.delete(id);
    link.queue.length = 0;
    link.queued = 0;
    try {
      link.stream.close();
    } catch {
      // Already closed by the peer.
    }
    this.#logger?.debug("mqtt.connection_closed", { connection: id, reason });
    this.#core.connectionClosed(this.#clock(), id, reason);
    this.pump();
  }

  /**
   * Moves everything the core has produced onto sockets, handles its events
   * and re-arms the timer. Call after anything that may have produced output
   * outside a read (an internal publish, for instance).
   */
  pump(): void {
    const core = this.#core;
    for (let t = core.pollTransmit(); t; t = core.pollTransmit()) {
      const link = this.#links.get(t.connection);
      if (link === undefined || link.closed) continue;
      link.queue.push(t.bytes);
      link.queued += t.bytes.length;
      if (!link.blocked && link.queued > this.#high) {
        link.blocked = true;
        core.setWritable(t.connection, false);
      }
      if (!link.writing) void this.#flush(t.connection, link);
    }
    for (let e = core.pollEvent(); e; e = core.pollEvent()) {
      switch (e.kind) {
        case "close": {
          const link = this.#links.get(e.connection);
          if (link === undefined) break;
          link.closing = true;
          if (!link.writing) this.#finish(e.connection, link, e.reason);
          break;
        }
        case "auth_pending":
          this.#awaitAuth(e.settled);
          break;
        case "connected":
          this.#logger?.debug("mqtt.client_connected", {
            connection: e.connection,
            clientId: e.clientId,
            sessionPresent: e.sessionPresent,
          });
          break;
        case "disconnected":
          this.#logger?.debug("mqtt.client_disconnected", {
            connection: e.connection,
            clientId: e.clientId,
            reason: e.reason,
          });
          break;
        case "error":
          this.#logger?.warn("mqtt.connection_error", {
            connection: e.connection ?? null,
            error: e.error,
          });
          break;
        case "store_error":
          this.#logger?.error("mqtt.store_error", { error: e.error });
          break;
        case "published":
          for (const listener of this.#published) listener(e);
          break;
      }
    }
    this.#arm();
  }

  /** Applies an asynchronous authentication once it settles. */
  #awaitAuth(settled: Promise<void>): void {
    this.#pendingAuth++;
    const apply = () => {
      this.#pendingAuth--;
      if (this.#closed) return;
      this.#core.resume(this.#clock());
      this.pump();
    };
    settled.then(apply, apply);
  }

  async #flush(id: number, link: Link): Promise<void> {
    link.writing = true;
    try {
      while (link.queue.length > 0 && !link.closed) {
        const parts = link.queue.splice(0);
        const size = link.queued;
        link.queued = 0;
        let bytes: Uint8Array;
        if (parts.length === 1) {
          bytes = parts[0] as Uint8Array;
        } else {
          bytes = new Uint8Array(size);
          let off = 0;
          for (const p of parts) {
            bytes.set(p, off);
            off += p.length;
          }
        }
        await writeAll(link.stream, bytes);
        if (link.blocked && link.queued < this.#low && !link.closed) {
          link.blocked = false;
          this.#core.setWritable(id, true, this.#clock());
          this.pump();
        }
      }
    } catch (err) {
      link.writing = false;
      this.#finish(
        id,
        link,
        `write failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    link.writing = false;
    if (link.closing) this.#finish(id, link, "closed by broker");
  }

  #arm(): void {
    if (this.#closed) return;
    const next = this.#core.nextTimeout();
    if (next === this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#core.handleTimeout(this.#clock());
      this.pump();
    }, Math.max(0, Math.min(next - this.#clock(), 2 ** 31 - 1)));
  }

  /**
   * Closes one connection served here (its listener is closing).
   *
   * @param stream The stream given to {@link serve}.
   */
  closeStream(stream: ByteStream): void {
    for (const [id, link] of this.#links) {
      if (link.stream === stream) {
        this.#finish(id, link, "listener closing");
        return;
      }
    }
  }

  /** Closes every connection and stops the timer. */
  close(): void {
    for (const [id, link] of [...this.#links]) {
      this.#finish(id, link, "server shutting down");
    }
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }
}
