/**
 * DISCONNECT (MQTT 5.0 §3.14, 3.1.1 §3.14), and the bodiless PINGREQ
 * (§3.12) and PINGRESP (§3.13).
 *
 * ```
 * DISCONNECT  0xE0, Remaining Length, [5.0: reason code, [properties]]
 * PINGREQ     0xC0 0x00
 * PINGRESP    0xD0 0x00
 * ```
 *
 * In 5.0 a Remaining Length of 0 means reason code 0x00 (Normal
 * disconnection) and one of 1 means no properties (§3.14.2.1); the encoder
 * writes that shortest form, as Mosquitto does.
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
import type {
  DisconnectPacket,
  PingreqPacket,
  PingrespPacket,
} from "./types.ts";
import { PacketWriter } from "./_writer.ts";
import { bytesOf } from "./_alloc.ts";

/**
 * Decodes one whole DISCONNECT packet.
 *
 * @throws {MqttError} malformed (3.1.1 body, trailing bytes) or protocol
 * (undefined reason code, [MQTT-3.14.2-1]).
 *
 * @example
 * ```ts
 * import { decodeDisconnect } from "./disconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeDisconnect(new Uint8Array([0xe0, 0x00]), 5), {
 *   type: "disconnect",
 *   reasonCode: 0,
 * });
 * ```
 */
export function decodeDisconnect(
  packet: Uint8Array,
  version: MqttVersion,
): DisconnectPacket {
  try {
    const r = openPacket(packet, 14, version);
    if (version !== 5) {
      r.expectEnd("DISCONNECT"); // 3.1.1 §3.14.2: no variable header
      return { type: "disconnect" };
    }
    let reasonCode = 0;
    let properties;
    if (r.anyLeft()) {
      const at = r.absolutePosition;
      reasonCode = r.uint8("DISCONNECT reason code");
      if (!isReasonCodeAllowed("disconnect", reasonCode)) {
        throw new MqttError(
          "protocol",
          `Cannot decode DISCONNECT at offset ${at}: undefined reason code 0x${
            reasonCode.toString(16)
          }`,
        ); // [MQTT-3.14.2-1]
      }
      if (r.anyLeft()) properties = decodeProperties(r, 14);
    }
    r.expectEnd("DISCONNECT");
    const out: DisconnectPacket = { type: "disconnect", reasonCode };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "DISCONNECT", version);
  }
}

/**
 * Encodes a DISCONNECT for `version`, in 5.0 in the shortest form.
 *
 * @throws {RangeError} an undefined reason code; {@link TypeError} reason
 * codes or properties before 5.0.
 *
 * @example
 * ```ts
 * import { encodeDisconnect } from "./disconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeDisconnect({ type: "disconnect", reasonCode: 0x8e }, 5),
 *   new Uint8Array([0xe0, 0x01, 0x8e]),
 * );
 * ```
 */
export function encodeDisconnect(
  packet: DisconnectPacket,
  version: MqttVersion,
): Uint8Array {
  const code = packet.reasonCode ?? 0;
  if (version !== 5) {
    if (code !== 0 || packet.properties !== undefined) {
      throw new TypeError(
        "Cannot encode DISCONNECT: reason codes and properties need MQTT 5.0",
      );
    }
    return bytesOf(0xe0, 0x00);
  }
  if (!isReasonCodeAllowed("disconnect", code)) {
    throw new RangeError(
      `Cannot encode DISCONNECT: undefined reason code ${code}`,
    );
  }
  const propsLen = propertiesLength(packet.properties, 14);
  if (propsLen === 0) {
    return code === 0 ? bytesOf(0xe0, 0x00) : bytesOf(0xe0, 0x01, code);
  }
  const w = PacketWriter.forPacket(0xe0, 1 + propertySectionSize(propsLen));
  w.u8(code);
  writeProperties(w, packet.properties, propsLen);
  return w.bytes;
}

/**
 * Decodes PINGREQ or PINGRESP: no flags, no body (§3.12, §3.13).
 *
 * @throws {MqttError} malformed on flags or a body.
 *
 * @example
 * ```ts
 * import { decodePing } from "./disconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePing(new Uint8Array([0xc0, 0x00]), 4), { type: "pingreq" });
 * ```
 */
export function decodePing(
  packet: Uint8Array,
  version: MqttVersion,
): PingreqPacket | PingrespPacket {
  const code = (packet[0] ?? 0) >> 4;
  const name = code === 13 ? "PINGRESP" : "PINGREQ";
  try {
    openPacket(packet, code === 13 ? 13 : 12, version).expectEnd(name);
    return code === 13 ? { type: "pingresp" } : { type: "pingreq" };
  } catch (e) {
    throw asMqttError(e, name, version);
  }
}
