/**
 * PUBACK from a client (MQTT 5.0 §3.4, 4.3.2): ends an outgoing QoS 1 flow
 * and frees a place in the Receive Maximum window.
 *
 * @module
 */

import type { PubackPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles PUBACK; an unknown packet identifier is ignored.
 *
 * @example
 * ```ts
 * import { handlePuback } from "./puback.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handlePuback, "function");
 * ```
 */
export function handlePuback(
  core: BrokerCore,
  conn: Connection,
  packet: PubackPacket,
  now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const entry = session.inflight.get(packet.packetId);
  if (entry === undefined || entry.qos !== 1) return;
  session.inflight.delete(packet.packetId); // [MQTT-4.3.2-3]
  core.markSession(session);
  core.drainQueue(session, now);
}
