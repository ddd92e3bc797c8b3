/**
 * Hello extensions: one codec per extension and the ordered, duplicate-free
 * {@link Extensions} list (RFC 5246 §7.4.1.4).
 *
 * @example Find an extension in a decoded block
 * ```ts
 * import { decodeExtensions, findExtension } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const exts = decodeExtensions(new Uint8Array([0, 6, 0, 28, 0, 2, 4, 0]));
 * assert.equal(findExtension(exts, "record_size_limit")?.limit, 1024);
 * ```
 *
 * @module
 */

export type { ExtensionContext } from "./context.ts";
export { ExtensionType, extensionTypeName } from "./extension_type.ts";
export {
  decodeExtensionData,
  decodeExtensions,
  encodeExtensionData,
  encodeExtensions,
  type Extension,
  extensionCode,
  type Extensions,
  findExtension,
  hasExtension,
  type KnownExtension,
  type KnownExtensionName,
  readExtensions,
  type UnknownExtension,
  writeExtensions,
} from "./extensions.ts";
export {
  decodeServerName,
  encodeServerName,
  type ServerNameExtension,
} from "./server_name.ts";
export {
  decodeMaxFragmentLength,
  encodeMaxFragmentLength,
  MaxFragmentLength,
  maxFragmentLengthBytes,
  type MaxFragmentLengthExtension,
} from "./max_fragment_length.ts";
export {
  type CertificateStatusRequest,
  CertificateStatusType,
  decodeStatusRequest,
  encodeStatusRequest,
  type OcspStatusRequest,
  type StatusRequestExtension,
  type UnknownStatusRequest,
} from "./status_request.ts";
export {
  decodeSupportedGroups,
  encodeSupportedGroups,
  NamedGroup,
  namedGroupName,
  type SupportedGroupsExtension,
} from "./supported_groups.ts";
export {
  decodeEcPointFormats,
  EcPointFormat,
  type EcPointFormatsExtension,
  encodeEcPointFormats,
} from "./ec_point_formats.ts";
export {
  decodeSignatureAlgorithms,
  encodeSignatureAlgorithms,
  type SignatureAlgorithmsExtension,
} from "./signature_algorithms.ts";
export {
  decodeEmptyExtension,
  type EncryptThenMacExtension,
  type ExtendedMasterSecretExtension,
} from "./empty_extensions.ts";
export {
  decodeRecordSizeLimit,
  encodeRecordSizeLimit,
  MIN_RECORD_SIZE_LIMIT,
  type RecordSizeLimitExtension,
} from "./record_size_limit.ts";
export {
  type ConnectionIdExtension,
  decodeConnectionId,
  decodeRenegotiationInfo,
  decodeSessionTicket,
  encodeConnectionId,
  encodeRenegotiationInfo,
  encodeSessionTicket,
  type RenegotiationInfoExtension,
  type SessionTicketExtension,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
} from "./opaque_extensions.ts";
