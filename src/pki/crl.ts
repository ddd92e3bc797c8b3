/**
 * Certificate revocation lists (RFC 5280 §5):
 *
 * ```
 * CertificateList  ::=  SEQUENCE  {
 *      tbsCertList          TBSCertList,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  }
 *
 * TBSCertList  ::=  SEQUENCE  {
 *      version                 Version OPTIONAL, -- if present, MUST be v2
 *      signature               AlgorithmIdentifier,
 *      issuer                  Name,
 *      thisUpdate              Time,
 *      nextUpdate              Time OPTIONAL,
 *      revokedCertificates     SEQUENCE OF SEQUENCE  {
 *           userCertificate         CertificateSerialNumber,
 *           revocationDate          Time,
 *           crlEntryExtensions      Extensions OPTIONAL  }  OPTIONAL,
 *      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL  }
 * ```
 *
 * Parsing fails only with {@link DecodeError}. Whether a CRL can be relied on
 * (signature, issuer, time window, critical extensions) is decided by the
 * caller; `validateChain()` does it as its documentation describes.
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";
import { DerReader, Tag } from "./asn1/mod.ts";
import { verifySignature } from "../crypto/mod.ts";
import {
  decodeSignatureAlgorithm,
  type SignatureAlgorithm,
} from "./algorithm.ts";
import { decodeName, type DistinguishedName } from "./name.ts";
import { OID } from "./oids.ts";
import { decodePem } from "./pem.ts";
import {
  decodeAuthorityKeyIdentifier,
  decodeExtensions,
  type Extension,
} from "./x509/extensions.ts";
import type { Certificate } from "./x509/certificate.ts";

/**
 * CRLReason values (RFC 5280 §5.3.1); value 7 is not used.
 *
 * @example
 * ```ts
 * import { CRL_REASONS } from "./crl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CRL_REASONS[1], "keyCompromise");
 * assert.equal(CRL_REASONS[7], undefined);
 * ```
 */
export const CRL_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  undefined,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
] as const;

/**
 * A CRLReason name.
 *
 * @example
 * ```ts
 * import type { CrlReason } from "./crl.ts";
 * import assert from "node:assert/strict";
 *
 * const reason: CrlReason = "superseded";
 * assert.equal(reason, "superseded");
 * ```
 */
export type CrlReason = Exclude<typeof CRL_REASONS[number], undefined>;

/**
 * One revokedCertificates entry.
 *
 * @example
 * ```ts
 * import { parseCrl, type RevokedCertificate } from "./crl.ts";
 * import { encodeName } from "./name.ts";
 * import { derBitString, derInteger, derOid, derSequence, derTime } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const when = new Date("2030-01-01Z");
 * const tbs = derSequence([
 *   derInteger(1n), alg, encodeName([{ type: "CN", value: "ca" }]), derTime(when),
 *   derSequence([derSequence([derInteger(7n), derTime(when)])]),
 * ]);
 * const [entry]: readonly RevokedCertificate[] = parseCrl(derSequence([tbs, alg, derBitString(new Uint8Array(8))])).revoked;
 * assert.equal(entry?.serial, 7n);
 * assert.equal(entry?.reason, undefined);
 * ```
 */
export interface RevokedCertificate {
  readonly serial: bigint;
  readonly revocationDate: Date;
  /** The reasonCode entry extension, when present. */
  readonly reason?: CrlReason;
  /** The invalidityDate entry extension, when present. */
  readonly invalidityDate?: Date;
  readonly extensions: Extension[];
}

const INVALIDITY_DATE = "2.5.29.24";
const DELTA_CRL_INDICATOR = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT = "2.5.29.28";

/** CRL and entry extensions that postern interprets. */
const HANDLED_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.crlNumber,
  OID.authorityKeyIdentifier,
  OID.crlReason,
  INVALIDITY_DATE,
]);

/**
 * The parts of a CRL, as {@link parseCrl} decodes them.
 *
 * @example
 * ```ts
 * import { Crl, type CrlFields } from "./crl.ts";
 * import { decodeName, encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const fields: CrlFields = {
 *   der: new Uint8Array(), tbs: new Uint8Array(), version: 1,
 *   signatureAlgorithm: { oid: "1.2.840.10045.4.3.2" }, signature: new Uint8Array(),
 *   issuer: decodeName(encodeName([{ type: "CN", value: "ca" }])),
 *   thisUpdate: new Date(0), revoked: [], extensions: [],
 * };
 * assert.equal(new Crl(fields).isRevoked(1n), false);
 * ```
 */
export interface CrlFields {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: 1 | 2;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked: readonly RevokedCertificate[];
  readonly crlNumber?: bigint;
  readonly authorityKeyId?: Uint8Array;
  readonly extensions: Extension[];
}

/**
 * A parsed CRL with constant-time-per-lookup revocation checks: entries are
 * indexed by serial number when the CRL is built.
 *
 * @example
 * ```ts
 * import { Crl } from "./crl.ts";
 * import { decodeName, encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const crl = new Crl({
 *   der: new Uint8Array(), tbs: new Uint8Array(), version: 2,
 *   signatureAlgorithm: { oid: "1.2.840.10045.4.3.2" }, signature: new Uint8Array(),
 *   issuer: decodeName(encodeName([{ type: "CN", value: "ca" }])),
 *   thisUpdate: new Date(0),
 *   revoked: [{ serial: 5n, revocationDate: new Date(0), reason: "keyCompromise", extensions: [] }],
 *   extensions: [],
 * });
 * assert.ok(crl.isRevoked(5n));
 * assert.ok(!crl.isRevoked(6n));
 * assert.equal(crl.revocationOf(5n)?.reason, "keyCompromise");
 * ```
 */
export class Crl implements CrlFields {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: 1 | 2;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked: readonly RevokedCertificate[];
  readonly crlNumber?: bigint;
  readonly authorityKeyId?: Uint8Array;
  readonly extensions: Extension[];
  readonly #bySerial: Map<string, RevokedCertificate>;

  /** @param fields The decoded CRL; use {@link parseCrl} to get them from DER. */
  constructor(fields: CrlFields) {
    this.der = fields.der;
    this.tbs = fields.tbs;
    this.version = fields.version;
    this.signatureAlgorithm = fields.signatureAlgorithm;
    this.signature = fields.signature;
    this.issuer = fields.issuer;
    this.thisUpdate = fields.thisUpdate;
    if (fields.nextUpdate) this.nextUpdate = fields.nextUpdate;
    this.revoked = fields.revoked;
    if (fields.crlNumber !== undefined) this.crlNumber = fields.crlNumber;
    if (fields.authorityKeyId) this.authorityKeyId = fields.authorityKeyId;
    this.extensions = fields.extensions;
    this.#bySerial = new Map();
    for (const entry of fields.revoked) {
      const key = entry.serial.toString(16);
      if (!this.#bySerial.has(key)) this.#bySerial.set(key, entry);
    }
  }

  /**
   * Whether `serial` is listed as revoked. An entry with reason
   * removeFromCRL (only meaningful in delta CRLs, RFC 5280 §5.3.1) does not
   * count.
   */
  isRevoked(serial: bigint): boolean {
    const entry = this.#bySerial.get(serial.toString(16));
    return entry !== undefined && entry.reason !== "removeFromCRL";
  }

  /** The entry for `serial`, if listed. */
  revocationOf(serial: bigint): RevokedCertificate | undefined {
    return this.#bySerial.get(serial.toString(16));
  }

  /**
   * OIDs of critical CRL or entry extensions postern does not process
   * (issuingDistributionPoint, deltaCRLIndicator, certificateIssuer, …).
   * RFC 5280 §5.2 and §5.3: such a CRL must not be used to decide
   * revocation.
   */
  get unhandledCriticalExtensions(): string[] {
    const out = new Set<string>();
    for (const ext of this.extensions) {
      if (ext.critical && !HANDLED_CRL_EXTENSIONS.has(ext.oid)) {
        out.add(ext.oid);
      }
    }
    for (const entry of this.revoked) {
      for (const ext of entry.extensions) {
        if (ext.critical && !HANDLED_CRL_EXTENSIONS.has(ext.oid)) {
          out.add(ext.oid);
        }
      }
    }
    return [...out];
  }

  /** Whether this is a delta CRL (RFC 5280 §5.2.4). */
  get isDelta(): boolean {
    return this.extensions.some((e) => e.oid === DELTA_CRL_INDICATOR);
  }

  /** Whether the CRL has an issuingDistributionPoint (RFC 5280 §5.2.5). */
  get hasIssuingDistributionPoint(): boolean {
    return this.extensions.some((e) => e.oid === ISSUING_DISTRIBUTION_POINT);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads a `CRLReason ::= ENUMERATED` (RFC 5280 §5.3.1), as CRL entries and
 * OCSP RevokedInfo (RFC 6960 §4.2.1) carry it.
 *
 * @throws {DecodeError} for another tag or an unknown reason code.
 *
 * @example
 * ```ts
 * import { readCrlReason } from "./crl.ts";
 * import { DerReader } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readCrlReason(new DerReader(new Uint8Array([0x0a, 0x01, 0x01]))), "keyCompromise");
 * ```
 */
export function readCrlReason(r: DerReader): CrlReason {
  const el = r.read(Tag.ENUMERATED, "CRLReason");
  const v = el.value;
  // A DER ENUMERATED of 0..10 is one octet.
  const reason = v.length === 1 ? CRL_REASONS[v[0] as number] : undefined;
  if (!reason) {
    throw new DecodeError("CRLReason", el.valueOffset, "unknown reason code");
  }
  return reason;
}

function readReason(ext: Extension, offset: number): CrlReason {
  const r = new DerReader(ext.value, offset);
  const reason = readCrlReason(r);
  r.expectEnd("CRLReason");
  return reason;
}

/**
 * Parses a DER CRL.
 *
 * @throws {DecodeError} on malformed DER, trailing data, a version other
 * than v2, extensions in a v1 CRL, duplicate extensions, a malformed
 * reasonCode, crlNumber or authorityKeyIdentifier, or a signatureAlgorithm
 * that differs from TBSCertList.signature (RFC 5280 §5.1.1.2).
 *
 * @example Parse a CRL built with the DER writer
 * ```ts
 * import { parseCrl } from "./crl.ts";
 * import { encodeName } from "./name.ts";
 * import { derBitString, derInteger, derOid, derSequence, derTime } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const tbs = derSequence([
 *   derInteger(1n),
 *   alg,
 *   encodeName([{ type: "CN", value: "ca" }]),
 *   derTime(new Date("2030-01-01Z")),
 *   derSequence([derSequence([derInteger(0x2003n), derTime(new Date("2029-12-31Z"))])]),
 * ]);
 * const crl = parseCrl(derSequence([tbs, alg, derBitString(new Uint8Array(8))]));
 * assert.equal(crl.issuer.toString(), "CN=ca");
 * assert.ok(crl.isRevoked(0x2003n));
 * assert.equal(crl.nextUpdate, undefined);
 * ```
 */
export function parseCrl(der: Uint8Array): Crl {
  const outer = new DerReader(der);
  const crlEl = outer.read(Tag.SEQUENCE, "CertificateList");
  outer.expectEnd("CertificateList");
  const c = DerReader.of(crlEl);
  const tbsEl = c.read(Tag.SEQUENCE, "TBSCertList");
  const sigAlgEl = c.read(Tag.SEQUENCE, "CertificateList.signatureAlgorithm");
  const signature = c.bitStringBytes("CertificateList.signatureValue");
  c.expectEnd("CertificateList");

  const t = DerReader.of(tbsEl);
  let version: 1 | 2 = 1;
  if (t.peekTag() === Tag.INTEGER) {
    // RFC 5280 §5.1.2.1: if present, version MUST be v2 (1).
    if (t.integer("TBSCertList.version") !== 1n) {
      throw new DecodeError(
        "TBSCertList.version",
        tbsEl.valueOffset,
        "version must be v2",
      );
    }
    version = 2;
  }
  const innerAlg = t.read(Tag.SEQUENCE, "TBSCertList.signature");
  // RFC 5280 §5.1.1.2: signatureAlgorithm MUST equal TBSCertList.signature.
  if (!sameBytes(innerAlg.raw, sigAlgEl.raw)) {
    throw new DecodeError(
      "CertificateList.signatureAlgorithm",
      sigAlgEl.offset,
      "differs from TBSCertList.signature",
    );
  }
  const signatureAlgorithm = decodeSignatureAlgorithm(sigAlgEl);
  const issuer = decodeName(t.read(Tag.SEQUENCE, "TBSCertList.issuer"));
  const thisUpdate = t.time("TBSCertList.thisUpdate");
  const tag = t.peekTag();
  const nextUpdate = tag === Tag.UTC_TIME || tag === Tag.GENERALIZED_TIME
    ? t.time("TBSCertList.nextUpdate")
    : undefined;
  const base = der.byteOffset;
  const revoked: RevokedCertificate[] = [];
  if (t.peekTag() === Tag.SEQUENCE) {
    const list = t.sequence("TBSCertList.revokedCertificates");
    while (list.anyLeft()) {
      const e = list.sequence("revokedCertificate");
      const serial = e.integer("revokedCertificate.userCertificate");
      const revocationDate = e.time("revokedCertificate.revocationDate");
      const extensions = e.anyLeft() ? decodeExtensions(e) : [];
      e.expectEnd("revokedCertificate");
      // RFC 5280 §5.1.2.6: entry extensions only in v2 CRLs.
      if (extensions.length && version !== 2) {
        throw new DecodeError(
          "revokedCertificate.crlEntryExtensions",
          tbsEl.valueOffset,
          "extensions in a v1 CRL",
        );
      }
      let reason: CrlReason | undefined;
      let invalidityDate: Date | undefined;
      for (const ext of extensions) {
        const offset = ext.value.byteOffset - base;
        if (ext.oid === OID.crlReason) reason = readReason(ext, offset);
        if (ext.oid === INVALIDITY_DATE) {
          const r = new DerReader(ext.value, offset);
          invalidityDate = r.time("InvalidityDate");
          r.expectEnd("InvalidityDate");
        }
      }
      revoked.push({
        serial,
        revocationDate,
        ...(reason ? { reason } : {}),
        ...(invalidityDate ? { invalidityDate } : {}),
        extensions,
      });
    }
  }
  const extReader = t.context(0, "TBSCertList.crlExtensions");
  t.expectEnd("TBSCertList");
  if (extReader && version !== 2) {
    throw new DecodeError(
      "TBSCertList.crlExtensions",
      tbsEl.valueOffset,
      "extensions in a v1 CRL",
    );
  }
  const extensions = extReader ? decodeExtensions(extReader) : [];
  let crlNumber: bigint | undefined;
  let authorityKeyId: Uint8Array | undefined;
  for (const ext of extensions) {
    const offset = ext.value.byteOffset - base;
    if (ext.oid === OID.crlNumber) {
      const r = new DerReader(ext.value, offset);
      crlNumber = r.integer("CRLNumber");
      r.expectEnd("CRLNumber");
      // RFC 5280 §5.2.3: CRLNumber ::= INTEGER (0..MAX).
      if (crlNumber < 0n) {
        throw new DecodeError("CRLNumber", offset, "negative");
      }
    } else if (ext.oid === OID.authorityKeyIdentifier) {
      authorityKeyId = decodeAuthorityKeyIdentifier(ext.value, offset).keyId;
    }
  }
  return new Crl({
    der: crlEl.raw,
    tbs: tbsEl.raw,
    version,
    signatureAlgorithm,
    signature,
    issuer,
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    revoked,
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    extensions,
  });
}

/**
 * Parses every `X509 CRL` block in PEM text, in order.
 *
 * @throws {DecodeError} on malformed PEM or a malformed CRL.
 *
 * @example
 * ```ts
 * import { parseCrlPem } from "./crl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCrlPem(""), []);
 * ```
 */
export function parseCrlPem(text: string): Crl[] {
  return decodePem(text).filter((b) => b.label === "X509 CRL").map((b) =>
    parseCrl(b.der)
  );
}

/**
 * The CRLs that may have been issued by `issuer`: the CRL issuer name equals
 * the certificate's subject (RFC 5280 §6.3.3 (b), name comparison as in
 * `name.ts`), and when both the CRL's authorityKeyIdentifier and the
 * certificate's subjectKeyIdentifier are present they are equal. Newest
 * (latest thisUpdate) first. Only a signature check proves the match.
 *
 * @example
 * ```ts
 * import { findCrlsFor, parseCrl } from "./crl.ts";
 * import { decodeName, encodeName } from "./name.ts";
 * import { derBitString, derInteger, derOid, derSequence, derTime } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const crlOf = (cn: string) =>
 *   parseCrl(derSequence([
 *     derSequence([derInteger(1n), alg, encodeName([{ type: "CN", value: cn }]), derTime(new Date("2030-01-01Z"))]),
 *     alg,
 *     derBitString(new Uint8Array(8)),
 *   ]));
 * const ca = { subject: decodeName(encodeName([{ type: "CN", value: "CA 1" }])) };
 * assert.equal(findCrlsFor(ca, [crlOf("ca 1"), crlOf("CA 2")]).length, 1);
 * ```
 */
export function findCrlsFor(
  issuer: Pick<Certificate, "subject" | "subjectKeyId">,
  crls: readonly Crl[],
): Crl[] {
  return crls.filter((crl) =>
    crl.issuer.equals(issuer.subject) &&
    !(crl.authorityKeyId && issuer.subjectKeyId &&
      !sameBytes(crl.authorityKeyId, issuer.subjectKeyId))
  ).sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
}

/**
 * The newest CRL that {@link findCrlsFor} matches to `issuer`, if any.
 *
 * @example
 * ```ts
 * import { findCrlFor } from "./crl.ts";
 * import { decodeName, encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const ca = { subject: decodeName(encodeName([{ type: "CN", value: "CA" }])) };
 * assert.equal(findCrlFor(ca, []), undefined);
 * ```
 */
export function findCrlFor(
  issuer: Pick<Certificate, "subject" | "subjectKeyId">,
  crls: readonly Crl[],
): Crl | undefined {
  return findCrlsFor(issuer, crls)[0];
}

/**
 * Verifies the CRL's signature with the issuer certificate's key. False
 * (never a throw) for a bad signature, an unsupported signature algorithm or
 * issuer key, or a key of the wrong type. It does not check the issuer's
 * name or its keyUsage cRLSign bit.
 *
 * @example Sign a CRL and verify it
 * ```ts
 * import { parseCrl, verifyCrlSignature } from "./crl.ts";
 * import { encodeName } from "./name.ts";
 * import { derBitString, derInteger, derOid, derSequence, derTime } from "./asn1/mod.ts";
 * import { generateEcKeyPair, publicKeyOf, sign } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const alg = derSequence([derOid("1.2.840.10045.4.3.2")]);
 * const tbs = derSequence([derInteger(1n), alg, encodeName([{ type: "CN", value: "CA" }]), derTime(new Date("2030-01-01Z"))]);
 * const sig = await sign(key, tbs, { alg: "ecdsa", hash: "SHA-256" });
 * const crl = parseCrl(derSequence([tbs, alg, derBitString(sig)]));
 * assert.equal(await verifyCrlSignature(crl, { publicKey: publicKeyOf(key) }), true);
 * const other = await generateEcKeyPair("P-256");
 * assert.equal(await verifyCrlSignature(crl, { publicKey: publicKeyOf(other) }), false);
 * ```
 */
export async function verifyCrlSignature(
  crl: Crl,
  issuer: Pick<Certificate, "publicKey">,
): Promise<boolean> {
  const scheme = crl.signatureAlgorithm.scheme;
  if (!scheme || !issuer.publicKey) return false;
  return await verifySignature(
    issuer.publicKey,
    crl.tbs,
    crl.signature,
    scheme,
  );
}
