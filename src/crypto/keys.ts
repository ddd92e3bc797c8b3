/**
 * Key types shared by the signature, key-exchange and PKI code: plain data,
 * so that a key parsed from PKCS#8, SEC1 or PKCS#1 can be passed around,
 * compared and serialised without any platform key object.
 *
 * @module
 */

/**
 * The NIST curves postern signs and verifies with (FIPS 186-4 §D.1.2).
 *
 * @example
 * ```ts
 * import type { EcCurve } from "./keys.ts";
 * import { ecFieldLength } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const curve: EcCurve = "P-256";
 * assert.equal(ecFieldLength(curve), 32);
 * ```
 */
export type EcCurve = "P-256" | "P-384";

/**
 * An elliptic-curve public key.
 *
 * @example
 * ```ts
 * import type { EcPublicKey } from "./keys.ts";
 * import { generateEcKeyPair } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const { curve, point } = await generateEcKeyPair("P-256");
 * const pub: EcPublicKey = { kind: "ec", curve, point };
 * assert.equal(pub.point.length, 65);
 * ```
 */
export interface EcPublicKey {
  /** Discriminant: an elliptic-curve key. */
  readonly kind: "ec";
  /** The curve the point is on. */
  readonly curve: EcCurve;
  /** Uncompressed SEC1 point `0x04 || X || Y` (SEC 1 §2.3.3). */
  readonly point: Uint8Array;
}

/**
 * An elliptic-curve private key with its public point.
 *
 * @example
 * ```ts
 * import type { EcPrivateKey } from "./keys.ts";
 * import { generateEcKeyPair } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key: EcPrivateKey = await generateEcKeyPair("P-384");
 * assert.equal(key.d.length, 48);
 * ```
 */
export interface EcPrivateKey {
  /** Discriminant: an elliptic-curve key. */
  readonly kind: "ec";
  /** The curve the key belongs to. */
  readonly curve: EcCurve;
  /** The scalar, big-endian, left-padded to the field length (32 or 48 bytes). */
  readonly d: Uint8Array;
  /** Uncompressed SEC1 point `0x04 || X || Y`. */
  readonly point: Uint8Array;
}

/**
 * An RSA public key (RFC 8017 §3.1). Integers are big-endian and unsigned
 * with no leading zero byte.
 *
 * @example
 * ```ts
 * import type { RsaPublicKey } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key: RsaPublicKey = { kind: "rsa", n: new Uint8Array(256).fill(0xc1), e: new Uint8Array([1, 0, 1]) };
 * assert.equal(key.n.length * 8, 2048);
 * ```
 */
export interface RsaPublicKey {
  /** Discriminant: an RSA key. */
  readonly kind: "rsa";
  /** Modulus n. */
  readonly n: Uint8Array;
  /** Public exponent e. */
  readonly e: Uint8Array;
}

/**
 * An RSA private key in CRT form (RFC 8017 §3.2, second representation).
 * Integers are big-endian and unsigned with no leading zero byte.
 *
 * @example
 * ```ts
 * import type { RsaPrivateKey } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const one = new Uint8Array([1]);
 * const key: RsaPrivateKey = { kind: "rsa", n: one, e: one, d: one, p: one, q: one, dp: one, dq: one, qi: one };
 * assert.equal(key.kind, "rsa");
 * ```
 */
export interface RsaPrivateKey {
  /** Discriminant: an RSA key. */
  readonly kind: "rsa";
  /** Modulus n = p·q. */
  readonly n: Uint8Array;
  /** Public exponent e. */
  readonly e: Uint8Array;
  /** Private exponent d. */
  readonly d: Uint8Array;
  /** First prime factor p. */
  readonly p: Uint8Array;
  /** Second prime factor q. */
  readonly q: Uint8Array;
  /** d mod (p − 1). */
  readonly dp: Uint8Array;
  /** d mod (q − 1). */
  readonly dq: Uint8Array;
  /** q⁻¹ mod p (the CRT coefficient). */
  readonly qi: Uint8Array;
}

/**
 * Any public key postern can verify with.
 *
 * @example
 * ```ts
 * import type { PublicKey } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key: PublicKey = { kind: "rsa", n: new Uint8Array([0xc1]), e: new Uint8Array([3]) };
 * assert.equal(key.kind, "rsa");
 * ```
 */
export type PublicKey = EcPublicKey | RsaPublicKey;

/**
 * Any private key postern can sign with.
 *
 * @example
 * ```ts
 * import type { PrivateKey } from "./keys.ts";
 * import { generateEcKeyPair } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key: PrivateKey = await generateEcKeyPair("P-256");
 * assert.equal(key.kind, "ec");
 * ```
 */
export type PrivateKey = EcPrivateKey | RsaPrivateKey;

/**
 * Byte length of a field element (and of `d`) on `curve`.
 *
 * @example
 * ```ts
 * import { ecFieldLength } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ecFieldLength("P-384"), 48);
 * ```
 */
export function ecFieldLength(curve: EcCurve): number {
  return curve === "P-256" ? 32 : 48;
}

/**
 * The public half of a private key.
 *
 * @example
 * ```ts
 * import { publicKeyOf } from "./keys.ts";
 * import { generateEcKeyPair } from "./ec_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * assert.deepEqual(publicKeyOf(key), { kind: "ec", curve: "P-256", point: key.point });
 * ```
 */
export function publicKeyOf(key: PrivateKey): PublicKey {
  return key.kind === "ec"
    ? { kind: "ec", curve: key.curve, point: key.point }
    : { kind: "rsa", n: key.n, e: key.e };
}
