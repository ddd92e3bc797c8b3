/**
 * AES-CCM (RFC 3610, NIST SP 800-38C), the AEAD of the TLS and DTLS
 * `*_CCM` and `*_CCM_8` suites (RFC 6655, RFC 7251) used by CoAP devices.
 *
 * No library on this platform has CCM, so it is composed here from AES
 * running in `node:crypto`:
 *
 * - the CBC-MAC (RFC 3610 §2.2) runs on one long-lived AES-CBC object per
 *   key. Its chaining value is carried from call to call, so each MAC
 *   starts by XOR-ing B_0 with the previous call's last output block, which
 *   is the same as starting from a zero IV;
 * - the key stream S_0, S_1, … (RFC 3610 §2.3) comes from one long-lived
 *   AES-ECB object per key, fed all counter blocks A_0..A_n in one call.
 *
 * So no AES key schedule is computed per record, and each record costs two
 * calls into native code. `bench/crypto_bench.ts` compares this with CCM
 * built on a fresh `node:crypto` CBC + CTR pair per record and with CCM on
 * `@noble/ciphers`' AES block function.
 *
 * @module
 */

import { type Cipheriv, createCipheriv } from "node:crypto";
import type { Aead } from "./aead.ts";
import { CryptoError } from "./errors.ts";

/**
 * CCM tag lengths M allowed by RFC 3610 §2.1. TLS uses 16 (`_CCM`) and
 * 8 (`_CCM_8`).
 *
 * @example
 * ```ts
 * import { aesCcm, type CcmTagLength } from "./ccm.ts";
 * import assert from "node:assert/strict";
 *
 * const m: CcmTagLength = 8;
 * assert.equal(aesCcm(new Uint8Array(16), m).tagLength, 8);
 * ```
 */
export type CcmTagLength = 4 | 6 | 8 | 10 | 12 | 14 | 16;

const BLOCK = 16;

class AesCcm implements Aead {
  readonly keyLength: number;
  readonly tagLength: number;
  readonly #ecb: Cipheriv;
  readonly #cbc: Cipheriv;
  /** Last block the CBC object produced: its chaining value. */
  readonly #chain = new Uint8Array(BLOCK);

  constructor(key: Uint8Array, tagLength: number) {
    this.keyLength = key.length;
    this.tagLength = tagLength;
    const bits = key.length * 8;
    this.#ecb = createCipheriv(`aes-${bits}-ecb`, key, null);
    this.#ecb.setAutoPadding(false);
    this.#cbc = createCipheriv(`aes-${bits}-cbc`, key, new Uint8Array(BLOCK));
    this.#cbc.setAutoPadding(false);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const q = lengthFieldSize(nonce, plaintext.length);
    const m = this.tagLength;
    const tag = this.#cbcMac(nonce, q, aad, plaintext);
    const s = this.#keyStream(nonce, q, plaintext.length);
    const out = new Uint8Array(plaintext.length + m);
    // RFC 3610 §2.3: C = P xor S_1..S_n, U = T xor first-M-bytes(S_0).
    for (let i = 0; i < plaintext.length; i++) {
      out[i] = plaintext[i]! ^ s[BLOCK + i]!;
    }
    for (let i = 0; i < m; i++) {
      out[plaintext.length + i] = tag[i]! ^ s[i]!;
    }
    return out;
  }

  open(
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | undefined {
    const m = this.tagLength;
    if (sealed.length < m) return undefined;
    const len = sealed.length - m;
    const q = lengthFieldSize(nonce, len);
    const s = this.#keyStream(nonce, q, len);
    const pt = new Uint8Array(len);
    for (let i = 0; i < len; i++) pt[i] = sealed[i]! ^ s[BLOCK + i]!;
    // RFC 3610 §2.5: recompute T over the decrypted message and compare, in
    // constant time (no early exit), with the received U xor S_0.
    const expected = this.#cbcMac(nonce, q, aad, pt);
    let diff = 0;
    for (let i = 0; i < m; i++) {
      diff |= expected[i]! ^ sealed[len + i]! ^ s[i]!;
    }
    if (diff !== 0) {
      pt.fill(0);
      return undefined;
    }
    return pt;
  }

  /**
   * RFC 3610 §2.2: CBC-MAC over B_0 || encoded AAD || message, each part
   * zero-padded to whole blocks. Returns the last block (T is its prefix)
   * as the chaining-value buffer itself: read it before the next call.
   */
  #cbcMac(
    nonce: Uint8Array,
    q: number,
    aad: Uint8Array,
    message: Uint8Array,
  ): Uint8Array {
    const aadHeader = aad.length === 0
      ? 0
      : aad.length < 0xff00
      ? 2
      : aad.length <= 0xffffffff
      ? 6
      : 10;
    const aadBlocks = padded(aadHeader + aad.length);
    const b = new Uint8Array(BLOCK + aadBlocks + padded(message.length));

    // B_0 = Flags || Nonce || l(m); Flags = 64*Adata + 8*M' + L'.
    b[0] = (aad.length > 0 ? 0x40 : 0) | (((this.tagLength - 2) / 2) << 3) |
      (q - 1);
    b.set(nonce, 1);
    writeLength(b, BLOCK, q, message.length);

    let off = BLOCK;
    if (aadHeader === 2) {
      b[off] = aad.length >>> 8;
      b[off + 1] = aad.length & 0xff;
    } else if (aadHeader === 6) {
      b[off] = 0xff;
      b[off + 1] = 0xfe;
      writeLength(b, off + 6, 4, aad.length);
    } else if (aadHeader === 10) {
      b[off] = 0xff;
      b[off + 1] = 0xff;
      writeLength(b, off + 10, 8, aad.length);
    }
    b.set(aad, off + aadHeader);
    off += aadBlocks;
    b.set(message, off);

    // Undo the chaining value the long-lived CBC object carries over.
    for (let i = 0; i < BLOCK; i++) b[i] = b[i]! ^ this.#chain[i]!;
    const out = this.#cbc.update(b);
    const chain = this.#chain;
    for (let i = 0, j = out.length - BLOCK; i < BLOCK; i++, j++) {
      chain[i] = out[j]!;
    }
    return chain;
  }

  /** RFC 3610 §2.3: S_0 || S_1 || … || S_n for a message of `len` bytes. */
  #keyStream(nonce: Uint8Array, q: number, len: number): Uint8Array {
    const blocks = 1 + Math.ceil(len / BLOCK);
    const a = new Uint8Array(blocks * BLOCK);
    // A_i = Flags || Nonce || i, Flags = L'.
    a[0] = q - 1;
    a.set(nonce, 1);
    for (let i = 1; i < blocks; i++) {
      const off = i * BLOCK;
      a.copyWithin(off, 0, BLOCK - q);
      writeLength(a, off + BLOCK, q, i);
    }
    return this.#ecb.update(a);
  }
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** Writes `value` big-endian into the `size` bytes ending at `end`. */
function writeLength(
  buf: Uint8Array,
  end: number,
  size: number,
  value: number,
): void {
  let v = value;
  for (let i = 1; i <= size; i++) {
    buf[end - i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/**
 * The size q of the length field (RFC 3610 §2.1's L) for `nonce`, checking
 * that a message of `length` bytes fits in it.
 */
function lengthFieldSize(nonce: Uint8Array, length: number): number {
  if (nonce.length < 7 || nonce.length > 13) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot use AES-CCM: nonce is ${nonce.length} bytes, expected 7 to 13`,
    );
  }
  const q = 15 - nonce.length;
  if (q < 7 && length >= 2 ** (8 * q)) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot use AES-CCM: ${length} bytes do not fit a ${q}-byte length field`,
    );
  }
  return q;
}

/**
 * Creates an AES-CCM AEAD.
 *
 * @param key 16 bytes (AES-128-CCM) or 32 bytes (AES-256-CCM).
 * @param tagLength 8 for the `_CCM_8` suites, 16 for `_CCM`; any even
 *   length from 4 to 16 is accepted (RFC 3610 §2.1).
 * @returns The AEAD. Nonces are 7 to 13 bytes; TLS and DTLS use 12 (a 4-byte
 *   salt and an 8-byte explicit nonce, RFC 6655 §3), leaving a 3-byte length
 *   field (messages under 16 MiB).
 * @throws {CryptoError} `bad_key` for another key length, `bad_parameter`
 *   for another tag length.
 *
 * @example RFC 3610 packet vector #1
 * ```ts
 * import { aesCcm } from "./ccm.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ccm = aesCcm(decodeHex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"), 8);
 * const nonce = decodeHex("00000003020100a0a1a2a3a4a5");
 * const aad = decodeHex("0001020304050607");
 * const sealed = ccm.seal(nonce, decodeHex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"), aad);
 * assert.equal(encodeHex(sealed), "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0");
 * assert.equal(ccm.open(nonce, sealed, new Uint8Array(8)), undefined);
 * ```
 */
export function aesCcm(key: Uint8Array, tagLength: CcmTagLength): Aead {
  if (key.length !== 16 && key.length !== 32) {
    throw new CryptoError(
      "bad_key",
      `Cannot create AES-CCM: key is ${key.length} bytes, expected 16 or 32`,
    );
  }
  if (
    !Number.isInteger(tagLength) || tagLength < 4 || tagLength > 16 ||
    tagLength % 2 !== 0
  ) {
    throw new CryptoError(
      "bad_parameter",
      `Cannot create AES-CCM: tag length ${tagLength} is not an even number from 4 to 16`,
    );
  }
  return new AesCcm(key, tagLength);
}
