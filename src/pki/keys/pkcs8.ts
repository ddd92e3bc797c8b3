/**
 * PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208 §5, RFC 5958 §2),
 * the body of `-----BEGIN PRIVATE KEY-----`.
 *
 * ```
 * OneAsymmetricKey ::= SEQUENCE {
 *   version                   Version,               -- v1(0), v2(1)
 *   privateKeyAlgorithm       PrivateKeyAlgorithmIdentifier,
 *   privateKey                PrivateKey,            -- OCTET STRING
 *   attributes            [0] Attributes OPTIONAL,
 *   ...,
 *   [[2: publicKey        [1] PublicKey OPTIONAL ]],
 *   ...
 * }
 * ```
 *
 * EC keys carry `id-ecPublicKey` with a namedCurve (RFC 5480 §2.1.1) and an
 * RFC 5915 `ECPrivateKey`; RSA keys carry `rsaEncryption` (or `id-RSASSA-PSS`,
 * RFC 4055 §3.1, read as a plain RSA key) and an RFC 8017 `RSAPrivateKey`.
 *
 * @module
 */

import type { EcCurve, PrivateKey, RsaPrivateKey } from "../../crypto/mod.ts";
import {
  derInteger,
  derNull,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "../asn1/mod.ts";
import { OID } from "../oids.ts";
import { encodePem } from "../pem.ts";
import { curveFromOid, curveOid } from "./_curves.ts";
import { KeyError } from "./errors.ts";
import { decodeRsaPrivateKey, encodeRsaPrivateKey } from "./rsa.ts";
import {
  decodeEcPrivateKey,
  type EcPrivateKeyParts,
  encodeEcPrivateKey,
} from "./sec1.ts";

/** A PKCS#8 key as encoded: RSA complete, EC still to be checked. */
export type PrivateKeyInfoParts =
  | RsaPrivateKey
  | (EcPrivateKeyParts & { readonly curve: EcCurve });

/**
 * Decodes a `PrivateKeyInfo` without the EC point checks that
 * `parsePrivateKeyDer()` adds.
 *
 * @param der The DER encoding.
 * @returns The key's fields.
 * @throws {DecodeError} on malformed DER.
 * @throws {KeyError} `unsupported` for other algorithms, curves or versions;
 * `malformed` when the two curve fields disagree.
 *
 * @example
 * ```ts
 * import { decodePrivateKeyInfo, encodePrivateKeyPkcs8 } from "./pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-384", d: new Uint8Array(48).fill(9), point: new Uint8Array(97).fill(4) } as const;
 * const parts = decodePrivateKeyInfo(encodePrivateKeyPkcs8(key));
 * assert.equal(parts.kind, "ec");
 * assert.equal(parts.curve, "P-384");
 * ```
 */
export function decodePrivateKeyInfo(der: Uint8Array): PrivateKeyInfoParts {
  const outer = new DerReader(der);
  const r = outer.sequence("PrivateKeyInfo");
  const version = r.read(Tag.INTEGER, "PrivateKeyInfo.version");
  if (
    version.value.length !== 1 ||
    (version.value[0] !== 0 && version.value[0] !== 1)
  ) {
    throw new KeyError(
      "unsupported",
      "Cannot load PKCS#8 private key: version is not v1 or v2",
    );
  }
  const alg = r.sequence("PrivateKeyInfo.privateKeyAlgorithm");
  const algorithm = alg.oid("privateKeyAlgorithm.algorithm");
  let curve: EcCurve | undefined;
  switch (algorithm) {
    case OID.ecPublicKey:
      if (alg.peekTag() !== Tag.OID) {
        throw new KeyError(
          "unsupported",
          "Cannot load PKCS#8 EC key: only named curves are supported",
        );
      }
      curve = curveFromOid(alg.oid("privateKeyAlgorithm.namedCurve"));
      break;
    case OID.rsaEncryption:
      // RFC 8017 §A.1: parameters NULL (tolerate absent).
      if (alg.anyLeft()) alg.null("privateKeyAlgorithm.parameters");
      break;
    case OID.rsassaPss:
      // RFC 4055 §3.1: absent or RSASSA-PSS-params; the key itself is RSA.
      if (alg.anyLeft()) alg.sequence("RSASSA-PSS-params");
      break;
    default:
      throw new KeyError(
        "unsupported",
        `Cannot load PKCS#8 private key: algorithm ${algorithm} is not supported`,
      );
  }
  alg.expectEnd("privateKeyAlgorithm");
  const privateKey = r.octetString("PrivateKeyInfo.privateKey");
  r.optional(0xa0, "PrivateKeyInfo.attributes");
  const publicKey = r.optional(0x81, "OneAsymmetricKey.publicKey");
  r.expectEnd("PrivateKeyInfo");
  outer.expectEnd("PKCS#8 private key");

  if (curve === undefined) return decodeRsaPrivateKey(privateKey);
  const ec = decodeEcPrivateKey(privateKey);
  if (ec.curve !== undefined && ec.curve !== curve) {
    throw new KeyError(
      "malformed",
      `Cannot load PKCS#8 EC key: ECPrivateKey names ${ec.curve} but the algorithm names ${curve}`,
    );
  }
  let point = ec.point;
  if (point === undefined && publicKey) {
    // RFC 5958 §2: publicKey [1] IMPLICIT BIT STRING.
    const v = publicKey.value;
    if (v.length < 2 || v[0] !== 0) {
      throw new KeyError(
        "malformed",
        "Cannot load PKCS#8 EC key: bad publicKey BIT STRING",
      );
    }
    point = v.subarray(1);
  }
  return { kind: "ec", curve, d: ec.d, ...(point ? { point } : {}) };
}

/**
 * Encodes a private key as PKCS#8 `PrivateKeyInfo` (version 0), as OpenSSL 3
 * writes it: EC keys with `id-ecPublicKey` + namedCurve and an
 * `ECPrivateKey` holding the public key but no parameters; RSA keys with
 * `rsaEncryption` + NULL.
 *
 * @param key The key.
 * @returns The DER encoding.
 *
 * @example
 * ```ts
 * import { encodePrivateKeyPkcs8 } from "./pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * const der = encodePrivateKeyPkcs8(key);
 * assert.equal(der.length, 138); // the size of an OpenSSL P-256 PKCS#8 key
 * ```
 */
export function encodePrivateKeyPkcs8(key: PrivateKey): Uint8Array {
  if (key.kind === "ec") {
    return derSequence([
      derInteger(0n),
      derSequence([derOid(OID.ecPublicKey), derOid(curveOid(key.curve))]),
      derOctetString(encodeEcPrivateKey(key, { parameters: false })),
    ]);
  }
  return derSequence([
    derInteger(0n),
    derSequence([derOid(OID.rsaEncryption), derNull()]),
    derOctetString(encodeRsaPrivateKey(key)),
  ]);
}

/**
 * Encodes a private key as an unencrypted `-----BEGIN PRIVATE KEY-----`
 * PEM block (RFC 7468 §10).
 *
 * @param key The key.
 * @returns PEM text ending in a newline.
 *
 * @example
 * ```ts
 * import { privateKeyToPem } from "./pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * assert.match(privateKeyToPem(key), /^-----BEGIN PRIVATE KEY-----\n/);
 * ```
 */
export function privateKeyToPem(key: PrivateKey): string {
  return encodePem("PRIVATE KEY", encodePrivateKeyPkcs8(key));
}
