/**
 * MQTT session state (MQTT 5.0 §4.1, 3.1.1 §4.1): what the server keeps for
 * a client id across network connections — subscriptions, outgoing QoS 1/2
 * messages not yet acknowledged, queued messages, incoming QoS 2 packet
 * identifiers awaiting PUBREL, the will and the expiry.
 *
 * @module
 */

import type { PublishProperties, QoS } from "../packet/types.ts";
import { Inflight } from "./inflight.ts";

/**
 * An application message inside the broker. `properties` never holds a
 * Topic Alias or Subscription Identifiers (those are per connection) nor the
 * Message Expiry Interval, which is kept as the absolute `expiresAt` and
 * recomputed on each delivery [MQTT-3.3.2-6].
 */
export interface Message {
  /** Topic name. */
  topic: string;
  /** Payload; owned by the broker (not a view into a read buffer). */
  payload: Uint8Array;
  /** QoS it was published with. */
  qos: QoS;
  /** Retain flag it was published with. */
  retain: boolean;
  /** 5.0 properties passed through to subscribers. */
  properties?: PublishProperties | undefined;
  /** Absolute expiry time in ms, from the Message Expiry Interval. */
  expiresAt?: number | undefined;
  /** Client id of the publisher, for No Local; absent for internal publishes. */
  origin?: string | undefined;
}

/** The options of one subscription of a session. */
export interface SessionSubscription {
  /** The filter as subscribed, possibly `$share/{group}/{filter}`. */
  filter: string;
  /** The filter matched against topics (without the `$share` prefix). */
  topicFilter: string;
  /** Share group name for a shared subscription. */
  group: string | undefined;
  /** Maximum QoS granted. */
  qos: QoS;
  /** 5.0 No Local. */
  noLocal: boolean;
  /** 5.0 Retain As Published. */
  retainAsPublished: boolean;
  /** 5.0 Retain Handling. */
  retainHandling: 0 | 1 | 2;
  /** 5.0 Subscription Identifier. */
  subscriptionId: number | undefined;
  /** The session the subscription belongs to. */
  session: Session;
}

/** A message waiting to be sent to a session. */
export interface QueuedMessage {
  /** The application message. */
  message: Message;
  /** QoS of this delivery. */
  qos: QoS;
  /** Retain flag of this delivery. */
  retain: boolean;
  /** Subscription identifiers of this delivery (5.0). */
  subscriptionIds: number[] | undefined;
}

/** A will message waiting for its Will Delay Interval (5.0 §3.1.3.2). */
export interface PendingWill {
  /** The will as a message. */
  message: Message;
  /** Absolute time at which it is published. */
  at: number;
  /** The authorization subject of the connection that set it. */
  subject: string | undefined;
}

/**
 * The state of one session.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const s = new Session("client-1");
 * assert.equal(s.subscriptions.size, 0);
 * assert.equal(s.inflight.size, 0);
 * ```
 */
export class Session {
  /** Client identifier. */
  readonly clientId: string;
  /** Subscriptions by filter as subscribed. */
  readonly subscriptions: Map<string, SessionSubscription> = new Map();
  /** Outgoing QoS 1/2 messages awaiting acknowledgement. */
  readonly inflight: Inflight = new Inflight();
  /** Messages waiting for a connection, a writable socket or window room. */
  queue: QueuedMessage[] = [];
  /** Incoming QoS 2 packet identifiers awaiting PUBREL [MQTT-4.3.3-8]. */
  readonly incomingQos2: Set<number> = new Set();
  /** Session Expiry Interval in seconds; `Infinity` never expires. */
  expiryInterval = 0;
  /** Absolute expiry time while no connection is attached. */
  expiresAt: number | undefined;
  /** Id of the attached connection, if any. */
  connection: number | undefined;
  /** The will of the attached connection (5.0 will delay in `willDelayMs`). */
  will: Message | undefined;
  /** Will Delay Interval of `will`, in ms. */
  willDelayMs = 0;
  /** A will waiting for its delay after the connection closed. */
  pendingWill: PendingWill | undefined;
  /** Messages dropped for this session (queue bound, packet size, expiry). */
  dropped = 0;

  /** @param clientId The client identifier. */
  constructor(clientId: string) {
    this.clientId = clientId;
  }
}
