/**
 * CertificateVerify (RFC 5246 §7.4.8).
 *
 * ```text
 * struct {
 *     digitally-signed struct {
 *         opaque handshake_messages[handshake_messages_length];
 *     }
 * } CertificateVerify;
 * ```
 *
 * On the wire: `SignatureAndHashAlgorithm algorithm; opaque
 * signature<0..2^16-1>`. The signature covers every handshake message
 * before this one, hashed with the *scheme's* hash, which need not be the
 * PRF hash: sign `Transcript.bytes()`, not `Transcript.hash()`.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import {
  type DigitallySigned,
  readDigitallySigned,
  writeDigitallySigned,
} from "./_common.ts";

export type { DigitallySigned } from "./_common.ts";

/** A CertificateVerify body. */
export type CertificateVerify = DigitallySigned;

/**
 * Encodes a CertificateVerify body.
 *
 * @example
 * ```ts
 * import { encodeCertificateVerify } from "./certificate_verify.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeCertificateVerify({ scheme: 0x0403, signature: new Uint8Array([0x30, 0]) }),
 *   new Uint8Array([4, 3, 0, 2, 0x30, 0]),
 * );
 * ```
 */
export function encodeCertificateVerify(msg: CertificateVerify): Uint8Array {
  const w = new ByteWriter(4 + msg.signature.length);
  writeDigitallySigned(w, msg);
  return w.finish();
}

/**
 * Decodes a CertificateVerify body.
 *
 * @throws {DecodeError} for a truncated body or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeCertificateVerify } from "./certificate_verify.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeCertificateVerify(new Uint8Array([8, 4, 0, 1, 9])),
 *   { scheme: 0x0804, signature: new Uint8Array([9]) },
 * );
 * ```
 */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new ByteReader(body);
  const msg = readDigitallySigned(r, "CertificateVerify");
  r.expectEnd("CertificateVerify");
  return msg;
}
