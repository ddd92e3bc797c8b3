/**
 * CertificateRequest (RFC 5246 §7.4.4).
 *
 * ```text
 * enum { rsa_sign(1), dss_sign(2), rsa_fixed_dh(3), dss_fixed_dh(4),
 *        ecdsa_sign(64), rsa_fixed_ecdh(65), ecdsa_fixed_ecdh(66), (255)
 * } ClientCertificateType;
 * opaque DistinguishedName<1..2^16-1>;
 * struct {
 *     ClientCertificateType certificate_types<1..2^8-1>;
 *     SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 *     DistinguishedName certificate_authorities<0..2^16-1>;
 * } CertificateRequest;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import { readUint16List, writeUint16List } from "../extensions/_lists.ts";
import { readOpaqueList16 } from "./_common.ts";

/**
 * ClientCertificateType code points (RFC 5246 §7.4.4, RFC 8422 §5.5).
 *
 * @example
 * ```ts
 * import { ClientCertificateType } from "./certificate_request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ClientCertificateType.ecdsa_sign, 64);
 * assert.equal(ClientCertificateType.rsa_sign, 1);
 * ```
 */
export const ClientCertificateType = {
  rsa_sign: 1,
  dss_sign: 2,
  rsa_fixed_dh: 3,
  dss_fixed_dh: 4,
  ecdsa_sign: 64,
  rsa_fixed_ecdh: 65,
  ecdsa_fixed_ecdh: 66,
} as const;
/** A ClientCertificateType value. */
export type ClientCertificateType =
  typeof ClientCertificateType[keyof typeof ClientCertificateType];

/** A CertificateRequest body. */
export interface CertificateRequest {
  /** Acceptable key types, e.g. `[ecdsa_sign]`. */
  readonly certificateTypes: readonly number[];
  /** Signature schemes the server accepts in CertificateVerify and the chain. */
  readonly signatureAlgorithms: readonly number[];
  /** DER-encoded distinguished names of acceptable CAs; may be empty. */
  readonly certificateAuthorities: readonly Uint8Array[];
}

/**
 * Encodes a CertificateRequest body.
 *
 * @throws {RangeError} for an empty type or algorithm list or an empty name.
 *
 * @example
 * ```ts
 * import { encodeCertificateRequest } from "./certificate_request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeCertificateRequest({
 *     certificateTypes: [64],
 *     signatureAlgorithms: [0x0403],
 *     certificateAuthorities: [],
 *   }),
 *   new Uint8Array([1, 64, 0, 2, 4, 3, 0, 0]),
 * );
 * ```
 */
export function encodeCertificateRequest(msg: CertificateRequest): Uint8Array {
  if (msg.certificateTypes.length === 0) {
    throw new RangeError(
      "Cannot encode CertificateRequest: no certificate types",
    );
  }
  const w = new ByteWriter(64);
  w.vector8((v) => {
    for (const t of msg.certificateTypes) v.uint8(t);
  });
  writeUint16List(
    w,
    msg.signatureAlgorithms,
    "CertificateRequest.supported_signature_algorithms",
  );
  w.vector16((list) => {
    for (const dn of msg.certificateAuthorities) {
      if (dn.length === 0) {
        throw new RangeError(
          "Cannot encode CertificateRequest: empty distinguished name",
        );
      }
      list.vector16((v) => v.bytes(dn));
    }
  });
  return w.finish();
}

/**
 * Decodes a CertificateRequest body. The distinguished names are copied,
 * not parsed.
 *
 * @throws {DecodeError} for a truncated body, an odd-length algorithm list
 *   or trailing bytes.
 * @throws {TlsAlertError} `decode_error` for an empty type or algorithm list
 *   or an empty distinguished name.
 *
 * @example
 * ```ts
 * import { decodeCertificateRequest } from "./certificate_request.ts";
 * import assert from "node:assert/strict";
 *
 * const msg = decodeCertificateRequest(new Uint8Array([2, 64, 1, 0, 4, 4, 3, 8, 4, 0, 0]));
 * assert.deepEqual(msg.certificateTypes, [64, 1]);
 * assert.deepEqual(msg.signatureAlgorithms, [0x0403, 0x0804]);
 * ```
 */
export function decodeCertificateRequest(
  body: Uint8Array,
): CertificateRequest {
  const r = new ByteReader(body);
  const types = r.vector8("CertificateRequest.certificate_types");
  // RFC 5246 §7.4.4: certificate_types<1..2^8-1>.
  if (!types.anyLeft()) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "CertificateRequest has no certificate types",
    );
  }
  const certificateTypes = Array.from(types.rest());
  const signatureAlgorithms = readUint16List(
    r.vector16("CertificateRequest.supported_signature_algorithms"),
    "CertificateRequest.supported_signature_algorithms",
  );
  const certificateAuthorities = readOpaqueList16(
    r.vector16("CertificateRequest.certificate_authorities"),
    "CertificateRequest.DistinguishedName",
  );
  r.expectEnd("CertificateRequest");
  return { certificateTypes, signatureAlgorithms, certificateAuthorities };
}
