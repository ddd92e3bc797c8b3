/**
 * The received-bytes queue behind the `ByteStream` adapters that are
 * fed chunks (a `node:net` socket's `data` events, a WebSocket's messages,
 * decoded WebSocket frames): chunks are kept as they came (no copy) and
 * read out in order into the caller's buffer, possibly across several
 * reads; a reader waits until a chunk arrives or the queue ends.
 *
 * @module
 */

/**
 * Chunks received and not read yet.
 *
 * @example
 * ```ts
 * import { ReceiveQueue } from "./receive_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new ReceiveQueue();
 * const buf = new Uint8Array(2);
 * const pending = queue.read(buf);
 * queue.push(new Uint8Array([1, 2, 3]));
 * assert.equal(await pending, 2);
 * assert.equal(queue.queued, 1);
 * queue.end();
 * assert.equal(await queue.read(buf), 1);
 * assert.equal(await queue.read(buf), null);
 * ```
 */
export class ReceiveQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #offset = 0;
  #queued = 0;
  #ended = false;
  #waiters: (() => void)[] = [];

  /** Bytes queued and not read yet. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.#head >= this.#chunks.length;
  }

  /** Whether {@link ReceiveQueue.end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Queues a received chunk (kept, not copied) and wakes a waiting reader.
   *
   * @param chunk The bytes; an empty chunk is ignored.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    this.#wake();
  }

  /** Marks the end: reads return what is queued, then `null`. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /**
   * Moves queued bytes into `buffer` without waiting.
   *
   * @param buffer Where to copy.
   * @returns The count (0 when nothing is queued).
   */
  take(buffer: Uint8Array): number {
    if (this.empty) return 0;
    const chunk = this.#chunks[this.#head] as Uint8Array;
    const n = Math.min(buffer.length, chunk.length - this.#offset);
    buffer.set(chunk.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    this.#queued -= n;
    if (this.#offset === chunk.length) {
      this.#offset = 0;
      this.#head++;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      }
    }
    return n;
  }

  /**
   * Reads queued bytes into `buffer`, waiting for a chunk when none is
   * queued.
   *
   * @param buffer Where to copy.
   * @returns The count, or `null` once the queue ended and is empty.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.empty) {
      if (this.#ended) return null;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.take(buffer);
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
