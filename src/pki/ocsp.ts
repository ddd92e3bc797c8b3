/**
 * OCSP (RFC 6960): building a request for one certificate and reading and
 * verifying the responder's answer, for OCSP stapling (RFC 6066 §8).
 *
 * ```
 * OCSPRequest ::= SEQUENCE {
 *     tbsRequest                  TBSRequest,
 *     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
 * TBSRequest ::= SEQUENCE {
 *     version             [0]     EXPLICIT Version DEFAULT v1,
 *     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
 *     requestList                 SEQUENCE OF Request,
 *     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
 * Request ::= SEQUENCE {
 *     reqCert                     CertID,
 *     singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * CertID ::= SEQUENCE {
 *     hashAlgorithm       AlgorithmIdentifier,
 *     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
 *     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
 *     serialNumber        CertificateSerialNumber }
 *
 * OCSPResponse ::= SEQUENCE {
 *    responseStatus         OCSPResponseStatus,
 *    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE {
 *    responseType   OBJECT IDENTIFIER,   -- id-pkix-ocsp-basic
 *    response       OCTET STRING }
 * BasicOCSPResponse ::= SEQUENCE {
 *    tbsResponseData      ResponseData,
 *    signatureAlgorithm   AlgorithmIdentifier,
 *    signature            BIT STRING,
 *    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE {
 *    version              [0] EXPLICIT Version DEFAULT v1,
 *    responderID              ResponderID,  -- byName [1] Name | byKey [2] KeyHash
 *    producedAt               GeneralizedTime,
 *    responses                SEQUENCE OF SingleResponse,
 *    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 * SingleResponse ::= SEQUENCE {
 *    certID                       CertID,
 *    certStatus                   CertStatus, -- good [0] | revoked [1] | unknown [2]
 *    thisUpdate                   GeneralizedTime,
 *    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
 *    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * Decoding ({@link decodeOcspResponse}) fails only with {@link DecodeError};
 * whether a response can be relied on is {@link verifyOcspResponse}'s
 * decision, which fails with {@link OcspError}. It accepts a response signed
 * by the certificate's issuer itself or by a delegated responder certificate
 * that the issuer signed directly and that carries id-kp-OCSPSigning
 * (RFC 6960 §4.2.2.2); the ResponderID must name the signer. The delegated
 * responder's own revocation is not checked (CAs mark such certificates
 * id-pkix-ocsp-nocheck, §4.2.2.2.1). SHA-1 signatures are refused, as path
 * validation refuses them.
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";
import {
  decodeGeneralizedTime,
  type DerElement,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "./asn1/mod.ts";
import { digest, type HashAlgorithm, verifySignature } from "../crypto/mod.ts";
import {
  decodeSignatureAlgorithm,
  encodeHashAlgorithm,
  readHash,
  type SignatureAlgorithm,
} from "./algorithm.ts";
import { type CrlReason, readCrlReason } from "./crl.ts";
import { decodeName, type DistinguishedName } from "./name.ts";
import { OID } from "./oids.ts";
import { type Certificate, parseCertificate } from "./x509/certificate.ts";
import { decodeExtensions, type Extension } from "./x509/extensions.ts";

/**
 * OCSPResponseStatus values (RFC 6960 §4.2.1); 4 is not used.
 *
 * @example
 * ```ts
 * import { OcspResponseStatus } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(OcspResponseStatus.tryLater, 3);
 * ```
 */
export const OcspResponseStatus = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** The name of an OCSPResponseStatus value. */
export type OcspResponseStatusName = keyof typeof OcspResponseStatus;

const STATUS_NAMES = new Map<number, OcspResponseStatusName>(
  Object.entries(OcspResponseStatus).map((
    [k, v],
  ) => [v, k as OcspResponseStatusName]),
);

/**
 * Identifies one certificate to a responder: hashes of its issuer's name and
 * key, and its serial number (RFC 6960 §4.1.1).
 *
 * @example
 * ```ts
 * import type { CertId } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const id: CertId = {
 *   hashAlgorithm: "SHA-1",
 *   issuerNameHash: new Uint8Array(20),
 *   issuerKeyHash: new Uint8Array(20),
 *   serial: 1n,
 * };
 * assert.equal(id.serial, 1n);
 * ```
 */
export interface CertId {
  readonly hashAlgorithm: HashAlgorithm;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serial: bigint;
}

/**
 * A certificate's status in one SingleResponse.
 *
 * @example
 * ```ts
 * import type { CertStatus } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const s: CertStatus = { kind: "revoked", revocationTime: new Date(0), reason: "keyCompromise" };
 * assert.equal(s.kind, "revoked");
 * ```
 */
export type CertStatus =
  | { readonly kind: "good" }
  | {
    readonly kind: "revoked";
    readonly revocationTime: Date;
    readonly reason?: CrlReason;
  }
  | { readonly kind: "unknown" };

/**
 * One SingleResponse.
 *
 * @example
 * ```ts
 * import type { SingleResponse } from "./ocsp.ts";
 *
 * const none: SingleResponse[] = [];
 * ```
 */
export interface SingleResponse {
  /** `undefined` when the responder used a hash postern does not know. */
  readonly certId: CertId | undefined;
  readonly status: CertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly extensions: Extension[];
}

/**
 * The responder's identity (RFC 6960 §4.2.2.3): its subject name, or the
 * SHA-1 hash of its public key (the subjectPublicKey bits).
 *
 * @example
 * ```ts
 * import type { ResponderId } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const id: ResponderId = { kind: "key", keyHash: new Uint8Array(20) };
 * assert.equal(id.kind, "key");
 * ```
 */
export type ResponderId =
  | { readonly kind: "name"; readonly name: DistinguishedName }
  | { readonly kind: "key"; readonly keyHash: Uint8Array };

/**
 * A decoded BasicOCSPResponse. Byte fields are views into the input.
 *
 * @example
 * ```ts
 * import type { BasicOcspResponse } from "./ocsp.ts";
 *
 * const none: BasicOcspResponse[] = [];
 * ```
 */
export interface BasicOcspResponse {
  /** The ResponseData DER: what the responder signed. */
  readonly tbs: Uint8Array;
  readonly version: 1;
  readonly responderId: ResponderId;
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  /** The nonce extension's value (RFC 8954), when present. */
  readonly nonce?: Uint8Array;
  readonly extensions: Extension[];
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  /** Certificates the responder included (a delegated responder's certificate). */
  readonly certs: readonly Certificate[];
}

/**
 * A decoded OCSPResponse: the status, and for `successful` the basic
 * response.
 *
 * @example
 * ```ts
 * import { decodeOcspResponse, type OcspResponse } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const r: OcspResponse = decodeOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]));
 * assert.equal(r.status, "tryLater");
 * ```
 */
export interface OcspResponse {
  /** The whole OCSPResponse DER, as a server staples it. */
  readonly der: Uint8Array;
  readonly status: OcspResponseStatusName;
  /** Present exactly when `status` is `successful`. */
  readonly basic?: BasicOcspResponse;
}

/** Why {@link verifyOcspResponse} refused a response. */
export type OcspErrorCode =
  /** responseStatus is not successful (`OcspError.responseStatus` says which). */
  | "unsuccessful"
  /** A signature algorithm or key postern does not verify (or SHA-1). */
  | "unsupported"
  /** No acceptable signer: not the issuer and no valid delegated responder. */
  | "unauthorized_responder"
  /** The signature does not verify with the signer's key. */
  | "bad_signature"
  /** No SingleResponse is about the certificate asked for. */
  | "no_matching_response"
  /** thisUpdate lies in the future. */
  | "not_yet_valid"
  /** nextUpdate has passed. */
  | "expired"
  /** The response does not echo the request's nonce. */
  | "nonce_mismatch";

/**
 * An OCSP response that cannot be relied on.
 *
 * @example
 * ```ts
 * import { OcspError } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new OcspError("expired", "OCSP response expired");
 * assert.equal(err.code, "expired");
 * assert.ok(err instanceof Error);
 * ```
 */
export class OcspError extends Error {
  /** Why the response was refused. */
  readonly code: OcspErrorCode;
  /** For `unsuccessful`: the responder's status. */
  readonly responseStatus?: OcspResponseStatusName;

  /**
   * @param code Machine-readable reason.
   * @param message Sentence-case description of what failed.
   * @param options Standard error options, and the response status.
   */
  constructor(
    code: OcspErrorCode,
    message: string,
    options: ErrorOptions & {
      readonly responseStatus?: OcspResponseStatusName;
    } = {},
  ) {
    super(message, options);
    this.name = "OcspError";
    this.code = code;
    if (options.responseStatus !== undefined) {
      this.responseStatus = options.responseStatus;
    }
  }
}

/** The subjectPublicKey BIT STRING content (without the unused-bits octet). */
function publicKeyBits(cert: Pick<Certificate, "spki">): Uint8Array {
  const spki = new DerReader(cert.spki).sequence("SubjectPublicKeyInfo");
  spki.next("SubjectPublicKeyInfo.algorithm");
  return spki.bitString("SubjectPublicKeyInfo.subjectPublicKey").bytes;
}

/**
 * The CertID of `cert` as issued by `issuer`: the hash of the issuer's
 * subject Name DER and of its subjectPublicKey bits (RFC 6960 §4.1.1).
 *
 * @param cert The certificate to ask about (its serial is used).
 * @param issuer Its issuer's certificate.
 * @param hash The hash; SHA-1 unless given, which every responder accepts
 *   (RFC 5019 §2.1.1).
 *
 * @example
 * ```ts
 * import { certIdFor } from "./ocsp.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import { issueCertificate } from "./issue.ts";
 * import { parseCertificate } from "./x509/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const ca = parseCertificate(await issueCertificate({ subject: { CN: "ca" }, subjectKey: key, now: 0, days: 1, ca: true }));
 * const id = certIdFor({ serial: 7n }, ca);
 * assert.equal(id.issuerNameHash.length, 20);
 * assert.equal(id.serial, 7n);
 * ```
 */
export function certIdFor(
  cert: Pick<Certificate, "serial">,
  issuer: Pick<Certificate, "subject" | "spki">,
  hash: HashAlgorithm = "SHA-1",
): CertId {
  return {
    hashAlgorithm: hash,
    issuerNameHash: digest(hash, issuer.subject.raw),
    issuerKeyHash: digest(hash, publicKeyBits(issuer)),
    serial: cert.serial,
  };
}

/**
 * Encodes a CertID.
 *
 * @example
 * ```ts
 * import { encodeCertId } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const der = encodeCertId({ hashAlgorithm: "SHA-1", issuerNameHash: new Uint8Array(20), issuerKeyHash: new Uint8Array(20), serial: 1n });
 * assert.equal(der[0], 0x30);
 * ```
 */
export function encodeCertId(id: CertId): Uint8Array {
  return derSequence([
    encodeHashAlgorithm(id.hashAlgorithm),
    derOctetString(id.issuerNameHash),
    derOctetString(id.issuerKeyHash),
    derInteger(id.serial),
  ]);
}

/**
 * Encodes an unsigned v1 OCSPRequest for the given certificates, with a
 * nonce extension (RFC 8954: an OCTET STRING of 1–32 octets) when `nonce`
 * is given.
 *
 * @throws {RangeError} for no CertID or a nonce outside 1–32 octets.
 *
 * @example
 * ```ts
 * import { encodeOcspRequest } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const id = { hashAlgorithm: "SHA-1" as const, issuerNameHash: new Uint8Array(20), issuerKeyHash: new Uint8Array(20), serial: 1n };
 * const der = encodeOcspRequest([id], { nonce: new Uint8Array(16) });
 * assert.equal(der[0], 0x30);
 * ```
 */
export function encodeOcspRequest(
  ids: readonly CertId[],
  options: { readonly nonce?: Uint8Array } = {},
): Uint8Array {
  if (ids.length === 0) {
    throw new RangeError("Cannot encode an OCSP request without a CertID");
  }
  const nonce = options.nonce;
  const parts = [
    derSequence(ids.map((id) => derSequence([encodeCertId(id)]))),
  ];
  if (nonce !== undefined) {
    if (nonce.length < 1 || nonce.length > 32) {
      throw new RangeError(
        `Cannot encode an OCSP nonce of ${nonce.length} octets: 1 to 32 allowed`,
      );
    }
    parts.push(derExplicit(2, [
      derSequence([
        derSequence([
          derOid(OID.ocspNonce),
          derOctetString(derOctetString(nonce)),
        ]),
      ]),
    ]));
  }
  return derSequence([derSequence(parts)]);
}

function readCertId(r: DerReader): CertId | undefined {
  const seq = r.sequence("CertID");
  const hash = readHash(seq, "CertID.hashAlgorithm");
  const issuerNameHash = seq.octetString("CertID.issuerNameHash");
  const issuerKeyHash = seq.octetString("CertID.issuerKeyHash");
  const serial = seq.integer("CertID.serialNumber");
  seq.expectEnd("CertID");
  if (hash === undefined) return undefined;
  return { hashAlgorithm: hash, issuerNameHash, issuerKeyHash, serial };
}

function readCertStatus(r: DerReader): CertStatus {
  const el = r.next("CertStatus");
  switch (el.tag) {
    case 0x80: // good [0] IMPLICIT NULL
    case 0x82: // unknown [2] IMPLICIT UnknownInfo ::= NULL
      if (el.value.length !== 0) {
        throw new DecodeError(
          "CertStatus",
          el.valueOffset,
          "NULL with content",
        );
      }
      return { kind: el.tag === 0x80 ? "good" : "unknown" };
    case 0xa1: { // revoked [1] IMPLICIT RevokedInfo
      const info = DerReader.of(el);
      const revocationTime = generalizedTime(
        info,
        "RevokedInfo.revocationTime",
      );
      let reason: CrlReason | undefined;
      const reasonReader = info.context(0, "RevokedInfo.revocationReason");
      if (reasonReader) {
        reason = readCrlReason(reasonReader);
        reasonReader.expectEnd("RevokedInfo.revocationReason");
      }
      info.expectEnd("RevokedInfo");
      return { kind: "revoked", revocationTime, ...(reason ? { reason } : {}) };
    }
    default:
      throw new DecodeError(
        "CertStatus",
        el.offset,
        `unknown choice tag 0x${el.tag.toString(16)}`,
      );
  }
}

/** RFC 6960 §4.2.1: the response's times are GeneralizedTime only. */
function generalizedTime(r: DerReader, what: string): Date {
  const el = r.read(Tag.GENERALIZED_TIME, what);
  return decodeGeneralizedTime(el.value, el.valueOffset);
}

function readSingleResponse(r: DerReader): SingleResponse {
  const s = r.sequence("SingleResponse");
  const certId = readCertId(s);
  const status = readCertStatus(s);
  const thisUpdate = generalizedTime(s, "SingleResponse.thisUpdate");
  const next = s.context(0, "SingleResponse.nextUpdate");
  let nextUpdate: Date | undefined;
  if (next) {
    nextUpdate = generalizedTime(next, "SingleResponse.nextUpdate");
    next.expectEnd("SingleResponse.nextUpdate");
  }
  const ext = s.context(1, "SingleResponse.singleExtensions");
  const extensions = ext ? decodeExtensions(ext) : [];
  if (ext) ext.expectEnd("SingleResponse.singleExtensions");
  s.expectEnd("SingleResponse");
  return {
    certId,
    status,
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    extensions,
  };
}

function readResponderId(r: DerReader, at: number): ResponderId {
  const byName = r.context(1, "ResponderID.byName");
  if (byName) {
    const name = decodeName(byName.read(Tag.SEQUENCE, "ResponderID.byName"));
    byName.expectEnd("ResponderID.byName");
    return { kind: "name", name };
  }
  const byKey = r.context(2, "ResponderID.byKey");
  if (byKey) {
    const keyHash = byKey.octetString("ResponderID.byKey");
    byKey.expectEnd("ResponderID.byKey");
    return { kind: "key", keyHash };
  }
  throw new DecodeError("ResponderID", at, "neither byName nor byKey");
}

/**
 * The nonce octets: the OCTET STRING inside extnValue (RFC 8954 §2.1), or
 * extnValue itself from responders that leave the wrapping out (RFC 2560
 * did not define it).
 */
function nonceValue(ext: Extension): Uint8Array {
  const v = ext.value;
  try {
    const r = new DerReader(v);
    const nonce = r.octetString("Nonce");
    r.expectEnd("Nonce");
    return nonce;
  } catch {
    return v;
  }
}

function readBasicResponse(el: DerElement): BasicOcspResponse {
  const b = DerReader.of(el);
  const tbsEl = b.read(Tag.SEQUENCE, "ResponseData");
  const sigAlgEl = b.read(Tag.SEQUENCE, "BasicOCSPResponse.signatureAlgorithm");
  const signature = b.bitStringBytes("BasicOCSPResponse.signature");
  const certs: Certificate[] = [];
  const certList = b.context(0, "BasicOCSPResponse.certs");
  if (certList) {
    const seq = certList.sequence("BasicOCSPResponse.certs");
    certList.expectEnd("BasicOCSPResponse.certs");
    while (seq.anyLeft()) {
      const c = seq.read(Tag.SEQUENCE, "Certificate");
      certs.push(parseCertificate(c.raw));
    }
  }
  b.expectEnd("BasicOCSPResponse");
  const signatureAlgorithm = decodeSignatureAlgorithm(sigAlgEl);

  const t = DerReader.of(tbsEl);
  const v = t.context(0, "ResponseData.version");
  if (v) {
    // RFC 6960 §4.2.2.1: v1(0) is the only version.
    if (v.integer("ResponseData.version") !== 0n) {
      throw new DecodeError(
        "ResponseData.version",
        tbsEl.valueOffset,
        "version must be v1",
      );
    }
    v.expectEnd("ResponseData.version");
  }
  const responderId = readResponderId(t, tbsEl.valueOffset);
  const producedAt = generalizedTime(t, "ResponseData.producedAt");
  const list = t.sequence("ResponseData.responses");
  const responses: SingleResponse[] = [];
  while (list.anyLeft()) responses.push(readSingleResponse(list));
  const extReader = t.context(1, "ResponseData.responseExtensions");
  const extensions = extReader ? decodeExtensions(extReader) : [];
  if (extReader) extReader.expectEnd("ResponseData.responseExtensions");
  t.expectEnd("ResponseData");
  const nonceExt = extensions.find((e) => e.oid === OID.ocspNonce);
  const nonce = nonceExt ? nonceValue(nonceExt) : undefined;
  return {
    tbs: tbsEl.raw,
    version: 1,
    responderId,
    producedAt,
    responses,
    ...(nonce ? { nonce } : {}),
    extensions,
    signatureAlgorithm,
    signature,
    certs,
  };
}

/**
 * Decodes an OCSPResponse. Only id-pkix-ocsp-basic responses are
 * understood, as RFC 6960 §4.2.1 requires of every client.
 *
 * @throws {DecodeError} on malformed DER, trailing data, an unknown
 *   response status or type, a successful status without responseBytes (or
 *   another status with them), or a malformed BasicOCSPResponse or embedded
 *   certificate.
 *
 * @example A responder that asks to try later
 * ```ts
 * import { decodeOcspResponse } from "./ocsp.ts";
 * import assert from "node:assert/strict";
 *
 * const r = decodeOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]));
 * assert.equal(r.status, "tryLater");
 * assert.equal(r.basic, undefined);
 * ```
 */
export function decodeOcspResponse(der: Uint8Array): OcspResponse {
  const outer = new DerReader(der);
  const el = outer.read(Tag.SEQUENCE, "OCSPResponse");
  outer.expectEnd("OCSPResponse");
  const r = DerReader.of(el);
  const statusEl = r.read(Tag.ENUMERATED, "OCSPResponse.responseStatus");
  const status = statusEl.value.length === 1
    ? STATUS_NAMES.get(statusEl.value[0] as number)
    : undefined;
  if (status === undefined) {
    throw new DecodeError(
      "OCSPResponse.responseStatus",
      statusEl.valueOffset,
      "unknown status",
    );
  }
  const bytes = r.context(0, "OCSPResponse.responseBytes");
  r.expectEnd("OCSPResponse");
  if (status !== "successful") {
    if (bytes) {
      throw new DecodeError(
        "OCSPResponse.responseBytes",
        statusEl.offset,
        `present with status ${status}`,
      );
    }
    return { der: el.raw, status };
  }
  if (!bytes) {
    throw new DecodeError(
      "OCSPResponse.responseBytes",
      el.valueOffset,
      "missing in a successful response",
    );
  }
  const rb = bytes.sequence("ResponseBytes");
  bytes.expectEnd("OCSPResponse.responseBytes");
  const type = rb.oid("ResponseBytes.responseType");
  const inner = rb.read(Tag.OCTET_STRING, "ResponseBytes.response");
  rb.expectEnd("ResponseBytes");
  if (type !== OID.ocspBasic) {
    throw new DecodeError(
      "ResponseBytes.responseType",
      inner.offset,
      `unsupported response type ${type}`,
    );
  }
  const br = new DerReader(inner.value, inner.valueOffset);
  const basicEl = br.read(Tag.SEQUENCE, "BasicOCSPResponse");
  br.expectEnd("BasicOCSPResponse");
  return { der: el.raw, status, basic: readBasicResponse(basicEl) };
}

/** Options of {@link verifyOcspResponse}. */
export interface VerifyOcspOptions {
  /** The certificate the response must be about. */
  readonly certificate: Pick<Certificate, "serial">;
  /** Its issuer: the CA that signs the response or its delegated responder. */
  readonly issuer: Certificate;
  /** Current time in ms. */
  readonly now: number;
  /** The nonce sent in the request; the response must echo it. */
  readonly nonce?: Uint8Array;
  /** Tolerated clock difference in ms for thisUpdate and nextUpdate; default 5 minutes. */
  readonly clockSkewMs?: number;
}

/**
 * What a verified response says about the certificate.
 *
 * @example
 * ```ts
 * import type { VerifiedOcspStatus } from "./ocsp.ts";
 *
 * const none: VerifiedOcspStatus[] = [];
 * ```
 */
export interface VerifiedOcspStatus {
  readonly status: CertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
  /** Who signed: the issuer itself or a delegated responder. */
  readonly signer: "issuer" | "delegated";
  /** The responder certificate, for `delegated`. */
  readonly responder?: Certificate;
}

const DEFAULT_SKEW_MS = 300_000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function namesSigner(id: ResponderId, cert: Certificate): boolean {
  return id.kind === "name"
    ? id.name.equals(cert.subject)
    : sameBytes(id.keyHash, digest("SHA-1", publicKeyBits(cert)));
}

function sameCertId(a: CertId, b: CertId): boolean {
  return a.hashAlgorithm === b.hashAlgorithm && a.serial === b.serial &&
    sameBytes(a.issuerNameHash, b.issuerNameHash) &&
    sameBytes(a.issuerKeyHash, b.issuerKeyHash);
}

async function signedBy(
  signed: { tbs: Uint8Array; signature: Uint8Array },
  algorithm: SignatureAlgorithm,
  signer: Certificate,
): Promise<boolean> {
  const scheme = algorithm.scheme;
  if (!scheme || scheme.hash === "SHA-1" || !signer.publicKey) {
    throw new OcspError(
      "unsupported",
      `Cannot verify an OCSP signature with ${algorithm.oid}${
        scheme?.hash === "SHA-1" ? " (SHA-1 is not accepted)" : ""
      } by a ${signer.publicKeyAlgorithm.oid} key`,
    );
  }
  return await verifySignature(
    signer.publicKey,
    signed.tbs,
    signed.signature,
    scheme,
  );
}

/**
 * Why `responder` cannot sign for `issuer` (RFC 6960 §4.2.2.2), or
 * undefined when it can: issued directly by the issuer, extKeyUsage
 * id-kp-OCSPSigning, valid at `now`.
 */
async function delegationProblem(
  responder: Certificate,
  issuer: Certificate,
  now: number,
): Promise<string | undefined> {
  const who = `responder ${responder.subject.toString()}`;
  if (!responder.issuer.equals(issuer.subject)) {
    return `${who} is not issued by ${issuer.subject.toString()}`;
  }
  if (!responder.extKeyUsage?.includes(OID.ocspSigning)) {
    return `${who} lacks extKeyUsage OCSPSigning`;
  }
  if (
    now < responder.notBefore.getTime() || now > responder.notAfter.getTime()
  ) {
    return `${who} is outside its validity period`;
  }
  const ok = await signedBy(responder, responder.signatureAlgorithm, issuer)
    .catch(() => false);
  return ok ? undefined : `${who} does not verify with the issuer's key`;
}

/**
 * Checks a decoded response for `options.certificate`: status successful;
 * signer the issuer or a delegated responder named by the ResponderID; the
 * signature; a SingleResponse for the certificate's CertID (in whatever
 * hash the responder used); thisUpdate not in the future and nextUpdate not
 * passed (with `clockSkewMs` leeway); the nonce echoed when one was sent.
 *
 * @throws {OcspError} when the response cannot be relied on.
 *
 * @example A non-successful response is refused
 * ```ts
 * import { decodeOcspResponse, OcspError, verifyOcspResponse } from "./ocsp.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import { issueCertificate } from "./issue.ts";
 * import { parseCertificate } from "./x509/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const ca = parseCertificate(await issueCertificate({ subject: { CN: "ca" }, subjectKey: key, now: 0, days: 1, ca: true }));
 * const response = decodeOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x06]));
 * await assert.rejects(
 *   verifyOcspResponse(response, { certificate: { serial: 2n }, issuer: ca, now: 0 }),
 *   (err) => err instanceof OcspError && err.code === "unsuccessful" && err.responseStatus === "unauthorized",
 * );
 * ```
 */
export async function verifyOcspResponse(
  response: OcspResponse,
  options: VerifyOcspOptions,
): Promise<VerifiedOcspStatus> {
  const basic = response.basic;
  if (response.status !== "successful" || basic === undefined) {
    throw new OcspError(
      "unsuccessful",
      `OCSP responder answered ${response.status}`,
      { responseStatus: response.status },
    );
  }
  const { issuer, now } = options;
  let responder: Certificate | undefined;
  if (!namesSigner(basic.responderId, issuer)) {
    const problems: string[] = [];
    for (const cert of basic.certs) {
      if (!namesSigner(basic.responderId, cert)) continue;
      const problem = await delegationProblem(cert, issuer, now);
      if (problem === undefined) {
        responder = cert;
        break;
      }
      problems.push(problem);
    }
    if (responder === undefined) {
      throw new OcspError(
        "unauthorized_responder",
        problems.length > 0
          ? `OCSP response signer is not authorized: ${problems.join("; ")}`
          : "OCSP response is signed neither by the issuer nor by a responder certificate it includes",
      );
    }
  }
  const signer = responder ?? issuer;
  if (!await signedBy(basic, basic.signatureAlgorithm, signer)) {
    throw new OcspError(
      "bad_signature",
      `OCSP response signature does not verify with the key of ${signer.subject.toString()}`,
    );
  }
  const ids = new Map<HashAlgorithm, CertId>();
  const single = basic.responses.find((s) => {
    if (s.certId === undefined) return false;
    const alg = s.certId.hashAlgorithm;
    let mine = ids.get(alg);
    if (mine === undefined) {
      mine = certIdFor(options.certificate, issuer, alg);
      ids.set(alg, mine);
    }
    return sameCertId(s.certId, mine);
  });
  if (single === undefined) {
    throw new OcspError(
      "no_matching_response",
      `OCSP response has no status for serial ${
        options.certificate.serial.toString(16)
      }`,
    );
  }
  const skew = options.clockSkewMs ?? DEFAULT_SKEW_MS;
  if (single.thisUpdate.getTime() > now + skew) {
    throw new OcspError(
      "not_yet_valid",
      `OCSP response thisUpdate ${single.thisUpdate.toISOString()} is in the future`,
    );
  }
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew) {
    throw new OcspError(
      "expired",
      `OCSP response expired at ${single.nextUpdate.toISOString()}`,
    );
  }
  if (
    options.nonce !== undefined &&
    (basic.nonce === undefined || !sameBytes(basic.nonce, options.nonce))
  ) {
    throw new OcspError(
      "nonce_mismatch",
      basic.nonce === undefined
        ? "OCSP response carries no nonce"
        : "OCSP response nonce differs from the request's",
    );
  }
  return {
    status: single.status,
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    producedAt: basic.producedAt,
    signer: responder ? "delegated" : "issuer",
    ...(responder ? { responder } : {}),
  };
}
