/**
 * CONNECT (MQTT 5.0 §3.1, MQTT 3.1.1 §3.1, MQTT 3.1 "MQIsdp").
 *
 * ```
 * fixed header   0x10, Remaining Length
 * variable       protocol name ("MQTT", or "MQIsdp" for 3.1), level (3/4/5),
 *                connect flags, keep alive, [5.0: properties]
 * payload        client id, [will: [5.0: will properties], topic, payload],
 *                [user name], [password]
 *
 * connect flags  7 user name | 6 password | 5 will retain | 4-3 will QoS |
 *                2 will | 1 clean session / clean start | 0 reserved (0)
 * ```
 *
 * The CONNECT names its own protocol level, so {@link decodeConnect} needs no
 * version; an unknown level throws {@link UnsupportedProtocolVersionError},
 * answered with CONNACK 0x01 (see `connackFor`).
 *
 * @module
 */

import { MqttError, UnsupportedProtocolVersionError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { validateTopicName } from "../topic.ts";
import { asMqttError, openPacket } from "./fixed_header.ts";
import {
  decodeProperties,
  propertiesLength,
  propertySectionSize,
  WILL_PROPERTIES,
  writeProperties,
} from "./properties.ts";
import { readBinary, readString, utf8Length } from "./strings.ts";
import type { ConnectPacket, QoS, Will } from "./types.ts";
import { PacketWriter } from "./_writer.ts";

/**
 * Decodes one whole CONNECT packet; the protocol level comes from the packet.
 *
 * @param packet One whole packet, fixed header included.
 * @returns The CONNECT with `protocolVersion` set.
 * @throws {UnsupportedProtocolVersionError} "MQTT" with a level other than 4
 * or 5, or "MQIsdp" with a level other than 3 ([MQTT-3.1.2-2]).
 * @throws {MqttError} malformed, protocol (an unknown protocol name,
 * [MQTT-3.1.2-1]), topic_name_invalid (will topic) or
 * client_identifier_not_valid; `protocolVersion` is set once the level is
 * known, so `connackFor` can answer in the client's version.
 *
 * @example
 * ```ts
 * import { decodeConnect } from "./connect.ts";
 * import { decodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // MQTT 3.1.1, clean session, keep alive 60, client id "a"
 * const packet = decodeConnect(decodeHex("100d00044d5154540402003c000161"));
 * assert.deepEqual(packet, {
 *   type: "connect",
 *   protocolVersion: 4,
 *   clean: true,
 *   keepAlive: 60,
 *   clientId: "a",
 * });
 * ```
 */
export function decodeConnect(packet: Uint8Array): ConnectPacket {
  let version: MqttVersion | undefined;
  try {
    const r = openPacket(packet, 1, undefined);
    const name = readString(r, "CONNECT protocol name");
    const level = r.uint8("CONNECT protocol level");
    const bare = level & 0x7f;
    if (name === "MQTT") {
      if (bare !== 4 && bare !== 5) {
        throw new UnsupportedProtocolVersionError(name, level); // [MQTT-3.1.2-2]
      }
    } else if (name === "MQIsdp") {
      if (bare !== 3) throw new UnsupportedProtocolVersionError(name, level);
    } else {
      // [MQTT-3.1.2-1] the server MAY close without CONNACK
      throw new MqttError(
        "protocol",
        `Cannot decode CONNECT: unknown protocol name ${JSON.stringify(name)}`,
      );
    }
    version = bare as MqttVersion;
    const at = r.absolutePosition;
    const flags = r.uint8("CONNECT flags");
    if ((flags & 0x01) !== 0) {
      throw new MqttError(
        "malformed",
        `Cannot decode CONNECT flags at offset ${at}: reserved bit set`,
      ); // [MQTT-3.1.2-3]
    }
    const hasWill = (flags & 0x04) !== 0;
    const willQos = (flags >> 3) & 3;
    const willRetain = (flags & 0x20) !== 0;
    if (!hasWill && (willQos !== 0 || willRetain)) {
      // 3.1.1 [MQTT-3.1.2-13], [MQTT-3.1.2-15]; 5.0 [MQTT-3.1.2-11], [MQTT-3.1.2-13]
      throw new MqttError(
        "malformed",
        `Cannot decode CONNECT flags at offset ${at}: will QoS or retain without a will`,
      );
    }
    if (willQos === 3) {
      // 3.1.1 [MQTT-3.1.2-14]; 5.0 [MQTT-3.1.2-12]
      throw new MqttError(
        "malformed",
        `Cannot decode CONNECT flags at offset ${at}: will QoS 3`,
      );
    }
    const hasUsername = (flags & 0x80) !== 0;
    const hasPassword = (flags & 0x40) !== 0;
    if (hasPassword && !hasUsername && version !== 5) {
      // 3.1.1 [MQTT-3.1.2-22]; 5.0 allows a password alone (§3.1.2.9)
      throw new MqttError(
        "malformed",
        `Cannot decode CONNECT flags at offset ${at}: password without user name`,
      );
    }
    const clean = (flags & 0x02) !== 0;
    const keepAlive = r.uint16("CONNECT keep alive");
    const properties = version === 5 ? decodeProperties(r, 1) : undefined;
    const clientId = readString(r, "CONNECT client identifier"); // [MQTT-3.1.3-4]
    let will: Will | undefined;
    if (hasWill) {
      const willProperties = version === 5
        ? decodeProperties(r, WILL_PROPERTIES)
        : undefined;
      const topicAt = r.absolutePosition;
      const topic = readString(r, "CONNECT will topic"); // [MQTT-3.1.3-11]
      const problem = validateTopicName(topic);
      if (problem !== undefined) {
        throw new MqttError(
          "topic_name_invalid",
          `Cannot decode CONNECT will topic at offset ${topicAt}: ${problem}`,
        );
      }
      const payload = readBinary(r, "CONNECT will payload");
      will = { topic, payload, qos: willQos as QoS, retain: willRetain };
      if (willProperties !== undefined) will.properties = willProperties;
    }
    const username = hasUsername
      ? readString(r, "CONNECT user name") // [MQTT-3.1.3-11]
      : undefined;
    const password = hasPassword
      ? readBinary(r, "CONNECT password")
      : undefined;
    r.expectEnd("CONNECT");
    checkClientId(clientId, clean, version);
    const out: ConnectPacket = {
      type: "connect",
      protocolVersion: version,
      clean,
      keepAlive,
      clientId,
    };
    if (level !== bare) out.bridgeMode = true;
    if (username !== undefined) out.username = username;
    if (password !== undefined) out.password = password;
    if (will !== undefined) out.will = will;
    if (properties !== undefined) out.properties = properties;
    return out;
  } catch (e) {
    throw asMqttError(e, "CONNECT", version);
  }
}

function checkClientId(
  clientId: string,
  clean: boolean,
  version: MqttVersion,
): void {
  if (version === 3 && (clientId.length === 0 || clientId.length > 23)) {
    // MQTT 3.1 §3.1: 1 to 23 characters, else return code 2
    throw new MqttError(
      "client_identifier_not_valid",
      `Cannot accept CONNECT: MQTT 3.1 client identifier of ${clientId.length} characters`,
      { protocolVersion: version },
    );
  }
  if (version === 4 && clientId.length === 0 && !clean) {
    // [MQTT-3.1.3-8] answered with return code 0x02 [MQTT-3.1.3-9]
    throw new MqttError(
      "client_identifier_not_valid",
      "Cannot accept CONNECT: empty client identifier without clean session",
      { protocolVersion: version },
    );
  }
}

/**
 * Encodes a CONNECT for `version`, which must equal `packet.protocolVersion`.
 *
 * @throws {RangeError} on a version mismatch or a value out of range.
 * @throws {TypeError} on a field the version does not allow (a password
 * without a user name before 5.0, properties before 5.0, a will topic with
 * wildcards, a string with U+0000 or a lone surrogate).
 *
 * @example
 * ```ts
 * import { encodeConnect } from "./connect.ts";
 * import { encodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeConnect(
 *   { type: "connect", protocolVersion: 4, clean: true, keepAlive: 60, clientId: "a" },
 *   4,
 * );
 * assert.equal(encodeHex(bytes), "100d00044d5154540402003c000161");
 * ```
 */
export function encodeConnect(
  packet: ConnectPacket,
  version: MqttVersion,
): Uint8Array {
  if (packet.protocolVersion !== version) {
    throw new RangeError(
      `Cannot encode CONNECT: protocolVersion ${packet.protocolVersion} differs from version ${version}`,
    );
  }
  const v5 = version === 5;
  if (!v5 && (packet.properties !== undefined || packet.will?.properties)) {
    throw new TypeError("Cannot encode CONNECT: properties need MQTT 5.0");
  }
  checkUint16(packet.keepAlive, "keepAlive");
  if (
    version === 3 && (packet.clientId.length < 1 || packet.clientId.length > 23)
  ) {
    throw new RangeError(
      "Cannot encode CONNECT: MQTT 3.1 client identifier must have 1 to 23 characters",
    );
  }
  if (version === 4 && packet.clientId.length === 0 && !packet.clean) {
    throw new RangeError(
      "Cannot encode CONNECT: empty client identifier needs clean session",
    );
  }
  const hasUsername = packet.username !== undefined;
  const hasPassword = packet.password !== undefined;
  if (hasPassword && !hasUsername && !v5) {
    throw new TypeError("Cannot encode CONNECT: password without user name");
  }
  let len = (version === 3 ? 8 : 6) + 1 + 1 + 2;
  let propsLen = 0;
  if (v5) {
    propsLen = propertiesLength(packet.properties, 1);
    len += propertySectionSize(propsLen);
  }
  len += 2 + utf8Length(packet.clientId, "CONNECT client identifier");
  let flags = packet.clean ? 0x02 : 0;
  const will = packet.will;
  let willPropsLen = 0;
  if (will !== undefined) {
    const problem = validateTopicName(will.topic);
    if (problem !== undefined) {
      throw new TypeError(`Cannot encode CONNECT will topic: ${problem}`);
    }
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) {
      throw new RangeError(`Cannot encode CONNECT: will QoS ${will.qos}`);
    }
    flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
    if (v5) {
      willPropsLen = propertiesLength(will.properties, WILL_PROPERTIES);
      len += propertySectionSize(willPropsLen);
    }
    len += 2 + utf8Length(will.topic, "CONNECT will topic");
    len += 2 + checkBinary(will.payload, "will payload");
  }
  if (packet.username !== undefined) {
    flags |= 0x80;
    len += 2 + utf8Length(packet.username, "CONNECT user name");
  }
  if (packet.password !== undefined) {
    flags |= 0x40;
    len += 2 + checkBinary(packet.password, "password");
  }
  const w = PacketWriter.forPacket(0x10, len);
  w.string(version === 3 ? "MQIsdp" : "MQTT");
  w.u8(version | (packet.bridgeMode === true ? 0x80 : 0));
  w.u8(flags);
  w.u16(packet.keepAlive);
  if (v5) writeProperties(w, packet.properties, propsLen);
  w.string(packet.clientId);
  if (will !== undefined) {
    if (v5) writeProperties(w, will.properties, willPropsLen);
    w.string(will.topic);
    w.binary(will.payload);
  }
  if (packet.username !== undefined) w.string(packet.username);
  if (packet.password !== undefined) w.binary(packet.password);
  return w.bytes;
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(
      `Cannot encode CONNECT: ${what} ${value} is outside 0..65535`,
    );
  }
}

function checkBinary(data: Uint8Array, what: string): number {
  if (data.length > 0xffff) {
    throw new RangeError(
      `Cannot encode CONNECT: ${what} of ${data.length} bytes exceeds 65535`,
    );
  }
  return data.length;
}
