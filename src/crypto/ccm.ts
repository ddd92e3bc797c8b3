/**
 * AES-CCM (RFC 3610, NIST SP 800-38C), the AEAD of the TLS and DTLS
 * `*_CCM` and `*_CCM_8` suites (RFC 6655, RFC 7251) used by CoAP devices.
 *
 * No library on this platform has CCM, so it is composed here on the
 * TypeScript AES block function of {@link ./aes.ts} (see there for the
 * cache-timing position of table-driven AES): a CCM object is only its
 * expanded key (44 or 60 words in one `Int32Array`). Each seal or open runs
 * the CBC-MAC (RFC 3610 §2.2) and the CTR key stream (§2.3) block by block,
 * interleaved, on four-word scratch states shared by the process, and
 * allocates only its output. The tag comparison on open has no early exit.
 *
 * It replaced CCM on long-lived `node:crypto` AES-ECB and AES-CBC objects,
 * whose Node-stream polyfill cost ≈ 6 µs per object and several µs per call
 * in Deno; `bench/crypto_bench.ts` keeps that construction as a candidate.
 *
 * @module
 */

import type { Aead } from "./aead.ts";
import { aesEncryptWords, expandAesKey } from "./aes.ts";
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

/*
 * Scratch shared by every key: seal and open run to completion without
 * yielding, so one set serves the whole process.
 */
/** The CBC-MAC chaining value X_i (RFC 3610 §2.2). */
const mac = new Int32Array(4);
/** A counter block A_i, then its key stream block S_i (RFC 3610 §2.3). */
const stream = new Int32Array(4);
/** S_0, which encrypts the tag. */
const tagStream = new Int32Array(4);
/** B_0, A_0, the first AAD block and zero-padded last blocks, as bytes. */
const pad = new Uint8Array(BLOCK);

class AesCcm implements Aead {
  readonly tagLength: number;
  readonly #roundKeys: Int32Array;

  constructor(key: Uint8Array, tagLength: number) {
    this.tagLength = tagLength;
    this.#roundKeys = expandAesKey(key);
  }

  get keyLength(): number {
    // 4 × (rounds + 1) words for a key of 4 × (rounds − 6) bytes
    return this.#roundKeys.length - 28;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const len = plaintext.length;
    const q = lengthFieldSize(nonce, len);
    const m = this.tagLength;
    const out = new Uint8Array(len + m);
    this.#startMac(nonce, q, aad, len);
    this.#ctrAndMac(nonce, q, plaintext, len, out, false);
    // RFC 3610 §2.3: U = T xor first-M-bytes(S_0)
    for (let i = 0; i < m; i++) {
      out[len + i] = wordByte(mac, i) ^ wordByte(tagStream, i);
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
    const pt = new Uint8Array(len);
    this.#startMac(nonce, q, aad, len);
    this.#ctrAndMac(nonce, q, sealed, len, pt, true);
    // RFC 3610 §2.5: compare T with the received U xor S_0 in constant time
    // (no early exit).
    let diff = 0;
    for (let i = 0; i < m; i++) {
      diff |= wordByte(mac, i) ^ wordByte(tagStream, i) ^ sealed[len + i]!;
    }
    if (diff !== 0) {
      pt.fill(0);
      return undefined;
    }
    return pt;
  }

  /**
   * RFC 3610 §2.2: starts the CBC-MAC with B_0 = Flags || Nonce || l(m)
   * and runs it over the encoded AAD, zero-padded to whole blocks.
   */
  #startMac(
    nonce: Uint8Array,
    q: number,
    aad: Uint8Array,
    messageLength: number,
  ): void {
    const rk = this.#roundKeys;
    pad.fill(0);
    // Flags = 64*Adata + 8*M' + L'
    pad[0] = (aad.length > 0 ? 0x40 : 0) | (((this.tagLength - 2) / 2) << 3) |
      (q - 1);
    pad.set(nonce, 1);
    writeLength(pad, BLOCK, q, messageLength);
    mac.fill(0);
    absorb(rk, pad, 0);
    if (aad.length === 0) return;

    pad.fill(0);
    let header: number;
    if (aad.length < 0xff00) {
      header = 2;
      pad[0] = aad.length >>> 8;
      pad[1] = aad.length & 0xff;
    } else if (aad.length <= 0xffffffff) {
      header = 6;
      pad[0] = 0xff;
      pad[1] = 0xfe;
      writeLength(pad, 6, 4, aad.length);
    } else {
      header = 10;
      pad[0] = 0xff;
      pad[1] = 0xff;
      writeLength(pad, 10, 8, aad.length);
    }
    const first = Math.min(aad.length, BLOCK - header);
    for (let i = 0; i < first; i++) pad[header + i] = aad[i]!;
    absorb(rk, pad, 0);
    absorbPadded(rk, aad, first);
  }

  /**
   * RFC 3610 §2.3 CTR encryption (or decryption) of the first `len` bytes
   * of `input` into `output` with S_1, S_2, …, each plaintext block also
   * going through the CBC-MAC; leaves S_0 in `tagStream`.
   */
  #ctrAndMac(
    nonce: Uint8Array,
    q: number,
    input: Uint8Array,
    len: number,
    output: Uint8Array,
    decrypt: boolean,
  ): void {
    const rk = this.#roundKeys;
    // A_i = Flags || Nonce || i, Flags = L'; i fits in the last word.
    pad.fill(0);
    pad[0] = q - 1;
    pad.set(nonce, 1);
    const a0 = readWord(pad, 0);
    const a1 = readWord(pad, 4);
    const a2 = readWord(pad, 8);
    const a3 = readWord(pad, 12);
    tagStream[0] = a0;
    tagStream[1] = a1;
    tagStream[2] = a2;
    tagStream[3] = a3;
    aesEncryptWords(rk, tagStream);
    let counter = 1;
    let o = 0;
    for (; o + BLOCK <= len; o += BLOCK, counter++) {
      stream[0] = a0;
      stream[1] = a1;
      stream[2] = a2;
      stream[3] = a3 | counter;
      aesEncryptWords(rk, stream);
      const i0 = readWord(input, o);
      const i1 = readWord(input, o + 4);
      const i2 = readWord(input, o + 8);
      const i3 = readWord(input, o + 12);
      const o0 = i0 ^ stream[0]!;
      const o1 = i1 ^ stream[1]!;
      const o2 = i2 ^ stream[2]!;
      const o3 = i3 ^ stream[3]!;
      writeWord(output, o, o0);
      writeWord(output, o + 4, o1);
      writeWord(output, o + 8, o2);
      writeWord(output, o + 12, o3);
      if (decrypt) {
        mac[0] = mac[0]! ^ o0;
        mac[1] = mac[1]! ^ o1;
        mac[2] = mac[2]! ^ o2;
        mac[3] = mac[3]! ^ o3;
      } else {
        mac[0] = mac[0]! ^ i0;
        mac[1] = mac[1]! ^ i1;
        mac[2] = mac[2]! ^ i2;
        mac[3] = mac[3]! ^ i3;
      }
      aesEncryptWords(rk, mac);
    }
    if (o === len) return;
    stream[0] = a0;
    stream[1] = a1;
    stream[2] = a2;
    stream[3] = a3 | counter;
    aesEncryptWords(rk, stream);
    pad.fill(0);
    for (let i = 0; o + i < len; i++) {
      const b = input[o + i]!;
      const x = b ^ wordByte(stream, i);
      output[o + i] = x;
      pad[i] = decrypt ? x : b;
    }
    absorb(rk, pad, 0);
  }
}

/** Byte `i` (0–15) of a block held as four big-endian words. */
function wordByte(words: Int32Array, i: number): number {
  return (words[i >>> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
}

function readWord(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function writeWord(b: Uint8Array, o: number, w: number): void {
  b[o] = w >>> 24;
  b[o + 1] = w >>> 16;
  b[o + 2] = w >>> 8;
  b[o + 3] = w;
}

/** CBC-MAC step over the 16 bytes of `data` at `o`. */
function absorb(rk: Int32Array, data: Uint8Array, o: number): void {
  mac[0] = mac[0]! ^ readWord(data, o);
  mac[1] = mac[1]! ^ readWord(data, o + 4);
  mac[2] = mac[2]! ^ readWord(data, o + 8);
  mac[3] = mac[3]! ^ readWord(data, o + 12);
  aesEncryptWords(rk, mac);
}

/** CBC-MAC over `data` from `start`, the last block zero-padded. */
function absorbPadded(rk: Int32Array, data: Uint8Array, start: number): void {
  let o = start;
  for (; o + BLOCK <= data.length; o += BLOCK) absorb(rk, data, o);
  if (o === data.length) return;
  pad.fill(0);
  for (let i = 0; o + i < data.length; i++) pad[i] = data[o + i]!;
  absorb(rk, pad, 0);
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
