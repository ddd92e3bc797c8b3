/**
 * CertificateStatus (RFC 6066 §8): the stapled OCSP response, sent by the
 * server right after its Certificate when the client asked with
 * `status_request` and the server acknowledged it in its ServerHello.
 *
 * ```text
 * struct {
 *     CertificateStatusType status_type;         // ocsp(1)
 *     select (status_type) {
 *         case ocsp: OCSPResponse;
 *     } response;
 * } CertificateStatus;
 * opaque OCSPResponse<1..2^24-1>;                // DER OCSPResponse (RFC 6960)
 * ```
 *
 * The response stays opaque here; `src/pki/ocsp.ts` decodes and verifies it.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import { CertificateStatusType } from "../extensions/status_request.ts";

/** A CertificateStatus body of type ocsp. */
export interface CertificateStatus {
  /** The DER OCSPResponse. */
  readonly ocspResponse: Uint8Array;
}

/**
 * Encodes a CertificateStatus body of type ocsp.
 *
 * @throws {RangeError} for an empty response or one over 2^24-1 bytes.
 *
 * @example
 * ```ts
 * import { encodeCertificateStatus } from "./certificate_status.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeCertificateStatus({ ocspResponse: new Uint8Array([0x30, 0x00]) }),
 *   new Uint8Array([1, 0, 0, 2, 0x30, 0x00]),
 * );
 * ```
 */
export function encodeCertificateStatus(msg: CertificateStatus): Uint8Array {
  const n = msg.ocspResponse.length;
  if (n < 1 || n > 0xffffff) {
    throw new RangeError(
      `Cannot encode CertificateStatus: an OCSPResponse of ${n} bytes`,
    );
  }
  return new ByteWriter()
    .uint8(CertificateStatusType.ocsp)
    .vector24((w) => w.bytes(msg.ocspResponse))
    .finish();
}

/**
 * Decodes a CertificateStatus body.
 *
 * @throws {DecodeError} on a truncated body or trailing bytes.
 * @throws {TlsAlertError} `illegal_parameter` for a status_type other than
 *   ocsp (the only one a client requests with `status_request`),
 *   `decode_error` for an empty response.
 *
 * @example
 * ```ts
 * import { decodeCertificateStatus } from "./certificate_status.ts";
 * import assert from "node:assert/strict";
 *
 * const msg = decodeCertificateStatus(new Uint8Array([1, 0, 0, 2, 0x30, 0x00]));
 * assert.deepEqual(msg.ocspResponse, new Uint8Array([0x30, 0x00]));
 * ```
 */
export function decodeCertificateStatus(body: Uint8Array): CertificateStatus {
  const r = new ByteReader(body);
  const type = r.uint8("CertificateStatus.status_type");
  if (type !== CertificateStatusType.ocsp) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `CertificateStatus of type ${type}, expected ocsp`,
    );
  }
  const response = r.vector24("CertificateStatus.response").rest().slice();
  r.expectEnd("CertificateStatus");
  if (response.length === 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "CertificateStatus carries an empty OCSPResponse",
    );
  }
  return { ocspResponse: response };
}
