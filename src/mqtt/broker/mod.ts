/**
 * The sans-IO MQTT broker core (MQTT 3.1, 3.1.1 and 5.0): sessions, topic
 * trie, retained messages, QoS 1/2 flows, wills, keep-alive, shared
 * subscriptions, `$SYS`, auth hooks and a write-behind session store.
 *
 * @example
 * ```ts
 * import { Broker, MemorySessionStore } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker({ store: new MemorySessionStore(), sysInterval: 0 });
 * const id = broker.openConnection(0, { remoteAddress: "127.0.0.1", transport: "tcp" });
 * assert.equal(broker.connectionCount, 1);
 * broker.connectionClosed(0, id);
 * assert.equal(broker.connectionCount, 0);
 * ```
 *
 * @module
 */

export { Broker, type InternalPublish, type Transmit } from "./broker.ts";
export type {
  BrokerEvent,
  BrokerLimits,
  BrokerOptions,
  CloseReason,
} from "./_core.ts";
export type {
  AuthContext,
  AuthHooks,
  AuthorizeContext,
  AuthResult,
  PeerIdentity,
  Transport,
} from "./auth_hooks.ts";
export type { ConnectionId, ConnectionInfo } from "./connection.ts";
export {
  MemorySessionStore,
  type SessionStore,
  type StoredInflight,
  type StoredQueued,
  type StoredSession,
  type StoredSubscription,
  type StoreOp,
  type StoreSnapshot,
} from "./session_store.ts";
export type { Message } from "./session.ts";
export type { BrokerStats } from "./sys_topics.ts";
export { TopicTrie } from "./topic_trie.ts";
export { RetainedStore } from "./retained.ts";
