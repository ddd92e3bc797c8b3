/**
 * Cryptographically secure random bytes from the platform CSPRNG.
 *
 * @module
 */

/** `crypto.getRandomValues` refuses more than this many bytes per call. */
const MAX_CHUNK = 65536;

/**
 * Returns `n` random bytes.
 *
 * @param n Number of bytes, any non-negative integer (filled in 64 KiB chunks).
 *
 * @example
 * ```ts
 * import { randomBytes } from "./random.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(randomBytes(32).length, 32);
 * assert.equal(randomBytes(100_000).length, 100_000);
 * ```
 */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot generate random bytes: invalid length ${n}`);
  }
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += MAX_CHUNK) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + MAX_CHUNK)));
  }
  return out;
}
