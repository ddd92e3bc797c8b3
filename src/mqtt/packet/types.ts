/**
 * MQTT control packets as plain data: one discriminated union on `type` for
 * MQTT 3.1, 3.1.1 and 5.0 (OASIS MQTT 5.0 §3, MQTT 3.1.1 §3).
 *
 * Conventions of the decoded form, which the encoder accepts back unchanged:
 *
 * - `properties` is present only in MQTT 5.0 and only when the packet carried
 *   at least one property; the encoder treats a missing one as empty.
 * - Reason codes (`reasonCode`, `reasonCodes`) of PUBACK, PUBREC, PUBREL,
 *   PUBCOMP, DISCONNECT and AUTH are present in 5.0 (0 when the wire omitted
 *   them) and absent in 3.1/3.1.1; the encoder treats a missing one as 0.
 * - Binary fields (`payload`, `password`, `correlationData`, ...) decoded by
 *   `decodePacket` are views into its input. The stream decoder copies each
 *   packet out of its buffer into memory carved from a shared 16 KiB pool
 *   (as Node's `Buffer` pool), and `encodePacket` returns pooled arrays too:
 *   never rely on `.buffer`, and keep a `.slice()` of a payload that is
 *   stored for long (retained messages, offline queues).
 *
 * @module
 */

import type { MqttVersion } from "../errors.ts";

export type { MqttVersion };

/** Quality of service level. */
export type QoS = 0 | 1 | 2;

/** A user property: a name and a value; order kept, duplicates allowed. */
export type UserProperty = [name: string, value: string];

/**
 * All MQTT 5.0 properties (§2.2.2.2). Each packet type allows only some of
 * them; the per-packet aliases below narrow the type accordingly.
 */
export interface Properties {
  /** 0x01: the payload is UTF-8 text (true) or unspecified bytes. */
  payloadFormatIndicator?: boolean;
  /** 0x02: message lifetime in seconds. */
  messageExpiryInterval?: number;
  /** 0x03: MIME type of the payload. */
  contentType?: string;
  /** 0x08: topic name for a response message. */
  responseTopic?: string;
  /** 0x09: correlation data for request/response. */
  correlationData?: Uint8Array;
  /** 0x0B: subscription identifiers (several in PUBLISH, one in SUBSCRIBE). */
  subscriptionIdentifiers?: number[];
  /** 0x11: session expiry in seconds. */
  sessionExpiryInterval?: number;
  /** 0x12: client identifier assigned by the server. */
  assignedClientIdentifier?: string;
  /** 0x13: keep alive chosen by the server, in seconds. */
  serverKeepAlive?: number;
  /** 0x15: extended authentication method. */
  authenticationMethod?: string;
  /** 0x16: extended authentication data. */
  authenticationData?: Uint8Array;
  /** 0x17: whether the server may send reason strings and user properties. */
  requestProblemInformation?: boolean;
  /** 0x18: delay before publishing the will, in seconds. */
  willDelayInterval?: number;
  /** 0x19: whether the client asks for response information. */
  requestResponseInformation?: boolean;
  /** 0x1A: basis for response topics. */
  responseInformation?: string;
  /** 0x1C: another server to use. */
  serverReference?: string;
  /** 0x1F: human-readable diagnostic. */
  reasonString?: string;
  /** 0x21: how many QoS 1/2 publications may be in flight, 1..65535. */
  receiveMaximum?: number;
  /** 0x22: highest topic alias accepted. */
  topicAliasMaximum?: number;
  /** 0x23: topic alias, 1..65535. */
  topicAlias?: number;
  /** 0x24: highest QoS the server supports. */
  maximumQos?: 0 | 1;
  /** 0x25: whether retained messages are supported. */
  retainAvailable?: boolean;
  /** 0x26: user properties, in order. */
  userProperties?: UserProperty[];
  /** 0x27: largest packet accepted, in bytes. */
  maximumPacketSize?: number;
  /** 0x28: whether wildcard subscriptions are supported. */
  wildcardSubscriptionAvailable?: boolean;
  /** 0x29: whether subscription identifiers are supported. */
  subscriptionIdentifiersAvailable?: boolean;
  /** 0x2A: whether shared subscriptions are supported. */
  sharedSubscriptionAvailable?: boolean;
}

/** Properties allowed in CONNECT (§3.1.2.11). */
export type ConnectProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "receiveMaximum"
  | "maximumPacketSize"
  | "topicAliasMaximum"
  | "requestResponseInformation"
  | "requestProblemInformation"
  | "userProperties"
  | "authenticationMethod"
  | "authenticationData"
>;

/** Properties allowed in the will of a CONNECT (§3.1.3.2). */
export type WillProperties = Pick<
  Properties,
  | "willDelayInterval"
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "contentType"
  | "responseTopic"
  | "correlationData"
  | "userProperties"
>;

/** Properties allowed in CONNACK (§3.2.2.3). */
export type ConnackProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "receiveMaximum"
  | "maximumQos"
  | "retainAvailable"
  | "maximumPacketSize"
  | "assignedClientIdentifier"
  | "topicAliasMaximum"
  | "reasonString"
  | "userProperties"
  | "wildcardSubscriptionAvailable"
  | "subscriptionIdentifiersAvailable"
  | "sharedSubscriptionAvailable"
  | "serverKeepAlive"
  | "responseInformation"
  | "serverReference"
  | "authenticationMethod"
  | "authenticationData"
>;

/** Properties allowed in PUBLISH (§3.3.2.3). */
export type PublishProperties = Pick<
  Properties,
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "topicAlias"
  | "responseTopic"
  | "correlationData"
  | "userProperties"
  | "subscriptionIdentifiers"
  | "contentType"
>;

/** Properties allowed in PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK. */
export type AckProperties = Pick<Properties, "reasonString" | "userProperties">;

/** Properties allowed in SUBSCRIBE (§3.8.2.1). */
export type SubscribeProperties = Pick<
  Properties,
  "subscriptionIdentifiers" | "userProperties"
>;

/** Properties allowed in UNSUBSCRIBE (§3.10.2.1). */
export type UnsubscribeProperties = Pick<Properties, "userProperties">;

/** Properties allowed in DISCONNECT (§3.14.2.2). */
export type DisconnectProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "reasonString"
  | "userProperties"
  | "serverReference"
>;

/** Properties allowed in AUTH (§3.15.2.2). */
export type AuthProperties = Pick<
  Properties,
  | "authenticationMethod"
  | "authenticationData"
  | "reasonString"
  | "userProperties"
>;

/** The will message of a CONNECT. */
export interface Will {
  /** Topic the will is published to. */
  topic: string;
  /** Will payload. */
  payload: Uint8Array;
  /** QoS of the will. */
  qos: QoS;
  /** Whether the will is retained. */
  retain: boolean;
  /** Will properties (5.0 only). */
  properties?: WillProperties;
}

/** CONNECT (§3.1). */
export interface ConnectPacket {
  type: "connect";
  /** Protocol level: 3 ("MQIsdp"), 4 or 5 ("MQTT"). */
  protocolVersion: MqttVersion;
  /** Mosquitto bridge flag: the level byte had its top bit set (0x83, 0x84). */
  bridgeMode?: boolean;
  /** Clean session (3.1.1) or clean start (5.0). */
  clean: boolean;
  /** Keep alive in seconds, 0 = off. */
  keepAlive: number;
  /** Client identifier; may be empty (see [MQTT-3.1.3-6]). */
  clientId: string;
  /** User name. */
  username?: string;
  /** Password (binary data). */
  password?: Uint8Array;
  /** Will message. */
  will?: Will;
  /** CONNECT properties (5.0 only). */
  properties?: ConnectProperties;
}

/** CONNACK (§3.2). */
export interface ConnackPacket {
  type: "connack";
  /** Whether the server has a session for this client. */
  sessionPresent: boolean;
  /** 5.0 reason code, or the 3.1.1 return code (0..5). */
  reasonCode: number;
  /** CONNACK properties (5.0 only). */
  properties?: ConnackProperties;
}

/** PUBLISH (§3.3). */
export interface PublishPacket {
  type: "publish";
  /** Topic name; empty only in 5.0 with a topic alias. */
  topic: string;
  /** Application message. */
  payload: Uint8Array;
  /** QoS level. */
  qos: QoS;
  /** Retain flag. */
  retain: boolean;
  /** Duplicate delivery flag; only with QoS 1 or 2. */
  dup: boolean;
  /** Packet identifier, present exactly when QoS > 0. */
  packetId?: number;
  /** PUBLISH properties (5.0 only). */
  properties?: PublishProperties;
}

/** PUBACK (§3.4), PUBREC (§3.5), PUBREL (§3.6) or PUBCOMP (§3.7). */
export interface AckPacket<
  T extends "puback" | "pubrec" | "pubrel" | "pubcomp",
> {
  type: T;
  /** Packet identifier of the publication. */
  packetId: number;
  /** Reason code (5.0 only). */
  reasonCode?: number;
  /** Properties (5.0 only). */
  properties?: AckProperties;
}

/** PUBACK (§3.4). */
export type PubackPacket = AckPacket<"puback">;
/** PUBREC (§3.5). */
export type PubrecPacket = AckPacket<"pubrec">;
/** PUBREL (§3.6). */
export type PubrelPacket = AckPacket<"pubrel">;
/** PUBCOMP (§3.7). */
export type PubcompPacket = AckPacket<"pubcomp">;

/** One topic filter of a SUBSCRIBE with its options (§3.8.3.1). */
export interface Subscription {
  /** Topic filter, possibly `$share/{group}/{filter}`. */
  topicFilter: string;
  /** Maximum QoS. */
  qos: QoS;
  /** 5.0: do not send the client its own publications. */
  noLocal?: boolean;
  /** 5.0: keep the retain flag of forwarded messages. */
  retainAsPublished?: boolean;
  /** 5.0: 0 = send retained on subscribe, 1 = only if new, 2 = never. */
  retainHandling?: 0 | 1 | 2;
}

/** SUBSCRIBE (§3.8). */
export interface SubscribePacket {
  type: "subscribe";
  /** Packet identifier. */
  packetId: number;
  /** At least one subscription. */
  subscriptions: Subscription[];
  /** SUBSCRIBE properties (5.0 only). */
  properties?: SubscribeProperties;
}

/** SUBACK (§3.9). */
export interface SubackPacket {
  type: "suback";
  /** Packet identifier of the SUBSCRIBE. */
  packetId: number;
  /** One reason code (return code in 3.1.1) per subscription. */
  reasonCodes: number[];
  /** Properties (5.0 only). */
  properties?: AckProperties;
}

/** UNSUBSCRIBE (§3.10). */
export interface UnsubscribePacket {
  type: "unsubscribe";
  /** Packet identifier. */
  packetId: number;
  /** At least one topic filter. */
  topicFilters: string[];
  /** Properties (5.0 only). */
  properties?: UnsubscribeProperties;
}

/** UNSUBACK (§3.11). */
export interface UnsubackPacket {
  type: "unsuback";
  /** Packet identifier of the UNSUBSCRIBE. */
  packetId: number;
  /** One reason code per topic filter (5.0 only). */
  reasonCodes?: number[];
  /** Properties (5.0 only). */
  properties?: AckProperties;
}

/** PINGREQ (§3.12). */
export interface PingreqPacket {
  type: "pingreq";
}

/** PINGRESP (§3.13). */
export interface PingrespPacket {
  type: "pingresp";
}

/** DISCONNECT (§3.14). */
export interface DisconnectPacket {
  type: "disconnect";
  /** Reason code (5.0 only). */
  reasonCode?: number;
  /** Properties (5.0 only). */
  properties?: DisconnectProperties;
}

/** AUTH (§3.15, 5.0 only). */
export interface AuthPacket {
  type: "auth";
  /** 0x00 success, 0x18 continue authentication, 0x19 re-authenticate. */
  reasonCode?: number;
  /** Properties. */
  properties?: AuthProperties;
}

/** Any MQTT control packet. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The `type` tag of a packet. */
export type PacketType = Packet["type"];

/**
 * Control packet type numbers of the fixed header (§2.1.2), indexed by name.
 *
 * @example
 * ```ts
 * import { PacketTypeCode } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PacketTypeCode.publish, 3);
 * ```
 */
export const PacketTypeCode = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;
