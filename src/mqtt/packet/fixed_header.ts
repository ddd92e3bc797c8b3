/**
 * The fixed header of every MQTT control packet (MQTT 5.0 §2.1, 3.1.1 §2.2):
 *
 * ```
 *  bit    7   6   5   4   3   2   1   0
 * byte 1 [ packet type  ][    flags     ]
 * byte 2…[ Remaining Length, 1 to 4 bytes ]
 * ```
 *
 * and the Variable Byte Integer it uses (§1.5.5): seven bits per byte, least
 * significant group first, the top bit saying "more follows", at most four
 * bytes and always the shortest form [MQTT-1.5.5-1].
 *
 * @module
 */

import { ByteReader, DecodeError } from "../../bytes/mod.ts";
import { MqttError, type MqttVersion } from "../errors.ts";

/**
 * Largest Remaining Length (and Variable Byte Integer): 268,435,455.
 *
 * @example
 * ```ts
 * import { MAX_REMAINING_LENGTH, varintSize } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(varintSize(MAX_REMAINING_LENGTH), 4);
 * ```
 */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Largest whole packet: one type byte, four length bytes, the body. The
 * default `maximumPacketSize` of the decoders.
 *
 * @example
 * ```ts
 * import { MAX_PACKET_SIZE } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PACKET_SIZE, 268_435_460);
 * ```
 */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_REMAINING_LENGTH;

const TYPE_NAMES = [
  "reserved type 0",
  "CONNECT",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "PINGREQ",
  "PINGRESP",
  "DISCONNECT",
  "AUTH",
] as const;

/**
 * The specification's name of a control packet type number, for messages.
 *
 * @example
 * ```ts
 * import { packetTypeName } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(packetTypeName(3), "PUBLISH");
 * ```
 */
export function packetTypeName(type: number): string {
  return TYPE_NAMES[type as 0] ?? `type ${type}`;
}

/**
 * Number of bytes the Variable Byte Integer encoding of `value` takes.
 *
 * @throws {RangeError} when `value` is outside 0..268,435,455.
 *
 * @example
 * ```ts
 * import { varintSize } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(varintSize(127), 1);
 * assert.equal(varintSize(128), 2);
 * assert.equal(varintSize(268_435_455), 4);
 * ```
 */
export function varintSize(value: number): number {
  if (value < 128 && value >= 0) return 1;
  if (value < 16_384 && value >= 0) return 2;
  if (value < 2_097_152 && value >= 0) return 3;
  if (value <= MAX_REMAINING_LENGTH && value >= 0) return 4;
  throw new RangeError(`Cannot encode ${value} as a Variable Byte Integer`);
}

/**
 * Reads the Remaining Length that starts at `bytes[start + 1]` (after the
 * type byte at `start`), looking no further than `end`.
 *
 * @returns The Remaining Length, or -1 when more bytes are needed to know it.
 * @throws {MqttError} malformed on a fifth length byte or a non-minimal
 * encoding [MQTT-1.5.5-1]; the header length is then `1 + varintSize(n)`.
 *
 * @example
 * ```ts
 * import { readRemainingLength } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readRemainingLength(new Uint8Array([0x30, 0xc1, 0x02]), 0, 3), 321);
 * assert.equal(readRemainingLength(new Uint8Array([0x30, 0xc1]), 0, 2), -1);
 * ```
 */
export function readRemainingLength(
  bytes: Uint8Array,
  start: number,
  end: number,
): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const pos = start + i;
    if (pos >= end) return -1;
    const b = bytes[pos] as number;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 1) {
        throw new MqttError(
          "malformed",
          "Cannot decode Remaining Length: not the minimal encoding",
        ); // [MQTT-1.5.5-1]
      }
      return value;
    }
    multiplier *= 128;
  }
  throw new MqttError(
    "malformed",
    "Cannot decode Remaining Length: more than four bytes",
  ); // §1.5.5: at most four bytes
}

/**
 * Reads a Variable Byte Integer (§1.5.5) from `reader`, as used by property
 * lengths and the Subscription Identifier.
 *
 * @throws {MqttError} malformed on more than four bytes or a non-minimal
 * encoding; `DecodeError` from `reader` when truncated.
 *
 * @example
 * ```ts
 * import { readVarint } from "./fixed_header.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readVarint(new ByteReader(new Uint8Array([0x80, 0x01])), "id"), 128);
 * ```
 */
export function readVarint(reader: ByteReader, what: string): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const b = reader.uint8(what);
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 1) {
        throw new MqttError(
          "malformed",
          `Cannot decode ${what}: not the minimal Variable Byte Integer`,
        ); // [MQTT-1.5.5-1]
      }
      return value;
    }
    multiplier *= 128;
  }
  throw new MqttError(
    "malformed",
    `Cannot decode ${what}: Variable Byte Integer longer than four bytes`,
  );
}

/**
 * Checks the flag bits of the fixed header for packet type `type`
 * ([MQTT-2.2.2-1], [MQTT-2.2.2-2]): PUBREL, SUBSCRIBE and UNSUBSCRIBE carry
 * 0b0010, PUBLISH carries DUP/QoS/RETAIN, every other packet 0b0000. AUTH
 * exists only in 5.0; type 0 is reserved.
 *
 * @param type Packet type number (high nibble of byte 1).
 * @param flags Low nibble of byte 1.
 * @param version Protocol level, or `undefined` before it is known.
 * @throws {MqttError} malformed.
 *
 * @example
 * ```ts
 * import { checkHeaderFlags } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * checkHeaderFlags(8, 0b0010, 4); // SUBSCRIBE
 * assert.throws(() => checkHeaderFlags(8, 0b0000, 4));
 * ```
 */
export function checkHeaderFlags(
  type: number,
  flags: number,
  version: MqttVersion | undefined,
): void {
  switch (type) {
    case 0:
      throw new MqttError(
        "malformed",
        "Cannot decode packet: type 0 is reserved",
        { protocolVersion: version },
      );
    case 3: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) {
        throw new MqttError("malformed", "Cannot decode PUBLISH: QoS 3", {
          protocolVersion: version,
        }); // [MQTT-3.3.1-4]
      }
      if (qos === 0 && (flags & 0b1000) !== 0) {
        throw new MqttError(
          "malformed",
          "Cannot decode PUBLISH: DUP set on a QoS 0 message",
          { protocolVersion: version },
        ); // [MQTT-3.3.1-2]
      }
      return;
    }
    case 6: // [MQTT-3.6.1-1]
    case 8: // [MQTT-3.8.1-1]
    case 10: // [MQTT-3.10.1-1]
      if (flags === 0b0010) return;
      // MQTT 3.1 used QoS 1 here and allowed DUP on retries
      if (version === 3 && (flags & 0b0111) === 0b0010) return;
      throw new MqttError(
        "malformed",
        `Cannot decode ${packetTypeName(type)}: reserved flags must be 0010`,
        { protocolVersion: version },
      );
    case 15:
      if (version !== undefined && version !== 5) {
        throw new MqttError(
          "malformed",
          "Cannot decode packet: type 15 is reserved before MQTT 5.0",
          { protocolVersion: version },
        ); // 3.1.1 §2.2.1
      }
      break;
  }
  if (flags !== 0) {
    throw new MqttError(
      "malformed",
      `Cannot decode ${packetTypeName(type)}: reserved flags must be 0000`,
      { protocolVersion: version },
    ); // [MQTT-2.2.2-2]
  }
}

/**
 * Checks the fixed header of one whole packet of type `type` and returns a
 * reader over its body (offsets count from the packet start). The Remaining
 * Length must match the bytes exactly: trailing bytes after the body are a
 * Malformed Packet, and so is a short body.
 *
 * @param packet One whole packet, fixed header included.
 * @param type The packet type number expected in the high nibble.
 * @param version The protocol level in force.
 * @throws {MqttError} malformed (or protocol for an unexpected type).
 *
 * @example
 * ```ts
 * import { openPacket } from "./fixed_header.ts";
 * import assert from "node:assert/strict";
 *
 * const body = openPacket(new Uint8Array([0x40, 0x02, 0x00, 0x07]), 4, 4);
 * assert.equal(body.uint16(), 7);
 * assert.throws(() => openPacket(new Uint8Array([0x40, 0x02, 0x00, 0x07, 0x00]), 4, 4));
 * ```
 */
export function openPacket(
  packet: Uint8Array,
  type: number,
  version: MqttVersion | undefined,
): ByteReader {
  const name = packetTypeName(type);
  const byte1 = packet[0];
  if (byte1 === undefined) {
    throw new MqttError("malformed", `Cannot decode ${name}: no bytes`, {
      protocolVersion: version,
    });
  }
  if (byte1 >> 4 !== type) {
    throw new MqttError(
      "protocol",
      `Cannot decode ${name}: got ${packetTypeName(byte1 >> 4)}`,
      { protocolVersion: version },
    );
  }
  checkHeaderFlags(type, byte1 & 0x0f, version);
  const rl = readRemainingLength(packet, 0, packet.length);
  if (rl < 0) {
    throw new MqttError(
      "malformed",
      `Cannot decode ${name}: truncated fixed header`,
      { protocolVersion: version },
    );
  }
  const headerLength = 1 + varintSize(rl);
  if (headerLength + rl !== packet.length) {
    throw new MqttError(
      "malformed",
      `Cannot decode ${name}: remaining length ${rl} but ${
        packet.length - headerLength
      } bytes follow the header`,
      { protocolVersion: version },
    );
  }
  return new ByteReader(packet.subarray(headerLength), headerLength);
}

/**
 * Turns what a packet decoder caught into the {@link MqttError} to throw: a
 * `DecodeError` (truncated or trailing field) becomes a Malformed Packet
 * with the `DecodeError` as `cause`; an `MqttError` passes through; anything
 * else is a bug and is thrown unchanged.
 *
 * @example
 * ```ts
 * import { asMqttError } from "./fixed_header.ts";
 * import { DecodeError } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const e = asMqttError(new DecodeError("topic", 3, "needs 2 bytes, 1 left"), "PUBLISH", 4);
 * assert.equal(e.kind, "malformed");
 * assert.equal(e.reasonCode, 0x81);
 * ```
 */
export function asMqttError(
  error: unknown,
  packet: string,
  version: MqttVersion | undefined,
): MqttError {
  if (error instanceof MqttError) {
    if (
      error.protocolVersion !== undefined || version === undefined ||
      error.kind === "unsupported_protocol_version"
    ) {
      return error;
    }
    return new MqttError(error.kind, error.message, {
      cause: error,
      protocolVersion: version,
    });
  }
  if (error instanceof DecodeError) {
    return new MqttError(
      "malformed",
      `Cannot decode ${packet}: ${error.message}`,
      { cause: error, protocolVersion: version },
    );
  }
  throw error;
}
