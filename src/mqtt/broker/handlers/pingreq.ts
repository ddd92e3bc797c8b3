/**
 * PINGREQ (MQTT 5.0 §3.12, 3.1.1 §3.12): answered with PINGRESP
 * [MQTT-3.12.4-1]; the keep-alive clock was already reset by the input.
 *
 * @module
 */

import type { PingreqPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { BrokerCore } from "../_core.ts";

/**
 * Handles PINGREQ.
 *
 * @example
 * ```ts
 * import { handlePingreq } from "./pingreq.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handlePingreq, "function");
 * ```
 */
export function handlePingreq(
  core: BrokerCore,
  conn: Connection,
  _packet: PingreqPacket,
  _now: number,
): void {
  core.sendPingresp(conn); // [MQTT-3.12.4-1]
}
