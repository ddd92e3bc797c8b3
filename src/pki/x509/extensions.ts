/**
 * X.509 v3 certificate extensions (RFC 5280 §4.2): the Extensions list and
 * decoders for the extensions postern uses: basic constraints, key usage,
 * extended key usage, subject alternative name, key identifiers, CRL
 * distribution points and authority information access.
 *
 * @module
 */

import { formatIp } from "../../bytes/ip_address.ts";
import { DecodeError, encodeHex } from "../../bytes/mod.ts";
import {
  decodeOid,
  type DerElement,
  DerReader,
  integerValue,
  stringValue,
  Tag,
} from "../asn1/mod.ts";
import { decodeName } from "../name.ts";
import { OID } from "../oids.ts";

/**
 * One Extension (RFC 5280 §4.1.2.9).
 *
 * @example
 * ```ts
 * import { decodeExtensions, type Extension } from "./extensions.ts";
 * import { DerReader, derOctetString, derOid, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const der = derSequence([derSequence([derOid("1.2.3.4"), derOctetString(new Uint8Array([5, 0]))])]);
 * const [ext]: Extension[] = decodeExtensions(new DerReader(der));
 * assert.deepEqual(ext, { oid: "1.2.3.4", critical: false, value: new Uint8Array([5, 0]) });
 * ```
 */
export interface Extension {
  /** The extnID in dotted form. */
  readonly oid: string;
  /** The critical flag (DEFAULT FALSE). */
  readonly critical: boolean;
  /** The content of extnValue: the DER of the extension's own structure. */
  readonly value: Uint8Array;
}

/**
 * What a {@link GeneralName} names.
 *
 * @example
 * ```ts
 * import type { GeneralNameType } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * const type: GeneralNameType = "ip";
 * assert.equal(type, "ip");
 * ```
 */
export type GeneralNameType = "dns" | "ip" | "uri" | "email" | "dn" | "other";

/**
 * A GeneralName (RFC 5280 §4.2.1.6) as text: a DNS name, an IP address
 * (IPv4 dotted, IPv6 in RFC 5952 compressed form), a URI, an e-mail address,
 * a directory name in RFC 4514 form, or `other`: an otherName as
 * `OID:value` (value as text for a string type, else `#` and the DER in hex),
 * a registeredID as its OID, an x400Address or ediPartyName as `#` and hex.
 *
 * @example
 * ```ts
 * import { decodeGeneralNames, type GeneralName } from "./extensions.ts";
 * import { derImplicit, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ipv6 = new Uint8Array(16);
 * ipv6[15] = 1;
 * const names: GeneralName[] = decodeGeneralNames(derSequence([derImplicit(7, ipv6)]));
 * assert.deepEqual(names, [{ type: "ip", value: "::1" }]);
 * ```
 */
export interface GeneralName {
  readonly type: GeneralNameType;
  readonly value: string;
}

/**
 * basicConstraints (RFC 5280 §4.2.1.9).
 *
 * @example
 * ```ts
 * import { type BasicConstraints, decodeBasicConstraints } from "./extensions.ts";
 * import { derBoolean, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bc: BasicConstraints = decodeBasicConstraints(derSequence([derBoolean(true)]));
 * assert.deepEqual(bc, { ca: true });
 * ```
 */
export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLen?: number;
}

/**
 * The KeyUsage bits (RFC 5280 §4.2.1.3), in bit order.
 *
 * @example
 * ```ts
 * import { KEY_USAGES } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(KEY_USAGES.indexOf("keyCertSign"), 5);
 * ```
 */
export const KEY_USAGES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

/**
 * One KeyUsage bit name.
 *
 * @example
 * ```ts
 * import { decodeKeyUsage, type KeyUsage } from "./extensions.ts";
 * import { derBitString } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const usages: KeyUsage[] = decodeKeyUsage(derBitString(new Uint8Array([0x80]), 7));
 * assert.deepEqual(usages, ["digitalSignature"]);
 * ```
 */
export type KeyUsage = typeof KEY_USAGES[number];

/**
 * authorityKeyIdentifier (RFC 5280 §4.2.1.1).
 *
 * @example
 * ```ts
 * import { type AuthorityKeyIdentifier, decodeAuthorityKeyIdentifier } from "./extensions.ts";
 * import { derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const aki: AuthorityKeyIdentifier = decodeAuthorityKeyIdentifier(derSequence([]));
 * assert.deepEqual(aki, {});
 * ```
 */
export interface AuthorityKeyIdentifier {
  readonly keyId?: Uint8Array;
  readonly issuer?: GeneralName[];
  readonly serial?: bigint;
}

/**
 * Key purpose OIDs for extKeyUsage (RFC 5280 §4.2.1.12).
 *
 * @example
 * ```ts
 * import { KeyPurpose } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(KeyPurpose.clientAuth, "1.3.6.1.5.5.7.3.2");
 * ```
 */
export const KeyPurpose = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  OCSPSigning: "1.3.6.1.5.5.7.3.9",
  anyExtendedKeyUsage: OID.anyExtendedKeyUsage,
} as const;

const PURPOSE_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries(KeyPurpose).map(([name, oid]) => [oid, name]),
);

/**
 * The short name of a key purpose OID (`serverAuth`, `clientAuth`, …), or the
 * OID itself when unknown.
 *
 * @example
 * ```ts
 * import { keyPurposeName } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keyPurposeName("1.3.6.1.5.5.7.3.1"), "serverAuth");
 * assert.equal(keyPurposeName("1.2.3"), "1.2.3");
 * ```
 */
export function keyPurposeName(oid: string): string {
  return PURPOSE_NAMES.get(oid) ?? oid;
}

/**
 * Extensions that postern's path validation processes; a critical extension
 * outside this set makes validation fail (RFC 5280 §4.2). certificatePolicies
 * is listed because validation runs with the initial policy set anyPolicy
 * and no explicit-policy requirement (RFC 5280 §6.1.1 (c), (f)), under which
 * policies never cause a failure; policyConstraints, policyMappings,
 * inhibitAnyPolicy and nameConstraints are not processed.
 *
 * @example
 * ```ts
 * import { HANDLED_EXTENSIONS } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(HANDLED_EXTENSIONS.has("2.5.29.19"));
 * assert.ok(!HANDLED_EXTENSIONS.has("2.5.29.30"));
 * ```
 */
export const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
  OID.certificatePolicies,
]);

/**
 * Decodes `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`
 * (RFC 5280 §4.1.2.9) from the content of the `[3]` wrapper.
 *
 * @throws {DecodeError} on malformed DER or when an extension appears twice
 * ("A certificate MUST NOT include more than one instance of a particular
 * extension").
 *
 * @example
 * ```ts
 * import { decodeExtensions } from "./extensions.ts";
 * import { DerReader, derBoolean, derOctetString, derOid, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ext = derSequence([derOid("2.5.29.19"), derBoolean(true), derOctetString(derSequence([]))]);
 * const list = decodeExtensions(new DerReader(derSequence([ext])));
 * assert.equal(list[0]?.critical, true);
 * ```
 */
export function decodeExtensions(r: DerReader): Extension[] {
  const seq = r.sequence("Extensions");
  r.expectEnd("Extensions");
  const out: Extension[] = [];
  const seen = new Set<string>();
  while (seq.anyLeft()) {
    const extEl = seq.read(Tag.SEQUENCE, "Extension");
    const ext = DerReader.of(extEl);
    const oid = ext.oid("Extension.extnID");
    const critical = ext.peekTag() === Tag.BOOLEAN
      ? ext.boolean("Extension.critical")
      : false;
    const value = ext.octetString("Extension.extnValue");
    ext.expectEnd("Extension");
    if (seen.has(oid)) {
      throw new DecodeError(
        "Extension",
        extEl.offset,
        `duplicate extension ${oid}`,
      );
    }
    seen.add(oid);
    out.push({ oid, critical, value });
  }
  return out;
}

/** A reader over one extension's value, rejecting trailing data at `done()`. */
function only(
  value: Uint8Array,
  offset: number,
  what: string,
): { r: DerReader; done: () => void } {
  const r = new DerReader(value, offset);
  return { r, done: () => r.expectEnd(what) };
}

/**
 * Decodes basicConstraints (RFC 5280 §4.2.1.9).
 *
 * @example
 * ```ts
 * import { decodeBasicConstraints } from "./extensions.ts";
 * import { derBoolean, derInteger, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeBasicConstraints(derSequence([derBoolean(true), derInteger(0n)])), { ca: true, pathLen: 0 });
 * assert.deepEqual(decodeBasicConstraints(derSequence([])), { ca: false });
 * ```
 */
export function decodeBasicConstraints(
  value: Uint8Array,
  offset = 0,
): BasicConstraints {
  const { r, done } = only(value, offset, "BasicConstraints");
  const seq = r.sequence("BasicConstraints");
  done();
  const ca = seq.peekTag() === Tag.BOOLEAN
    ? seq.boolean("BasicConstraints.cA")
    : false;
  let pathLen: number | undefined;
  if (seq.peekTag() === Tag.INTEGER) {
    const v = seq.integer("BasicConstraints.pathLenConstraint");
    if (v < 0n || v > 0x7fffffffn) {
      throw new DecodeError(
        "BasicConstraints.pathLenConstraint",
        offset,
        "out of range",
      );
    }
    pathLen = Number(v);
  }
  seq.expectEnd("BasicConstraints");
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

/**
 * Decodes keyUsage (RFC 5280 §4.2.1.3) into the names of the bits set.
 *
 * @example
 * ```ts
 * import { decodeKeyUsage } from "./extensions.ts";
 * import { derBitString } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // keyCertSign (bit 5) and cRLSign (bit 6)
 * assert.deepEqual(decodeKeyUsage(derBitString(new Uint8Array([0x06]), 1)), ["keyCertSign", "cRLSign"]);
 * ```
 */
export function decodeKeyUsage(value: Uint8Array, offset = 0): KeyUsage[] {
  const { r, done } = only(value, offset, "KeyUsage");
  const bits = r.bitString("KeyUsage");
  done();
  const out: KeyUsage[] = [];
  const total = bits.bytes.length * 8 - bits.unusedBits;
  KEY_USAGES.forEach((name, i) => {
    if (i < total && ((bits.bytes[i >> 3] as number) & (0x80 >> (i & 7)))) {
      out.push(name);
    }
  });
  return out;
}

/**
 * Decodes extKeyUsage (RFC 5280 §4.2.1.12) into key purpose OIDs.
 *
 * @example
 * ```ts
 * import { decodeExtKeyUsage } from "./extensions.ts";
 * import { derOid, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeExtKeyUsage(derSequence([derOid("1.3.6.1.5.5.7.3.2")])), ["1.3.6.1.5.5.7.3.2"]);
 * ```
 */
export function decodeExtKeyUsage(value: Uint8Array, offset = 0): string[] {
  const { r, done } = only(value, offset, "ExtKeyUsageSyntax");
  const seq = r.sequence("ExtKeyUsageSyntax");
  done();
  const out: string[] = [];
  while (seq.anyLeft()) out.push(seq.oid("KeyPurposeId"));
  if (out.length === 0) {
    throw new DecodeError("ExtKeyUsageSyntax", offset, "empty");
  }
  return out;
}

function ia5(el: DerElement, what: string): string {
  let s = "";
  for (let i = 0; i < el.value.length; i++) {
    const c = el.value[i] as number;
    if (c > 0x7f) {
      throw new DecodeError(what, el.valueOffset + i, "non-ASCII character");
    }
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Formats an iPAddress GeneralName: IPv4 dotted decimal, IPv6 in the RFC 5952
 * §4 canonical form (lower case, no leading zeros, the longest run of two or
 * more zero groups, the first one on a tie, as `::`; no mixed IPv4 notation).
 *
 * @throws {RangeError} unless `bytes` has 4 or 16 octets.
 *
 * @example
 * ```ts
 * import { formatIpAddress } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIpAddress(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * assert.equal(formatIpAddress(new Uint8Array([...new Array(15).fill(0), 1])), "::1");
 * assert.equal(formatIpAddress(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])), "2001:db8::1:0:0:1");
 * ```
 */
export function formatIpAddress(bytes: Uint8Array): string {
  return formatIp(bytes);
}

/**
 * Decodes one GeneralName element (RFC 5280 §4.2.1.6).
 *
 * @throws {DecodeError} on malformed content, a non-ASCII IA5String or an
 * iPAddress that is not 4 or 16 octets.
 *
 * @example
 * ```ts
 * import { decodeGeneralName } from "./extensions.ts";
 * import { DerReader, derImplicit } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const el = new DerReader(derImplicit(2, new TextEncoder().encode("localhost"))).next();
 * assert.deepEqual(decodeGeneralName(el), { type: "dns", value: "localhost" });
 * ```
 */
export function decodeGeneralName(el: DerElement): GeneralName {
  const what = "GeneralName";
  switch (el.tag) {
    case 0xa0: {
      const r = DerReader.of(el);
      const typeId = r.oid("OtherName.type-id");
      const wrapped = r.context(0, "OtherName.value");
      r.expectEnd("OtherName");
      if (!wrapped) {
        throw new DecodeError("OtherName.value", el.valueOffset, "missing");
      }
      const inner = wrapped.next("OtherName.value");
      wrapped.expectEnd("OtherName.value");
      const text = isStringTag(inner.tag)
        ? stringValue(inner, "OtherName.value")
        : "#" + encodeHex(inner.raw).toUpperCase();
      return { type: "other", value: `${typeId}:${text}` };
    }
    case 0x81:
      return { type: "email", value: ia5(el, "GeneralName.rfc822Name") };
    case 0x82:
      return { type: "dns", value: ia5(el, "GeneralName.dNSName") };
    case 0xa3:
    case 0xa5:
      return { type: "other", value: "#" + encodeHex(el.raw).toUpperCase() };
    case 0xa4: {
      const r = DerReader.of(el);
      const name = decodeName(r.next("GeneralName.directoryName"));
      r.expectEnd("GeneralName.directoryName");
      return { type: "dn", value: name.toString() };
    }
    case 0x86:
      return {
        type: "uri",
        value: ia5(el, "GeneralName.uniformResourceIdentifier"),
      };
    case 0x87:
      if (el.value.length !== 4 && el.value.length !== 16) {
        throw new DecodeError(
          "GeneralName.iPAddress",
          el.valueOffset,
          `${el.value.length} octets is not an IPv4 or IPv6 address`,
        );
      }
      return { type: "ip", value: formatIpAddress(el.value) };
    case 0x88:
      return { type: "other", value: decodeOid(el.value, el.valueOffset) };
    default:
      throw new DecodeError(
        what,
        el.offset,
        `unknown GeneralName tag 0x${el.tag.toString(16)}`,
      );
  }
}

function isStringTag(tag: number): boolean {
  return tag === Tag.UTF8_STRING || tag === Tag.PRINTABLE_STRING ||
    tag === Tag.IA5_STRING || tag === Tag.VISIBLE_STRING ||
    tag === Tag.T61_STRING || tag === Tag.BMP_STRING ||
    tag === Tag.UNIVERSAL_STRING;
}

/** Reads GeneralNames content (SEQUENCE SIZE (1..MAX) OF GeneralName). */
function readGeneralNames(r: DerReader, what: string): GeneralName[] {
  const out: GeneralName[] = [];
  while (r.anyLeft()) out.push(decodeGeneralName(r.next(what)));
  return out;
}

/**
 * Decodes subjectAltName or issuerAltName (RFC 5280 §4.2.1.6, §4.2.1.7).
 *
 * @example
 * ```ts
 * import { decodeGeneralNames } from "./extensions.ts";
 * import { derImplicit, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const san = derSequence([derImplicit(7, new Uint8Array([10, 0, 0, 1]))]);
 * assert.deepEqual(decodeGeneralNames(san), [{ type: "ip", value: "10.0.0.1" }]);
 * ```
 */
export function decodeGeneralNames(
  value: Uint8Array,
  offset = 0,
): GeneralName[] {
  const { r, done } = only(value, offset, "GeneralNames");
  const seq = r.sequence("GeneralNames");
  done();
  const names = readGeneralNames(seq, "GeneralName");
  if (names.length === 0) {
    throw new DecodeError("GeneralNames", offset, "empty");
  }
  return names;
}

/**
 * Decodes a key identifier extension value: subjectKeyIdentifier
 * (RFC 5280 §4.2.1.2), an OCTET STRING.
 *
 * @example
 * ```ts
 * import { decodeSubjectKeyIdentifier } from "./extensions.ts";
 * import { derOctetString } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeSubjectKeyIdentifier(derOctetString(new Uint8Array([1, 2]))), new Uint8Array([1, 2]));
 * ```
 */
export function decodeSubjectKeyIdentifier(
  value: Uint8Array,
  offset = 0,
): Uint8Array {
  const { r, done } = only(value, offset, "SubjectKeyIdentifier");
  const id = r.octetString("SubjectKeyIdentifier");
  done();
  return id.slice();
}

/**
 * Decodes authorityKeyIdentifier (RFC 5280 §4.2.1.1).
 *
 * @example
 * ```ts
 * import { decodeAuthorityKeyIdentifier } from "./extensions.ts";
 * import { derImplicit, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const aki = decodeAuthorityKeyIdentifier(derSequence([derImplicit(0, new Uint8Array([9, 9]))]));
 * assert.deepEqual(aki.keyId, new Uint8Array([9, 9]));
 * ```
 */
export function decodeAuthorityKeyIdentifier(
  value: Uint8Array,
  offset = 0,
): AuthorityKeyIdentifier {
  const what = "AuthorityKeyIdentifier";
  const { r, done } = only(value, offset, what);
  const seq = r.sequence(what);
  done();
  const keyIdEl = seq.optional(0x80, `${what}.keyIdentifier`);
  const issuerR = seq.context(1, `${what}.authorityCertIssuer`);
  const serialEl = seq.optional(0x82, `${what}.authorityCertSerialNumber`);
  seq.expectEnd(what);
  // RFC 5280 §4.2.1.1 (ASN.1 comment): issuer and serial appear together or not at all.
  if ((issuerR === undefined) !== (serialEl === undefined)) {
    throw new DecodeError(
      what,
      offset,
      "authorityCertIssuer and authorityCertSerialNumber must both be present",
    );
  }
  const serial = serialEl
    ? integerValue(serialEl, `${what}.authorityCertSerialNumber`)
    : undefined;
  return {
    ...(keyIdEl ? { keyId: keyIdEl.value.slice() } : {}),
    ...(issuerR
      ? { issuer: readGeneralNames(issuerR, `${what}.authorityCertIssuer`) }
      : {}),
    ...(serial !== undefined ? { serial } : {}),
  };
}

/**
 * Decodes cRLDistributionPoints (RFC 5280 §4.2.1.13) and returns the URIs of
 * every distribution point's fullName, in order.
 *
 * @example
 * ```ts
 * import { decodeCrlDistributionPoints } from "./extensions.ts";
 * import { derExplicit, derImplicit, derSequence, derTlv } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const uri = derImplicit(6, new TextEncoder().encode("http://ca/crl"));
 * const dp = derSequence([derExplicit(0, [derTlv(0xa0, uri)])]);
 * assert.deepEqual(decodeCrlDistributionPoints(derSequence([dp])), ["http://ca/crl"]);
 * ```
 */
export function decodeCrlDistributionPoints(
  value: Uint8Array,
  offset = 0,
): string[] {
  const what = "CRLDistributionPoints";
  const { r, done } = only(value, offset, what);
  const seq = r.sequence(what);
  done();
  const uris: string[] = [];
  while (seq.anyLeft()) {
    const dp = seq.sequence("DistributionPoint");
    const dpName = dp.context(0, "DistributionPoint.distributionPoint");
    if (dpName) {
      const full = dpName.context(0, "DistributionPointName.fullName");
      if (full) {
        for (const n of readGeneralNames(full, "GeneralName")) {
          if (n.type === "uri") uris.push(n.value);
        }
      } else {
        dpName.read(0xa1, "DistributionPointName.nameRelativeToCRLIssuer");
      }
      dpName.expectEnd("DistributionPointName");
    }
    dp.optional(0x81, "DistributionPoint.reasons");
    const crlIssuer = dp.context(2, "DistributionPoint.cRLIssuer");
    if (crlIssuer) readGeneralNames(crlIssuer, "GeneralName");
    dp.expectEnd("DistributionPoint");
  }
  return uris;
}

/**
 * The OCSP responder and CA issuer URIs of an authorityInfoAccess extension.
 *
 * @example
 * ```ts
 * import { type AuthorityInfoAccess, decodeAuthorityInfoAccess } from "./extensions.ts";
 * import { derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const aia: AuthorityInfoAccess = decodeAuthorityInfoAccess(derSequence([]));
 * assert.deepEqual(aia, { ocsp: [], caIssuers: [] });
 * ```
 */
export interface AuthorityInfoAccess {
  readonly ocsp: string[];
  readonly caIssuers: string[];
}

/**
 * Decodes authorityInfoAccess (RFC 5280 §4.2.2.1), keeping URI locations of
 * the id-ad-ocsp and id-ad-caIssuers access methods.
 *
 * @example
 * ```ts
 * import { decodeAuthorityInfoAccess } from "./extensions.ts";
 * import { derImplicit, derOid, derSequence } from "../asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ad = derSequence([derOid("1.3.6.1.5.5.7.48.1"), derImplicit(6, new TextEncoder().encode("http://ocsp"))]);
 * assert.deepEqual(decodeAuthorityInfoAccess(derSequence([ad])), { ocsp: ["http://ocsp"], caIssuers: [] });
 * ```
 */
export function decodeAuthorityInfoAccess(
  value: Uint8Array,
  offset = 0,
): AuthorityInfoAccess {
  const what = "AuthorityInfoAccessSyntax";
  const { r, done } = only(value, offset, what);
  const seq = r.sequence(what);
  done();
  const ocsp: string[] = [];
  const caIssuers: string[] = [];
  while (seq.anyLeft()) {
    const ad = seq.sequence("AccessDescription");
    const method = ad.oid("AccessDescription.accessMethod");
    const location = decodeGeneralName(
      ad.next("AccessDescription.accessLocation"),
    );
    ad.expectEnd("AccessDescription");
    if (location.type !== "uri") continue;
    if (method === OID.ocsp) ocsp.push(location.value);
    else if (method === OID.caIssuers) caIssuers.push(location.value);
  }
  return { ocsp, caIssuers };
}
