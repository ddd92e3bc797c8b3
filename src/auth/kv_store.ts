/**
 * The embedded credential store on Deno KV: one SQLite file,
 * `credentials.kv` under `POSTERN_DATA_DIR`, shared by the running broker
 * and the `postern psk|token|user|cert|acl` commands.
 *
 * ## Reads from memory, kept fresh by a change log
 *
 * Every instance holds the whole store in memory (a few thousand
 * identities on an edge broker), so `lookupPsk` on the DTLS/TLS-PSK
 * handshake path is a map lookup. Every write is one atomic commit that
 * also bumps a change counter (`["auth","meta","seq"]`) and appends a log
 * entry (`["auth","log",seq]`) naming the records it touched and the
 * changes it made; the commit checks the counter's versionstamp, so writes
 * from any number of processes are serialized (optimistic concurrency,
 * retried on conflict).
 *
 * An instance catches up by reading the counter, then the log entries
 * after the last one it applied, re-reading the records they name and
 * delivering their changes. It does so after each of its own writes
 * (read-your-writes; a write resolves after its changes were delivered),
 * when `kv.watch` reports a new counter (instant for other handles in the
 * same process), and on a poll of the counter every `pollIntervalMs`
 * (default 250 ms), because Deno KV's local backend does not notify other
 * processes (denoland/deno#21640). A poll is one point read. The log keeps
 * the last 256 commits; an instance further behind reloads everything and
 * derives the changes by comparing.
 *
 * ## All-or-nothing PSK imports in batches
 *
 * A Deno KV commit holds at most 1000 mutations, so a large init file
 * cannot be written in one. `importPsks` therefore:
 * 1. writes a pending marker, then stages the identities that change under
 *    `["auth","stage",importId,identity]`, one commit per chunk
 *    (`chunkSize`, EMQX's `chunk_size`). Staged entries are invisible;
 * 2. makes the import visible in one commit: the counter, a log entry
 *    naming the import and a committed marker `["auth","import",importId]`.
 *    Every instance then applies the staged entries together;
 * 3. compacts: moves staged entries to their live keys in chunks (each
 *    checked against concurrent writes), then deletes the marker. Loading
 *    reads committed staging before live records, so a load during
 *    compaction sees the whole import.
 *
 * A failure before step 2 deletes what was staged and nothing is visible;
 * a crash before step 2 leaves a pending marker, whose staging is deleted
 * by the next open after an hour. A failure after step 2 leaves a
 * committed import that any later open finishes compacting.
 *
 * @module
 */

import { diffImport, type ImportEntry, StoreBase } from "./_base.ts";
import type { StoreOptions } from "./_base.ts";
import { AuthError } from "./errors.ts";
import {
  type CredentialState,
  decodeRecord,
  type Mutation,
  type Plan,
  RECORD_KINDS,
  type RecordKind,
  sameRecord,
} from "./_state.ts";
import type { CredentialChange, ImportResult } from "./store.ts";

/**
 * The store's file name inside the data directory.
 *
 * @example
 * ```ts
 * import { CREDENTIALS_FILE } from "./kv_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CREDENTIALS_FILE, "credentials.kv");
 * ```
 */
export const CREDENTIALS_FILE = "credentials.kv";

/**
 * The path of the store file in a data directory.
 *
 * @param dataDir `POSTERN_DATA_DIR` (default `./data`).
 * @returns `DATA_DIR/credentials.kv`.
 *
 * @example
 * ```ts
 * import { credentialStorePath } from "./kv_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(credentialStorePath("./data/"), "./data/credentials.kv");
 * ```
 */
export function credentialStorePath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "") || "."}/${CREDENTIALS_FILE}`;
}

/**
 * Options of {@link KvStore.open}.
 *
 * @example
 * ```ts
 * import type { KvStoreOptions } from "./kv_store.ts";
 *
 * const cli: KvStoreOptions = { watch: false };
 * const broker: KvStoreOptions = { pollIntervalMs: 250, onError: (e) => console.error(e) };
 * ```
 */
export interface KvStoreOptions extends StoreOptions {
  /**
   * Follow other instances' writes (default true): `kv.watch` plus a poll
   * of the change counter. One-shot commands turn it off.
   */
  watch?: boolean;
  /** Milliseconds between polls of the change counter (default 250). */
  pollIntervalMs?: number;
  /** Pending imports older than this many ms are deleted at open (default one hour). */
  staleImportMs?: number;
  /** Called with a failure of a background catch-up or compaction. */
  onError?: (error: unknown) => void;
}

const ROOT = "auth";
const META: Deno.KvKey = [ROOT, "meta", "seq"];
const LOG_RETAIN = 256;
const MAX_COMPACT_BATCH = 45;
const MAX_ATTEMPTS = 100;
const GET_MANY_LIMIT = 10;
const LOCK_RETRIES = 60;

interface LogEntry {
  readonly keys?: readonly (readonly [RecordKind, string])[];
  readonly changes?: readonly CredentialChange[];
  readonly importId?: string;
}

interface ImportMarker {
  readonly seq: number;
  readonly compacting?: boolean;
}

function recordKey(kind: RecordKind, id: string): Deno.KvKey {
  return [ROOT, "rec", kind, id];
}

function stageKey(importId: string, identity: string): Deno.KvKey {
  return [ROOT, "stage", importId, identity];
}

function importKey(importId: string): Deno.KvKey {
  return [ROOT, "import", importId];
}

function pendingKey(importId: string): Deno.KvKey {
  return [ROOT, "pending", importId];
}

function storageError(action: string, err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  return new AuthError(
    "storage",
    `Cannot ${action}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}

function isLocked(err: unknown): boolean {
  return err instanceof Error && /database is (locked|busy)/i.test(err.message);
}

/**
 * Runs a KV call, retrying while another process holds the SQLite write
 * lock (Deno KV reports `database is locked` rather than waiting).
 */
async function retryLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isLocked(err) || attempt >= LOCK_RETRIES) throw err;
      const wait = Math.min(200, 5 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, wait / 2 + Math.random() * wait));
    }
  }
}

/** Commits; `false` when a check failed. */
async function commit(op: Deno.AtomicOperation): Promise<boolean> {
  return (await retryLocked(() => op.commit())).ok;
}

async function commitOrThrow(
  op: Deno.AtomicOperation,
  action: string,
): Promise<void> {
  let ok: boolean;
  try {
    ok = await commit(op);
  } catch (err) {
    throw storageError(action, err);
  }
  if (!ok) {
    throw new AuthError("storage", `Cannot ${action}: the commit was refused`);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

/**
 * A credential store on Deno KV, shared by every process that opens the
 * same file.
 *
 * @example Two instances on one database
 * ```ts
 * import { KvStore } from "./kv_store.ts";
 * import assert from "node:assert/strict";
 *
 * // In production: KvStore.openDataDir(dataDir), once per process.
 * const kv = await Deno.openKv(":memory:");
 * const broker = await KvStore.open(kv);
 * const cli = await KvStore.open(kv, { watch: false });
 * const seen = new Promise((resolve) => broker.onChange(resolve));
 * await cli.addPsk("device-1", new Uint8Array(16).fill(1));
 * assert.deepEqual(await seen, { kind: "psk", id: "device-1", op: "added" });
 * assert.equal((await broker.lookupPsk("device-1"))?.length, 16);
 * await cli.close();
 * await broker.close();
 * kv.close();
 * ```
 */
export class KvStore extends StoreBase {
  #kv: Deno.Kv;
  #ownsKv: boolean;
  #options: KvStoreOptions;
  #metaVersionstamp: string | null = null;
  #imports = new Map<string, number>();
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watchReader: ReadableStreamDefaultReader<unknown> | undefined;
  #watchLoop: Promise<void> | undefined;

  private constructor(kv: Deno.Kv, ownsKv: boolean, options: KvStoreOptions) {
    super(options);
    this.#kv = kv;
    this.#ownsKv = ownsKv;
    this.#options = options;
  }

  /**
   * Opens the store in a KV file (or on an open `Deno.Kv`, which the
   * store then does not close), loads it, finishes interrupted imports and
   * starts following changes.
   *
   * @param path The KV file path, or an open database.
   * @param options Watching, hashing and ACL options.
   * @returns The store.
   * @throws {AuthError} `storage` when the database cannot be opened or read.
   */
  static async open(
    path: string | Deno.Kv,
    options: KvStoreOptions = {},
  ): Promise<KvStore> {
    let kv: Deno.Kv;
    try {
      kv = typeof path === "string" ? await Deno.openKv(path) : path;
    } catch (err) {
      throw storageError(`open the credential store ${path}`, err);
    }
    const store = new KvStore(kv, typeof path === "string", options);
    try {
      await retryLocked(() => store.#reload());
      await retryLocked(() => store.#recover());
    } catch (err) {
      await store.close();
      throw storageError("load the credential store", err);
    }
    if (options.watch !== false) store.#follow();
    return store;
  }

  /**
   * Opens `DATA_DIR/credentials.kv`, creating the directory if needed.
   *
   * @param dataDir The data directory.
   * @param options As for {@link KvStore.open}.
   * @returns The store.
   * @throws {AuthError} `storage` when it cannot be created or opened.
   */
  static async openDataDir(
    dataDir: string,
    options: KvStoreOptions = {},
  ): Promise<KvStore> {
    try {
      await Deno.mkdir(dataDir, { recursive: true });
    } catch (err) {
      throw storageError(`create the data directory ${dataDir}`, err);
    }
    return await KvStore.open(credentialStorePath(dataDir), options);
  }

  /**
   * Catches up with writes made through other handles or processes now,
   * rather than at the next watch event or poll.
   */
  async refresh(): Promise<void> {
    this.checkOpen();
    await this.#sync();
  }

  /** Stops following changes, ends change iterations and closes the file. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.markClosed();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      await this.#watchReader?.cancel();
    } catch {
      // Already closed.
    }
    await this.#watchLoop;
    await Promise.allSettled([this.#running, this.#queued]);
    if (this.#ownsKv) this.#kv.close();
  }

  /** Commits the plan with the change counter check, retrying on conflict. */
  protected override async transact<T>(
    plan: (state: CredentialState) => Plan<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.checkOpen();
      await this.#syncOrThrow();
      const { mutations, changes, result } = plan(this.state);
      if (mutations.length === 0) return result;
      const seq = this.state.seq + 1;
      const op = this.#kv.atomic();
      op.check({ key: META, versionstamp: this.#metaVersionstamp });
      op.set(META, seq);
      const entry: LogEntry = {
        keys: mutations.map((m) => [m.kind, m.id] as const),
        changes,
      };
      op.set([ROOT, "log", seq], entry);
      if (seq > LOG_RETAIN) op.delete([ROOT, "log", seq - LOG_RETAIN]);
      for (const m of mutations) this.#write(op, m, seq);
      let committed: boolean;
      try {
        committed = await commit(op);
      } catch (err) {
        throw storageError("write to the credential store", err);
      }
      if (committed) {
        await this.#syncOrThrow();
        return result;
      }
    }
    throw new AuthError(
      "storage",
      `Cannot write to the credential store: ${MAX_ATTEMPTS} conflicting writes in a row`,
    );
  }

  /** Stages the changed entries in chunks, then makes them visible in one commit. */
  protected override async writeImport(
    entries: readonly ImportEntry[],
    chunkSize: number,
  ): Promise<ImportResult> {
    await this.#syncOrThrow();
    const { changed, result } = diffImport(this.state, entries);
    if (changed.length === 0) return result;
    const importId = `${Date.now().toString(36)}-${crypto.randomUUID()}`;
    const kv = this.#kv;
    await commitOrThrow(
      kv.atomic().set(pendingKey(importId), {
        startedAt: Date.now(),
        count: changed.length,
      }),
      "import PSK identities",
    );
    try {
      for (const chunk of chunks(changed, chunkSize)) {
        this.checkOpen();
        const op = kv.atomic();
        for (const e of chunk) {
          op.set(stageKey(importId, e.identity), { key: e.key });
        }
        await commitOrThrow(op, "import PSK identities");
      }
      await this.#commitImport(importId);
    } catch (err) {
      await this.#discardImport(importId).catch((e) => this.#report(e));
      throw storageError("import PSK identities", err);
    }
    await this.#syncOrThrow();
    try {
      await this.#compact(importId, Math.min(chunkSize, MAX_COMPACT_BATCH));
    } catch (err) {
      this.#report(err);
    }
    return result;
  }

  async #commitImport(importId: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.checkOpen();
      await this.#syncOrThrow();
      const seq = this.state.seq + 1;
      const op = this.#kv.atomic();
      op.check({ key: META, versionstamp: this.#metaVersionstamp });
      op.set(META, seq);
      op.set([ROOT, "log", seq], { importId } satisfies LogEntry);
      if (seq > LOG_RETAIN) op.delete([ROOT, "log", seq - LOG_RETAIN]);
      op.set(importKey(importId), { seq } satisfies ImportMarker);
      op.delete(pendingKey(importId));
      if (await commit(op)) return;
    }
    throw new AuthError(
      "storage",
      `Cannot import PSK identities: ${MAX_ATTEMPTS} conflicting writes in a row`,
    );
  }

  async #discardImport(importId: string): Promise<void> {
    const committed = await this.#kv.get(importKey(importId));
    if (committed.versionstamp !== null) return;
    const keys: Deno.KvKey[] = [];
    for await (
      const e of this.#kv.list({ prefix: [ROOT, "stage", importId] })
    ) keys.push(e.key);
    for (const chunk of chunks(keys, MAX_COMPACT_BATCH * 2)) {
      const op = this.#kv.atomic();
      for (const key of chunk) op.delete(key);
      await commitOrThrow(op, "discard a failed import");
    }
    await commitOrThrow(
      this.#kv.atomic().delete(pendingKey(importId)),
      "discard a failed import",
    );
  }

  /** Moves a committed import's staged entries to their live keys. */
  async #compact(importId: string, batch: number): Promise<void> {
    const kv = this.#kv;
    for (let conflicts = 0; conflicts < MAX_ATTEMPTS;) {
      const marker = await kv.get<ImportMarker>(importKey(importId));
      if (marker.value === null) {
        this.#imports.delete(importId);
        return;
      }
      const importSeq = marker.value.seq;
      if (marker.value.compacting !== true) {
        const flag = kv.atomic().check(marker).set(
          importKey(importId),
          {
            seq: importSeq,
            compacting: true,
          } satisfies ImportMarker,
        );
        if (!(await commit(flag))) {
          conflicts++;
          continue;
        }
      }
      const staged: Deno.KvEntry<unknown>[] = [];
      for await (
        const e of kv.list({ prefix: [ROOT, "stage", importId] }, {
          limit: batch,
        })
      ) staged.push(e);
      const op = kv.atomic();
      if (staged.length === 0) {
        const current = await kv.get(importKey(importId));
        op.check(current).delete(importKey(importId));
        if (await commit(op)) {
          this.#imports.delete(importId);
          return;
        }
        conflicts++;
        continue;
      }
      const live = await this.#getMany(
        staged.map((e) => recordKey("psk", String(e.key[3]))),
      );
      staged.forEach((e, i) => {
        const current = live[i]!;
        op.check(e);
        op.check(current);
        op.delete(e.key);
        const liveSeq = (current.value as { seq?: unknown } | null)?.seq;
        if (typeof liveSeq === "number" && liveSeq > importSeq) return;
        const record = decodeRecord("psk", String(e.key[3]), e.value);
        if (record !== undefined) {
          op.set(current.key, { key: record.key, seq: importSeq });
        }
      });
      if (!(await commit(op))) conflicts++;
    }
  }

  /** Finishes committed imports and drops stale pending ones. */
  async #recover(): Promise<void> {
    const now = Date.now();
    const stale = this.#options.staleImportMs ?? 3_600_000;
    const pending: string[] = [];
    for await (
      const e of this.#kv.list<{ startedAt?: unknown }>({
        prefix: [ROOT, "pending"],
      })
    ) {
      const startedAt = e.value?.startedAt;
      if (typeof startedAt !== "number" || now - startedAt > stale) {
        pending.push(String(e.key[2]));
      }
    }
    for (const importId of pending) await this.#discardImport(importId);
    for (const importId of [...this.#imports.keys()]) {
      await this.#compact(importId, MAX_COMPACT_BATCH);
    }
  }

  #write(op: Deno.AtomicOperation, m: Mutation, seq: number): void {
    const key = recordKey(m.kind, m.id);
    if (m.value === undefined) op.delete(key);
    else op.set(key, { ...m.value, seq });
    if (m.kind === "psk") {
      for (const importId of this.#imports.keys()) {
        op.delete(stageKey(importId, m.id));
      }
    }
  }

  #follow(): void {
    const timer = setInterval(() => {
      this.#sync().catch((e) => this.#report(e));
    }, this.#options.pollIntervalMs ?? 250);
    this.#timer = timer;
    const reader = this.#kv.watch([META]).getReader();
    this.#watchReader = reader;
    this.#watchLoop = (async () => {
      try {
        for (;;) {
          const { done } = await reader.read();
          if (done || this.closed) return;
          this.#sync().catch((e) => this.#report(e));
        }
      } catch (err) {
        if (!this.closed) this.#report(err);
      }
    })();
  }

  #report(err: unknown): void {
    if (this.closed) return;
    try {
      this.#options.onError?.(err);
    } catch {
      // The reporter's own failure has nowhere to go.
    }
  }

  async #syncOrThrow(): Promise<void> {
    try {
      await retryLocked(() => this.#sync());
    } catch (err) {
      throw storageError("read the credential store", err);
    }
  }

  /** Runs one catch-up at a time; a caller arriving during one gets the next. */
  #sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.#running === undefined) {
      const run = this.#syncOnce().finally(() => {
        this.#running = undefined;
      });
      this.#running = run;
      return run;
    }
    this.#queued ??= this.#running.catch(() => {}).then(() => {
      this.#queued = undefined;
      return this.#sync();
    });
    return this.#queued;
  }

  async #syncOnce(): Promise<void> {
    const meta = await this.#kv.get<number>(META);
    const seq = typeof meta.value === "number" ? meta.value : 0;
    const from = this.state.seq;
    if (seq === from && meta.versionstamp === this.#metaVersionstamp) return;
    if (seq <= from || seq - from > LOG_RETAIN) {
      await this.#reload();
      return;
    }
    const entries: Deno.KvEntry<LogEntry>[] = [];
    for await (
      const e of this.#kv.list<LogEntry>({
        start: [ROOT, "log", from + 1],
        end: [ROOT, "log", seq + 1],
      })
    ) entries.push(e);
    if (
      entries.length !== seq - from ||
      entries.some((e, i) => e.key[2] !== from + 1 + i)
    ) {
      await this.#reload();
      return;
    }
    for (const entry of entries) {
      if (this.closed) return;
      const ok = await this.#applyLogEntry(entry.value);
      if (!ok) {
        await this.#reload();
        return;
      }
      this.state.seq = entry.key[2] as number;
    }
    this.#metaVersionstamp = meta.versionstamp;
  }

  /** Applies one log entry; false when only a full reload can. */
  async #applyLogEntry(entry: LogEntry): Promise<boolean> {
    if (typeof entry.importId === "string") {
      return await this.#applyImport(entry.importId);
    }
    const keys = entry.keys ?? [];
    const values = await this.#getMany(
      keys.map(([kind, id]) => recordKey(kind, id)),
    );
    keys.forEach(([kind, id], i) => {
      const value = values[i]?.value;
      const record = value === null || value === undefined
        ? undefined
        : decodeRecord(kind, id, value);
      this.state.apply({ kind, id, value: record } as Mutation);
    });
    this.emit(entry.changes ?? []);
    return true;
  }

  async #applyImport(importId: string): Promise<boolean> {
    const marker = await this.#kv.get<ImportMarker>(importKey(importId));
    if (marker.value === null || marker.value.compacting === true) {
      return false;
    }
    const staged: Mutation[] = [];
    for await (
      const e of this.#kv.list({ prefix: [ROOT, "stage", importId] })
    ) {
      const id = String(e.key[3]);
      const record = decodeRecord("psk", id, e.value);
      if (record !== undefined) staged.push({ kind: "psk", id, value: record });
    }
    const after = await this.#kv.get<ImportMarker>(importKey(importId));
    if (after.versionstamp !== marker.versionstamp) return false;
    this.#imports.set(importId, marker.value.seq);
    const changes: CredentialChange[] = [];
    for (const m of staged) {
      changes.push(...this.state.changesFor(m));
      this.state.apply(m);
    }
    this.emit(changes);
    return true;
  }

  /** Reads everything, brings the state to it and delivers the differences. */
  async #reload(): Promise<void> {
    const kv = this.#kv;
    const meta = await kv.get<number>(META);
    const imports = new Map<string, number>();
    for await (
      const e of kv.list<ImportMarker>({ prefix: [ROOT, "import"] })
    ) {
      if (typeof e.value?.seq === "number") {
        imports.set(String(e.key[2]), e.value.seq);
      }
    }
    const staged = new Map<string, { seq: number; value: Mutation }>();
    for (
      const [importId, seq] of [...imports].sort((a, b) => a[1] - b[1])
    ) {
      for await (const e of kv.list({ prefix: [ROOT, "stage", importId] })) {
        const id = String(e.key[3]);
        const record = decodeRecord("psk", id, e.value);
        if (record !== undefined) {
          staged.set(id, { seq, value: { kind: "psk", id, value: record } });
        }
      }
    }
    const desired = new Map<string, Mutation>();
    for (const kind of RECORD_KINDS) {
      for await (const e of kv.list({ prefix: [ROOT, "rec", kind] })) {
        const id = String(e.key[3]);
        const record = decodeRecord(kind, id, e.value);
        if (record === undefined) continue;
        if (kind === "psk") {
          const stage = staged.get(id);
          const liveSeq = (e.value as { seq?: unknown }).seq;
          if (
            stage !== undefined &&
            !(typeof liveSeq === "number" && liveSeq > stage.seq)
          ) continue;
          staged.delete(id);
        }
        desired.set(
          `${kind}\u0000${id}`,
          { kind, id, value: record } as Mutation,
        );
      }
    }
    for (const [id, { value }] of staged) desired.set(`psk\u0000${id}`, value);

    const state = this.state;
    const changes: CredentialChange[] = [];
    const removals: Mutation[] = [];
    for (const m of state.records()) {
      if (!desired.has(`${m.kind}\u0000${m.id}`)) {
        removals.push({ kind: m.kind, id: m.id, value: undefined } as Mutation);
      }
    }
    for (const m of [...removals, ...desired.values()]) {
      if (sameRecord(m.kind, state.get(m.kind, m.id), m.value)) continue;
      changes.push(...state.changesFor(m));
      state.apply(m);
    }
    state.seq = typeof meta.value === "number" ? meta.value : 0;
    this.#metaVersionstamp = meta.versionstamp;
    this.#imports = imports;
    this.emit(changes);
  }

  async #getMany(
    keys: readonly Deno.KvKey[],
  ): Promise<Deno.KvEntryMaybe<unknown>[]> {
    const out: Deno.KvEntryMaybe<unknown>[] = [];
    for (const chunk of chunks(keys, GET_MANY_LIMIT)) {
      out.push(...await this.#kv.getMany<unknown[]>(chunk));
    }
    return out;
  }
}
