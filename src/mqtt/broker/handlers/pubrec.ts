/**
 * PUBREC from a client (MQTT 5.0 §3.5, 4.3.3): the first answer of an
 * outgoing QoS 2 flow, answered with PUBREL.
 *
 * @module
 */

import type { PubrecPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles PUBREC: PUBREL for a known identifier, the flow ends on a 5.0
 * error code, and PUBREL with 0x92 answers an unknown identifier.
 *
 * @example
 * ```ts
 * import { handlePubrec } from "./pubrec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handlePubrec, "function");
 * ```
 */
export function handlePubrec(
  core: BrokerCore,
  conn: Connection,
  packet: PubrecPacket,
  now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const packetId = packet.packetId;
  const entry = session.inflight.get(packetId);
  if (entry === undefined || entry.qos !== 2) {
    core.sendAck(conn, "pubrel", { packetId, reasonCode: 0x92 });
    return;
  }
  if ((packet.reasonCode ?? 0) >= 0x80) {
    session.inflight.delete(packetId); // [MQTT-4.3.3-4]: an error ends the flow
    core.markSession(session);
    core.drainQueue(session, now);
    return;
  }
  entry.state = "pubrel"; // [MQTT-4.3.3-3]: the message is not resent after PUBREC
  core.markSession(session);
  core.sendAck(conn, "pubrel", { packetId, reasonCode: 0 }); // [MQTT-4.3.3-4]
}
