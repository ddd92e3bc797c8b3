/**
 * ServerHelloDone (RFC 5246 §7.4.5): `struct { } ServerHelloDone;`
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";

/**
 * Encodes the (empty) ServerHelloDone body.
 *
 * @example
 * ```ts
 * import { encodeServerHelloDone } from "./server_hello_done.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeServerHelloDone().length, 0);
 * ```
 */
export function encodeServerHelloDone(): Uint8Array {
  return new Uint8Array(0);
}

/**
 * Checks a ServerHelloDone body.
 *
 * @throws {TlsAlertError} `decode_error` unless the body is empty.
 *
 * @example
 * ```ts
 * import { decodeServerHelloDone } from "./server_hello_done.ts";
 * import assert from "node:assert/strict";
 *
 * decodeServerHelloDone(new Uint8Array(0));
 * assert.throws(() => decodeServerHelloDone(new Uint8Array(1)));
 * ```
 */
export function decodeServerHelloDone(body: Uint8Array): void {
  if (body.length !== 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      `ServerHelloDone has a ${body.length}-byte body, expected none`,
    );
  }
}
