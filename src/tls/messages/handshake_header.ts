/**
 * The TLS handshake message header (RFC 5246 §7.4). DTLS uses a 12-byte
 * header with message_seq and fragment fields instead; that one lives in
 * `src/dtls/fragment.ts`.
 *
 * ```text
 * struct {
 *     HandshakeType msg_type;    // 1 byte
 *     uint24 length;             // bytes in the body
 *     select (HandshakeType) { ... } body;
 * } Handshake;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";

/**
 * Bytes of the TLS handshake header.
 *
 * @example
 * ```ts
 * import { TLS_HANDSHAKE_HEADER_LENGTH } from "./handshake_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TLS_HANDSHAKE_HEADER_LENGTH, 4);
 * ```
 */
export const TLS_HANDSHAKE_HEADER_LENGTH = 4;

/** A decoded TLS handshake header. */
export interface HandshakeHeaderTls {
  /** HandshakeType; not checked here, the state machine decides what it expects. */
  readonly msgType: number;
  /** Length of the body that follows. */
  readonly length: number;
}

/**
 * Encodes a 4-byte TLS handshake header.
 *
 * @param msgType The HandshakeType.
 * @param length The body length, below 2^24.
 * @throws {RangeError} if a field does not fit.
 *
 * @example
 * ```ts
 * import { encodeHandshakeHeaderTls } from "./handshake_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeHandshakeHeaderTls(14, 0), new Uint8Array([14, 0, 0, 0]));
 * ```
 */
export function encodeHandshakeHeaderTls(
  msgType: number,
  length: number,
): Uint8Array {
  return new ByteWriter(4).uint8(msgType).uint24(length).finish();
}

/**
 * Decodes the 4-byte TLS handshake header at the start of `bytes`; whatever
 * follows (the body, or more messages) is not looked at.
 *
 * @throws {DecodeError} if fewer than 4 bytes are given.
 *
 * @example
 * ```ts
 * import { decodeHandshakeHeaderTls } from "./handshake_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeHandshakeHeaderTls(new Uint8Array([20, 0, 0, 12])),
 *   { msgType: 20, length: 12 },
 * );
 * ```
 */
export function decodeHandshakeHeaderTls(
  bytes: Uint8Array,
): HandshakeHeaderTls {
  const r = new ByteReader(bytes);
  const msgType = r.uint8("Handshake.msg_type");
  const length = r.uint24("Handshake.length");
  return { msgType, length };
}

/**
 * A whole TLS handshake message: header and body, as the transcript and
 * the stream record layer want it.
 *
 * @example
 * ```ts
 * import { encodeHandshakeTls } from "./handshake_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeHandshakeTls(11, new Uint8Array([0, 0, 0])),
 *   new Uint8Array([11, 0, 0, 3, 0, 0, 0]),
 * );
 * ```
 */
export function encodeHandshakeTls(
  msgType: number,
  body: Uint8Array,
): Uint8Array {
  return new ByteWriter(4 + body.length).uint8(msgType).uint24(body.length)
    .bytes(body).finish();
}
