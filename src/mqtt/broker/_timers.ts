/**
 * A binary min-heap of deadlines for the broker's single `nextTimeout`.
 * Entries are never cancelled: each callback re-checks its own state when it
 * fires (lazy invalidation), so refreshing a keep-alive costs nothing.
 *
 * @module
 */

interface TimerEntry {
  at: number;
  seq: number;
  fire: (now: number) => void;
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Deadlines in time order.
 *
 * @example
 * ```ts
 * import { TimerHeap } from "./_timers.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new TimerHeap();
 * const fired: number[] = [];
 * heap.schedule(20, () => fired.push(20));
 * heap.schedule(10, () => fired.push(10));
 * assert.equal(heap.next(), 10);
 * heap.run(15);
 * assert.deepEqual(fired, [10]);
 * ```
 */
export class TimerHeap {
  #heap: TimerEntry[] = [];
  #seq = 0;

  /** Number of entries. */
  get size(): number {
    return this.#heap.length;
  }

  /** Runs `fire(now)` at or after `at`. */
  schedule(at: number, fire: (now: number) => void): void {
    const heap = this.#heap;
    const entry = { at, seq: this.#seq++, fire };
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as TimerEntry;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = entry;
  }

  /** The earliest deadline, if any. */
  next(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Fires every entry due at `now`, including ones scheduled meanwhile. */
  run(now: number): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.at > now) return;
      this.#pop();
      top.fire(now);
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as TimerEntry;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r] as TimerEntry, heap[l] as TimerEntry)
        ? r
        : l;
      const child = heap[c] as TimerEntry;
      if (!before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }
}
