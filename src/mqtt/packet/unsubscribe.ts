/**
 * UNSUBSCRIBE (MQTT 5.0 §3.10, 3.1.1 §3.10) and UNSUBACK (§3.11).
 *
 * ```
 * UNSUBSCRIBE  0xA2, Remaining Length, packet identifier,
 *              [5.0: properties], one or more topic filters
 * UNSUBACK     0xB0, Remaining Length, packet identifier,
 *              [5.0: properties, one reason code per topic filter]
 * ```
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { isReasonCodeAllowed } from "../reason_codes.ts";
import { validateTopicFilter } from "../topic.ts";
import { asMqttError, openPacket } from "./fixed_header.ts";
import {
  decodeProperties,
  propertiesLength,
  propertySectionSize,
  writeProperties,
} from "./properties.ts";
import { readString, utf8Length } from "./strings.ts";
import type { UnsubackPacket, UnsubscribePacket } from "./types.ts";
import { PacketWriter } from "./_writer.ts";
import { bytesOf } from "./_alloc.ts";

/**
 * Decodes one whole UNSUBSCRIBE packet.
 *
 * @throws {MqttError} malformed (flags not 0010, bad strings), protocol (no
 * topic filter [MQTT-3.10.3-2], packet identifier 0) or topic_filter_invalid.
 *
 * @example
 * ```ts
 * import { decodeUnsubscribe } from "./unsubscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeUnsubscribe(new Uint8Array([0xa2, 0x05, 0x00, 0x02, 0x00, 0x01, 0x23]), 4),
 *   { type: "unsubscribe", packetId: 2, topicFilters: ["#"] },
 * );
 * ```
 */
export function decodeUnsubscribe(
  packet: Uint8Array,
  version: MqttVersion,
): UnsubscribePacket {
  try {
    const r = openPacket(packet, 10, version);
    const packetId = r.uint16("UNSUBSCRIBE packet identifier");
    if (packetId === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode UNSUBSCRIBE: packet identifier 0",
      ); // [MQTT-2.3.1-1]
    }
    const properties = version === 5 ? decodeProperties(r, 10) : undefined;
    const topicFilters: string[] = [];
    while (r.anyLeft()) {
      const at = r.absolutePosition;
      const filter = readString(r, "UNSUBSCRIBE topic filter");
      const problem = validateTopicFilter(filter);
      if (problem !== undefined) {
        throw new MqttError(
          "topic_filter_invalid",
          `Cannot decode UNSUBSCRIBE topic filter at offset ${at}: ${problem}`,
        );
      }
      topicFilters.push(filter);
    }
    if (topicFilters.length === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode UNSUBSCRIBE: no topic filter",
      ); // [MQTT-3.10.3-2]
    }
    const out: UnsubscribePacket = {
      type: "unsubscribe",
      packetId,
      topicFilters,
    };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "UNSUBSCRIBE", version);
  }
}

function checkPacketId(id: number, name: string): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
    throw new RangeError(`Cannot encode ${name}: packet identifier ${id}`); // [MQTT-2.3.1-1]
  }
}

/**
 * Encodes an UNSUBSCRIBE for `version`.
 *
 * @throws {RangeError} no topic filter or a bad packet identifier;
 * {@link TypeError} an invalid filter or properties before 5.0.
 *
 * @example
 * ```ts
 * import { encodeUnsubscribe } from "./unsubscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeUnsubscribe({ type: "unsubscribe", packetId: 2, topicFilters: ["#"] }, 4),
 *   new Uint8Array([0xa2, 0x05, 0x00, 0x02, 0x00, 0x01, 0x23]),
 * );
 * ```
 */
export function encodeUnsubscribe(
  packet: UnsubscribePacket,
  version: MqttVersion,
): Uint8Array {
  checkPacketId(packet.packetId, "UNSUBSCRIBE");
  if (packet.topicFilters.length === 0) {
    throw new RangeError("Cannot encode UNSUBSCRIBE: no topic filter");
  }
  let len = 2;
  let propsLen = 0;
  if (version === 5) {
    propsLen = propertiesLength(packet.properties, 10);
    len += propertySectionSize(propsLen);
  } else if (packet.properties !== undefined) {
    throw new TypeError("Cannot encode UNSUBSCRIBE: properties need MQTT 5.0");
  }
  for (const f of packet.topicFilters) {
    const problem = validateTopicFilter(f);
    if (problem !== undefined) {
      throw new TypeError(`Cannot encode UNSUBSCRIBE topic filter: ${problem}`);
    }
    len += 2 + utf8Length(f, "UNSUBSCRIBE topic filter");
  }
  const w = PacketWriter.forPacket(0xa2, len);
  w.u16(packet.packetId);
  if (version === 5) writeProperties(w, packet.properties, propsLen);
  for (const f of packet.topicFilters) w.string(f);
  return w.bytes;
}

/**
 * Decodes one whole UNSUBACK packet.
 *
 * @throws {MqttError} malformed (3.1.1 length other than 2), or protocol
 * (packet identifier 0, no or undefined reason codes in 5.0).
 *
 * @example
 * ```ts
 * import { decodeUnsuback } from "./unsubscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeUnsuback(new Uint8Array([0xb0, 0x04, 0x00, 0x02, 0x00, 0x11]), 5), {
 *   type: "unsuback",
 *   packetId: 2,
 *   reasonCodes: [0x11],
 * });
 * ```
 */
export function decodeUnsuback(
  packet: Uint8Array,
  version: MqttVersion,
): UnsubackPacket {
  try {
    const r = openPacket(packet, 11, version);
    const packetId = r.uint16("UNSUBACK packet identifier");
    if (packetId === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode UNSUBACK: packet identifier 0",
      ); // [MQTT-2.3.1-1]
    }
    if (version !== 5) {
      r.expectEnd("UNSUBACK"); // 3.1.1 §3.11.1: Remaining Length 2
      return { type: "unsuback", packetId };
    }
    const properties = decodeProperties(r, 11);
    const at = r.absolutePosition;
    const reasonCodes = Array.from(r.rest());
    if (reasonCodes.length === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode UNSUBACK: no reason codes",
      ); // §3.11.3
    }
    for (let i = 0; i < reasonCodes.length; i++) {
      const code = reasonCodes[i] as number;
      if (!isReasonCodeAllowed("unsuback", code)) {
        throw new MqttError(
          "protocol",
          `Cannot decode UNSUBACK at offset ${
            at + i
          }: undefined reason code 0x${code.toString(16)}`,
        );
      }
    }
    const out: UnsubackPacket = { type: "unsuback", packetId, reasonCodes };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "UNSUBACK", version);
  }
}

/**
 * Encodes an UNSUBACK for `version` (5.0 requires `reasonCodes`).
 *
 * @throws {RangeError} bad packet identifier, missing or undefined reason
 * codes in 5.0; {@link TypeError} reason codes or properties before 5.0.
 *
 * @example
 * ```ts
 * import { encodeUnsuback } from "./unsubscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeUnsuback({ type: "unsuback", packetId: 2 }, 4),
 *   new Uint8Array([0xb0, 0x02, 0x00, 0x02]),
 * );
 * ```
 */
export function encodeUnsuback(
  packet: UnsubackPacket,
  version: MqttVersion,
): Uint8Array {
  checkPacketId(packet.packetId, "UNSUBACK");
  if (version !== 5) {
    if (packet.reasonCodes !== undefined || packet.properties !== undefined) {
      throw new TypeError(
        "Cannot encode UNSUBACK: reason codes and properties need MQTT 5.0",
      );
    }
    return bytesOf(
      0xb0,
      0x02,
      packet.packetId >> 8,
      packet.packetId & 0xff,
    );
  }
  const codes = packet.reasonCodes;
  if (codes === undefined || codes.length === 0) {
    throw new RangeError("Cannot encode UNSUBACK: MQTT 5.0 needs reason codes");
  }
  for (const code of codes) {
    if (!isReasonCodeAllowed("unsuback", code)) {
      throw new RangeError(
        `Cannot encode UNSUBACK: undefined reason code ${code}`,
      );
    }
  }
  const propsLen = propertiesLength(packet.properties, 11);
  const w = PacketWriter.forPacket(
    0xb0,
    2 + propertySectionSize(propsLen) + codes.length,
  );
  w.u16(packet.packetId);
  writeProperties(w, packet.properties, propsLen);
  for (const code of codes) w.u8(code);
  return w.bytes;
}
