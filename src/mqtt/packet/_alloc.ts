/**
 * Small byte arrays carved from a shared slab, as Node's `Buffer` pool does.
 *
 * A fresh `Uint8Array` costs about as much as decoding a whole PUBLISH (its
 * backing store is allocated and zeroed outside the JS heap), so encoded
 * packets and the packets the stream decoder hands out take their memory
 * from a 16 KiB slab instead. Regions are never reused: a packet keeps its
 * slab alive, so code that stores a payload for long (retained messages,
 * offline queues) should keep a `.slice()` copy.
 *
 * @module
 */

const SLAB_SIZE = 16 * 1024;
const MAX_POOLED = 2048;

let slab = new Uint8Array(SLAB_SIZE);
let offset = 0;

/**
 * Returns a zero-filled array of `n` bytes, from the slab when small.
 *
 * @example
 * ```ts
 * import { allocBytes } from "./_alloc.ts";
 * import assert from "node:assert/strict";
 *
 * const a = allocBytes(4);
 * assert.equal(a.length, 4);
 * assert.deepEqual(a, new Uint8Array(4));
 * ```
 */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (offset + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    offset = 0;
  }
  const out = slab.subarray(offset, offset + n);
  offset = (offset + n + 7) & ~7;
  return out;
}

/**
 * Copies `bytes[start, end)` into a pooled array.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./_alloc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(copyBytes(new Uint8Array([1, 2, 3]), 1, 3), new Uint8Array([2, 3]));
 * ```
 */
export function copyBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
): Uint8Array {
  const out = allocBytes(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

/**
 * A pooled array holding `values`, for the short fixed packets.
 *
 * @example
 * ```ts
 * import { bytesOf } from "./_alloc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(bytesOf(0xc0, 0x00), new Uint8Array([0xc0, 0x00]));
 * ```
 */
export function bytesOf(...values: number[]): Uint8Array {
  const out = allocBytes(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
  return out;
}
