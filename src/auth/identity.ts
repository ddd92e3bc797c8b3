/**
 * X.509 identity mapping: which device a client certificate is.
 *
 * Rules map a certificate to a device name by its SHA-256 fingerprint, its
 * subject common name (exactly, or by a regular expression as TBMQ's
 * X.509 chain authentication does), or one of its subjectAltName values.
 * Revocations name a fingerprint, CN, CN regex or SAN that is refused
 * whatever else allows it.
 *
 * Order of evaluation in {@link CertificateRuleIndex.identify}:
 * 1. any revocation that matches: no identity;
 * 2. a fingerprint rule;
 * 3. an exact CN rule;
 * 4. a SAN rule, for the first SAN (in certificate order) that has one;
 * 5. CN regex rules, oldest first. The regex must match the whole CN; the
 *    device name may use `$1`, `$<name>` and `$&` to take a part of it
 *    (`^device-(.+)$` with device `$1`);
 * 6. with `issuers` (the rest of the verified path, leaf's issuer first):
 *    the exact CN rules then the CN regex rules on each issuer in turn, as
 *    TBMQ's X.509 chain authentication matches the CN of any certificate in
 *    the chain (a rule for an intermediate CA's CN admits every device it
 *    issued). A revocation matching any certificate of the chain refuses it;
 * 7. `fallbackSubject`: the subject of a certificate no rule names (the name
 *    {@link certificateUsername} derives, as `peer_cert_as_username` says).
 *
 * The certificate is assumed already validated against the trusted CAs by
 * the TLS or DTLS layer; rules only name it.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import type { Identity } from "./store.ts";
import type { Certificate } from "../pki/mod.ts";

/**
 * What a certificate rule matches: exactly one of a SHA-256 fingerprint
 * (hex, any case, `:` or spaces allowed), an exact subject CN, a regex for
 * the whole CN, or a subjectAltName value (as `postern certs show` prints
 * it: `localhost`, `127.0.0.1`, `urn:…`, `a@b`).
 *
 * @example
 * ```ts
 * import type { CertificateMatch } from "./identity.ts";
 *
 * const matches: CertificateMatch[] = [
 *   { fingerprint: "AB:CD:…" },
 *   { cn: "device-1" },
 *   { cnRegex: "device-(\\d+)" },
 *   { san: "urn:dev:42" },
 * ];
 * ```
 */
export type CertificateMatch =
  | { readonly fingerprint: string }
  | { readonly cn: string }
  | { readonly cnRegex: string }
  | { readonly san: string };

/**
 * A stored certificate rule as listed.
 *
 * @example
 * ```ts
 * import type { CertificateRule } from "./identity.ts";
 *
 * const rule: CertificateRule = { id: "cn:device-1", type: "allow", match: { cn: "device-1" }, device: "device-1" };
 * ```
 */
export interface CertificateRule {
  /** The rule id, as in changes: `fingerprint:…`, `cn:…`, `cn-regex:…`, `san:…`. */
  readonly id: string;
  /** An allow rule (maps to a device) or a revocation. */
  readonly type: "allow" | "revoke";
  /** What it matches. */
  readonly match: CertificateMatch;
  /** For `allow`: the device name (a template for a CN regex). */
  readonly device?: string;
}

/**
 * What of a certificate the rules look at.
 *
 * @example
 * ```ts
 * import type { CertificateSummary } from "./identity.ts";
 *
 * const summary: CertificateSummary = { fingerprint: "ab".repeat(32), commonName: "d1", subjectAltNames: [] };
 * ```
 */
export interface CertificateSummary {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  /** The subject's (most specific) common name. */
  readonly commonName?: string;
  /** The subjectAltName values. */
  readonly subjectAltNames: readonly string[];
}

const MAX_NAME = 1024;

/**
 * Checks and normalizes a rule's match: a fingerprint becomes 64 lowercase
 * hex digits; a CN regex must compile.
 *
 * @param match What the rule matches.
 * @returns The normalized match.
 * @throws {AuthError} `invalid_rule` when malformed.
 *
 * @example
 * ```ts
 * import { normalizeCertificateMatch } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * const fp = "AB:".repeat(31) + "AB";
 * assert.deepEqual(normalizeCertificateMatch({ fingerprint: fp }), { fingerprint: "ab".repeat(32) });
 * assert.throws(() => normalizeCertificateMatch({ cnRegex: "(" }));
 * ```
 */
export function normalizeCertificateMatch(
  match: CertificateMatch,
): CertificateMatch {
  const keys = Object.keys(match).filter((k) =>
    (match as Record<string, unknown>)[k] !== undefined
  );
  if (keys.length !== 1) {
    throw new AuthError(
      "invalid_rule",
      "Invalid certificate rule: give exactly one of fingerprint, cn, cnRegex or san",
    );
  }
  if ("fingerprint" in match) {
    const hex = String(match.fingerprint).replace(/[\s:]/g, "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new AuthError(
        "invalid_rule",
        "Invalid certificate fingerprint: expected 32 bytes of hex (SHA-256)",
      );
    }
    return { fingerprint: hex };
  }
  if ("cn" in match) return { cn: checkText(match.cn, "common name") };
  if ("san" in match) return { san: checkText(match.san, "subjectAltName") };
  if ("cnRegex" in match) {
    const source = checkText(match.cnRegex, "CN regex");
    compileCnRegex(source);
    return { cnRegex: source };
  }
  throw new AuthError(
    "invalid_rule",
    "Invalid certificate rule: give exactly one of fingerprint, cn, cnRegex or san",
  );
}

function checkText(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new AuthError("invalid_rule", `Invalid ${what}: empty`);
  }
  if (new TextEncoder().encode(value).length > MAX_NAME) {
    throw new AuthError(
      "invalid_rule",
      `Invalid ${what}: longer than ${MAX_NAME} bytes`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new AuthError(
      "invalid_rule",
      `Invalid ${what}: has control characters`,
    );
  }
  return value;
}

function compileCnRegex(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, "u");
  } catch (err) {
    throw new AuthError(
      "invalid_rule",
      `Invalid CN regex ${JSON.stringify(source)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
}

/**
 * The id of a rule: `fingerprint:HEX`, `cn:NAME`, `cn-regex:RE` or
 * `san:VALUE`, from a normalized match.
 *
 * @param match A match returned by {@link normalizeCertificateMatch}.
 * @returns The rule id.
 *
 * @example
 * ```ts
 * import { certificateRuleId, parseCertificateRuleId } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(certificateRuleId({ cnRegex: "dev-.*" }), "cn-regex:dev-.*");
 * assert.deepEqual(parseCertificateRuleId("san:urn:x"), { san: "urn:x" });
 * ```
 */
export function certificateRuleId(match: CertificateMatch): string {
  if ("fingerprint" in match) return `fingerprint:${match.fingerprint}`;
  if ("cn" in match) return `cn:${match.cn}`;
  if ("cnRegex" in match) return `cn-regex:${match.cnRegex}`;
  return `san:${match.san}`;
}

/**
 * The match of a rule id, or `undefined` for a string that is not one.
 *
 * @param id A rule id.
 * @returns Its match.
 *
 * @example
 * ```ts
 * import { parseCertificateRuleId } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCertificateRuleId("cn:device-1"), { cn: "device-1" });
 * assert.equal(parseCertificateRuleId("device-1"), undefined);
 * ```
 */
export function parseCertificateRuleId(
  id: string,
): CertificateMatch | undefined {
  const colon = id.indexOf(":");
  if (colon < 0) return undefined;
  const value = id.slice(colon + 1);
  switch (id.slice(0, colon)) {
    case "fingerprint":
      return { fingerprint: value };
    case "cn":
      return { cn: value };
    case "cn-regex":
      return { cnRegex: value };
    case "san":
      return { san: value };
  }
  return undefined;
}

/**
 * What of a certificate the rules look at.
 *
 * @param cert A parsed certificate.
 * @returns Fingerprint, CN and SAN values.
 *
 * @example
 * ```ts
 * import { summarizeCertificate } from "./identity.ts";
 * import { issueCertificate, parseCertificate } from "../pki/mod.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const cert = parseCertificate(await issueCertificate({
 *   subject: { CN: "device-1" }, subjectKey: key, now: Date.now(), days: 1,
 *   subjectAltNames: ["urn:dev:1"],
 * }));
 * const summary = summarizeCertificate(cert);
 * assert.equal(summary.commonName, "device-1");
 * assert.deepEqual(summary.subjectAltNames, ["urn:dev:1"]);
 * ```
 */
export function summarizeCertificate(cert: Certificate): CertificateSummary {
  const commonName = cert.subject.commonName;
  return {
    fingerprint: cert.fingerprintSha256,
    ...(commonName === undefined ? {} : { commonName }),
    subjectAltNames: cert.subjectAltNames.map((n) => n.value),
  };
}

/**
 * Options of {@link CertificateRuleIndex.identify}.
 *
 * @example
 * ```ts
 * import type { IdentifyOptions } from "./identity.ts";
 *
 * const options: IdentifyOptions = { fallbackSubject: "device-1" };
 * ```
 */
export interface IdentifyOptions {
  /** The rest of the verified path, leaf's issuer first: their CNs are matched too. */
  readonly issuers?: readonly CertificateSummary[];
  /** Subject of a certificate no rule names; none: such a certificate has no identity. */
  readonly fallbackSubject?: string;
}

/**
 * Which part of a client certificate becomes the MQTT user name and ACL
 * subject when no store rule names it (EMQX `peer_cert_as_username`;
 * Mosquitto's `use_identity_as_username` is `cn`, `use_subject_as_username`
 * is `dn`): the subject CN, the subject DN (RFC 4514, most specific first),
 * the first subjectAltName, the SHA-256 fingerprint (lowercase hex), or
 * `disabled` (only store rules name certificates).
 *
 * @example
 * ```ts
 * import type { PeerCertAsUsername } from "./identity.ts";
 *
 * const mode: PeerCertAsUsername = "cn";
 * ```
 */
export type PeerCertAsUsername =
  | "disabled"
  | "cn"
  | "dn"
  | "san"
  | "fingerprint";

/**
 * Every {@link PeerCertAsUsername} value, for config readers.
 *
 * @example
 * ```ts
 * import { PEER_CERT_AS_USERNAME } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(PEER_CERT_AS_USERNAME.includes("cn"));
 * ```
 */
export const PEER_CERT_AS_USERNAME: readonly PeerCertAsUsername[] = [
  "disabled",
  "cn",
  "dn",
  "san",
  "fingerprint",
];

/**
 * The user name `mode` takes from a certificate, or `undefined` (mode
 * `disabled`, or the certificate has no such part).
 *
 * @param cert A parsed certificate.
 * @param mode Which part.
 * @returns The user name.
 *
 * @example
 * ```ts
 * import { certificateUsername } from "./identity.ts";
 * import { issueCertificate, parseCertificate } from "../pki/mod.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const cert = parseCertificate(await issueCertificate({
 *   subject: { CN: "device-1", O: "Acme" }, subjectKey: key, now: Date.now(), days: 1,
 * }));
 * assert.equal(certificateUsername(cert, "cn"), "device-1");
 * assert.equal(certificateUsername(cert, "dn"), "CN=device-1,O=Acme");
 * assert.equal(certificateUsername(cert, "san"), undefined);
 * assert.equal(certificateUsername(cert, "fingerprint"), cert.fingerprintSha256);
 * ```
 */
export function certificateUsername(
  cert: Certificate,
  mode: PeerCertAsUsername,
): string | undefined {
  switch (mode) {
    case "disabled":
      return undefined;
    case "cn":
      return cert.subject.commonName;
    case "dn":
      return cert.subject.isEmpty ? undefined : cert.subject.toString();
    case "san":
      return cert.subjectAltNames[0]?.value;
    case "fingerprint":
      return cert.fingerprintSha256;
  }
}

interface RegexRule {
  readonly id: string;
  readonly regex: RegExp;
  readonly device: string;
  readonly order: number;
}

/**
 * The certificate rules in a form for fast lookups: exact matches by id,
 * CN regexes in creation order.
 *
 * @example
 * ```ts
 * import { CertificateRuleIndex } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * const index = new CertificateRuleIndex();
 * index.allow({ cnRegex: "device-(\\d+)" }, "dev$1", 1);
 * const summary = { fingerprint: "00".repeat(32), commonName: "device-42", subjectAltNames: [] };
 * assert.equal(index.identify(summary)?.subject, "dev42");
 * index.revoke({ cn: "device-42" });
 * assert.equal(index.identify(summary), undefined);
 * ```
 */
export class CertificateRuleIndex {
  #allow = new Map<string, { match: CertificateMatch; device: string }>();
  #regexes: RegexRule[] = [];
  #revoked = new Map<string, CertificateMatch>();
  #revokedRegexes = new Map<string, RegExp>();

  /**
   * Adds or replaces an allow rule.
   *
   * @param match A normalized match.
   * @param device The device name (template for a CN regex).
   * @param order Creation order among CN regex rules.
   */
  allow(match: CertificateMatch, device: string, order: number): void {
    const id = certificateRuleId(match);
    this.removeAllow(id);
    this.#allow.set(id, { match, device });
    if ("cnRegex" in match) {
      this.#regexes.push({
        id,
        regex: compileCnRegex(match.cnRegex),
        device,
        order,
      });
      this.#regexes.sort((a, b) => a.order - b.order || cmp(a.id, b.id));
    }
  }

  /**
   * Removes an allow rule.
   *
   * @param id The rule id.
   */
  removeAllow(id: string): void {
    if (!this.#allow.delete(id)) return;
    this.#regexes = this.#regexes.filter((r) => r.id !== id);
  }

  /**
   * Adds a revocation.
   *
   * @param match A normalized match.
   */
  revoke(match: CertificateMatch): void {
    const id = certificateRuleId(match);
    this.#revoked.set(id, match);
    if ("cnRegex" in match) {
      this.#revokedRegexes.set(id, compileCnRegex(match.cnRegex));
    }
  }

  /**
   * Lifts a revocation.
   *
   * @param id The rule id.
   */
  removeRevocation(id: string): void {
    this.#revoked.delete(id);
    this.#revokedRegexes.delete(id);
  }

  /**
   * Every rule: allow rules then revocations, each sorted by id.
   *
   * @returns The rules.
   */
  list(): CertificateRule[] {
    const allow = [...this.#allow].sort(([a], [b]) => cmp(a, b)).map((
      [id, { match, device }],
    ): CertificateRule => ({ id, type: "allow", match, device }));
    const revoked = [...this.#revoked].sort(([a], [b]) => cmp(a, b)).map((
      [id, match],
    ): CertificateRule => ({ id, type: "revoke", match }));
    return [...allow, ...revoked];
  }

  /**
   * The identity of a certificate, or `undefined` when it is revoked or no
   * rule names it.
   *
   * @param cert What the rules look at.
   * @returns The identity.
   */
  identify(
    cert: CertificateSummary,
    options: IdentifyOptions = {},
  ): Identity | undefined {
    const issuers = options.issuers ?? [];
    if (this.#isRevoked(cert) || issuers.some((c) => this.#isRevoked(c))) {
      return undefined;
    }
    const exact = [
      `fingerprint:${cert.fingerprint}`,
      ...(cert.commonName === undefined ? [] : [`cn:${cert.commonName}`]),
      ...cert.subjectAltNames.map((v) => `san:${v}`),
    ];
    for (const id of exact) {
      const rule = this.#allow.get(id);
      if (rule !== undefined) return x509Identity(rule.device, id, cert);
    }
    for (const named of [cert, ...issuers]) {
      const cn = named.commonName;
      if (cn === undefined) continue;
      const rule = named === cert ? undefined : this.#allow.get(`cn:${cn}`);
      if (rule !== undefined) {
        return x509Identity(rule.device, `cn:${cn}`, cert);
      }
      for (const r of this.#regexes) {
        if (!r.regex.test(cn)) continue;
        const device = cn.replace(r.regex, r.device);
        if (device !== "") return x509Identity(device, r.id, cert);
      }
    }
    const fallback = options.fallbackSubject;
    if (fallback === undefined || fallback === "") return undefined;
    return x509Identity(fallback, `fingerprint:${cert.fingerprint}`, cert);
  }

  #isRevoked(cert: CertificateSummary): boolean {
    if (this.#revoked.size === 0) return false;
    if (this.#revoked.has(`fingerprint:${cert.fingerprint}`)) return true;
    const cn = cert.commonName;
    if (cn !== undefined) {
      if (this.#revoked.has(`cn:${cn}`)) return true;
      for (const regex of this.#revokedRegexes.values()) {
        if (regex.test(cn)) return true;
      }
    }
    return cert.subjectAltNames.some((v) => this.#revoked.has(`san:${v}`));
  }
}

function x509Identity(
  subject: string,
  ruleId: string,
  cert: CertificateSummary,
): Identity {
  return { subject, kind: "x509", credentialId: ruleId, certificate: cert };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
