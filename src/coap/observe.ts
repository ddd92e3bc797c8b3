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
    const o: Observer = {
      ...registration,
      key,
      sequence: this.#nextSequence(),
      sinceConfirmable: 0,
      lastConfirmableAt: now,
    };
    this.#observers.set(key, o);
    return o;
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
    this.#observers.delete(key);
    return o;
  }

  /**
   * Observers of one path.
   *
   * @param path Uri-Path segments.
   * @returns The observers.
   */
  observersOf(path: readonly string[]): Observer[] {
    const key = path.join("/");
    return [...this.#observers.values()].filter((o) =>
      o.path.join("/") === key
    );
  }

  /**
   * Advances an observer for one more notification: the next 24-bit
   * sequence number and whether to send it as CON (every `confirmEvery`-th,
   * or when the last CON is older than `confirmAfterMs`; RFC 7641 §4.5).
   *
   * @param now Current time, ms.
   * @param observer The observer.
   * @returns The Observe value and the message type choice.
   */
  nextNotification(
    now: number,
    observer: Observer,
  ): { sequence: number; confirmable: boolean } {
    observer.sequence = this.#nextSequence();
    observer.sinceConfirmable++;
    const confirmable = observer.sinceConfirmable >= this.#confirmEvery ||
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
