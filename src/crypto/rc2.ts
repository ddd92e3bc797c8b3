/**
 * RC2 (RFC 2268) in CBC mode without padding, for legacy PKCS#12 files:
 * `openssl pkcs12 -legacy` encrypts the certificate bag with
 * `pbeWithSHAAnd40BitRC2-CBC` (RFC 7292 appendix C). Neither WebCrypto,
 * Deno's `node:crypto` nor `@noble/ciphers` has RC2, so it is implemented
 * here. Do not use it for anything new.
 *
 * @module
 */

import { CryptoError } from "./errors.ts";

// RFC 2268 §2: PITABLE, a permutation of 0..255 from the digits of pi.
const PITABLE = new Uint8Array([
  0xd9,
  0x78,
  0xf9,
  0xc4,
  0x19,
  0xdd,
  0xb5,
  0xed,
  0x28,
  0xe9,
  0xfd,
  0x79,
  0x4a,
  0xa0,
  0xd8,
  0x9d,
  0xc6,
  0x7e,
  0x37,
  0x83,
  0x2b,
  0x76,
  0x53,
  0x8e,
  0x62,
  0x4c,
  0x64,
  0x88,
  0x44,
  0x8b,
  0xfb,
  0xa2,
  0x17,
  0x9a,
  0x59,
  0xf5,
  0x87,
  0xb3,
  0x4f,
  0x13,
  0x61,
  0x45,
  0x6d,
  0x8d,
  0x09,
  0x81,
  0x7d,
  0x32,
  0xbd,
  0x8f,
  0x40,
  0xeb,
  0x86,
  0xb7,
  0x7b,
  0x0b,
  0xf0,
  0x95,
  0x21,
  0x22,
  0x5c,
  0x6b,
  0x4e,
  0x82,
  0x54,
  0xd6,
  0x65,
  0x93,
  0xce,
  0x60,
  0xb2,
  0x1c,
  0x73,
  0x56,
  0xc0,
  0x14,
  0xa7,
  0x8c,
  0xf1,
  0xdc,
  0x12,
  0x75,
  0xca,
  0x1f,
  0x3b,
  0xbe,
  0xe4,
  0xd1,
  0x42,
  0x3d,
  0xd4,
  0x30,
  0xa3,
  0x3c,
  0xb6,
  0x26,
  0x6f,
  0xbf,
  0x0e,
  0xda,
  0x46,
  0x69,
  0x07,
  0x57,
  0x27,
  0xf2,
  0x1d,
  0x9b,
  0xbc,
  0x94,
  0x43,
  0x03,
  0xf8,
  0x11,
  0xc7,
  0xf6,
  0x90,
  0xef,
  0x3e,
  0xe7,
  0x06,
  0xc3,
  0xd5,
  0x2f,
  0xc8,
  0x66,
  0x1e,
  0xd7,
  0x08,
  0xe8,
  0xea,
  0xde,
  0x80,
  0x52,
  0xee,
  0xf7,
  0x84,
  0xaa,
  0x72,
  0xac,
  0x35,
  0x4d,
  0x6a,
  0x2a,
  0x96,
  0x1a,
  0xd2,
  0x71,
  0x5a,
  0x15,
  0x49,
  0x74,
  0x4b,
  0x9f,
  0xd0,
  0x5e,
  0x04,
  0x18,
  0xa4,
  0xec,
  0xc2,
  0xe0,
  0x41,
  0x6e,
  0x0f,
  0x51,
  0xcb,
  0xcc,
  0x24,
  0x91,
  0xaf,
  0x50,
  0xa1,
  0xf4,
  0x70,
  0x39,
  0x99,
  0x7c,
  0x3a,
  0x85,
  0x23,
  0xb8,
  0xb4,
  0x7a,
  0xfc,
  0x02,
  0x36,
  0x5b,
  0x25,
  0x55,
  0x97,
  0x31,
  0x2d,
  0x5d,
  0xfa,
  0x98,
  0xe3,
  0x8a,
  0x92,
  0xae,
  0x05,
  0xdf,
  0x29,
  0x10,
  0x67,
  0x6c,
  0xba,
  0xc9,
  0xd3,
  0x00,
  0xe6,
  0xcf,
  0xe1,
  0x9e,
  0xa8,
  0x2c,
  0x63,
  0x16,
  0x01,
  0x3f,
  0x58,
  0xe2,
  0x89,
  0xa9,
  0x0d,
  0x38,
  0x34,
  0x1b,
  0xab,
  0x33,
  0xff,
  0xb0,
  0xbb,
  0x48,
  0x0c,
  0x5f,
  0xb9,
  0xb1,
  0xcd,
  0x2e,
  0xc5,
  0xf3,
  0xdb,
  0x47,
  0xe5,
  0xa5,
  0x9c,
  0x77,
  0x0a,
  0xa6,
  0x20,
  0x68,
  0xfe,
  0x7f,
  0xc1,
  0xad,
]);

/** RFC 2268 §2: expands `key` into the 64 16-bit words K[0..63]. */
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const t = key.length;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  const l = new Uint8Array(128);
  l.set(key);
  for (let i = t; i < 128; i++) {
    l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  }
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) {
    l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  }
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

/** RFC 2268 §3: encrypts the four little-endian words in `r` in place. */
function encryptBlock(k: Uint16Array, r: Uint16Array): void {
  let r0 = r[0]!, r1 = r[1]!, r2 = r[2]!, r3 = r[3]!;
  let j = 0;
  for (let round = 0; round < 16; round++) {
    // §3.1 MIX: R[i] += K[j] + (R[i-1] & R[i-2]) + (~R[i-1] & R[i-3]); rotate.
    r0 = (r0 + k[j++]! + (r3 & r2) + (~r3 & r1)) & 0xffff;
    r0 = ((r0 << 1) | (r0 >>> 15)) & 0xffff;
    r1 = (r1 + k[j++]! + (r0 & r3) + (~r0 & r2)) & 0xffff;
    r1 = ((r1 << 2) | (r1 >>> 14)) & 0xffff;
    r2 = (r2 + k[j++]! + (r1 & r0) + (~r1 & r3)) & 0xffff;
    r2 = ((r2 << 3) | (r2 >>> 13)) & 0xffff;
    r3 = (r3 + k[j++]! + (r2 & r1) + (~r2 & r0)) & 0xffff;
    r3 = ((r3 << 5) | (r3 >>> 11)) & 0xffff;
    // §3.2 MASH after mixing rounds 5 and 11.
    if (round === 4 || round === 10) {
      r0 = (r0 + k[r3 & 63]!) & 0xffff;
      r1 = (r1 + k[r0 & 63]!) & 0xffff;
      r2 = (r2 + k[r1 & 63]!) & 0xffff;
      r3 = (r3 + k[r2 & 63]!) & 0xffff;
    }
  }
  r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3;
}

/** RFC 2268 §4: decrypts the four little-endian words in `r` in place. */
function decryptBlock(k: Uint16Array, r: Uint16Array): void {
  let r0 = r[0]!, r1 = r[1]!, r2 = r[2]!, r3 = r[3]!;
  let j = 63;
  for (let round = 15; round >= 0; round--) {
    // §4.1 R-MIX, words in reverse order.
    r3 = ((r3 >>> 5) | (r3 << 11)) & 0xffff;
    r3 = (r3 - k[j--]! - (r2 & r1) - (~r2 & r0)) & 0xffff;
    r2 = ((r2 >>> 3) | (r2 << 13)) & 0xffff;
    r2 = (r2 - k[j--]! - (r1 & r0) - (~r1 & r3)) & 0xffff;
    r1 = ((r1 >>> 2) | (r1 << 14)) & 0xffff;
    r1 = (r1 - k[j--]! - (r0 & r3) - (~r0 & r2)) & 0xffff;
    r0 = ((r0 >>> 1) | (r0 << 15)) & 0xffff;
    r0 = (r0 - k[j--]! - (r3 & r2) - (~r3 & r1)) & 0xffff;
    // §4.2 R-MASH after the 5th and the 11th r-mixing round.
    if (round === 11 || round === 5) {
      r3 = (r3 - k[r2 & 63]!) & 0xffff;
      r2 = (r2 - k[r1 & 63]!) & 0xffff;
      r1 = (r1 - k[r0 & 63]!) & 0xffff;
      r0 = (r0 - k[r3 & 63]!) & 0xffff;
    }
  }
  r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3;
}

function check(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  effectiveBits: number,
  op: string,
): void {
  if (key.length < 1 || key.length > 128) {
    throw new CryptoError(
      "bad_key",
      `Cannot ${op} RC2-CBC: key is ${key.length} bytes, expected 1 to 128`,
    );
  }
  if (
    !Number.isInteger(effectiveBits) || effectiveBits < 1 ||
    effectiveBits > 1024
  ) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot ${op} RC2-CBC: effective key bits ${effectiveBits} not in 1..1024`,
    );
  }
  if (iv.length !== 8) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot ${op} RC2-CBC: IV is ${iv.length} bytes, expected 8`,
    );
  }
  if (data.length % 8 !== 0) {
    throw new RangeError(
      `Cannot ${op} RC2-CBC: data length ${data.length} is not a multiple of 8`,
    );
  }
}

function load(bytes: Uint8Array, off: number, r: Uint16Array): void {
  for (let i = 0; i < 4; i++) {
    r[i] = bytes[off + 2 * i]! | (bytes[off + 2 * i + 1]! << 8);
  }
}

function store(r: Uint16Array, bytes: Uint8Array, off: number): void {
  for (let i = 0; i < 4; i++) {
    bytes[off + 2 * i] = r[i]! & 0xff;
    bytes[off + 2 * i + 1] = r[i]! >>> 8;
  }
}

/**
 * Decrypts whole 8-byte blocks with RC2 in CBC mode.
 *
 * @param key 1 to 128 bytes.
 * @param iv 8 bytes.
 * @param data A multiple of 8 bytes.
 * @param effectiveBits The effective key length T1 (RFC 2268 §2): 40 for
 *   `pbeWithSHAAnd40BitRC2-CBC`, 128 for the 128-bit variant.
 * @returns Plaintext of the same length; padding is left in place.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example RFC 2268 §5, 16-byte key with 128 effective bits
 * ```ts
 * import { rc2CbcDecrypt } from "./rc2.ts";
 * import { decodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const pt = rc2CbcDecrypt(
 *   decodeHex("88bca90e90875a7f0f79c384627bafb2"),
 *   new Uint8Array(8),
 *   decodeHex("2269552ab0f85ca6"),
 *   128,
 * );
 * assert.deepEqual(pt, new Uint8Array(8));
 * ```
 */
export function rc2CbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  effectiveBits: number,
): Uint8Array {
  check(key, iv, data, effectiveBits, "decrypt");
  const k = expandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  const r = new Uint16Array(4);
  const prev = iv.slice();
  for (let off = 0; off < data.length; off += 8) {
    load(data, off, r);
    decryptBlock(k, r);
    store(r, out, off);
    for (let i = 0; i < 8; i++) {
      out[off + i] = out[off + i]! ^ prev[i]!;
      prev[i] = data[off + i]!;
    }
  }
  return out;
}

/**
 * Encrypts whole 8-byte blocks with RC2 in CBC mode.
 *
 * @param key 1 to 128 bytes.
 * @param iv 8 bytes.
 * @param data A multiple of 8 bytes; pad it first.
 * @param effectiveBits The effective key length T1 (RFC 2268 §2).
 * @returns Ciphertext of the same length.
 * @throws {RangeError} if `data` is not a whole number of blocks.
 *
 * @example RFC 2268 §5, 8-byte key with 63 effective bits
 * ```ts
 * import { rc2CbcEncrypt } from "./rc2.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ct = rc2CbcEncrypt(new Uint8Array(8), new Uint8Array(8), new Uint8Array(8), 63);
 * assert.equal(encodeHex(ct), "ebb773f993278eff");
 * ```
 */
export function rc2CbcEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  effectiveBits: number,
): Uint8Array {
  check(key, iv, data, effectiveBits, "encrypt");
  const k = expandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  const r = new Uint16Array(4);
  const block = new Uint8Array(8);
  let prev: Uint8Array = iv;
  for (let off = 0; off < data.length; off += 8) {
    for (let i = 0; i < 8; i++) block[i] = data[off + i]! ^ prev[i]!;
    load(block, 0, r);
    encryptBlock(k, r);
    store(r, out, off);
    prev = out.subarray(off, off + 8);
  }
  return out;
}
