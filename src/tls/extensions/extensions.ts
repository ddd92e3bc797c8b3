/**
 * The extension block of ClientHello and ServerHello (RFC 5246 §7.4.1.4):
 *
 * ```text
 * struct {
 *     ExtensionType extension_type;       // uint16
 *     opaque extension_data<0..2^16-1>;
 * } Extension;
 * Extension extensions<0..2^16-1>;
 * ```
 *
 * An {@link Extensions} list is plain data: an array in wire order whose
 * entries are discriminated by `type`. Known extensions are decoded into
 * typed values; any other code point is kept as `{ type: "unknown", code,
 * data }` so that nothing is lost. A code point appears at most once
 * (RFC 5246 §7.4.1.4): decoding rejects duplicates with `illegal_parameter`,
 * encoding refuses them.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { ExtensionContext } from "./context.ts";
import { ExtensionType, extensionTypeName } from "./extension_type.ts";
import {
  decodeEmptyExtension,
  type EncryptThenMacExtension,
  type ExtendedMasterSecretExtension,
} from "./empty_extensions.ts";
import {
  decodeEcPointFormats,
  type EcPointFormatsExtension,
  encodeEcPointFormats,
} from "./ec_point_formats.ts";
import {
  decodeMaxFragmentLength,
  encodeMaxFragmentLength,
  type MaxFragmentLengthExtension,
} from "./max_fragment_length.ts";
import {
  type ConnectionIdExtension,
  decodeConnectionId,
  decodeRenegotiationInfo,
  decodeSessionTicket,
  encodeConnectionId,
  encodeRenegotiationInfo,
  encodeSessionTicket,
  type RenegotiationInfoExtension,
  type SessionTicketExtension,
} from "./opaque_extensions.ts";
import {
  decodeRecordSizeLimit,
  encodeRecordSizeLimit,
  type RecordSizeLimitExtension,
} from "./record_size_limit.ts";
import {
  decodeServerName,
  encodeServerName,
  type ServerNameExtension,
} from "./server_name.ts";
import {
  decodeSignatureAlgorithms,
  encodeSignatureAlgorithms,
  type SignatureAlgorithmsExtension,
} from "./signature_algorithms.ts";
import {
  decodeStatusRequest,
  encodeStatusRequest,
  type StatusRequestExtension,
} from "./status_request.ts";
import {
  decodeSupportedGroups,
  encodeSupportedGroups,
  type SupportedGroupsExtension,
} from "./supported_groups.ts";

/** An extension postern has no codec for, kept as received. */
export interface UnknownExtension {
  readonly type: "unknown";
  /** The extension_type code point. */
  readonly code: number;
  /** The extension_data bytes. */
  readonly data: Uint8Array;
}

/** Any extension postern has a codec for. */
export type KnownExtension =
  | ServerNameExtension
  | MaxFragmentLengthExtension
  | StatusRequestExtension
  | SupportedGroupsExtension
  | EcPointFormatsExtension
  | SignatureAlgorithmsExtension
  | EncryptThenMacExtension
  | ExtendedMasterSecretExtension
  | RecordSizeLimitExtension
  | SessionTicketExtension
  | ConnectionIdExtension
  | RenegotiationInfoExtension;

/** One extension, discriminated by `type`. */
export type Extension = KnownExtension | UnknownExtension;

/** The `type` names of the extensions postern has a codec for. */
export type KnownExtensionName = KnownExtension["type"];

/** An ordered extension list without repeated code points. */
export type Extensions = readonly Extension[];

const KNOWN_CODES: ReadonlyMap<number, KnownExtensionName> = new Map(
  (
    [
      "server_name",
      "max_fragment_length",
      "status_request",
      "supported_groups",
      "ec_point_formats",
      "signature_algorithms",
      "encrypt_then_mac",
      "extended_master_secret",
      "record_size_limit",
      "session_ticket",
      "connection_id",
      "renegotiation_info",
    ] as const
  ).map((name) => [ExtensionType[name], name]),
);

/**
 * The extension_type code point of an extension.
 *
 * @example
 * ```ts
 * import { extensionCode } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(extensionCode({ type: "extended_master_secret" }), 23);
 * assert.equal(extensionCode({ type: "unknown", code: 53, data: new Uint8Array(0) }), 53);
 * ```
 */
export function extensionCode(ext: Extension): number {
  return ext.type === "unknown" ? ext.code : ExtensionType[ext.type];
}

/**
 * Encodes one extension's extension_data (without type and length).
 *
 * @example
 * ```ts
 * import { encodeExtensionData } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeExtensionData({ type: "record_size_limit", limit: 256 }),
 *   new Uint8Array([1, 0]),
 * );
 * ```
 */
export function encodeExtensionData(ext: Extension): Uint8Array {
  switch (ext.type) {
    case "server_name":
      return encodeServerName(ext);
    case "max_fragment_length":
      return encodeMaxFragmentLength(ext);
    case "status_request":
      return encodeStatusRequest(ext);
    case "supported_groups":
      return encodeSupportedGroups(ext);
    case "ec_point_formats":
      return encodeEcPointFormats(ext);
    case "signature_algorithms":
      return encodeSignatureAlgorithms(ext);
    case "encrypt_then_mac":
    case "extended_master_secret":
      return new Uint8Array(0);
    case "record_size_limit":
      return encodeRecordSizeLimit(ext);
    case "session_ticket":
      return encodeSessionTicket(ext);
    case "connection_id":
      return encodeConnectionId(ext);
    case "renegotiation_info":
      return encodeRenegotiationInfo(ext);
    case "unknown":
      return ext.data.slice();
  }
}

/**
 * Decodes one extension's extension_data by its code point; an unknown code
 * point gives an {@link UnknownExtension}.
 *
 * @param code The extension_type.
 * @param data The extension_data.
 * @param context Which hello the extension came in.
 * @throws {DecodeError} or {TlsAlertError} from the extension's codec.
 *
 * @example
 * ```ts
 * import { decodeExtensionData } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeExtensionData(23, new Uint8Array(0)), { type: "extended_master_secret" });
 * assert.deepEqual(
 *   decodeExtensionData(53, new Uint8Array([0])),
 *   { type: "unknown", code: 53, data: new Uint8Array([0]) },
 * );
 * ```
 */
export function decodeExtensionData(
  code: number,
  data: Uint8Array,
  context: ExtensionContext = "client_hello",
): Extension {
  const name = KNOWN_CODES.get(code);
  switch (name) {
    case "server_name":
      return decodeServerName(data, context);
    case "max_fragment_length":
      return decodeMaxFragmentLength(data);
    case "status_request":
      return decodeStatusRequest(data, context);
    case "supported_groups":
      return decodeSupportedGroups(data);
    case "ec_point_formats":
      return decodeEcPointFormats(data);
    case "signature_algorithms":
      return decodeSignatureAlgorithms(data);
    case "encrypt_then_mac":
    case "extended_master_secret":
      return decodeEmptyExtension(data, name);
    case "record_size_limit":
      return decodeRecordSizeLimit(data);
    case "session_ticket":
      return decodeSessionTicket(data);
    case "connection_id":
      return decodeConnectionId(data);
    case "renegotiation_info":
      return decodeRenegotiationInfo(data);
    case undefined:
      return { type: "unknown", code, data: data.slice() };
  }
}

/**
 * Writes an extension list into `w`: the `extensions<0..2^16-1>` vector,
 * or nothing at all for an empty list (RFC 5246 §7.4.1.2: the block may be
 * absent).
 *
 * @throws {RangeError} if a code point repeats or the block overflows.
 *
 * @example
 * ```ts
 * import { writeExtensions } from "./extensions.ts";
 * import { ByteWriter } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const w = new ByteWriter();
 * writeExtensions(w, [{ type: "extended_master_secret" }]);
 * assert.deepEqual(w.finish(), new Uint8Array([0, 4, 0, 23, 0, 0]));
 * ```
 */
export function writeExtensions(w: ByteWriter, extensions: Extensions): void {
  if (extensions.length === 0) return;
  const seen = new Set<number>();
  w.vector16((block) => {
    for (const ext of extensions) {
      const code = extensionCode(ext);
      if (seen.has(code)) {
        throw new RangeError(
          `Cannot encode extensions: ${extensionTypeName(code)} appears twice`,
        );
      }
      seen.add(code);
      const data = encodeExtensionData(ext);
      block.uint16(code).vector16((d) => d.bytes(data));
    }
  });
}

/**
 * Reads the optional extension block that ends a hello message: nothing
 * left in `r` is an empty list, otherwise one `extensions<0..2^16-1>`
 * vector that must fill the rest of `r`.
 *
 * @throws {DecodeError} on a malformed block or trailing bytes.
 * @throws {TlsAlertError} `illegal_parameter` for a repeated code point
 *   (RFC 5246 §7.4.1.4), or whatever an extension's codec throws.
 *
 * @example
 * ```ts
 * import { readExtensions } from "./extensions.ts";
 * import { ByteReader } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new ByteReader(new Uint8Array([0, 4, 0, 23, 0, 0]));
 * assert.deepEqual(readExtensions(r, "client_hello"), [{ type: "extended_master_secret" }]);
 * assert.throws(() => readExtensions(new ByteReader(new Uint8Array([0, 8, 0, 23, 0, 0, 0, 23, 0, 0])), "client_hello"));
 * ```
 */
export function readExtensions(
  r: ByteReader,
  context: ExtensionContext,
): Extension[] {
  if (!r.anyLeft()) return [];
  const block = r.vector16(`${context}.extensions`);
  r.expectEnd(context);
  return readExtensionBlock(block, context);
}

function readExtensionBlock(
  block: ByteReader,
  context: ExtensionContext,
): Extension[] {
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.anyLeft()) {
    const code = block.uint16("extension_type");
    const data = block.vector16(`${extensionTypeName(code)} extension_data`);
    // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the
    // same type."
    if (seen.has(code)) {
      throw new TlsAlertError(
        AlertDescription.illegal_parameter,
        `${context} repeats the ${extensionTypeName(code)} extension`,
      );
    }
    seen.add(code);
    out.push(decodeExtensionData(code, data.rest(), context));
  }
  return out;
}

/**
 * Encodes an extension list as a standalone `extensions<0..2^16-1>` vector
 * (always with its length, even when empty).
 *
 * @example
 * ```ts
 * import { encodeExtensions } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeExtensions([]), new Uint8Array([0, 0]));
 * ```
 */
export function encodeExtensions(extensions: Extensions): Uint8Array {
  if (extensions.length === 0) return new Uint8Array([0, 0]);
  const w = new ByteWriter();
  writeExtensions(w, extensions);
  return w.finish();
}

/**
 * Decodes a standalone `extensions<0..2^16-1>` vector.
 *
 * @throws {DecodeError} or {TlsAlertError} as {@link readExtensions}.
 *
 * @example
 * ```ts
 * import { decodeExtensions } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeExtensions(new Uint8Array([0, 5, 0xff, 1, 0, 1, 0]), "server_hello"),
 *   [{ type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) }],
 * );
 * ```
 */
export function decodeExtensions(
  data: Uint8Array,
  context: ExtensionContext = "client_hello",
): Extension[] {
  const r = new ByteReader(data);
  const block = r.vector16("extensions");
  r.expectEnd("extensions");
  return readExtensionBlock(block, context);
}

/**
 * The extension named `type` in `extensions`, typed by its name.
 *
 * @example
 * ```ts
 * import { findExtension } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * const exts = [{ type: "connection_id", cid: new Uint8Array([7]) }] as const;
 * assert.deepEqual(findExtension(exts, "connection_id")?.cid, new Uint8Array([7]));
 * assert.equal(findExtension(exts, "server_name"), undefined);
 * ```
 */
export function findExtension<K extends KnownExtensionName>(
  extensions: Extensions,
  type: K,
): Extract<KnownExtension, { type: K }> | undefined {
  for (const ext of extensions) {
    if (isExtension(ext, type)) return ext;
  }
  return undefined;
}

function isExtension<K extends KnownExtensionName>(
  ext: Extension,
  type: K,
): ext is Extract<KnownExtension, { type: K }> {
  return ext.type === type;
}

/**
 * Whether `extensions` holds the code point `code`, known or not.
 *
 * @example
 * ```ts
 * import { hasExtension } from "./extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hasExtension([{ type: "extended_master_secret" }], 23), true);
 * assert.equal(hasExtension([], 23), false);
 * ```
 */
export function hasExtension(extensions: Extensions, code: number): boolean {
  return extensions.some((e) => extensionCode(e) === code);
}
