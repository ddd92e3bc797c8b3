/**
 * Lookup of `@noble/hashes` and `@noble/curves` instances by postern's names.
 *
 * @module
 */

import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { type ECDSA, ecdsa } from "@noble/curves/abstract/weierstrass.js";
import { CryptoError } from "./errors.ts";
import type { HashAlgorithm } from "./hash.ts";
import type { EcCurve } from "./keys.ts";

/** A noble hash function (`sha256` and friends). */
export type NobleHash = CHash;

const NOBLE_HASHES: Record<HashAlgorithm, NobleHash> = {
  "SHA-1": sha1,
  "SHA-256": sha256,
  "SHA-384": sha384,
  "SHA-512": sha512,
};

/** The noble hash function for `alg`. */
export function nobleHash(alg: HashAlgorithm): NobleHash {
  const h = NOBLE_HASHES[alg];
  if (h === undefined) {
    throw new TypeError(`Cannot hash: unsupported algorithm ${String(alg)}`);
  }
  return h;
}

// Base-point table with 8-bit windows (noble's default is 6): ECDSA signing
// and ephemeral P-256 keys each need one blinded k·G, which takes 25 %
// fewer point additions (49 instead of 65) on it. The table (≈ 6 300
// points) is built on first use, in about 0.1 s.
p256.Point.BASE.precompute(8);

/** A `@noble/curves` short-Weierstrass curve with ECDSA. */
export type NobleCurve = ECDSA;

/** The `@noble/curves` instance for `curve`. */
export function nobleCurve(curve: EcCurve): NobleCurve {
  switch (curve) {
    case "P-256":
      return p256;
    case "P-384":
      return p384;
    default:
      throw new CryptoError(
        "bad_key",
        `Cannot use curve ${String(curve)}: only P-256 and P-384 are supported`,
      );
  }
}

const ecdsaCache = new Map<string, NobleCurve>();

/**
 * ECDSA on `curve` with `alg` as both the message hash and the HMAC-DRBG
 * hash of RFC 6979 §3.2, so that deterministic signatures match the RFC's
 * vectors for every hash, not only the curve's default one.
 */
export function nobleEcdsa(curve: EcCurve, alg: HashAlgorithm): NobleCurve {
  const id = `${curve}/${alg}`;
  let c = ecdsaCache.get(id);
  if (c === undefined) {
    const base = nobleCurve(curve);
    const defaultHash = curve === "P-256" ? "SHA-256" : "SHA-384";
    c = alg === defaultHash ? base : ecdsa(base.Point, nobleHash(alg));
    ecdsaCache.set(id, c);
  }
  return c;
}
