/**
 * Last-activity bookkeeping for many sessions: touch in O(1), find the idle
 * ones oldest first without scanning the active ones, and evict the least
 * recently active when a table is full.
 *
 * It relies on `Map` keeping insertion order: touching a key deletes and
 * re-inserts it, so iteration runs from the least to the most recently
 * active, and a sweep stops at the first session that is not idle.
 *
 * @module
 */

/**
 * Tracks when each key was last active.
 *
 * @example Sweep idle sessions
 * ```ts
 * import { IdleIndex } from "./idle_index.ts";
 * import assert from "node:assert/strict";
 *
 * const idle = new IdleIndex<string>();
 * idle.touch("a", 0);
 * idle.touch("b", 500);
 * idle.touch("a", 900);
 * assert.deepEqual(idle.takeIdle(1000, 400), ["b"]);
 * assert.equal(idle.size, 1);
 * ```
 */
export class IdleIndex<K> {
  readonly #lastActive = new Map<K, number>();

  /** Number of keys tracked. */
  get size(): number {
    return this.#lastActive.size;
  }

  /** Records activity of `key` at `now` (adds the key if new). */
  touch(key: K, now: number): void {
    this.#lastActive.delete(key);
    this.#lastActive.set(key, now);
  }

  /** Stops tracking `key`. */
  delete(key: K): boolean {
    return this.#lastActive.delete(key);
  }

  /** Whether `key` is tracked. */
  has(key: K): boolean {
    return this.#lastActive.has(key);
  }

  /** When `key` was last active, if tracked. */
  lastActive(key: K): number | undefined {
    return this.#lastActive.get(key);
  }

  /** The least recently active key, if any. */
  oldest(): K | undefined {
    for (const key of this.#lastActive.keys()) return key;
    return undefined;
  }

  /**
   * Removes and returns, oldest first, every key idle for at least
   * `timeoutMs` at `now`; at most `limit` of them.
   */
  takeIdle(now: number, timeoutMs: number, limit = Infinity): K[] {
    const out: K[] = [];
    for (const [key, at] of this.#lastActive) {
      if (now - at < timeoutMs || out.length >= limit) break;
      out.push(key);
    }
    for (const key of out) this.#lastActive.delete(key);
    return out;
  }

  /**
   * When the oldest key becomes idle for `timeoutMs`, or `undefined` when
   * nothing is tracked.
   */
  nextIdleAt(timeoutMs: number): number | undefined {
    for (const at of this.#lastActive.values()) return at + timeoutMs;
    return undefined;
  }
}
