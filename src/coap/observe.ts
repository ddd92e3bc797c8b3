/**
 * Observing resources (RFC 7641), server side: the observer registry,
 * 24-bit sequence numbers, and the choice of CON or NON per notification;
 * plus the client-side freshness rule (§3.4).
 *
 * ```
 * Client                         Server
 *   | GET /time, Observe: 0  --->   |   register (peer, token)
 *   |   <--- 2.05, Observe: 12      |
 *   |   <--- 2.05 NON, Observe: 13  |   notify()
 *   |   <--- 2.05 CON, Observe: 14  |   every N-th, or the last CON is old
 *   | RST                    --->   |   deregister (§3.6)
 * ```
 *
 * @module
 */

import type { CoapOption } from "./options.ts";
import type { PeerId } from "./message_layer.ts";
import { tokenKey } from "./message.ts";
import { IdleIndex } from "../sessions/idle_index.ts";

/**
 * Observe option values (RFC 7641 §2).
 *
 * @example
 * ```ts
 * import { ObserveAction } from "./observe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ObserveAction.DEREGISTER, 1);
 * ```
 */
export const ObserveAction = { REGISTER: 0, DEREGISTER: 1 } as const;

/**
 * One registered observer.
 *
 * @example
 * ```ts
 * import { ObserverRegistry, type Observer } from "./observe.ts";
 * import assert from "node:assert/strict";
 *
 * const o: Observer | undefined = new ObserverRegistry().register(0, { peer: "p", token: new Uint8Array([1]), path: ["t"], query: [], options: [] });
 * assert.equal(o?.path[0], "t");
 * ```
 */
export interface Observer {
  /** `peer#token`. */
  readonly key: string;
  /** The observing endpoint. */
  readonly peer: PeerId;
  /** The token of the registration. */
  readonly token: Uint8Array;
  /** The observed path. */
  readonly path: readonly string[];
  /** The registration's query. */
  readonly query: readonly string[];
  /** The registration's options (Accept, Block2 size…). */
  readonly options: readonly CoapOption[];
  /** The identity that registered. */
  readonly identity?: unknown;
  /** Last Observe value sent. */
  sequence: number;
  /** Notifications sent since the last CON one. */
  sinceConfirmable: number;
  /** When the last CON notification (or the registration) was sent, ms. */
  lastConfirmableAt: number;
  /** When a liveness probe was sent and not yet answered, ms. */
  probedAt?: number;
}

/**
 * Options of {@link ObserverRegistry}.
 *
 * @example
 * ```ts
 * import type { ObserveOptions } from "./observe.ts";
 * import assert from "node:assert/strict";
 *
 * const o: ObserveOptions = { confirmEvery: 5 };
 * assert.equal(o.confirmEvery, 5);
 * ```
 */
export interface ObserveOptions {
  /** Send a CON notification at least every N notifications (default 20). */
  readonly confirmEvery?: number;
  /**
   * Send a CON when the last CON was at least this long ago, ms (default
   * 24 h, RFC 7641 §4.5).
   */
  readonly confirmAfterMs?: number;
  /** Bound on observers (default 1024). */
  readonly maxObservers?: number;
}

/**
 * The observer table. Re-registration by the same endpoint with the same
 * token replaces the entry (RFC 7641 §4.1), so there is one observer per
 * token and endpoint.
 *
 * @example
 * ```ts
 * import { ObserverRegistry } from "./observe.ts";
 * import assert from "node:assert/strict";
 *
 * const reg = new ObserverRegistry({ confirmEvery: 3 });
 * const o = reg.register(0, { peer: "p", token: new Uint8Array([1]), path: ["t"], query: [], options: [] })!;
 * const kinds = [1, 2, 3].map((i) => reg.nextNotification(i, o).confirmable);
 * assert.deepEqual(kinds, [false, false, true]);
 * assert.equal(o.sequence, 4);
 * ```
 */
export class ObserverRegistry {
  readonly #observers = new Map<string, Observer>();
  /** Observers by path, for {@link ObserverRegistry.observersOf}. */
  readonly #byPath = new Map<string, Set<Observer>>();
  /** Last sign of life (registration, ACK, request) per observer key. */
  readonly #idle = new IdleIndex<string>();
  readonly #confirmEvery: number;
  readonly #confirmAfter: number;
  readonly #max: number;
  #sequence = 1;

  /** @param options Limits and CON frequency. */
  constructor(options: ObserveOptions = {}) {
    this.#confirmEvery = options.confirmEvery ?? 20;
    this.#confirmAfter = options.confirmAfterMs ?? 86_400_000;
    this.#max = options.maxObservers ?? 1024;
  }

  /** Registered observers. */
  get size(): number {
    return this.#observers.size;
  }

  /**
   * Registers (or re-registers) an observer.
   *
   * @param now Current time, ms.
   * @param registration Who observes what.
   * @returns The observer, or `undefined` when the table is full (the
   *   server then answers without Observe, RFC 7641 §4.1).
   */
  register(
    now: number,
    registration: Omit<
      Observer,
      "key" | "sequence" | "sinceConfirmable" | "lastConfirmableAt"
    >,
  ): Observer | undefined {
    const key = `${registration.peer}#${tokenKey(registration.token)}`;
    if (!this.#observers.has(key) && this.#observers.size >= this.#max) {
      return undefined;
    }
    this.remove(key);
    const o: Observer = {
      ...registration,
      key,
      sequence: this.#nextSequence(),
      sinceConfirmable: 0,
      lastConfirmableAt: now,
    };
    this.#observers.set(key, o);
    const path = o.path.join("/");
    let set = this.#byPath.get(path);
    if (set === undefined) this.#byPath.set(path, set = new Set());
    set.add(o);
    this.#idle.touch(key, now);
    return o;
  }

  /**
   * Records a sign of life of an observer (it acknowledged a notification
   * or re-registered): it is not idle, and a pending probe is answered.
   *
   * @param now Current time, ms.
   * @param key The observer's key.
   */
  touch(now: number, key: string): void {
    const o = this.#observers.get(key);
    if (o === undefined) return;
    delete o.probedAt;
    this.#idle.touch(key, now);
  }

  /**
   * Observers with no sign of life for `idleMs`, oldest first. Those probed
   * before and still silent are `dead`; the others are marked probed at
   * `now` and returned as `probe` (send each a CON notification).
   *
   * @param now Current time, ms.
   * @param idleMs Inactivity before a probe, and between probe and removal.
   * @returns Who to probe and who to remove.
   *
   * @example
   * ```ts
   * import { ObserverRegistry } from "./observe.ts";
   * import assert from "node:assert/strict";
   *
   * const reg = new ObserverRegistry();
   * reg.register(0, { peer: "p", token: new Uint8Array([1]), path: ["t"], query: [], options: [] });
   * assert.equal(reg.idle(1000, 1000).probe.length, 1);
   * assert.equal(reg.idle(2000, 1000).dead.length, 1);
   * ```
   */
  idle(now: number, idleMs: number): { probe: Observer[]; dead: Observer[] } {
    const probe: Observer[] = [];
    const dead: Observer[] = [];
    for (const key of this.#idle.takeIdle(now, idleMs)) {
      const o = this.#observers.get(key);
      if (o === undefined) continue;
      if (o.probedAt !== undefined) {
        dead.push(o);
        continue;
      }
      o.probedAt = now;
      this.#idle.touch(key, now);
      probe.push(o);
    }
    return { probe, dead };
  }

  /**
   * Observers registered by one endpoint.
   *
   * @param peer The endpoint.
   * @returns Its observers.
   */
  observersFrom(peer: PeerId): Observer[] {
    return [...this.#observers.values()].filter((o) => o.peer === peer);
  }

  /**
   * Finds an observer.
   *
   * @param peer The endpoint.
   * @param token The registration token.
   * @returns The observer, if registered.
   */
  get(peer: PeerId, token: Uint8Array): Observer | undefined {
    return this.#observers.get(`${peer}#${tokenKey(token)}`);
  }

  /**
   * Removes an observer by key.
   *
   * @param key The observer's key.
   * @returns The removed observer, if any.
   */
  remove(key: string): Observer | undefined {
    const o = this.#observers.get(key);
    if (o === undefined) return undefined;
    this.#observers.delete(key);
    this.#idle.delete(key);
    const path = o.path.join("/");
    const set = this.#byPath.get(path);
    set?.delete(o);
    if (set?.size === 0) this.#byPath.delete(path);
    return o;
  }

  /**
   * Observers of one path.
   *
   * @param path Uri-Path segments.
   * @returns The observers.
   */
  observersOf(path: readonly string[]): Observer[] {
    return [...this.#byPath.get(path.join("/")) ?? []];
  }

  /**
   * Advances an observer for one more notification: the next 24-bit
   * sequence number and whether to send it as CON (every `confirmEvery`-th,
   * or when the last CON is older than `confirmAfterMs`; RFC 7641 §4.5).
   *
   * @param now Current time, ms.
   * @param observer The observer.
   * @param force Send it as CON whatever the count (a liveness probe).
   * @returns The Observe value and the message type choice.
   */
  nextNotification(
    now: number,
    observer: Observer,
    force = false,
  ): { sequence: number; confirmable: boolean } {
    observer.sequence = this.#nextSequence();
    observer.sinceConfirmable++;
    const confirmable = force ||
      observer.sinceConfirmable >= this.#confirmEvery ||
      now - observer.lastConfirmableAt >= this.#confirmAfter;
    if (confirmable) {
      observer.sinceConfirmable = 0;
      observer.lastConfirmableAt = now;
    }
    return { sequence: observer.sequence, confirmable };
  }

  #nextSequence(): number {
    // RFC 7641 §4.4: a 24-bit value that increases with every notification.
    const s = this.#sequence;
    this.#sequence = (this.#sequence + 1) & 0xffffff;
    return s;
  }
}

/**
 * RFC 7641 §3.4: whether notification (v2 at time t2) is newer than
 * (v1 at t1), with 24-bit wrap-around and a 128-second escape.
 *
 * @param previous Observe value and arrival time (ms) of the last accepted one.
 * @param next Observe value and arrival time of the new one.
 * @returns True when the new notification is fresher.
 *
 * @example
 * ```ts
 * import { isFresher } from "./observe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isFresher({ value: 0xfffffe, at: 0 }, { value: 1, at: 1 }));
 * assert.ok(!isFresher({ value: 5, at: 0 }, { value: 4, at: 1 }));
 * ```
 */
export function isFresher(
  previous: { value: number; at: number },
  next: { value: number; at: number },
): boolean {
  const v1 = previous.value;
  const v2 = next.value;
  return (v1 < v2 && v2 - v1 < 2 ** 23) ||
    (v1 > v2 && v1 - v2 > 2 ** 23) ||
    next.at > previous.at + 128_000;
}
