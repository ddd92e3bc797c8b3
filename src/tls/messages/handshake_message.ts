/**
 * One decoder and encoder for every handshake body, dispatched on the
 * HandshakeType: for logging, fuzzing and code that receives a message
 * before deciding what it expected. The state machines call the
 * per-message codecs directly once `expectNext` has accepted the type.
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { KeyExchange } from "../cipher_suites.ts";
import { HandshakeType, handshakeTypeName } from "../handshake_type.ts";
import {
  type Certificate,
  decodeCertificate,
  encodeCertificate,
} from "./certificate.ts";
import {
  type CertificateRequest,
  decodeCertificateRequest,
  encodeCertificateRequest,
} from "./certificate_request.ts";
import {
  type CertificateStatus,
  decodeCertificateStatus,
  encodeCertificateStatus,
} from "./certificate_status.ts";
import {
  type CertificateVerify,
  decodeCertificateVerify,
  encodeCertificateVerify,
} from "./certificate_verify.ts";
import {
  type ClientHello,
  decodeClientHello,
  encodeClientHello,
} from "./client_hello.ts";
import {
  type ClientKeyExchange,
  decodeClientKeyExchange,
  encodeClientKeyExchange,
} from "./client_key_exchange.ts";
import { decodeFinished, encodeFinished, type Finished } from "./finished.ts";
import {
  decodeHelloVerifyRequest,
  encodeHelloVerifyRequest,
  type HelloVerifyRequest,
} from "./hello_verify_request.ts";
import {
  decodeServerHello,
  encodeServerHello,
  type ServerHello,
} from "./server_hello.ts";
import {
  decodeServerHelloDone,
  encodeServerHelloDone,
} from "./server_hello_done.ts";
import {
  decodeServerKeyExchange,
  encodeServerKeyExchange,
  type ServerKeyExchange,
} from "./server_key_exchange.ts";

/** Any handshake message postern handles, discriminated by its HandshakeType. */
export type HandshakeMessage =
  | { readonly type: typeof HandshakeType.hello_request }
  | {
    readonly type: typeof HandshakeType.client_hello;
    readonly body: ClientHello;
  }
  | {
    readonly type: typeof HandshakeType.server_hello;
    readonly body: ServerHello;
  }
  | {
    readonly type: typeof HandshakeType.hello_verify_request;
    readonly body: HelloVerifyRequest;
  }
  | {
    readonly type: typeof HandshakeType.certificate;
    readonly body: Certificate;
  }
  | {
    readonly type: typeof HandshakeType.server_key_exchange;
    readonly body: ServerKeyExchange;
  }
  | {
    readonly type: typeof HandshakeType.certificate_request;
    readonly body: CertificateRequest;
  }
  | { readonly type: typeof HandshakeType.server_hello_done }
  | {
    readonly type: typeof HandshakeType.certificate_status;
    readonly body: CertificateStatus;
  }
  | {
    readonly type: typeof HandshakeType.certificate_verify;
    readonly body: CertificateVerify;
  }
  | {
    readonly type: typeof HandshakeType.client_key_exchange;
    readonly body: ClientKeyExchange;
  }
  | { readonly type: typeof HandshakeType.finished; readonly body: Finished };

/** What a body decoder may need to know beyond the bytes. */
export interface HandshakeContext {
  /** DTLS framing (ClientHello cookie, HelloVerifyRequest allowed). */
  readonly dtls: boolean;
  /** Key exchange of the negotiated suite; needed for the key-exchange messages. */
  readonly kx?: KeyExchange;
  /** Finished verify_data length; 12 by default. */
  readonly verifyDataLength?: number;
}

function needKx(ctx: HandshakeContext, type: number): KeyExchange {
  if (ctx.kx === undefined) {
    throw new TypeError(
      `Cannot decode ${handshakeTypeName(type)}: no key exchange chosen yet`,
    );
  }
  return ctx.kx;
}

/**
 * Decodes a handshake body by its type.
 *
 * @throws {TlsAlertError} `unexpected_message` for a type postern does not
 *   handle (new_session_ticket, unknown values) or a
 *   HelloVerifyRequest outside DTLS; `decode_error` for a non-empty
 *   HelloRequest; whatever the message's decoder throws.
 * @throws {TypeError} for a key-exchange message when `ctx.kx` is missing.
 *
 * @example
 * ```ts
 * import { decodeHandshakeMessage } from "./handshake_message.ts";
 * import assert from "node:assert/strict";
 *
 * const msg = decodeHandshakeMessage(16, new Uint8Array([0, 1, 0x78]), { dtls: true, kx: "psk" });
 * assert.deepEqual(msg, { type: 16, body: { form: "psk", identity: new Uint8Array([0x78]) } });
 * ```
 */
export function decodeHandshakeMessage(
  type: number,
  body: Uint8Array,
  ctx: HandshakeContext,
): HandshakeMessage {
  switch (type) {
    case HandshakeType.hello_request:
      // RFC 5246 §7.4.1.1: struct { } HelloRequest;
      if (body.length !== 0) {
        throw new TlsAlertError(
          AlertDescription.decode_error,
          "HelloRequest has a body",
        );
      }
      return { type };
    case HandshakeType.client_hello:
      return { type, body: decodeClientHello(body, { dtls: ctx.dtls }) };
    case HandshakeType.server_hello:
      return { type, body: decodeServerHello(body) };
    case HandshakeType.hello_verify_request:
      if (!ctx.dtls) break;
      return { type, body: decodeHelloVerifyRequest(body) };
    case HandshakeType.certificate:
      return { type, body: decodeCertificate(body) };
    case HandshakeType.server_key_exchange:
      return {
        type,
        body: decodeServerKeyExchange(body, { kx: needKx(ctx, type) }),
      };
    case HandshakeType.certificate_request:
      return { type, body: decodeCertificateRequest(body) };
    case HandshakeType.server_hello_done:
      decodeServerHelloDone(body);
      return { type };
    case HandshakeType.certificate_status:
      return { type, body: decodeCertificateStatus(body) };
    case HandshakeType.certificate_verify:
      return { type, body: decodeCertificateVerify(body) };
    case HandshakeType.client_key_exchange:
      return {
        type,
        body: decodeClientKeyExchange(body, { kx: needKx(ctx, type) }),
      };
    case HandshakeType.finished:
      return {
        type,
        body: decodeFinished(
          body,
          ctx.verifyDataLength === undefined
            ? {}
            : { verifyDataLength: ctx.verifyDataLength },
        ),
      };
  }
  throw new TlsAlertError(
    AlertDescription.unexpected_message,
    `Cannot handle a ${handshakeTypeName(type)} handshake message`,
  );
}

/**
 * Encodes a handshake body (without the handshake header).
 *
 * @example
 * ```ts
 * import { encodeHandshakeMessage } from "./handshake_message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeHandshakeMessage({ type: 14 }, { dtls: false }).length, 0);
 * ```
 */
export function encodeHandshakeMessage(
  msg: HandshakeMessage,
  options: { readonly dtls: boolean },
): Uint8Array {
  switch (msg.type) {
    case HandshakeType.hello_request:
      return new Uint8Array(0);
    case HandshakeType.client_hello:
      return encodeClientHello(msg.body, options);
    case HandshakeType.server_hello:
      return encodeServerHello(msg.body);
    case HandshakeType.hello_verify_request:
      return encodeHelloVerifyRequest(msg.body);
    case HandshakeType.certificate:
      return encodeCertificate(msg.body);
    case HandshakeType.server_key_exchange:
      return encodeServerKeyExchange(msg.body);
    case HandshakeType.certificate_request:
      return encodeCertificateRequest(msg.body);
    case HandshakeType.server_hello_done:
      return encodeServerHelloDone();
    case HandshakeType.certificate_status:
      return encodeCertificateStatus(msg.body);
    case HandshakeType.certificate_verify:
      return encodeCertificateVerify(msg.body);
    case HandshakeType.client_key_exchange:
      return encodeClientKeyExchange(msg.body);
    case HandshakeType.finished:
      return encodeFinished(msg.body);
  }
}
