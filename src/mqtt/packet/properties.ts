/**
 * MQTT 5.0 properties (§2.2.2): a Variable Byte Integer length followed by
 * identifier/value pairs. Each identifier is allowed only in the packets the
 * table of §2.2.2.2 lists; any other is a Malformed Packet, and a second
 * copy of a single-valued property is a Protocol Error.
 *
 * ```
 * id    name                               type    allowed in
 * 0x01  Payload Format Indicator           byte    PUBLISH, Will
 * 0x02  Message Expiry Interval            u32     PUBLISH, Will
 * 0x03  Content Type                       utf8    PUBLISH, Will
 * 0x08  Response Topic                     utf8    PUBLISH, Will
 * 0x09  Correlation Data                   binary  PUBLISH, Will
 * 0x0B  Subscription Identifier            varint  PUBLISH, SUBSCRIBE
 * 0x11  Session Expiry Interval            u32     CONNECT, CONNACK, DISCONNECT
 * 0x12  Assigned Client Identifier         utf8    CONNACK
 * 0x13  Server Keep Alive                  u16     CONNACK
 * 0x15  Authentication Method              utf8    CONNECT, CONNACK, AUTH
 * 0x16  Authentication Data                binary  CONNECT, CONNACK, AUTH
 * 0x17  Request Problem Information        byte    CONNECT
 * 0x18  Will Delay Interval                u32     Will
 * 0x19  Request Response Information       byte    CONNECT
 * 0x1A  Response Information               utf8    CONNACK
 * 0x1C  Server Reference                   utf8    CONNACK, DISCONNECT
 * 0x1F  Reason String                      utf8    CONNACK, PUBACK, PUBREC, PUBREL,
 *                                                  PUBCOMP, SUBACK, UNSUBACK,
 *                                                  DISCONNECT, AUTH
 * 0x21  Receive Maximum                    u16     CONNECT, CONNACK
 * 0x22  Topic Alias Maximum                u16     CONNECT, CONNACK
 * 0x23  Topic Alias                        u16     PUBLISH
 * 0x24  Maximum QoS                        byte    CONNACK
 * 0x25  Retain Available                   byte    CONNACK
 * 0x26  User Property                      pair    all but PINGREQ/PINGRESP
 * 0x27  Maximum Packet Size                u32     CONNECT, CONNACK
 * 0x28  Wildcard Subscription Available    byte    CONNACK
 * 0x29  Subscription Identifier Available  byte    CONNACK
 * 0x2A  Shared Subscription Available      byte    CONNACK
 * ```
 *
 * Properties are encoded in ascending identifier order; user properties keep
 * their order.
 *
 * @module
 */

import type { ByteReader } from "../../bytes/mod.ts";
import { MqttError } from "../errors.ts";
import {
  MAX_REMAINING_LENGTH,
  readVarint,
  varintSize,
} from "./fixed_header.ts";
import { readBinary, readString, utf8Length } from "./strings.ts";
import type { Properties, UserProperty } from "./types.ts";
import type { PacketWriter } from "./_writer.ts";

/**
 * Where a property section appears: the packet type number (1 = CONNECT …
 * 15 = AUTH), or 0 for the will properties inside CONNECT.
 */
export type PropertyContext =
  | 0
  | 1
  | 2
  | 3
  | 4
  | 5
  | 6
  | 7
  | 8
  | 9
  | 10
  | 11
  | 14
  | 15;

/**
 * The {@link PropertyContext} of the will properties of CONNECT.
 *
 * @example
 * ```ts
 * import { decodeProperties, WILL_PROPERTIES } from "./properties.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // Will Delay Interval = 5
 * const r = new ByteReader(new Uint8Array([5, 0x18, 0, 0, 0, 5]));
 * assert.deepEqual(decodeProperties(r, WILL_PROPERTIES), { willDelayInterval: 5 });
 * ```
 */
export const WILL_PROPERTIES = 0;

/**
 * Property identifiers (§2.2.2.2).
 *
 * @example
 * ```ts
 * import { PropertyId } from "./properties.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PropertyId.topicAlias, 0x23);
 * ```
 */
export const PropertyId = {
  payloadFormatIndicator: 0x01,
  messageExpiryInterval: 0x02,
  contentType: 0x03,
  responseTopic: 0x08,
  correlationData: 0x09,
  subscriptionIdentifier: 0x0b,
  sessionExpiryInterval: 0x11,
  assignedClientIdentifier: 0x12,
  serverKeepAlive: 0x13,
  authenticationMethod: 0x15,
  authenticationData: 0x16,
  requestProblemInformation: 0x17,
  willDelayInterval: 0x18,
  requestResponseInformation: 0x19,
  responseInformation: 0x1a,
  serverReference: 0x1c,
  reasonString: 0x1f,
  receiveMaximum: 0x21,
  topicAliasMaximum: 0x22,
  topicAlias: 0x23,
  maximumQos: 0x24,
  retainAvailable: 0x25,
  userProperty: 0x26,
  maximumPacketSize: 0x27,
  wildcardSubscriptionAvailable: 0x28,
  subscriptionIdentifierAvailable: 0x29,
  sharedSubscriptionAvailable: 0x2a,
} as const;

// One bit per PropertyContext.
const W = 1 << 0;
const C = 1 << 1;
const CA = 1 << 2;
const P = 1 << 3;
const ACKS = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 9) | (1 << 11);
const S = 1 << 8;
const U = 1 << 10;
const D = 1 << 14;
const A = 1 << 15;
const ALL = W | C | CA | P | ACKS | S | U | D | A;

const CONTEXT_NAMES: Record<PropertyContext, string> = {
  0: "Will",
  1: "CONNECT",
  2: "CONNACK",
  3: "PUBLISH",
  4: "PUBACK",
  5: "PUBREC",
  6: "PUBREL",
  7: "PUBCOMP",
  8: "SUBSCRIBE",
  9: "SUBACK",
  10: "UNSUBSCRIBE",
  11: "UNSUBACK",
  14: "DISCONNECT",
  15: "AUTH",
};

function malformed(message: string, cause?: unknown): MqttError {
  return new MqttError("malformed", message, { protocolVersion: 5, cause });
}

function protocolError(message: string): MqttError {
  return new MqttError("protocol", message, { protocolVersion: 5 });
}

function allow(
  ctx: PropertyContext,
  mask: number,
  name: string,
  at: number,
): void {
  if ((mask & (1 << ctx)) === 0) {
    // §2.2.2.2: an identifier not valid for the packet type is malformed
    throw malformed(
      `Cannot decode ${
        CONTEXT_NAMES[ctx]
      } properties at offset ${at}: ${name} is not allowed there`,
    );
  }
}

function duplicate(ctx: PropertyContext, name: string, at: number): MqttError {
  return protocolError(
    `Cannot decode ${
      CONTEXT_NAMES[ctx]
    } properties at offset ${at}: ${name} appears twice`,
  );
}

function readFlag(r: ByteReader, name: string): boolean {
  const at = r.absolutePosition;
  const v = r.uint8(name);
  if (v > 1) {
    // e.g. §3.1.2.11.7 "a value other than 0 or 1" is a Protocol Error
    throw protocolError(
      `Cannot decode ${name} at offset ${at}: ${v} is not 0 or 1`,
    );
  }
  return v === 1;
}

function readNonZero16(r: ByteReader, name: string): number {
  const at = r.absolutePosition;
  const v = r.uint16(name);
  if (v === 0) {
    throw protocolError(
      `Cannot decode ${name} at offset ${at}: 0 is not allowed`,
    );
  }
  return v;
}

/**
 * Reads a property section (length and properties) for `ctx` from `reader`.
 *
 * @returns The properties, or `undefined` when the section is empty.
 * @throws {MqttError} malformed (unknown or misplaced identifier, bad
 * encoding) or protocol (duplicate, value out of range).
 * @throws {DecodeError} when truncated (the packet decoders wrap it).
 *
 * @example
 * ```ts
 * import { decodeProperties } from "./properties.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // length 3, Topic Alias (0x23) = 7
 * const r = new ByteReader(new Uint8Array([3, 0x23, 0, 7]));
 * assert.deepEqual(decodeProperties(r, 3), { topicAlias: 7 });
 * ```
 */
export function decodeProperties(
  reader: ByteReader,
  ctx: PropertyContext,
): Properties | undefined {
  const where = CONTEXT_NAMES[ctx];
  const len = readVarint(reader, `${where} property length`);
  if (len === 0) return undefined;
  const r = reader.sub(len, `${where} properties`);
  const p: Properties = {};
  while (r.anyLeft()) {
    const at = r.absolutePosition;
    const id = readVarint(r, `${where} property identifier`);
    switch (id) {
      case 0x01:
        allow(ctx, P | W, "Payload Format Indicator", at);
        if (p.payloadFormatIndicator !== undefined) {
          throw duplicate(ctx, "Payload Format Indicator", at);
        }
        p.payloadFormatIndicator = readFlag(r, "Payload Format Indicator");
        break;
      case 0x02:
        allow(ctx, P | W, "Message Expiry Interval", at);
        if (p.messageExpiryInterval !== undefined) {
          throw duplicate(ctx, "Message Expiry Interval", at);
        }
        p.messageExpiryInterval = r.uint32("Message Expiry Interval");
        break;
      case 0x03:
        allow(ctx, P | W, "Content Type", at);
        if (p.contentType !== undefined) {
          throw duplicate(ctx, "Content Type", at);
        }
        p.contentType = readString(r, "Content Type");
        break;
      case 0x08:
        allow(ctx, P | W, "Response Topic", at);
        if (p.responseTopic !== undefined) {
          throw duplicate(ctx, "Response Topic", at);
        }
        p.responseTopic = readString(r, "Response Topic");
        if (!isTopicName(p.responseTopic)) {
          // §3.3.2.3.5 [MQTT-3.3.2-14]: a Topic Name, so no wildcards
          throw protocolError(
            `Cannot decode Response Topic at offset ${at}: not a valid topic name`,
          );
        }
        break;
      case 0x09:
        allow(ctx, P | W, "Correlation Data", at);
        if (p.correlationData !== undefined) {
          throw duplicate(ctx, "Correlation Data", at);
        }
        p.correlationData = readBinary(r, "Correlation Data");
        break;
      case 0x0b: {
        allow(ctx, P | S, "Subscription Identifier", at);
        const v = readVarint(r, "Subscription Identifier");
        if (v === 0) {
          // §3.8.2.1.2, §3.3.2.3.8
          throw protocolError(
            `Cannot decode Subscription Identifier at offset ${at}: 0 is not allowed`,
          );
        }
        if (p.subscriptionIdentifiers === undefined) {
          p.subscriptionIdentifiers = [v];
        } else if (ctx === 3) {
          // PUBLISH may carry one per matching subscription (§3.3.2.3.8)
          p.subscriptionIdentifiers.push(v);
        } else {
          throw duplicate(ctx, "Subscription Identifier", at);
        }
        break;
      }
      case 0x11:
        allow(ctx, C | CA | D, "Session Expiry Interval", at);
        if (p.sessionExpiryInterval !== undefined) {
          throw duplicate(ctx, "Session Expiry Interval", at);
        }
        p.sessionExpiryInterval = r.uint32("Session Expiry Interval");
        break;
      case 0x12:
        allow(ctx, CA, "Assigned Client Identifier", at);
        if (p.assignedClientIdentifier !== undefined) {
          throw duplicate(ctx, "Assigned Client Identifier", at);
        }
        p.assignedClientIdentifier = readString(
          r,
          "Assigned Client Identifier",
        );
        break;
      case 0x13:
        allow(ctx, CA, "Server Keep Alive", at);
        if (p.serverKeepAlive !== undefined) {
          throw duplicate(ctx, "Server Keep Alive", at);
        }
        p.serverKeepAlive = r.uint16("Server Keep Alive");
        break;
      case 0x15:
        allow(ctx, C | CA | A, "Authentication Method", at);
        if (p.authenticationMethod !== undefined) {
          throw duplicate(ctx, "Authentication Method", at);
        }
        p.authenticationMethod = readString(r, "Authentication Method");
        break;
      case 0x16:
        allow(ctx, C | CA | A, "Authentication Data", at);
        if (p.authenticationData !== undefined) {
          throw duplicate(ctx, "Authentication Data", at);
        }
        p.authenticationData = readBinary(r, "Authentication Data");
        break;
      case 0x17:
        allow(ctx, C, "Request Problem Information", at);
        if (p.requestProblemInformation !== undefined) {
          throw duplicate(ctx, "Request Problem Information", at);
        }
        p.requestProblemInformation = readFlag(
          r,
          "Request Problem Information",
        );
        break;
      case 0x18:
        allow(ctx, W, "Will Delay Interval", at);
        if (p.willDelayInterval !== undefined) {
          throw duplicate(ctx, "Will Delay Interval", at);
        }
        p.willDelayInterval = r.uint32("Will Delay Interval");
        break;
      case 0x19:
        allow(ctx, C, "Request Response Information", at);
        if (p.requestResponseInformation !== undefined) {
          throw duplicate(ctx, "Request Response Information", at);
        }
        p.requestResponseInformation = readFlag(
          r,
          "Request Response Information",
        );
        break;
      case 0x1a:
        allow(ctx, CA, "Response Information", at);
        if (p.responseInformation !== undefined) {
          throw duplicate(ctx, "Response Information", at);
        }
        p.responseInformation = readString(r, "Response Information");
        break;
      case 0x1c:
        allow(ctx, CA | D, "Server Reference", at);
        if (p.serverReference !== undefined) {
          throw duplicate(ctx, "Server Reference", at);
        }
        p.serverReference = readString(r, "Server Reference");
        break;
      case 0x1f:
        allow(ctx, CA | ACKS | D | A, "Reason String", at);
        if (p.reasonString !== undefined) {
          throw duplicate(ctx, "Reason String", at);
        }
        p.reasonString = readString(r, "Reason String");
        break;
      case 0x21:
        allow(ctx, C | CA, "Receive Maximum", at);
        if (p.receiveMaximum !== undefined) {
          throw duplicate(ctx, "Receive Maximum", at);
        }
        p.receiveMaximum = readNonZero16(r, "Receive Maximum"); // §3.1.2.11.3
        break;
      case 0x22:
        allow(ctx, C | CA, "Topic Alias Maximum", at);
        if (p.topicAliasMaximum !== undefined) {
          throw duplicate(ctx, "Topic Alias Maximum", at);
        }
        p.topicAliasMaximum = r.uint16("Topic Alias Maximum");
        break;
      case 0x23:
        allow(ctx, P, "Topic Alias", at);
        if (p.topicAlias !== undefined) {
          throw duplicate(ctx, "Topic Alias", at);
        }
        p.topicAlias = readNonZero16(r, "Topic Alias"); // [MQTT-3.3.2-8]
        break;
      case 0x24: {
        allow(ctx, CA, "Maximum QoS", at);
        if (p.maximumQos !== undefined) {
          throw duplicate(ctx, "Maximum QoS", at);
        }
        p.maximumQos = readFlag(r, "Maximum QoS") ? 1 : 0; // §3.2.2.3.4
        break;
      }
      case 0x25:
        allow(ctx, CA, "Retain Available", at);
        if (p.retainAvailable !== undefined) {
          throw duplicate(ctx, "Retain Available", at);
        }
        p.retainAvailable = readFlag(r, "Retain Available");
        break;
      case 0x26: {
        allow(ctx, ALL, "User Property", at);
        const name = readString(r, "User Property name");
        const value = readString(r, "User Property value");
        const pair: UserProperty = [name, value];
        if (p.userProperties === undefined) p.userProperties = [pair];
        else p.userProperties.push(pair);
        break;
      }
      case 0x27: {
        allow(ctx, C | CA, "Maximum Packet Size", at);
        if (p.maximumPacketSize !== undefined) {
          throw duplicate(ctx, "Maximum Packet Size", at);
        }
        const v = r.uint32("Maximum Packet Size");
        if (v === 0) {
          // §3.1.2.11.4
          throw protocolError(
            `Cannot decode Maximum Packet Size at offset ${at}: 0 is not allowed`,
          );
        }
        p.maximumPacketSize = v;
        break;
      }
      case 0x28:
        allow(ctx, CA, "Wildcard Subscription Available", at);
        if (p.wildcardSubscriptionAvailable !== undefined) {
          throw duplicate(ctx, "Wildcard Subscription Available", at);
        }
        p.wildcardSubscriptionAvailable = readFlag(
          r,
          "Wildcard Subscription Available",
        );
        break;
      case 0x29:
        allow(ctx, CA, "Subscription Identifier Available", at);
        if (p.subscriptionIdentifiersAvailable !== undefined) {
          throw duplicate(ctx, "Subscription Identifier Available", at);
        }
        p.subscriptionIdentifiersAvailable = readFlag(
          r,
          "Subscription Identifier Available",
        );
        break;
      case 0x2a:
        allow(ctx, CA, "Shared Subscription Available", at);
        if (p.sharedSubscriptionAvailable !== undefined) {
          throw duplicate(ctx, "Shared Subscription Available", at);
        }
        p.sharedSubscriptionAvailable = readFlag(
          r,
          "Shared Subscription Available",
        );
        break;
      default:
        throw malformed(
          `Cannot decode ${where} properties at offset ${at}: unknown property 0x${
            id.toString(16)
          }`,
        );
    }
  }
  if (
    p.authenticationData !== undefined && p.authenticationMethod === undefined
  ) {
    // §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3
    throw protocolError(
      `Cannot decode ${where} properties: Authentication Data without Authentication Method`,
    );
  }
  return p;
}

function isTopicName(topic: string): boolean {
  return topic.length > 0 && topic.indexOf("+") === -1 &&
    topic.indexOf("#") === -1;
}

// ---------------------------------------------------------------- encoding

function check(ctx: PropertyContext, mask: number, name: string): void {
  if ((mask & (1 << ctx)) === 0) {
    throw new TypeError(
      `Cannot encode ${
        CONTEXT_NAMES[ctx]
      }: property ${name} is not allowed there`,
    );
  }
}

function checkUint(value: number, max: number, name: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot encode property ${name}: ${value} is outside ${min}..${max}`,
    );
  }
}

function binaryLength(data: Uint8Array, name: string): number {
  if (data.length > 65535) {
    throw new RangeError(
      `Cannot encode property ${name}: ${data.length} bytes exceed 65535`,
    );
  }
  return 2 + data.length;
}

const U16 = 0xffff;
const U32 = 0xffff_ffff;

/**
 * The byte length of the property entries of `props` in context `ctx`
 * (without the leading property length), checking every value.
 *
 * @throws {TypeError} for a property not allowed in `ctx` or a bad string.
 * @throws {RangeError} for a value out of range.
 *
 * @example
 * ```ts
 * import { propertiesLength } from "./properties.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(propertiesLength({ topicAlias: 7 }, 3), 3);
 * assert.throws(() => propertiesLength({ topicAlias: 7 }, 1), TypeError);
 * ```
 */
export function propertiesLength(
  props: Properties | undefined,
  ctx: PropertyContext,
): number {
  if (props === undefined) return 0;
  let n = 0;
  if (props.payloadFormatIndicator !== undefined) {
    check(ctx, P | W, "payloadFormatIndicator");
    n += 2;
  }
  if (props.messageExpiryInterval !== undefined) {
    check(ctx, P | W, "messageExpiryInterval");
    checkUint(props.messageExpiryInterval, U32, "messageExpiryInterval");
    n += 5;
  }
  if (props.contentType !== undefined) {
    check(ctx, P | W, "contentType");
    n += 3 + utf8Length(props.contentType, "property contentType");
  }
  if (props.responseTopic !== undefined) {
    check(ctx, P | W, "responseTopic");
    if (!isTopicName(props.responseTopic)) {
      throw new TypeError(
        "Cannot encode property responseTopic: not a valid topic name",
      );
    }
    n += 3 + utf8Length(props.responseTopic, "property responseTopic");
  }
  if (props.correlationData !== undefined) {
    check(ctx, P | W, "correlationData");
    n += 1 + binaryLength(props.correlationData, "correlationData");
  }
  if (props.subscriptionIdentifiers !== undefined) {
    check(ctx, P | S, "subscriptionIdentifiers");
    if (ctx !== 3 && props.subscriptionIdentifiers.length > 1) {
      throw new RangeError(
        "Cannot encode SUBSCRIBE: more than one subscription identifier",
      );
    }
    for (const id of props.subscriptionIdentifiers) {
      checkUint(id, MAX_REMAINING_LENGTH, "subscriptionIdentifiers", 1);
      n += 1 + varintSize(id);
    }
  }
  if (props.sessionExpiryInterval !== undefined) {
    check(ctx, C | CA | D, "sessionExpiryInterval");
    checkUint(props.sessionExpiryInterval, U32, "sessionExpiryInterval");
    n += 5;
  }
  if (props.assignedClientIdentifier !== undefined) {
    check(ctx, CA, "assignedClientIdentifier");
    n += 3 +
      utf8Length(
        props.assignedClientIdentifier,
        "property assignedClientIdentifier",
      );
  }
  if (props.serverKeepAlive !== undefined) {
    check(ctx, CA, "serverKeepAlive");
    checkUint(props.serverKeepAlive, U16, "serverKeepAlive");
    n += 3;
  }
  if (props.authenticationMethod !== undefined) {
    check(ctx, C | CA | A, "authenticationMethod");
    n += 3 +
      utf8Length(props.authenticationMethod, "property authenticationMethod");
  }
  if (props.authenticationData !== undefined) {
    check(ctx, C | CA | A, "authenticationData");
    if (props.authenticationMethod === undefined) {
      throw new TypeError(
        "Cannot encode property authenticationData without authenticationMethod",
      );
    }
    n += 1 + binaryLength(props.authenticationData, "authenticationData");
  }
  if (props.requestProblemInformation !== undefined) {
    check(ctx, C, "requestProblemInformation");
    n += 2;
  }
  if (props.willDelayInterval !== undefined) {
    check(ctx, W, "willDelayInterval");
    checkUint(props.willDelayInterval, U32, "willDelayInterval");
    n += 5;
  }
  if (props.requestResponseInformation !== undefined) {
    check(ctx, C, "requestResponseInformation");
    n += 2;
  }
  if (props.responseInformation !== undefined) {
    check(ctx, CA, "responseInformation");
    n += 3 +
      utf8Length(props.responseInformation, "property responseInformation");
  }
  if (props.serverReference !== undefined) {
    check(ctx, CA | D, "serverReference");
    n += 3 + utf8Length(props.serverReference, "property serverReference");
  }
  if (props.reasonString !== undefined) {
    check(ctx, CA | ACKS | D | A, "reasonString");
    n += 3 + utf8Length(props.reasonString, "property reasonString");
  }
  if (props.receiveMaximum !== undefined) {
    check(ctx, C | CA, "receiveMaximum");
    checkUint(props.receiveMaximum, U16, "receiveMaximum", 1);
    n += 3;
  }
  if (props.topicAliasMaximum !== undefined) {
    check(ctx, C | CA, "topicAliasMaximum");
    checkUint(props.topicAliasMaximum, U16, "topicAliasMaximum");
    n += 3;
  }
  if (props.topicAlias !== undefined) {
    check(ctx, P, "topicAlias");
    checkUint(props.topicAlias, U16, "topicAlias", 1);
    n += 3;
  }
  if (props.maximumQos !== undefined) {
    check(ctx, CA, "maximumQos");
    checkUint(props.maximumQos, 1, "maximumQos");
    n += 2;
  }
  if (props.retainAvailable !== undefined) {
    check(ctx, CA, "retainAvailable");
    n += 2;
  }
  if (props.userProperties !== undefined) {
    check(ctx, ALL, "userProperties");
    for (const [name, value] of props.userProperties) {
      n += 5 + utf8Length(name, "user property name") +
        utf8Length(value, "user property value");
    }
  }
  if (props.maximumPacketSize !== undefined) {
    check(ctx, C | CA, "maximumPacketSize");
    checkUint(props.maximumPacketSize, U32, "maximumPacketSize", 1);
    n += 5;
  }
  if (props.wildcardSubscriptionAvailable !== undefined) {
    check(ctx, CA, "wildcardSubscriptionAvailable");
    n += 2;
  }
  if (props.subscriptionIdentifiersAvailable !== undefined) {
    check(ctx, CA, "subscriptionIdentifiersAvailable");
    n += 2;
  }
  if (props.sharedSubscriptionAvailable !== undefined) {
    check(ctx, CA, "sharedSubscriptionAvailable");
    n += 2;
  }
  return n;
}

/**
 * Writes the property length `length` (from {@link propertiesLength}) and
 * the properties, in ascending identifier order.
 *
 * @example
 * ```ts
 * import { propertiesLength, writeProperties } from "./properties.ts";
 * import { PacketWriter } from "./_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const props = { topicAlias: 7 };
 * const len = propertiesLength(props, 3);
 * const w = PacketWriter.forPacket(0x30, 1 + len);
 * writeProperties(w, props, len);
 * assert.deepEqual(w.bytes, new Uint8Array([0x30, 4, 3, 0x23, 0, 7]));
 * ```
 */
export function writeProperties(
  w: PacketWriter,
  props: Properties | undefined,
  length: number,
): void {
  w.varint(length);
  if (props === undefined || length === 0) return;
  if (props.payloadFormatIndicator !== undefined) {
    w.u8(0x01);
    w.u8(props.payloadFormatIndicator ? 1 : 0);
  }
  if (props.messageExpiryInterval !== undefined) {
    w.u8(0x02);
    w.u32(props.messageExpiryInterval);
  }
  if (props.contentType !== undefined) {
    w.u8(0x03);
    w.string(props.contentType);
  }
  if (props.responseTopic !== undefined) {
    w.u8(0x08);
    w.string(props.responseTopic);
  }
  if (props.correlationData !== undefined) {
    w.u8(0x09);
    w.binary(props.correlationData);
  }
  if (props.subscriptionIdentifiers !== undefined) {
    for (const id of props.subscriptionIdentifiers) {
      w.u8(0x0b);
      w.varint(id);
    }
  }
  if (props.sessionExpiryInterval !== undefined) {
    w.u8(0x11);
    w.u32(props.sessionExpiryInterval);
  }
  if (props.assignedClientIdentifier !== undefined) {
    w.u8(0x12);
    w.string(props.assignedClientIdentifier);
  }
  if (props.serverKeepAlive !== undefined) {
    w.u8(0x13);
    w.u16(props.serverKeepAlive);
  }
  if (props.authenticationMethod !== undefined) {
    w.u8(0x15);
    w.string(props.authenticationMethod);
  }
  if (props.authenticationData !== undefined) {
    w.u8(0x16);
    w.binary(props.authenticationData);
  }
  if (props.requestProblemInformation !== undefined) {
    w.u8(0x17);
    w.u8(props.requestProblemInformation ? 1 : 0);
  }
  if (props.willDelayInterval !== undefined) {
    w.u8(0x18);
    w.u32(props.willDelayInterval);
  }
  if (props.requestResponseInformation !== undefined) {
    w.u8(0x19);
    w.u8(props.requestResponseInformation ? 1 : 0);
  }
  if (props.responseInformation !== undefined) {
    w.u8(0x1a);
    w.string(props.responseInformation);
  }
  if (props.serverReference !== undefined) {
    w.u8(0x1c);
    w.string(props.serverReference);
  }
  if (props.reasonString !== undefined) {
    w.u8(0x1f);
    w.string(props.reasonString);
  }
  if (props.receiveMaximum !== undefined) {
    w.u8(0x21);
    w.u16(props.receiveMaximum);
  }
  if (props.topicAliasMaximum !== undefined) {
    w.u8(0x22);
    w.u16(props.topicAliasMaximum);
  }
  if (props.topicAlias !== undefined) {
    w.u8(0x23);
    w.u16(props.topicAlias);
  }
  if (props.maximumQos !== undefined) {
    w.u8(0x24);
    w.u8(props.maximumQos);
  }
  if (props.retainAvailable !== undefined) {
    w.u8(0x25);
    w.u8(props.retainAvailable ? 1 : 0);
  }
  if (props.userProperties !== undefined) {
    for (const [name, value] of props.userProperties) {
      w.u8(0x26);
      w.string(name);
      w.string(value);
    }
  }
  if (props.maximumPacketSize !== undefined) {
    w.u8(0x27);
    w.u32(props.maximumPacketSize);
  }
  if (props.wildcardSubscriptionAvailable !== undefined) {
    w.u8(0x28);
    w.u8(props.wildcardSubscriptionAvailable ? 1 : 0);
  }
  if (props.subscriptionIdentifiersAvailable !== undefined) {
    w.u8(0x29);
    w.u8(props.subscriptionIdentifiersAvailable ? 1 : 0);
  }
  if (props.sharedSubscriptionAvailable !== undefined) {
    w.u8(0x2a);
    w.u8(props.sharedSubscriptionAvailable ? 1 : 0);
  }
}

/**
 * Size of a whole property section: the length's Variable Byte Integer plus
 * `length` bytes of entries.
 *
 * @example
 * ```ts
 * import { propertySectionSize } from "./properties.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(propertySectionSize(0), 1);
 * assert.equal(propertySectionSize(200), 202);
 * ```
 */
export function propertySectionSize(length: number): number {
  return varintSize(length) + length;
}
