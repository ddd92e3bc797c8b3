/**
 * The QoS 1 and QoS 2 acknowledgements: PUBACK (§3.4), PUBREC (§3.5),
 * PUBREL (§3.6) and PUBCOMP (§3.7) of MQTT 5.0 and 3.1.1.
 *
 * ```
 * fixed header   0x40 PUBACK | 0x50 PUBREC | 0x62 PUBREL | 0x70 PUBCOMP
 * variable       packet identifier, [5.0: reason code, [properties]]
 * ```
 *
 * In 5.0 the reason code and property length may be left out: Remaining
 * Length 2 means reason code 0x00 and no properties, 3 means no properties
 * (§3.4.2.1). The encoder writes that shortest form, as Mosquitto does.
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { isReasonCodeAllowed } from "../reason_codes.ts";
import { asMqttError, openPacket, packetTypeName } from "./fixed_header.ts";
import {
  decodeProperties,
  propertiesLength,
  propertySectionSize,
  writeProperties,
} from "./properties.ts";
import type {
  PubackPacket,
  PubcompPacket,
  PubrecPacket,
  PubrelPacket,
} from "./types.ts";
import { PacketWriter } from "./_writer.ts";
import { bytesOf } from "./_alloc.ts";

/** PUBACK, PUBREC, PUBREL or PUBCOMP. */
export type PubAckPacket =
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket;

const TYPES = ["puback", "pubrec", "pubrel", "pubcomp"] as const;

/**
 * Decodes one whole PUBACK, PUBREC, PUBREL or PUBCOMP packet (the type is
 * taken from the fixed header).
 *
 * @throws {MqttError} malformed (wrong length, PUBREL flags not 0010,
 * trailing bytes) or protocol (packet identifier 0, undefined reason code).
 *
 * @example
 * ```ts
 * import { decodeAck } from "./acks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeAck(new Uint8Array([0x62, 0x02, 0x00, 0x05]), 4), {
 *   type: "pubrel",
 *   packetId: 5,
 * });
 * assert.deepEqual(decodeAck(new Uint8Array([0x40, 0x03, 0x00, 0x05, 0x10]), 5), {
 *   type: "puback",
 *   packetId: 5,
 *   reasonCode: 0x10,
 * });
 * ```
 */
export function decodeAck(
  packet: Uint8Array,
  version: MqttVersion,
): PubAckPacket {
  const code = (packet[0] ?? 0) >> 4;
  const type = TYPES[code - 4] ?? "puback";
  const name = packetTypeName(code);
  try {
    const r = openPacket(packet, code >= 4 && code <= 7 ? code : 4, version);
    const packetId = r.uint16(`${name} packet identifier`);
    if (packetId === 0) {
      throw new MqttError(
        "protocol",
        `Cannot decode ${name}: packet identifier 0`,
      ); // [MQTT-2.3.1-1]
    }
    if (version !== 5) {
      r.expectEnd(name); // 3.1.1: Remaining Length is 2
      return { type, packetId };
    }
    let reasonCode = 0;
    let properties;
    if (r.anyLeft()) {
      const at = r.absolutePosition;
      reasonCode = r.uint8(`${name} reason code`);
      if (!isReasonCodeAllowed(type, reasonCode)) {
        // [MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1]
        throw new MqttError(
          "protocol",
          `Cannot decode ${name} at offset ${at}: undefined reason code 0x${
            reasonCode.toString(16)
          }`,
        );
      }
      // Remaining Length < 4: no property length (§3.4.2.2.1)
      if (r.anyLeft()) properties = decodeProperties(r, code as 4);
    }
    r.expectEnd(name);
    const out: PubAckPacket = { type, packetId, reasonCode };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, name, version);
  }
}

const FIRST_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };
const CONTEXT = { puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7 } as const;

/**
 * Encodes a PUBACK, PUBREC, PUBREL or PUBCOMP for `version`, in 5.0 in the
 * shortest form the reason code and properties allow.
 *
 * @throws {RangeError} packet identifier outside 1..65535 or an undefined
 * reason code; {@link TypeError} for reason codes or properties before 5.0.
 *
 * @example
 * ```ts
 * import { encodeAck } from "./acks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeAck({ type: "pubrec", packetId: 5, reasonCode: 0 }, 5),
 *   new Uint8Array([0x50, 0x02, 0x00, 0x05]),
 * );
 * ```
 */
export function encodeAck(
  packet: PubAckPacket,
  version: MqttVersion,
): Uint8Array {
  const { type, packetId } = packet;
  if (!Number.isInteger(packetId) || packetId < 1 || packetId > 0xffff) {
    throw new RangeError(
      `Cannot encode ${type.toUpperCase()}: packet identifier ${packetId}`,
    ); // [MQTT-2.3.1-1]
  }
  const code = packet.reasonCode ?? 0;
  const byte1 = FIRST_BYTE[type];
  if (version !== 5) {
    if (code !== 0 || packet.properties !== undefined) {
      throw new TypeError(
        `Cannot encode ${type.toUpperCase()}: reason codes and properties need MQTT 5.0`,
      );
    }
    return bytesOf(byte1, 2, packetId >> 8, packetId & 0xff);
  }
  if (!isReasonCodeAllowed(type, code)) {
    throw new RangeError(
      `Cannot encode ${type.toUpperCase()}: undefined reason code ${code}`,
    );
  }
  const propsLen = propertiesLength(packet.properties, CONTEXT[type]);
  if (propsLen === 0) {
    if (code === 0) {
      return bytesOf(byte1, 2, packetId >> 8, packetId & 0xff);
    }
    return bytesOf(byte1, 3, packetId >> 8, packetId & 0xff, code);
  }
  const w = PacketWriter.forPacket(byte1, 3 + propertySectionSize(propsLen));
  w.u16(packetId);
  w.u8(code);
  writeProperties(w, packet.properties, propsLen);
  return w.bytes;
}
