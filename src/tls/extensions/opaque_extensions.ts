/**
 * Extensions whose extension_data is one opaque value:
 *
 * - `connection_id` (RFC 9146 §3): `opaque cid<0..2^8-1>`, the CID the
 *   sender wants to *receive*; empty means "send me none".
 * - `renegotiation_info` (RFC 5746 §3.2): `opaque
 *   renegotiated_connection<0..255>`, empty on an initial handshake.
 * - `session_ticket` (RFC 5077 §3.2): the ticket, the rest of the data.
 *   Parsed and ignored: postern issues no tickets.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";

/**
 * The signalling cipher suite value a client may send instead of an empty
 * `renegotiation_info` (RFC 5746 §3.3).
 *
 * @example
 * ```ts
 * import { TLS_EMPTY_RENEGOTIATION_INFO_SCSV } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TLS_EMPTY_RENEGOTIATION_INFO_SCSV, 0x00ff);
 * ```
 */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** `connection_id`: the DTLS connection ID the sender wants on records sent to it. */
export interface ConnectionIdExtension {
  readonly type: "connection_id";
  readonly cid: Uint8Array;
}

/** `renegotiation_info`: secure renegotiation binding (empty on the first handshake). */
export interface RenegotiationInfoExtension {
  readonly type: "renegotiation_info";
  readonly renegotiatedConnection: Uint8Array;
}

/** `session_ticket`: a session ticket, or empty to ask for one. */
export interface SessionTicketExtension {
  readonly type: "session_ticket";
  readonly ticket: Uint8Array;
}

/**
 * Encodes the `connection_id` extension_data.
 *
 * @example
 * ```ts
 * import { encodeConnectionId } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeConnectionId({ type: "connection_id", cid: new Uint8Array([9, 8]) }),
 *   new Uint8Array([2, 9, 8]),
 * );
 * ```
 */
export function encodeConnectionId(ext: ConnectionIdExtension): Uint8Array {
  return new ByteWriter(1 + ext.cid.length).vector8((v) => v.bytes(ext.cid))
    .finish();
}

/**
 * Decodes the `connection_id` extension_data.
 *
 * @throws {DecodeError} on a malformed vector or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeConnectionId } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeConnectionId(new Uint8Array([0])), { type: "connection_id", cid: new Uint8Array(0) });
 * ```
 */
export function decodeConnectionId(data: Uint8Array): ConnectionIdExtension {
  const r = new ByteReader(data);
  const cid = r.vector8("connection_id.cid").rest().slice();
  r.expectEnd("connection_id");
  return { type: "connection_id", cid };
}

/**
 * Encodes the `renegotiation_info` extension_data.
 *
 * @example
 * ```ts
 * import { encodeRenegotiationInfo } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeRenegotiationInfo({ type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) }),
 *   new Uint8Array([0]),
 * );
 * ```
 */
export function encodeRenegotiationInfo(
  ext: RenegotiationInfoExtension,
): Uint8Array {
  return new ByteWriter(1 + ext.renegotiatedConnection.length)
    .vector8((v) => v.bytes(ext.renegotiatedConnection)).finish();
}

/**
 * Decodes the `renegotiation_info` extension_data.
 *
 * @throws {DecodeError} on a malformed vector or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeRenegotiationInfo } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * const ext = decodeRenegotiationInfo(new Uint8Array([0]));
 * assert.equal(ext.renegotiatedConnection.length, 0);
 * ```
 */
export function decodeRenegotiationInfo(
  data: Uint8Array,
): RenegotiationInfoExtension {
  const r = new ByteReader(data);
  const renegotiatedConnection = r.vector8(
    "renegotiation_info.renegotiated_connection",
  ).rest().slice();
  r.expectEnd("renegotiation_info");
  return { type: "renegotiation_info", renegotiatedConnection };
}

/**
 * Encodes the `session_ticket` extension_data.
 *
 * @example
 * ```ts
 * import { encodeSessionTicket } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeSessionTicket({ type: "session_ticket", ticket: new Uint8Array(0) }).length, 0);
 * ```
 */
export function encodeSessionTicket(ext: SessionTicketExtension): Uint8Array {
  return ext.ticket.slice();
}

/**
 * Decodes the `session_ticket` extension_data: any bytes are a ticket.
 *
 * @example
 * ```ts
 * import { decodeSessionTicket } from "./opaque_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeSessionTicket(new Uint8Array([1, 2])).ticket, new Uint8Array([1, 2]));
 * ```
 */
export function decodeSessionTicket(data: Uint8Array): SessionTicketExtension {
  return { type: "session_ticket", ticket: data.slice() };
}
