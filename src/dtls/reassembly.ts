/**
 * Handshake message reassembly (RFC 6347 §4.2.2, §4.2.3): fragments arrive
 * out of order, overlapping and duplicated; complete messages leave in
 * message_seq order, in their unfragmented form.
 *
 * Memory is bounded whatever the peer sends:
 *
 * - a message longer than `maxMessageSize` is dropped;
 * - only messages with `next <= message_seq < next + maxMessagesAhead` are
 *   buffered (RFC 6347 §4.2.2: a receiver "MAY" buffer future messages, and
 *   may discard them);
 * - so at most `maxMessagesAhead × maxMessageSize` body bytes are held, plus
 *   a bitmap of 1/8 of that. Work per fragment is linear in its size: there
 *   is no list of ranges to merge, so tiny fragments cannot make it
 *   quadratic.
 *
 * **Inconsistent fragments are dropped, not fatal.** The first fragment seen
 * for a message_seq fixes its msg_type and length; a later fragment of the
 * same message_seq that disagrees is dropped with reason `"inconsistent"`.
 * Epoch-0 handshake records are unauthenticated, so an off-path injector
 * could otherwise end any handshake with one datagram; silently discarding
 * matches RFC 6347 §4.1.2.7. An injected first fragment can still poison one
 * message, but the handshake then fails on its Finished check or times out,
 * which an injector can cause anyway. Overlapping bytes are not compared:
 * the first copy wins, and any difference surfaces in the Finished
 * verify_data, which covers the reassembled messages (RFC 6347 §4.2.6).
 *
 * Fragments of messages already delivered (message_seq below the next
 * expected) are reported as `{ kind: "retransmitted" }`: the peer is
 * retransmitting its last flight, which means it lost ours
 * (RFC 6347 §4.2.4). There is one event per fragment; the handshake layer
 * should resend its own flight once per peer flight, e.g. on the event for
 * the peer flight's last message_seq with `endsMessage`.
 *
 * @module
 */

import {
  encodeHandshakeMessage,
  HANDSHAKE_HEADER_LENGTH,
  type HandshakeFragment,
} from "./fragment.ts";

/**
 * Options of a {@link Reassembler}.
 *
 * @example
 * ```ts
 * import { Reassembler, type ReassemblerOptions } from "./reassembly.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ReassemblerOptions = { initialMessageSeq: 1, maxMessageSize: 16384, maxMessagesAhead: 4 };
 * assert.equal(new Reassembler(options).nextMessageSeq, 1);
 * ```
 */
export interface ReassemblerOptions {
  /** message_seq of the first message expected (default 0). */
  readonly initialMessageSeq?: number;
  /** Largest message body accepted, in bytes (default 65536). */
  readonly maxMessageSize?: number;
  /** How many messages from the next expected one may be buffered (default 8). */
  readonly maxMessagesAhead?: number;
}

/**
 * Why a fragment was not used.
 *
 * @example
 * ```ts
 * import { type DropReason, Reassembler } from "./reassembly.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new Reassembler({ maxMessagesAhead: 1 });
 * const [e] = r.push({ msgType: 1, length: 0, messageSeq: 5, fragmentOffset: 0, body: new Uint8Array() });
 * const reason: DropReason | undefined = e?.kind === "dropped" ? e.reason : undefined;
 * assert.equal(reason, "too_far_ahead");
 * ```
 */
export type DropReason =
  /** message_seq at or beyond `next + maxMessagesAhead`. */
  | "too_far_ahead"
  /** Message length above `maxMessageSize`. */
  | "too_large"
  /** msg_type or length differs from the first fragment of its message. */
  | "inconsistent"
  /** Fragment extends past its message length, or fields out of range. */
  | "malformed";

/**
 * What a fragment produced.
 *
 * @example
 * ```ts
 * import { Reassembler, type ReassemblyEvent } from "./reassembly.ts";
 * import assert from "node:assert/strict";
 *
 * const events: ReassemblyEvent[] = new Reassembler().push({ msgType: 14, length: 0, messageSeq: 0, fragmentOffset: 0, body: new Uint8Array() });
 * assert.equal(events[0]?.kind, "message");
 * ```
 */
export type ReassemblyEvent =
  | {
    /** A complete message, in message_seq order. */
    readonly kind: "message";
    readonly msgType: number;
    readonly messageSeq: number;
    /** The whole body. */
    readonly body: Uint8Array;
    /**
     * The unfragmented message: 12-byte header with fragment_offset 0 and
     * fragment_length = length, then the body. This goes into the handshake
     * transcript (RFC 6347 §4.2.6).
     */
    readonly message: Uint8Array;
  }
  | {
    /** A fragment of a message already delivered: the peer retransmits. */
    readonly kind: "retransmitted";
    readonly messageSeq: number;
    /**
     * Whether the fragment reaches the end of its message. A retransmitted
     * flight yields one event per fragment; answering only the one with
     * the flight's last message_seq and `endsMessage` resends our flight
     * once per peer retransmission.
     */
    readonly endsMessage: boolean;
  }
  | {
    /** The fragment was discarded. */
    readonly kind: "dropped";
    readonly messageSeq: number;
    readonly reason: DropReason;
  };

/** A message being put together. */
class Pending {
  readonly msgType: number;
  readonly body: Uint8Array;
  /** One bit per body byte received. */
  readonly #have: Uint8Array;
  #missing: number;

  constructor(msgType: number, length: number) {
    this.msgType = msgType;
    this.body = new Uint8Array(length);
    this.#have = new Uint8Array(Math.ceil(length / 8));
    this.#missing = length;
  }

  get complete(): boolean {
    return this.#missing === 0;
  }

  /** Copies the bytes of `[offset, offset + data.length)` not yet held. */
  add(offset: number, data: Uint8Array): void {
    const have = this.#have;
    const end = offset + data.length;
    let i = offset;
    while (i < end) {
      // whole bytes of the bitmap at once where aligned
      if ((i & 7) === 0 && i + 8 <= end) {
        const idx = i >>> 3;
        const bits = have[idx]!;
        if (bits === 0xff) {
          i += 8;
          continue;
        }
        if (bits === 0) {
          this.body.set(data.subarray(i - offset, i - offset + 8), i);
          have[idx] = 0xff;
          this.#missing -= 8;
          i += 8;
          continue;
        }
      }
      const idx = i >>> 3;
      const bit = 1 << (i & 7);
      if ((have[idx]! & bit) === 0) {
        have[idx] = have[idx]! | bit;
        this.body[i] = data[i - offset]!;
        this.#missing--;
      }
      i++;
    }
  }
}

/**
 * Reassembles one peer's handshake messages.
 *
 * @example Out-of-order fragments
 * ```ts
 * import { Reassembler } from "./reassembly.ts";
 * import { decodeHandshakeFragments, fragmentHandshake } from "./fragment.ts";
 * import { concatBytes } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array(10).map((_, i) => i);
 * const [a, b, c] = decodeHandshakeFragments(concatBytes(...fragmentHandshake(11, 0, body, 4)));
 * const r = new Reassembler();
 * assert.deepEqual(r.push(c!), []);
 * assert.deepEqual(r.push(a!), []);
 * const [done] = r.push(b!);
 * assert.equal(done?.kind, "message");
 * if (done?.kind === "message") assert.deepEqual(done.body, body);
 * assert.deepEqual(r.push(a!), [{ kind: "retransmitted", messageSeq: 0, endsMessage: false }]);
 * ```
 */
export class Reassembler {
  readonly #maxMessageSize: number;
  readonly #maxAhead: number;
  #next: number;
  /** Messages being assembled; none (no table) between flights. */
  #pending: Map<number, Pending> | undefined;

  /**
   * Creates a reassembler expecting `initialMessageSeq` next.
   *
   * @param options Bounds and the first message_seq expected.
   */
  constructor(options: ReassemblerOptions = {}) {
    this.#next = options.initialMessageSeq ?? 0;
    this.#maxMessageSize = options.maxMessageSize ?? 65536;
    this.#maxAhead = options.maxMessagesAhead ?? 8;
  }

  /** message_seq of the next message to be delivered. */
  get nextMessageSeq(): number {
    return this.#next;
  }

  /** Body bytes currently buffered (for memory accounting and tests). */
  get bufferedBytes(): number {
    let n = 0;
    for (const p of this.#pending?.values() ?? []) n += p.body.length;
    return n;
  }

  /** Number of messages currently buffered. */
  get bufferedMessages(): number {
    return this.#pending?.size ?? 0;
  }

  /**
   * Takes one fragment. Never throws for peer input.
   *
   * @param fragment A decoded handshake fragment (its body is copied).
   * @returns Events in order: any messages that became deliverable (several
   *   when this fragment completed the next message and later ones were
   *   already complete), or one `retransmitted` or `dropped` event, or
   *   nothing when the fragment was only buffered.
   */
  push(fragment: HandshakeFragment): ReassemblyEvent[] {
    const { msgType, length, messageSeq, fragmentOffset, body } = fragment;
    if (
      !isUint(messageSeq, 0xffff) || !isUint(msgType, 0xff) ||
      !isUint(length, 0xffffff) || !isUint(fragmentOffset, 0xffffff) ||
      fragmentOffset + body.length > length
    ) {
      return [{ kind: "dropped", messageSeq, reason: "malformed" }];
    }
    // RFC 6347 §4.2.4: an old message_seq means the peer retransmits
    if (messageSeq < this.#next) {
      const endsMessage = fragmentOffset + body.length === length;
      return [{ kind: "retransmitted", messageSeq, endsMessage }];
    }
    if (messageSeq >= this.#next + this.#maxAhead) {
      return [{ kind: "dropped", messageSeq, reason: "too_far_ahead" }];
    }
    if (length > this.#maxMessageSize) {
      return [{ kind: "dropped", messageSeq, reason: "too_large" }];
    }
    if (
      messageSeq === this.#next && fragmentOffset === 0 &&
      body.length === length && this.#pending?.has(messageSeq) !== true
    ) {
      // the usual case: the next message, whole in one fragment
      const message = encodeHandshakeMessage(msgType, messageSeq, body);
      this.#next++;
      const done: ReassemblyEvent = {
        kind: "message",
        msgType,
        messageSeq,
        body: message.subarray(HANDSHAKE_HEADER_LENGTH),
        message,
      };
      if (this.#pending === undefined) return [done];
      const later = this.#deliver();
      later.unshift(done);
      return later;
    }
    const table = this.#pending ??= new Map();
    let pending = table.get(messageSeq);
    if (pending === undefined) {
      pending = new Pending(msgType, length);
      table.set(messageSeq, pending);
    } else if (pending.msgType !== msgType || pending.body.length !== length) {
      return [{ kind: "dropped", messageSeq, reason: "inconsistent" }];
    }
    pending.add(fragmentOffset, body);
    return this.#deliver();
  }

  #deliver(): ReassemblyEvent[] {
    const out: ReassemblyEvent[] = [];
    for (;;) {
      const table = this.#pending;
      const p = table?.get(this.#next);
      if (p === undefined || !p.complete) return out;
      table!.delete(this.#next);
      if (table!.size === 0) this.#pending = undefined;
      out.push({
        kind: "message",
        msgType: p.msgType,
        messageSeq: this.#next,
        body: p.body,
        message: encodeHandshakeMessage(p.msgType, this.#next, p.body),
      });
      this.#next++;
    }
  }
}

function isUint(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}
