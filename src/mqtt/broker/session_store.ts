/**
 * Persistence of sessions and retained messages behind an interface, with
 * an in-memory implementation (the Deno KV one is an adapter, later).
 *
 * Durability semantics (write-behind): the broker's memory is the truth.
 * Changes mark a session or retained topic dirty; every `persistIntervalMs`
 * (driven by `handleTimeout`) the broker hands the store one batch holding
 * the latest state of each dirty key, in the order the keys were first
 * dirtied. A batch is handed over only after the previous one settled, so
 * writes never overtake each other. A crash loses at most the changes of the
 * last interval plus the batch in flight: a QoS 1/2 message acknowledged to
 * its publisher may be lost then (as Mosquitto between autosaves). Sessions
 * with a Session Expiry Interval of 0 are never written.
 *
 * @module
 */

import type { QoS } from "../packet/types.ts";
import type { Message } from "./session.ts";

/** A subscription as stored. */
export interface StoredSubscription {
  /** The filter as subscribed, `$share/...` included. */
  filter: string;
  /** Maximum QoS. */
  qos: QoS;
  /** No Local. */
  noLocal: boolean;
  /** Retain As Published. */
  retainAsPublished: boolean;
  /** Retain Handling. */
  retainHandling: 0 | 1 | 2;
  /** Subscription Identifier. */
  subscriptionId: number | undefined;
}

/** An outgoing QoS 1/2 message awaiting acknowledgement, as stored. */
export interface StoredInflight {
  /** Packet identifier. */
  packetId: number;
  /** QoS of the delivery. */
  qos: 1 | 2;
  /** Retain flag of the delivery. */
  retain: boolean;
  /** Subscription identifiers of the delivery. */
  subscriptionIds: number[] | undefined;
  /** Where the QoS flow stands. */
  state: "publish" | "pubrel";
  /** The message. */
  message: Message;
}

/** A queued message, as stored. */
export interface StoredQueued {
  /** The message. */
  message: Message;
  /** QoS of the delivery. */
  qos: QoS;
  /** Retain flag of the delivery. */
  retain: boolean;
  /** Subscription identifiers of the delivery. */
  subscriptionIds: number[] | undefined;
}

/** A persistent session, as stored. */
export interface StoredSession {
  /** Client identifier. */
  clientId: string;
  /** Session Expiry Interval in seconds (`Infinity`: never). */
  expiryInterval: number;
  /** Absolute expiry time when no connection was attached. */
  expiresAt: number | undefined;
  /** Subscriptions. */
  subscriptions: StoredSubscription[];
  /** Outgoing QoS 1/2 messages in flight, in send order. */
  inflight: StoredInflight[];
  /** Queued messages, oldest first. */
  queue: StoredQueued[];
  /** Incoming QoS 2 packet identifiers awaiting PUBREL. */
  incomingQos2: number[];
}

/** Everything a store holds, loaded at start. */
export interface StoreSnapshot {
  /** Persistent sessions. */
  sessions: StoredSession[];
  /** Retained messages. */
  retained: Message[];
}

/** One write of a batch. */
export type StoreOp =
  | { kind: "session"; session: StoredSession }
  | { kind: "delete_session"; clientId: string }
  | { kind: "retained"; message: Message }
  | { kind: "delete_retained"; topic: string };

/** A session and retained message store; both methods may be async. */
export interface SessionStore {
  /** Loads everything (once, at start; see `Broker.restore`). */
  load(): StoreSnapshot | Promise<StoreSnapshot>;
  /** Applies a batch of writes in order. */
  write(ops: StoreOp[]): void | Promise<void>;
}

/**
 * A {@link SessionStore} in memory: for tests, and for brokers that need no
 * persistence across restarts. Values are copied in and out.
 *
 * @example
 * ```ts
 * import { MemorySessionStore } from "./session_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemorySessionStore();
 * store.write([{ kind: "retained", message: { topic: "t", payload: new Uint8Array([1]), qos: 0, retain: true } }]);
 * assert.equal(store.load().retained.length, 1);
 * store.write([{ kind: "delete_retained", topic: "t" }]);
 * assert.equal(store.load().retained.length, 0);
 * ```
 */
export class MemorySessionStore implements SessionStore {
  #sessions = new Map<string, StoredSession>();
  #retained = new Map<string, Message>();
  #writes = 0;

  /** Number of `write` calls so far. */
  get writes(): number {
    return this.#writes;
  }

  /** A copy of everything stored. */
  load(): StoreSnapshot {
    return structuredClone({
      sessions: [...this.#sessions.values()],
      retained: [...this.#retained.values()],
    });
  }

  /** Applies `ops` in order. */
  write(ops: StoreOp[]): void {
    this.#writes++;
    for (const op of ops) {
      switch (op.kind) {
        case "session":
          this.#sessions.set(op.session.clientId, structuredClone(op.session));
          break;
        case "delete_session":
          this.#sessions.delete(op.clientId);
          break;
        case "retained":
          this.#retained.set(op.message.topic, structuredClone(op.message));
          break;
        case "delete_retained":
          this.#retained.delete(op.topic);
          break;
      }
    }
  }
}
