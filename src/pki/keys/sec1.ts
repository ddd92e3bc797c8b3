/**
 * SEC1 `ECPrivateKey` (RFC 5915 §3; SEC 1 v2 §C.4), the body of
 * `-----BEGIN EC PRIVATE KEY-----` and of an EC PKCS#8 key.
 *
 * ```
 * ECPrivateKey ::= SEQUENCE {
 *   version        INTEGER { ecPrivkeyVer1(1) },
 *   privateKey     OCTET STRING,
 *   parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *   publicKey  [1] BIT STRING OPTIONAL
 * }
 * ```
 *
 * Decoding here is structural only: the curve may be absent (PKCS#8 carries
 * it in the AlgorithmIdentifier) and the public key may be absent, so the
 * result is an {@link EcPrivateKeyParts} that `parsePrivateKeyDer()`
 * completes and checks.
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import type { EcCurve, EcPrivateKey } from "../../crypto/mod.ts";
import {
  derBitString,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "../asn1/mod.ts";
import { curveFromOid, curveOid, fieldLength } from "./_curves.ts";
import { KeyError } from "./errors.ts";

/** An `ECPrivateKey` as encoded, before the curve and point are settled. */
export interface EcPrivateKeyParts {
  readonly kind: "ec";
  /** From `parameters [0]`, when present. */
  readonly curve?: EcCurve;
  /** The `privateKey` octets as encoded (usually the field length). */
  readonly d: Uint8Array;
  /** From `publicKey [1]`, when present: an SEC1 point (any form). */
  readonly point?: Uint8Array;
}

/**
 * Decodes an `ECPrivateKey` without checking it against the curve.
 *
 * @param der The DER encoding.
 * @returns The fields present in the encoding.
 * @throws {DecodeError} on malformed DER.
 * @throws {KeyError} `unsupported` for a version other than 1, explicit
 * curve parameters or a curve other than P-256/P-384.
 *
 * @example
 * ```ts
 * import { decodeEcPrivateKey, encodeEcPrivateKey } from "./sec1.ts";
 * import assert from "node:assert/strict";
 *
 * const d = new Uint8Array(32).fill(7);
 * const point = new Uint8Array(65).fill(4);
 * const parts = decodeEcPrivateKey(encodeEcPrivateKey({ kind: "ec", curve: "P-256", d, point }));
 * assert.equal(parts.curve, "P-256");
 * assert.deepEqual(parts.d, d);
 * assert.deepEqual(parts.point, point);
 * ```
 */
export function decodeEcPrivateKey(der: Uint8Array): EcPrivateKeyParts {
  const outer = new DerReader(der);
  const r = outer.sequence("ECPrivateKey");
  const versionEl = r.read(Tag.INTEGER, "ECPrivateKey.version");
  if (versionEl.value.length !== 1 || versionEl.value[0] !== 1) {
    throw new KeyError(
      "unsupported",
      "Cannot load EC private key: version is not ecPrivkeyVer1",
    );
  }
  const d = r.octetString("ECPrivateKey.privateKey");
  if (d.length === 0) {
    throw new DecodeError(
      "ECPrivateKey.privateKey",
      versionEl.offset,
      "empty private key",
    );
  }
  let curve: EcCurve | undefined;
  const params = r.context(0, "ECPrivateKey.parameters");
  if (params) {
    // RFC 5915 §3: parameters MUST be namedCurve when present (RFC 5480).
    if (params.peekTag() !== Tag.OID) {
      throw new KeyError(
        "unsupported",
        "Cannot load EC private key: only named curves are supported",
      );
    }
    curve = curveFromOid(params.oid("ECParameters.namedCurve"));
    params.expectEnd("ECPrivateKey.parameters");
  }
  let point: Uint8Array | undefined;
  const pub = r.context(1, "ECPrivateKey.publicKey");
  if (pub) {
    point = pub.bitStringBytes("ECPrivateKey.publicKey");
    pub.expectEnd("ECPrivateKey.publicKey");
  }
  r.expectEnd("ECPrivateKey");
  outer.expectEnd("EC private key");
  return {
    kind: "ec",
    d,
    ...(curve ? { curve } : {}),
    ...(point ? { point } : {}),
  };
}

/** Options for {@link encodeEcPrivateKey}. */
export interface EncodeEcPrivateKeyOptions {
  /**
   * Write `parameters [0]` (the namedCurve). OpenSSL writes it in a
   * standalone `EC PRIVATE KEY` and leaves it out inside PKCS#8, where the
   * AlgorithmIdentifier names the curve. Default `true`.
   */
  readonly parameters?: boolean;
}

/**
 * Encodes an `ECPrivateKey` with the public key, as OpenSSL writes it.
 *
 * @param key The key; `d` is written at the field length.
 * @param options Whether to include the curve parameters.
 * @returns The DER encoding.
 *
 * @example
 * ```ts
 * import { encodeEcPrivateKey } from "./sec1.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * assert.equal(encodeEcPrivateKey(key).length, 121);
 * assert.equal(encodeEcPrivateKey(key, { parameters: false }).length, 109);
 * ```
 */
export function encodeEcPrivateKey(
  key: EcPrivateKey,
  options: EncodeEcPrivateKeyOptions = {},
): Uint8Array {
  const n = fieldLength(key.curve);
  if (key.d.length > n) {
    throw new RangeError(
      `Cannot encode EC private key: d is ${key.d.length} bytes, more than ${n}`,
    );
  }
  const d = new Uint8Array(n);
  d.set(key.d, n - key.d.length);
  const parts = [derInteger(1n), derOctetString(d)];
  if (options.parameters ?? true) {
    parts.push(derExplicit(0, [derOid(curveOid(key.curve))]));
  }
  parts.push(derExplicit(1, [derBitString(key.point)]));
  return derSequence(parts);
}
