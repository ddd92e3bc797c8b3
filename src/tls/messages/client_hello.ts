/**
 * ClientHello (RFC 5246 §7.4.1.2; DTLS adds the cookie, RFC 6347 §4.2.1).
 *
 * ```text
 * struct {
 *     ProtocolVersion client_version;
 *     Random random;                                   // 32 bytes
 *     SessionID session_id;                            // <0..32>
 *     opaque cookie<0..2^8-1>;                         // DTLS only
 *     CipherSuite cipher_suites<2..2^16-2>;
 *     CompressionMethod compression_methods<1..2^8-1>;
 *     select (extensions_present) {
 *         case false: struct {};
 *         case true:  Extension extensions<0..2^16-1>;
 *     };
 * } ClientHello;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter, DecodeError } from "../../bytes/mod.ts";
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

/**
 * CompressionMethod code points (RFC 5246 §7.4.1.2). TLS 1.2 in practice
 * only has `null`.
 *
 * @example
 * ```ts
 * import { CompressionMethod } from "./client_hello.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CompressionMethod.null, 0);
 * ```
 */
export const CompressionMethod = { null: 0 } as const;

/** Options for the hello codecs. */
export interface HelloOptions {
  /** DTLS framing: ClientHello carries a cookie (RFC 6347 §4.2.1). */
  readonly dtls: boolean;
}

/** A ClientHello body. */
export interface ClientHello {
  /** client_version: the highest version the client supports. */
  readonly version: number;
  /** 32 bytes from the client's random source. */
  readonly random: Uint8Array;
  /** 0..32 bytes; non-empty to ask for resumption. */
  readonly sessionId: Uint8Array;
  /** DTLS only: the cookie from HelloVerifyRequest, empty at first. */
  readonly cookie?: Uint8Array;
  /** Offered cipher suite ids, in the client's preference order. */
  readonly cipherSuites: readonly number[];
  /** Offered compression methods; must include null (0). */
  readonly compressionMethods: readonly number[];
  /** Extensions in wire order. */
  readonly extensions: Extensions;
}

/**
 * Encodes a ClientHello body. An empty extension list is left out
 * entirely; in DTLS a missing cookie is sent empty.
 *
 * @throws {RangeError} for fields that break the structure's limits.
 * @throws {TypeError} for a cookie in a TLS ClientHello.
 *
 * @example
 * ```ts
 * import { decodeClientHello, encodeClientHello } from "./client_hello.ts";
 * import assert from "node:assert/strict";
 *
 * const hello = {
 *   version: 0xfefd,
 *   random: new Uint8Array(32),
 *   sessionId: new Uint8Array(0),
 *   cookie: new Uint8Array([1, 2]),
 *   cipherSuites: [0xc0a8],
 *   compressionMethods: [0],
 *   extensions: [{ type: "extended_master_secret" as const }],
 * };
 * const body = encodeClientHello(hello, { dtls: true });
 * assert.deepEqual(decodeClientHello(body, { dtls: true }), hello);
 * ```
 */
export function encodeClientHello(
  hello: ClientHello,
  options: HelloOptions,
): Uint8Array {
  if (!options.dtls && hello.cookie !== undefined) {
    throw new TypeError("Cannot encode ClientHello: a cookie is DTLS only");
  }
  if (hello.cipherSuites.length === 0) {
    throw new RangeError("Cannot encode ClientHello: no cipher suites");
  }
  if (hello.compressionMethods.length === 0) {
    throw new RangeError("Cannot encode ClientHello: no compression methods");
  }
  const w = new ByteWriter(128);
  w.uint16(hello.version);
  writeRandomAndSessionId(w, hello.random, hello.sessionId, "ClientHello");
  if (options.dtls) {
    const cookie = hello.cookie ?? new Uint8Array(0);
    w.vector8((v) => v.bytes(cookie));
  }
  w.vector16((v) => {
    for (const id of hello.cipherSuites) v.uint16(id);
  });
  w.vector8((v) => {
    for (const m of hello.compressionMethods) v.uint8(m);
  });
  writeExtensions(w, hello.extensions);
  return w.finish();
}

/**
 * Decodes a ClientHello body.
 *
 * @throws {DecodeError} for a truncated or malformed body, an odd-length
 *   cipher suite list, or trailing bytes.
 * @throws {TlsAlertError} `decode_error` for a session_id over 32 bytes or an
 *   empty cipher suite or compression list; `illegal_parameter` when the
 *   compression methods lack null or an extension repeats.
 *
 * @example
 * ```ts
 * import { decodeClientHello } from "./client_hello.ts";
 * import { TlsAlertError } from "../alert.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([3, 3, ...new Uint8Array(32), 0, 0, 2, 0xc0, 0xa8, 1, 1]);
 * assert.throws(() => decodeClientHello(body, { dtls: false }), TlsAlertError);
 * body[body.length - 1] = 0;
 * assert.deepEqual(decodeClientHello(body, { dtls: false }).cipherSuites, [0xc0a8]);
 * ```
 */
export function decodeClientHello(
  body: Uint8Array,
  options: HelloOptions,
): ClientHello {
  const r = new ByteReader(body);
  const version = r.uint16("ClientHello.client_version");
  const random = readRandom(r, "ClientHello");
  const sessionId = readSessionId(r, "ClientHello");
  const cookie = options.dtls
    ? r.vector8("ClientHello.cookie").rest().slice()
    : undefined;
  const suites = r.vector16("ClientHello.cipher_suites");
  if (suites.remaining % 2 !== 0) {
    throw new DecodeError(
      "ClientHello.cipher_suites",
      suites.absolutePosition,
      "odd length",
    );
  }
  // RFC 5246 §7.4.1.2: CipherSuite cipher_suites<2..2^16-2>.
  if (suites.remaining === 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "ClientHello offers no cipher suites",
    );
  }
  const cipherSuites: number[] = [];
  while (suites.anyLeft()) cipherSuites.push(suites.uint16("cipher suite"));
  const compressionMethods = Array.from(
    r.vector8("ClientHello.compression_methods").rest(),
  );
  // RFC 5246 §7.4.1.2: CompressionMethod compression_methods<1..2^8-1>.
  if (compressionMethods.length === 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "ClientHello offers no compression methods",
    );
  }
  // RFC 5246 §7.4.1.2: "this vector MUST contain, and all implementations
  // MUST support, CompressionMethod.null".
  if (!compressionMethods.includes(CompressionMethod.null)) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      "ClientHello compression methods do not include null",
    );
  }
  const extensions = readExtensions(r, "client_hello");
  return {
    version,
    random,
    sessionId,
    ...(cookie === undefined ? {} : { cookie }),
    cipherSuites,
    compressionMethods,
    extensions,
  };
}
