/**
 * A {@link SessionStore} on Deno KV: persistent MQTT sessions (subscriptions,
 * queued and in-flight QoS 1/2 messages, incoming QoS 2 identifiers) and
 * retained messages survive a broker restart. The one file in `src/mqtt`
 * that touches `Deno.*`: it is an adapter behind the core's store interface.
 *
 * Layout, in its own KV file (`${POSTERN_DATA_DIR}/mqtt.kv`, apart from the
 * credential store):
 *
 * ```
 *  ["mqtt", "meta", kind, id]     → number of chunks
 *  ["mqtt", "data", kind, id, i]  → chunk i of the V8-serialized record
 *  kind: "session" (id = client id) | "retained" (id = topic)
 * ```
 *
 * Records are split into chunks below the 64 KiB value limit; ids longer
 * than a KV key allows are replaced by their SHA-256 (the record holds the
 * real id). A batch becomes as few atomic operations as the KV limits allow
 * (1000 mutations, 800 KiB each), applied in order: every record that fits
 * one atomic operation is written atomically; a batch that needs several is
 * durable operation by operation, which the write-behind contract of the
 * broker (it may lose the last interval) already allows for.
 *
 * After {@link KvSessionStore.load} the store knows every id in its file,
 * so deleting one it holds nothing for (the broker deletes every session
 * that ends, clean ones included) is no write at all.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type {
  SessionStore,
  StoredSession,
  StoreOp,
  StoreSnapshot,
} from "./broker/session_store.ts";
import type { Message } from "./broker/session.ts";

type Kind = "session" | "retained";

const CHUNK = 60_000;
const MAX_MUTATIONS = 1000;
const MAX_ATOMIC_BYTES = 700 * 1024;
const MAX_ID_BYTES = 1024;
const encoder = new TextEncoder();

type Mutation =
  | { type: "set"; key: Deno.KvKey; value: Uint8Array | number }
  | { type: "delete"; key: Deno.KvKey };

/**
 * Sessions and retained messages in a Deno KV file.
 *
 * @example Write, close, reopen, load
 * ```ts
 * import { KvSessionStore } from "./kv_session_store.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvSessionStore.open(`${dir}/mqtt.kv`);
 * await store.write([{ kind: "retained", message: { topic: "t", payload: new Uint8Array([1]), qos: 1, retain: true } }]);
 * store.close();
 * const again = await KvSessionStore.open(`${dir}/mqtt.kv`);
 * const snapshot = await again.load();
 * assert.deepEqual([...snapshot.retained[0]!.payload], [1]);
 * again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class KvSessionStore implements SessionStore {
  readonly #kv: Deno.Kv;
  /** Chunk counts of the records in the file (all of them once loaded). */
  readonly #chunks = new Map<string, number>();
  #loaded = false;
  #pending: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /**
   * Opens (creating) the store at `path`.
   *
   * @param path The KV file.
   * @returns The store.
   */
  static async open(path: string): Promise<KvSessionStore> {
    return new KvSessionStore(await Deno.openKv(path));
  }

  /** Loads every session and retained message. */
  async load(): Promise<StoreSnapshot> {
    const counts = new Map<string, number>();
    for await (const e of this.#kv.list<number>({ prefix: ["mqtt", "meta"] })) {
      counts.set(mapKey(e.key[2] as Kind, e.key[3] as string), e.value);
    }
    const parts = new Map<string, Uint8Array[]>();
    for await (
      const e of this.#kv.list<Uint8Array>({ prefix: ["mqtt", "data"] })
    ) {
      const k = mapKey(e.key[2] as Kind, e.key[3] as string);
      const i = e.key[4] as number;
      let list = parts.get(k);
      if (list === undefined) parts.set(k, list = []);
      list[i] = e.value;
      // chunks without a count (a batch cut short) are deleted with their id
      this.#chunks.set(k, Math.max(this.#chunks.get(k) ?? 0, i + 1));
    }
    const sessions: StoredSession[] = [];
    const retained: Message[] = [];
    for (const [k, n] of counts) {
      const list = parts.get(k) ?? [];
      this.#chunks.set(k, Math.max(n, this.#chunks.get(k) ?? 0));
      if (list.length < n) continue;
      const chunks = list.slice(0, n);
      if (chunks.some((c) => c === undefined)) continue;
      const record = deserialize(concat(chunks));
      if (k.startsWith("session\0")) sessions.push(record as StoredSession);
      else retained.push(record as Message);
    }
    this.#loaded = true;
    return { sessions, retained };
  }

  /** Applies `ops` in order; resolves once durable. */
  write(ops: StoreOp[]): Promise<void> {
    const run = this.#pending.then(() => this.#apply(ops));
    this.#pending = run.catch(() => {});
    return run;
  }

  /** Resolves once every write handed over so far has settled. */
  settled(): Promise<void> {
    return this.#pending;
  }

  async #apply(ops: StoreOp[]): Promise<void> {
    if (this.#closed) throw new Deno.errors.BadResource("Store is closed");
    let batch: Mutation[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const atomic = this.#kv.atomic();
      for (const m of batch) {
        if (m.type === "set") atomic.set(m.key, m.value);
        else atomic.delete(m.key);
      }
      const result = await atomic.commit();
      if (!result.ok) throw new Error("Cannot commit the session store batch");
      batch = [];
      bytes = 0;
    };
    for (const op of ops) {
      const record = this.#mutations(op);
      const size = record.reduce(
        (n, m) =>
          n + (m.type === "set" && typeof m.value !== "number"
            ? m.value.length
            : 0) +
          64,
        0,
      );
      if (
        batch.length + record.length > MAX_MUTATIONS ||
        bytes + size > MAX_ATOMIC_BYTES
      ) await flush();
      for (const m of record) {
        const mSize = (m.type === "set" && typeof m.value !== "number"
          ? m.value.length
          : 0) + 64;
        if (
          batch.length + 1 > MAX_MUTATIONS || bytes + mSize > MAX_ATOMIC_BYTES
        ) {
          await flush();
        }
        batch.push(m);
        bytes += mSize;
      }
    }
    await flush();
  }

  #mutations(op: StoreOp): Mutation[] {
    switch (op.kind) {
      case "session":
        return this.#set("session", op.session.clientId, op.session);
      case "retained":
        return this.#set("retained", op.message.topic, op.message);
      case "delete_session":
        return this.#delete("session", op.clientId);
      case "delete_retained":
        return this.#delete("retained", op.topic);
    }
  }

  #set(kind: Kind, id: string, record: unknown): Mutation[] {
    const key = keyId(id);
    const k = mapKey(kind, key);
    const bytes = toBytes(serialize(record));
    const n = Math.max(1, Math.ceil(bytes.length / CHUNK));
    const out: Mutation[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        type: "set",
        key: ["mqtt", "data", kind, key, i],
        value: bytes.slice(i * CHUNK, (i + 1) * CHUNK),
      });
    }
    const old = this.#chunks.get(k) ?? 0;
    for (let i = n; i < old; i++) {
      out.push({ type: "delete", key: ["mqtt", "data", kind, key, i] });
    }
    out.push({ type: "set", key: ["mqtt", "meta", kind, key], value: n });
    this.#chunks.set(k, n);
    return out;
  }

  #delete(kind: Kind, id: string): Mutation[] {
    const key = keyId(id);
    const k = mapKey(kind, key);
    // a clean session that never outlived its connection was never written
    if (this.#loaded && !this.#chunks.has(k)) return [];
    const old = this.#chunks.get(k) ?? 1;
    this.#chunks.delete(k);
    const out: Mutation[] = [
      { type: "delete", key: ["mqtt", "meta", kind, key] },
    ];
    for (let i = 0; i < old; i++) {
      out.push({ type: "delete", key: ["mqtt", "data", kind, key, i] });
    }
    return out;
  }

  /** Closes the KV file; later writes fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#kv.close();
  }
}

function mapKey(kind: Kind, id: string): string {
  return `${kind}\0${id}`;
}

function keyId(id: string): string {
  if (encoder.encode(id).length <= MAX_ID_BYTES) return id;
  return `#sha256:${createHash("sha256").update(id).digest("hex")}`;
}

function toBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
