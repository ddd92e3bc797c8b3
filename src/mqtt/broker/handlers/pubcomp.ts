/**
 * PUBCOMP from a client (MQTT 5.0 §3.7, 4.3.3): ends an outgoing QoS 2 flow
 * and frees a place in the Receive Maximum window.
 *
 * @module
 */

import type { PubcompPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles PUBCOMP; an unknown packet identifier is ignored.
 *
 * @example
 * ```ts
 * import { handlePubcomp } from "./pubcomp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handlePubcomp, "function");
 * ```
 */
export function handlePubcomp(
  core: BrokerCore,
  conn: Connection,
  packet: PubcompPacket,
  now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const entry = session.inflight.get(packet.packetId);
  if (entry === undefined || entry.qos !== 2) return;
  session.inflight.delete(packet.packetId);
  core.markSession(session);
  core.drainQueue(session, now);
}
