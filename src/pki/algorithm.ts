/**
 * Signature AlgorithmIdentifiers (RFC 5280 §4.1.1.2) mapped to and from the
 * {@link SignatureScheme} values that `src/crypto` verifies with.
 *
 * Decoded: ecdsa-with-SHA256/384/512 (RFC 5758 §3.2), sha1/256/384/512 with
 * RSA encryption (RFC 4055 §5, RFC 3279 §2.2.1) and RSASSA-PSS with its
 * parameters and their defaults (RFC 4055 §3.1). An algorithm postern cannot
 * verify (Ed25519, PSS with a different MGF1 hash, an unknown OID) decodes to
 * an identifier without a `scheme`, so the certificate still parses and path
 * validation reports `unsupported_algorithm`.
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";
import {
  type DerElement,
  derExplicit,
  derInteger,
  derNull,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "./asn1/mod.ts";
import type { HashAlgorithm, SignatureScheme } from "../crypto/mod.ts";
import { OID } from "./oids.ts";

/**
 * A decoded signature AlgorithmIdentifier.
 *
 * @example
 * ```ts
 * import { decodeSignatureAlgorithm, type SignatureAlgorithm } from "./algorithm.ts";
 * import { DerReader, derOid, derSequence } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alg: SignatureAlgorithm = decodeSignatureAlgorithm(new DerReader(derSequence([derOid("1.3.101.112")])).next());
 * assert.deepEqual(alg, { oid: "1.3.101.112" });
 * ```
 */
export interface SignatureAlgorithm {
  /** The algorithm OID in dotted form. */
  readonly oid: string;
  /** How to verify, when postern supports the algorithm and its parameters. */
  readonly scheme?: SignatureScheme;
}

const ECDSA: Readonly<Record<string, HashAlgorithm>> = {
  [OID.ecdsaWithSha256]: "SHA-256",
  [OID.ecdsaWithSha384]: "SHA-384",
  [OID.ecdsaWithSha512]: "SHA-512",
};

const RSA_PKCS1: Readonly<Record<string, HashAlgorithm>> = {
  [OID.sha1WithRsaEncryption]: "SHA-1",
  [OID.sha256WithRsaEncryption]: "SHA-256",
  [OID.sha384WithRsaEncryption]: "SHA-384",
  [OID.sha512WithRsaEncryption]: "SHA-512",
};

const HASHES: Readonly<Record<string, HashAlgorithm>> = {
  [OID.sha1]: "SHA-1",
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
};

const HASH_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  "SHA-1": OID.sha1,
  "SHA-256": OID.sha256,
  "SHA-384": OID.sha384,
  "SHA-512": OID.sha512,
};

const NAMES: Readonly<Record<string, string>> = {
  [OID.ecdsaWithSha256]: "ecdsa-with-SHA256",
  [OID.ecdsaWithSha384]: "ecdsa-with-SHA384",
  [OID.ecdsaWithSha512]: "ecdsa-with-SHA512",
  [OID.sha1WithRsaEncryption]: "sha1WithRSAEncryption",
  [OID.sha256WithRsaEncryption]: "sha256WithRSAEncryption",
  [OID.sha384WithRsaEncryption]: "sha384WithRSAEncryption",
  [OID.sha512WithRsaEncryption]: "sha512WithRSAEncryption",
  [OID.rsassaPss]: "rsassaPss",
  [OID.ed25519]: "ED25519",
};

/**
 * Decodes a signature AlgorithmIdentifier element.
 *
 * @param el The AlgorithmIdentifier SEQUENCE, as read by a {@link DerReader}.
 * @throws {DecodeError} if the element or the parameters of a known
 * algorithm are malformed (ECDSA with parameters, PSS with a bad structure or
 * a trailerField other than 1).
 *
 * @example Decode ecdsa-with-SHA256
 * ```ts
 * import { decodeSignatureAlgorithm, encodeSignatureAlgorithm } from "./algorithm.ts";
 * import { DerReader } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const der = encodeSignatureAlgorithm({ alg: "ecdsa", hash: "SHA-256" });
 * const alg = decodeSignatureAlgorithm(new DerReader(der).next());
 * assert.equal(alg.oid, "1.2.840.10045.4.3.2");
 * assert.deepEqual(alg.scheme, { alg: "ecdsa", hash: "SHA-256" });
 * ```
 *
 * @example RSASSA-PSS with all parameters defaulted (SHA-1, salt 20)
 * ```ts
 * import { decodeSignatureAlgorithm } from "./algorithm.ts";
 * import { DerReader, derOid, derSequence } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const der = derSequence([derOid("1.2.840.113549.1.1.10"), derSequence([])]);
 * const alg = decodeSignatureAlgorithm(new DerReader(der).next());
 * assert.deepEqual(alg.scheme, { alg: "rsa-pss", hash: "SHA-1", saltLength: 20 });
 * ```
 */
export function decodeSignatureAlgorithm(el: DerElement): SignatureAlgorithm {
  const what = "AlgorithmIdentifier";
  if (el.tag !== Tag.SEQUENCE) {
    throw new DecodeError(what, el.offset, "not a SEQUENCE");
  }
  const r = DerReader.of(el);
  const oid = r.oid(`${what}.algorithm`);
  const params = r.anyLeft() ? r.next(`${what}.parameters`) : undefined;
  r.expectEnd(what);

  const ecdsaHash = ECDSA[oid];
  if (ecdsaHash) {
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (params) {
      throw new DecodeError(
        `${what}.parameters`,
        params.offset,
        "ECDSA parameters must be absent",
      );
    }
    return { oid, scheme: { alg: "ecdsa", hash: ecdsaHash } };
  }
  const pkcs1Hash = RSA_PKCS1[oid];
  if (pkcs1Hash) {
    // RFC 4055 §5: NULL; absent parameters are tolerated as most verifiers do.
    expectNullOrAbsent(params, `${what}.parameters`);
    return { oid, scheme: { alg: "rsa-pkcs1", hash: pkcs1Hash } };
  }
  if (oid === OID.rsassaPss) {
    const scheme = decodePssParams(params);
    return scheme ? { oid, scheme } : { oid };
  }
  return { oid };
}

function expectNullOrAbsent(el: DerElement | undefined, what: string): void {
  if (el && (el.tag !== Tag.NULL || el.value.length !== 0)) {
    throw new DecodeError(what, el.offset, "parameters must be NULL or absent");
  }
}

/**
 * Reads a HashAlgorithm ::= AlgorithmIdentifier (parameters NULL or
 * absent); `undefined` for a hash postern does not know.
 *
 * @throws {DecodeError} on malformed DER or non-NULL parameters.
 *
 * @example
 * ```ts
 * import { encodeHashAlgorithm, readHash } from "./algorithm.ts";
 * import { DerReader } from "./asn1/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new DerReader(encodeHashAlgorithm("SHA-1"));
 * assert.equal(readHash(r, "hashAlgorithm"), "SHA-1");
 * ```
 */
export function readHash(
  r: DerReader,
  what: string,
): HashAlgorithm | undefined {
  const seq = r.sequence(what);
  const oid = seq.oid(`${what}.algorithm`);
  expectNullOrAbsent(
    seq.anyLeft() ? seq.next(`${what}.parameters`) : undefined,
    `${what}.parameters`,
  );
  seq.expectEnd(what);
  return HASHES[oid];
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) with the defaults sha1, mgf1SHA1,
 * saltLength 20 and trailerField 1. Returns undefined for a hash or mask
 * generation function postern does not support.
 */
function decodePssParams(
  params: DerElement | undefined,
): SignatureScheme | undefined {
  const what = "RSASSA-PSS-params";
  let hash: HashAlgorithm | undefined = "SHA-1";
  let mgfHash: HashAlgorithm | undefined = "SHA-1";
  let mgfKnown = true;
  let saltLength = 20;
  if (params) {
    if (params.tag !== Tag.SEQUENCE) {
      throw new DecodeError(what, params.offset, "not a SEQUENCE");
    }
    const r = DerReader.of(params);
    const h = r.context(0, `${what}.hashAlgorithm`);
    if (h) {
      hash = readHash(h, `${what}.hashAlgorithm`);
      h.expectEnd(`${what}.hashAlgorithm`);
    }
    const m = r.context(1, `${what}.maskGenAlgorithm`);
    if (m) {
      const seq = m.sequence(`${what}.maskGenAlgorithm`);
      m.expectEnd(`${what}.maskGenAlgorithm`);
      const mgf = seq.oid(`${what}.maskGenAlgorithm.algorithm`);
      if (mgf === OID.mgf1) {
        mgfHash = readHash(seq, `${what}.maskGenAlgorithm.parameters`);
      } else {
        mgfKnown = false;
        if (seq.anyLeft()) seq.next(`${what}.maskGenAlgorithm.parameters`);
      }
      seq.expectEnd(`${what}.maskGenAlgorithm`);
    }
    const s = r.context(2, `${what}.saltLength`);
    if (s) {
      saltLength = s.smallInteger(`${what}.saltLength`);
      s.expectEnd(`${what}.saltLength`);
      if (saltLength < 0) {
        throw new DecodeError(what, params.offset, "negative saltLength");
      }
    }
    const t = r.context(3, `${what}.trailerField`);
    if (t) {
      const trailer = t.integer(`${what}.trailerField`);
      t.expectEnd(`${what}.trailerField`);
      // RFC 4055 §3.1: trailerField MUST be 1 (0xBC).
      if (trailer !== 1n) {
        throw new DecodeError(what, params.offset, "trailerField must be 1");
      }
    }
    r.expectEnd(what);
  }
  // postern verifies PSS only with MGF1 over the message hash (RFC 8017 §9.1).
  if (!hash || !mgfKnown || mgfHash !== hash) return undefined;
  return { alg: "rsa-pss", hash, saltLength };
}

/**
 * Encodes a signature AlgorithmIdentifier: ecdsa-with-SHA* with absent
 * parameters (RFC 5758 §3.2), sha*WithRSAEncryption with NULL parameters
 * (RFC 4055 §5), or RSASSA-PSS with explicit hash, MGF1 and salt length
 * (RFC 4055 §3.1, hash parameters NULL as OpenSSL writes them).
 *
 * @example
 * ```ts
 * import { encodeSignatureAlgorithm } from "./algorithm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeSignatureAlgorithm({ alg: "rsa-pkcs1", hash: "SHA-256" }),
 *   new Uint8Array([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00]),
 * );
 * ```
 */
export function encodeSignatureAlgorithm(scheme: SignatureScheme): Uint8Array {
  switch (scheme.alg) {
    case "ecdsa": {
      const oid = Object.keys(ECDSA).find((k) => ECDSA[k] === scheme.hash);
      if (!oid) {
        throw new RangeError(`Cannot encode ECDSA with ${scheme.hash}`);
      }
      return derSequence([derOid(oid)]);
    }
    case "rsa-pkcs1": {
      const oid = Object.keys(RSA_PKCS1).find((k) =>
        RSA_PKCS1[k] === scheme.hash
      ) as string;
      return derSequence([derOid(oid), derNull()]);
    }
    case "rsa-pss": {
      const hashAlg = derSequence([derOid(HASH_OIDS[scheme.hash]), derNull()]);
      return derSequence([
        derOid(OID.rsassaPss),
        derSequence([
          derExplicit(0, [hashAlg]),
          derExplicit(1, [derSequence([derOid(OID.mgf1), hashAlg])]),
          derExplicit(2, [derInteger(scheme.saltLength)]),
        ]),
      ]);
    }
  }
}

/**
 * Encodes a hash AlgorithmIdentifier with NULL parameters, as OpenSSL
 * writes it (RFC 5754 §2 allows both forms).
 *
 * @example
 * ```ts
 * import { encodeHashAlgorithm } from "./algorithm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeHashAlgorithm("SHA-1"),
 *   new Uint8Array([0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00]),
 * );
 * ```
 */
export function encodeHashAlgorithm(hash: HashAlgorithm): Uint8Array {
  return derSequence([derOid(HASH_OIDS[hash]), derNull()]);
}

/**
 * The name OpenSSL prints for a signature algorithm OID (`ecdsa-with-SHA256`,
 * `sha256WithRSAEncryption`, `rsassaPss`), or the OID itself when unknown.
 *
 * @example
 * ```ts
 * import { signatureAlgorithmName } from "./algorithm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(signatureAlgorithmName("1.2.840.10045.4.3.3"), "ecdsa-with-SHA384");
 * assert.equal(signatureAlgorithmName("1.2.3.4"), "1.2.3.4");
 * ```
 */
export function signatureAlgorithmName(oid: string): string {
  return NAMES[oid] ?? oid;
}
