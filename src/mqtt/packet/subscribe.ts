/**
 * SUBSCRIBE (MQTT 5.0 §3.8, 3.1.1 §3.8) and SUBACK (§3.9).
 *
 * ```
 * SUBSCRIBE  0x82, Remaining Length, packet identifier, [5.0: properties],
 *            then one or more (topic filter, subscription options)
 * options    3.1.1: bits 7-2 reserved (0), bits 1-0 QoS
 *            5.0:   bits 7-6 reserved (0), 5-4 retain handling,
 *                   3 retain as published, 2 no local, 1-0 maximum QoS
 * SUBACK     0x90, Remaining Length, packet identifier, [5.0: properties],
 *            one reason (3.1.1: return) code per topic filter
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
import type {
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
} from "./types.ts";
import { PacketWriter } from "./_writer.ts";

/**
 * Decodes one whole SUBSCRIBE packet.
 *
 * @throws {MqttError} malformed (flags not 0010, reserved option bits, QoS 3
 * before 5.0), protocol (no topic filter, packet identifier 0, QoS 3 or
 * retain handling 3 in 5.0, no local on a shared subscription) or
 * topic_filter_invalid (wildcard or share-name rules).
 *
 * @example
 * ```ts
 * import { decodeSubscribe } from "./subscribe.ts";
 * import { decodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeSubscribe(decodeHex("8206000100012301"), 4), {
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topicFilter: "#", qos: 1 }],
 * });
 * ```
 */
export function decodeSubscribe(
  packet: Uint8Array,
  version: MqttVersion,
): SubscribePacket {
  try {
    const r = openPacket(packet, 8, version);
    const packetId = r.uint16("SUBSCRIBE packet identifier");
    if (packetId === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode SUBSCRIBE: packet identifier 0",
      ); // [MQTT-2.3.1-1]
    }
    const properties = version === 5 ? decodeProperties(r, 8) : undefined;
    const subscriptions: Subscription[] = [];
    while (r.anyLeft()) {
      const at = r.absolutePosition;
      const topicFilter = readString(r, "SUBSCRIBE topic filter");
      const problem = validateTopicFilter(topicFilter);
      if (problem !== undefined) {
        throw new MqttError(
          "topic_filter_invalid",
          `Cannot decode SUBSCRIBE topic filter at offset ${at}: ${problem}`,
        );
      }
      const optAt = r.absolutePosition;
      const options = r.uint8("SUBSCRIBE options");
      const qos = options & 3;
      if (version !== 5) {
        if ((options & 0xfc) !== 0 || qos === 3) {
          // 3.1.1 [MQTT-3.8.3-4]
          throw new MqttError(
            "malformed",
            `Cannot decode SUBSCRIBE options at offset ${optAt}: reserved bits or QoS 3`,
          );
        }
        subscriptions.push({ topicFilter, qos: qos as QoS });
        continue;
      }
      if ((options & 0xc0) !== 0) {
        throw new MqttError(
          "malformed",
          `Cannot decode SUBSCRIBE options at offset ${optAt}: reserved bits set`,
        ); // [MQTT-3.8.3-5]
      }
      const retainHandling = (options >> 4) & 3;
      if (qos === 3 || retainHandling === 3) {
        // §3.8.3.1: QoS 3 and Retain Handling 3 are Protocol Errors
        throw new MqttError(
          "protocol",
          `Cannot decode SUBSCRIBE options at offset ${optAt}: QoS 3 or retain handling 3`,
        );
      }
      const noLocal = (options & 0x04) !== 0;
      if (noLocal && topicFilter.startsWith("$share/")) {
        throw new MqttError(
          "protocol",
          `Cannot decode SUBSCRIBE options at offset ${optAt}: no local on a shared subscription`,
        ); // [MQTT-3.8.3-4]
      }
      subscriptions.push({
        topicFilter,
        qos: qos as QoS,
        noLocal,
        retainAsPublished: (options & 0x08) !== 0,
        retainHandling: retainHandling as 0 | 1 | 2,
      });
    }
    if (subscriptions.length === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode SUBSCRIBE: no topic filter",
      ); // 3.1.1 [MQTT-3.8.3-3]; 5.0 §3.8.3
    }
    const out: SubscribePacket = { type: "subscribe", packetId, subscriptions };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "SUBSCRIBE", version);
  }
}

function checkPacketId(id: number, name: string): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
    throw new RangeError(`Cannot encode ${name}: packet identifier ${id}`); // [MQTT-2.3.1-1]
  }
}

/**
 * Encodes a SUBSCRIBE for `version`. The 5.0 options default to false/0.
 *
 * @throws {RangeError} no subscription, bad packet identifier, QoS or retain
 * handling; {@link TypeError} invalid topic filter, no local on a shared
 * subscription, or 5.0 fields before 5.0.
 *
 * @example
 * ```ts
 * import { encodeSubscribe } from "./subscribe.ts";
 * import { encodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeSubscribe({
 *   type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "#", qos: 1 }],
 * }, 4);
 * assert.equal(encodeHex(bytes), "8206000100012301");
 * ```
 */
export function encodeSubscribe(
  packet: SubscribePacket,
  version: MqttVersion,
): Uint8Array {
  checkPacketId(packet.packetId, "SUBSCRIBE");
  const subs = packet.subscriptions;
  if (subs.length === 0) {
    throw new RangeError("Cannot encode SUBSCRIBE: no subscription");
  }
  let len = 2;
  let propsLen = 0;
  if (version === 5) {
    propsLen = propertiesLength(packet.properties, 8);
    len += propertySectionSize(propsLen);
  } else if (packet.properties !== undefined) {
    throw new TypeError("Cannot encode SUBSCRIBE: properties need MQTT 5.0");
  }
  for (const s of subs) {
    const problem = validateTopicFilter(s.topicFilter);
    if (problem !== undefined) {
      throw new TypeError(`Cannot encode SUBSCRIBE topic filter: ${problem}`);
    }
    if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2) {
      throw new RangeError(`Cannot encode SUBSCRIBE: QoS ${s.qos}`);
    }
    const rh = s.retainHandling ?? 0;
    if (rh !== 0 && rh !== 1 && rh !== 2) {
      throw new RangeError(`Cannot encode SUBSCRIBE: retain handling ${rh}`);
    }
    if (version !== 5 && (s.noLocal || s.retainAsPublished || rh !== 0)) {
      throw new TypeError(
        "Cannot encode SUBSCRIBE: subscription options need MQTT 5.0",
      );
    }
    if (s.noLocal && s.topicFilter.startsWith("$share/")) {
      throw new TypeError(
        "Cannot encode SUBSCRIBE: no local on a shared subscription",
      ); // [MQTT-3.8.3-4]
    }
    len += 3 + utf8Length(s.topicFilter, "SUBSCRIBE topic filter");
  }
  const w = PacketWriter.forPacket(0x82, len);
  w.u16(packet.packetId);
  if (version === 5) writeProperties(w, packet.properties, propsLen);
  for (const s of subs) {
    w.string(s.topicFilter);
    w.u8(
      s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) |
        ((s.retainHandling ?? 0) << 4),
    );
  }
  return w.bytes;
}

const V4_SUBACK_CODES = new Set([0x00, 0x01, 0x02, 0x80]);

/**
 * Decodes one whole SUBACK packet.
 *
 * @throws {MqttError} malformed, or protocol (packet identifier 0, no codes,
 * an undefined code: 3.1.1 [MQTT-3.9.3-2], 5.0 §3.9.3).
 *
 * @example
 * ```ts
 * import { decodeSuback } from "./subscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeSuback(new Uint8Array([0x90, 0x04, 0x00, 0x01, 0x01, 0x80]), 4), {
 *   type: "suback",
 *   packetId: 1,
 *   reasonCodes: [1, 0x80],
 * });
 * ```
 */
export function decodeSuback(
  packet: Uint8Array,
  version: MqttVersion,
): SubackPacket {
  try {
    const r = openPacket(packet, 9, version);
    const packetId = r.uint16("SUBACK packet identifier");
    if (packetId === 0) {
      throw new MqttError(
        "protocol",
        "Cannot decode SUBACK: packet identifier 0",
      ); // [MQTT-2.3.1-1]
    }
    const properties = version === 5 ? decodeProperties(r, 9) : undefined;
    const at = r.absolutePosition;
    const reasonCodes = Array.from(r.rest());
    if (reasonCodes.length === 0) {
      throw new MqttError("protocol", "Cannot decode SUBACK: no reason codes");
    }
    for (let i = 0; i < reasonCodes.length; i++) {
      const code = reasonCodes[i] as number;
      const ok = version === 5
        ? isReasonCodeAllowed("suback", code)
        : V4_SUBACK_CODES.has(code);
      if (!ok) {
        throw new MqttError(
          "protocol",
          `Cannot decode SUBACK at offset ${at + i}: undefined code 0x${
            code.toString(16)
          }`,
        );
      }
    }
    const out: SubackPacket = { type: "suback", packetId, reasonCodes };
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "SUBACK", version);
  }
}

/**
 * Encodes a SUBACK for `version`.
 *
 * @throws {RangeError} bad packet identifier, no codes or an undefined code;
 * {@link TypeError} properties before 5.0.
 *
 * @example
 * ```ts
 * import { encodeSuback } from "./subscribe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeSuback({ type: "suback", packetId: 1, reasonCodes: [0] }, 5),
 *   new Uint8Array([0x90, 0x04, 0x00, 0x01, 0x00, 0x00]),
 * );
 * ```
 */
export function encodeSuback(
  packet: SubackPacket,
  version: MqttVersion,
): Uint8Array {
  checkPacketId(packet.packetId, "SUBACK");
  const codes = packet.reasonCodes;
  if (codes.length === 0) {
    throw new RangeError("Cannot encode SUBACK: no reason codes");
  }
  for (const code of codes) {
    const ok = version === 5
      ? isReasonCodeAllowed("suback", code)
      : V4_SUBACK_CODES.has(code);
    if (!ok) {
      throw new RangeError(`Cannot encode SUBACK: undefined code ${code}`);
    }
  }
  let len = 2 + codes.length;
  let propsLen = 0;
  if (version === 5) {
    propsLen = propertiesLength(packet.properties, 9);
    len += propertySectionSize(propsLen);
  } else if (packet.properties !== undefined) {
    throw new TypeError("Cannot encode SUBACK: properties need MQTT 5.0");
  }
  const w = PacketWriter.forPacket(0x90, len);
  w.u16(packet.packetId);
  if (version === 5) writeProperties(w, packet.properties, propsLen);
  for (const code of codes) w.u8(code);
  return w.bytes;
}
