/**
 * DISCONNECT from a client (MQTT 5.0 §3.14, 3.1.1 §3.14): the will is
 * discarded, except for 5.0 reason 0x04; 5.0 may change the Session Expiry
 * Interval unless it was 0 in CONNECT.
 *
 * @module
 */

import type { DisconnectPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import { type BrokerCore, DisconnectError } from "../_core.ts";

/**
 * Handles DISCONNECT and closes the connection.
 *
 * @example
 * ```ts
 * import { handleDisconnect } from "./disconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handleDisconnect, "function");
 * ```
 */
export function handleDisconnect(
  core: BrokerCore,
  conn: Connection,
  packet: DisconnectPacket,
  now: number,
): void {
  const code = packet.reasonCode ?? 0;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined && conn.session !== undefined) {
    if (conn.sessionExpiryInterval === 0 && expiry !== 0) {
      throw new DisconnectError(
        0x82,
        "Cannot accept DISCONNECT: session expiry set after CONNECT said 0",
      ); // [MQTT-3.14.2-2]
    }
    conn.session.expiryInterval = Math.min(
      expiry,
      core.limits.maxSessionExpiry,
    );
  }
  // [MQTT-3.14.4-3] (5.0), [MQTT-3.1.2-10] (3.1.1): no will after DISCONNECT 0x00
  core.close(conn, now, {
    reason: "client_disconnect",
    reasonCode: code,
    publishWill: conn.version === 5 && code === 0x04,
  });
}
