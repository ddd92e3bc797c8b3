/**
 * The in-memory view of a credential store that every backend answers
 * from: one table per record kind plus derived indexes (certificate rules,
 * parsed CAs), the change each mutation makes, and the checks on names and
 * secrets shared by the backends.
 *
 * @module
 */

import { type AclRule, validateAclRule } from "./acl.ts";
import { AuthError, type AuthErrorCode } from "./errors.ts";
import {
  type CertificateMatch,
  certificateRuleId,
  CertificateRuleIndex,
  normalizeCertificateMatch,
} from "./identity.ts";
import type { CredentialChange, CredentialKind } from "./store.ts";
import { constantTimeEqual, encodeHex } from "../bytes/mod.ts";
import { digest } from "../crypto/mod.ts";
import { type Certificate, parseCertificate } from "../pki/mod.ts";

/** A PSK identity's secret. */
export interface PskRecord {
  readonly key: Uint8Array;
}

/** An access token, keyed by the SHA-256 of the token in hex. */
export interface TokenRecord {
  readonly id: string;
  readonly device: string;
  readonly prefix: string;
}

/** A user's password hash. */
export interface UserRecord {
  readonly hash: string;
}

/** A certificate allow rule, keyed by rule id. */
export interface CertRecord {
  readonly match: CertificateMatch;
  readonly device: string;
  readonly order: number;
}

/** A certificate revocation, keyed by rule id. */
export interface RevokedRecord {
  readonly match: CertificateMatch;
}

/** A trusted CA, keyed by fingerprint. */
export interface CaRecord {
  readonly der: Uint8Array;
}

/** The rules of one ACL subject. */
export interface AclRecord {
  readonly rules: readonly AclRule[];
}

/** Every record kind and its value. */
export interface RecordTypes {
  psk: PskRecord;
  token: TokenRecord;
  user: UserRecord;
  cert: CertRecord;
  revoked: RevokedRecord;
  ca: CaRecord;
  acl: AclRecord;
}

/** A table of the store. */
export type RecordKind = keyof RecordTypes;

/** Every record kind, in load order. */
export const RECORD_KINDS: readonly RecordKind[] = [
  "psk",
  "token",
  "user",
  "cert",
  "revoked",
  "ca",
  "acl",
];

/** Sets (value) or deletes (`undefined`) one record. */
export type Mutation = {
  [K in RecordKind]: {
    readonly kind: K;
    readonly id: string;
    readonly value: RecordTypes[K] | undefined;
  };
}[RecordKind];

/** What a write does: its mutations, the changes they make, its result. */
export interface Plan<T> {
  readonly mutations: readonly Mutation[];
  readonly changes: readonly CredentialChange[];
  readonly result: T;
}

type Tables = { [K in RecordKind]: Map<string, RecordTypes[K]> };

const PUBLIC_KIND: Record<RecordKind, CredentialKind> = {
  psk: "psk",
  token: "token",
  user: "user",
  cert: "x509",
  revoked: "x509",
  ca: "ca",
  acl: "acl",
};

/** The tables and indexes of one store instance. */
export class CredentialState {
  /** The sequence number of the last write reflected. */
  seq = 0;
  /** Bumped by every ACL mutation, so that cached ACLs can be dropped. */
  aclVersion = 0;
  #tables: Tables = {
    psk: new Map(),
    token: new Map(),
    user: new Map(),
    cert: new Map(),
    revoked: new Map(),
    ca: new Map(),
    acl: new Map(),
  };
  #certIndex = new CertificateRuleIndex();
  #cas = new Map<string, Certificate>();

  /** The certificate rules as an index. */
  get certificates(): CertificateRuleIndex {
    return this.#certIndex;
  }

  /** Parsed trusted CAs by fingerprint. */
  get cas(): ReadonlyMap<string, Certificate> {
    return this.#cas;
  }

  /** One record. */
  get<K extends RecordKind>(kind: K, id: string): RecordTypes[K] | undefined {
    return (this.#tables[kind] as Map<string, RecordTypes[K]>).get(id);
  }

  /** Every record of a kind. */
  table<K extends RecordKind>(kind: K): ReadonlyMap<string, RecordTypes[K]> {
    return this.#tables[kind] as Map<string, RecordTypes[K]>;
  }

  /** Applies a mutation to the tables and indexes. */
  apply(m: Mutation): void {
    switch (m.kind) {
      case "cert":
        this.#certIndex.removeAllow(m.id);
        if (m.value !== undefined) {
          this.#certIndex.allow(m.value.match, m.value.device, m.value.order);
        }
        break;
      case "revoked":
        this.#certIndex.removeRevocation(m.id);
        if (m.value !== undefined) this.#certIndex.revoke(m.value.match);
        break;
      case "acl":
        this.aclVersion++;
        break;
      case "ca":
        this.#cas.delete(m.id);
        if (m.value !== undefined) {
          this.#cas.set(m.id, parseCertificate(m.value.der));
        }
        break;
    }
    const table = this.#tables[m.kind] as Map<string, unknown>;
    if (m.value === undefined) table.delete(m.id);
    else table.set(m.id, m.value);
  }

  /** The changes a mutation makes to the current state (none when it sets the same value). */
  changesFor(m: Mutation): CredentialChange[] {
    const before = this.get(m.kind, m.id);
    const after = m.value;
    if (sameRecord(m.kind, before, after)) return [];
    const kind = PUBLIC_KIND[m.kind];
    const id = m.kind === "token"
      ? ((after ?? before) as TokenRecord).id
      : m.id;
    if (m.kind === "revoked") {
      return [{ kind, id, op: after === undefined ? "added" : "revoked" }];
    }
    if (before === undefined) return [{ kind, id, op: "added" }];
    if (after === undefined) return [{ kind, id, op: "removed" }];
    if (m.kind === "acl") return [{ kind, id, op: "added" }];
    return [{ kind, id, op: "removed" }, { kind, id, op: "added" }];
  }

  /** Every record, as mutations that would rebuild this state. */
  *records(): Generator<Mutation> {
    for (const kind of RECORD_KINDS) {
      for (const [id, value] of this.#tables[kind]) {
        yield { kind, id, value } as Mutation;
      }
    }
  }
}

/** Whether two values of a record are the same. */
export function sameRecord(
  kind: RecordKind,
  a: unknown,
  b: unknown,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  switch (kind) {
    case "psk":
      return bytesEqual((a as PskRecord).key, (b as PskRecord).key);
    case "ca":
      return bytesEqual((a as CaRecord).der, (b as CaRecord).der);
    case "token": {
      const x = a as TokenRecord;
      const y = b as TokenRecord;
      return x.id === y.id && x.device === y.device && x.prefix === y.prefix;
    }
    case "user":
      return (a as UserRecord).hash === (b as UserRecord).hash;
    case "cert": {
      const x = a as CertRecord;
      const y = b as CertRecord;
      return x.device === y.device &&
        certificateRuleId(x.match) === certificateRuleId(y.match);
    }
    case "revoked":
      return certificateRuleId((a as RevokedRecord).match) ===
        certificateRuleId((b as RevokedRecord).match);
    case "acl":
      return JSON.stringify((a as AclRecord).rules) ===
        JSON.stringify((b as AclRecord).rules);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}

type Fields = Record<string, unknown>;

const DECODERS: {
  [K in RecordKind]: (id: string, v: Fields) => RecordTypes[K] | undefined;
} = {
  psk: (_id, v) =>
    v.key instanceof Uint8Array && v.key.length > 0
      ? { key: v.key }
      : undefined,
  token: (_id, v) =>
    typeof v.id === "string" && typeof v.device === "string" &&
      typeof v.prefix === "string"
      ? { id: v.id, device: v.device, prefix: v.prefix }
      : undefined,
  user: (_id, v) => typeof v.hash === "string" ? { hash: v.hash } : undefined,
  cert: (id, v) => {
    if (typeof v.device !== "string" || typeof v.order !== "number") {
      return undefined;
    }
    const match = normalizeCertificateMatch(v.match as CertificateMatch);
    return certificateRuleId(match) === id
      ? { match, device: v.device, order: v.order }
      : undefined;
  },
  revoked: (id, v) => {
    const match = normalizeCertificateMatch(v.match as CertificateMatch);
    return certificateRuleId(match) === id ? { match } : undefined;
  },
  ca: (id, v) =>
    v.der instanceof Uint8Array &&
      parseCertificate(v.der).fingerprintSha256 === id
      ? { der: v.der }
      : undefined,
  acl: (_id, v) =>
    Array.isArray(v.rules) && v.rules.length > 0
      ? { rules: v.rules.map(validateAclRule) }
      : undefined,
};

/**
 * Reads a record from a backend, checking its shape; `undefined` for
 * anything malformed (a backend written by a newer version, or damaged).
 */
export function decodeRecord<K extends RecordKind>(
  kind: K,
  id: string,
  value: unknown,
): RecordTypes[K] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  try {
    return DECODERS[kind](id, value as Fields);
  } catch {
    return undefined;
  }
}

/** PSK secrets are 1 to this many bytes. */
export const MAX_PSK_BYTES = 64;
/** Names (PSK identities, devices, users, ACL subjects) are 1 to this many UTF-8 bytes. */
export const MAX_NAME_BYTES = 256;
/** Access tokens are 1 to this many characters. */
export const MAX_TOKEN_LENGTH = 256;

/**
 * Checks a PSK identity, device, user or subject name: 1 to 256 UTF-8
 * bytes, no control characters, no surrounding whitespace.
 */
export function checkName(
  value: unknown,
  what: string,
  code: AuthErrorCode = "invalid_identity",
): string {
  if (typeof value !== "string" || value === "") {
    throw new AuthError(code, `Invalid ${what}: empty`);
  }
  if (new TextEncoder().encode(value).length > MAX_NAME_BYTES) {
    throw new AuthError(
      code,
      `Invalid ${what}: longer than ${MAX_NAME_BYTES} bytes`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new AuthError(code, `Invalid ${what}: has control characters`);
  }
  if (value.trim() !== value) {
    throw new AuthError(
      code,
      `Invalid ${what} ${
        JSON.stringify(value)
      }: starts or ends with whitespace`,
    );
  }
  return value;
}

/** Checks a PSK secret: 1 to 64 bytes. */
export function checkPskKey(key: unknown, identity: string): Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw new AuthError(
      "invalid_key",
      `Invalid secret for PSK identity ${JSON.stringify(identity)}: not bytes`,
    );
  }
  if (key.length === 0 || key.length > MAX_PSK_BYTES) {
    throw new AuthError(
      "invalid_key",
      `Invalid secret for PSK identity ${
        JSON.stringify(identity)
      }: ${key.length} bytes, expected 1 to ${MAX_PSK_BYTES}`,
    );
  }
  return key;
}

/** Checks an access token: 1 to 256 printable characters without whitespace. */
export function checkToken(token: unknown): string {
  if (typeof token !== "string" || token === "") {
    throw new AuthError("invalid_token", "Invalid access token: empty");
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AuthError(
      "invalid_token",
      `Invalid access token: longer than ${MAX_TOKEN_LENGTH} characters`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\s\u0000-\u001f\u007f]/u.test(token)) {
    throw new AuthError(
      "invalid_token",
      "Invalid access token: has whitespace or control characters",
    );
  }
  return token;
}

/** The SHA-256 of a token, in hex: the key it is stored under. */
export function tokenHash(token: string): string {
  return encodeHex(digest("SHA-256", new TextEncoder().encode(token)));
}

/** What listings show of a token: up to 4 characters, at most a third of it. */
export function tokenPrefix(token: string): string {
  const chars = [...token];
  return `${
    chars.slice(0, Math.min(4, Math.floor(chars.length / 3))).join("")
  }…`;
}

/** Compares strings by UTF-16 code units, as `Array.prototype.sort` does by default. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
