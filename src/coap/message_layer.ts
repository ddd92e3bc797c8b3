/**
 * The CoAP message layer (RFC 7252 §4), sans-IO: reliability of
 * Confirmable messages, deduplication, message-ID allocation and NSTART.
 *
 * ```
 *  Client                Server        CON retransmission (§4.2):
 *     |  CON [0x7d34]  --->  |          timeout₀ ∈ [ACK_TIMEOUT,
 *     |  (lost)              |            ACK_TIMEOUT × ACK_RANDOM_FACTOR]
 *     |  CON [0x7d34]  --->  |          doubled after each retransmission,
 *     |  <---  ACK [0x7d34]  |          at most MAX_RETRANSMIT times
 * ```
 *
 * Received CON and NON messages are remembered by (peer, message ID) for
 * EXCHANGE_LIFETIME / NON_LIFETIME (§4.5); a duplicate CON gets the cached
 * reply again and is not handed up. Outgoing CONs to one peer are limited to
 * NSTART outstanding (§4.7); more wait in a queue.
 *
 * The layer never reads a clock or a random source of its own: `now` comes
 * with every call and randomness through `options.random`.
 *
 * @module
 */

import { MessageType } from "./codes.ts";
import { type CoapMessage, emptyMessage, encodeMessage } from "./message.ts";

/**
 * An opaque endpoint key, e.g. "127.0.0.1:5683" (the adapter maps it back
 * to an address).
 *
 * @example
 * ```ts
 * import type { PeerId } from "./message_layer.ts";
 * import assert from "node:assert/strict";
 *
 * const p: PeerId = "127.0.0.1:5683";
 * assert.ok(p.includes(":"));
 * ```
 */
export type PeerId = string;

/**
 * A datagram to send.
 *
 * @example
 * ```ts
 * import type { Outgoing } from "./message_layer.ts";
 * import assert from "node:assert/strict";
 *
 * const o: Outgoing = { bytes: new Uint8Array([0x60, 0, 0, 1]), to: "a" };
 * assert.equal(o.to, "a");
 * ```
 */
export interface Outgoing {
  /** The encoded message. */
  readonly bytes: Uint8Array;
  /** The destination. */
  readonly to: PeerId;
}

/**
 * Transmission parameters (RFC 7252 §4.8) and bounds.
 *
 * @example
 * ```ts
 * import type { TransmissionOptions } from "./message_layer.ts";
 * import assert from "node:assert/strict";
 *
 * const fast: TransmissionOptions = { ackTimeout: 500, maxRetransmit: 2, random: () => 0 };
 * assert.equal(fast.maxRetransmit, 2);
 * ```
 */
export interface TransmissionOptions {
  /** ACK_TIMEOUT, ms (default 2000). */
  readonly ackTimeout?: number;
  /** ACK_RANDOM_FACTOR (default 1.5). */
  readonly ackRandomFactor?: number;
  /** MAX_RETRANSMIT (default 4). */
  readonly maxRetransmit?: number;
  /** NSTART: outstanding CONs per peer (default 1). */
  readonly nstart?: number;
  /** EXCHANGE_LIFETIME, ms (default 247 000). */
  readonly exchangeLifetime?: number;
  /** NON_LIFETIME, ms (default 145 000). */
  readonly nonLifetime?: number;
  /** Bound on remembered message IDs (default 20 000). */
  readonly maxRemembered?: number;
  /** Uniform random number in [0, 1) (default: a fixed seed LCG). */
  readonly random?: () => number;
}

/**
 * What {@link MessageLayer.receive} made of an incoming message.
 *
 * @example
 * ```ts
 * import type { Received } from "./message_layer.ts";
 * import assert from "node:assert/strict";
 *
 * const r: Received<string> = { kind: "duplicate" };
 * assert.equal(r.kind, "duplicate");
 * ```
 */
export type Received<T> =
  | { readonly kind: "new"; readonly message: CoapMessage }
  | { readonly kind: "duplicate" }
  | {
    readonly kind: "ack";
    readonly message: CoapMessage;
    readonly tag: T | undefined;
  }
  | {
    readonly kind: "reset";
    readonly message: CoapMessage;
    readonly tag: T | undefined;
  };

/**
 * A CON the layer gave up on (RFC 7252 §4.2: no ACK after MAX_RETRANSMIT).
 *
 * @example
 * ```ts
 * import type { LayerEvent } from "./message_layer.ts";
 * import assert from "node:assert/strict";
 *
 * const e: LayerEvent<number> = { type: "timeout", peer: "p", messageId: 1, tag: 7 };
 * assert.equal(e.tag, 7);
 * ```
 */
export interface LayerEvent<T> {
  /** Always "timeout". */
  readonly type: "timeout";
  /** The peer. */
  readonly peer: PeerId;
  /** The message ID that was never acknowledged. */
  readonly messageId: number;
  /** The caller's tag. */
  readonly tag: T;
}

interface Pending<T> {
  readonly peer: PeerId;
  readonly messageId: number;
  readonly bytes: Uint8Array;
  readonly tag: T;
  timeout: number;
  retransmits: number;
  deadline: number;
}

interface Remembered {
  readonly expiresAt: number;
  reply: Uint8Array | undefined;
}

function defaultRandom(): () => number {
  let s = 0x2545f491;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The message layer for one local endpoint, shared by server and client.
 * `T` is a caller tag carried with each outgoing CON or NON (the exchange
 * it belongs to), returned on its ACK, RST or timeout.
 *
 * @example A CON retransmitted at 2 s then acknowledged
 * ```ts
 * import { MessageLayer } from "./message_layer.ts";
 * import { decodeMessage, emptyMessage, encodeMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const layer = new MessageLayer<string>({ random: () => 0 });
 * const mid = layer.sendConfirmable(0, "peer", { code: 1, token: new Uint8Array([1]), options: [], payload: new Uint8Array() }, "req");
 * assert.equal(layer.pollTransmit()?.to, "peer");
 * assert.equal(layer.nextTimeout(), 2000);
 * layer.handleTimeout(2000);
 * assert.equal(decodeMessage(layer.pollTransmit()!.bytes).messageId, mid);
 * const r = layer.receive(2100, "peer", decodeMessage(encodeMessage(emptyMessage(2, mid))));
 * assert.equal(r.kind === "ack" && r.tag, "req");
 * assert.equal(layer.nextTimeout(), undefined);
 * ```
 */
export class MessageLayer<T> {
  readonly #ackTimeout: number;
  readonly #factor: number;
  readonly #maxRetransmit: number;
  readonly #nstart: number;
  readonly #exchangeLifetime: number;
  readonly #nonLifetime: number;
  readonly #maxRemembered: number;
  readonly #random: () => number;
  readonly #out: Outgoing[] = [];
  readonly #events: LayerEvent<T>[] = [];
  /** Outstanding CONs by `peer#mid`. */
  readonly #pending = new Map<string, Pending<T>>();
  /** CONs waiting for an NSTART slot, per peer. */
  readonly #queued = new Map<PeerId, Array<Omit<Pending<T>, "deadline">>>();
  readonly #outstanding = new Map<PeerId, number>();
  /** Received message IDs (§4.5), insertion-ordered. */
  readonly #seen = new Map<string, Remembered>();
  /** NONs sent, so a Reset can be matched to them (RFC 7641 §3.6). */
  readonly #sentNon = new Map<string, { tag: T; expiresAt: number }>();
  readonly #nextMid = new Map<PeerId, number>();

  /** @param options Transmission parameters and the random source. */
  constructor(options: TransmissionOptions = {}) {
    this.#ackTimeout = options.ackTimeout ?? 2000;
    this.#factor = options.ackRandomFactor ?? 1.5;
    this.#maxRetransmit = options.maxRetransmit ?? 4;
    this.#nstart = options.nstart ?? 1;
    this.#exchangeLifetime = options.exchangeLifetime ?? 247_000;
    this.#nonLifetime = options.nonLifetime ?? 145_000;
    this.#maxRemembered = options.maxRemembered ?? 20_000;
    this.#random = options.random ?? defaultRandom();
  }

  /** Messages remembered for deduplication (for memory-bound tests). */
  get rememberedCount(): number {
    return this.#seen.size + this.#sentNon.size;
  }

  /** CONs awaiting an ACK plus those queued behind NSTART. */
  get outstandingCount(): number {
    let queued = 0;
    for (const q of this.#queued.values()) queued += q.length;
    return this.#pending.size + queued;
  }

  /**
   * Allocates the next message ID towards `peer` (RFC 7252 §4.4: the
   * sequence starts at a random value and increments).
   *
   * @param peer The destination.
   * @returns A 16-bit message ID.
   */
  allocateMessageId(peer: PeerId): number {
    let mid = this.#nextMid.get(peer);
    if (mid === undefined) {
      mid = Math.floor(this.#random() * 0x10000) & 0xffff;
      if (this.#nextMid.size >= this.#maxRemembered) {
        const oldest = this.#nextMid.keys().next().value;
        if (oldest !== undefined) this.#nextMid.delete(oldest);
      }
    }
    this.#nextMid.set(peer, (mid + 1) & 0xffff);
    return mid;
  }

  /**
   * Handles an incoming, decoded message.
   *
   * @param now Current time, ms.
   * @param peer The sender.
   * @param message The message.
   * @returns "new" for a CON/NON to process, "duplicate" when it was a
   *   duplicate (the cached reply was re-sent), or the matched ACK/RST.
   */
  receive(now: number, peer: PeerId, message: CoapMessage): Received<T> {
    this.#purge(now);
    const key = `${peer}#${message.messageId}`;
    switch (message.type) {
      case MessageType.CON:
      case MessageType.NON: {
        const seen = this.#seen.get(key);
        if (seen !== undefined) {
          // RFC 7252 §4.5: act on a duplicate CON as on the original (re-send
          // the ACK or response), silently ignore a duplicate NON.
          if (message.type === MessageType.CON && seen.reply !== undefined) {
            this.#out.push({ bytes: seen.reply, to: peer });
          }
          return { kind: "duplicate" };
        }
        if (this.#seen.size >= this.#maxRemembered) {
          const oldest = this.#seen.keys().next().value;
          if (oldest !== undefined) this.#seen.delete(oldest);
        }
        this.#seen.set(key, {
          expiresAt: now +
            (message.type === MessageType.CON
              ? this.#exchangeLifetime
              : this.#nonLifetime),
          reply: undefined,
        });
        return { kind: "new", message };
      }
      case MessageType.ACK:
      case MessageType.RST: {
        const p = this.#pending.get(key);
        let tag: T | undefined;
        if (p !== undefined) {
          this.#pending.delete(key);
          tag = p.tag;
          this.#release(now, peer);
        } else if (message.type === MessageType.RST) {
          const non = this.#sentNon.get(key);
          if (non !== undefined) {
            this.#sentNon.delete(key);
            tag = non.tag;
          }
        }
        return message.type === MessageType.ACK
          ? { kind: "ack", message, tag }
          : { kind: "reset", message, tag };
      }
    }
  }

  /**
   * Sends the reply to a received message (a piggybacked ACK, an empty
   * ACK, a RST or a NON response) and caches it, so that a duplicate of
   * the received message is answered with the same bytes (§4.5).
   *
   * @param peer The peer that sent the original.
   * @param message The reply; for ACK/RST its messageId is the original's.
   * @param original The received message ID the reply belongs to.
   */
  reply(peer: PeerId, message: CoapMessage, original: number): void {
    const bytes = encodeMessage(message);
    const seen = this.#seen.get(`${peer}#${original}`);
    if (seen !== undefined) seen.reply = bytes;
    this.#out.push({ bytes, to: peer });
  }

  /**
   * Sends a Reset for a received message (§4.2, §4.3).
   *
   * @param peer The sender of the message being rejected.
   * @param messageId Its message ID.
   */
  reset(peer: PeerId, messageId: number): void {
    this.reply(peer, emptyMessage(MessageType.RST, messageId), messageId);
  }

  /**
   * Sends a Confirmable message with retransmission (§4.2), subject to
   * NSTART (§4.7).
   *
   * @param now Current time, ms.
   * @param peer The destination.
   * @param message The message; its type and message ID are set here.
   * @param tag Returned with the ACK, RST or timeout.
   * @returns The allocated message ID.
   */
  sendConfirmable(
    now: number,
    peer: PeerId,
    message: Omit<CoapMessage, "messageId" | "type">,
    tag: T,
  ): number {
    const messageId = this.allocateMessageId(peer);
    const bytes = encodeMessage({
      ...message,
      type: MessageType.CON,
      messageId,
    });
    const entry = { peer, messageId, bytes, tag, timeout: 0, retransmits: 0 };
    if ((this.#outstanding.get(peer) ?? 0) >= this.#nstart) {
      const q = this.#queued.get(peer) ?? [];
      q.push(entry);
      this.#queued.set(peer, q);
    } else {
      this.#start(now, entry);
    }
    return messageId;
  }

  /**
   * Sends a Non-confirmable message (§4.3). A Reset answering it within
   * NON_LIFETIME is reported with `tag`.
   *
   * @param now Current time, ms.
   * @param peer The destination.
   * @param message The message; its type and message ID are set here.
   * @param tag Returned with a matching RST.
   * @returns The allocated message ID.
   */
  sendNonConfirmable(
    now: number,
    peer: PeerId,
    message: Omit<CoapMessage, "messageId" | "type">,
    tag: T,
  ): number {
    this.#purge(now);
    const messageId = this.allocateMessageId(peer);
    if (this.#sentNon.size >= this.#maxRemembered) {
      const oldest = this.#sentNon.keys().next().value;
      if (oldest !== undefined) this.#sentNon.delete(oldest);
    }
    this.#sentNon.set(`${peer}#${messageId}`, {
      tag,
      expiresAt: now + this.#nonLifetime,
    });
    this.#out.push({
      bytes: encodeMessage({ ...message, type: MessageType.NON, messageId }),
      to: peer,
    });
    return messageId;
  }

  /**
   * Stops retransmitting (or drops from the queue) every CON whose tag
   * satisfies `match`, e.g. a superseded notification.
   *
   * @param now Current time, ms.
   * @param match Predicate over tags.
   * @returns How many were cancelled.
   */
  cancel(now: number, match: (tag: T) => boolean): number {
    let n = 0;
    for (const [peer, q] of this.#queued) {
      const keep = q.filter((e) => !match(e.tag));
      n += q.length - keep.length;
      if (keep.length === 0) this.#queued.delete(peer);
      else this.#queued.set(peer, keep);
    }
    for (const [key, p] of this.#pending) {
      if (!match(p.tag)) continue;
      this.#pending.delete(key);
      n++;
      this.#release(now, p.peer);
    }
    return n;
  }

  /** @returns The next datagram to send, if any. */
  pollTransmit(): Outgoing | undefined {
    return this.#out.shift();
  }

  /** @returns The next timeout event, if any. */
  pollEvent(): LayerEvent<T> | undefined {
    return this.#events.shift();
  }

  /** @returns The earliest retransmission deadline, ms. */
  nextTimeout(): number | undefined {
    let next: number | undefined;
    for (const p of this.#pending.values()) {
      if (next === undefined || p.deadline < next) next = p.deadline;
    }
    return next;
  }

  /**
   * Retransmits due CONs and gives up on those past MAX_RETRANSMIT.
   *
   * @param now Current time, ms.
   */
  handleTimeout(now: number): void {
    for (const [key, p] of [...this.#pending]) {
      if (p.deadline > now) continue;
      if (p.retransmits < this.#maxRetransmit) {
        // RFC 7252 §4.2: retransmit, increment the counter, double the timeout.
        p.retransmits++;
        p.timeout *= 2;
        p.deadline = now + p.timeout;
        this.#out.push({ bytes: p.bytes, to: p.peer });
      } else {
        this.#pending.delete(key);
        this.#events.push({
          type: "timeout",
          peer: p.peer,
          messageId: p.messageId,
          tag: p.tag,
        });
        this.#release(now, p.peer);
      }
    }
    this.#purge(now);
  }

  #start(now: number, entry: Omit<Pending<T>, "deadline">): void {
    // RFC 7252 §4.2: initial timeout random in
    // [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR].
    const timeout = Math.floor(
      this.#ackTimeout * (1 + this.#random() * (this.#factor - 1)),
    );
    const p: Pending<T> = { ...entry, timeout, deadline: now + timeout };
    this.#pending.set(`${p.peer}#${p.messageId}`, p);
    this.#outstanding.set(p.peer, (this.#outstanding.get(p.peer) ?? 0) + 1);
    this.#out.push({ bytes: p.bytes, to: p.peer });
  }

  #release(now: number, peer: PeerId): void {
    const n = (this.#outstanding.get(peer) ?? 1) - 1;
    if (n <= 0) this.#outstanding.delete(peer);
    else this.#outstanding.set(peer, n);
    const q = this.#queued.get(peer);
    const next = q?.shift();
    if (q !== undefined && q.length === 0) this.#queued.delete(peer);
    if (next !== undefined) this.#start(now, next);
  }

  #purge(now: number): void {
    for (const [k, v] of this.#seen) {
      if (v.expiresAt > now) break;
      this.#seen.delete(k);
    }
    for (const [k, v] of this.#sentNon) {
      if (v.expiresAt > now) break;
      this.#sentNon.delete(k);
    }
  }
}
