/**
 * Builds small test certificates with the DER writer and `src/crypto`, for
 * cases `openssl` cannot make easily (cross-signed loops, odd name
 * encodings).
 *
 * @module
 */

import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derTime,
  derTlv,
} from "../../../src/pki/asn1/mod.ts";
import { encodeSignatureAlgorithm } from "../../../src/pki/algorithm.ts";
import { encodeSpki } from "../../../src/pki/spki.ts";
import { OID } from "../../../src/pki/oids.ts";
import {
  type EcPrivateKey,
  generateEcKeyPair,
  publicKeyOf,
  sign,
} from "../../../src/crypto/mod.ts";
import {
  type Certificate,
  parseCertificate,
} from "../../../src/pki/x509/mod.ts";
import { type Crl, parseCrl } from "../../../src/pki/crl.ts";

/** What to put in a test certificate. */
export interface BuildOptions {
  /** Name DER for the subject. */
  subject: Uint8Array;
  /** Name DER for the issuer; defaults to the subject. */
  issuer?: Uint8Array;
  /** The subject key; generated when absent. */
  key?: EcPrivateKey;
  /** The signing key; defaults to the subject key (self-signed). */
  issuerKey?: EcPrivateKey;
  ca?: boolean;
  serial?: bigint;
  notBefore?: Date;
  notAfter?: Date;
  /** Extra extensions, each a complete Extension DER. */
  extensions?: Uint8Array[];
}

/** A built certificate with its key. */
export interface Built {
  cert: Certificate;
  key: EcPrivateKey;
}

/**
 * Makes and parses a P-256 certificate.
 *
 * @example
 * ```ts ignore
 * const { cert } = await buildCertificate({ subject: encodeName([{ type: "CN", value: "x" }]) });
 * ```
 */
export async function buildCertificate(options: BuildOptions): Promise<Built> {
  const key = options.key ?? await generateEcKeyPair("P-256");
  const issuerKey = options.issuerKey ?? key;
  const alg = encodeSignatureAlgorithm({ alg: "ecdsa", hash: "SHA-256" });
  const extensions = [
    derSequence([
      derOid(OID.basicConstraints),
      derBoolean(true),
      derOctetString(
        derSequence(options.ca ? [derBoolean(true)] : []),
      ),
    ]),
    ...(options.extensions ?? []),
  ];
  const tbs = derSequence([
    derExplicit(0, [derInteger(2n)]),
    derInteger(options.serial ?? 1n),
    alg,
    options.issuer ?? options.subject,
    derSequence([
      derTime(options.notBefore ?? new Date("2020-01-01T00:00:00Z")),
      derTime(options.notAfter ?? new Date("2040-01-01T00:00:00Z")),
    ]),
    options.subject,
    encodeSpki(publicKeyOf(key)),
    derExplicit(3, [derSequence(extensions)]),
  ]);
  const signature = await sign(issuerKey, tbs, {
    alg: "ecdsa",
    hash: "SHA-256",
  });
  const der = derSequence([tbs, alg, derBitString(signature)]);
  return { cert: parseCertificate(der), key };
}

/** What to put in a test CRL. */
export interface CrlOptions {
  issuer: Uint8Array;
  issuerKey: EcPrivateKey;
  thisUpdate: Date;
  nextUpdate?: Date;
  revoked?: { serial: bigint; date: Date; reason?: number }[];
  /** CRL extensions, each a complete Extension DER. */
  extensions?: Uint8Array[];
}

/**
 * Makes and parses a v2 CRL signed with ecdsa-with-SHA256.
 *
 * @example
 * ```ts ignore
 * const crl = await buildCrl({ issuer, issuerKey, thisUpdate: new Date() });
 * ```
 */
export async function buildCrl(options: CrlOptions): Promise<Crl> {
  const alg = encodeSignatureAlgorithm({ alg: "ecdsa", hash: "SHA-256" });
  const revoked = (options.revoked ?? []).map((r) =>
    derSequence([
      derInteger(r.serial),
      derTime(r.date),
      ...(r.reason === undefined ? [] : [
        derSequence([
          derSequence([
            derOid(OID.crlReason),
            derOctetString(derTlv(0x0a, new Uint8Array([r.reason]))),
          ]),
        ]),
      ]),
    ])
  );
  const tbs = derSequence([
    derInteger(1n),
    alg,
    options.issuer,
    derTime(options.thisUpdate),
    ...(options.nextUpdate ? [derTime(options.nextUpdate)] : []),
    ...(revoked.length ? [derSequence(revoked)] : []),
    ...(options.extensions?.length
      ? [derExplicit(0, [derSequence(options.extensions)])]
      : []),
  ]);
  const signature = await sign(options.issuerKey, tbs, {
    alg: "ecdsa",
    hash: "SHA-256",
  });
  return parseCrl(derSequence([tbs, alg, derBitString(signature)]));
}
