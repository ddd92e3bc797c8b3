/**
 * The DTLS handshake message header and fragmentation (RFC 6347 §4.2.2,
 * §4.2.3).
 *
 * ```text
 * struct {
 *   HandshakeType msg_type;      // 1 byte
 *   uint24 length;               // length of the whole message body
 *   uint16 message_seq;          // RFC 6347 §4.2.2
 *   uint24 fragment_offset;
 *   uint24 fragment_length;
 *   opaque body[fragment_length];
 * } Handshake;                   // 12-byte header
 * ```
 *
 * A handshake message larger than what fits in one datagram is sent as
 * several fragments, each a full header plus a contiguous slice of the body
 * (RFC 6347 §4.2.3); `reassembly.ts` puts them back together.
 *
 * @module
 */

import { ByteReader, DecodeError } from "../bytes/mod.ts";
import { DTLS_RECORD_HEADER_LENGTH } from "./record.ts";

/**
 * Bytes of the DTLS handshake header.
 *
 * @example
 * ```ts
 * import { HANDSHAKE_HEADER_LENGTH } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(HANDSHAKE_HEADER_LENGTH, 12);
 * ```
 */
export const HANDSHAKE_HEADER_LENGTH = 12;

/** Largest value of a uint24 field. */
const MAX_UINT24 = 0xffffff;

/**
 * One handshake fragment as on the wire.
 *
 * @example
 * ```ts
 * import { encodeHandshakeFragment, type HandshakeFragment } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * const f: HandshakeFragment = { msgType: 16, length: 100, messageSeq: 3, fragmentOffset: 50, body: new Uint8Array(50) };
 * assert.equal(encodeHandshakeFragment(f).length, 62);
 * ```
 */
export interface HandshakeFragment {
  /** HandshakeType (RFC 5246 §7.4, RFC 6347 §4.3.2). */
  readonly msgType: number;
  /** Length of the whole message body. */
  readonly length: number;
  /** message_seq (RFC 6347 §4.2.2). */
  readonly messageSeq: number;
  /** Offset of this fragment's body in the message body. */
  readonly fragmentOffset: number;
  /** This fragment's body; `fragment_length` is its length. */
  readonly body: Uint8Array;
}

/**
 * Reads one handshake fragment from `reader`.
 *
 * @param reader Positioned at a handshake header.
 * @returns The fragment; its body is a view into the reader's bytes.
 * @throws {DecodeError} when truncated or when the fragment extends past
 *   the message length.
 *
 * @example
 * ```ts
 * import { decodeHandshakeFragment, encodeHandshakeFragment } from "./fragment.ts";
 * import { ByteReader } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeHandshakeFragment({ msgType: 1, length: 4, messageSeq: 0, fragmentOffset: 2, body: new Uint8Array([7, 8]) });
 * const f = decodeHandshakeFragment(new ByteReader(bytes));
 * assert.equal(f.fragmentOffset, 2);
 * assert.deepEqual(f.body, new Uint8Array([7, 8]));
 * ```
 */
export function decodeHandshakeFragment(reader: ByteReader): HandshakeFragment {
  const start = reader.absolutePosition;
  const msgType = reader.uint8("Handshake.msg_type");
  const length = reader.uint24("Handshake.length");
  const messageSeq = reader.uint16("Handshake.message_seq");
  const fragmentOffset = reader.uint24("Handshake.fragment_offset");
  const fragmentLength = reader.uint24("Handshake.fragment_length");
  // RFC 6347 §4.2.3: a fragment lies within the message
  if (fragmentOffset + fragmentLength > length) {
    throw new DecodeError(
      "Handshake.fragment_length",
      start + 9,
      `fragment ${fragmentOffset}+${fragmentLength} exceeds message length ${length}`,
    );
  }
  const body = reader.take(fragmentLength, "Handshake.body");
  return { msgType, length, messageSeq, fragmentOffset, body };
}

/**
 * Reads every handshake fragment of one handshake record (a record may hold
 * several, RFC 6347 §4.2.3).
 *
 * @param recordFragment The (decrypted) fragment of a handshake record.
 * @returns The fragments in order; bodies are views into the input.
 * @throws {DecodeError} for any malformed fragment or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeHandshakeFragments, fragmentHandshake } from "./fragment.ts";
 * import { concatBytes } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const parts = fragmentHandshake(2, 1, new Uint8Array(10), 4);
 * const fragments = decodeHandshakeFragments(concatBytes(...parts));
 * assert.deepEqual(fragments.map((f) => f.fragmentOffset), [0, 4, 8]);
 * ```
 */
export function decodeHandshakeFragments(
  recordFragment: Uint8Array,
): HandshakeFragment[] {
  const reader = new ByteReader(recordFragment);
  const out: HandshakeFragment[] = [];
  while (reader.anyLeft()) out.push(decodeHandshakeFragment(reader));
  return out;
}

/**
 * Encodes one handshake fragment: header and body.
 *
 * @param fragment The fragment; `fragmentOffset + body.length` must not
 *   exceed `length`.
 * @returns The bytes.
 * @throws {RangeError} for fields out of range.
 *
 * @example An unfragmented message, as it enters the transcript
 * ```ts
 * import { encodeHandshakeFragment } from "./fragment.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeHandshakeFragment({ msgType: 14, length: 0, messageSeq: 3, fragmentOffset: 0, body: new Uint8Array() });
 * assert.equal(encodeHex(bytes), "0e0000000003000000000000");
 * ```
 */
export function encodeHandshakeFragment(
  fragment: HandshakeFragment,
): Uint8Array {
  const { msgType, length, messageSeq, fragmentOffset, body } = fragment;
  if (
    !isUint(msgType, 0xff) || !isUint(length, MAX_UINT24) ||
    !isUint(messageSeq, 0xffff) || !isUint(fragmentOffset, MAX_UINT24) ||
    fragmentOffset + body.length > length
  ) {
    throw new RangeError(
      `Cannot encode a handshake fragment: type ${msgType}, length ${length}, seq ${messageSeq}, ` +
        `offset ${fragmentOffset} and ${body.length} bytes are inconsistent`,
    );
  }
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = msgType;
  writeUint24(out, 1, length);
  out[4] = messageSeq >>> 8;
  out[5] = messageSeq & 0xff;
  writeUint24(out, 6, fragmentOffset);
  writeUint24(out, 9, body.length);
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * The unfragmented form of a handshake message (fragment_offset 0,
 * fragment_length = length): what the handshake hash covers
 * (RFC 6347 §4.2.6).
 *
 * @param msgType HandshakeType.
 * @param messageSeq message_seq.
 * @param body The whole body.
 *
 * @example
 * ```ts
 * import { encodeHandshakeMessage } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeHandshakeMessage(20, 5, new Uint8Array(12)).length, 24);
 * ```
 */
export function encodeHandshakeMessage(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
): Uint8Array {
  return encodeHandshakeFragment({
    msgType,
    length: body.length,
    messageSeq,
    fragmentOffset: 0,
    body,
  });
}

/**
 * Options of {@link maxHandshakeFragmentBody}.
 *
 * @example
 * ```ts
 * import { type FragmentSizeOptions, maxHandshakeFragmentBody } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * const ipv4: FragmentSizeOptions = { mtu: 1500, ipUdpOverhead: 28, recordOverhead: 16 };
 * assert.equal(maxHandshakeFragmentBody(ipv4), 1431);
 * ```
 */
export interface FragmentSizeOptions {
  /** Path MTU in bytes (default 1280, the IPv6 minimum, RFC 8200 §5). */
  readonly mtu?: number;
  /** IP + UDP header bytes (default 48: IPv6 40 + UDP 8; IPv4 is 28). */
  readonly ipUdpOverhead?: number;
  /**
   * Bytes record protection adds (`RecordProtection.overhead`; 0 for epoch
   * 0). Default {@link WORST_RECORD_OVERHEAD}, which fits every suite.
   */
  readonly recordOverhead?: number;
  /** Connection ID bytes in the record header (default 0). */
  readonly cidLength?: number;
}

/**
 * The largest record protection overhead among postern's suites:
 * AES-256-CBC with HMAC-SHA384 adds IV 16 + MAC 48 + padding ≤ 16 bytes.
 *
 * @example
 * ```ts
 * import { WORST_RECORD_OVERHEAD } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(WORST_RECORD_OVERHEAD, 80);
 * ```
 */
export const WORST_RECORD_OVERHEAD = 80;

/**
 * How many body bytes one handshake fragment may carry so that its record
 * fits one datagram on the path (RFC 6347 §4.1.1: each record fits one
 * datagram; §4.2.3 fragmentation): MTU − IP/UDP headers − record header
 * (13 + CID) − record overhead − handshake header (12).
 *
 * @param options The path and record parameters; all have defaults.
 * @returns The body budget, at least 1.
 *
 * @example
 * ```ts
 * import { maxHandshakeFragmentBody } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(maxHandshakeFragmentBody({ recordOverhead: 0 }), 1280 - 48 - 13 - 12);
 * assert.equal(maxHandshakeFragmentBody({ mtu: 1500, ipUdpOverhead: 28, recordOverhead: 16 }), 1500 - 28 - 13 - 16 - 12);
 * ```
 */
export function maxHandshakeFragmentBody(
  options: FragmentSizeOptions = {},
): number {
  const budget = (options.mtu ?? 1280) - (options.ipUdpOverhead ?? 48) -
    DTLS_RECORD_HEADER_LENGTH - (options.cidLength ?? 0) -
    (options.recordOverhead ?? WORST_RECORD_OVERHEAD) - HANDSHAKE_HEADER_LENGTH;
  return Math.max(1, budget);
}

/**
 * Default body budget of {@link fragmentHandshake}: an IPv6 minimum-MTU path
 * (1280) under the worst record overhead, 1127 bytes.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_FRAGMENT_BODY } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_FRAGMENT_BODY, 1127);
 * ```
 */
export const DEFAULT_MAX_FRAGMENT_BODY: number = maxHandshakeFragmentBody();

/**
 * Splits one handshake message into fragments of at most `maxFragmentBody`
 * body bytes each (RFC 6347 §4.2.3). Each element is a complete fragment
 * (12-byte header + body) ready to be put in its own record. An empty body
 * gives one fragment.
 *
 * @param msgType HandshakeType.
 * @param messageSeq message_seq of the message.
 * @param body The whole body.
 * @param maxFragmentBody Body bytes per fragment (see
 *   {@link maxHandshakeFragmentBody}).
 * @returns The fragments in offset order.
 * @throws {RangeError} if `maxFragmentBody` is not a positive integer.
 *
 * @example
 * ```ts
 * import { fragmentHandshake } from "./fragment.ts";
 * import assert from "node:assert/strict";
 *
 * const parts = fragmentHandshake(11, 2, new Uint8Array(2500), 1000);
 * assert.deepEqual(parts.map((p) => p.length), [1012, 1012, 512]);
 * ```
 */
export function fragmentHandshake(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
  maxFragmentBody: number = DEFAULT_MAX_FRAGMENT_BODY,
): Uint8Array[] {
  if (!Number.isInteger(maxFragmentBody) || maxFragmentBody < 1) {
    throw new RangeError(
      `Cannot fragment a handshake message into ${maxFragmentBody}-byte pieces`,
    );
  }
  const out: Uint8Array[] = [];
  let offset = 0;
  do {
    const end = Math.min(body.length, offset + maxFragmentBody);
    out.push(encodeHandshakeFragment({
      msgType,
      length: body.length,
      messageSeq,
      fragmentOffset: offset,
      body: body.subarray(offset, end),
    }));
    offset = end;
  } while (offset < body.length);
  return out;
}

function isUint(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

function writeUint24(out: Uint8Array, offset: number, v: number): void {
  out[offset] = v >>> 16;
  out[offset + 1] = (v >>> 8) & 0xff;
  out[offset + 2] = v & 0xff;
}
