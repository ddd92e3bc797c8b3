/**
 * AUTH (MQTT 5.0 §3.15): extended authentication exchanges. It does not
 * exist before 5.0, where packet type 15 is reserved.
 *
 * ```
 * fixed header   0xF0, Remaining Length
 * variable       reason code (0x00 success, 0x18 continue authentication,
 *                0x19 re-authenticate), properties
 * ```
 *
 * A Remaining Length of 0 means reason code 0x00 and no properties
 * (§3.15.2.1). The encoder always writes the reason code and the property
 * length, as Mosquitto does.
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
import type { AuthPacket } from "./types.ts";
import { PacketWriter } from "./_writer.ts";

/**
 * Decodes one whole AUTH packet.
 *
 * @throws {MqttError} malformed (before 5.0, flags, trailing bytes) or
 * protocol (undefined reason code [MQTT-3.15.2-1], data without method).
 *
 * @example
 * ```ts
 * import { decodeAuth } from "./auth.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeAuth(new Uint8Array([0xf0, 0x02, 0x18, 0x00]), 5), {
 *   type: "auth",
 *   reasonCode: 0x18,
 * });
 * ```
 */
export function decodeAuth(
  packet: Uint8Array,
  version: MqttVersion,
): AuthPacket {
  try {
    const r = openPacket(packet, 15, version);
    let reasonCode = 0;
    let properties;
    if (r.anyLeft()) {
      const at = r.absolutePosition;
      reasonCode = r.uint8("AUTH reason code");
      if (!isReasonCodeAllowed("auth", reasonCode)) {
        throw new MqttError(
          "protocol",
          `Cannot decode AUTH at offset ${at}: undefined reason code 0x${
            reasonCode.toString(16)
          }`,
        ); // [MQTT-3.15.2-1]
      }
      if (r.anyLeft()) properties = decodeProperties(r, 15);
    }
    r.expectEnd("AUTH");
    const out: AuthPacket = { type: "auth", reasonCode };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "AUTH", version);
  }
}

/**
 * Encodes an AUTH packet; MQTT 5.0 only.
 *
 * @throws {TypeError} before 5.0; {@link RangeError} an undefined reason code.
 *
 * @example
 * ```ts
 * import { encodeAuth } from "./auth.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeAuth({ type: "auth", reasonCode: 0x18 }, 5),
 *   new Uint8Array([0xf0, 0x02, 0x18, 0x00]),
 * );
 * ```
 */
export function encodeAuth(
  packet: AuthPacket,
  version: MqttVersion,
): Uint8Array {
  if (version !== 5) {
    throw new TypeError("Cannot encode AUTH: it needs MQTT 5.0");
  }
  const code = packet.reasonCode ?? 0;
  if (!isReasonCodeAllowed("auth", code)) {
    throw new RangeError(`Cannot encode AUTH: undefined reason code ${code}`);
  }
  const propsLen = propertiesLength(packet.properties, 15);
  const w = PacketWriter.forPacket(0xf0, 1 + propertySectionSize(propsLen));
  w.u8(code);
  writeProperties(w, packet.properties, propsLen);
  return w.bytes;
}
