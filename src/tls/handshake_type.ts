/**
 * Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2, RFC 5077 §3.3,
 * RFC 6066 §8).
 *
 * @module
 */

/**
 * Handshake message types.
 *
 * `hello_verify_request` exists only in DTLS (RFC 6347 §4.2.1);
 * `certificate_status` carries a stapled OCSP response (RFC 6066 §8);
 * `new_session_ticket` is listed so that a log names it, postern never
 * negotiates tickets.
 *
 * @example
 * ```ts
 * import { HandshakeType } from "./handshake_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(HandshakeType.client_hello, 1);
 * assert.equal(HandshakeType.hello_verify_request, 3);
 * ```
 */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  new_session_ticket: 4,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
} as const;
/** A handshake type value. */
export type HandshakeType = typeof HandshakeType[keyof typeof HandshakeType];

const NAMES = new Map<number, string>(
  Object.entries(HandshakeType).map(([k, v]) => [v, k]),
);

/**
 * The RFC name of a handshake type, for logs and error messages.
 *
 * @example
 * ```ts
 * import { handshakeTypeName } from "./handshake_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(handshakeTypeName(16), "client_key_exchange");
 * assert.equal(handshakeTypeName(99), "unknown(99)");
 * ```
 */
export function handshakeTypeName(type: number): string {
  return NAMES.get(type) ?? `unknown(${type})`;
}

/**
 * Whether `type` is a handshake type this module knows.
 *
 * @example
 * ```ts
 * import { isHandshakeType } from "./handshake_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isHandshakeType(20), true);
 * assert.equal(isHandshakeType(5), false);
 * ```
 */
export function isHandshakeType(type: number): type is HandshakeType {
  return NAMES.has(type);
}
