/**
 * X.509 v3 certificate parsing (RFC 5280 §4.1):
 *
 * ```
 * Certificate  ::=  SEQUENCE  {
 *      tbsCertificate       TBSCertificate,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  }
 *
 * TBSCertificate  ::=  SEQUENCE  {
 *      version         [0]  EXPLICIT Version DEFAULT v1,
 *      serialNumber         CertificateSerialNumber,
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,
 *      validity             Validity,
 *      subject              Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * Parsing is strict DER and fails only with {@link DecodeError}. It does
 * not judge trust: signatures, validity and constraints are checked by
 * `validateChain()`. A key or signature algorithm postern does not support is
 * recorded (`publicKey` undefined, `signatureAlgorithm.scheme` undefined), not
 * rejected.
 *
 * @module
 */

import { DecodeError, encodeHex } from "../../bytes/mod.ts";
import { DerReader, Tag } from "../asn1/mod.ts";
import { digest, type PublicKey } from "../../crypto/mod.ts";
import {
  decodeSignatureAlgorithm,
  type SignatureAlgorithm,
} from "../algorithm.ts";
import { decodeName, type DistinguishedName } from "../name.ts";
import { OID } from "../oids.ts";
import { decodePem } from "../pem.ts";
import { decodeSpki, type PublicKeyAlgorithm } from "../spki.ts";
import {
  type BasicConstraints,
  decodeAuthorityInfoAccess,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCrlDistributionPoints,
  decodeExtensions,
  decodeExtKeyUsage,
  decodeGeneralNames,
  decodeKeyUsage,
  decodeSubjectKeyIdentifier,
  type Extension,
  type GeneralName,
  type KeyUsage,
} from "./extensions.ts";

/**
 * A parsed X.509 certificate. `der`, `tbs`, `spki`, `signature` and extension
 * values are views into the parsed input, not copies.
 *
 * @example
 * ```ts
 * import { type Certificate, parseCertificate } from "./certificate.ts";
 * import { encodeName } from "../name.ts";
 * import { derBitString, derInteger, derOid, derSequence, derTime } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const name = encodeName([{ type: "CN", value: "v1" }]);
 * const tbs = derSequence([
 *   derInteger(9n), alg, name,
 *   derSequence([derTime(new Date("2025-01-01Z")), derTime(new Date("2026-01-01Z"))]),
 *   name,
 *   derSequence([derSequence([derOid("1.3.101.112")]), derBitString(new Uint8Array(32))]),
 * ]);
 * const cert: Certificate = parseCertificate(derSequence([tbs, alg, derBitString(new Uint8Array(8))]));
 * assert.equal(cert.version, 1);
 * assert.deepEqual(cert.subjectAltNames, []);
 * assert.equal(cert.fingerprintSha256.length, 64);
 * ```
 */
export interface Certificate {
  /** The whole certificate DER. */
  readonly der: Uint8Array;
  /** The TBSCertificate DER: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: 1 | 2 | 3;
  readonly serial: bigint;
  /**
   * The serial number's magnitude in lower-case hex, two digits per octet
   * (`01`, `7f3a…`), as `openssl x509 -serial` prints it but in lower case;
   * prefixed with `-` for a (non-conforming) negative serial.
   */
  readonly serialHex: string;
  /** The outer signatureAlgorithm (identical to TBSCertificate.signature). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** The signatureValue octets (DER ECDSA-Sig-Value or the RSA signature). */
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's key, or undefined when its algorithm is not supported. */
  readonly publicKey: PublicKey | undefined;
  /** Why `publicKey` is undefined, e.g. `algorithm 1.3.101.112 is not supported`. */
  readonly publicKeyUnsupported?: string;
  /** The SubjectPublicKeyInfo algorithm OID and, for EC keys, the curve OID. */
  readonly publicKeyAlgorithm: PublicKeyAlgorithm;
  /** The SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** subjectAltName entries in order; empty without the extension. */
  readonly subjectAltNames: GeneralName[];
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: KeyUsage[];
  /** extKeyUsage key purpose OIDs (see `KeyPurpose`, `keyPurposeName()`). */
  readonly extKeyUsage?: string[];
  /** URIs of the cRLDistributionPoints fullNames. */
  readonly crlDistributionPoints: string[];
  /** authorityInfoAccess id-ad-ocsp URIs. */
  readonly ocspUrls: string[];
  /** authorityInfoAccess id-ad-caIssuers URIs. */
  readonly caIssuerUrls: string[];
  readonly subjectKeyId?: Uint8Array;
  /** The keyIdentifier of authorityKeyIdentifier. */
  readonly authorityKeyId?: Uint8Array;
  /** Every extension in order, including those postern does not interpret. */
  readonly extensions: Extension[];
  /** SHA-256 of `der`, lower-case hex without separators. */
  readonly fingerprintSha256: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Parses a DER certificate.
 *
 * @throws {DecodeError} on anything malformed: bad DER, trailing data, a
 * version other than 1–3, extensions in a v1/v2 certificate, a duplicate
 * extension, an unparseable known extension, or a signatureAlgorithm that
 * differs from TBSCertificate.signature (RFC 5280 §4.1.1.2).
 *
 * @example Parse a certificate built with the DER writer
 * ```ts
 * import { parseCertificate } from "./certificate.ts";
 * import { encodeName } from "../name.ts";
 * import {
 *   derBitString, derExplicit, derInteger, derOid, derSequence, derTime,
 * } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const name = encodeName([{ type: "CN", value: "test" }]);
 * const tbs = derSequence([
 *   derExplicit(0, [derInteger(2n)]),
 *   derInteger(0x1234n),
 *   alg,
 *   name,
 *   derSequence([derTime(new Date("2025-01-01Z")), derTime(new Date("2035-01-01Z"))]),
 *   name,
 *   derSequence([derSequence([derOid("1.3.101.112")]), derBitString(new Uint8Array(32))]),
 * ]);
 * const cert = parseCertificate(derSequence([tbs, alg, derBitString(new Uint8Array(8))]));
 * assert.equal(cert.version, 3);
 * assert.equal(cert.serialHex, "1234");
 * assert.equal(cert.subject.commonName, "test");
 * assert.equal(cert.publicKey, undefined);
 * ```
 */
export function parseCertificate(der: Uint8Array): Certificate {
  const outer = new DerReader(der);
  const certEl = outer.read(Tag.SEQUENCE, "Certificate");
  outer.expectEnd("Certificate");
  const c = DerReader.of(certEl);
  const tbsEl = c.read(Tag.SEQUENCE, "TBSCertificate");
  const sigAlgEl = c.read(Tag.SEQUENCE, "Certificate.signatureAlgorithm");
  const signature = c.bitStringBytes("Certificate.signatureValue");
  c.expectEnd("Certificate");

  const t = DerReader.of(tbsEl);
  let version: 1 | 2 | 3 = 1;
  const v = t.context(0, "TBSCertificate.version");
  if (v) {
    const n = v.integer("TBSCertificate.version");
    v.expectEnd("TBSCertificate.version");
    if (n < 0n || n > 2n) {
      throw new DecodeError(
        "TBSCertificate.version",
        tbsEl.valueOffset,
        `unknown version ${n}`,
      );
    }
    version = (Number(n) + 1) as 1 | 2 | 3;
  }
  const serial = t.integer("TBSCertificate.serialNumber");
  const innerAlgEl = t.read(Tag.SEQUENCE, "TBSCertificate.signature");
  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature.
  if (!sameBytes(innerAlgEl.raw, sigAlgEl.raw)) {
    throw new DecodeError(
      "Certificate.signatureAlgorithm",
      sigAlgEl.offset,
      "differs from TBSCertificate.signature",
    );
  }
  const signatureAlgorithm = decodeSignatureAlgorithm(sigAlgEl);
  const issuer = decodeName(t.read(Tag.SEQUENCE, "TBSCertificate.issuer"));
  const validity = t.sequence("TBSCertificate.validity");
  const notBefore = validity.time("Validity.notBefore");
  const notAfter = validity.time("Validity.notAfter");
  validity.expectEnd("Validity");
  const subject = decodeName(t.read(Tag.SEQUENCE, "TBSCertificate.subject"));
  const spkiEl = t.read(Tag.SEQUENCE, "TBSCertificate.subjectPublicKeyInfo");
  const spki = decodeSpki(spkiEl.raw, spkiEl.offset);
  // RFC 5280 §4.1.2.8: unique identifiers only in v2 and v3.
  const issuerUid = t.optional(0x81, "TBSCertificate.issuerUniqueID");
  const subjectUid = t.optional(0x82, "TBSCertificate.subjectUniqueID");
  const uid = issuerUid ?? subjectUid;
  if (uid && version === 1) {
    throw new DecodeError(
      "TBSCertificate",
      uid.offset,
      "unique identifiers in a v1 certificate",
    );
  }
  const extReader = t.context(3, "TBSCertificate.extensions");
  t.expectEnd("TBSCertificate");
  // RFC 5280 §4.1.2.9: extensions only in v3.
  if (extReader && version !== 3) {
    throw new DecodeError(
      "TBSCertificate.extensions",
      tbsEl.valueOffset,
      `extensions in a v${version} certificate`,
    );
  }
  const extensions = extReader ? decodeExtensions(extReader) : [];

  const cert: Mutable<Certificate> = {
    der: certEl.raw,
    tbs: tbsEl.raw,
    version,
    serial,
    serialHex: serialHex(serial),
    signatureAlgorithm,
    signature,
    issuer,
    subject,
    notBefore,
    notAfter,
    publicKey: spki.supported ? spki.key : undefined,
    publicKeyAlgorithm: spki.algorithm,
    spki: spkiEl.raw,
    subjectAltNames: [],
    crlDistributionPoints: [],
    ocspUrls: [],
    caIssuerUrls: [],
    extensions,
    fingerprintSha256: encodeHex(digest("SHA-256", certEl.raw)),
  };
  if (!spki.supported) cert.publicKeyUnsupported = spki.reason;
  applyExtensions(cert, extensions, der.byteOffset);
  return cert;
}

/**
 * Decodes the extensions postern interprets into their fields. `base` is the
 * input's byteOffset: extension values are views into it, so their position
 * in the input (for error messages) is their byteOffset minus `base`.
 */
function applyExtensions(
  cert: Mutable<Certificate>,
  extensions: readonly Extension[],
  base: number,
): void {
  for (const ext of extensions) {
    const offset = ext.value.byteOffset - base;
    switch (ext.oid) {
      case OID.subjectAltName:
        cert.subjectAltNames = decodeGeneralNames(ext.value, offset);
        break;
      case OID.basicConstraints:
        cert.basicConstraints = decodeBasicConstraints(ext.value, offset);
        break;
      case OID.keyUsage:
        cert.keyUsage = decodeKeyUsage(ext.value, offset);
        break;
      case OID.extKeyUsage:
        cert.extKeyUsage = decodeExtKeyUsage(ext.value, offset);
        break;
      case OID.crlDistributionPoints:
        cert.crlDistributionPoints = decodeCrlDistributionPoints(
          ext.value,
          offset,
        );
        break;
      case OID.authorityInfoAccess: {
        const aia = decodeAuthorityInfoAccess(ext.value, offset);
        cert.ocspUrls = aia.ocsp;
        cert.caIssuerUrls = aia.caIssuers;
        break;
      }
      case OID.subjectKeyIdentifier:
        cert.subjectKeyId = decodeSubjectKeyIdentifier(ext.value, offset);
        break;
      case OID.authorityKeyIdentifier: {
        const aki = decodeAuthorityKeyIdentifier(ext.value, offset);
        if (aki.keyId) cert.authorityKeyId = aki.keyId;
        break;
      }
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function serialHex(serial: bigint): string {
  const hex = (serial < 0n ? -serial : serial).toString(16);
  return (serial < 0n ? "-" : "") + (hex.length % 2 ? "0" : "") + hex;
}

/**
 * Parses every `CERTIFICATE` block in PEM text, in order, ignoring other
 * blocks (a private key in the same file) and text between blocks.
 *
 * @throws {DecodeError} on malformed PEM or a malformed certificate.
 *
 * @example
 * ```ts
 * import { parseCertificatePem } from "./certificate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCertificatePem("no certificates here"), []);
 * ```
 */
export function parseCertificatePem(text: string): Certificate[] {
  return decodePem(text)
    .filter((b) => b.label === "CERTIFICATE" || b.label === "X509 CERTIFICATE")
    .map((b) => parseCertificate(b.der));
}

/**
 * Formats a hex fingerprint as OpenSSL prints it: upper case, octets
 * separated by colons.
 *
 * @example
 * ```ts
 * import { formatFingerprint } from "./certificate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatFingerprint("abcd01"), "AB:CD:01");
 * ```
 */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(":");
}

/**
 * Whether the certificate's extKeyUsage allows `purpose` (an OID or a
 * `KeyPurpose` name): true when the extension is absent, lists the purpose
 * or lists anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
 *
 * @example
 * ```ts
 * import { allowsPurpose } from "./certificate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(allowsPurpose({ extKeyUsage: ["1.3.6.1.5.5.7.3.2"] }, "clientAuth"));
 * assert.ok(!allowsPurpose({ extKeyUsage: ["1.3.6.1.5.5.7.3.2"] }, "serverAuth"));
 * assert.ok(allowsPurpose({}, "serverAuth"));
 * ```
 */
export function allowsPurpose(
  cert: Pick<Certificate, "extKeyUsage">,
  purpose: "serverAuth" | "clientAuth" | (string & Record<never, never>),
): boolean {
  if (!cert.extKeyUsage) return true;
  const oid = purpose === "serverAuth"
    ? OID.serverAuth
    : purpose === "clientAuth"
    ? OID.clientAuth
    : purpose;
  return cert.extKeyUsage.includes(oid) ||
    cert.extKeyUsage.includes(OID.anyExtendedKeyUsage);
}

/**
 * Whether issuer and subject are the same name (RFC 5280 §6.1: a
 * self-issued certificate). Says nothing about who signed it.
 *
 * @example
 * ```ts
 * import { isSelfIssued } from "./certificate.ts";
 * import { decodeName, encodeName } from "../name.ts";
 * import assert from "node:assert/strict";
 *
 * const n = decodeName(encodeName([{ type: "CN", value: "root" }]));
 * assert.ok(isSelfIssued({ issuer: n, subject: n }));
 * ```
 */
export function isSelfIssued(
  cert: Pick<Certificate, "issuer" | "subject">,
): boolean {
  return cert.issuer.equals(cert.subject);
}
