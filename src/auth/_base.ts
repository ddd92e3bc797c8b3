/**
 * What every credential store backend shares: argument checks, planning a
 * write as mutations plus the changes they make, answering reads from the
 * in-memory {@link CredentialState}, and delivering changes. A backend
 * supplies `transact` (run a plan against its storage and the state) and
 * may replace `writeImport` (the batched PSK import).
 *
 * @module
 */

import {
  Acl,
  type AclAction,
  type AclPolicy,
  type AclRule,
  validateAclRule,
} from "./acl.ts";
import { AuthError } from "./errors.ts";
import {
  type CertificateMatch,
  type CertificateRule,
  certificateRuleId,
  normalizeCertificateMatch,
  summarizeCertificate,
} from "./identity.ts";
import { PasswordHasher } from "./password.ts";
import {
  checkName,
  checkPskKey,
  checkToken,
  compareStrings,
  CredentialState,
  type Mutation,
  type Plan,
  type RecordKind,
  tokenHash,
  tokenPrefix,
} from "./_state.ts";
import type {
  AclEntry,
  AuthorizeOptions,
  CredentialChange,
  CredentialStore,
  Identity,
  ImportOptions,
  ImportResult,
  TokenInfo,
} from "./store.ts";
import { randomBytes } from "../crypto/mod.ts";
import { type Certificate, parseCertificate } from "../pki/mod.ts";

/**
 * Options shared by every backend.
 *
 * @example
 * ```ts
 * import type { StoreOptions } from "./_base.ts";
 *
 * const options: StoreOptions = { passwordIterations: 1000, acl: { noRules: "deny" } };
 * ```
 */
export interface StoreOptions {
  /** PBKDF2 iterations for new password hashes (default 100 000; tests use fewer). */
  passwordIterations?: number;
  /** Comparison of derived password keys (default `constantTimeEqual`; tests wrap it). */
  passwordEqual?: (a: Uint8Array, b: Uint8Array) => boolean;
  /** ACL decisions when no rule decides. */
  acl?: AclPolicy;
}

/** Identities written per import batch unless configured (EMQX's default). */
export const DEFAULT_CHUNK_SIZE = 50;
/** The largest import batch: two Deno KV mutations per identity, at most 1000 per commit. */
export const MAX_CHUNK_SIZE = 500;

const TOKEN_LENGTH = 20;
const TOKEN_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const MAX_ACL_CACHE = 10_000;

/** A checked PSK import entry. */
export interface ImportEntry {
  readonly identity: string;
  readonly key: Uint8Array;
}

/**
 * The shared part of {@link CredentialStore} backends.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * import { StoreBase } from "./_base.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new MemoryStore() instanceof StoreBase);
 * ```
 */
export abstract class StoreBase implements CredentialStore {
  #state = new CredentialState();
  #hasher: PasswordHasher;
  #policy: AclPolicy;
  #listeners = new Set<(change: CredentialChange) => void>();
  #queues = new Set<ChangeQueue>();
  #closed = false;
  #acls = new Map<string, Acl>();
  #aclVersion = -1;

  /**
   * Sets up the shared state.
   *
   * @param options Password hashing and ACL policy.
   */
  constructor(options: StoreOptions = {}) {
    this.#hasher = new PasswordHasher({
      ...(options.passwordIterations === undefined
        ? {}
        : { iterations: options.passwordIterations }),
      ...(options.passwordEqual === undefined
        ? {}
        : { equal: options.passwordEqual }),
    });
    this.#policy = { ...options.acl };
  }

  /** The in-memory view the backend keeps current. */
  protected get state(): CredentialState {
    return this.#state;
  }

  /**
   * Runs a write: computes the plan against the current state, makes it
   * durable, applies it and delivers its changes before resolving.
   */
  protected abstract transact<T>(
    plan: (state: CredentialState) => Plan<T>,
  ): Promise<T>;

  /** Releases the backend. */
  abstract close(): Promise<void>;

  /** Delivers changes to listeners and iterators. */
  protected emit(changes: readonly CredentialChange[]): void {
    for (const change of changes) {
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch {
          // A listener's failure must not stop delivery to the others.
        }
      }
      for (const queue of this.#queues) queue.push(change);
    }
  }

  /** Throws once the store is closed. */
  protected checkOpen(): void {
    if (this.#closed) {
      throw new AuthError("closed", "Cannot use the credential store: closed");
    }
  }

  /** Whether `close()` has begun. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** Marks the store closed and ends every change iteration. */
  protected markClosed(): void {
    this.#closed = true;
    for (const queue of this.#queues) queue.end();
    this.#queues.clear();
    this.#listeners.clear();
  }

  /** Imports checked entries; this default writes them in one step. */
  protected writeImport(
    entries: readonly ImportEntry[],
    _chunkSize: number,
  ): Promise<ImportResult> {
    return this.transact((state) => {
      const { changed, result } = diffImport(state, entries);
      return planOf(
        state,
        changed.map((e): Mutation => ({
          kind: "psk",
          id: e.identity,
          value: { key: e.key },
        })),
        result,
      );
    });
  }

  // --- PSK ---

  /** {@inheritDoc CredentialStore.lookupPsk} */
  lookupPsk(identity: string): Promise<Uint8Array | undefined> {
    return this.#read(() => this.#state.get("psk", identity)?.key.slice());
  }

  /** {@inheritDoc CredentialStore.addPsk} */
  async addPsk(identity: string, key: Uint8Array): Promise<void> {
    this.checkOpen();
    checkName(identity, "PSK identity");
    const copy = checkPskKey(key, identity).slice();
    await this.transact((state) =>
      planOf(state, [{ kind: "psk", id: identity, value: { key: copy } }])
    );
  }

  /** {@inheritDoc CredentialStore.removePsk} */
  removePsk(identity: string): Promise<boolean> {
    return this.#remove("psk", identity);
  }

  /** {@inheritDoc CredentialStore.listPsk} */
  listPsk(): Promise<string[]> {
    return this.#read(() => sortedKeys(this.#state.table("psk")));
  }

  /** {@inheritDoc CredentialStore.importPsks} */
  async importPsks(
    entries: Iterable<{ readonly identity: string; readonly key: Uint8Array }>,
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    this.checkOpen();
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `Cannot import PSK identities: chunk size ${chunkSize} is not a positive integer`,
      );
    }
    const checked: ImportEntry[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      const identity = checkName(entry.identity, "PSK identity");
      if (seen.has(identity)) {
        throw new AuthError(
          "invalid_identity",
          `Cannot import PSK identities: ${
            JSON.stringify(identity)
          } appears twice`,
        );
      }
      seen.add(identity);
      checked.push({ identity, key: checkPskKey(entry.key, identity).slice() });
    }
    return await this.writeImport(
      checked,
      Math.min(chunkSize, MAX_CHUNK_SIZE),
    );
  }

  // --- Tokens ---

  /** {@inheritDoc CredentialStore.verifyToken} */
  verifyToken(token: string): Promise<Identity | undefined> {
    return this.#read((): Identity | undefined => {
      if (typeof token !== "string" || token === "") return undefined;
      const record = this.#state.get("token", tokenHash(token));
      return record === undefined ? undefined : {
        subject: record.device,
        kind: "token",
        credentialId: record.id,
      };
    });
  }

  /** {@inheritDoc CredentialStore.addToken} */
  async addToken(
    device: string,
    token?: string,
  ): Promise<{ token: string; info: TokenInfo }> {
    this.checkOpen();
    checkName(device, "device name");
    const value = checkToken(token ?? generateToken());
    const hash = tokenHash(value);
    const info: TokenInfo = {
      id: hash.slice(0, 16),
      device,
      prefix: tokenPrefix(value),
    };
    await this.transact((state) => {
      const existing = state.get("token", hash);
      if (existing !== undefined && existing.device !== device) {
        throw new AuthError(
          "invalid_token",
          `Cannot add access token: it already belongs to device ${
            JSON.stringify(existing.device)
          }`,
        );
      }
      return planOf(state, [{ kind: "token", id: hash, value: info }]);
    });
    return { token: value, info };
  }

  /** {@inheritDoc CredentialStore.removeToken} */
  async removeToken(tokenOrId: string): Promise<boolean> {
    this.checkOpen();
    if (typeof tokenOrId !== "string" || tokenOrId === "") return false;
    const hash = tokenHash(tokenOrId);
    return await this.transact((state) => {
      let key: string | undefined = state.get("token", hash) === undefined
        ? undefined
        : hash;
      if (key === undefined) {
        for (const [k, record] of state.table("token")) {
          if (record.id === tokenOrId) key = k;
        }
      }
      return key === undefined
        ? planOf(state, [], false)
        : planOf(state, [{ kind: "token", id: key, value: undefined }], true);
    });
  }

  /** {@inheritDoc CredentialStore.listTokens} */
  listTokens(): Promise<TokenInfo[]> {
    return this.#read(() =>
      [...this.#state.table("token").values()].sort((a, b) =>
        compareStrings(a.device, b.device) || compareStrings(a.id, b.id)
      ).map((r) => ({ id: r.id, device: r.device, prefix: r.prefix }))
    );
  }

  // --- Users ---

  /** {@inheritDoc CredentialStore.verifyPassword} */
  async verifyPassword(
    username: string,
    password: string | Uint8Array,
  ): Promise<Identity | undefined> {
    this.checkOpen();
    const record = typeof username === "string"
      ? this.#state.get("user", username)
      : undefined;
    if (record === undefined) {
      await this.#hasher.verifyUnknown(password);
      return undefined;
    }
    const ok = await this.#hasher.verify(record.hash, password);
    if (!ok || this.#closed || this.#state.get("user", username) !== record) {
      return undefined;
    }
    return { subject: username, kind: "password", credentialId: username };
  }

  /** {@inheritDoc CredentialStore.addUser} */
  async addUser(
    username: string,
    password: string | Uint8Array,
  ): Promise<void> {
    this.checkOpen();
    checkName(username, "user name");
    const hash = await this.#hasher.hash(password);
    await this.transact((state) =>
      planOf(state, [{ kind: "user", id: username, value: { hash } }])
    );
  }

  /** {@inheritDoc CredentialStore.removeUser} */
  removeUser(username: string): Promise<boolean> {
    return this.#remove("user", username);
  }

  /** {@inheritDoc CredentialStore.listUsers} */
  listUsers(): Promise<string[]> {
    return this.#read(() => sortedKeys(this.#state.table("user")));
  }

  // --- X.509 ---

  /** {@inheritDoc CredentialStore.identifyCertificate} */
  identifyCertificate(
    cert: Certificate,
    options: {
      readonly issuers?: readonly Certificate[];
      readonly fallbackSubject?: string;
    } = {},
  ): Promise<Identity | undefined> {
    const issuers = (options.issuers ?? []).map(summarizeCertificate);
    const fallback = options.fallbackSubject;
    return this.#read(() =>
      this.#state.certificates.identify(summarizeCertificate(cert), {
        issuers,
        ...(fallback === undefined ? {} : { fallbackSubject: fallback }),
      })
    );
  }

  /** {@inheritDoc CredentialStore.allowCertificate} */
  async allowCertificate(
    match: CertificateMatch,
    device: string,
  ): Promise<string> {
    this.checkOpen();
    const normalized = normalizeCertificateMatch(match);
    checkName(device, "device name");
    const id = certificateRuleId(normalized);
    await this.transact((state) => {
      const order = state.get("cert", id)?.order ?? state.seq + 1;
      return planOf(state, [{
        kind: "cert",
        id,
        value: { match: normalized, device, order },
      }]);
    });
    return id;
  }

  /** {@inheritDoc CredentialStore.revokeCertificate} */
  async revokeCertificate(match: CertificateMatch): Promise<string> {
    this.checkOpen();
    const normalized = normalizeCertificateMatch(match);
    const id = certificateRuleId(normalized);
    await this.transact((state) =>
      planOf(state, [{ kind: "revoked", id, value: { match: normalized } }])
    );
    return id;
  }

  /** {@inheritDoc CredentialStore.removeCertificateRule} */
  async removeCertificateRule(match: CertificateMatch): Promise<boolean> {
    this.checkOpen();
    const id = certificateRuleId(normalizeCertificateMatch(match));
    return await this.transact((state) => {
      const mutations: Mutation[] = [];
      if (state.get("cert", id) !== undefined) {
        mutations.push({ kind: "cert", id, value: undefined });
      }
      if (state.get("revoked", id) !== undefined) {
        mutations.push({ kind: "revoked", id, value: undefined });
      }
      return planOf(state, mutations, mutations.length > 0);
    });
  }

  /** {@inheritDoc CredentialStore.listCertificateRules} */
  listCertificateRules(): Promise<CertificateRule[]> {
    return this.#read(() => this.#state.certificates.list());
  }

  /** {@inheritDoc CredentialStore.trustedCas} */
  trustedCas(): Promise<Certificate[]> {
    return this.#read(() =>
      [...this.#state.cas].sort(([a], [b]) => compareStrings(a, b)).map((
        [, cert],
      ) => cert)
    );
  }

  /** {@inheritDoc CredentialStore.addCa} */
  async addCa(cert: Certificate | Uint8Array): Promise<string> {
    this.checkOpen();
    let parsed: Certificate;
    try {
      parsed = cert instanceof Uint8Array ? parseCertificate(cert) : cert;
    } catch (err) {
      throw new AuthError(
        "invalid_certificate",
        `Cannot add CA: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (parsed.basicConstraints?.ca !== true && parsed.version !== 1) {
      throw new AuthError(
        "invalid_certificate",
        `Cannot add CA ${
          JSON.stringify(parsed.subject.toString())
        }: not a CA certificate (basicConstraints cA is not set)`,
      );
    }
    const fingerprint = parsed.fingerprintSha256;
    const der = parsed.der.slice();
    await this.transact((state) =>
      planOf(state, [{ kind: "ca", id: fingerprint, value: { der } }])
    );
    return fingerprint;
  }

  /** {@inheritDoc CredentialStore.removeCa} */
  removeCa(fingerprint: string): Promise<boolean> {
    const hex = typeof fingerprint === "string"
      ? fingerprint.replace(/[\s:]/g, "").toLowerCase()
      : "";
    return this.#remove("ca", hex);
  }

  // --- ACL ---

  /** {@inheritDoc CredentialStore.aclFor} */
  aclFor(subject: string): Promise<Acl> {
    return this.#read(() => this.#acl(subject));
  }

  /** {@inheritDoc CredentialStore.authorize} */
  authorize(
    subject: string,
    action: Exclude<AclAction, "all">,
    topic: string,
    options: AuthorizeOptions = {},
  ): Promise<boolean> {
    return this.#read(() => this.#acl(subject).allows(action, topic, options));
  }

  /** {@inheritDoc CredentialStore.setAcl} */
  async setAcl(subject: string, rules: readonly AclRule[]): Promise<void> {
    this.checkOpen();
    checkName(subject, "ACL subject");
    const checked = rules.map(validateAclRule);
    await this.transact((state) =>
      planOf(state, [{
        kind: "acl",
        id: subject,
        value: checked.length === 0 ? undefined : { rules: checked },
      }])
    );
  }

  /** {@inheritDoc CredentialStore.listAcl} */
  listAcl(subject?: string): Promise<AclEntry[]> {
    return this.#read(() => {
      const entries: AclEntry[] = [];
      for (const [s, record] of this.#state.table("acl")) {
        if (subject === undefined || s === subject) {
          entries.push({ subject: s, rules: [...record.rules] });
        }
      }
      return entries.sort((a, b) => compareStrings(a.subject, b.subject));
    });
  }

  // --- Changes ---

  /** {@inheritDoc CredentialStore.changes} */
  changes(
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<CredentialChange> {
    const queue = new ChangeQueue(() => this.#queues.delete(queue));
    if (this.#closed || options.signal?.aborted) queue.end();
    else {
      this.#queues.add(queue);
      options.signal?.addEventListener("abort", () => queue.end(), {
        once: true,
      });
    }
    return queue;
  }

  /** {@inheritDoc CredentialStore.onChange} */
  onChange(listener: (change: CredentialChange) => void): () => void {
    const wrapped = (change: CredentialChange) => listener(change);
    this.#listeners.add(wrapped);
    return () => {
      this.#listeners.delete(wrapped);
    };
  }

  /** Answers a read from the state; a closed store rejects. */
  #read<T>(answer: () => T): Promise<T> {
    try {
      this.checkOpen();
      return Promise.resolve(answer());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #acl(subject: string): Acl {
    if (this.#aclVersion !== this.#state.aclVersion) {
      this.#acls.clear();
      this.#aclVersion = this.#state.aclVersion;
    }
    let acl = this.#acls.get(subject);
    if (acl === undefined) {
      const own = this.#state.get("acl", subject)?.rules ?? [];
      const all = subject === "*"
        ? []
        : this.#state.get("acl", "*")?.rules ?? [];
      acl = new Acl(subject, [...own, ...all], this.#policy);
      if (this.#acls.size >= MAX_ACL_CACHE) this.#acls.clear();
      this.#acls.set(subject, acl);
    }
    return acl;
  }

  async #remove(kind: RecordKind, id: string): Promise<boolean> {
    this.checkOpen();
    if (typeof id !== "string" || id === "") return false;
    return await this.transact((state) =>
      state.get(kind, id) === undefined
        ? planOf(state, [], false)
        : planOf(state, [{ kind, id, value: undefined } as Mutation], true)
    );
  }
}

/**
 * A plan: the mutations, the changes they make to `state`, and a result.
 *
 * @param state The state the plan is computed against.
 * @param mutations What to write (distinct records).
 * @param result What the write returns.
 * @returns The plan.
 */
export function planOf(
  state: CredentialState,
  mutations: readonly Mutation[],
): Plan<void>;
export function planOf<T>(
  state: CredentialState,
  mutations: readonly Mutation[],
  result: T,
): Plan<T>;
export function planOf<T>(
  state: CredentialState,
  mutations: readonly Mutation[],
  result?: T,
): Plan<T | undefined> {
  return {
    mutations,
    changes: mutations.flatMap((m) => state.changesFor(m)),
    result,
  };
}

/**
 * Which import entries change the state, and the counts to report.
 *
 * @param state The current state.
 * @param entries Checked entries.
 * @returns The entries to write and the result.
 */
export function diffImport(
  state: CredentialState,
  entries: readonly ImportEntry[],
): { changed: ImportEntry[]; result: ImportResult } {
  const changed: ImportEntry[] = [];
  let added = 0;
  let replaced = 0;
  for (const entry of entries) {
    const existing = state.get("psk", entry.identity);
    if (existing === undefined) added++;
    else if (
      state.changesFor({
        kind: "psk",
        id: entry.identity,
        value: { key: entry.key },
      }).length > 0
    ) replaced++;
    else continue;
    changed.push(entry);
  }
  return {
    changed,
    result: { added, replaced, unchanged: entries.length - changed.length },
  };
}

function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort(compareStrings);
}

function generateToken(): string {
  let out = "";
  while (out.length < TOKEN_LENGTH) {
    for (const b of randomBytes(TOKEN_LENGTH)) {
      if (b < 248 && out.length < TOKEN_LENGTH) out += TOKEN_ALPHABET[b % 62];
    }
  }
  return out;
}

/** One consumer of `changes()`: a queue that is its own async iterator. */
class ChangeQueue implements AsyncIterableIterator<CredentialChange> {
  #items: CredentialChange[] = [];
  #waiting: ((r: IteratorResult<CredentialChange>) => void) | undefined;
  #done = false;
  #detach: () => void;

  constructor(detach: () => void) {
    this.#detach = detach;
  }

  push(change: CredentialChange): void {
    if (this.#done) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value: change, done: false });
    } else this.#items.push(change);
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<CredentialChange>> {
    const item = this.#items.shift();
    if (item !== undefined) {
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<CredentialChange>> {
    this.#items = [];
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CredentialChange> {
    return this;
  }
}
