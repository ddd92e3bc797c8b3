/**
 * The AES block cipher (FIPS 197), encryption only, in TypeScript: the
 * block function under AES-CCM ({@link ./ccm.ts}), which needs nothing but
 * forward block encryptions (the CBC-MAC and the CTR key stream).
 *
 * Why not `node:crypto`: in Deno its `Cipheriv` is a Node stream polyfill
 * with a large fixed cost per object (≈ 5 µs to create) and per `update`
 * call (≈ 3 µs for one block), and ≈ 1.1 KiB of heap per object. A DTLS
 * record or handshake message under CCM is a handful of blocks, so that
 * fixed cost dominated; here a key schedule is 44 or 60 words in one
 * `Int32Array` and a block costs 160 table look-ups and no allocation
 * (≈ 0.1 µs; `bench/crypto_bench.ts`, group `aes-block`).
 *
 * Written for V8: the state is four int32 words, the rounds use the four
 * classic 1 KiB "T-tables" (SubBytes, ShiftRows and MixColumns folded into
 * one look-up per byte, as in the Rijndael reference code), derived from
 * GF(2^8) arithmetic once, when the module loads (0.7–5 ms measured, cold
 * code on the loaded 2-core machine; building them lazily would only move
 * that into the first handshake).
 *
 * ## Side channels
 *
 * Table-driven AES is **not constant-time against cache timing**: which
 * table lines are touched depends on key and data, and an attacker who
 * shares the CPU's caches with this process and can trigger many
 * encryptions under one key can recover that key (Bernstein 2005; Osvik,
 * Shamir and Tromer 2006). The same is true of `@noble/ciphers`' AES, the
 * other pure-JavaScript option. There are no branches on secret data; the
 * leak is the table index. It is accepted here because:
 *
 * - the keys are DTLS/TLS session keys, fresh per association and epoch,
 *   not a long-lived server key; a co-resident spy must recover each one
 *   while its session lasts;
 * - the attacks need code running on the same machine (or, for Bernstein's
 *   remote variant, a quiet network path and of the order of 10^8 timed
 *   packets); the JIT, the garbage collector and the event loop between a
 *   packet and the table look-ups add noise, though that is no defence to
 *   rely on;
 * - the alternatives cost too much per record: native AES through
 *   `node:crypto` (constant-time AES-NI) costs 3–5× more per small record
 *   than this code, because of the polyfill, and a bitsliced AES in 32-bit
 *   JavaScript (the BearSSL `aes_ct` design: S-box as a boolean circuit, two
 *   blocks per pass, which suits CCM's MAC block + counter block) needs by
 *   operation count about 3× the work of two T-table blocks. It was not
 *   built; at that cost 1 KiB records would fall below the `node:crypto`
 *   construction again.
 *
 * Deployments that share hosts with untrusted code should prefer the GCM
 * suites (AES-NI through `node:crypto`) where their devices allow it.
 *
 * @module
 */

import { CryptoError } from "./errors.ts";

/** S-box, then the four T-tables: Te1..Te3 are Te0 rotated by 8, 16, 24. */
const SBOX = new Uint8Array(256);
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);

buildTables();

function buildTables(): void {
  // Powers of the generator 3 in GF(2^8) give inverses: x = 3^i has
  // x^-1 = 3^(255 - i).
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x);
  }
  for (let x = 0; x < 256; x++) {
    const inv = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    // FIPS 197 §5.1.1 affine transformation
    let s = inv;
    for (let r = 1; r < 5; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    s ^= 0x63;
    SBOX[x] = s;
    const s2 = xtime(s);
    const t = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    TE0[x] = t;
    TE1[x] = (t >>> 8) | (t << 24);
    TE2[x] = (t >>> 16) | (t << 16);
    TE3[x] = (t >>> 24) | (t << 8);
  }
}

/** Multiplication by x (that is, 2) in GF(2^8) mod x^8 + x^4 + x^3 + x + 1. */
function xtime(b: number): number {
  return ((b << 1) ^ ((b >>> 7) * 0x1b)) & 0xff;
}

function subWord(w: number): number {
  return (SBOX[w >>> 24]! << 24) | (SBOX[(w >>> 16) & 0xff]! << 16) |
    (SBOX[(w >>> 8) & 0xff]! << 8) | SBOX[w & 0xff]!;
}

/**
 * Expands an AES key into its encryption round keys (FIPS 197 §5.2).
 *
 * @param key 16, 24 or 32 bytes (AES-128, AES-192, AES-256).
 * @returns 4 × (rounds + 1) big-endian words: 44, 52 or 60. Pass them to
 *   {@link aesEncryptBlock} or {@link aesEncryptWords}.
 * @throws {CryptoError} `bad_key` for another key length.
 *
 * @example FIPS 197 appendix A.1: the last round key of AES-128
 * ```ts
 * import { expandAesKey } from "./aes.ts";
 * import { decodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const w = expandAesKey(decodeHex("2b7e151628aed2a6abf7158809cf4f3c"));
 * assert.equal(w.length, 44);
 * assert.equal(w[43]! >>> 0, 0xb6630ca6);
 * ```
 */
export function expandAesKey(key: Uint8Array): Int32Array {
  const nk = key.length / 4;
  if (nk !== 4 && nk !== 6 && nk !== 8) {
    throw new CryptoError(
      "bad_key",
      `Cannot expand an AES key of ${key.length} bytes, expected 16, 24 or 32`,
    );
  }
  const w = new Int32Array(4 * (nk + 7));
  for (let i = 0; i < nk; i++) {
    const o = 4 * i;
    w[i] = (key[o]! << 24) | (key[o + 1]! << 16) | (key[o + 2]! << 8) |
      key[o + 3]!;
  }
  let rcon = 1;
  for (let i = nk; i < w.length; i++) {
    let t = w[i - 1]!;
    if (i % nk === 0) {
      t = subWord((t << 8) | (t >>> 24)) ^ (rcon << 24);
      rcon = xtime(rcon);
    } else if (nk === 8 && i % nk === 4) {
      t = subWord(t);
    }
    w[i] = w[i - nk]! ^ t;
  }
  return w;
}

/**
 * Encrypts one block held as four big-endian words, in place: `state[0]` is
 * bytes 0–3 of the block. The form CCM's CBC-MAC and counter blocks use, so
 * they never go through bytes between blocks.
 *
 * @param roundKeys From {@link expandAesKey}.
 * @param state At least four words; the first four are replaced.
 *
 * @example
 * ```ts
 * import { aesEncryptWords, expandAesKey } from "./aes.ts";
 * import { decodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // FIPS 197 appendix C.1
 * const rk = expandAesKey(decodeHex("000102030405060708090a0b0c0d0e0f"));
 * const s = new Int32Array([0x00112233, 0x44556677, 0x8899aabb, 0xccddeeff]);
 * aesEncryptWords(rk, s);
 * assert.deepEqual([...s].map((w) => (w >>> 0).toString(16)), ["69c4e0d8", "6a7b0430", "d8cdb780", "70b4c55a"]);
 * ```
 */
export function aesEncryptWords(
  roundKeys: Int32Array,
  state: Int32Array,
): void {
  const rk = roundKeys;
  const te0 = TE0, te1 = TE1, te2 = TE2, te3 = TE3;
  let s0 = state[0]! ^ rk[0]!;
  let s1 = state[1]! ^ rk[1]!;
  let s2 = state[2]! ^ rk[2]!;
  let s3 = state[3]! ^ rk[3]!;
  const last = rk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const t0 = te0[s0 >>> 24]! ^ te1[(s1 >>> 16) & 0xff]! ^
      te2[(s2 >>> 8) & 0xff]! ^ te3[s3 & 0xff]! ^ rk[k]!;
    const t1 = te0[s1 >>> 24]! ^ te1[(s2 >>> 16) & 0xff]! ^
      te2[(s3 >>> 8) & 0xff]! ^ te3[s0 & 0xff]! ^ rk[k + 1]!;
    const t2 = te0[s2 >>> 24]! ^ te1[(s3 >>> 16) & 0xff]! ^
      te2[(s0 >>> 8) & 0xff]! ^ te3[s1 & 0xff]! ^ rk[k + 2]!;
    const t3 = te0[s3 >>> 24]! ^ te1[(s0 >>> 16) & 0xff]! ^
      te2[(s1 >>> 8) & 0xff]! ^ te3[s2 & 0xff]! ^ rk[k + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // last round: SubBytes and ShiftRows, no MixColumns
  const sb = SBOX;
  state[0] = ((sb[s0 >>> 24]! << 24) | (sb[(s1 >>> 16) & 0xff]! << 16) |
    (sb[(s2 >>> 8) & 0xff]! << 8) | sb[s3 & 0xff]!) ^ rk[k]!;
  state[1] = ((sb[s1 >>> 24]! << 24) | (sb[(s2 >>> 16) & 0xff]! << 16) |
    (sb[(s3 >>> 8) & 0xff]! << 8) | sb[s0 & 0xff]!) ^ rk[k + 1]!;
  state[2] = ((sb[s2 >>> 24]! << 24) | (sb[(s3 >>> 16) & 0xff]! << 16) |
    (sb[(s0 >>> 8) & 0xff]! << 8) | sb[s1 & 0xff]!) ^ rk[k + 2]!;
  state[3] = ((sb[s3 >>> 24]! << 24) | (sb[(s0 >>> 16) & 0xff]! << 16) |
    (sb[(s1 >>> 8) & 0xff]! << 8) | sb[s2 & 0xff]!) ^ rk[k + 3]!;
}

const blockWords = new Int32Array(4);

/**
 * Encrypts the 16-byte block at `offset` of `buffer` in place (AES-ECB on
 * one block).
 *
 * @param roundKeys From {@link expandAesKey}.
 * @param buffer Holds the block; nothing else is touched.
 * @param offset Where the block starts; `buffer` must have 16 bytes there.
 * @throws {RangeError} if the block does not fit in `buffer`.
 *
 * @example FIPS 197 appendix C.3 (AES-256)
 * ```ts
 * import { aesEncryptBlock, expandAesKey } from "./aes.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const rk = expandAesKey(decodeHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
 * const block = decodeHex("00112233445566778899aabbccddeeff");
 * aesEncryptBlock(rk, block);
 * assert.equal(encodeHex(block), "8ea2b7ca516745bfeafc49904b496089");
 * ```
 */
export function aesEncryptBlock(
  roundKeys: Int32Array,
  buffer: Uint8Array,
  offset = 0,
): void {
  if (!(offset >= 0 && offset + 16 <= buffer.length)) {
    throw new RangeError(
      `Cannot encrypt an AES block at offset ${offset} of ${buffer.length} bytes`,
    );
  }
  const s = blockWords;
  for (let i = 0, o = offset; i < 4; i++, o += 4) {
    s[i] = (buffer[o]! << 24) | (buffer[o + 1]! << 16) |
      (buffer[o + 2]! << 8) | buffer[o + 3]!;
  }
  aesEncryptWords(roundKeys, s);
  for (let i = 0, o = offset; i < 4; i++, o += 4) {
    const w = s[i]!;
    buffer[o] = w >>> 24;
    buffer[o + 1] = w >>> 16;
    buffer[o + 2] = w >>> 8;
    buffer[o + 3] = w;
  }
}
