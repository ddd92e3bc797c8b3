/**
 * Record content types (RFC 5246 §6.2.1, RFC 6520, RFC 9146 §4) and the
 * protocol version numbers TLS 1.2 and DTLS 1.2 put on the wire
 * (RFC 5246 §6.2.1, RFC 6347 §4.1).
 *
 * @module
 */

/**
 * Record content types.
 *
 * `tls12_cid` marks a DTLS record carrying a connection ID (RFC 9146 §4);
 * `heartbeat` (RFC 6520) is listed so that a log names it, postern never
 * negotiates it.
 *
 * @example
 * ```ts
 * import { ContentType } from "./content_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ContentType.handshake, 22);
 * assert.equal(ContentType.tls12_cid, 25);
 * ```
 */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  heartbeat: 24,
  tls12_cid: 25,
} as const;
/** A content type value. */
export type ContentType = typeof ContentType[keyof typeof ContentType];

const CONTENT_TYPE_NAMES = new Map<number, string>(
  Object.entries(ContentType).map(([k, v]) => [v, k]),
);

/**
 * The RFC name of a content type, for logs.
 *
 * @example
 * ```ts
 * import { contentTypeName } from "./content_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contentTypeName(23), "application_data");
 * assert.equal(contentTypeName(99), "unknown(99)");
 * ```
 */
export function contentTypeName(type: number): string {
  return CONTENT_TYPE_NAMES.get(type) ?? `unknown(${type})`;
}

/**
 * Protocol versions as they appear in record headers and hello messages.
 * DTLS versions are the one's complement of the TLS version they follow
 * (RFC 6347 §4.1: DTLS 1.2 is `{254, 253}`).
 *
 * @example
 * ```ts
 * import { ProtocolVersion } from "./content_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ProtocolVersion.DTLS12, 0xfefd);
 * assert.equal(ProtocolVersion.TLS12, 0x0303);
 * ```
 */
export const ProtocolVersion = {
  TLS10: 0x0301,
  TLS11: 0x0302,
  TLS12: 0x0303,
  DTLS10: 0xfeff,
  DTLS12: 0xfefd,
} as const;
/** A protocol version value. */
export type ProtocolVersion =
  typeof ProtocolVersion[keyof typeof ProtocolVersion];

const VERSION_NAMES: ReadonlyMap<number, string> = new Map([
  [ProtocolVersion.TLS10, "TLS 1.0"],
  [ProtocolVersion.TLS11, "TLS 1.1"],
  [ProtocolVersion.TLS12, "TLS 1.2"],
  [ProtocolVersion.DTLS10, "DTLS 1.0"],
  [ProtocolVersion.DTLS12, "DTLS 1.2"],
]);

/**
 * A readable name for a protocol version, for logs.
 *
 * @example
 * ```ts
 * import { protocolVersionName } from "./content_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(protocolVersionName(0xfefd), "DTLS 1.2");
 * assert.equal(protocolVersionName(0x0304), "unknown(0x0304)");
 * ```
 */
export function protocolVersionName(version: number): string {
  return VERSION_NAMES.get(version) ??
    `unknown(0x${version.toString(16).padStart(4, "0")})`;
}
