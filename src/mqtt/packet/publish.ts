/**
 * PUBLISH (MQTT 5.0 §3.3, MQTT 3.1.1 §3.3): the hot path of the broker.
 *
 * ```
 * fixed header   0x3 | DUP << 3 | QoS << 1 | RETAIN, Remaining Length
 * variable       topic name, [QoS > 0: packet identifier], [5.0: properties]
 * payload        the rest of the packet
 * ```
 *
 * Encoding sizes the packet first and writes it into one exact allocation;
 * decoding returns the payload as a view, without copying.
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { asMqttError, openPacket, varintSize } from "./fixed_header.ts";
import {
  decodeProperties,
  propertiesLength,
  propertySectionSize,
  writeProperties,
} from "./properties.ts";
import { readString, utf8Length } from "./strings.ts";
import type { PublishPacket, QoS } from "./types.ts";
import { PacketWriter } from "./_writer.ts";

const PLUS = 0x2b;
const HASH = 0x23;

function hasWildcard(topic: string): boolean {
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) return true;
  }
  return false;
}

/**
 * Decodes one whole PUBLISH packet. The payload (and correlation data) are
 * views into `packet`.
 *
 * @throws {MqttError} malformed (QoS 3, DUP on QoS 0, bad UTF-8, short
 * packet), protocol (packet identifier 0, empty topic without alias in 5.0,
 * topic alias 0, duplicate property) or topic_name_invalid (wildcards, or
 * an empty topic before 5.0).
 *
 * @example
 * ```ts
 * import { decodePublish } from "./publish.ts";
 * import { decodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // QoS 1, topic "a/b", packet id 10, payload "hi"
 * assert.deepEqual(decodePublish(decodeHex("32090003612f62000a6869"), 4), {
 *   type: "publish",
 *   topic: "a/b",
 *   payload: new Uint8Array([0x68, 0x69]),
 *   qos: 1,
 *   retain: false,
 *   dup: false,
 *   packetId: 10,
 * });
 * ```
 */
export function decodePublish(
  packet: Uint8Array,
  version: MqttVersion,
): PublishPacket {
  try {
    const r = openPacket(packet, 3, version);
    const flags = packet[0] as number;
    const qos = ((flags >> 1) & 3) as QoS;
    const topicAt = r.absolutePosition;
    const topic = readString(r, "PUBLISH topic");
    let packetId: number | undefined;
    if (qos > 0) {
      packetId = r.uint16("PUBLISH packet identifier");
      if (packetId === 0) {
        throw new MqttError(
          "protocol",
          "Cannot decode PUBLISH: packet identifier 0",
        ); // [MQTT-2.3.1-1]
      }
    }
    const properties = version === 5 ? decodeProperties(r, 3) : undefined;
    if (topic.length === 0) {
      if (version !== 5) {
        throw new MqttError(
          "topic_name_invalid",
          `Cannot decode PUBLISH topic at offset ${topicAt}: empty`,
        ); // [MQTT-4.7.3-1]
      }
      if (properties?.topicAlias === undefined) {
        throw new MqttError(
          "protocol",
          `Cannot decode PUBLISH topic at offset ${topicAt}: empty without a topic alias`,
        ); // §3.3.2.1
      }
    } else if (hasWildcard(topic)) {
      throw new MqttError(
        "topic_name_invalid",
        `Cannot decode PUBLISH topic at offset ${topicAt}: contains a wildcard`,
      ); // [MQTT-3.3.2-2]
    }
    const out: PublishPacket = {
      type: "publish",
      topic,
      payload: r.rest(),
      qos,
      retain: (flags & 1) === 1,
      dup: (flags & 8) === 8,
    };
    if (packetId !== undefined) out.packetId = packetId;
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "PUBLISH", version);
  }
}

/**
 * The encoded size of a PUBLISH, checking it as {@link encodePublish} does.
 * With {@link encodePublishInto} it lets a sender batch many packets into
 * one buffer.
 *
 * @example
 * ```ts
 * import { publishSize } from "./publish.ts";
 * import assert from "node:assert/strict";
 *
 * const p = { type: "publish", topic: "a", payload: new Uint8Array(3), qos: 0, retain: false, dup: false } as const;
 * assert.equal(publishSize(p, 4), 8);
 * ```
 */
export function publishSize(
  packet: PublishPacket,
  version: MqttVersion,
): number {
  const rl = remainingLength(packet, version);
  return 1 + varintSize(rl) + rl;
}

function remainingLength(packet: PublishPacket, version: MqttVersion): number {
  const { qos, topic } = packet;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new RangeError(`Cannot encode PUBLISH: QoS ${qos}`);
  }
  let len = 2 + utf8Length(topic, "PUBLISH topic") + packet.payload.length;
  if (qos > 0) {
    const id = packet.packetId;
    if (
      id === undefined || !(id >= 1 && id <= 0xffff) || !Number.isInteger(id)
    ) {
      throw new RangeError(`Cannot encode PUBLISH: packet identifier ${id}`); // [MQTT-2.3.1-1]
    }
    len += 2;
  } else if (packet.dup) {
    throw new RangeError("Cannot encode PUBLISH: DUP on QoS 0"); // [MQTT-3.3.1-2]
  }
  if (hasWildcard(topic)) {
    throw new TypeError("Cannot encode PUBLISH: wildcard in topic"); // [MQTT-3.3.2-2]
  }
  if (version === 5) {
    const propsLen = propertiesLength(packet.properties, 3);
    if (topic.length === 0 && packet.properties?.topicAlias === undefined) {
      throw new TypeError(
        "Cannot encode PUBLISH: empty topic without topic alias",
      );
    }
    len += propertySectionSize(propsLen);
  } else {
    if (topic.length === 0) {
      throw new TypeError("Cannot encode PUBLISH: empty topic"); // [MQTT-4.7.3-1]
    }
    if (packet.properties !== undefined) {
      throw new TypeError("Cannot encode PUBLISH: properties need MQTT 5.0");
    }
  }
  return len;
}

function writeBody(
  w: PacketWriter,
  packet: PublishPacket,
  version: MqttVersion,
): void {
  w.string(packet.topic);
  if (packet.qos > 0) w.u16(packet.packetId as number);
  if (version === 5) {
    const props = packet.properties;
    if (props === undefined) w.u8(0);
    else writeProperties(w, props, propertiesLength(props, 3));
  }
  w.raw(packet.payload);
}

function firstByte(packet: PublishPacket): number {
  return 0x30 | (packet.dup ? 8 : 0) | (packet.qos << 1) |
    (packet.retain ? 1 : 0);
}

/**
 * Encodes a PUBLISH for `version` into a new array of exactly its size.
 *
 * @throws {RangeError} QoS out of range, missing or zero packet identifier,
 * DUP on QoS 0, or a packet over 268,435,455 bytes of body.
 * @throws {TypeError} wildcard or empty topic (empty is allowed in 5.0 with
 * a topic alias), properties before 5.0 or not allowed in PUBLISH.
 *
 * @example
 * ```ts
 * import { encodePublish } from "./publish.ts";
 * import { encodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePublish({
 *   type: "publish", topic: "a/b", payload: new Uint8Array([0x68, 0x69]),
 *   qos: 1, retain: false, dup: false, packetId: 10,
 * }, 4);
 * assert.equal(encodeHex(bytes), "32090003612f62000a6869");
 * ```
 */
export function encodePublish(
  packet: PublishPacket,
  version: MqttVersion,
): Uint8Array {
  const w = PacketWriter.forPacket(
    firstByte(packet),
    remainingLength(packet, version),
  );
  writeBody(w, packet, version);
  return w.bytes;
}

/**
 * Encodes a PUBLISH into `target` at `offset` (no allocation) and returns the
 * number of bytes written, or -1 (writing nothing) when it does not fit.
 *
 * @throws As {@link encodePublish}.
 *
 * @example
 * ```ts
 * import { encodePublishInto } from "./publish.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new Uint8Array(64);
 * const p = { type: "publish", topic: "t", payload: new Uint8Array([1]), qos: 0, retain: false, dup: false } as const;
 * const n = encodePublishInto(p, { version: 4, target: out, offset: 0 });
 * assert.deepEqual(out.subarray(0, n), new Uint8Array([0x30, 0x04, 0x00, 0x01, 0x74, 0x01]));
 * ```
 */
export function encodePublishInto(
  packet: PublishPacket,
  options: { version: MqttVersion; target: Uint8Array; offset: number },
): number {
  const { version, target, offset } = options;
  const rl = remainingLength(packet, version);
  const total = 1 + varintSize(rl) + rl;
  if (offset < 0 || offset + total > target.length) return -1;
  const w = new PacketWriter(target, offset);
  w.header(firstByte(packet), rl);
  writeBody(w, packet, version);
  return total;
}
