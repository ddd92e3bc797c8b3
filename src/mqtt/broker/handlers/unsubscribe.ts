/**
 * UNSUBSCRIBE (MQTT 5.0 §3.10, 3.1.1 §3.10): removes subscriptions and
 * answers UNSUBACK (5.0: 0x00 or 0x11 No subscription existed per filter).
 *
 * @module
 */

import type { UnsubscribePacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles UNSUBSCRIBE.
 *
 * @example
 * ```ts
 * import { handleUnsubscribe } from "./unsubscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handleUnsubscribe, "function");
 * ```
 */
export function handleUnsubscribe(
  core: BrokerCore,
  conn: Connection,
  packet: UnsubscribePacket,
  _now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const codes: number[] = [];
  for (const filter of packet.topicFilters) {
    const sub = session.subscriptions.get(filter);
    if (sub === undefined) {
      codes.push(0x11);
      continue;
    }
    session.subscriptions.delete(filter); // [MQTT-3.10.4-1]
    core.removeSub(sub);
    codes.push(0x00);
  }
  core.markSession(session);
  // [MQTT-3.10.4-4], [MQTT-3.10.4-5]
  core.sendPacket(
    conn,
    conn.version === 5
      ? { type: "unsuback", packetId: packet.packetId, reasonCodes: codes }
      : { type: "unsuback", packetId: packet.packetId },
  );
}
