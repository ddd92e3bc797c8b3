/**
 * The typed errors of the MQTT codec and the wire answer for each of them.
 *
 * Every decoder in `src/mqtt/packet` throws only {@link MqttError}. The
 * broker catches it at its entry point and answers with
 * {@link disconnectFor} (after CONNACK) or {@link connackFor} (while the
 * CONNECT is being handled), then closes the connection
 * (MQTT 5.0 §4.13, MQTT 3.1.1 §4.8).
 *
 * @module
 */

import { ReasonCode } from "./reason_codes.ts";

/** An MQTT protocol level: 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0. */
export type MqttVersion = 3 | 4 | 5;

/**
 * What went wrong, independent of the protocol version:
 *
 * - `malformed`: the bytes do not follow the packet grammar (0x81).
 * - `protocol`: well-formed but not allowed by the protocol (0x82).
 * - `packet_too_large`: larger than the maximum packet size (0x95).
 * - `unsupported_protocol_version`: CONNECT with an unknown level (0x84,
 *   3.1.1 return code 0x01); thrown as {@link UnsupportedProtocolVersionError}.
 * - `client_identifier_not_valid`: a CONNECT client id the version does not
 *   allow (0x85, 3.1.1 return code 0x02).
 * - `topic_name_invalid`: a PUBLISH topic with a wildcard (0x90).
 * - `topic_filter_invalid`: a SUBSCRIBE or UNSUBSCRIBE filter that breaks the
 *   wildcard or shared-subscription rules (0x8F).
 */
export type MqttErrorKind =
  | "malformed"
  | "protocol"
  | "packet_too_large"
  | "unsupported_protocol_version"
  | "client_identifier_not_valid"
  | "topic_name_invalid"
  | "topic_filter_invalid";

function defaultReasonCode(kind: MqttErrorKind): number {
  switch (kind) {
    case "malformed":
      return ReasonCode.MalformedPacket;
    case "protocol":
      return ReasonCode.ProtocolError;
    case "packet_too_large":
      return ReasonCode.PacketTooLarge;
    case "unsupported_protocol_version":
      return ReasonCode.UnsupportedProtocolVersion;
    case "client_identifier_not_valid":
      return ReasonCode.ClientIdentifierNotValid;
    case "topic_name_invalid":
      return ReasonCode.TopicNameInvalid;
    case "topic_filter_invalid":
      return ReasonCode.TopicFilterInvalid;
  }
}

/** Options of the {@link MqttError} constructor. */
export interface MqttErrorOptions {
  /** The underlying error, e.g. the `DecodeError` of a truncated field. */
  cause?: unknown;
  /** The protocol level in force, when known (from CONNECT or the caller). */
  protocolVersion?: MqttVersion | undefined;
}

/**
 * A packet was refused by the codec. `reasonCode` is the MQTT 5.0 reason
 * code to send back; `kind` says the class of fault.
 *
 * @example Catch a malformed packet
 * ```ts
 * import { decodePacket } from "./packet/codec.ts";
 * import { MqttError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * // PINGREQ with a non-zero remaining length
 * assert.throws(
 *   () => decodePacket(new Uint8Array([0xc0, 0x01, 0x00]), 4),
 *   (e) => e instanceof MqttError && e.kind === "malformed" && e.reasonCode === 0x81,
 * );
 * ```
 */
export class MqttError extends Error {
  /** The class of fault. */
  readonly kind: MqttErrorKind;
  /** The MQTT 5.0 reason code that describes the fault. */
  readonly reasonCode: number;
  /** The protocol level the packet was decoded for, when known. */
  readonly protocolVersion: MqttVersion | undefined;

  /**
   * @param kind The class of fault; it picks the reason code.
   * @param message Sentence-case description without a trailing period.
   * @param options The cause and the protocol level.
   */
  constructor(
    kind: MqttErrorKind,
    message: string,
    options?: MqttErrorOptions,
  ) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "MqttError";
    this.kind = kind;
    this.reasonCode = defaultReasonCode(kind);
    this.protocolVersion = options?.protocolVersion;
  }
}

/**
 * A CONNECT asked for a protocol name or level this codec does not speak
 * ([MQTT-3.1.2-2]). The server answers with CONNACK return code 0x01 (see
 * {@link connackFor}) and closes the connection.
 *
 * @example
 * ```ts
 * import { decodeConnect } from "./packet/connect.ts";
 * import { UnsupportedProtocolVersionError } from "./errors.ts";
 * import { decodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * // CONNECT "MQTT" level 6
 * const bytes = decodeHex("100d00044d5154540602003c000161");
 * assert.throws(
 *   () => decodeConnect(bytes),
 *   (e) => e instanceof UnsupportedProtocolVersionError && e.protocolLevel === 6,
 * );
 * ```
 */
export class UnsupportedProtocolVersionError extends MqttError {
  /** The protocol name the client sent ("MQTT" or "MQIsdp"). */
  readonly protocolName: string;
  /** The protocol level byte the client sent. */
  readonly protocolLevel: number;

  /**
   * @param protocolName The protocol name in the CONNECT.
   * @param protocolLevel The protocol level byte in the CONNECT.
   */
  constructor(protocolName: string, protocolLevel: number) {
    super(
      "unsupported_protocol_version",
      `Cannot accept protocol ${protocolName} level ${protocolLevel}`,
    );
    this.name = "UnsupportedProtocolVersionError";
    this.protocolName = protocolName;
    this.protocolLevel = protocolLevel;
  }
}

/** DISCONNECT reason codes (§3.14.2.1) the codec's errors map to. */
const DISCONNECT_ALLOWED = new Set([0x81, 0x82, 0x8f, 0x90, 0x95]);

/**
 * The DISCONNECT packet to send before closing the connection because of
 * `error`, once CONNACK has been sent. MQTT 5.0 gets a DISCONNECT with the
 * error's reason code (§4.13.1); MQTT 3.1 and 3.1.1 have no such packet
 * from the server, so the answer is `undefined`: just close (§4.8 of 3.1.1).
 *
 * @param error The error thrown by a decoder.
 * @param version The protocol level of the connection.
 * @returns The DISCONNECT bytes, or `undefined` for "close without a word".
 *
 * @example
 * ```ts
 * import { disconnectFor, MqttError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new MqttError("malformed", "Cannot decode PUBLISH");
 * assert.deepEqual(disconnectFor(err, 5), new Uint8Array([0xe0, 0x01, 0x81]));
 * assert.equal(disconnectFor(err, 4), undefined);
 * ```
 */
export function disconnectFor(
  error: MqttError,
  version: MqttVersion,
): Uint8Array | undefined {
  if (version !== 5) return undefined;
  const code = DISCONNECT_ALLOWED.has(error.reasonCode)
    ? error.reasonCode
    : ReasonCode.ProtocolError;
  // [MQTT-3.14.2-1] reason code only; property length omitted (§3.14.2.2)
  return new Uint8Array([0xe0, 0x01, code]);
}

/**
 * The CONNACK to send before closing the connection when the CONNECT itself
 * was refused by the decoder, or `undefined` when the version has no code
 * for the fault (3.1.1 has none for malformed packets: just close).
 *
 * - Unsupported protocol level: the 3.1.1 form `20 02 00 01`
 *   ([MQTT-3.1.2-2]), which every client generation can read.
 * - Client identifier refused: 0x02 (3.1, 3.1.1, [MQTT-3.1.3-9]) or 0x85 (5.0).
 * - Any other fault in an MQTT 5.0 CONNECT: CONNACK with its reason code
 *   (§4.13.1, [MQTT-3.2.2-6] session present 0).
 *
 * @param error The error thrown by {@link decodeConnect} or the stream decoder.
 * @returns The CONNACK bytes, or `undefined` for "close without a word".
 *
 * @example
 * ```ts
 * import { connackFor, UnsupportedProtocolVersionError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new UnsupportedProtocolVersionError("MQTT", 6);
 * assert.deepEqual(connackFor(err), new Uint8Array([0x20, 0x02, 0x00, 0x01]));
 * ```
 */
export function connackFor(error: MqttError): Uint8Array | undefined {
  if (error instanceof UnsupportedProtocolVersionError) {
    return new Uint8Array([0x20, 0x02, 0x00, 0x01]);
  }
  const version = error.protocolVersion;
  if (version === undefined) return undefined;
  if (version !== 5) {
    if (error.kind === "client_identifier_not_valid") {
      return new Uint8Array([0x20, 0x02, 0x00, 0x02]);
    }
    return undefined;
  }
  return new Uint8Array([0x20, 0x03, 0x00, error.reasonCode, 0x00]);
}
