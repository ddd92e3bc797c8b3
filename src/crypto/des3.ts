/**
 * Raw DES-EDE3-CBC (NIST SP 800-67, SP 800-38A §6.2) without padding, for
 * reading and writing legacy PKCS#12 (`pbeWithSHAAnd3-KeyTripleDES-CBC`,
 * RFC 7292 appendix C) and old PEM keys (`DEK-Info: DES-EDE3-CBC`).
 *
 * Deno's `node:crypto` implements `des-ede3-cbc`; results are cross-checked
 * against `openssl enc -des-ede3-cbc -nopad` in `tests/crypto/des3_test.ts`.
 * Do not use it for anything new.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { joinBuffers } from "./_node.ts";
import { CryptoError } from "./errors.ts";

function check(key: Uint8Array, iv: Uint8Array, data: Uint8Array, op: string) {
  if (key.length !== 24) {
    throw new CryptoError(
      "bad_key",
      `Cannot ${op} DES-EDE3-CBC: key is ${key.length} bytes, expected 24`,
    );
  }
  if (iv.length !== 8) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot ${op} DES-EDE3-CBC: IV is ${iv.length} bytes, expected 8`,
    );
  }
  if (data.length % 8 !== 0) {
    throw new RangeError(
      `Cannot ${op} DES-EDE3-CBC: data length ${data.length} is not a multiple of 8`,
    );
  }
}

/**
 * Decrypts whole 8-byte blocks with three-key triple DES in CBC mode.
 *
 * @param key 24 bytes (K1 || K2 || K3); parity bits are ignored.
 * @param iv 8 bytes.
 * @param data A multiple of 8 bytes.
 * @returns Plaintext of the same length; padding is left in place.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example Round trip
 * ```ts
 * import { desEde3CbcDecrypt, desEde3CbcEncrypt } from "./des3.ts";
 * import assert from "node:assert/strict";
 *
 * const key = Uint8Array.from({ length: 24 }, (_, i) => i * 7 + 3);
 * const iv = new Uint8Array(8);
 * const data = new Uint8Array(16);
 * assert.deepEqual(desEde3CbcDecrypt(key, iv, desEde3CbcEncrypt(key, iv, data)), data);
 * ```
 */
export function desEde3CbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  check(key, iv, data, "decrypt");
  if (data.length === 0) return new Uint8Array(0);
  const d = createDecipheriv("des-ede3-cbc", key, iv);
  d.setAutoPadding(false);
  return joinBuffers(d.update(data), d.final());
}

/**
 * Encrypts whole 8-byte blocks with three-key triple DES in CBC mode.
 *
 * @param key 24 bytes (K1 || K2 || K3).
 * @param iv 8 bytes.
 * @param data A multiple of 8 bytes; pad it first.
 * @returns Ciphertext of the same length.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example Matches `openssl enc -des-ede3-cbc -nopad`
 * ```ts
 * import { desEde3CbcEncrypt } from "./des3.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = Uint8Array.from({ length: 24 }, (_, i) => i * 7 + 3);
 * const ct = desEde3CbcEncrypt(key, new Uint8Array(8), new Uint8Array(16));
 * assert.equal(encodeHex(ct), "1df0da02ce503c6440790428fb4e30db");
 * ```
 */
export function desEde3CbcEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  check(key, iv, data, "encrypt");
  if (data.length === 0) return new Uint8Array(0);
  const c = createCipheriv("des-ede3-cbc", key, iv);
  c.setAutoPadding(false);
  return joinBuffers(c.update(data), c.final());
}
