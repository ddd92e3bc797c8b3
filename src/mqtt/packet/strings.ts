/**
 * MQTT UTF-8 Encoded Strings (MQTT 5.0 §1.5.4, 3.1.1 §1.5.3): a two-byte
 * length followed by well-formed UTF-8 without U+0000 and without encoded
 * surrogates, at most 65,535 bytes.
 *
 * Decoding takes a plain-ASCII fast path (the common case for topics and
 * client identifiers) and falls back to a fatal `TextDecoder` that keeps a
 * leading U+FEFF: [MQTT-1.5.4-3] forbids stripping it.
 *
 * @module
 */

import type { ByteReader } from "../../bytes/mod.ts";
import { MqttError } from "../errors.ts";

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();
const SCRATCH_MAX = 1024;
const SCRATCH: number[] = [];

function nul(what: string, offset: number): MqttError {
  return new MqttError(
    "malformed",
    `Cannot decode ${what} at offset ${offset}: contains U+0000`,
  );
}

/**
 * Largest byte length of an MQTT string or binary field.
 *
 * @example
 * ```ts
 * import { MAX_STRING_BYTES, utf8Length } from "./strings.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => utf8Length("a".repeat(MAX_STRING_BYTES + 1), "topic"), RangeError);
 * ```
 */
export const MAX_STRING_BYTES = 65535;

/**
 * Decodes the bytes of an MQTT UTF-8 string, rejecting ill-formed UTF-8
 * and surrogate code points [MQTT-1.5.4-1] and U+0000 [MQTT-1.5.4-2] with a
 * malformed-packet {@link MqttError}.
 *
 * @param bytes The string body, without its length prefix.
 * @param what The field, for the error message.
 * @param offset Offset of `bytes` in the packet, for the error message.
 * @returns The decoded string.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "./strings.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeUtf8(new Uint8Array([0x61, 0xc3, 0xa9]), "topic", 0), "aé");
 * assert.throws(() => decodeUtf8(new Uint8Array([0x61, 0x00]), "topic", 0));
 * ```
 */
export function decodeUtf8(
  bytes: Uint8Array,
  what: string,
  offset: number,
): string {
  const n = bytes.length;
  if (n <= SCRATCH_MAX) {
    // ASCII fast path: copy to a reused array, one fromCharCode call
    const chars = SCRATCH;
    chars.length = n;
    let i = 0;
    for (; i < n; i++) {
      const b = bytes[i] as number;
      if (b === 0) throw nul(what, offset + i); // [MQTT-1.5.4-2]
      if (b >= 0x80) break;
      chars[i] = b;
    }
    if (i === n) return String.fromCharCode.apply(null, chars);
  }
  let text: string;
  try {
    text = DECODER.decode(bytes);
  } catch (cause) {
    // [MQTT-1.5.4-1] ill-formed UTF-8, including encoded surrogates
    throw new MqttError(
      "malformed",
      `Cannot decode ${what} at offset ${offset}: ill-formed UTF-8`,
      { cause },
    );
  }
  if (text.indexOf("\0") !== -1) throw nul(what, offset); // [MQTT-1.5.4-2]
  return text;
}

/**
 * Reads a length-prefixed MQTT UTF-8 string from `reader`.
 *
 * @example
 * ```ts
 * import { readString } from "./strings.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readString(new ByteReader(new Uint8Array([0, 2, 0x68, 0x69])), "name"), "hi");
 * ```
 */
export function readString(reader: ByteReader, what: string): string {
  const len = reader.uint16(`${what} length`);
  const offset = reader.absolutePosition;
  return decodeUtf8(reader.take(len, what), what, offset);
}

/**
 * Reads length-prefixed MQTT Binary Data (§1.5.6) as a view into the input.
 *
 * @example
 * ```ts
 * import { readBinary } from "./strings.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readBinary(new ByteReader(new Uint8Array([0, 1, 7])), "data"), new Uint8Array([7]));
 * ```
 */
export function readBinary(reader: ByteReader, what: string): Uint8Array {
  return reader.take(reader.uint16(`${what} length`), what);
}

/**
 * The UTF-8 byte length of `text`, checked against the MQTT string rules so
 * that the encoder never writes what a strict peer would refuse.
 *
 * @param text The string to encode.
 * @param what The field, for the error message.
 * @throws {TypeError} on a lone surrogate or U+0000 [MQTT-1.5.4-1..2].
 * @throws {RangeError} when longer than 65,535 bytes.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./strings.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(utf8Length("aé€😀", "topic"), 1 + 2 + 3 + 4);
 * assert.throws(() => utf8Length("\ud800", "topic"), TypeError);
 * ```
 */
export function utf8Length(text: string, what: string): number {
  const n = text.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) {
        throw new TypeError(`Cannot encode ${what}: contains U+0000`);
      }
    } else if (c < 0x800) {
      len += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new TypeError(`Cannot encode ${what}: contains a lone surrogate`);
      }
      // a pair: two UTF-16 units, four UTF-8 bytes
      len += 2;
      i++;
    } else {
      len += 2;
    }
  }
  if (len > MAX_STRING_BYTES) {
    throw new RangeError(
      `Cannot encode ${what}: ${len} bytes exceed ${MAX_STRING_BYTES}`,
    );
  }
  return len;
}

/**
 * Writes the UTF-8 bytes of `text` at `pos` and returns the number written.
 * `text` must have been checked with {@link utf8Length} and `out` must have
 * room for it.
 *
 * @example
 * ```ts
 * import { writeUtf8 } from "./strings.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new Uint8Array(4);
 * assert.equal(writeUtf8(out, 1, "aé"), 3);
 * assert.deepEqual(out, new Uint8Array([0, 0x61, 0xc3, 0xa9]));
 * ```
 */
export function writeUtf8(out: Uint8Array, pos: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      const { written } = ENCODER.encodeInto(
        text.slice(i),
        out.subarray(pos + i),
      );
      return i + written;
    }
    out[pos + i] = c;
  }
  return n;
}
