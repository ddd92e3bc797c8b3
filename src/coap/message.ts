/**
 * The CoAP message codec (RFC 7252 §3).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver| T |  TKL  |      Code     |          Message ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Token (if any, TKL bytes) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Options (if any) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1 1 1 1 1 1 1 1|    Payload (if any) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Options are delta-encoded (§3.1): nibbles 0–12 are literal, 13 means one
 * extra byte (value − 13), 14 two extra bytes (value − 269), 15 is reserved
 * (only 0xFF, the payload marker, may contain it).
 *
 * @module
 */

import { ByteReader, ByteWriter, DecodeError } from "../bytes/mod.ts";
import type { MessageType } from "./codes.ts";
import type { CoapOption } from "./options.ts";

/**
 * A decoded CoAP message.
 *
 * @example
 * ```ts
 * import type { CoapMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const m: CoapMessage = { type: 0, code: 1, messageId: 1, token: new Uint8Array(), options: [], payload: new Uint8Array() };
 * assert.equal(m.code, 1);
 * ```
 */
export interface CoapMessage {
  /** CON, NON, ACK or RST. */
  readonly type: MessageType;
  /** Method or response code. */
  readonly code: number;
  /** 16-bit message ID. */
  readonly messageId: number;
  /** 0–8 bytes. */
  readonly token: Uint8Array;
  /** Options in ascending number order (order of equal numbers kept). */
  readonly options: readonly CoapOption[];
  /** The payload (empty when absent). */
  readonly payload: Uint8Array;
}

/** The CoAP version this codec speaks (RFC 7252 §3). */
const VERSION = 1;
const PAYLOAD_MARKER = 0xff;

/**
 * The fixed header, readable even when the rest of the message is
 * malformed, so that a CON with a format error can be answered with a Reset
 * (RFC 7252 §4.2).
 *
 * @example
 * ```ts
 * import { peekHeader } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(peekHeader(new Uint8Array([0x40, 1, 0x12, 0x34])), { version: 1, type: 0, tokenLength: 0, code: 1, messageId: 0x1234 });
 * assert.equal(peekHeader(new Uint8Array([0x40])), undefined);
 * ```
 */
export function peekHeader(bytes: Uint8Array):
  | {
    version: number;
    type: MessageType;
    tokenLength: number;
    code: number;
    messageId: number;
  }
  | undefined {
  if (bytes.length < 4) return undefined;
  const b0 = bytes[0]!;
  return {
    version: b0 >> 6,
    type: ((b0 >> 4) & 3) as MessageType,
    tokenLength: b0 & 0x0f,
    code: bytes[1]!,
    messageId: (bytes[2]! << 8) | bytes[3]!,
  };
}

function readExtended(r: ByteReader, nibble: number, what: string): number {
  switch (nibble) {
    case 13:
      return r.uint8(what) + 13;
    case 14:
      return r.uint16(what) + 269;
    case 15:
      // RFC 7252 §3.1: 15 is reserved for the payload marker.
      throw new DecodeError(what, r.absolutePosition - 1, "reserved nibble 15");
    default:
      return nibble;
  }
}

/** The absent payload of a decoded message (zero-length: nothing to alter). */
const NO_BYTES = new Uint8Array(0);

/**
 * Decodes one datagram into a message.
 *
 * Rejects, as message format errors (RFC 7252 §3, §4.1, §3.1): fewer than
 * 4 bytes, version ≠ 1, token length 9–15, a truncated token or option,
 * option nibble 15 outside the payload marker, a payload marker followed by
 * nothing, an Empty message (0.00) with anything after the header.
 *
 * @param bytes The datagram.
 * @returns The message.
 * @throws {DecodeError} for a message format error.
 *
 * @example RFC 7252 Appendix A, figure 16: CON GET, MID 0x7d34, Uri-Path "temperature"
 * ```ts
 * import { decodeMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x40, 0x01, 0x7d, 0x34, 0xbb, ...new TextEncoder().encode("temperature")]);
 * const m = decodeMessage(bytes);
 * assert.equal(m.messageId, 0x7d34);
 * assert.equal(m.options[0]?.number, 11);
 * ```
 */
export function decodeMessage(bytes: Uint8Array): CoapMessage {
  const r = new ByteReader(bytes);
  const b0 = r.uint8("CoAP header");
  if (b0 >> 6 !== VERSION) {
    // RFC 7252 §3: unknown version numbers MUST be silently ignored.
    throw new DecodeError("CoAP version", 0, `unsupported version ${b0 >> 6}`);
  }
  const type = ((b0 >> 4) & 3) as MessageType;
  const tkl = b0 & 0x0f;
  const code = r.uint8("CoAP code");
  const messageId = r.uint16("CoAP message ID");
  if (tkl > 8) {
    // RFC 7252 §3: lengths 9–15 are reserved, a message format error.
    throw new DecodeError("CoAP token length", 0, `reserved length ${tkl}`);
  }
  if (code === 0) {
    // RFC 7252 §4.1: an Empty message has only the 4-byte header.
    if (tkl !== 0 || r.anyLeft()) {
      throw new DecodeError("CoAP empty message", 4, "bytes after the header");
    }
    return {
      type,
      code,
      messageId,
      token: new Uint8Array(),
      options: [],
      payload: new Uint8Array(),
    };
  }
  const token = r.take(tkl, "CoAP token").slice();
  const options: CoapOption[] = [];
  let number = 0;
  let payload = NO_BYTES;
  while (r.anyLeft()) {
    const at = r.absolutePosition;
    const head = r.uint8("CoAP option header");
    if (head === PAYLOAD_MARKER) {
      if (!r.anyLeft()) {
        // RFC 7252 §3: a marker followed by a zero-length payload MUST be
        // processed as a message format error.
        throw new DecodeError("CoAP payload", at, "empty payload after marker");
      }
      payload = r.rest().slice();
      break;
    }
    const delta = readExtended(r, head >> 4, "CoAP option delta");
    const length = readExtended(r, head & 0x0f, "CoAP option length");
    number += delta;
    if (number > 0xffff) {
      throw new DecodeError("CoAP option number", at, `${number} too large`);
    }
    options.push({
      number,
      value: r.take(length, "CoAP option value").slice(),
    });
  }
  return { type, code, messageId, token, options, payload };
}

function nibble(value: number): number {
  return value < 13 ? value : value < 269 ? 13 : 14;
}

function writeExtended(w: ByteWriter, value: number): void {
  if (value >= 269) w.uint16(value - 269);
  else if (value >= 13) w.uint8(value - 13);
}

/**
 * Encodes a message (RFC 7252 §3). Options are sorted by number (stable,
 * so repeated options keep their order).
 *
 * @param message The message.
 * @returns The datagram.
 * @throws {RangeError} for a token over 8 bytes, an ID or code out of range,
 *   or an option value over 65804 bytes.
 *
 * @example RFC 7252 Appendix A, figure 16: the piggybacked 2.05 "22.3 C"
 * ```ts
 * import { encodeMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeMessage({ type: 2, code: 0x45, messageId: 0x7d34, token: new Uint8Array(), options: [], payload: new TextEncoder().encode("22.3 C") });
 * assert.deepEqual([...bytes.subarray(0, 5)], [0x60, 0x45, 0x7d, 0x34, 0xff]);
 * ```
 */
export function encodeMessage(message: CoapMessage): Uint8Array {
  const { token, code, messageId, type } = message;
  if (token.length > 8) {
    throw new RangeError(`Cannot encode a ${token.length}-byte token`);
  }
  const w = new ByteWriter(
    16 + token.length + message.payload.length + 8 * message.options.length,
  );
  w.uint8((VERSION << 6) | (type << 4) | token.length);
  w.uint8(code);
  w.uint16(messageId);
  w.bytes(token);
  const sorted = message.options.length > 1
    ? [...message.options].sort((a, b) => a.number - b.number)
    : message.options;
  let previous = 0;
  for (const o of sorted) {
    const delta = o.number - previous;
    const length = o.value.length;
    if (length > 65804) {
      throw new RangeError(`Cannot encode a ${length}-byte option value`);
    }
    previous = o.number;
    w.uint8((nibble(delta) << 4) | nibble(length));
    writeExtended(w, delta);
    writeExtended(w, length);
    w.bytes(o.value);
  }
  if (message.payload.length > 0) {
    w.uint8(PAYLOAD_MARKER);
    w.bytes(message.payload);
  }
  return w.finish();
}

/**
 * An Empty message (RFC 7252 §4.1): the empty ACK or a Reset.
 *
 * @param type ACK or RST (or CON for a "CoAP ping").
 * @param messageId The message ID being acknowledged or reset.
 * @returns The message.
 *
 * @example
 * ```ts
 * import { emptyMessage, encodeMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeMessage(emptyMessage(3, 0x1234))], [0x70, 0, 0x12, 0x34]);
 * ```
 */
export function emptyMessage(
  type: MessageType,
  messageId: number,
): CoapMessage {
  return {
    type,
    code: 0,
    messageId,
    token: new Uint8Array(),
    options: [],
    payload: new Uint8Array(),
  };
}

/**
 * Formats a token as hex, the map key used by matching code.
 *
 * @param token The token.
 * @returns Lower-case hex ("" for the empty token).
 *
 * @example
 * ```ts
 * import { tokenKey } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tokenKey(new Uint8Array([0xab, 1])), "ab01");
 * ```
 */
export function tokenKey(token: Uint8Array): string {
  let s = "";
  for (const b of token) s += b.toString(16).padStart(2, "0");
  return s;
}
