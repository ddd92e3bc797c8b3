/**
 * TLS extension type code points (IANA "TLS ExtensionType Values").
 *
 * @module
 */

/**
 * Extension code points postern names in logs. The ones with a typed codec
 * in this folder are listed first; the rest are decoded as raw
 * `{ type: "unknown" }` extensions but still get a name.
 *
 * `connection_id` is 54 (RFC 9146 §3). Drafts before RFC 9146 used 53; a
 * 53 extension is an unknown one here, so an old peer negotiates no CID.
 *
 * @example
 * ```ts
 * import { ExtensionType } from "./extension_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ExtensionType.extended_master_secret, 23);
 * assert.equal(ExtensionType.renegotiation_info, 0xff01);
 * ```
 */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  connection_id: 54,
  renegotiation_info: 0xff01,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  status_request_v2: 17,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  compress_certificate: 27,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
} as const;
/** An extension type value. */
export type ExtensionType = typeof ExtensionType[keyof typeof ExtensionType];

const NAMES = new Map<number, string>(
  Object.entries(ExtensionType).map(([k, v]) => [v, k]),
);

/**
 * The IANA name of an extension type, for logs.
 *
 * @example
 * ```ts
 * import { extensionTypeName } from "./extension_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(extensionTypeName(54), "connection_id");
 * assert.equal(extensionTypeName(53), "unknown(53)");
 * ```
 */
export function extensionTypeName(type: number): string {
  return NAMES.get(type) ?? `unknown(${type})`;
}
