/**
 * ServerHello (RFC 5246 §7.4.1.3), the same in TLS and DTLS.
 *
 * ```text
 * struct {
 *     ProtocolVersion server_version;
 *     Random random;
 *     SessionID session_id;
 *     CipherSuite cipher_suite;
 *     CompressionMethod compression_method;
 *     select (extensions_present) {
 *         case false: struct {};
 *         case true:  Extension extensions<0..2^16-1>;
 *     };
 * } ServerHello;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import {
  type Extensions,
  readExtensions,
  writeExtensions,
} from "../extensions/extensions.ts";
import {
  readRandom,
  readSessionId,
  writeRandomAndSessionId,
} from "./_common.ts";

/** A ServerHello body. */
export interface ServerHello {
  /** server_version: the negotiated version. */
  readonly version: number;
  /** 32 bytes from the server's random source. */
  readonly random: Uint8Array;
  /** 0..32 bytes; equal to the client's to resume, empty when not cacheable. */
  readonly sessionId: Uint8Array;
  /** The chosen cipher suite id. */
  readonly cipherSuite: number;
  /** The chosen compression method; always null (0). */
  readonly compressionMethod: number;
  /** Extensions in wire order, each answering one the client sent. */
  readonly extensions: Extensions;
}

/**
 * Encodes a ServerHello body; an empty extension list is left out.
 *
 * @throws {RangeError} for fields that break the structure's limits.
 *
 * @example
 * ```ts
 * import { decodeServerHello, encodeServerHello } from "./server_hello.ts";
 * import assert from "node:assert/strict";
 *
 * const hello = {
 *   version: 0x0303,
 *   random: new Uint8Array(32).fill(7),
 *   sessionId: new Uint8Array(0),
 *   cipherSuite: 0xc02b,
 *   compressionMethod: 0,
 *   extensions: [{ type: "renegotiation_info" as const, renegotiatedConnection: new Uint8Array(0) }],
 * };
 * assert.deepEqual(decodeServerHello(encodeServerHello(hello)), hello);
 * ```
 */
export function encodeServerHello(hello: ServerHello): Uint8Array {
  const w = new ByteWriter(96);
  w.uint16(hello.version);
  writeRandomAndSessionId(w, hello.random, hello.sessionId, "ServerHello");
  w.uint16(hello.cipherSuite).uint8(hello.compressionMethod);
  writeExtensions(w, hello.extensions);
  return w.finish();
}

/**
 * Decodes a ServerHello body.
 *
 * @throws {DecodeError} for a truncated or malformed body or trailing bytes.
 * @throws {TlsAlertError} `decode_error` for a session_id over 32 bytes;
 *   `illegal_parameter` for a compression method other than null (postern
 *   never offers another, RFC 5246 §7.4.1.3) or a repeated extension.
 *
 * @example
 * ```ts
 * import { decodeServerHello } from "./server_hello.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([0xfe, 0xfd, ...new Uint8Array(32), 0, 0xc0, 0xa8, 0]);
 * assert.equal(decodeServerHello(body).cipherSuite, 0xc0a8);
 * ```
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body);
  const version = r.uint16("ServerHello.server_version");
  const random = readRandom(r, "ServerHello");
  const sessionId = readSessionId(r, "ServerHello");
  const cipherSuite = r.uint16("ServerHello.cipher_suite");
  const compressionMethod = r.uint8("ServerHello.compression_method");
  // RFC 5246 §7.4.1.3: the method must be one the client offered, and
  // postern offers only null.
  if (compressionMethod !== 0) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `ServerHello chose compression method ${compressionMethod}`,
    );
  }
  const extensions = readExtensions(r, "server_hello");
  return {
    version,
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    extensions,
  };
}
