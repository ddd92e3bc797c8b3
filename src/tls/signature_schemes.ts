/**
 * Signature schemes in TLS 1.2: the 16-bit code points of
 * `signature_algorithms`, CertificateRequest, ServerKeyExchange and
 * CertificateVerify, and how they map to `src/crypto` signatures.
 *
 * TLS 1.2 writes them as `SignatureAndHashAlgorithm` pairs
 * `{hash, signature}` (RFC 5246 §7.4.1.4.1: hash sha256(4), sha384(5);
 * signature rsa(1), ecdsa(3)), which are the same numbers as the TLS 1.3
 * SignatureScheme names (RFC 8446 §4.2.3): `{4, 3}` = 0x0403
 * ecdsa_secp256r1_sha256. RSA-PSS has no pair and uses the TLS 1.3 code
 * points 0x0804.. directly (RFC 8446 §4.2.3 allows them in TLS 1.2).
 *
 * In TLS 1.2 an ECDSA scheme names the hash only; the curve comes from the
 * certificate, so a P-384 key may sign with 0x0403 (the curve binding is a
 * TLS 1.3 rule).
 *
 * @module
 */

import { concatBytes } from "../bytes/mod.ts";
import type {
  PrivateKey,
  PublicKey,
  SignatureScheme as CryptoSignatureScheme,
} from "../crypto/mod.ts";
import { AlertDescription, TlsAlertError } from "./alert.ts";
import { RANDOM_LENGTH } from "./messages/_common.ts";
import {
  encodeServerEcdhParams,
  type ServerEcdhParams,
} from "./messages/server_key_exchange.ts";

/**
 * SignatureScheme code points (RFC 8446 §4.2.3; the RFC 5246 pairs for
 * the PKCS#1 and ECDSA ones).
 *
 * @example
 * ```ts
 * import { SignatureScheme } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SignatureScheme.ecdsa_secp256r1_sha256, 0x0403);
 * assert.equal(SignatureScheme.rsa_pss_rsae_sha256, 0x0804);
 * ```
 */
export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  ecdsa_secp256r1_sha256: 0x0403,
  rsa_pkcs1_sha384: 0x0501,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;
/** A SignatureScheme value. */
export type SignatureScheme =
  typeof SignatureScheme[keyof typeof SignatureScheme];

const NAMES = new Map<number, string>(
  Object.entries(SignatureScheme).map(([k, v]) => [v, k]),
);

/**
 * The IANA name of a signature scheme, for logs.
 *
 * @example
 * ```ts
 * import { signatureSchemeName } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(signatureSchemeName(0x0805), "rsa_pss_rsae_sha384");
 * assert.equal(signatureSchemeName(0x0202), "unknown(0x0202)");
 * ```
 */
export function signatureSchemeName(scheme: number): string {
  return NAMES.get(scheme) ??
    `unknown(0x${scheme.toString(16).padStart(4, "0")})`;
}

/**
 * The schemes postern offers (in `signature_algorithms` and
 * CertificateRequest) and accepts, in preference order: ECDSA, then
 * RSA-PSS, then RSA PKCS#1 v1.5; SHA-1 and SHA-512 variants are left out.
 *
 * @example
 * ```ts
 * import { SUPPORTED_SIGNATURE_SCHEMES } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(SUPPORTED_SIGNATURE_SCHEMES, [0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501]);
 * ```
 */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly SignatureScheme[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
];

const CRYPTO_SCHEME_LIST: readonly [SignatureScheme, CryptoSignatureScheme][] =
  [
    [SignatureScheme.ecdsa_secp256r1_sha256, { alg: "ecdsa", hash: "SHA-256" }],
    [SignatureScheme.ecdsa_secp384r1_sha384, { alg: "ecdsa", hash: "SHA-384" }],
    [SignatureScheme.ecdsa_secp521r1_sha512, { alg: "ecdsa", hash: "SHA-512" }],
    [SignatureScheme.rsa_pkcs1_sha256, { alg: "rsa-pkcs1", hash: "SHA-256" }],
    [SignatureScheme.rsa_pkcs1_sha384, { alg: "rsa-pkcs1", hash: "SHA-384" }],
    [SignatureScheme.rsa_pkcs1_sha512, { alg: "rsa-pkcs1", hash: "SHA-512" }],
    // RFC 8446 §4.2.3: RSASSA-PSS with MGF1 on the same hash and a salt as
    // long as the hash output.
    [
      SignatureScheme.rsa_pss_rsae_sha256,
      { alg: "rsa-pss", hash: "SHA-256", saltLength: 32 },
    ],
    [
      SignatureScheme.rsa_pss_rsae_sha384,
      { alg: "rsa-pss", hash: "SHA-384", saltLength: 48 },
    ],
    [
      SignatureScheme.rsa_pss_rsae_sha512,
      { alg: "rsa-pss", hash: "SHA-512", saltLength: 64 },
    ],
  ];

const CRYPTO_SCHEMES: ReadonlyMap<number, CryptoSignatureScheme> = new Map(
  CRYPTO_SCHEME_LIST,
);

/**
 * The `src/crypto` signature scheme for a TLS code point, or `undefined` if
 * postern cannot sign or verify with it. ECDSA signatures in TLS are DER
 * (RFC 8422 §5.4), the crypto default.
 *
 * @example
 * ```ts
 * import { toCryptoScheme } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toCryptoScheme(0x0804), { alg: "rsa-pss", hash: "SHA-256", saltLength: 32 });
 * assert.equal(toCryptoScheme(0x0807), undefined);
 * ```
 */
export function toCryptoScheme(
  scheme: number,
): CryptoSignatureScheme | undefined {
  return CRYPTO_SCHEMES.get(scheme);
}

/**
 * The TLS code point for a `src/crypto` scheme, if TLS has one.
 *
 * @example
 * ```ts
 * import { fromCryptoScheme } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fromCryptoScheme({ alg: "ecdsa", hash: "SHA-384" }), 0x0503);
 * assert.equal(fromCryptoScheme({ alg: "rsa-pss", hash: "SHA-256", saltLength: 20 }), undefined);
 * ```
 */
export function fromCryptoScheme(
  scheme: CryptoSignatureScheme,
): SignatureScheme | undefined {
  for (const [code, s] of CRYPTO_SCHEME_LIST) {
    if (
      s.alg === scheme.alg && s.hash === scheme.hash &&
      (s.alg !== "rsa-pss" ||
        (scheme.alg === "rsa-pss" && s.saltLength === scheme.saltLength))
    ) {
      return code;
    }
  }
  return undefined;
}

function fitsKey(scheme: number, key: PrivateKey | PublicKey): boolean {
  const alg = CRYPTO_SCHEMES.get(scheme)?.alg;
  if (alg === undefined) return false;
  return key.kind === "ec" ? alg === "ecdsa" : alg !== "ecdsa";
}

function preferenceFor(
  key: PrivateKey | PublicKey,
): readonly SignatureScheme[] {
  if (key.kind === "rsa") {
    return [
      SignatureScheme.rsa_pss_rsae_sha256,
      SignatureScheme.rsa_pss_rsae_sha384,
      SignatureScheme.rsa_pss_rsae_sha512,
      SignatureScheme.rsa_pkcs1_sha256,
      SignatureScheme.rsa_pkcs1_sha384,
      SignatureScheme.rsa_pkcs1_sha512,
    ];
  }
  const p256 = SignatureScheme.ecdsa_secp256r1_sha256;
  const p384 = SignatureScheme.ecdsa_secp384r1_sha384;
  return key.curve === "P-384"
    ? [p384, p256, SignatureScheme.ecdsa_secp521r1_sha512]
    : [p256, p384, SignatureScheme.ecdsa_secp521r1_sha512];
}

/** Options for {@link chooseSignatureScheme}. */
export interface ChooseSignatureSchemeOptions {
  /** Schemes postern may use; {@link SUPPORTED_SIGNATURE_SCHEMES} by default. */
  readonly supported?: readonly number[];
}

/**
 * Picks the scheme to sign with: postern's preference for the key (the
 * hash matching the curve for ECDSA, PSS before PKCS#1 for RSA), limited
 * to what the peer offered and what `supported` allows.
 *
 * A peer that sent no `signature_algorithms` implies SHA-1 (RFC 5246
 * §7.4.1.4.1), which postern does not sign with: pass an empty list, get
 * `undefined`, and fail the handshake with `handshake_failure`.
 *
 * @param offered The peer's `signature_algorithms` or CertificateRequest list.
 * @param key The key that will sign (or its public half).
 * @returns The code point, or `undefined` if there is no common scheme.
 *
 * @example
 * ```ts
 * import { chooseSignatureScheme } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * const p384 = { kind: "ec", curve: "P-384", point: new Uint8Array(97) } as const;
 * assert.equal(chooseSignatureScheme([0x0403, 0x0503], p384), 0x0503);
 * assert.equal(chooseSignatureScheme([0x0403], p384), 0x0403);
 * assert.equal(chooseSignatureScheme([0x0804], p384), undefined);
 * ```
 */
export function chooseSignatureScheme(
  offered: readonly number[],
  key: PrivateKey | PublicKey,
  options: ChooseSignatureSchemeOptions = {},
): SignatureScheme | undefined {
  const supported = options.supported ?? SUPPORTED_SIGNATURE_SCHEMES;
  for (const scheme of preferenceFor(key)) {
    if (offered.includes(scheme) && supported.includes(scheme)) {
      return scheme;
    }
  }
  return undefined;
}

/** Options for {@link verificationScheme}. */
export interface VerificationSchemeOptions {
  /** Schemes postern offered to the peer; {@link SUPPORTED_SIGNATURE_SCHEMES} by default. */
  readonly offered?: readonly number[];
}

/**
 * Checks the scheme a peer signed with (ServerKeyExchange,
 * CertificateVerify) and returns the `src/crypto` scheme to verify with.
 *
 * @throws {TlsAlertError} `illegal_parameter` if the scheme was not offered
 *   (RFC 5246 §7.4.3, §7.4.8: it must be one of those in
 *   `signature_algorithms` / `supported_signature_algorithms`) or does not
 *   fit the certificate's key type.
 *
 * @example
 * ```ts
 * import { verificationScheme } from "./signature_schemes.ts";
 * import { TlsAlertError } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", point: new Uint8Array(65) } as const;
 * assert.deepEqual(verificationScheme(0x0403, key), { alg: "ecdsa", hash: "SHA-256" });
 * assert.throws(() => verificationScheme(0x0804, key), TlsAlertError);
 * assert.throws(() => verificationScheme(0x0203, key), TlsAlertError);
 * ```
 */
export function verificationScheme(
  scheme: number,
  key: PublicKey,
  options: VerificationSchemeOptions = {},
): CryptoSignatureScheme {
  const offered = options.offered ?? SUPPORTED_SIGNATURE_SCHEMES;
  const crypto = CRYPTO_SCHEMES.get(scheme);
  if (!offered.includes(scheme) || crypto === undefined) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `Peer signed with ${signatureSchemeName(scheme)}, which was not offered`,
    );
  }
  if (!fitsKey(scheme, key)) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `Peer signed with ${
        signatureSchemeName(scheme)
      } but holds a ${key.kind} key`,
    );
  }
  return crypto;
}

/**
 * The bytes an ECDHE ServerKeyExchange signature covers (RFC 8422 §5.4):
 * `ClientHello.random + ServerHello.random + ServerECDHParams`.
 *
 * @throws {RangeError} if a random is not 32 bytes.
 *
 * @example
 * ```ts
 * import { signedParamsData } from "./signature_schemes.ts";
 * import assert from "node:assert/strict";
 *
 * const data = signedParamsData(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), {
 *   namedCurve: 23,
 *   publicKey: new Uint8Array([4, 5]),
 * });
 * assert.equal(data.length, 64 + 6);
 * assert.deepEqual(data.subarray(64), new Uint8Array([3, 0, 23, 2, 4, 5]));
 * ```
 */
export function signedParamsData(
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  params: ServerEcdhParams,
): Uint8Array {
  if (
    clientRandom.length !== RANDOM_LENGTH ||
    serverRandom.length !== RANDOM_LENGTH
  ) {
    throw new RangeError(
      `Cannot build signed params: randoms must be ${RANDOM_LENGTH} bytes`,
    );
  }
  return concatBytes(
    clientRandom,
    serverRandom,
    encodeServerEcdhParams(params),
  );
}
