/**
 * Certification path building and validation (RFC 5280 §6), for the chains
 * TLS and DTLS peers present.
 *
 * ## Path building
 *
 * The chain is leaf first, as a peer sends it, but may be out of order, hold
 * unrelated certificates and may or may not end with a root. From the leaf,
 * issuers are looked up by name (the child's issuer equals the candidate's
 * subject, compared as `name.ts` documents); when the child has an
 * authorityKeyIdentifier and the candidate a subjectKeyIdentifier, they must
 * match. Trust anchors are tried before certificates from the chain. Each
 * link's signature is verified as the path grows, so a same-named impostor
 * issuer is passed over for the real one. A certificate appears at most once
 * in a path (no loops), a path holds at most `maxDepth` certificates
 * (default 8, leaf and anchor included) and a search does at most 64
 * signature verifications.
 *
 * A path ends at a trust anchor: a certificate from `trustAnchors`, or one
 * in the chain byte-identical to one. A leaf that is itself a trust anchor is
 * a path of one.
 *
 * ## Checks on a complete path
 *
 * In this order, each over the whole path from the leaf up; the first
 * failure is reported. If several paths exist, the first that passes wins;
 * if none does, the failure of the first complete path is reported, else the
 * first signature failure met while building, else `unknown_ca`.
 *
 * 1. Critical extensions: every certificate, anchors included, must only
 *    carry critical extensions in `HANDLED_EXTENSIONS` (RFC 5280 §4.2) —
 *    `unhandled_critical_extension`.
 * 2. Issuers (every certificate above the leaf, anchors included) must be
 *    CAs: v3 with basicConstraints cA TRUE (RFC 5280 §4.2.1.9, §6.1.4 (k)).
 *    A v1 or v2 certificate may issue only when it is itself the trust anchor
 *    — `not_ca`. With keyUsage present it must include keyCertSign
 *    (§6.1.4 (n)) — `bad_key_usage`. pathLenConstraint bounds the number of
 *    non-self-issued intermediates below it (§6.1.4 (m)) —
 *    `path_length_exceeded`.
 * 3. The leaf's keyUsage, when present, must include digitalSignature (TLS
 *    1.2 ECDHE signing and CertificateVerify) — `bad_key_usage`.
 * 4. With `purpose` set, the extKeyUsage of the leaf and of intermediates
 *    (not anchors), when present, must list the purpose or
 *    anyExtendedKeyUsage (RFC 5280 §4.2.1.12; intermediates as OpenSSL does)
 *    — `bad_extended_key_usage`.
 * 5. Validity (§6.1.3 (a)(2)) of every certificate, anchors included, as
 *    OpenSSL does — `not_yet_valid` / `expired`. `skipValidityCheck` skips
 *    the leaf only: ThingsBoard's `*_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`
 *    skips `checkValidity()` on the client certificate itself, and the CAs
 *    that vouch for it must still be valid.
 * 6. Revocation (§6.3), when `crls` are given: for each certificate below
 *    the anchor, the CRLs `findCrlsFor()` matches to its issuer are used if
 *    the issuer's keyUsage (when present) has cRLSign, the CRL signature
 *    verifies with the issuer's key, thisUpdate is not in the future and the
 *    CRL has no unhandled critical extension; otherwise the CRL is skipped
 *    with a warning. A listed serial is `revoked`, even when the CRL's
 *    nextUpdate has passed: revocation does not expire. A stale CRL does not
 *    fail validation (there is no `crl_expired` failure); it adds a
 *    `crl_expired` warning so the caller can log it. A certificate whose
 *    issuer has no usable CRL is not checked (soft fail).
 *
 * Signature algorithms: ECDSA on P-256/P-384 with SHA-256/384/512, RSA
 * PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512. SHA-1 signatures, other
 * algorithms and issuer keys postern cannot use fail with
 * `unsupported_algorithm`. Anchor self-signatures are not checked (RFC 5280
 * §6.1.1 (d): an anchor is trusted for its name and key).
 *
 * Not implemented: name constraints, policy processing (both reject the
 * certificate through check 1 when marked critical, except
 * certificatePolicies, see `HANDLED_EXTENSIONS`), delta and indirect CRLs,
 * OCSP.
 *
 * @module
 */

import { constantTimeEqual, encodeHex } from "../../bytes/mod.ts";
import { verifySignature } from "../../crypto/mod.ts";
import { type Crl, findCrlsFor, verifyCrlSignature } from "../crl.ts";
import { signatureAlgorithmName } from "../algorithm.ts";
import { OID } from "../oids.ts";
import { type Certificate, isSelfIssued } from "./certificate.ts";
import { HANDLED_EXTENSIONS } from "./extensions.ts";

/**
 * Why a chain was rejected.
 *
 * @example
 * ```ts
 * import { alertForValidationFailure, type ValidationFailure } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const reason: ValidationFailure = "revoked";
 * assert.equal(alertForValidationFailure(reason), "certificate_revoked");
 * ```
 */
export type ValidationFailure =
  | "expired"
  | "not_yet_valid"
  | "unknown_ca"
  | "bad_signature"
  | "revoked"
  | "not_ca"
  | "path_length_exceeded"
  | "bad_key_usage"
  | "bad_extended_key_usage"
  | "unsupported_algorithm"
  | "unhandled_critical_extension"
  | "empty_chain";

/**
 * Something about revocation data the caller should log; never a failure.
 *
 * @example
 * ```ts
 * import { validateChain, type ValidationWarning } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const { warnings } = await validateChain([], { trustAnchors: [], now: 0 });
 * const none: ValidationWarning[] = warnings;
 * assert.deepEqual(none, []);
 * ```
 */
export interface ValidationWarning {
  readonly code:
    | "crl_expired"
    | "crl_not_yet_valid"
    | "crl_bad_signature"
    | "crl_issuer_not_allowed"
    | "crl_unhandled_critical_extension";
  readonly message: string;
  readonly crl: Crl;
}

/**
 * Options of {@link validateChain}.
 *
 * @example
 * ```ts
 * import { type ValidateOptions, validateChain } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ValidateOptions = {
 *   trustAnchors: [],
 *   now: new Date("2030-01-01T00:00:00Z"),
 *   purpose: "clientAuth",
 *   skipValidityCheck: true,
 *   maxDepth: 4,
 * };
 * assert.equal((await validateChain([], options)).ok, false);
 * ```
 */
export interface ValidateOptions {
  /** Trusted certificates (roots, or any CA the operator trusts directly). */
  readonly trustAnchors: readonly Certificate[];
  /** The time to validate at, as a Date or milliseconds since the epoch. */
  readonly now: Date | number;
  /** Require this extended key usage on the leaf (and intermediates that restrict it). */
  readonly purpose?: "clientAuth" | "serverAuth" | undefined;
  /** Skip the leaf's validity period (ThingsBoard `*_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`). */
  readonly skipValidityCheck?: boolean | undefined;
  /** CRLs to check revocation against. */
  readonly crls?: readonly Crl[] | undefined;
  /** Most certificates in a path, leaf and anchor included; default 8. */
  readonly maxDepth?: number | undefined;
}

/**
 * Outcome of {@link validateChain}.
 *
 * @example
 * ```ts
 * import { validateChain, type ValidationResult } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const result: ValidationResult = await validateChain([], { trustAnchors: [], now: 0 });
 * assert.equal(result.ok ? "accepted" : result.message, "The peer sent no certificate");
 * ```
 */
export type ValidationResult =
  | {
    readonly ok: true;
    /** Leaf first, trust anchor last. */
    readonly path: Certificate[];
    readonly warnings: ValidationWarning[];
  }
  | {
    readonly ok: false;
    readonly reason: ValidationFailure;
    /** A sentence for logs naming the certificate and the problem. */
    readonly message: string;
    /** The certificate the failure is about, when there is one. */
    readonly certificate?: Certificate;
    readonly warnings: ValidationWarning[];
  };

type Failure = Extract<ValidationResult, { ok: false }>;

const DEFAULT_MAX_DEPTH = 8;
const MAX_SIGNATURE_CHECKS = 64;

function describe(cert: Certificate): string {
  const name = cert.subject.toString();
  return `"${name || "(empty subject)"}" (serial ${cert.serialHex})`;
}

/**
 * Builds a path from `chain[0]` to one of `options.trustAnchors` and
 * validates it as the module documentation describes. Never throws for any
 * certificate or CRL content; the result says what is wrong.
 *
 * @throws {TypeError} if `options.now` is an invalid date.
 *
 * @example An empty chain
 * ```ts
 * import { validateChain } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const result = await validateChain([], { trustAnchors: [], now: Date.UTC(2030, 0, 1) });
 * assert.deepEqual(result.ok ? undefined : result.reason, "empty_chain");
 * ```
 */
export async function validateChain(
  chain: readonly Certificate[],
  options: ValidateOptions,
): Promise<ValidationResult> {
  const leaf = chain[0];
  if (!leaf) {
    return {
      ok: false,
      reason: "empty_chain",
      message: "The peer sent no certificate",
      warnings: [],
    };
  }
  const v = new PathValidator(chain, options);
  return await v.run(leaf);
}

class PathValidator {
  readonly #anchors: readonly Certificate[];
  readonly #anchorPrints: ReadonlySet<string>;
  readonly #pool: readonly Certificate[];
  readonly #options: ValidateOptions;
  readonly #now: number;
  readonly #maxDepth: number;
  readonly #signatures = new Map<string, Failure | undefined>();
  #checks = 0;
  #pathFailure: Failure | undefined;
  #linkFailure: Failure | undefined;
  #depthFailure: Failure | undefined;
  #deadEnd: Certificate | undefined;

  constructor(chain: readonly Certificate[], options: ValidateOptions) {
    this.#options = options;
    this.#anchors = options.trustAnchors;
    this.#anchorPrints = new Set(
      options.trustAnchors.map((a) => a.fingerprintSha256),
    );
    const seen = new Set<string>();
    this.#pool = chain.slice(1).filter((c) => {
      if (this.#anchorPrints.has(c.fingerprintSha256)) return false;
      if (seen.has(c.fingerprintSha256)) return false;
      seen.add(c.fingerprintSha256);
      return true;
    });
    this.#now = typeof options.now === "number"
      ? options.now
      : options.now.getTime();
    if (!Number.isFinite(this.#now)) {
      throw new TypeError("Cannot validate a chain at an invalid time");
    }
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  async run(leaf: Certificate): Promise<ValidationResult> {
    const found = await this.#search([leaf]);
    if (found) return found;
    const failure = this.#pathFailure ?? this.#linkFailure ??
      this.#depthFailure;
    if (failure) return failure;
    const top = this.#deadEnd ?? leaf;
    return {
      ok: false,
      reason: "unknown_ca",
      message: `No trusted issuer "${top.issuer.toString()}" for ${
        describe(top)
      }`,
      certificate: top,
      warnings: [],
    };
  }

  #isAnchor(cert: Certificate): boolean {
    return this.#anchorPrints.has(cert.fingerprintSha256);
  }

  /** Depth-first search; returns a success, or undefined after recording why not. */
  async #search(path: Certificate[]): Promise<ValidationResult | undefined> {
    const current = path[path.length - 1] as Certificate;
    if (this.#isAnchor(current)) return await this.#complete(path);
    if (path.length >= this.#maxDepth) {
      this.#depthFailure ??= {
        ok: false,
        reason: "path_length_exceeded",
        message: `No trust anchor within ${this.#maxDepth} certificates of ${
          describe(path[0] as Certificate)
        }`,
        certificate: current,
        warnings: [],
      };
      return undefined;
    }
    let extended = false;
    for (const candidate of this.#issuersOf(current, path)) {
      if (this.#checks >= MAX_SIGNATURE_CHECKS) break;
      const bad = await this.#checkSignature(current, candidate);
      if (bad) {
        this.#linkFailure ??= bad;
        extended = true;
        continue;
      }
      extended = true;
      const result = await this.#search([...path, candidate]);
      if (result) return result;
    }
    if (!extended && !this.#deadEnd) this.#deadEnd = current;
    return undefined;
  }

  #issuersOf(child: Certificate, path: readonly Certificate[]): Certificate[] {
    const inPath = new Set(path.map((c) => c.fingerprintSha256));
    return [...this.#anchors, ...this.#pool].filter((c) =>
      !inPath.has(c.fingerprintSha256) &&
      c.subject.equals(child.issuer) &&
      // RFC 5280 §4.2.1.1: AKI keyIdentifier matches the issuer's SKI.
      !(child.authorityKeyId && c.subjectKeyId &&
        !constantTimeEqual(child.authorityKeyId, c.subjectKeyId))
    );
  }

  async #checkSignature(
    child: Certificate,
    issuer: Certificate,
  ): Promise<Failure | undefined> {
    const key = `${child.fingerprintSha256}/${issuer.fingerprintSha256}`;
    if (this.#signatures.has(key)) return this.#signatures.get(key);
    const fail = (
      reason: "bad_signature" | "unsupported_algorithm",
      message: string,
    ): Failure => ({
      ok: false,
      reason,
      message,
      certificate: child,
      warnings: [],
    });
    let result: Failure | undefined;
    const scheme = child.signatureAlgorithm.scheme;
    const algName = signatureAlgorithmName(child.signatureAlgorithm.oid);
    if (!scheme) {
      result = fail(
        "unsupported_algorithm",
        `Signature algorithm ${algName} of ${describe(child)} is not supported`,
      );
    } else if (scheme.hash === "SHA-1") {
      result = fail(
        "unsupported_algorithm",
        `SHA-1 signature (${algName}) on ${describe(child)} is not accepted`,
      );
    } else if (!issuer.publicKey) {
      result = fail(
        "unsupported_algorithm",
        `Key of issuer ${describe(issuer)} is not supported: ${
          issuer.publicKeyUnsupported ?? "unknown algorithm"
        }`,
      );
    } else {
      this.#checks++;
      const ok = await verifySignature(
        issuer.publicKey,
        child.tbs,
        child.signature,
        scheme,
      );
      if (!ok) {
        result = fail(
          "bad_signature",
          `Signature on ${describe(child)} does not verify with the key of ${
            describe(issuer)
          }`,
        );
      }
    }
    this.#signatures.set(key, result);
    return result;
  }

  async #complete(path: Certificate[]): Promise<ValidationResult | undefined> {
    const warnings: ValidationWarning[] = [];
    const failure = this.#checkPath(path) ??
      await this.#checkRevocation(path, warnings);
    if (!failure) return { ok: true, path, warnings };
    this.#pathFailure ??= { ...failure, warnings };
    return undefined;
  }

  #checkPath(path: readonly Certificate[]): Failure | undefined {
    const fail = (
      reason: ValidationFailure,
      certificate: Certificate,
      message: string,
    ): Failure => ({ ok: false, reason, message, certificate, warnings: [] });
    const last = path.length - 1;

    for (const cert of path) {
      const unknown = cert.extensions.find((e) =>
        e.critical && !HANDLED_EXTENSIONS.has(e.oid)
      );
      // RFC 5280 §4.2: reject a certificate with an unrecognised critical extension.
      if (unknown) {
        return fail(
          "unhandled_critical_extension",
          cert,
          `${
            describe(cert)
          } has an unsupported critical extension ${unknown.oid}`,
        );
      }
    }

    for (let i = 1; i <= last; i++) {
      const ca = path[i] as Certificate;
      const anchor = i === last;
      // RFC 5280 §6.1.4 (k): an intermediate must be a v3 CA; a v1 anchor is trusted as is.
      if (ca.version !== 3 ? !anchor : ca.basicConstraints?.ca !== true) {
        return fail(
          "not_ca",
          ca,
          `${describe(ca)} issued ${
            describe(path[i - 1] as Certificate)
          } but is not a CA`,
        );
      }
      // RFC 5280 §6.1.4 (n): keyUsage, if present, must allow keyCertSign.
      if (ca.keyUsage && !ca.keyUsage.includes("keyCertSign")) {
        return fail(
          "bad_key_usage",
          ca,
          `${describe(ca)} may not sign certificates (no keyCertSign)`,
        );
      }
      // RFC 5280 §6.1.4 (l), (m): count non-self-issued intermediates below this CA.
      const pathLen = ca.basicConstraints?.pathLen;
      if (pathLen !== undefined) {
        let below = 0;
        for (let j = 1; j < i; j++) {
          if (!isSelfIssued(path[j] as Certificate)) below++;
        }
        if (below > pathLen) {
          return fail(
            "path_length_exceeded",
            ca,
            `${
              describe(ca)
            } allows ${pathLen} intermediate CA(s) below it, the path has ${below}`,
          );
        }
      }
    }

    const leaf = path[0] as Certificate;
    if (leaf.keyUsage && !leaf.keyUsage.includes("digitalSignature")) {
      return fail(
        "bad_key_usage",
        leaf,
        `${describe(leaf)} may not make signatures (no digitalSignature)`,
      );
    }

    const purpose = this.#options.purpose;
    if (purpose) {
      const oid = purpose === "serverAuth" ? OID.serverAuth : OID.clientAuth;
      // RFC 5280 §4.2.1.12 for the leaf; intermediates (not the anchor)
      // restrict their subtree as OpenSSL enforces.
      for (let i = 0; i === 0 || i < last; i++) {
        const cert = path[i] as Certificate;
        const eku = cert.extKeyUsage;
        if (
          eku && !eku.includes(oid) && !eku.includes(OID.anyExtendedKeyUsage)
        ) {
          return fail(
            "bad_extended_key_usage",
            cert,
            `${describe(cert)} is not allowed for ${purpose}`,
          );
        }
      }
    }

    // RFC 5280 §6.1.3 (a)(2): the validity period includes the current time.
    for (let i = 0; i <= last; i++) {
      if (i === 0 && this.#options.skipValidityCheck) continue;
      const cert = path[i] as Certificate;
      if (this.#now < cert.notBefore.getTime()) {
        return fail(
          "not_yet_valid",
          cert,
          `${
            describe(cert)
          } is not valid before ${cert.notBefore.toISOString()}`,
        );
      }
      if (this.#now > cert.notAfter.getTime()) {
        return fail(
          "expired",
          cert,
          `${describe(cert)} expired at ${cert.notAfter.toISOString()}`,
        );
      }
    }
    return undefined;
  }

  async #checkRevocation(
    path: readonly Certificate[],
    warnings: ValidationWarning[],
  ): Promise<Failure | undefined> {
    const crls = this.#options.crls;
    if (!crls || crls.length === 0) return undefined;
    for (let i = 0; i < path.length - 1; i++) {
      const cert = path[i] as Certificate;
      const issuer = path[i + 1] as Certificate;
      for (const crl of findCrlsFor(issuer, crls)) {
        const usable = await this.#usableCrl(crl, issuer, warnings);
        if (!usable) continue;
        // RFC 5280 §6.3.3 (i): the serial is listed on a CRL the issuer signed.
        if (crl.isRevoked(cert.serial)) {
          const entry = crl.revocationOf(cert.serial);
          return {
            ok: false,
            reason: "revoked",
            message: `${describe(cert)} was revoked${
              entry?.reason ? ` (${entry.reason})` : ""
            } at ${entry?.revocationDate.toISOString()}`,
            certificate: cert,
            warnings: [],
          };
        }
      }
    }
    return undefined;
  }

  async #usableCrl(
    crl: Crl,
    issuer: Certificate,
    warnings: ValidationWarning[],
  ): Promise<boolean> {
    const about = `CRL of ${
      describe(issuer)
    } (thisUpdate ${crl.thisUpdate.toISOString()})`;
    // RFC 5280 §6.3.3 (f): the CRL issuer's keyUsage must allow cRLSign.
    if (issuer.keyUsage && !issuer.keyUsage.includes("cRLSign")) {
      warnings.push({
        code: "crl_issuer_not_allowed",
        message: `${about} ignored: the issuer has no cRLSign key usage`,
        crl,
      });
      return false;
    }
    // RFC 5280 §6.3.3 (g): verify the CRL signature.
    if (!(await cachedCrlSignature(crl, issuer))) {
      warnings.push({
        code: "crl_bad_signature",
        message: `${about} ignored: its signature does not verify`,
        crl,
      });
      return false;
    }
    // RFC 5280 §5.2, §5.3: a CRL with unprocessed critical extensions is not used.
    const unknown = crl.unhandledCriticalExtensions;
    if (unknown.length) {
      warnings.push({
        code: "crl_unhandled_critical_extension",
        message: `${about} ignored: unsupported critical extension ${
          unknown.join(", ")
        }`,
        crl,
      });
      return false;
    }
    if (crl.thisUpdate.getTime() > this.#now) {
      warnings.push({
        code: "crl_not_yet_valid",
        message: `${about} ignored: issued in the future`,
        crl,
      });
      return false;
    }
    if (crl.nextUpdate && crl.nextUpdate.getTime() < this.#now) {
      warnings.push({
        code: "crl_expired",
        message:
          `${about} is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed`,
        crl,
      });
    }
    return true;
  }
}

/**
 * CRL signature results per CRL object and issuer key. CRLs are loaded once
 * and checked on every handshake; the result cannot change for the same
 * CRL bytes and key.
 */
const crlSignatures = new WeakMap<Crl, Map<string, boolean>>();

async function cachedCrlSignature(
  crl: Crl,
  issuer: Certificate,
): Promise<boolean> {
  let byIssuer = crlSignatures.get(crl);
  if (!byIssuer) {
    byIssuer = new Map();
    crlSignatures.set(crl, byIssuer);
  }
  const key = encodeHex(issuer.spki);
  let ok = byIssuer.get(key);
  if (ok === undefined) {
    ok = await verifyCrlSignature(crl, issuer);
    byIssuer.set(key, ok);
  }
  return ok;
}

/**
 * TLS alert descriptions (RFC 5246 §7.2.2) a certificate failure maps to.
 *
 * @example
 * ```ts
 * import { alertForValidationFailure, type CertificateAlert } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * const alert: CertificateAlert = alertForValidationFailure("unknown_ca");
 * assert.equal(alert, "unknown_ca");
 * ```
 */
export type CertificateAlert =
  | "bad_certificate"
  | "unsupported_certificate"
  | "certificate_revoked"
  | "certificate_expired"
  | "unknown_ca"
  | "handshake_failure";

/**
 * The TLS alert description to send for a validation failure
 * (RFC 5246 §7.2.2). A bad signature inside the chain is `bad_certificate`:
 * `decrypt_error` is for a failed handshake signature (CertificateVerify,
 * ServerKeyExchange), not for a certificate the peer sent. An empty chain
 * when one is required is `handshake_failure` (RFC 5246 §7.4.6).
 *
 * @example
 * ```ts
 * import { alertForValidationFailure } from "./path_validation.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(alertForValidationFailure("expired"), "certificate_expired");
 * assert.equal(alertForValidationFailure("bad_signature"), "bad_certificate");
 * ```
 */
export function alertForValidationFailure(
  reason: ValidationFailure,
): CertificateAlert {
  switch (reason) {
    case "expired":
    case "not_yet_valid":
      return "certificate_expired";
    case "unknown_ca":
      return "unknown_ca";
    case "revoked":
      return "certificate_revoked";
    case "unsupported_algorithm":
      return "unsupported_certificate";
    case "empty_chain":
      return "handshake_failure";
    case "bad_signature":
    case "not_ca":
    case "path_length_exceeded":
    case "bad_key_usage":
    case "bad_extended_key_usage":
    case "unhandled_critical_extension":
      return "bad_certificate";
  }
}
