/**
 * The `status_request` extension (RFC 6066 §8), the client's request for a
 * stapled OCSP response. Codec only: the server side of OCSP stapling
 * (the CertificateStatus message) comes later.
 *
 * ```text
 * struct {
 *     CertificateStatusType status_type;        // ocsp(1)
 *     select (status_type) {
 *         case ocsp: OCSPStatusRequest;
 *     } request;
 * } CertificateStatusRequest;
 * struct {
 *     ResponderID responder_id_list<0..2^16-1>; // opaque ResponderID<1..2^16-1>
 *     Extensions  request_extensions;           // opaque Extensions<0..2^16-1>
 * } OCSPStatusRequest;
 * ```
 *
 * A server that will staple answers with an empty extension.
 *
 * @module
 */

import { ByteReader, ByteWriter, DecodeError } from "../../bytes/mod.ts";
import type { ExtensionContext } from "./context.ts";

/**
 * CertificateStatusType code points (RFC 6066 §8).
 *
 * @example
 * ```ts
 * import { CertificateStatusType } from "./status_request.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CertificateStatusType.ocsp, 1);
 * ```
 */
export const CertificateStatusType = { ocsp: 1 } as const;
/** A CertificateStatusType value. */
export type CertificateStatusType =
  typeof CertificateStatusType[keyof typeof CertificateStatusType];

/** An OCSP status request: responders the client trusts and OCSP request extensions. */
export interface OcspStatusRequest {
  readonly kind: "ocsp";
  /** DER ResponderIDs; empty means the server knows the responder. */
  readonly responderIds: readonly Uint8Array[];
  /** DER OCSP request extensions, as one opaque block. */
  readonly requestExtensions: Uint8Array;
}

/** A status request of a type postern does not know, kept as its body. */
export interface UnknownStatusRequest {
  readonly kind: "unknown";
  readonly statusType: number;
  readonly body: Uint8Array;
}

/** The body of a client's `status_request`. */
export type CertificateStatusRequest = OcspStatusRequest | UnknownStatusRequest;

/** `status_request`: the client's request, or the server's empty answer. */
export interface StatusRequestExtension {
  readonly type: "status_request";
  /** Absent in the server's empty acknowledgement. */
  readonly request?: CertificateStatusRequest;
}

/**
 * Encodes the `status_request` extension_data.
 *
 * @example
 * ```ts
 * import { encodeStatusRequest } from "./status_request.ts";
 * import assert from "node:assert/strict";
 *
 * const data = encodeStatusRequest({
 *   type: "status_request",
 *   request: { kind: "ocsp", responderIds: [], requestExtensions: new Uint8Array(0) },
 * });
 * assert.deepEqual(data, new Uint8Array([1, 0, 0, 0, 0]));
 * ```
 */
export function encodeStatusRequest(ext: StatusRequestExtension): Uint8Array {
  const req = ext.request;
  if (req === undefined) return new Uint8Array(0);
  const w = new ByteWriter();
  if (req.kind === "unknown") {
    if (req.statusType === CertificateStatusType.ocsp) {
      throw new RangeError(
        "Cannot encode status_request: an unknown request cannot use type ocsp",
      );
    }
    w.uint8(req.statusType).bytes(req.body);
    return w.finish();
  }
  w.uint8(CertificateStatusType.ocsp);
  w.vector16((list) => {
    for (const id of req.responderIds) {
      if (id.length === 0) {
        throw new RangeError("Cannot encode status_request: empty ResponderID");
      }
      list.vector16((v) => v.bytes(id));
    }
  });
  w.vector16((v) => v.bytes(req.requestExtensions));
  return w.finish();
}

/**
 * Decodes the `status_request` extension_data. An empty extension is only
 * valid from the server.
 *
 * @throws {DecodeError} on malformed data.
 *
 * @example
 * ```ts
 * import { decodeStatusRequest } from "./status_request.ts";
 * import assert from "node:assert/strict";
 *
 * const ext = decodeStatusRequest(new Uint8Array([1, 0, 0, 0, 0]));
 * assert.equal(ext.request?.kind, "ocsp");
 * assert.deepEqual(decodeStatusRequest(new Uint8Array(0), "server_hello"), { type: "status_request" });
 * ```
 */
export function decodeStatusRequest(
  data: Uint8Array,
  context: ExtensionContext = "client_hello",
): StatusRequestExtension {
  if (data.length === 0 && context === "server_hello") {
    return { type: "status_request" };
  }
  const r = new ByteReader(data);
  const statusType = r.uint8("status_request.status_type");
  if (statusType !== CertificateStatusType.ocsp) {
    return {
      type: "status_request",
      request: { kind: "unknown", statusType, body: r.rest().slice() },
    };
  }
  const list = r.vector16("status_request.responder_id_list");
  const responderIds: Uint8Array[] = [];
  while (list.anyLeft()) {
    const at = list.absolutePosition;
    const id = list.vector16("status_request.ResponderID").rest().slice();
    if (id.length === 0) {
      throw new DecodeError("status_request.ResponderID", at, "empty");
    }
    responderIds.push(id);
  }
  const requestExtensions = r.vector16("status_request.request_extensions")
    .rest().slice();
  r.expectEnd("status_request");
  return {
    type: "status_request",
    request: { kind: "ocsp", responderIds, requestExtensions },
  };
}
