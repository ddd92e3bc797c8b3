/**
 * Outgoing QoS 1 and QoS 2 publications awaiting acknowledgement, keyed by
 * packet identifier, in send order (MQTT 5.0 §4.3, §4.9 flow control).
 *
 * ```
 * QoS 1: PUBLISH ──► PUBACK                      (entry removed)
 * QoS 2: PUBLISH ──► PUBREC ─ PUBREL ──► PUBCOMP (state "publish" → "pubrel")
 * ```
 *
 * @module
 */

import type { Message } from "./session.ts";

/** One unacknowledged outgoing publication. */
export interface InflightEntry {
  /** Packet identifier in use. */
  packetId: number;
  /** The application message. */
  message: Message;
  /** QoS of this delivery. */
  qos: 1 | 2;
  /** Retain flag of this delivery. */
  retain: boolean;
  /** Subscription identifiers sent with it (5.0). */
  subscriptionIds: number[] | undefined;
  /** `publish`: awaiting PUBACK/PUBREC; `pubrel`: PUBREL sent, awaiting PUBCOMP. */
  state: "publish" | "pubrel";
}

/**
 * Packet identifier allocation plus the ordered set of in-flight entries.
 *
 * @example
 * ```ts
 * import { Inflight } from "./inflight.ts";
 * import assert from "node:assert/strict";
 *
 * const inflight = new Inflight();
 * const id = inflight.allocate();
 * assert.equal(id, 1);
 * inflight.add({
 *   packetId: 1, qos: 1, retain: false, subscriptionIds: undefined, state: "publish",
 *   message: { topic: "t", payload: new Uint8Array(0), qos: 1, retain: false },
 * });
 * assert.equal(inflight.allocate(), 2);
 * assert.equal(inflight.size, 1);
 * ```
 */
export class Inflight {
  #entries = new Map<number, InflightEntry>();
  #next = 1;

  /** Number of entries in flight. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The next free packet identifier (1..65535, cycling) [MQTT-2.3.1-2], or
   * `undefined` when all 65,535 are in use. Does not reserve it.
   */
  allocate(): number | undefined {
    if (this.#entries.size >= 0xffff) return undefined;
    let id = this.#next;
    while (this.#entries.has(id)) id = id === 0xffff ? 1 : id + 1;
    this.#next = id === 0xffff ? 1 : id + 1;
    return id;
  }

  /** Records an entry under its packet identifier. */
  add(entry: InflightEntry): void {
    this.#entries.set(entry.packetId, entry);
  }

  /** The entry of `packetId`, if any. */
  get(packetId: number): InflightEntry | undefined {
    return this.#entries.get(packetId);
  }

  /** Frees `packetId`. */
  delete(packetId: number): boolean {
    return this.#entries.delete(packetId);
  }

  /** Entries in send order. */
  values(): IterableIterator<InflightEntry> {
    return this.#entries.values();
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
