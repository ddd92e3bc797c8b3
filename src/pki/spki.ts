/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): decoding to the plain key types
 * of `src/crypto` and encoding them back.
 *
 * Supported: id-ecPublicKey on the named curves P-256 and P-384 (RFC 5480
 * §2.1.1) with an uncompressed point, and RSA keys under rsaEncryption
 * (RFC 3279 §2.3.1) or id-RSASSA-PSS (RFC 4055 §1.2). Any other algorithm or
 * curve (Ed25519, X25519, P-521, explicit curve parameters, compressed points)
 * decodes to an {@link UnsupportedSpki} instead of failing, so that a
 * certificate carrying such a key can still be parsed and shown.
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";
import {
  bitStringValue,
  derBitString,
  derInteger,
  derNull,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "./asn1/mod.ts";
import type { EcCurve, PublicKey } from "../crypto/mod.ts";
import { isValidEcPoint } from "../crypto/mod.ts";
import { OID } from "./oids.ts";

/**
 * The `algorithm` field of a SubjectPublicKeyInfo.
 *
 * @example
 * ```ts
 * import { decodeSpki, encodeSpki } from "./spki.ts";
 * import assert from "node:assert/strict";
 *
 * const spki = decodeSpki(encodeSpki({ kind: "rsa", n: new Uint8Array([0xc5]), e: new Uint8Array([3]) }));
 * assert.deepEqual(spki.algorithm, { oid: "1.2.840.113549.1.1.1" });
 * ```
 */
export interface PublicKeyAlgorithm {
  /** The algorithm OID, e.g. `1.2.840.10045.2.1` (id-ecPublicKey). */
  readonly oid: string;
  /** For id-ecPublicKey with a named curve: the curve OID. */
  readonly curve?: string;
}

/**
 * A SubjectPublicKeyInfo whose key postern can use.
 *
 * @example
 * ```ts
 * import { decodeSpki, encodeSpki, type SupportedSpki } from "./spki.ts";
 * import assert from "node:assert/strict";
 *
 * const spki = decodeSpki(encodeSpki({ kind: "rsa", n: new Uint8Array([0xc5]), e: new Uint8Array([3]) }));
 * assert.ok(spki.supported);
 * const supported: SupportedSpki = spki;
 * assert.equal(supported.key.kind, "rsa");
 * ```
 */
export interface SupportedSpki {
  readonly supported: true;
  readonly algorithm: PublicKeyAlgorithm;
  readonly key: PublicKey;
  /** The whole SubjectPublicKeyInfo DER. */
  readonly der: Uint8Array;
}

/**
 * A well-formed SubjectPublicKeyInfo whose algorithm postern does not support.
 *
 * @example
 * ```ts
 * import { decodeSpki } from "./spki.ts";
 * import { derBitString, derOid, derSequence } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spki = decodeSpki(derSequence([derSequence([derOid("1.3.101.110")]), derBitString(new Uint8Array(32))]));
 * assert.ok(!spki.supported);
 * assert.equal(spki.reason, "algorithm 1.3.101.110 is not supported");
 * ```
 */
export interface UnsupportedSpki {
  readonly supported: false;
  readonly algorithm: PublicKeyAlgorithm;
  /** Why the key cannot be used, e.g. `curve 1.3.132.0.35 is not supported`. */
  readonly reason: string;
  /** The whole SubjectPublicKeyInfo DER. */
  readonly der: Uint8Array;
}

/**
 * Result of {@link decodeSpki}.
 *
 * @example
 * ```ts
 * import { type DecodedSpki, decodeSpki, encodeSpki } from "./spki.ts";
 * import assert from "node:assert/strict";
 *
 * const spki: DecodedSpki = decodeSpki(encodeSpki({ kind: "rsa", n: new Uint8Array([0xc5]), e: new Uint8Array([3]) }));
 * assert.equal(spki.supported ? spki.key.kind : spki.reason, "rsa");
 * ```
 */
export type DecodedSpki = SupportedSpki | UnsupportedSpki;

const CURVES: Readonly<
  Record<string, { curve: EcCurve; pointLength: number }>
> = {
  [OID.secp256r1]: { curve: "P-256", pointLength: 65 },
  [OID.secp384r1]: { curve: "P-384", pointLength: 97 },
};

const CURVE_OIDS: Readonly<Record<EcCurve, string>> = {
  "P-256": OID.secp256r1,
  "P-384": OID.secp384r1,
};

/**
 * Decodes a DER SubjectPublicKeyInfo.
 *
 * @param der The SubjectPublicKeyInfo element (and nothing after it).
 * @param offset Offset of `der` in an enclosing structure, for error messages.
 * @returns The key, or an {@link UnsupportedSpki} naming the algorithm.
 * @throws {DecodeError} if the structure is malformed, or a supported key
 * type has a malformed key (wrong point length, point not on the curve, bad
 * RSAPublicKey).
 *
 * @example Round trip a P-256 key
 * ```ts
 * import { decodeSpki, encodeSpki } from "./spki.ts";
 * import assert from "node:assert/strict";
 *
 * // The P-256 generator point G is a valid public key.
 * const point = Uint8Array.from([
 *   0x04,
 *   ...[0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2],
 *   ...[0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96],
 *   ...[0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16],
 *   ...[0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5],
 * ]);
 * const der = encodeSpki({ kind: "ec", curve: "P-256", point });
 * const spki = decodeSpki(der);
 * assert.ok(spki.supported);
 * assert.deepEqual(spki.key, { kind: "ec", curve: "P-256", point });
 * ```
 *
 * @example An Ed25519 key is reported, not rejected
 * ```ts
 * import { decodeSpki } from "./spki.ts";
 * import { derBitString, derOid, derSequence } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const der = derSequence([derSequence([derOid("1.3.101.112")]), derBitString(new Uint8Array(32))]);
 * const spki = decodeSpki(der);
 * assert.equal(spki.supported, false);
 * assert.equal(spki.algorithm.oid, "1.3.101.112");
 * ```
 */
export function decodeSpki(der: Uint8Array, offset = 0): DecodedSpki {
  const outer = new DerReader(der, offset);
  const el = outer.read(Tag.SEQUENCE, "SubjectPublicKeyInfo");
  outer.expectEnd("SubjectPublicKeyInfo");
  const r = DerReader.of(el);
  const algId = r.sequence("SubjectPublicKeyInfo.algorithm");
  const oid = algId.oid("SubjectPublicKeyInfo.algorithm.algorithm");
  const params = algId.anyLeft()
    ? algId.next("SubjectPublicKeyInfo.algorithm.parameters")
    : undefined;
  algId.expectEnd("SubjectPublicKeyInfo.algorithm");
  const keyEl = r.read(Tag.BIT_STRING, "SubjectPublicKeyInfo.subjectPublicKey");
  r.expectEnd("SubjectPublicKeyInfo");
  const keyBits = bitStringValue(
    keyEl,
    "SubjectPublicKeyInfo.subjectPublicKey",
  );
  const keyOffset = keyEl.valueOffset + 1;

  if (oid === OID.ecPublicKey) {
    // RFC 5480 §2.1.1: ECParameters ::= CHOICE { namedCurve, implicitCurve, specifiedCurve }
    if (params?.tag !== Tag.OID) {
      return unsupported(
        { oid },
        "only named curves are supported",
        el.raw,
      );
    }
    const curveOid = new DerReader(params.raw, params.offset).oid(
      "ECParameters.namedCurve",
    );
    const algorithm = { oid, curve: curveOid };
    const known = CURVES[curveOid];
    if (!known) {
      return unsupported(
        algorithm,
        `curve ${curveOid} is not supported`,
        el.raw,
      );
    }
    const point = keyBits.bytes;
    if (keyBits.unusedBits !== 0 || point.length === 0) {
      throw new DecodeError("ECPoint", keyOffset, "empty or not whole bytes");
    }
    if (point[0] === 0x02 || point[0] === 0x03) {
      return unsupported(
        algorithm,
        "compressed points are not supported",
        el.raw,
      );
    }
    // RFC 5480 §2.2: the uncompressed form 0x04 || X || Y.
    if (point[0] !== 0x04 || point.length !== known.pointLength) {
      throw new DecodeError(
        "ECPoint",
        keyOffset,
        `not an uncompressed ${known.curve} point`,
      );
    }
    if (!isValidEcPoint(known.curve, point)) {
      throw new DecodeError("ECPoint", keyOffset, "point is not on the curve");
    }
    return {
      supported: true,
      algorithm,
      key: { kind: "ec", curve: known.curve, point: point.slice() },
      der: el.raw,
    };
  }

  if (oid === OID.rsaEncryption || oid === OID.rsassaPss) {
    // RFC 3279 §2.3.1: parameters NULL (tolerated when absent); RFC 4055 §1.2:
    // id-RSASSA-PSS parameters restrict the key's use and are not enforced.
    if (oid === OID.rsaEncryption && params && params.tag !== Tag.NULL) {
      throw new DecodeError(
        "SubjectPublicKeyInfo.algorithm.parameters",
        params.offset,
        "rsaEncryption parameters must be NULL",
      );
    }
    if (keyBits.unusedBits !== 0) {
      throw new DecodeError("RSAPublicKey", keyOffset, "not whole bytes");
    }
    const kr = new DerReader(keyBits.bytes, keyOffset);
    const seq = kr.sequence("RSAPublicKey");
    kr.expectEnd("RSAPublicKey");
    const n = seq.unsignedBytes("RSAPublicKey.modulus");
    const e = seq.unsignedBytes("RSAPublicKey.publicExponent");
    seq.expectEnd("RSAPublicKey");
    if (n.length === 1 && n[0] === 0 || e.length === 1 && e[0] === 0) {
      throw new DecodeError(
        "RSAPublicKey",
        keyOffset,
        "zero modulus or exponent",
      );
    }
    return {
      supported: true,
      algorithm: { oid },
      key: { kind: "rsa", n: n.slice(), e: e.slice() },
      der: el.raw,
    };
  }

  return unsupported({ oid }, `algorithm ${oid} is not supported`, el.raw);
}

function unsupported(
  algorithm: PublicKeyAlgorithm,
  reason: string,
  der: Uint8Array,
): UnsupportedSpki {
  return { supported: false, algorithm, reason, der };
}

/**
 * Encodes a public key as a DER SubjectPublicKeyInfo: id-ecPublicKey with the
 * named curve for EC keys (RFC 5480 §2), rsaEncryption with NULL parameters
 * for RSA keys (RFC 3279 §2.3.1).
 *
 * @example Encode an RSA key
 * ```ts
 * import { decodeSpki, encodeSpki } from "./spki.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "rsa" as const, n: new Uint8Array([0xc5, 0x01]), e: new Uint8Array([1, 0, 1]) };
 * const spki = decodeSpki(encodeSpki(key));
 * assert.ok(spki.supported);
 * assert.deepEqual(spki.key, key);
 * assert.equal(spki.algorithm.oid, "1.2.840.113549.1.1.1");
 * ```
 */
export function encodeSpki(key: PublicKey): Uint8Array {
  if (key.kind === "ec") {
    return derSequence([
      derSequence([derOid(OID.ecPublicKey), derOid(CURVE_OIDS[key.curve])]),
      derBitString(key.point),
    ]);
  }
  return derSequence([
    derSequence([derOid(OID.rsaEncryption), derNull()]),
    derBitString(derSequence([derInteger(key.n), derInteger(key.e)])),
  ]);
}
