/**
 * Per-key deadlines for sessions whose timeouts differ (MQTT keep-alive is
 * 1.5 × each client's own keep-alive; MQTT session expiry is each session's
 * own interval): set in O(log n), take the due ones in deadline order.
 *
 * A binary min-heap with lazy invalidation: moving or deleting a key only
 * updates the key's current deadline, and heap entries that no longer match
 * it are skipped when they reach the top. Where every session shares one
 * timeout, {@link IdleIndex} is cheaper.
 *
 * @module
 */

interface HeapEntry<K> {
  readonly key: K;
  readonly at: number;
}

/**
 * Deadlines by key.
 *
 * @example Take the keys whose deadline has passed
 * ```ts
 * import { DeadlineIndex } from "./deadline_index.ts";
 * import assert from "node:assert/strict";
 *
 * const deadlines = new DeadlineIndex<string>();
 * deadlines.set("a", 300);
 * deadlines.set("b", 100);
 * deadlines.set("a", 50);
 * assert.equal(deadlines.next(), 50);
 * assert.deepEqual(deadlines.takeDue(100), ["a", "b"]);
 * assert.equal(deadlines.size, 0);
 * ```
 */
export class DeadlineIndex<K> {
  readonly #current = new Map<K, number>();
  #heap: HeapEntry<K>[] = [];

  /** Number of keys with a deadline. */
  get size(): number {
    return this.#current.size;
  }

  /** Sets (or moves) the deadline of `key` to `at`. */
  set(key: K, at: number): void {
    if (this.#current.get(key) === at) return;
    this.#current.set(key, at);
    this.#push({ key, at });
    if (this.#heap.length > 2 * this.#current.size + 64) this.#rebuild();
  }

  /** The deadline of `key`, if it has one. */
  get(key: K): number | undefined {
    return this.#current.get(key);
  }

  /** Removes the deadline of `key`. */
  delete(key: K): boolean {
    return this.#current.delete(key);
  }

  /** The earliest deadline, or `undefined` when there is none. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /**
   * Removes and returns, earliest first, every key whose deadline is at or
   * before `now`; at most `limit` of them.
   */
  takeDue(now: number, limit = Infinity): K[] {
    const out: K[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (top === undefined || top.at > now || out.length >= limit) break;
      this.#pop();
      this.#current.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#current.get(top.key) === top.at) return;
      this.#pop();
    }
  }

  #rebuild(): void {
    const heap = this.#heap;
    this.#heap = [];
    for (const e of heap) {
      if (this.#current.get(e.key) === e.at) this.#push(e);
    }
  }

  #push(entry: HeapEntry<K>): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as HeapEntry<K>;
      if (parent.at <= entry.at) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as HeapEntry<K>;
    if (heap.length === 0) return;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c =
        r < n && (heap[r] as HeapEntry<K>).at < (heap[l] as HeapEntry<K>).at
          ? r
          : l;
      const child = heap[c] as HeapEntry<K>;
      if (child.at >= last.at) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }
}
