/**
 * SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104) for short inputs,
 * without allocation per block: the handshake path hashes many small
 * messages (TLS 1.2 PRF, transcript, cookies), where the per-call set-up of
 * `node:crypto` (≈ 10 µs per `createHmac`) and the per-object buffers of
 * `@noble/hashes` cost more than the compression itself. Figures in
 * `bench/README.md` (Crypto section, `sha256` group of
 * `bench/crypto_bench.ts`).
 *
 * Every branch depends only on lengths, never on the data, so the hash runs
 * in time independent of secret content, like the other implementations.
 *
 * @example
 * ```ts
 * import { Sha256 } from "./sha256.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const h = new Sha256().update(new TextEncoder().encode("abc"));
 * assert.equal(encodeHex(h.digest()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 *
 * @module
 */

const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

const IV = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

/** Message schedule (64 words); JavaScript runs one compression at a time. */
const W = new Int32Array(64);

/** One compression of the 64-byte block at `data[offset]` into `s[so..so+8]`. */
function compress(
  s: Int32Array,
  data: Uint8Array,
  offset: number,
  so = 0,
): void {
  for (let i = 0, j = offset; i < 16; i++, j += 4) {
    W[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) |
      data[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^
      (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^
      (w2 >>> 10);
    W[i] = (s1 + W[i - 7]! + s0 + W[i - 16]!) | 0;
  }
  let a = s[so]!, b = s[so + 1]!, c = s[so + 2]!, d = s[so + 3]!;
  let e = s[so + 4]!, f = s[so + 5]!, g = s[so + 6]!, h = s[so + 7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
      ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + (g ^ (e & (f ^ g))) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
      ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[so] = (s[so]! + a) | 0;
  s[so + 1] = (s[so + 1]! + b) | 0;
  s[so + 2] = (s[so + 2]! + c) | 0;
  s[so + 3] = (s[so + 3]! + d) | 0;
  s[so + 4] = (s[so + 4]! + e) | 0;
  s[so + 5] = (s[so + 5]! + f) | 0;
  s[so + 6] = (s[so + 6]! + g) | 0;
  s[so + 7] = (s[so + 7]! + h) | 0;
}

/**
 * FIPS 180-4 §5.1.1 padding and the last compressions: `buffered` bytes of
 * `block` pending after `length` message bytes. Overwrites `state` and
 * `block`.
 */
function finish(
  state: Int32Array,
  block: Uint8Array,
  buffered: number,
  length: number,
  out: Uint8Array,
  offset: number,
): void {
  let p = buffered;
  block[p++] = 0x80;
  if (p > 56) {
    block.fill(0, p);
    compress(state, block, 0);
    p = 0;
  }
  block.fill(0, p, 56);
  // bit length, big-endian 64-bit (messages stay far below 2^53 bits)
  const bits = length * 8;
  const high = Math.floor(bits / 0x100000000);
  block[56] = high >>> 24;
  block[57] = (high >>> 16) & 0xff;
  block[58] = (high >>> 8) & 0xff;
  block[59] = high & 0xff;
  block[60] = (bits >>> 24) & 0xff;
  block[61] = (bits >>> 16) & 0xff;
  block[62] = (bits >>> 8) & 0xff;
  block[63] = bits & 0xff;
  compress(state, block, 0);
  writeState(state, out, offset);
}

/**
 * Puts `h` back to the chaining value `state[offset..offset+8]` after
 * `length` bytes of whole blocks.
 */
let restart: (
  h: Sha256,
  state: Int32Array,
  offset: number,
  length: number,
) => Sha256;

/**
 * Incremental SHA-256. `clone` copies 108 bytes of state, so a running
 * transcript hash can be read at any point cheaply.
 *
 * @example Hash in parts, read a prefix's hash, go on
 * ```ts
 * import { Sha256 } from "./sha256.ts";
 * import { digest } from "./hash.ts";
 * import assert from "node:assert/strict";
 *
 * const data = new Uint8Array(200).map((_, i) => i);
 * const h = new Sha256().update(data.subarray(0, 70));
 * const prefix = h.clone().digest();
 * h.update(data.subarray(70));
 * assert.deepEqual(prefix, digest("SHA-256", data.subarray(0, 70)));
 * assert.deepEqual(h.digest(), digest("SHA-256", data));
 * ```
 */
export class Sha256 {
  /** Digest length in bytes. */
  static readonly outputLength = 32;
  /** Block length in bytes. */
  static readonly blockLength = 64;
  readonly #state = new Int32Array(8);
  readonly #block = new Uint8Array(64);
  #buffered = 0;
  #length = 0;

  /** A hash of the empty message so far. */
  constructor() {
    this.#state.set(IV);
  }

  /**
   * Adds `data` to the message.
   *
   * @param data The next bytes.
   * @returns This hash, for chaining.
   */
  update(data: Uint8Array): this {
    const block = this.#block;
    const state = this.#state;
    const n = data.length;
    this.#length += n;
    // byte loops rather than subarray views: a view is a heap object, and
    // the handshake hashes many short pieces
    let i = 0;
    let p = this.#buffered;
    if (p > 0) {
      while (p < 64 && i < n) block[p++] = data[i++]!;
      this.#buffered = p;
      if (p < 64) return this;
      compress(state, block, 0);
      this.#buffered = 0;
    }
    for (; i + 64 <= n; i += 64) compress(state, data, i);
    let q = 0;
    while (i < n) block[q++] = data[i++]!;
    if (q > 0) this.#buffered = q;
    return this;
  }

  /**
   * Finishes the hash into `out` (32 bytes from `offset`). The hash must
   * not be updated afterwards.
   *
   * @param out Where the digest goes.
   * @param offset Position in `out`.
   */
  digestInto(out: Uint8Array, offset = 0): void {
    finish(this.#state, this.#block, this.#buffered, this.#length, out, offset);
  }

  /**
   * The digest of the message so far, leaving this hash running (what
   * `clone().digest()` gives, without the copy).
   *
   * @returns The 32-byte digest.
   */
  peekDigest(): Uint8Array {
    const out = new Uint8Array(32);
    PEEK_STATE.set(this.#state);
    PEEK_BLOCK.set(this.#block);
    finish(PEEK_STATE, PEEK_BLOCK, this.#buffered, this.#length, out, 0);
    return out;
  }

  /**
   * Finishes the hash. The hash must not be updated afterwards.
   *
   * @returns The 32-byte digest.
   */
  digest(): Uint8Array {
    const out = new Uint8Array(32);
    this.digestInto(out);
    return out;
  }

  /**
   * An independent copy of the running hash.
   *
   * @returns The copy.
   */
  clone(): Sha256 {
    return new Sha256().#copyFrom(this);
  }

  #copyFrom(other: Sha256): this {
    this.#state.set(other.#state);
    this.#block.set(other.#block);
    this.#buffered = other.#buffered;
    this.#length = other.#length;
    return this;
  }

  static {
    restart = (h, state, offset, length) => {
      for (let i = 0; i < 8; i++) h.#state[i] = state[offset + i]!;
      h.#buffered = 0;
      h.#length = length;
      return h;
    };
  }
}

/**
 * HMAC-SHA256 (RFC 2104) under one key, with both pads hashed once: a MAC of
 * up to 55 bytes then costs two compressions and one 32-byte allocation.
 *
 * @example RFC 4231 test case 2
 * ```ts
 * import { HmacSha256 } from "./sha256.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const te = new TextEncoder();
 * const mac = new HmacSha256(te.encode("Jefe")).mac([te.encode("what do ya want for nothing?")]);
 * assert.equal(encodeHex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
 * ```
 */
export class HmacSha256 {
  /** Chaining values after the inner pad (0..7) and the outer pad (8..15). */
  readonly #pads = new Int32Array(16);

  /**
   * Hashes the key's inner and outer pads (RFC 2104 §2 steps 1–2).
   *
   * @param key The MAC key; keys longer than 64 bytes are hashed first.
   */
  constructor(key: Uint8Array) {
    keyPads(this.#pads, key);
  }

  /**
   * The MAC of the concatenation of `parts`.
   *
   * @param parts The message, in order.
   * @returns 32 bytes.
   */
  mac(parts: readonly Uint8Array[]): Uint8Array {
    const out = new Uint8Array(32);
    macInto(this.#pads, parts, out, 0);
    return out;
  }

  /**
   * The MAC of the concatenation of `parts`, written to `out[offset..+32]`.
   * `out` may be one of the parts.
   *
   * @param parts The message, in order.
   * @param out Where the MAC goes.
   * @param offset Position in `out`.
   */
  macInto(parts: readonly Uint8Array[], out: Uint8Array, offset = 0): void {
    macInto(this.#pads, parts, out, offset);
  }
}

/** RFC 2104 §2 steps 1–2: the chaining values after the two pads. */
function keyPads(pads: Int32Array, key: Uint8Array): void {
  const k = SCRATCH;
  k.fill(0);
  if (key.length > 64) new Sha256().update(key).digestInto(k, 0);
  else k.set(key);
  for (let i = 0; i < 64; i++) k[i]! ^= 0x36;
  pads.set(IV, 0);
  compress(pads, k, 0, 0);
  for (let i = 0; i < 64; i++) k[i]! ^= 0x36 ^ 0x5c;
  pads.set(IV, 8);
  compress(pads, k, 0, 8);
  k.fill(0);
}

function macInto(
  pads: Int32Array,
  parts: readonly Uint8Array[],
  out: Uint8Array,
  offset: number,
): void {
  const h = restart(WORK, pads, 0, 64);
  for (const p of parts) h.update(p);
  const tail = SCRATCH;
  h.digestInto(tail, 0);
  // the outer hash is one block: inner digest, 0x80, zeros, 768 bits
  tail[32] = 0x80;
  tail.fill(0, 33, 62);
  tail[62] = 0x03;
  tail[63] = 0x00;
  const s = OUTER;
  for (let i = 0; i < 8; i++) s[i] = pads[8 + i]!;
  compress(s, tail, 0);
  writeState(s, out, offset);
}

/**
 * P_SHA256(secret, label + seed) of the TLS 1.2 PRF (RFC 5246 §5), written
 * to all of `out`: every HMAC goes into reused buffers, so the only
 * allocation is the caller's `out`.
 *
 * @param secret The PRF secret.
 * @param label The label's ASCII bytes.
 * @param seed The seed.
 * @param out Receives `out.length` bytes.
 *
 * @example RFC 5246 §5 with SHA-256: a 12-byte verify_data
 * ```ts
 * import { pSha256 } from "./sha256.ts";
 * import { tlsPrf } from "./prf.ts";
 * import assert from "node:assert/strict";
 *
 * const te = new TextEncoder();
 * const out = new Uint8Array(12);
 * pSha256(new Uint8Array(48), te.encode("client finished"), new Uint8Array(32), out);
 * assert.deepEqual(out, tlsPrf("SHA-256", new Uint8Array(48), "client finished", new Uint8Array(32), 12));
 * ```
 */
export function pSha256(
  secret: Uint8Array,
  label: Uint8Array,
  seed: Uint8Array,
  out: Uint8Array,
): void {
  const pads = PRF_PADS;
  keyPads(pads, secret);
  const a = PRF_A;
  const block = PRF_BLOCK;
  const seedOnly = PRF_SEED_ONLY;
  seedOnly[0] = label;
  seedOnly[1] = seed;
  const withSeed = PRF_WITH_SEED;
  withSeed[1] = label;
  withSeed[2] = seed;
  macInto(pads, seedOnly, a, 0); // A(1)
  for (let off = 0; off < out.length; off += 32) {
    const n = Math.min(32, out.length - off);
    if (n === 32) macInto(pads, withSeed, out, off);
    else {
      macInto(pads, withSeed, block, 0);
      for (let i = 0; i < n; i++) out[off + i] = block[i]!;
    }
    if (off + 32 < out.length) macInto(pads, PRF_A_ONLY, a, 0); // A(i+1)
  }
  pads.fill(0);
  a.fill(0);
  block.fill(0);
  seedOnly[0] =
    seedOnly[1] =
    withSeed[1] =
    withSeed[2] =
      EMPTY;
}

// Scratch of the synchronous computations (never held across calls).
const WORK = new Sha256();
const SCRATCH = new Uint8Array(64);
const OUTER = new Int32Array(8);
const PEEK_STATE = new Int32Array(8);
const PEEK_BLOCK = new Uint8Array(64);
const EMPTY = new Uint8Array(0);
const PRF_PADS = new Int32Array(16);
const PRF_A = new Uint8Array(32);
const PRF_BLOCK = new Uint8Array(32);
const PRF_SEED_ONLY: Uint8Array[] = [EMPTY, EMPTY];
const PRF_WITH_SEED: Uint8Array[] = [PRF_A, EMPTY, EMPTY];
const PRF_A_ONLY: Uint8Array[] = [PRF_A];

function writeState(s: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 8; i++) {
    const v = s[i]!;
    const o = offset + 4 * i;
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
}
