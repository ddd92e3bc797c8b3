/**
 * Raw AES-CBC (NIST SP 800-38A §6.2) without padding, synchronous.
 *
 * Padding belongs to the caller: TLS CBC records (RFC 5246 §6.2.3.2) and
 * PKCS#7 in PEM and PKCS#8 (RFC 5652 §6.3) pad differently.
 *
 * AES-128 and AES-256 run on `node:crypto`; Deno's `node:crypto` has no
 * `aes-192-cbc`, so 24-byte keys (rare, seen in `openssl pkcs8 -v2 aes192`
 * files) fall back to `@noble/ciphers`.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { cbc } from "@noble/ciphers/aes.js";
import { joinBuffers } from "./_node.ts";
import { CryptoError } from "./errors.ts";

function check(key: Uint8Array, iv: Uint8Array, data: Uint8Array, op: string) {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError(
      "bad_key",
      `Cannot ${op} AES-CBC: key is ${key.length} bytes, expected 16, 24 or 32`,
    );
  }
  if (iv.length !== 16) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot ${op} AES-CBC: IV is ${iv.length} bytes, expected 16`,
    );
  }
  if (data.length % 16 !== 0) {
    throw new RangeError(
      `Cannot ${op} AES-CBC: data length ${data.length} is not a multiple of 16`,
    );
  }
}

/**
 * Encrypts whole blocks with AES-CBC.
 *
 * @param key 16, 24 or 32 bytes.
 * @param iv 16 bytes.
 * @param data A multiple of 16 bytes.
 * @returns Ciphertext of the same length.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example SP 800-38A F.2.1, first block
 * ```ts
 * import { aesCbcEncrypt } from "./cbc.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ct = aesCbcEncrypt(
 *   decodeHex("2b7e151628aed2a6abf7158809cf4f3c"),
 *   decodeHex("000102030405060708090a0b0c0d0e0f"),
 *   decodeHex("6bc1bee22e409f96e93d7e117393172a"),
 * );
 * assert.equal(encodeHex(ct), "7649abac8119b246cee98e9b12e9197d");
 * ```
 */
export function aesCbcEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  check(key, iv, data, "encrypt");
  if (data.length === 0) return new Uint8Array(0);
  if (key.length === 24) {
    return cbc(key, iv, { disablePadding: true }).encrypt(data);
  }
  const c = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  c.setAutoPadding(false);
  return joinBuffers(c.update(data), c.final());
}

/**
 * Decrypts whole blocks with AES-CBC. No padding is checked or removed.
 *
 * @param key 16, 24 or 32 bytes.
 * @param iv 16 bytes.
 * @param data A multiple of 16 bytes.
 * @returns Plaintext of the same length.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example Round trip
 * ```ts
 * import { aesCbcDecrypt, aesCbcEncrypt } from "./cbc.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(32).fill(1);
 * const iv = new Uint8Array(16).fill(2);
 * const data = new Uint8Array(48).fill(3);
 * assert.deepEqual(aesCbcDecrypt(key, iv, aesCbcEncrypt(key, iv, data)), data);
 * ```
 */
export function aesCbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  check(key, iv, data, "decrypt");
  if (data.length === 0) return new Uint8Array(0);
  if (key.length === 24) {
    return cbc(key, iv, { disablePadding: true }).decrypt(data);
  }
  const d = createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  d.setAutoPadding(false);
  return joinBuffers(d.update(data), d.final());
}
