/**
 * Hexadecimal encoding and decoding.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

const DIGITS = "0123456789abcdef";

/**
 * Encodes bytes as lowercase hexadecimal.
 *
 * @example
 * ```ts
 * import { encodeHex } from "./hex.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeHex(new Uint8Array([0, 0xab])), "00ab");
 * ```
 */
export function encodeHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += DIGITS[b >> 4]! + DIGITS[b & 15]!;
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes hexadecimal (either case); `:` and whitespace between byte pairs
 * are accepted, as in OpenSSL fingerprints.
 *
 * @throws {DecodeError} on an odd number of digits or a non-hex character.
 *
 * @example
 * ```ts
 * import { decodeHex } from "./hex.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeHex("00:AB"), new Uint8Array([0, 0xab]));
 * ```
 */
export function decodeHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0) {
    throw new DecodeError("hex", clean.length, "odd number of digits");
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(clean.charCodeAt(2 * i));
    const lo = nibble(clean.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw new DecodeError("hex", 2 * i, "not a hex digit");
    }
    out[i] = hi * 16 + lo;
  }
  return out;
}
