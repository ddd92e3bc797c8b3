/**
 * Elliptic-curve key generation and point checks for P-256 and P-384
 * (FIPS 186-4 §B.4, SEC 1 §2.3.3–2.3.4, §3.2.2).
 *
 * Synchronous parts run on `@noble/curves`, except P-256 key generation,
 * public keys and point checks: `src/crypto/p256.ts`.
 *
 * @module
 */

import { type NobleCurve, nobleCurve } from "./_noble.ts";
import { CryptoError } from "./errors.ts";
import { p256IsValidPoint, p256KeyPair, p256PublicKey } from "./p256.ts";
import { type EcCurve, ecFieldLength, type EcPrivateKey } from "./keys.ts";

/**
 * Generates a random key pair on `curve`.
 *
 * @param curve `P-256` or `P-384`.
 * @returns The private scalar with its uncompressed public point.
 *
 * @example
 * ```ts
 * import { generateEcKeyPair, isValidEcPoint } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * assert.equal(key.d.length, 32);
 * assert.ok(isValidEcPoint("P-256", key.point));
 * ```
 */
export function generateEcKeyPair(curve: EcCurve): Promise<EcPrivateKey> {
  try {
    if (curve === "P-256") {
      return Promise.resolve({ kind: "ec", curve, ...p256KeyPair() });
    }
    const c = nobleCurve(curve);
    const d = c.utils.randomSecretKey();
    return Promise.resolve({
      kind: "ec",
      curve,
      d,
      point: c.getPublicKey(d, false),
    });
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Computes the public point `d·G` for a private scalar.
 *
 * @param curve `P-256` or `P-384`.
 * @param d Big-endian scalar of exactly the field length (32 or 48 bytes), in `[1, n-1]`.
 * @returns Uncompressed SEC1 point `0x04 || X || Y`.
 * @throws {CryptoError} `bad_key` if `d` has the wrong length or is out of range.
 *
 * @example RFC 6979 A.2.5 key
 * ```ts
 * import { ecPublicFromPrivate } from "./ec_keys.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const d = decodeHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
 * const point = ecPublicFromPrivate("P-256", d);
 * assert.equal(encodeHex(point.subarray(1, 33)), "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6");
 * ```
 */
export function ecPublicFromPrivate(curve: EcCurve, d: Uint8Array): Uint8Array {
  const c = nobleCurve(curve);
  if (d.length !== ecFieldLength(curve) || !c.utils.isValidSecretKey(d)) {
    throw new CryptoError(
      "bad_key",
      `Cannot derive ${curve} public key: scalar is not in [1, n-1] or has the wrong length`,
    );
  }
  return curve === "P-256" ? p256PublicKey(d) : c.getPublicKey(d, false);
}

/**
 * Checks that `point` is an uncompressed SEC1 encoding of a point on `curve`
 * other than the identity (SEC 1 §3.2.2.1 partial public-key validation; the
 * NIST curves have cofactor 1, so this is full validation).
 *
 * @param curve `P-256` or `P-384`.
 * @param point Candidate `0x04 || X || Y`.
 * @returns Whether the point is acceptable as a public key. Compressed
 *   points are refused: TLS 1.2 peers must send uncompressed ones (RFC 8422 §5.1.2).
 *
 * @example
 * ```ts
 * import { generateEcKeyPair, isValidEcPoint } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const { point } = await generateEcKeyPair("P-256");
 * assert.equal(isValidEcPoint("P-256", point), true);
 * const bad = point.slice();
 * bad[64]! ^= 1;
 * assert.equal(isValidEcPoint("P-256", bad), false);
 * assert.equal(isValidEcPoint("P-384", point), false);
 * ```
 */
export function isValidEcPoint(curve: EcCurve, point: Uint8Array): boolean {
  let c: NobleCurve;
  try {
    c = nobleCurve(curve);
  } catch {
    return false;
  }
  if (point.length !== 1 + 2 * ecFieldLength(curve) || point[0] !== 0x04) {
    return false;
  }
  if (curve === "P-256") return p256IsValidPoint(point);
  try {
    c.Point.fromBytes(point).assertValidity();
    return true;
  } catch {
    return false;
  }
}
