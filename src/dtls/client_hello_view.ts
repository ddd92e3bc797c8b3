/**
 * The few fields of a DTLS ClientHello a server endpoint needs before it
 * keeps any state for the peer (RFC 6347 §4.2.1): located in the datagram,
 * not decoded or copied. The handshake machine decodes the whole message
 * later, once, for the ClientHello that carries a valid cookie.
 *
 * @module
 */

import { ContentType } from "../tls/content_type.ts";
import { HandshakeType } from "../tls/handshake_type.ts";
import { ExtensionType } from "../tls/extensions/extension_type.ts";

/** DTLS record header: type, version, epoch, sequence_number, length. */
const RECORD_HEADER = 13;
/** DTLS handshake header: type, length, message_seq, fragment offset/length. */
const HANDSHAKE_HEADER = 12;
/** client_version (2) and random (32). */
const VERSION_AND_RANDOM = 34;

/**
 * Where a DTLS ClientHello's fields stand in its datagram. Every view is a
 * `subarray` of the datagram: valid only while the datagram is.
 */
export interface ClientHelloView {
  /** The record's 48-bit sequence number. */
  readonly recordSeq: number;
  /** The handshake message_seq. */
  readonly messageSeq: number;
  /** ClientHello.random. */
  readonly random: Uint8Array;
  /** ClientHello.cookie (empty in a first ClientHello). */
  readonly cookie: Uint8Array;
  /**
   * What the cookie binds (RFC 6347 §4.2.1, the fields that must not
   * change between the two ClientHellos), as the ClientHello's own bytes:
   * client_version, random and session_id, then cipher_suites and
   * compression_methods with their length prefixes.
   */
  readonly binding: readonly [Uint8Array, Uint8Array];
  /** Whether the extensions include connection_id (RFC 9146). */
  readonly offersConnectionId: boolean;
}

/**
 * Locates a ClientHello in `datagram`: its first record must be an epoch-0
 * handshake record holding one unfragmented ClientHello (RFC 6347 §4.2.1).
 *
 * @param datagram A UDP payload.
 * @returns The view, or `undefined` when the first record is anything else
 *   or a length runs past its enclosing structure.
 *
 * @example
 * ```ts
 * import { viewClientHello } from "./client_hello_view.ts";
 * import { DtlsAssociation } from "./association.ts";
 * import assert from "node:assert/strict";
 *
 * const client = new DtlsAssociation({ role: "client", client: { psk: { identity: "a", key: new Uint8Array(16) } } });
 * client.start(0);
 * const view = viewClientHello(client.pollTransmit()!);
 * assert.equal(view?.cookie.length, 0);
 * assert.equal(view?.random.length, 32);
 * assert.equal(viewClientHello(new Uint8Array(40)), undefined);
 * ```
 */
export function viewClientHello(
  datagram: Uint8Array,
): ClientHelloView | undefined {
  const b = datagram;
  if (b.length < RECORD_HEADER + HANDSHAKE_HEADER + VERSION_AND_RANDOM) {
    return undefined;
  }
  if (b[0] !== ContentType.handshake || b[3] !== 0 || b[4] !== 0) {
    return undefined;
  }
  const recordEnd = RECORD_HEADER + u16(b, 11);
  if (recordEnd > b.length) return undefined;
  const h = RECORD_HEADER;
  if (b[h] !== HandshakeType.client_hello) return undefined;
  const length = u24(b, h + 1);
  // RFC 6347 §4.2.1: the ClientHello fits one record, unfragmented
  if (u24(b, h + 6) !== 0 || u24(b, h + 9) !== length) return undefined;
  const start = h + HANDSHAKE_HEADER;
  const end = start + length;
  if (end > recordEnd) return undefined;

  let p = start + VERSION_AND_RANDOM;
  p = skipVector(b, p, 1, end); // session_id
  if (p < 0) return undefined;
  const sessionEnd = p;
  const cookieAt = p;
  p = skipVector(b, p, 1, end);
  if (p < 0) return undefined;
  const cookieEnd = p;
  p = skipVector(b, p, 2, end); // cipher_suites
  if (p < 0) return undefined;
  p = skipVector(b, p, 1, end); // compression_methods
  if (p < 0) return undefined;
  const bindingEnd = p;

  let offersConnectionId = false;
  if (p < end) {
    if (p + 2 > end || p + 2 + u16(b, p) !== end) return undefined;
    for (p += 2; p < end;) {
      if (p + 4 > end) return undefined;
      if (u16(b, p) === ExtensionType.connection_id) offersConnectionId = true;
      p += 4 + u16(b, p + 2);
    }
    if (p !== end) return undefined;
  }
  return {
    recordSeq: u48(b, 5),
    messageSeq: u16(b, h + 4),
    random: b.subarray(start + 2, start + VERSION_AND_RANDOM),
    cookie: b.subarray(cookieAt + 1, cookieEnd),
    binding: [b.subarray(start, sessionEnd), b.subarray(cookieEnd, bindingEnd)],
    offersConnectionId,
  };
}

/** The offset after a vector with a `prefix`-byte length at `at`, or -1. */
function skipVector(
  b: Uint8Array,
  at: number,
  prefix: 1 | 2,
  end: number,
): number {
  if (at + prefix > end) return -1;
  const next = at + prefix + (prefix === 1 ? b[at]! : u16(b, at));
  return next > end ? -1 : next;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u24(b: Uint8Array, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

function u48(b: Uint8Array, at: number): number {
  return u16(b, at) * 2 ** 32 +
    (((u16(b, at + 2) << 16) >>> 0) + u16(b, at + 4));
}
