/**
 * Does this private key belong to that certificate? Compares the public
 * halves: the EC curve and point, or the RSA modulus and exponent. The
 * values are public, so the comparison need not be constant-time.
 *
 * @module
 */

import {
  type PrivateKey,
  type PublicKey,
  publicKeyOf,
} from "../../crypto/mod.ts";
import { KeyError } from "./errors.ts";

/**
 * The parts of a parsed certificate that matching needs; the `Certificate`
 * of `src/pki/x509` fits.
 */
export interface CertificateKeyInfo {
  /** The subject public key, `undefined` for an unsupported algorithm. */
  readonly publicKey?: PublicKey | undefined;
  /** For error messages. */
  readonly subject?: { readonly commonName?: string | undefined } | undefined;
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether `pub` is the public half of `key`.
 *
 * @param key The private key.
 * @param pub A public key (for example a certificate's).
 * @returns `true` when they match.
 *
 * @example
 * ```ts
 * import { keyMatchesPublicKey } from "./match.ts";
 * import { generateEcKeyPair, publicKeyOf } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await generateEcKeyPair("P-256");
 * const b = await generateEcKeyPair("P-256");
 * assert.equal(keyMatchesPublicKey(a, publicKeyOf(a)), true);
 * assert.equal(keyMatchesPublicKey(a, publicKeyOf(b)), false);
 * ```
 */
export function keyMatchesPublicKey(key: PrivateKey, pub: PublicKey): boolean {
  const own = publicKeyOf(key);
  if (own.kind === "ec" && pub.kind === "ec") {
    return own.curve === pub.curve && equalBytes(own.point, pub.point);
  }
  if (own.kind === "rsa" && pub.kind === "rsa") {
    return equalBytes(stripZeros(own.n), stripZeros(pub.n)) &&
      equalBytes(stripZeros(own.e), stripZeros(pub.e));
  }
  return false;
}

/**
 * Whether `key` belongs to the certificate. A certificate whose key postern
 * cannot read (`publicKey` undefined) never matches.
 *
 * @param key The private key.
 * @param cert The parsed certificate.
 * @returns `true` when they match.
 *
 * @example
 * ```ts
 * import { keyMatchesCertificate } from "./match.ts";
 * import { generateEcKeyPair, publicKeyOf } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * assert.equal(keyMatchesCertificate(key, { publicKey: publicKeyOf(key) }), true);
 * assert.equal(keyMatchesCertificate(key, { publicKey: undefined }), false);
 * ```
 */
export function keyMatchesCertificate(
  key: PrivateKey,
  cert: CertificateKeyInfo,
): boolean {
  return cert.publicKey !== undefined &&
    keyMatchesPublicKey(key, cert.publicKey);
}

/**
 * Throws unless `key` belongs to the certificate.
 *
 * @param key The private key.
 * @param cert The parsed certificate.
 * @throws {KeyError} `mismatch`, naming the certificate's subject CN.
 *
 * @example
 * ```ts
 * import { assertKeyMatchesCertificate, KeyError } from "./mod.ts";
 * import { generateEcKeyPair, publicKeyOf } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const other = await generateEcKeyPair("P-256");
 * const cert = { publicKey: publicKeyOf(other), subject: { commonName: "device-1" } };
 * assert.throws(() => assertKeyMatchesCertificate(key, cert), (e) => e instanceof KeyError && e.code === "mismatch");
 * ```
 */
export function assertKeyMatchesCertificate(
  key: PrivateKey,
  cert: CertificateKeyInfo,
): void {
  if (keyMatchesCertificate(key, cert)) return;
  const cn = cert.subject?.commonName;
  const who = cn === undefined ? "the certificate" : `certificate CN=${cn}`;
  const pub = cert.publicKey;
  const detail = pub === undefined
    ? "its public key algorithm is not supported"
    : pub.kind !== key.kind
    ? `the key is ${key.kind.toUpperCase()} but ${who} holds an ${pub.kind.toUpperCase()} key`
    : "the public keys differ";
  throw new KeyError(
    "mismatch",
    `Private key does not match ${who}: ${detail}`,
  );
}
