/**
 * MQTT 5.0 reason codes (OASIS MQTT 5.0 §2.4) and the MQTT 3.1.1 CONNACK
 * return codes (§3.2.2.3 of 3.1.1), with the set of codes each packet may
 * carry and names for logs.
 *
 * @module
 */

/**
 * Every MQTT 5.0 reason code by name (§2.4, table 2-6). Several names share a
 * value: 0x00 is Success, Normal disconnection and Granted QoS 0.
 *
 * @example
 * ```ts
 * import { ReasonCode } from "./reason_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ReasonCode.MalformedPacket, 0x81);
 * ```
 */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** A defined MQTT 5.0 reason code value. */
export type ReasonCode = typeof ReasonCode[keyof typeof ReasonCode];

/**
 * MQTT 3.1 and 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3, table 3.1).
 *
 * @example
 * ```ts
 * import { ConnackReturnCode } from "./reason_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ConnackReturnCode.UnacceptableProtocolVersion, 0x01);
 * ```
 */
export const ConnackReturnCode = {
  Accepted: 0x00,
  UnacceptableProtocolVersion: 0x01,
  IdentifierRejected: 0x02,
  ServerUnavailable: 0x03,
  BadUserNameOrPassword: 0x04,
  NotAuthorized: 0x05,
} as const;

/** A defined MQTT 3.1.1 CONNACK return code value. */
export type ConnackReturnCode =
  typeof ConnackReturnCode[keyof typeof ConnackReturnCode];

const NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, "Success"],
  [0x01, "Granted QoS 1"],
  [0x02, "Granted QoS 2"],
  [0x04, "Disconnect with Will Message"],
  [0x10, "No matching subscribers"],
  [0x11, "No subscription existed"],
  [0x18, "Continue authentication"],
  [0x19, "Re-authenticate"],
  [0x80, "Unspecified error"],
  [0x81, "Malformed Packet"],
  [0x82, "Protocol Error"],
  [0x83, "Implementation specific error"],
  [0x84, "Unsupported Protocol Version"],
  [0x85, "Client Identifier not valid"],
  [0x86, "Bad User Name or Password"],
  [0x87, "Not authorized"],
  [0x88, "Server unavailable"],
  [0x89, "Server busy"],
  [0x8a, "Banned"],
  [0x8b, "Server shutting down"],
  [0x8c, "Bad authentication method"],
  [0x8d, "Keep Alive timeout"],
  [0x8e, "Session taken over"],
  [0x8f, "Topic Filter invalid"],
  [0x90, "Topic Name invalid"],
  [0x91, "Packet Identifier in use"],
  [0x92, "Packet Identifier not found"],
  [0x93, "Receive Maximum exceeded"],
  [0x94, "Topic Alias invalid"],
  [0x95, "Packet too large"],
  [0x96, "Message rate too high"],
  [0x97, "Quota exceeded"],
  [0x98, "Administrative action"],
  [0x99, "Payload format invalid"],
  [0x9a, "Retain not supported"],
  [0x9b, "QoS not supported"],
  [0x9c, "Use another server"],
  [0x9d, "Server moved"],
  [0x9e, "Shared Subscriptions not supported"],
  [0x9f, "Connection rate exceeded"],
  [0xa0, "Maximum connect time"],
  [0xa1, "Subscription Identifiers not supported"],
  [0xa2, "Wildcard Subscriptions not supported"],
]);

/**
 * The specification's name for an MQTT 5.0 reason code, for logs. Code 0x00
 * is named after the packet it appears in when `packet` is given ("Normal
 * disconnection" in DISCONNECT, "Granted QoS 0" in SUBACK).
 *
 * @param code The reason code.
 * @param packet The packet type the code was carried in, if known.
 * @returns The name, or `"Unknown reason code 0xNN"`.
 *
 * @example
 * ```ts
 * import { reasonName } from "./reason_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reasonName(0x95), "Packet too large");
 * assert.equal(reasonName(0x00, "disconnect"), "Normal disconnection");
 * ```
 */
export function reasonName(code: number, packet?: string): string {
  if (code === 0x00 && packet === "disconnect") return "Normal disconnection";
  if (code === 0x00 && packet === "suback") return "Granted QoS 0";
  const name = NAMES.get(code);
  if (name !== undefined) return name;
  return `Unknown reason code 0x${code.toString(16).padStart(2, "0")}`;
}

const CONNACK_NAMES = [
  "Connection Accepted",
  "Connection Refused, unacceptable protocol version",
  "Connection Refused, identifier rejected",
  "Connection Refused, Server unavailable",
  "Connection Refused, bad user name or password",
  "Connection Refused, not authorized",
] as const;

/**
 * The 3.1.1 specification's name for a CONNACK return code, for logs.
 *
 * @example
 * ```ts
 * import { connackReturnCodeName } from "./reason_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(connackReturnCodeName(2), "Connection Refused, identifier rejected");
 * ```
 */
export function connackReturnCodeName(code: number): string {
  return CONNACK_NAMES[code as 0] ??
    `Unknown return code 0x${code.toString(16)}`;
}

function codeSet(codes: readonly number[]): ReadonlySet<number> {
  return new Set(codes);
}

const CONNACK_CODES = codeSet([
  0x00,
  0x80,
  0x81,
  0x82,
  0x83,
  0x84,
  0x85,
  0x86,
  0x87,
  0x88,
  0x89,
  0x8a,
  0x8c,
  0x90,
  0x95,
  0x97,
  0x99,
  0x9a,
  0x9b,
  0x9c,
  0x9d,
  0x9f,
]);
const PUBACK_CODES = codeSet([
  0x00,
  0x10,
  0x80,
  0x83,
  0x87,
  0x90,
  0x91,
  0x97,
  0x99,
]);
const PUBREL_CODES = codeSet([0x00, 0x92]);
const SUBACK_CODES = codeSet([
  0x00,
  0x01,
  0x02,
  0x80,
  0x83,
  0x87,
  0x8f,
  0x91,
  0x97,
  0x9e,
  0xa1,
  0xa2,
]);
const UNSUBACK_CODES = codeSet([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]);
const DISCONNECT_CODES = codeSet([
  0x00,
  0x04,
  0x80,
  0x81,
  0x82,
  0x83,
  0x87,
  0x89,
  0x8b,
  0x8d,
  0x8e,
  0x8f,
  0x90,
  0x93,
  0x94,
  0x95,
  0x96,
  0x97,
  0x98,
  0x99,
  0x9a,
  0x9b,
  0x9c,
  0x9d,
  0x9e,
  0x9f,
  0xa0,
  0xa1,
  0xa2,
]);
const AUTH_CODES = codeSet([0x00, 0x18, 0x19]);

/** Packet types that carry reason codes in MQTT 5.0. */
export type ReasonCodePacket =
  | "connack"
  | "puback"
  | "pubrec"
  | "pubrel"
  | "pubcomp"
  | "suback"
  | "unsuback"
  | "disconnect"
  | "auth";

/**
 * Whether MQTT 5.0 allows `code` in a packet of type `packet` (the "Reason
 * Code values" table of each packet's section, e.g. §3.4.2.1 for PUBACK).
 *
 * @example
 * ```ts
 * import { isReasonCodeAllowed } from "./reason_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isReasonCodeAllowed("disconnect", 0x81), true);
 * assert.equal(isReasonCodeAllowed("puback", 0x81), false);
 * ```
 */
export function isReasonCodeAllowed(
  packet: ReasonCodePacket,
  code: number,
): boolean {
  switch (packet) {
    case "connack":
      return CONNACK_CODES.has(code);
    case "puback":
    case "pubrec":
      return PUBACK_CODES.has(code);
    case "pubrel":
    case "pubcomp":
      return PUBREL_CODES.has(code);
    case "suback":
      return SUBACK_CODES.has(code);
    case "unsuback":
      return UNSUBACK_CODES.has(code);
    case "disconnect":
      return DISCONNECT_CODES.has(code);
    case "auth":
      return AUTH_CODES.has(code);
  }
}
