/**
 * DTLS anti-replay window (RFC 6347 §4.1.2.6): a sliding bitmap of the
 * sequence numbers received in the current epoch, "the right edge of the
 * window represents the highest validated sequence number value received".
 *
 * Usage per received record, in this order:
 *
 * 1. `check(seq)`: drop the record if it is a duplicate or left of the
 *    window (before spending time on decryption);
 * 2. decrypt and authenticate it;
 * 3. `mark(seq)` only if it authenticated, so forged records can never move
 *    the window (RFC 6347 §4.1.2.6: "the receive window is updated only if
 *    the MAC verification succeeds").
 *
 * On an epoch change call `reset()` (or keep one window per epoch): sequence
 * numbers restart at 0 in every epoch (RFC 6347 §4.1).
 *
 * The bitmap is kept as a ring of 32-bit words with one spare word
 * (RFC 6479 §2), so sliding by any distance costs at most one pass over the
 * few words, never a shift of the whole window. Sequence numbers are plain
 * numbers: 2^48 - 1 is well within `Number.MAX_SAFE_INTEGER`.
 *
 * @module
 */

const WORD = 32;
const MAX_SEQUENCE = 2 ** 48 - 1;

/**
 * A 64-entry (by default) anti-replay window for one epoch.
 *
 * @example
 * ```ts
 * import { ReplayWindow } from "./replay_window.ts";
 * import assert from "node:assert/strict";
 *
 * const w = new ReplayWindow();
 * assert.equal(w.check(5), true);
 * w.mark(5);
 * assert.equal(w.check(5), false); // duplicate
 * assert.equal(w.check(3), true); // late but inside the window
 * w.mark(100);
 * assert.equal(w.check(36), false); // 100 - 64: left of the window
 * assert.equal(w.check(37), true);
 * ```
 */
export class ReplayWindow {
  readonly #size: number;
  /** Ring of 32-bit words as plain numbers: no ArrayBuffer per window. */
  readonly #words: number[];
  /** Highest marked sequence number, -1 before the first. */
  #top = -1;

  /**
   * Creates an empty window.
   *
   * @param size Window width in records, a positive multiple of 32
   *   (RFC 6347 §4.1.2.6: 64 is the minimum a receiver should support).
   * @throws {RangeError} for another size.
   */
  constructor(size = 64) {
    if (!Number.isInteger(size) || size <= 0 || size % WORD !== 0) {
      throw new RangeError(
        `Cannot create a replay window of ${size}: not a positive multiple of 32`,
      );
    }
    this.#size = size;
    this.#words = new Array<number>(size / WORD + 1).fill(0);
  }

  /** Window width in records. */
  get size(): number {
    return this.#size;
  }

  /** Highest sequence number marked so far, or -1. */
  get highest(): number {
    return this.#top;
  }

  /**
   * Whether a record with this sequence number may be processed: it is
   * right of the window, or inside it and not yet marked.
   *
   * @param seq The record's 48-bit sequence number.
   * @returns `false` for duplicates, numbers left of the window and values
   *   that are not 48-bit integers.
   *
   * @example
   * ```ts
   * import { ReplayWindow } from "./replay_window.ts";
   * import assert from "node:assert/strict";
   *
   * const w = new ReplayWindow();
   * assert.equal(w.check(2 ** 48 - 1), true);
   * assert.equal(w.check(2 ** 48), false);
   * assert.equal(w.check(-1), false);
   * ```
   */
  check(seq: number): boolean {
    if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE) return false;
    if (seq > this.#top) return true;
    // RFC 6347 §4.1.2.6: "less than the left edge of the window" → discard
    if (seq <= this.#top - this.#size) return false;
    return !this.#isSet(seq);
  }

  /**
   * Records `seq` as received. Call only after the record authenticated.
   * Values that `check` rejects are ignored.
   *
   * @param seq The record's 48-bit sequence number.
   *
   * @example
   * ```ts
   * import { ReplayWindow } from "./replay_window.ts";
   * import assert from "node:assert/strict";
   *
   * const w = new ReplayWindow();
   * w.mark(0);
   * assert.equal(w.highest, 0);
   * assert.equal(w.check(0), false);
   * ```
   */
  mark(seq: number): void {
    if (!this.check(seq)) return;
    if (seq > this.#top) this.#slide(seq);
    const n = this.#words.length;
    const word = Math.floor(seq / WORD) % n;
    this.#words[word] = (this.#words[word]! | (1 << (seq % WORD))) >>> 0;
  }

  /**
   * Forgets everything, for a new epoch.
   *
   * @example
   * ```ts
   * import { ReplayWindow } from "./replay_window.ts";
   * import assert from "node:assert/strict";
   *
   * const w = new ReplayWindow();
   * w.mark(9);
   * w.reset();
   * assert.equal(w.check(9), true);
   * assert.equal(w.highest, -1);
   * ```
   */
  reset(): void {
    this.#words.fill(0);
    this.#top = -1;
  }

  #isSet(seq: number): boolean {
    const word = Math.floor(seq / WORD) % this.#words.length;
    return (this.#words[word]! & (1 << (seq % WORD))) !== 0;
  }

  /** Moves the right edge to `seq`, clearing the words that enter the ring. */
  #slide(seq: number): void {
    const n = this.#words.length;
    const newWord = Math.floor(seq / WORD);
    if (this.#top < 0) {
      this.#words.fill(0);
    } else {
      const oldWord = Math.floor(this.#top / WORD);
      const steps = Math.min(newWord - oldWord, n);
      for (let i = 1; i <= steps; i++) this.#words[(oldWord + i) % n] = 0;
    }
    this.#top = seq;
  }
}
