/**
 * PUBREL from a client (MQTT 5.0 §3.6, 4.3.3): releases an incoming QoS 2
 * packet identifier and answers PUBCOMP.
 *
 * @module
 */

import type { PubrelPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles PUBREL: PUBCOMP, with 0x92 in 5.0 for an unknown identifier.
 *
 * @example
 * ```ts
 * import { handlePubrel } from "./pubrel.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handlePubrel, "function");
 * ```
 */
export function handlePubrel(
  core: BrokerCore,
  conn: Connection,
  packet: PubrelPacket,
  _now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const known = session.incomingQos2.delete(packet.packetId); // [MQTT-4.3.3-11]
  if (known) core.markSession(session);
  core.sendAck(conn, "pubcomp", {
    packetId: packet.packetId,
    reasonCode: known ? 0 : 0x92,
  }); // [MQTT-4.3.3-11]
}
