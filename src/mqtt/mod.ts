/**
 * MQTT 3.1, 3.1.1 and 5.0 packet codec: packet types, encoding, whole-packet
 * and streaming decoding with strict validation, reason codes, typed errors
 * and the topic name / filter rules. The broker core comes later.
 *
 * @example Decode a stream, answer a malformed packet
 * ```ts
 * import { disconnectFor, encodePacket, MqttError, MqttStreamDecoder } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const connect = encodePacket({ type: "connect", protocolVersion: 5, clean: true, keepAlive: 30, clientId: "c1" }, 5);
 * const decoder = new MqttStreamDecoder({ maximumPacketSize: 65536 });
 * decoder.push(connect);
 * decoder.push(new Uint8Array([0x36, 0x00])); // PUBLISH with QoS 3
 * assert.equal(decoder.next()?.type, "connect");
 * try {
 *   decoder.next();
 * } catch (e) {
 *   assert.ok(e instanceof MqttError);
 *   assert.deepEqual(disconnectFor(e, 5), new Uint8Array([0xe0, 0x01, 0x81]));
 * }
 * ```
 *
 * @module
 */

export {
  connackFor,
  disconnectFor,
  MqttError,
  type MqttErrorKind,
  type MqttErrorOptions,
  type MqttVersion,
  UnsupportedProtocolVersionError,
} from "./errors.ts";
export {
  ConnackReturnCode,
  connackReturnCodeName,
  isReasonCodeAllowed,
  ReasonCode,
  type ReasonCodePacket,
  reasonName,
} from "./reason_codes.ts";
export {
  parseSharedSubscription,
  type SharedSubscription,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from "./topic.ts";
export {
  type DecodeOptions,
  decodePacket,
  encodePacket,
} from "./packet/codec.ts";
export { decodeConnect } from "./packet/connect.ts";
export {
  encodePublish,
  encodePublishInto,
  publishSize,
} from "./packet/publish.ts";
export {
  MqttStreamDecoder,
  type StreamDecoderOptions,
} from "./packet/stream_decoder.ts";
export { MAX_PACKET_SIZE } from "./packet/fixed_header.ts";
export * from "./packet/types.ts";
