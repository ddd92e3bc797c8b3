/**
 * The two secret-scalar operations a P-256 ECDHE-ECDSA server does per
 * handshake, on its own fixed-base multiplication: public key `d·G` of an
 * ephemeral key and ECDSA-SHA256 signing (FIPS 186-4 §6.4, deterministic
 * `k` of RFC 6979 §3.2); with them the peer point check (SEC 1 §3.2.2.1)
 * and modular inversion. Other curves, hashes and verification stay on
 * `@noble/curves` and WebCrypto (`signature.ts`, `ec_keys.ts`).
 *
 * Same method as `@noble/curves`' constant-time path: signed 8-bit windows
 * over a precomputed table of affine multiples of `G`, one addition per
 * window whatever the digit (zero digits feed a discarded accumulator),
 * the scalar blinded as `k + b·n` with a fresh 64-bit `b` (so the digits
 * walked differ per call), complete addition formulas
 * (Renes–Costello–Batina 2015, algorithm 1, with `a = −3` and an affine
 * second operand) and, in ECDSA, the nonce inverted as `(b'k)⁻¹` with a
 * fresh random `b'`. What differs is the arithmetic: coordinates are
 * BigInts reduced only after products (`%` of a product keeps the
 * dividend's sign, so sums and negations need no reduction), without
 * noble's per-operation field calls and point objects, and the DRBG of
 * RFC 6979 runs on the allocation-free {@link HmacSha256}. Figures in
 * `bench/README.md` (DTLS section) and `bench/crypto_bench.ts` (groups
 * `ecdh-p256-keygen`, `ecdsa-p256-sign`).
 *
 * BigInt arithmetic is not constant time in any JavaScript engine; as with
 * noble, the sequence of operations does not depend on secrets. The table
 * entry of a window is read by index: noble reads every entry's pointer
 * first, but the BigInts the addition then reads sit at addresses that
 * depend on the digit either way, so that scan (a quarter of the time
 * here) hides nothing from a cache observer.
 *
 * @module
 */

import { CryptoError } from "./errors.ts";
import { randomBytes } from "./random.ts";
import { HmacSha256, Sha256 } from "./sha256.ts";

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const B3 = 3n * B;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

// Window width: one byte of the scalar per window.
const W = 8;
const HALF = 1 << (W - 1);
const BLIND_BYTES = 8;
const SCALAR_BYTES = 32 + BLIND_BYTES;
// Windows of a blinded scalar (< 2^(256+64)), plus one for the last carry.
const WINDOWS = Math.ceil((8 * SCALAR_BYTES) / W) + 1;

/** A projective point (X : Y : Z), coordinates not reduced. */
interface Projective {
  x: bigint;
  y: bigint;
  z: bigint;
}

/** An affine point, coordinates in [0, p). */
interface Affine {
  readonly x: bigint;
  readonly y: bigint;
}

/**
 * `out = p + (qx, qy)` for an affine `q` (never the identity); `p` may be
 * the identity (0 : 1 : 0) or equal to ±q. `out` may be `p`. Inputs may be
 * unreduced (small multiples of p, negative); outputs are in (−2p, 2p).
 */
function addMixed(out: Projective, p: Projective, qx: bigint, qy: bigint) {
  const x1 = p.x, y1 = p.y, z1 = p.z;
  const t0 = (x1 * qx) % P;
  let t1 = (y1 * qy) % P;
  const t3 = ((x1 + y1) * (qx + qy) - t0 - t1) % P;
  let t4 = (qx * z1 + x1) % P;
  const t5 = (qy * z1 + y1) % P;
  let z3 = -3n * t4;
  let x3 = (B3 * z1) % P;
  z3 = x3 + z3;
  x3 = t1 - z3;
  z3 = t1 + z3;
  t1 = 3n * t0;
  let t2 = -3n * z1;
  t4 = (B3 * t4) % P;
  t1 = t1 + t2;
  t2 = -3n * (t0 - t2);
  t4 = t4 + t2;
  out.y = (x3 * z3 + t1 * t4) % P;
  out.x = (t3 * x3 - t5 * t4) % P;
  out.z = (t5 * z3 + t3 * t1) % P;
}

function reduce(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/**
 * `a⁻¹ mod m` for `a` prime to `m` (Lehmer's extended Euclid, Knuth TAOCP
 * vol. 2 §4.5.2 algorithm L): runs of quotients are found on the top 52
 * bits in doubles and applied to the BigInts as one 2×2 matrix, about
 * twice as fast as a BigInt division per quotient (noble's `invert`).
 * Variable time, like noble's: callers invert only blinded or public-derived
 * values.
 *
 * @param a The value.
 * @param m The modulus (odd here: P-256's p or n).
 * @returns `x` in [0, m) with `a·x ≡ 1 (mod m)`.
 * @throws {RangeError} if `a` is not prime to `m` (0 included).
 *
 * @example
 * ```ts
 * import { invMod } from "./p256.ts";
 * import assert from "node:assert/strict";
 *
 * const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
 * assert.equal((invMod(3n, p) * 3n) % p, 1n);
 * assert.throws(() => invMod(0n, p), RangeError);
 * ```
 */
export function invMod(a: bigint, m: bigint): bigint {
  let r0 = m, r1 = a % m;
  if (r1 < 0n) r1 += m;
  let s0 = 0n, s1 = 1n;
  while (r1 !== 0n) {
    const e = Math.floor(Math.log2(Number(r0))) + 1;
    const shift = BigInt(e > 52 ? e - 52 : 0);
    let x = Number(r0 >> shift), y = Number(r1 >> shift);
    let a0 = 1, b0 = 0, c0 = 0, d0 = 1;
    for (;;) {
      const yc = y + c0, yd = y + d0;
      if (yc === 0 || yd === 0) break;
      const q = floorDiv(x + a0, yc);
      if (q !== floorDiv(x + b0, yd)) break;
      let t = a0 - q * c0;
      a0 = c0, c0 = t;
      t = b0 - q * d0;
      b0 = d0, d0 = t;
      t = x - q * y;
      x = y, y = t;
    }
    if (b0 === 0) {
      const q = r0 / r1;
      let t = r0 - q * r1;
      r0 = r1, r1 = t;
      t = s0 - q * s1;
      s0 = s1, s1 = t;
    } else {
      const A = BigInt(a0), B = BigInt(b0), C = BigInt(c0), D = BigInt(d0);
      let t = A * r0 + B * r1;
      r1 = C * r0 + D * r1, r0 = t;
      t = A * s0 + B * s1;
      s1 = C * s0 + D * s1, s0 = t;
    }
  }
  if (r0 !== 1n) {
    throw new RangeError("Cannot invert: value is not prime to the modulus");
  }
  s0 %= m;
  return s0 < 0n ? s0 + m : s0;
}

/** `⌊a / b⌋` for integers `0 ≤ a ≤ 2^53`, `0 < b`, exact despite rounding. */
function floorDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  if (q * b > a) return q - 1;
  return (q + 1) * b <= a ? q + 1 : q;
}

/** Multiples `j·2^(W·w)·G`, j = 1..HALF, of window w at `w·HALF + j − 1`. */
let table: readonly Affine[] | undefined;

function buildTable(): Affine[] {
  const points: Affine[] = new Array(WINDOWS * HALF);
  const row: Projective[] = Array.from({ length: HALF }, () => ({
    x: 0n,
    y: 1n,
    z: 0n,
  }));
  const prefix: bigint[] = new Array(HALF);
  let bx = GX, by = GY;
  for (let w = 0; w < WINDOWS; w++) {
    // row[j] = (j + 1)·base
    row[0]!.x = bx, row[0]!.y = by, row[0]!.z = 1n;
    for (let j = 1; j < HALF; j++) addMixed(row[j]!, row[j - 1]!, bx, by);
    // One inversion for the whole row (Montgomery's trick).
    let acc = 1n;
    for (let j = 0; j < HALF; j++) {
      prefix[j] = acc;
      acc = (acc * row[j]!.z) % P;
    }
    let inv = invMod(reduce(acc), P);
    for (let j = HALF - 1; j >= 0; j--) {
      const r = row[j]!;
      const zi = (inv * prefix[j]!) % P;
      inv = (inv * r.z) % P;
      points[w * HALF + j] = { x: reduce(r.x * zi), y: reduce(r.y * zi) };
    }
    // Next base: 2·(HALF·base) = 2^W·base.
    const top = row[HALF - 1]!;
    const last = points[w * HALF + HALF - 1]!;
    top.x = last.x, top.y = last.y, top.z = 1n;
    addMixed(top, top, last.x, last.y);
    const zi = invMod(reduce(top.z), P);
    bx = reduce(top.x * zi);
    by = reduce(top.y * zi);
  }
  return points;
}

/** Big-endian bytes (a multiple of 8 of them) as a BigInt. */
function bytesToBigInt(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let v = 0n;
  for (let i = 0; i < bytes.length; i += 8) {
    v = (v << 64n) | view.getBigUint64(i);
  }
  return v;
}

/** `value` (in [0, 2^256)) as 32 big-endian bytes at `out[offset]`. */
function bigIntInto(out: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 32);
  view.setBigUint64(0, value >> 192n);
  view.setBigUint64(8, BigInt.asUintN(64, value >> 128n));
  view.setBigUint64(16, BigInt.asUintN(64, value >> 64n));
  view.setBigUint64(24, BigInt.asUintN(64, value));
}

const scalarBuffer = new Uint8Array(SCALAR_BYTES);

// Receives the discarded accumulator, so that its additions stay live code.
const sink: Projective = { x: 0n, y: 1n, z: 0n };

/** `k·G` in affine coordinates, for a secret `k` in [1, n−1]. */
function baseMul(k: bigint): Affine {
  const t = table ??= buildTable();
  const blind = randomBytes(BLIND_BYTES);
  blind[0] = (blind[0]! & 0x3f) | 0x80;
  // k + b·n < 2^320: its 40 bytes, least significant first, are the
  // unsigned windows; digits above HALF become negative with a carry.
  const bytes = scalarBuffer;
  const n = k + bytesToBigInt(blind) * N;
  bigIntInto(bytes, 0, n >> BigInt(8 * BLIND_BYTES));
  bigIntInto(bytes, BLIND_BYTES, BigInt.asUintN(256, n));
  const acc: Projective = { x: 0n, y: 1n, z: 0n };
  const fake: Projective = { x: GX, y: GY, z: 1n };
  let carry = 0;
  for (let w = 0; w < WINDOWS; w++) {
    let digit = (w < SCALAR_BYTES ? bytes[SCALAR_BYTES - 1 - w]! : 0) + carry;
    carry = digit > HALF ? 1 : 0;
    digit -= carry << W;
    const start = w * HALF;
    const sel = t[start + (digit === 0 ? 0 : Math.abs(digit) - 1)]!;
    const ny = -sel.y;
    if (digit === 0) addMixed(fake, fake, sel.x, sel.y);
    else addMixed(acc, acc, sel.x, digit < 0 ? ny : sel.y);
  }
  bytes.fill(0);
  sink.x = fake.x;
  const zi = invMod(reduce(acc.z), P);
  return { x: reduce(acc.x * zi), y: reduce(acc.y * zi) };
}

/** `[1, n−1]` from 48 random bytes (FIPS 186-4 §B.4.1, extra random bits). */
function randomScalar(): bigint {
  return bytesToBigInt(randomBytes(48)) % (N - 1n) + 1n;
}

function scalarOf(d: Uint8Array, what: string): bigint {
  const x = d.length === 32 ? bytesToBigInt(d) : 0n;
  if (x === 0n || x >= N) {
    throw new CryptoError(
      "bad_key",
      `Cannot ${what}: P-256 scalar is not 32 bytes in [1, n-1]`,
    );
  }
  return x;
}

function encodePoint(q: Affine): Uint8Array {
  const out = new Uint8Array(65);
  out[0] = 0x04;
  bigIntInto(out, 1, q.x);
  bigIntInto(out, 33, q.y);
  return out;
}

/**
 * A fresh P-256 key pair: a uniform scalar and its public point.
 *
 * @returns `d` (32 bytes, big-endian) and `point` (`0x04 || X || Y`).
 *
 * @example
 * ```ts
 * import { p256KeyPair, p256PublicKey } from "./p256.ts";
 * import assert from "node:assert/strict";
 *
 * const { d, point } = p256KeyPair();
 * assert.deepEqual(p256PublicKey(d), point);
 * ```
 */
export function p256KeyPair(): { d: Uint8Array; point: Uint8Array } {
  const k = randomScalar();
  const d = new Uint8Array(32);
  bigIntInto(d, 0, k);
  return { d, point: encodePoint(baseMul(k)) };
}

/**
 * The public point `d·G`.
 *
 * @param d The private scalar, 32 bytes big-endian in [1, n−1].
 * @returns The uncompressed point `0x04 || X || Y` (65 bytes).
 * @throws {CryptoError} `bad_key` for a scalar out of range.
 *
 * @example RFC 6979 A.2.5 key
 * ```ts
 * import { p256PublicKey } from "./p256.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const d = decodeHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
 * assert.equal(
 *   encodeHex(p256PublicKey(d).subarray(1, 33)),
 *   "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
 * );
 * ```
 */
export function p256PublicKey(d: Uint8Array): Uint8Array {
  return encodePoint(baseMul(scalarOf(d, "derive public key")));
}

/**
 * Whether `point` is an uncompressed encoding `0x04 || X || Y` of a point
 * on P-256 (SEC 1 §3.2.2.1: coordinates in [0, p), `y² = x³ − 3x + b`; the
 * identity has no such encoding and the cofactor is 1, so this is full
 * public-key validation).
 *
 * @param point Candidate bytes.
 * @returns `true` only for a valid uncompressed P-256 point.
 *
 * @example
 * ```ts
 * import { p256IsValidPoint, p256KeyPair } from "./p256.ts";
 * import assert from "node:assert/strict";
 *
 * const { point } = p256KeyPair();
 * assert.equal(p256IsValidPoint(point), true);
 * point[64]! ^= 1;
 * assert.equal(p256IsValidPoint(point), false);
 * ```
 */
export function p256IsValidPoint(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  const x = bytesToBigInt(point.subarray(1, 33));
  const y = bytesToBigInt(point.subarray(33));
  if (x >= P || y >= P) return false;
  return (y * y - x * (x * x - 3n) - B) % P === 0n;
}

const ZERO_BYTE = new Uint8Array([0]);
const ONE_BYTE = new Uint8Array([1]);

/**
 * ECDSA P-256 with SHA-256 (FIPS 186-4 §6.4) with `k` from RFC 6979 §3.2;
 * `s` is not normalised to low S, so the output matches the RFC's vectors.
 *
 * @param d The private scalar, 32 bytes big-endian in [1, n−1].
 * @param data The message (hashed here with SHA-256).
 * @returns `r || s`, 64 bytes.
 * @throws {CryptoError} `bad_key` for a scalar out of range.
 *
 * @example RFC 6979 A.2.5, SHA-256, message "sample"
 * ```ts
 * import { p256SignSha256 } from "./p256.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const d = decodeHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
 * const sig = p256SignSha256(d, new TextEncoder().encode("sample"));
 * assert.equal(
 *   encodeHex(sig),
 *   "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
 *     "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
 * );
 * ```
 */
export function p256SignSha256(d: Uint8Array, data: Uint8Array): Uint8Array {
  const x = scalarOf(d, "sign with ECDSA");
  const h1 = new Sha256().update(data).digest();
  // bits2octets(h1) (RFC 6979 §2.3.4): qlen = hlen = 256, one subtraction.
  let e = bytesToBigInt(h1);
  if (e >= N) e -= N;
  const eOctets = new Uint8Array(32);
  bigIntInto(eOctets, 0, e);
  // RFC 6979 §3.2 steps b–g.
  const v = new Uint8Array(32).fill(1);
  const key = new Uint8Array(32);
  let hmac = new HmacSha256(key);
  hmac.macInto([v, ZERO_BYTE, d, eOctets], key);
  hmac = new HmacSha256(key);
  hmac.macInto([v], v);
  hmac.macInto([v, ONE_BYTE, d, eOctets], key);
  hmac = new HmacSha256(key);
  hmac.macInto([v], v);
  eOctets.fill(0);
  const sig = new Uint8Array(64);
  for (let tries = 0; tries < 1000; tries++) {
    // Step h: T = V (hlen = qlen), k = bits2int(T).
    hmac.macInto([v], v);
    const k = bytesToBigInt(v);
    if (k !== 0n && k < N) {
      const q = baseMul(k);
      const r = q.x >= N ? q.x - N : q.x;
      if (r !== 0n) {
        const b = randomScalar();
        const ibk = invMod((b * k) % N, N);
        const s = (ibk * ((b * e + ((b * x) % N) * r) % N)) % N;
        if (s !== 0n) {
          bigIntInto(sig, 0, r);
          bigIntInto(sig, 32, s);
          key.fill(0);
          v.fill(0);
          return sig;
        }
      }
    }
    hmac.macInto([v, ZERO_BYTE], key);
    hmac = new HmacSha256(key);
    hmac.macInto([v], v);
  }
  throw new CryptoError("bad_key", "Cannot sign with ECDSA: no valid nonce");
}
