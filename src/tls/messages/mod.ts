/**
 * Handshake message bodies (RFC 5246 §7.4, RFC 6347 §4.2, RFC 4279,
 * RFC 5489, RFC 8422, RFC 6066 §8): one `encodeX` / `decodeX` pair per message, plus the
 * 4-byte TLS handshake header and the ChangeCipherSpec body.
 *
 * Decoders throw {@link DecodeError} for malformed structure and
 * {@link TlsAlertError} for values that break a rule checkable from the
 * message alone; decoded byte fields are copies, never views into the input.
 * Encoders take every random value from the caller.
 *
 * @example Round-trip a ServerHelloDone with its header
 * ```ts
 * import { decodeHandshakeHeaderTls, encodeHandshakeTls, encodeServerHelloDone } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const wire = encodeHandshakeTls(14, encodeServerHelloDone());
 * assert.deepEqual(decodeHandshakeHeaderTls(wire), { msgType: 14, length: 0 });
 * ```
 *
 * @module
 */

export type { DigitallySigned } from "./_common.ts";
export { MAX_SESSION_ID_LENGTH, RANDOM_LENGTH } from "./_common.ts";
export {
  decodeHandshakeHeaderTls,
  encodeHandshakeHeaderTls,
  encodeHandshakeTls,
  type HandshakeHeaderTls,
  TLS_HANDSHAKE_HEADER_LENGTH,
} from "./handshake_header.ts";
export {
  type ClientHello,
  CompressionMethod,
  decodeClientHello,
  encodeClientHello,
  type HelloOptions,
} from "./client_hello.ts";
export {
  decodeServerHello,
  encodeServerHello,
  type ServerHello,
} from "./server_hello.ts";
export {
  decodeHelloVerifyRequest,
  encodeHelloVerifyRequest,
  type HelloVerifyRequest,
} from "./hello_verify_request.ts";
export {
  type Certificate,
  decodeCertificate,
  encodeCertificate,
} from "./certificate.ts";
export {
  decodeServerKeyExchange,
  EcCurveType,
  type EcdhePskServerKeyExchange,
  type EcdheServerKeyExchange,
  encodeServerEcdhParams,
  encodeServerKeyExchange,
  type KeyExchangeForm,
  keyExchangeForm,
  type PskServerKeyExchange,
  type ServerEcdhParams,
  type ServerKeyExchange,
  type ServerKeyExchangeOptions,
} from "./server_key_exchange.ts";
export {
  type CertificateRequest,
  ClientCertificateType,
  decodeCertificateRequest,
  encodeCertificateRequest,
} from "./certificate_request.ts";
export {
  type CertificateStatus,
  decodeCertificateStatus,
  encodeCertificateStatus,
} from "./certificate_status.ts";
export {
  decodeServerHelloDone,
  encodeServerHelloDone,
} from "./server_hello_done.ts";
export {
  type ClientKeyExchange,
  type ClientKeyExchangeOptions,
  decodeClientKeyExchange,
  type EcdheClientKeyExchange,
  type EcdhePskClientKeyExchange,
  encodeClientKeyExchange,
  type PskClientKeyExchange,
} from "./client_key_exchange.ts";
export {
  type CertificateVerify,
  decodeCertificateVerify,
  encodeCertificateVerify,
} from "./certificate_verify.ts";
export {
  decodeFinished,
  encodeFinished,
  type Finished,
  type FinishedOptions,
  VERIFY_DATA_LENGTH,
} from "./finished.ts";
export {
  decodeChangeCipherSpec,
  encodeChangeCipherSpec,
} from "./change_cipher_spec.ts";
export {
  decodeHandshakeMessage,
  encodeHandshakeMessage,
  type HandshakeContext,
  type HandshakeMessage,
} from "./handshake_message.ts";
