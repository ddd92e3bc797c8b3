/**
 * Certificate (RFC 5246 §7.4.2 from the server, §7.4.6 from the client).
 *
 * ```text
 * opaque ASN.1Cert<1..2^24-1>;
 * struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 * ```
 *
 * The sender's certificate comes first, each following one certifies the
 * one before it. A client asked for a certificate that has none sends an
 * empty list (RFC 5246 §7.4.6); the server decides whether that is enough.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/** A Certificate body. */
export interface Certificate {
  /** DER certificates, the sender's own first. */
  readonly certificates: readonly Uint8Array[];
}

/**
 * Encodes a Certificate body.
 *
 * @throws {RangeError} for an empty certificate or a chain over 2^24 bytes.
 *
 * @example
 * ```ts
 * import { encodeCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeCertificate({ certificates: [] }), new Uint8Array([0, 0, 0]));
 * assert.deepEqual(
 *   encodeCertificate({ certificates: [new Uint8Array([0x30, 0])] }),
 *   new Uint8Array([0, 0, 5, 0, 0, 2, 0x30, 0]),
 * );
 * ```
 */
export function encodeCertificate(msg: Certificate): Uint8Array {
  const w = new ByteWriter(
    3 + msg.certificates.reduce((n, c) => n + 3 + c.length, 0),
  );
  w.vector24((list) => {
    for (const cert of msg.certificates) {
      if (cert.length === 0) {
        throw new RangeError("Cannot encode Certificate: empty certificate");
      }
      list.vector24((v) => v.bytes(cert));
    }
  });
  return w.finish();
}

/**
 * Decodes a Certificate body. The certificates are copied, not parsed:
 * `src/pki` does that.
 *
 * @throws {DecodeError} for a truncated body or trailing bytes.
 * @throws {TlsAlertError} `decode_error` for an empty certificate entry
 *   (RFC 5246 §7.4.2: `ASN.1Cert<1..2^24-1>`).
 *
 * @example
 * ```ts
 * import { decodeCertificate } from "./certificate.ts";
 * import assert from "node:assert/strict";
 *
 * const msg = decodeCertificate(new Uint8Array([0, 0, 5, 0, 0, 2, 0x30, 0]));
 * assert.deepEqual(msg.certificates, [new Uint8Array([0x30, 0])]);
 * ```
 */
export function decodeCertificate(body: Uint8Array): Certificate {
  const r = new ByteReader(body);
  const list = r.vector24("Certificate.certificate_list");
  r.expectEnd("Certificate");
  const certificates: Uint8Array[] = [];
  while (list.anyLeft()) {
    const cert = list.vector24("ASN.1Cert").rest();
    if (cert.length === 0) {
      throw new TlsAlertError(
        AlertDescription.decode_error,
        "Certificate list holds an empty certificate",
      );
    }
    certificates.push(cert.slice());
  }
  return { certificates };
}
