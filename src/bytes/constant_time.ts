/**
 * Constant-time comparison for MACs, Finished values and secrets.
 *
 * @module
 */

/**
 * Compares two byte arrays in time that depends only on their lengths.
 *
 * Use it for every comparison of a MAC, a Finished verify_data, a cookie or a
 * password hash, so that the time taken reveals nothing about where the
 * first difference is.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./constant_time.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
 * assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= (a[i] as number) ^ (b[i] as number);
  }
  return diff === 0;
}
