/**
 * A bounded cache of resumable sessions keyed by session ID (RFC 5246
 * §7.4.1.2, §F.1.4): least recently used entries go first when it is full,
 * and an entry older than its lifetime is never returned (RFC 5246 §F.1.4
 * suggests at most 24 hours). Sans-IO: time comes in as `now` (ms).
 *
 * What is stored is the caller's business; the TLS 1.2 / DTLS 1.2 server
 * machine (`handshake/server.ts`) stores a {@link ResumableSession} (suite,
 * master secret, whether extended master secret was used, the peer's
 * identity) when `ServerHandshakeConfig.sessionCache` is set, and the DTLS
 * and TLS-over-TCP listeners share the one cache class. Revocation removes
 * the entries of a revoked credential with {@link SessionCache.deleteWhere}.
 *
 * @example
 * ```ts
 * import { SessionCache } from "./session_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const cache = new SessionCache<string>({ maxEntries: 2, lifetimeMs: 1000 });
 * const id = new Uint8Array([1, 2, 3]);
 * cache.put(0, id, "session");
 * assert.equal(cache.get(999, id), "session");
 * assert.equal(cache.get(1000, id), undefined); // expired
 * assert.equal(cache.size, 0);
 * ```
 *
 * @module
 */

import type { CipherSuite } from "./cipher_suites.ts";
import type { PeerIdentity } from "./handshake/types.ts";

/**
 * What an abbreviated handshake (RFC 5246 §7.3 figure 2) resumes from. The
 * server keeps these in its {@link SessionCache}; a client keeps the one of
 * its last connection (`EstablishedSession.resumable`) and offers it in
 * `ClientHandshakeConfig.session`.
 *
 * @example
 * ```ts
 * import type { ResumableSession } from "./session_cache.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const s: ResumableSession = {
 *   id: new Uint8Array(32).fill(1),
 *   suite: cipherSuiteByName("PSK-AES128-CCM8")!,
 *   masterSecret: new Uint8Array(48),
 *   extendedMasterSecret: true,
 *   identity: { kind: "psk", identity: "device-1" },
 * };
 * assert.equal(s.id.length, 32);
 * ```
 */
export interface ResumableSession {
  /** The session_id, 1..32 bytes (RFC 5246 §7.4.1.2). */
  readonly id: Uint8Array;
  readonly suite: CipherSuite;
  /** The 48-byte master secret. */
  readonly masterSecret: Uint8Array;
  /** Whether the master secret is an RFC 7627 extended one. */
  readonly extendedMasterSecret: boolean;
  /** The peer as authenticated by the full handshake. */
  readonly identity: PeerIdentity | undefined;
  /**
   * Server side of a PSK session: the key it was made with. Resumption
   * needs the identity to still map to this key in the credential store.
   */
  readonly psk?: Uint8Array;
  /**
   * RFC 6066 §4: the max_fragment_length code in force; it applies to
   * resumptions of the session too.
   */
  readonly maxFragmentLength?: number;
}

/**
 * Bounds of a {@link SessionCache}.
 *
 * @example
 * ```ts
 * import type { SessionCacheOptions } from "./session_cache.ts";
 * const o: SessionCacheOptions = { maxEntries: 10_000, lifetimeMs: 86_400_000 };
 * ```
 */
export interface SessionCacheOptions {
  /** Most sessions kept; default 10 000. */
  readonly maxEntries?: number;
  /** Age after which a session is not resumed, ms; default 86 400 000 (24 h). */
  readonly lifetimeMs?: number;
}

interface Entry<T> {
  readonly createdAt: number;
  readonly value: T;
}

function keyOf(id: Uint8Array): string {
  let s = "";
  for (const b of id) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * An LRU cache of sessions with a lifetime.
 *
 * @example Least recently used goes first
 * ```ts
 * import { SessionCache } from "./session_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const cache = new SessionCache<number>({ maxEntries: 2 });
 * const a = new Uint8Array([1]), b = new Uint8Array([2]), c = new Uint8Array([3]);
 * cache.put(0, a, 1);
 * cache.put(0, b, 2);
 * cache.get(0, a); // a is now the most recently used
 * cache.put(0, c, 3); // evicts b
 * assert.equal(cache.get(0, b), undefined);
 * assert.equal(cache.get(0, a), 1);
 * ```
 */
export class SessionCache<T> {
  readonly #max: number;
  readonly #lifetime: number;
  readonly #map = new Map<string, Entry<T>>();

  /** @param options Bounds. */
  constructor(options: SessionCacheOptions = {}) {
    this.#max = options.maxEntries ?? 10_000;
    this.#lifetime = options.lifetimeMs ?? 86_400_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(
        `Cannot create a session cache with ${this.#max} entries: need a positive integer`,
      );
    }
    if (!(this.#lifetime > 0)) {
      throw new RangeError(
        `Cannot create a session cache with lifetime ${this.#lifetime} ms: need a positive value`,
      );
    }
  }

  /** Sessions held (expired ones included until touched or evicted). */
  get size(): number {
    return this.#map.size;
  }

  /**
   * Stores a session, replacing one with the same ID; evicts the least
   * recently used when full.
   *
   * @param now Current time, ms.
   * @param id The session ID (1..32 bytes).
   * @param value What to resume from.
   */
  put(now: number, id: Uint8Array, value: T): void {
    if (id.length === 0 || id.length > 32) {
      throw new RangeError(
        `Cannot cache a session ID of ${id.length} bytes: need 1..32 (RFC 5246 §7.4.1.2)`,
      );
    }
    const key = keyOf(id);
    this.#map.delete(key);
    while (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value);
    }
    this.#map.set(key, { createdAt: now, value });
  }

  /**
   * The session with this ID if it is younger than the lifetime; marks it
   * most recently used. An expired entry is removed.
   *
   * @param now Current time, ms.
   * @param id The session ID the peer offered.
   * @returns The stored value, or `undefined`.
   */
  get(now: number, id: Uint8Array): T | undefined {
    if (id.length === 0) return undefined;
    const key = keyOf(id);
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    if (now - entry.createdAt >= this.#lifetime) return undefined;
    this.#map.set(key, entry);
    return entry.value;
  }

  /**
   * Forgets a session (RFC 5246 §7.2.2: a fatal alert invalidates it).
   *
   * @param id The session ID.
   * @returns Whether it was there.
   */
  delete(id: Uint8Array): boolean {
    return this.#map.delete(keyOf(id));
  }

  /**
   * Forgets every session whose value `predicate` selects (a revoked
   * credential's sessions must not resume).
   *
   * @param predicate Chooses the entries to remove.
   * @returns How many were removed.
   *
   * @example
   * ```ts
   * import { SessionCache } from "./session_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const cache = new SessionCache<string>();
   * cache.put(0, new Uint8Array([1]), "device-1");
   * cache.put(0, new Uint8Array([2]), "device-2");
   * assert.equal(cache.deleteWhere((v) => v === "device-1"), 1);
   * assert.equal(cache.size, 1);
   * ```
   */
  deleteWhere(predicate: (value: T) => boolean): number {
    let n = 0;
    for (const [key, entry] of this.#map) {
      if (predicate(entry.value)) {
        this.#map.delete(key);
        n++;
      }
    }
    return n;
  }
}
