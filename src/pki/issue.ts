/**
 * Issuing X.509 v3 certificates (RFC 5280 §4.1) for development CAs, servers
 * and devices: names, validity, a random serial, the usual extensions and an
 * ECDSA (or RSA PKCS#1 v1.5) signature by the issuer's key.
 *
 * ```
 * TBSCertificate  ::=  SEQUENCE  {
 *      version         [0]  EXPLICIT Version DEFAULT v1,   -- always v3
 *      serialNumber         CertificateSerialNumber,
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,
 *      validity             Validity,
 *      subject              Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * Extensions written, in this order: basicConstraints (critical, §4.2.1.9),
 * keyUsage (critical, §4.2.1.3), extKeyUsage (§4.2.1.12), subjectAltName
 * (§4.2.1.6; critical when the subject is empty), subjectKeyIdentifier
 * (§4.2.1.2, method 1) and authorityKeyIdentifier (§4.2.1.1, the issuer's
 * key identifier; also in self-signed certificates).
 *
 * Version-1 certificates are never produced: rustls (and so Deno's TLS)
 * refuses them.
 *
 * The builder takes the time as `now` and reads no clock; the serial number
 * comes from the platform CSPRNG unless given.
 *
 * @module
 */

import {
  digest,
  type EcCurve,
  type PrivateKey,
  type PublicKey,
  publicKeyOf,
  randomBytes,
  sign,
  type SignatureScheme,
} from "../crypto/mod.ts";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derInteger,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  derTime,
} from "./asn1/mod.ts";
import { encodeSignatureAlgorithm } from "./algorithm.ts";
import { encodeName, type NameEntry } from "./name.ts";
import { OID } from "./oids.ts";
import { encodeSpki } from "./spki.ts";
import {
  encodeSubjectAltName,
  parseSubjectAltName,
  type SubjectAltName,
} from "./issue/subject_alt_name.ts";

export {
  encodeSubjectAltName,
  isDnsName,
  parseIpAddress,
  parseSubjectAltName,
  type SubjectAltName,
} from "./issue/subject_alt_name.ts";

/**
 * A distinguished name to issue: either attributes by short name
 * (`{ CN: "device-1", O: "Acme" }`, put in the conventional order `DC`, `C`,
 * `ST`, `L`, `O`, `OU`, …, `CN`, `emailAddress`), or an attribute list used
 * in the order given (most general first, as in DER).
 *
 * @example The same name both ways
 * ```ts
 * import { encodeNameInput, type NameInput } from "./issue.ts";
 * import assert from "node:assert/strict";
 *
 * const byName: NameInput = { CN: "device-1", O: "Acme" };
 * const listed: NameInput = [{ type: "O", value: "Acme" }, { type: "CN", value: "device-1" }];
 * assert.deepEqual(encodeNameInput(byName), encodeNameInput(listed));
 * ```
 */
export type NameInput =
  | Readonly<Record<string, string>>
  | readonly NameEntry[];

/** The KeyUsage bits (RFC 5280 §4.2.1.3) by name. */
export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

// KeyUsage ::= BIT STRING { digitalSignature (0), … decipherOnly (8) }
const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

const EXT_KEY_USAGES: Readonly<Record<string, string>> = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
};

// Conventional RDN order for a record-style name, most general first.
const NAME_ORDER = [
  "DC",
  "C",
  "ST",
  "L",
  "street",
  "postalCode",
  "O",
  "OU",
  "title",
  "serialNumber",
  "CN",
  "emailAddress",
  "UID",
];

/**
 * How far notBefore is put before `now` unless told: 5 minutes, so that a
 * peer whose clock is slightly behind accepts a certificate issued just now.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKDATE_SECONDS } from "./issue.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_BACKDATE_SECONDS, 300);
 * ```
 */
export const DEFAULT_BACKDATE_SECONDS = 300;

const DAY_MS = 86_400_000;

/** The CA that signs a certificate. */
export interface CertificateIssuer {
  /**
   * The issuer's subject name: as a {@link NameInput}, or the DER of the
   * Name taken from the CA certificate (`Certificate.subject.raw`), which
   * keeps it byte-identical as RFC 5280 §4.1.2.4 chaining expects.
   */
  readonly name: NameInput | Uint8Array;
  /** The CA's private key. */
  readonly key: PrivateKey;
  /**
   * The CA certificate's subjectKeyIdentifier, copied into
   * authorityKeyIdentifier. Defaults to {@link subjectKeyIdentifier} of the
   * CA's public key, which is what this module writes into CA certificates.
   */
  readonly keyId?: Uint8Array;
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** The subject name; may be empty only when subjectAltNames are given. */
  readonly subject: NameInput;
  /**
   * The subject's key. A private key is accepted (its public half is
   * certified) and is required for a self-signed certificate.
   */
  readonly subjectKey: PublicKey | PrivateKey;
  /** The signing CA; absent for a self-signed certificate. */
  readonly issuer?: CertificateIssuer;
  /** The issuing time (a Date or milliseconds since the epoch). */
  readonly now: Date | number;
  /** Validity in days from `now`. Exactly one of `days` and `notAfter`. */
  readonly days?: number;
  /** End of validity. Exactly one of `days` and `notAfter`. */
  readonly notAfter?: Date | number;
  /** Seconds notBefore lies before `now`; {@link DEFAULT_BACKDATE_SECONDS} unless given. */
  readonly backdateSeconds?: number;
  /** The serial number (positive, at most 20 octets); random unless given. */
  readonly serial?: bigint;
  /** Whether the subject is a CA (basicConstraints cA). Default false. */
  readonly ca?: boolean;
  /** basicConstraints pathLenConstraint; only for a CA. */
  readonly pathLen?: number;
  /**
   * keyUsage bits. Default: `keyCertSign`, `cRLSign` for a CA;
   * `digitalSignature`, `keyAgreement` for an EC leaf key;
   * `digitalSignature`, `keyEncipherment` for an RSA leaf key.
   */
  readonly keyUsage?: readonly KeyUsageName[];
  /**
   * extKeyUsage purposes: `serverAuth`, `clientAuth` or dotted OIDs.
   * Omitted from the certificate when empty or absent.
   */
  readonly extKeyUsage?: readonly string[];
  /**
   * subjectAltName entries, typed or as text read by
   * {@link parseSubjectAltName}. Omitted from the certificate when empty or
   * absent.
   */
  readonly subjectAltNames?: readonly (SubjectAltName | string)[];
}

/**
 * Issues an X.509 v3 certificate and returns its DER.
 *
 * The signature algorithm follows the issuer's key: ecdsa-with-SHA256 for
 * P-256, ecdsa-with-SHA384 for P-384 (RFC 5758 §3.2), sha256WithRSAEncryption
 * for RSA (RFC 4055 §5).
 *
 * @param options What to certify and who signs.
 * @returns The certificate DER.
 * @throws {RangeError} for inconsistent options: no or both validity
 * options, non-positive validity, a pathLen without `ca`, an empty subject
 * without subjectAltNames, a serial out of range, an unknown key usage or
 * purpose, a name that does not fit its type, or a self-signed certificate
 * without the subject's private key.
 *
 * @example A self-signed CA and a server certificate it signs
 * ```ts
 * import { issueCertificate } from "./issue.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import { encodePem } from "./pem.ts";
 * import assert from "node:assert/strict";
 *
 * const now = new Date("2026-01-01T00:00:00Z");
 * const caKey = await generateEcKeyPair("P-256");
 * const ca = await issueCertificate({
 *   subject: { CN: "example CA" }, subjectKey: caKey, now, days: 3650, ca: true, pathLen: 0,
 * });
 * const serverKey = await generateEcKeyPair("P-256");
 * const server = await issueCertificate({
 *   subject: { CN: "broker" },
 *   subjectKey: serverKey,
 *   issuer: { name: { CN: "example CA" }, key: caKey },
 *   now,
 *   days: 365,
 *   extKeyUsage: ["serverAuth"],
 *   subjectAltNames: ["localhost", "127.0.0.1", "::1"],
 * });
 * assert.equal(server[0], 0x30);
 * assert.match(encodePem("CERTIFICATE", ca), /^-----BEGIN CERTIFICATE-----/);
 * ```
 */
export async function issueCertificate(
  options: IssueCertificateOptions,
): Promise<Uint8Array> {
  const subjectPublic = isPrivateKey(options.subjectKey)
    ? publicKeyOf(options.subjectKey)
    : options.subjectKey;
  const issuer = options.issuer ?? selfIssuer(options);
  const scheme = signatureSchemeFor(issuer.key);
  const signatureAlgorithm = encodeSignatureAlgorithm(scheme);

  const subjectName = encodeNameInput(options.subject);
  const issuerName = issuer.name instanceof Uint8Array
    ? issuer.name
    : encodeNameInput(issuer.name);
  const spki = encodeSpki(subjectPublic);
  const keyId = keyIdentifierOfSpki(spki);
  const issuerKeyId = options.issuer
    ? issuer.keyId ?? subjectKeyIdentifier(publicKeyOf(issuer.key))
    : keyId;

  const sans = (options.subjectAltNames ?? []).map((n) =>
    typeof n === "string" ? parseSubjectAltName(n) : n
  );
  const emptySubject = subjectName.length === 2;
  if (emptySubject && sans.length === 0) {
    throw new RangeError(
      "Cannot issue certificate: an empty subject needs subjectAltNames",
    );
  }

  const tbs = derSequence([
    // RFC 5280 §4.1.2.1: v3 (value 2) because extensions are present.
    derExplicit(0, [derInteger(2n)]),
    derInteger(checkedSerial(options.serial)),
    signatureAlgorithm,
    issuerName,
    encodeValidity(options),
    subjectName,
    spki,
    derExplicit(3, [
      derSequence(
        extensions(options, {
          subjectPublic,
          sans,
          emptySubject,
          keyId,
          issuerKeyId,
        }),
      ),
    ]),
  ]);
  const signature = await sign(issuer.key, tbs, scheme);
  return derSequence([tbs, signatureAlgorithm, derBitString(signature)]);
}

/**
 * The subjectKeyIdentifier of a public key by RFC 5280 §4.2.1.2 method 1:
 * the SHA-1 of the subjectPublicKey BIT STRING's value (without tag, length
 * and unused-bits octet). OpenSSL computes the same by default.
 *
 * @example
 * ```ts
 * import { subjectKeyIdentifier } from "./issue.ts";
 * import { generateEcKeyPair, publicKeyOf } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * assert.equal(subjectKeyIdentifier(publicKeyOf(key)).length, 20);
 * ```
 */
export function subjectKeyIdentifier(key: PublicKey): Uint8Array {
  return keyIdentifierOfSpki(encodeSpki(key));
}

/**
 * A fresh serial number: 16 random octets with the top bit cleared, so the
 * INTEGER is positive and at most 16 octets long, and never zero
 * (RFC 5280 §4.1.2.2; CA/Browser Forum baseline requirements ask for at
 * least 64 random bits).
 *
 * @param random The random source; the platform CSPRNG unless given.
 *
 * @example
 * ```ts
 * import { randomSerial } from "./issue.ts";
 * import assert from "node:assert/strict";
 *
 * const serial = randomSerial();
 * assert.ok(serial > 0n && serial < 1n << 127n);
 * assert.equal(randomSerial(() => new Uint8Array(16).fill(0xff)), (1n << 127n) - 1n);
 * ```
 */
export function randomSerial(
  random: (n: number) => Uint8Array = randomBytes,
): bigint {
  for (;;) {
    const bytes = random(16);
    bytes[0] = (bytes[0] as number) & 0x7f;
    let serial = 0n;
    for (const b of bytes) serial = (serial << 8n) | BigInt(b);
    if (serial !== 0n) return serial;
  }
}

/**
 * Encodes a {@link NameInput} as a DER Name.
 *
 * @throws {RangeError} for an unknown attribute type, an empty value or a
 * value that does not fit its string type.
 *
 * @example
 * ```ts
 * import { encodeNameInput } from "./issue.ts";
 * import { encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeNameInput({ CN: "device-1", C: "DE", O: "Acme" }),
 *   encodeName([{ type: "C", value: "DE" }, { type: "O", value: "Acme" }, { type: "CN", value: "device-1" }]),
 * );
 * ```
 */
export function encodeNameInput(name: NameInput): Uint8Array {
  const entries: NameEntry[] = isEntryList(name)
    ? [...name]
    : Object.entries(name)
      .map(([type, value]) => ({ type, value }))
      .sort((a, b) => nameRank(a.type) - nameRank(b.type));
  for (const e of entries) {
    if (e.value === "") {
      throw new RangeError(`Cannot encode name: ${e.type} is empty`);
    }
  }
  return encodeName(entries);
}

function isEntryList(name: NameInput): name is readonly NameEntry[] {
  return Array.isArray(name);
}

function nameRank(type: string): number {
  const i = NAME_ORDER.findIndex((t) => t.toLowerCase() === type.toLowerCase());
  // Unknown attribute types sit between OU-level attributes and CN.
  return i === -1 ? NAME_ORDER.indexOf("CN") - 0.5 : i;
}

function isPrivateKey(key: PublicKey | PrivateKey): key is PrivateKey {
  return "d" in key;
}

function selfIssuer(options: IssueCertificateOptions): CertificateIssuer {
  if (!isPrivateKey(options.subjectKey)) {
    throw new RangeError(
      "Cannot issue self-signed certificate: subjectKey must be the private key",
    );
  }
  return { name: options.subject, key: options.subjectKey };
}

function signatureSchemeFor(key: PrivateKey): SignatureScheme {
  if (key.kind === "rsa") return { alg: "rsa-pkcs1", hash: "SHA-256" };
  const hashes: Record<EcCurve, "SHA-256" | "SHA-384"> = {
    "P-256": "SHA-256",
    "P-384": "SHA-384",
  };
  return { alg: "ecdsa", hash: hashes[key.curve] };
}

function keyIdentifierOfSpki(spki: Uint8Array): Uint8Array {
  const r = new DerReader(spki).sequence("SubjectPublicKeyInfo");
  r.sequence("SubjectPublicKeyInfo.algorithm");
  return digest(
    "SHA-1",
    r.bitStringBytes("SubjectPublicKeyInfo.subjectPublicKey"),
  );
}

function checkedSerial(serial: bigint | undefined): bigint {
  if (serial === undefined) return randomSerial();
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
  if (serial <= 0n || serial >= 1n << 159n) {
    throw new RangeError(
      `Cannot issue certificate: serial ${serial} is not a positive 20-octet integer`,
    );
  }
  return serial;
}

function encodeValidity(options: IssueCertificateOptions): Uint8Array {
  const now = typeof options.now === "number"
    ? options.now
    : options.now.getTime();
  if (!Number.isFinite(now)) {
    throw new RangeError("Cannot issue certificate: now is not a valid time");
  }
  if ((options.days === undefined) === (options.notAfter === undefined)) {
    throw new RangeError(
      "Cannot issue certificate: give exactly one of days and notAfter",
    );
  }
  const backdate = options.backdateSeconds ?? DEFAULT_BACKDATE_SECONDS;
  if (!(backdate >= 0)) {
    throw new RangeError(
      `Cannot issue certificate: backdateSeconds ${backdate} is negative`,
    );
  }
  let end: number;
  if (options.days !== undefined) {
    if (!(options.days > 0) || !Number.isFinite(options.days)) {
      throw new RangeError(
        `Cannot issue certificate: days ${options.days} is not a positive number`,
      );
    }
    end = now + options.days * DAY_MS;
  } else {
    const notAfter = options.notAfter as Date | number;
    end = typeof notAfter === "number" ? notAfter : notAfter.getTime();
  }
  // RFC 5280 §4.1.2.5: times are whole seconds.
  const notBefore = Math.floor((now - backdate * 1000) / 1000) * 1000;
  const notAfter = Math.floor(end / 1000) * 1000;
  if (!Number.isFinite(notAfter) || notAfter <= notBefore) {
    throw new RangeError(
      "Cannot issue certificate: notAfter is not after notBefore",
    );
  }
  return derSequence([
    derTime(new Date(notBefore)),
    derTime(new Date(notAfter)),
  ]);
}

interface ExtensionInputs {
  readonly subjectPublic: PublicKey;
  readonly sans: readonly SubjectAltName[];
  readonly emptySubject: boolean;
  readonly keyId: Uint8Array;
  readonly issuerKeyId: Uint8Array;
}

function extensions(
  options: IssueCertificateOptions,
  inputs: ExtensionInputs,
): Uint8Array[] {
  const ca = options.ca ?? false;
  const out: Uint8Array[] = [];

  // RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT
  // FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }. DER omits a FALSE
  // default, so a leaf carries an empty SEQUENCE.
  if (options.pathLen !== undefined) {
    if (!ca) {
      throw new RangeError(
        "Cannot issue certificate: pathLen is only allowed for a CA",
      );
    }
    if (!Number.isSafeInteger(options.pathLen) || options.pathLen < 0) {
      throw new RangeError(
        `Cannot issue certificate: pathLen ${options.pathLen} is not a non-negative integer`,
      );
    }
  }
  out.push(extension(
    OID.basicConstraints,
    true,
    derSequence(
      ca
        ? [
          derBoolean(true),
          ...(options.pathLen === undefined
            ? []
            : [derInteger(BigInt(options.pathLen))]),
        ]
        : [],
    ),
  ));

  // RFC 5280 §4.2.1.3: conforming CAs SHOULD mark keyUsage critical.
  const usages = options.keyUsage ??
    (ca
      ? ["keyCertSign", "cRLSign"] as const
      : inputs.subjectPublic.kind === "ec"
      ? ["digitalSignature", "keyAgreement"] as const
      : ["digitalSignature", "keyEncipherment"] as const);
  if (usages.length === 0) {
    throw new RangeError("Cannot issue certificate: keyUsage is empty");
  }
  out.push(extension(OID.keyUsage, true, encodeKeyUsage(usages)));

  // RFC 5280 §4.2.1.12: KeyPurposeId OIDs; not critical, so that software
  // unaware of a purpose still processes the certificate.
  const purposes = options.extKeyUsage ?? [];
  if (purposes.length > 0) {
    out.push(extension(
      OID.extKeyUsage,
      false,
      derSequence(purposes.map((p) => derOid(purposeOid(p)))),
    ));
  }

  // RFC 5280 §4.2.1.6: critical when the subject field is empty.
  if (inputs.sans.length > 0) {
    out.push(extension(
      OID.subjectAltName,
      inputs.emptySubject,
      derSequence(inputs.sans.map(encodeSubjectAltName)),
    ));
  }

  // RFC 5280 §4.2.1.2 (MUST be non-critical) and §4.2.1.1: AuthorityKeyIdentifier
  // ::= SEQUENCE { keyIdentifier [0] IMPLICIT KeyIdentifier OPTIONAL, … }.
  out.push(
    extension(OID.subjectKeyIdentifier, false, derOctetString(inputs.keyId)),
  );
  out.push(extension(
    OID.authorityKeyIdentifier,
    false,
    derSequence([derImplicit(0, inputs.issuerKeyId)]),
  ));
  return out;
}

// RFC 5280 §4.1: Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT
// FALSE, extnValue OCTET STRING }.
function extension(
  oid: string,
  critical: boolean,
  value: Uint8Array,
): Uint8Array {
  return derSequence([
    derOid(oid),
    ...(critical ? [derBoolean(true)] : []),
    derOctetString(value),
  ]);
}

// A named bit list: DER drops trailing zero bits (X.690 §11.2.2).
function encodeKeyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  let highest = -1;
  const bytes = new Uint8Array(2);
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    if (bit === undefined) {
      throw new RangeError(`Cannot issue certificate: unknown key usage ${u}`);
    }
    bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
    highest = Math.max(highest, bit);
  }
  const length = Math.floor(highest / 8) + 1;
  return derBitString(bytes.subarray(0, length), length * 8 - (highest + 1));
}

function purposeOid(purpose: string): string {
  const oid = EXT_KEY_USAGES[purpose] ??
    (/^[0-2](?:\.(?:0|[1-9][0-9]*))+$/.test(purpose) ? purpose : undefined);
  if (oid === undefined) {
    throw new RangeError(
      `Cannot issue certificate: unknown extended key usage ${purpose}`,
    );
  }
  return oid;
}
