/**
 * The ChangeCipherSpec record body (RFC 5246 §7.1). It is a record of its
 * own content type, not a handshake message, but it sits in the handshake
 * order and so lives with the messages.
 *
 * ```text
 * struct { enum { change_cipher_spec(1), (255) } type; } ChangeCipherSpec;
 * ```
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/**
 * Encodes the ChangeCipherSpec body, the single byte 1.
 *
 * @example
 * ```ts
 * import { encodeChangeCipherSpec } from "./change_cipher_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeChangeCipherSpec(), new Uint8Array([1]));
 * ```
 */
export function encodeChangeCipherSpec(): Uint8Array {
  return new Uint8Array([1]);
}

/**
 * Checks a ChangeCipherSpec body.
 *
 * @throws {DecodeError} unless the body is one byte.
 * @throws {TlsAlertError} `illegal_parameter` if that byte is not 1.
 *
 * @example
 * ```ts
 * import { decodeChangeCipherSpec } from "./change_cipher_spec.ts";
 * import assert from "node:assert/strict";
 *
 * decodeChangeCipherSpec(new Uint8Array([1]));
 * assert.throws(() => decodeChangeCipherSpec(new Uint8Array([2])));
 * ```
 */
export function decodeChangeCipherSpec(body: Uint8Array): void {
  if (body.length !== 1) {
    throw new DecodeError(
      "ChangeCipherSpec",
      0,
      `length ${body.length}, expected 1`,
    );
  }
  if (body[0] !== 1) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `ChangeCipherSpec type ${body[0]} is not 1`,
    );
  }
}
