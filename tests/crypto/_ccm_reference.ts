/**
 * Two AES-CCM references for cross-checking `src/crypto/ccm.ts` on random
 * inputs, both also candidates in `bench/crypto_bench.ts`:
 *
 * - `referenceCcmSeal`, a deliberately literal RFC 3610 §2.2–2.3 on
 *   `@noble/ciphers`' AES, one block per call;
 * - `NodeAesCcm`, the CCM postern shipped before its own AES: RFC 3610 on
 *   long-lived `node:crypto` AES-ECB (key stream) and AES-CBC (CBC-MAC)
 *   objects, whose CBC chaining value is carried from call to call and
 *   undone by XOR-ing it into the next B_0.
 *
 * Not constant-time and not fast: tests and benchmarks only.
 *
 * @module
 */

import { type Cipheriv, createCipheriv } from "node:crypto";
import { ecb } from "@noble/ciphers/aes.js";
import type { Aead } from "../../src/crypto/aead.ts";
import { CryptoError } from "../../src/crypto/errors.ts";

function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return ecb(key, { disablePadding: true }).encrypt(block);
}

function be(value: number, size: number): number[] {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < size; i++) {
    out.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

/** RFC 3610 CCM encryption: returns `ciphertext || U`. */
export function referenceCcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  m: number,
): Uint8Array {
  const l = 15 - nonce.length;
  // §2.2 authentication: B_0, then l(a) || a padded, then m padded.
  const blocks: number[] = [
    (aad.length > 0 ? 64 : 0) + 8 * ((m - 2) / 2) + (l - 1),
    ...nonce,
    ...be(plaintext.length, l),
  ];
  if (aad.length > 0) {
    const enc = aad.length < 0xff00
      ? be(aad.length, 2)
      : [0xff, 0xfe, ...be(aad.length, 4)];
    const a = [...enc, ...aad];
    while (a.length % 16) a.push(0);
    blocks.push(...a);
  }
  const p = [...plaintext];
  while (p.length % 16) p.push(0);
  blocks.push(...p);
  let x: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < blocks.length; i += 16) {
    const b = new Uint8Array(16);
    for (let j = 0; j < 16; j++) b[j] = x[j]! ^ blocks[i + j]!;
    x = aesBlock(key, b);
  }
  const t = x.subarray(0, m);
  // §2.3 encryption: S_i = E(K, A_i), A_i = L' || nonce || i.
  const s = (i: number) =>
    aesBlock(key, new Uint8Array([l - 1, ...nonce, ...be(i, l)]));
  const out = new Uint8Array(plaintext.length + m);
  for (let i = 0; i < plaintext.length; i += 16) {
    const si = s(i / 16 + 1);
    for (let j = 0; j < 16 && i + j < plaintext.length; j++) {
      out[i + j] = plaintext[i + j]! ^ si[j]!;
    }
  }
  const s0 = s(0);
  for (let j = 0; j < m; j++) out[plaintext.length + j] = t[j]! ^ s0[j]!;
  return out;
}

const BLOCK = 16;

/** RFC 3610 on long-lived `node:crypto` AES-ECB and AES-CBC objects. */
export class NodeAesCcm implements Aead {
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
