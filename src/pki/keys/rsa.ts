/**
 * PKCS#1 `RSAPrivateKey` (RFC 8017 §A.1.2), the body of
 * `-----BEGIN RSA PRIVATE KEY-----` and of an RSA PKCS#8 key.
 *
 * ```
 * RSAPrivateKey ::= SEQUENCE {
 *   version           Version,          -- two-prime(0), multi(1)
 *   modulus           INTEGER,  -- n
 *   publicExponent    INTEGER,  -- e
 *   privateExponent   INTEGER,  -- d
 *   prime1            INTEGER,  -- p
 *   prime2            INTEGER,  -- q
 *   exponent1         INTEGER,  -- d mod (p-1)
 *   exponent2         INTEGER,  -- d mod (q-1)
 *   coefficient       INTEGER,  -- (inverse of q) mod p
 *   otherPrimeInfos   OtherPrimeInfos OPTIONAL
 * }
 * ```
 *
 * @module
 */

import type { RsaPrivateKey } from "../../crypto/mod.ts";
import { derInteger, DerReader, derSequence, Tag } from "../asn1/mod.ts";
import { toBigInt } from "./_curves.ts";
import { KeyError } from "./errors.ts";

/**
 * Decodes a two-prime `RSAPrivateKey` and checks that n = p·q and that the
 * CRT values are consistent, so a corrupted key cannot make bad signatures.
 *
 * @param der The DER encoding.
 * @returns The key.
 * @throws {DecodeError} on malformed DER.
 * @throws {KeyError} `unsupported` for multi-prime keys, `malformed` for
 * inconsistent values.
 *
 * @example
 * ```ts
 * import { decodeRsaPrivateKey, encodeRsaPrivateKey } from "./rsa.ts";
 * import assert from "node:assert/strict";
 *
 * // A toy key: p = 61, q = 53, n = 3233, e = 17, d = 413 (CRT values below).
 * const b = (n: number) => new Uint8Array(n > 255 ? [n >> 8, n & 255] : [n]);
 * const key = { kind: "rsa", n: b(3233), e: b(17), d: b(413), p: b(61), q: b(53), dp: b(53), dq: b(49), qi: b(38) } as const;
 * assert.deepEqual(decodeRsaPrivateKey(encodeRsaPrivateKey(key)), key);
 * ```
 */
export function decodeRsaPrivateKey(der: Uint8Array): RsaPrivateKey {
  const outer = new DerReader(der);
  const r = outer.sequence("RSAPrivateKey");
  const version = r.read(Tag.INTEGER, "RSAPrivateKey.version");
  if (version.value.length !== 1 || version.value[0] !== 0) {
    throw new KeyError(
      "unsupported",
      "Cannot load RSA private key: only two-prime keys (version 0) are supported",
    );
  }
  const n = r.unsignedBytes("RSAPrivateKey.modulus");
  const e = r.unsignedBytes("RSAPrivateKey.publicExponent");
  const d = r.unsignedBytes("RSAPrivateKey.privateExponent");
  const p = r.unsignedBytes("RSAPrivateKey.prime1");
  const q = r.unsignedBytes("RSAPrivateKey.prime2");
  const dp = r.unsignedBytes("RSAPrivateKey.exponent1");
  const dq = r.unsignedBytes("RSAPrivateKey.exponent2");
  const qi = r.unsignedBytes("RSAPrivateKey.coefficient");
  r.expectEnd("RSAPrivateKey");
  outer.expectEnd("RSA private key");
  checkConsistent({ n, e, d, p, q, dp, dq, qi });
  return { kind: "rsa", n, e, d, p, q, dp, dq, qi };
}

function checkConsistent(
  k: Record<"n" | "e" | "d" | "p" | "q" | "dp" | "dq" | "qi", Uint8Array>,
): void {
  const [n, e, d, p, q, dp, dq, qi] = [
    k.n,
    k.e,
    k.d,
    k.p,
    k.q,
    k.dp,
    k.dq,
    k.qi,
  ].map(toBigInt) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const fail = (what: string) =>
    new KeyError(
      "malformed",
      `Cannot load RSA private key: ${what} is inconsistent with the other values`,
    );
  if (p < 3n || q < 3n || e < 3n || d < 1n) throw fail("a parameter");
  if (p * q !== n) throw fail("the modulus");
  if (dp !== d % (p - 1n)) throw fail("exponent1");
  if (dq !== d % (q - 1n)) throw fail("exponent2");
  if (qi >= p || (qi * q) % p !== 1n) throw fail("the coefficient");
}

/**
 * Encodes a two-prime `RSAPrivateKey` (version 0).
 *
 * @param key The key.
 * @returns The DER encoding.
 *
 * @example
 * ```ts
 * import { encodeRsaPrivateKey } from "./rsa.ts";
 * import assert from "node:assert/strict";
 *
 * const one = new Uint8Array([1]);
 * const der = encodeRsaPrivateKey({ kind: "rsa", n: one, e: one, d: one, p: one, q: one, dp: one, dq: one, qi: one });
 * assert.equal(der[0], 0x30);
 * ```
 */
export function encodeRsaPrivateKey(key: RsaPrivateKey): Uint8Array {
  return derSequence([
    derInteger(0n),
    derInteger(key.n),
    derInteger(key.e),
    derInteger(key.d),
    derInteger(key.p),
    derInteger(key.q),
    derInteger(key.dp),
    derInteger(key.dq),
    derInteger(key.qi),
  ]);
}
