/**
 * An in-memory credential store: nothing persists. For tests, examples and
 * brokers that are given their credentials at start; the shared store
 * suite runs against it and against the Deno KV backend.
 *
 * @module
 */

import { StoreBase, type StoreOptions } from "./_base.ts";
import type { CredentialState, Plan } from "./_state.ts";

/**
 * A credential store held in memory.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore({ passwordIterations: 1000 });
 * const seen: string[] = [];
 * store.onChange((c) => seen.push(`${c.kind} ${c.op} ${c.id}`));
 * await store.addUser("alice", "correct horse");
 * assert.equal((await store.verifyPassword("alice", "correct horse"))?.subject, "alice");
 * assert.equal(await store.verifyPassword("alice", "wrong"), undefined);
 * await store.removeUser("alice");
 * assert.deepEqual(seen, ["user added alice", "user removed alice"]);
 * await store.close();
 * ```
 */
export class MemoryStore extends StoreBase {
  /**
   * Makes an empty store.
   *
   * @param options Password hashing and ACL policy.
   */
  constructor(options: StoreOptions = {}) {
    super(options);
  }

  /** Applies the plan at once. */
  protected override transact<T>(
    plan: (state: CredentialState) => Plan<T>,
  ): Promise<T> {
    try {
      this.checkOpen();
      const { mutations, changes, result } = plan(this.state);
      if (mutations.length > 0) {
        for (const m of mutations) this.state.apply(m);
        this.state.seq++;
      }
      this.emit(changes);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Ends change iterations; later calls throw `AuthError` `closed`. */
  override close(): Promise<void> {
    this.markClosed();
    return Promise.resolve();
  }
}
