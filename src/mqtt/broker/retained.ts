/**
 * Retained messages (MQTT 5.0 §3.3.1.3, 3.1.1 §3.3.1.3): the last retained
 * message per topic, replaced by a newer one and removed by an empty payload
 * [MQTT-3.3.1-10], [MQTT-3.3.1-11].
 *
 * Lookups by a filter without wildcards are one map read; a wildcard filter
 * scans the store (subscribe time only, never on the publish path).
 *
 * @module
 */

import { topicMatches } from "../topic.ts";
import type { Message } from "./session.ts";

/**
 * The retained message store of one broker.
 *
 * @example
 * ```ts
 * import { RetainedStore } from "./retained.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new RetainedStore();
 * const payload = new Uint8Array([1]);
 * store.set({ topic: "a/b", payload, qos: 1, retain: true });
 * assert.equal(store.size, 1);
 * assert.equal(store.match("a/+", 0).length, 1);
 * store.set({ topic: "a/b", payload: new Uint8Array(0), qos: 0, retain: true });
 * assert.equal(store.size, 0);
 * ```
 */
export class RetainedStore {
  #messages = new Map<string, Message>();

  /** Number of retained messages. */
  get size(): number {
    return this.#messages.size;
  }

  /**
   * Stores `message` as the retained message of its topic, or removes the
   * retained message when the payload is empty.
   *
   * @returns `"set"` or `"deleted"` (also when there was nothing to delete).
   */
  set(message: Message): "set" | "deleted" {
    if (message.payload.length === 0) {
      this.#messages.delete(message.topic); // [MQTT-3.3.1-10], [MQTT-3.3.1-11]
      return "deleted";
    }
    this.#messages.set(message.topic, message);
    return "set";
  }

  /** Removes the retained message of `topic`. */
  delete(topic: string): boolean {
    return this.#messages.delete(topic);
  }

  /** The retained message of `topic`, if any. */
  get(topic: string): Message | undefined {
    return this.#messages.get(topic);
  }

  /** All retained messages, for persistence. */
  values(): IterableIterator<Message> {
    return this.#messages.values();
  }

  /**
   * The retained messages matching `filter` (not a shared subscription),
   * dropping those whose Message Expiry Interval has passed at `now`.
   */
  match(filter: string, now: number): Message[] {
    const out: Message[] = [];
    if (!filter.includes("+") && !filter.includes("#")) {
      const m = this.#messages.get(filter);
      if (m !== undefined) {
        if (m.expiresAt !== undefined && m.expiresAt <= now) {
          this.#messages.delete(filter);
        } else out.push(m);
      }
      return out;
    }
    for (const [topic, m] of this.#messages) {
      if (!topicMatches(filter, topic)) continue;
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        this.#messages.delete(topic);
        continue;
      }
      out.push(m);
    }
    return out;
  }
}
