/**
 * Encoding and decoding of whole MQTT packets for MQTT 3.1 (level 3),
 * 3.1.1 (level 4) and 5.0 (level 5): one `switch` over the packet type that
 * dispatches to the codec of each packet family.
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { decodeAck, encodeAck } from "./acks.ts";
import { decodeAuth, encodeAuth } from "./auth.ts";
import { decodeConnack, encodeConnack } from "./connack.ts";
import { decodeConnect, encodeConnect } from "./connect.ts";
import {
  decodeDisconnect,
  decodePing,
  encodeDisconnect,
} from "./disconnect.ts";
import {
  checkHeaderFlags,
  MAX_PACKET_SIZE,
  readRemainingLength,
  varintSize,
} from "./fixed_header.ts";
import { decodePublish, encodePublish } from "./publish.ts";
import {
  decodeSuback,
  decodeSubscribe,
  encodeSuback,
  encodeSubscribe,
} from "./subscribe.ts";
import type { Packet } from "./types.ts";
import { bytesOf } from "./_alloc.ts";
import {
  decodeUnsuback,
  decodeUnsubscribe,
  encodeUnsuback,
  encodeUnsubscribe,
} from "./unsubscribe.ts";

/** Options of {@link decodePacket}. */
export interface DecodeOptions {
  /**
   * Largest whole packet accepted, fixed header included (the MQTT 5.0
   * Maximum Packet Size). Default: the protocol maximum, 268,435,460.
   */
  maximumPacketSize?: number;
}

/**
 * Encodes one packet for protocol level `version` (3 = MQTT 3.1, 4 = 3.1.1,
 * 5 = 5.0) into a new array of exactly its size, with the minimal Remaining
 * Length encoding.
 *
 * @throws {TypeError} or {@link RangeError} when the packet cannot be sent
 * in that version (see the family encoders, e.g. `encodePublish`).
 *
 * @example
 * ```ts
 * import { encodePacket } from "./codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodePacket({ type: "pingreq" }, 4), new Uint8Array([0xc0, 0x00]));
 * assert.deepEqual(
 *   encodePacket({ type: "puback", packetId: 1, reasonCode: 0x10 }, 5),
 *   new Uint8Array([0x40, 0x03, 0x00, 0x01, 0x10]),
 * );
 * ```
 */
export function encodePacket(packet: Packet, version: MqttVersion): Uint8Array {
  switch (packet.type) {
    case "connect":
      return encodeConnect(packet, version);
    case "connack":
      return encodeConnack(packet, version);
    case "publish":
      return encodePublish(packet, version);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return encodeAck(packet, version);
    case "subscribe":
      return encodeSubscribe(packet, version);
    case "suback":
      return encodeSuback(packet, version);
    case "unsubscribe":
      return encodeUnsubscribe(packet, version);
    case "unsuback":
      return encodeUnsuback(packet, version);
    case "pingreq":
      return bytesOf(0xc0, 0x00);
    case "pingresp":
      return bytesOf(0xd0, 0x00);
    case "disconnect":
      return encodeDisconnect(packet, version);
    case "auth":
      return encodeAuth(packet, version);
  }
}

/**
 * Decodes exactly one whole packet (fixed header included) for protocol
 * level `version`. A CONNECT carries its own level, so `version` is not
 * used for it (see `decodeConnect`). Binary fields of the result are views
 * into `bytes`.
 *
 * @throws {MqttError} and nothing else: malformed (0x81), protocol (0x82),
 * packet_too_large (0x95), topic_name_invalid (0x90), topic_filter_invalid
 * (0x8F), client_identifier_not_valid (0x85) or
 * unsupported_protocol_version (`UnsupportedProtocolVersionError`).
 *
 * @example
 * ```ts
 * import { decodePacket } from "./codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePacket(new Uint8Array([0xe0, 0x01, 0x04]), 5), {
 *   type: "disconnect",
 *   reasonCode: 4,
 * });
 * ```
 */
export function decodePacket(
  bytes: Uint8Array,
  version: MqttVersion,
  options?: DecodeOptions,
): Packet {
  const byte1 = bytes[0];
  if (byte1 === undefined) {
    throw new MqttError("malformed", "Cannot decode packet: no bytes", {
      protocolVersion: version,
    });
  }
  const max = options?.maximumPacketSize ?? MAX_PACKET_SIZE;
  const rl = readRemainingLength(bytes, 0, bytes.length);
  if (rl >= 0 && 1 + varintSize(rl) + rl > max) {
    throw new MqttError(
      "packet_too_large",
      `Cannot accept packet of ${
        1 + varintSize(rl) + rl
      } bytes: maximum is ${max}`,
      { protocolVersion: version },
    );
  }
  switch (byte1 >> 4) {
    case 1:
      return decodeConnect(bytes);
    case 2:
      return decodeConnack(bytes, version);
    case 3:
      return decodePublish(bytes, version);
    case 4:
    case 5:
    case 6:
    case 7:
      return decodeAck(bytes, version);
    case 8:
      return decodeSubscribe(bytes, version);
    case 9:
      return decodeSuback(bytes, version);
    case 10:
      return decodeUnsubscribe(bytes, version);
    case 11:
      return decodeUnsuback(bytes, version);
    case 12:
    case 13:
      return decodePing(bytes, version);
    case 14:
      return decodeDisconnect(bytes, version);
    case 15:
      return decodeAuth(bytes, version);
    default:
      checkHeaderFlags(0, byte1 & 0x0f, version); // throws: type 0 is reserved
      throw new MqttError("malformed", "Cannot decode packet: reserved type");
  }
}
