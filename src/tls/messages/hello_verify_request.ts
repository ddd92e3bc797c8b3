/**
 * HelloVerifyRequest, DTLS only (RFC 6347 §4.2.1).
 *
 * ```text
 * struct {
 *     ProtocolVersion server_version;
 *     opaque cookie<0..2^8-1>;
 * } HelloVerifyRequest;
 * ```
 *
 * RFC 6347 §4.2.1 asks the server to send version DTLS 1.0 (0xfeff) here
 * whatever it will negotiate, and the client not to rely on it.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";

/** A HelloVerifyRequest body. */
export interface HelloVerifyRequest {
  readonly serverVersion: number;
  /** The stateless cookie the client must echo; at most 255 bytes. */
  readonly cookie: Uint8Array;
}

/**
 * Encodes a HelloVerifyRequest body.
 *
 * @throws {RangeError} for a cookie over 255 bytes.
 *
 * @example
 * ```ts
 * import { encodeHelloVerifyRequest } from "./hello_verify_request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeHelloVerifyRequest({ serverVersion: 0xfeff, cookie: new Uint8Array([5]) }),
 *   new Uint8Array([0xfe, 0xff, 1, 5]),
 * );
 * ```
 */
export function encodeHelloVerifyRequest(hvr: HelloVerifyRequest): Uint8Array {
  return new ByteWriter(3 + hvr.cookie.length).uint16(hvr.serverVersion)
    .vector8((v) => v.bytes(hvr.cookie)).finish();
}

/**
 * Decodes a HelloVerifyRequest body.
 *
 * @throws {DecodeError} for a truncated body or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeHelloVerifyRequest } from "./hello_verify_request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeHelloVerifyRequest(new Uint8Array([0xfe, 0xff, 1, 5])),
 *   { serverVersion: 0xfeff, cookie: new Uint8Array([5]) },
 * );
 * ```
 */
export function decodeHelloVerifyRequest(
  body: Uint8Array,
): HelloVerifyRequest {
  const r = new ByteReader(body);
  const serverVersion = r.uint16("HelloVerifyRequest.server_version");
  const cookie = r.vector8("HelloVerifyRequest.cookie").rest().slice();
  r.expectEnd("HelloVerifyRequest");
  return { serverVersion, cookie };
}
