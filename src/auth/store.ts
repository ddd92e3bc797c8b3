/**
 * The credential store interface: one store of identities for every
 * protocol (MQTT over TCP/TLS/WebSocket, CoAP over DTLS, TLS-PSK).
 *
 * Readers (`lookupPsk`, `verifyToken`, `verifyPassword`,
 * `identifyCertificate`, `aclFor`) answer from memory in every backend;
 * writers persist and then update every open instance, which reports each
 * change on {@link CredentialStore.changes} so that the broker can close the
 * sessions of a removed or revoked credential.
 *
 * Security:
 * - PSK secrets are held as bytes (the handshake needs them) and never
 *   listed; {@link PskEntry} hides its key from `JSON.stringify` and
 *   `Deno.inspect`.
 * - Access tokens are stored as their SHA-256 only; listings show an
 *   id derived from that hash and the first four characters.
 * - Passwords are stored as PBKDF2-HMAC-SHA256 (see `password.ts`).
 * - No error message, change or identity contains a secret.
 *
 * @module
 */

import type { Acl, AclAction, AclRule } from "./acl.ts";
import type {
  CertificateMatch,
  CertificateRule,
  CertificateSummary,
} from "./identity.ts";
import type { Certificate } from "../pki/mod.ts";

/**
 * What a {@link CredentialChange} is about.
 *
 * @example
 * ```ts
 * import type { CredentialKind } from "./store.ts";
 *
 * const kind: CredentialKind = "psk";
 * ```
 */
export type CredentialKind = "psk" | "token" | "user" | "x509" | "acl" | "ca";

/**
 * What happened: `added` (new, replaced value, or a revocation lifted),
 * `removed`, or `revoked` (a certificate revocation entry was made).
 * Replacing a credential reports `removed` then `added`, so that sessions
 * that used the old value are closed.
 *
 * @example
 * ```ts
 * import type { ChangeOp } from "./store.ts";
 *
 * const op: ChangeOp = "revoked";
 * ```
 */
export type ChangeOp = "added" | "removed" | "revoked";

/**
 * One change to the store, as seen by every open instance.
 *
 * `id` is the PSK identity, the token id (see {@link TokenInfo}), the user
 * name, the certificate rule id (`fingerprint:…`, `cn:…`, `cn-regex:…`,
 * `san:…`), the CA fingerprint or the ACL subject. It never holds a secret.
 *
 * @example
 * ```ts
 * import type { CredentialChange } from "./store.ts";
 *
 * const change: CredentialChange = { kind: "psk", id: "device-1", op: "removed" };
 * ```
 */
export interface CredentialChange {
  /** What kind of entry changed. */
  readonly kind: CredentialKind;
  /** Which entry. */
  readonly id: string;
  /** What happened to it. */
  readonly op: ChangeOp;
}

/**
 * How a client authenticated.
 *
 * @example
 * ```ts
 * import type { IdentityKind } from "./store.ts";
 *
 * const kind: IdentityKind = "x509";
 * ```
 */
export type IdentityKind = "psk" | "token" | "password" | "x509";

/**
 * Who a client is once authenticated.
 *
 * `subject` is the device or user name and the ACL subject. `credentialId`
 * names the credential that let it in, as {@link CredentialChange.id} names
 * it: the PSK identity, the token id, the user name, or the certificate rule
 * id that matched. {@link isAffectedBy} tells whether a change ends it.
 *
 * @example
 * ```ts
 * import type { Identity } from "./store.ts";
 *
 * const identity: Identity = { subject: "sensor-7", kind: "psk", credentialId: "sensor-7" };
 * ```
 */
export interface Identity {
  /** Device or user name: the ACL subject and `%u`. */
  readonly subject: string;
  /** How it authenticated. */
  readonly kind: IdentityKind;
  /** The credential it authenticated with; never a secret. */
  readonly credentialId: string;
  /** For `x509`: what of the certificate a revocation can name. */
  readonly certificate?: CertificateSummary;
}

/**
 * A listed access token: never the token itself.
 *
 * @example
 * ```ts
 * import type { TokenInfo } from "./store.ts";
 *
 * const info: TokenInfo = { id: "3b9f0c1d2e4a5b6c", device: "thermostat", prefix: "A1b2…" };
 * ```
 */
export interface TokenInfo {
  /** 16 hex digits of the token's SHA-256: what `removeToken` and changes use. */
  readonly id: string;
  /** The device the token authenticates. */
  readonly device: string;
  /** The token's first four characters and `…`. */
  readonly prefix: string;
}

/**
 * The ACL of one subject as stored.
 *
 * @example
 * ```ts
 * import type { AclEntry } from "./store.ts";
 *
 * const entry: AclEntry = {
 *   subject: "sensor-7",
 *   rules: [{ permission: "allow", action: "publish", topic: "sensors/%u/#" }],
 * };
 * ```
 */
export interface AclEntry {
  /** The subject, or `*` for rules that apply to every subject. */
  readonly subject: string;
  /** Rules in order; the first that matches decides. */
  readonly rules: readonly AclRule[];
}

/**
 * Options of {@link CredentialStore.importPsks}.
 *
 * @example
 * ```ts
 * import type { ImportOptions } from "./store.ts";
 *
 * const options: ImportOptions = { chunkSize: 50 };
 * ```
 */
export interface ImportOptions {
  /** Identities written per batch (`PSK_AUTHENTICATION_CHUNK_SIZE`; default 50, at most 500). */
  chunkSize?: number;
}

/**
 * What an import did.
 *
 * @example
 * ```ts
 * import type { ImportResult } from "./store.ts";
 *
 * const result: ImportResult = { added: 2, replaced: 0, unchanged: 5 };
 * ```
 */
export interface ImportResult {
  /** Identities that were not in the store. */
  readonly added: number;
  /** Identities whose secret changed. */
  readonly replaced: number;
  /** Identities already there with the same secret (not written). */
  readonly unchanged: number;
}

/**
 * A PSK identity and its secret. The secret is kept in a private field: it
 * is not an own property, `JSON.stringify` prints `[redacted]` for it and
 * `Deno.inspect` / `console.log` show only the identity.
 *
 * @example
 * ```ts
 * import { PskEntry } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const entry = new PskEntry("device-1", new Uint8Array([1, 2, 3]));
 * assert.deepEqual(entry.key, new Uint8Array([1, 2, 3]));
 * assert.equal(JSON.stringify(entry), '{"identity":"device-1","key":"[redacted]"}');
 * assert.ok(!Deno.inspect(entry).includes("1, 2, 3"));
 * ```
 */
export class PskEntry {
  /** The PSK identity. */
  readonly identity: string;
  #key: Uint8Array;

  /**
   * Pairs an identity with its secret.
   *
   * @param identity The PSK identity.
   * @param key The secret (not copied).
   */
  constructor(identity: string, key: Uint8Array) {
    this.identity = identity;
    this.#key = key;
  }

  /** The secret bytes. */
  get key(): Uint8Array {
    return this.#key;
  }

  /** The JSON form, with the secret redacted. */
  toJSON(): { identity: string; key: string } {
    return { identity: this.identity, key: "[redacted]" };
  }

  /** What `Deno.inspect` prints. */
  [Symbol.for("Deno.customInspect")](): string {
    return `PskEntry(${JSON.stringify(this.identity)}, [redacted])`;
  }

  /** What `node:util` `inspect` prints. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `PskEntry(${JSON.stringify(this.identity)}, [redacted])`;
  }
}

/**
 * Options of {@link CredentialStore.authorize} and `Acl.allows`.
 *
 * @example
 * ```ts
 * import type { AuthorizeOptions } from "./store.ts";
 *
 * const options: AuthorizeOptions = { clientId: "c-1" };
 * ```
 */
export interface AuthorizeOptions {
  /** MQTT client identifier, substituted for `%c`. */
  clientId?: string;
}

/**
 * A store of credentials shared by every protocol.
 *
 * @example With the in-memory backend
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * import type { CredentialStore } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const store: CredentialStore = new MemoryStore();
 * await store.addPsk("device-1", new Uint8Array(16).fill(7));
 * assert.equal((await store.lookupPsk("device-1"))?.length, 16);
 * assert.deepEqual(await store.listPsk(), ["device-1"]);
 * await store.close();
 * ```
 */
export interface CredentialStore {
  /** The secret of a PSK identity (a copy), or `undefined`. In memory. */
  lookupPsk(identity: string): Promise<Uint8Array | undefined>;
  /** Adds or replaces a PSK identity (secret of 1 to 64 bytes). */
  addPsk(identity: string, key: Uint8Array): Promise<void>;
  /** Removes a PSK identity; whether it was there. */
  removePsk(identity: string): Promise<boolean>;
  /** PSK identities, sorted; never secrets. */
  listPsk(): Promise<string[]>;
  /**
   * Adds or replaces many PSK identities, all or nothing, written in
   * batches of `chunkSize`.
   */
  importPsks(
    entries: Iterable<{ readonly identity: string; readonly key: Uint8Array }>,
    options?: ImportOptions,
  ): Promise<ImportResult>;

  /** The device of an access token, or `undefined`. */
  verifyToken(token: string): Promise<Identity | undefined>;
  /** Adds an access token for a device (a random 20-character one unless given); returns it once. */
  addToken(
    device: string,
    token?: string,
  ): Promise<{ token: string; info: TokenInfo }>;
  /** Removes a token by its value or its id; whether it was there. */
  removeToken(tokenOrId: string): Promise<boolean>;
  /** Tokens sorted by device then id; never the tokens. */
  listTokens(): Promise<TokenInfo[]>;

  /** Checks a user's password; `undefined` for a wrong password or an unknown user, in the same time. */
  verifyPassword(
    username: string,
    password: string | Uint8Array,
  ): Promise<Identity | undefined>;
  /** Adds a user or replaces its password. */
  addUser(username: string, password: string | Uint8Array): Promise<void>;
  /** Removes a user; whether it was there. */
  removeUser(username: string): Promise<boolean>;
  /** User names, sorted. */
  listUsers(): Promise<string[]>;

  /**
   * The identity of a (validated) client certificate, or `undefined`; with
   * `issuers` (the rest of its verified path) their CNs are matched too, and
   * `fallbackSubject` names a certificate no rule names (see
   * `CertificateRuleIndex.identify`).
   */
  identifyCertificate(
    cert: Certificate,
    options?: {
      readonly issuers?: readonly Certificate[];
      readonly fallbackSubject?: string;
    },
  ): Promise<Identity | undefined>;
  /** Maps certificates matching `match` to `device`; returns the rule id. */
  allowCertificate(match: CertificateMatch, device: string): Promise<string>;
  /** Refuses certificates matching `match`, whatever else allows them; returns the rule id. */
  revokeCertificate(match: CertificateMatch): Promise<string>;
  /** Removes the allow rule and the revocation of `match`; whether there was one. */
  removeCertificateRule(match: CertificateMatch): Promise<boolean>;
  /** Allow rules then revocations, each sorted by id. */
  listCertificateRules(): Promise<CertificateRule[]>;
  /** Trusted CA certificates for client certificates, sorted by fingerprint. */
  trustedCas(): Promise<Certificate[]>;
  /** Trusts a CA certificate; returns its SHA-256 fingerprint. */
  addCa(cert: Certificate | Uint8Array): Promise<string>;
  /** Stops trusting a CA; whether it was there. */
  removeCa(fingerprint: string): Promise<boolean>;

  /** The ACL of a subject: its own rules, then the `*` rules. In memory. */
  aclFor(subject: string): Promise<Acl>;
  /** Whether `subject` may publish to or subscribe to `topic`. */
  authorize(
    subject: string,
    action: Exclude<AclAction, "all">,
    topic: string,
    options?: AuthorizeOptions,
  ): Promise<boolean>;
  /** Replaces the rules of a subject (`*`: every subject); no rules removes them. */
  setAcl(subject: string, rules: readonly AclRule[]): Promise<void>;
  /** Stored ACLs, of one subject or all, sorted by subject. */
  listAcl(subject?: string): Promise<AclEntry[]>;

  /**
   * Every change from now on, from this instance or any other on the same
   * backend, until the store closes or the iteration stops. A change made
   * through this instance is delivered before its writer's promise
   * resolves.
   */
  changes(options?: { signal?: AbortSignal }): AsyncIterable<CredentialChange>;
  /** Calls `listener` for every change; returns the function that stops it. */
  onChange(listener: (change: CredentialChange) => void): () => void;
  /** Releases the backend; later calls throw `AuthError` `closed`. */
  close(): Promise<void>;
}

/**
 * Whether a change ends the sessions of an identity: its credential was
 * removed, replaced or revoked. ACL changes never do (re-read the ACL);
 * for a certificate identity, removing its rule, revoking its fingerprint,
 * CN (exact or by regex) or one of its SANs, or removing any CA does.
 *
 * @param identity An authenticated identity.
 * @param change A change from {@link CredentialStore.changes}.
 * @returns Whether to close the identity's sessions.
 *
 * @example
 * ```ts
 * import { isAffectedBy } from "./store.ts";
 * import assert from "node:assert/strict";
 *
 * const identity = { subject: "d1", kind: "psk", credentialId: "d1" } as const;
 * assert.equal(isAffectedBy(identity, { kind: "psk", id: "d1", op: "removed" }), true);
 * assert.equal(isAffectedBy(identity, { kind: "psk", id: "d1", op: "added" }), false);
 * assert.equal(isAffectedBy(identity, { kind: "token", id: "d1", op: "removed" }), false);
 * ```
 */
export function isAffectedBy(
  identity: Identity,
  change: CredentialChange,
): boolean {
  if (change.op === "added") return false;
  switch (identity.kind) {
    case "psk":
      return change.kind === "psk" && change.id === identity.credentialId;
    case "token":
      return change.kind === "token" && change.id === identity.credentialId;
    case "password":
      return change.kind === "user" && change.id === identity.credentialId;
    case "x509":
      if (change.kind === "ca") return true;
      if (change.kind !== "x509") return false;
      if (change.op === "removed") return change.id === identity.credentialId;
      return revocationHits(change.id, identity.certificate);
  }
}

function revocationHits(
  ruleId: string,
  cert: CertificateSummary | undefined,
): boolean {
  if (cert === undefined) return true;
  if (ruleId === `fingerprint:${cert.fingerprint}`) return true;
  if (cert.commonName !== undefined && ruleId === `cn:${cert.commonName}`) {
    return true;
  }
  if (cert.subjectAltNames.some((v) => ruleId === `san:${v}`)) return true;
  if (ruleId.startsWith("cn-regex:") && cert.commonName !== undefined) {
    try {
      return new RegExp(`^(?:${ruleId.slice(9)})$`, "u").test(cert.commonName);
    } catch {
      return true;
    }
  }
  return false;
}
