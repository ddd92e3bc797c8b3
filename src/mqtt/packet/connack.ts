/**
 * CONNACK (MQTT 5.0 §3.2, MQTT 3.1.1 §3.2).
 *
 * ```
 * fixed header   0x20, Remaining Length
 * variable       acknowledge flags (bit 0 session present, bits 7-1 zero),
 *                reason code (5.0) or return code (3.1.1), [5.0: properties]
 * ```
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { isReasonCodeAllowed } from "../reason_codes.ts";
import { asMqttError, openPacket } from "./fixed_header.ts";
import {
  decodeProperties,
  propertiesLength,
  propertySectionSize,
  writeProperties,
} from "./properties.ts";
import type { ConnackPacket } from "./types.ts";
import { PacketWriter } from "./_writer.ts";
import { bytesOf } from "./_alloc.ts";

/**
 * Decodes one whole CONNACK packet.
 *
 * @throws {MqttError} malformed (reserved flag bits, bad length) or protocol
 * (a code the version does not define, session present on a refusal).
 *
 * @example
 * ```ts
 * import { decodeConnack } from "./connack.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeConnack(new Uint8Array([0x20, 0x02, 0x01, 0x00]), 4), {
 *   type: "connack",
 *   sessionPresent: true,
 *   reasonCode: 0,
 * });
 * ```
 */
export function decodeConnack(
  packet: Uint8Array,
  version: MqttVersion,
): ConnackPacket {
  try {
    const r = openPacket(packet, 2, version);
    const at = r.absolutePosition;
    const flags = r.uint8("CONNACK flags");
    if ((flags & 0xfe) !== 0) {
      throw new MqttError(
        "malformed",
        `Cannot decode CONNACK flags at offset ${at}: reserved bits set`,
      ); // [MQTT-3.2.2-1]
    }
    const sessionPresent = flags === 1;
    const reasonCode = r.uint8("CONNACK reason code");
    if (
      version === 5
        ? !isReasonCodeAllowed("connack", reasonCode)
        : reasonCode > 5
    ) {
      // 3.1.1 §3.2.2.3: 6-255 reserved; 5.0 §3.2.2.2 table
      throw new MqttError(
        "protocol",
        `Cannot decode CONNACK at offset ${at + 1}: undefined code 0x${
          reasonCode.toString(16)
        }`,
      );
    }
    if (sessionPresent && reasonCode !== 0) {
      // 3.1.1 [MQTT-3.2.2-4]; 5.0 [MQTT-3.2.2-6]
      throw new MqttError(
        "protocol",
        "Cannot decode CONNACK: session present on a refused connection",
      );
    }
    const properties = version === 5 ? decodeProperties(r, 2) : undefined;
    r.expectEnd("CONNACK");
    const out: ConnackPacket = { type: "connack", sessionPresent, reasonCode };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "CONNACK", version);
  }
}

/**
 * Encodes a CONNACK for `version`.
 *
 * @throws {RangeError} on a code the version does not define.
 * @throws {TypeError} on properties before 5.0 or a property CONNACK does not allow.
 *
 * @example
 * ```ts
 * import { encodeConnack } from "./connack.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeConnack({ type: "connack", sessionPresent: false, reasonCode: 0 }, 5);
 * assert.deepEqual(bytes, new Uint8Array([0x20, 0x03, 0x00, 0x00, 0x00]));
 * ```
 */
export function encodeConnack(
  packet: ConnackPacket,
  version: MqttVersion,
): Uint8Array {
  const code = packet.reasonCode;
  if (
    version === 5
      ? !isReasonCodeAllowed("connack", code)
      : !(code >= 0 && code <= 5)
  ) {
    throw new RangeError(`Cannot encode CONNACK: undefined code ${code}`);
  }
  if (packet.sessionPresent && code !== 0) {
    throw new RangeError("Cannot encode CONNACK: session present on a refusal");
  }
  if (version !== 5) {
    if (packet.properties !== undefined) {
      throw new TypeError("Cannot encode CONNACK: properties need MQTT 5.0");
    }
    return bytesOf(0x20, 0x02, packet.sessionPresent ? 1 : 0, code);
  }
  const propsLen = propertiesLength(packet.properties, 2);
  const w = PacketWriter.forPacket(0x20, 2 + propertySectionSize(propsLen));
  w.u8(packet.sessionPresent ? 1 : 0);
  w.u8(code);
  writeProperties(w, packet.properties, propsLen);
  return w.bytes;
}
