/**
 * AUTH from a client (MQTT 5.0 §3.15, §4.12). postern offers no enhanced
 * authentication method: a CONNECT naming one is refused with CONNACK 0x8C
 * (see connect.ts), so any AUTH packet is a Protocol Error.
 *
 * @module
 */

import type { AuthPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import { type BrokerCore, DisconnectError } from "../_core.ts";

/**
 * Handles AUTH by refusing it with DISCONNECT 0x82.
 *
 * @example
 * ```ts
 * import { handleAuth } from "./auth.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof handleAuth, "function");
 * ```
 */
export function handleAuth(
  _core: BrokerCore,
  _conn: Connection,
  _packet: AuthPacket,
  _now: number,
): void {
  // §4.12: AUTH is only allowed after a CONNECT with an Authentication Method
  throw new DisconnectError(
    0x82,
    "Cannot accept AUTH: no authentication method in CONNECT",
  );
}
