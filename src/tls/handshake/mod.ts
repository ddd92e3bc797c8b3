/**
 * TLS 1.2 / DTLS 1.2 handshake state machines, shared by the DTLS
 * association and the TLS-over-TCP engine: {@link ServerHandshake} and
 * {@link ClientHandshake} take whole handshake messages and return
 * {@link HandshakeAction}s, which {@link HandshakeDriver}, the base of both
 * record layers, applies.
 *
 * @example
 * ```ts
 * import { DEFAULT_CIPHER_SUITES, ServerHandshake } from "./mod.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hs = new ServerHandshake({ psk: () => undefined }, { dtls: true, frame: encodeHandshakeTls });
 * assert.equal(hs.state, "ExpectClientHello");
 * assert.ok(DEFAULT_CIPHER_SUITES.length > 5);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export {
  type HandshakeLayer,
  ServerHandshake,
  type ServerStateName,
} from "./server.ts";
export { ClientHandshake, type ClientStateName } from "./client.ts";
export {
  type ClosedEvent,
  type DriverOptions,
  type EstablishedEvent,
  HandshakeDriver,
} from "./driver.ts";
