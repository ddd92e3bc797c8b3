/**
 * The `ec_point_formats` extension (RFC 8422 §5.1.2).
 *
 * ```text
 * enum { uncompressed (0), deprecated (1..2), reserved (248..255) } ECPointFormat;
 * struct { ECPointFormat ec_point_format_list<1..2^8-1> } ECPointFormatList;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import { readUint8List, writeUint8List } from "./_lists.ts";

/**
 * ECPointFormat code points (RFC 8422 §5.1.2). Only `uncompressed` is still
 * defined; the compressed formats are deprecated.
 *
 * @example
 * ```ts
 * import { EcPointFormat } from "./ec_point_formats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EcPointFormat.uncompressed, 0);
 * ```
 */
export const EcPointFormat = {
  uncompressed: 0,
  ansiX962_compressed_prime: 1,
  ansiX962_compressed_char2: 2,
} as const;
/** An ECPointFormat value. */
export type EcPointFormat = typeof EcPointFormat[keyof typeof EcPointFormat];

/** `ec_point_formats`: the point encodings a peer can parse. */
export interface EcPointFormatsExtension {
  readonly type: "ec_point_formats";
  readonly formats: readonly number[];
}

/**
 * Encodes the `ec_point_formats` extension_data.
 *
 * @example
 * ```ts
 * import { encodeEcPointFormats } from "./ec_point_formats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeEcPointFormats({ type: "ec_point_formats", formats: [0] }),
 *   new Uint8Array([1, 0]),
 * );
 * ```
 */
export function encodeEcPointFormats(
  ext: EcPointFormatsExtension,
): Uint8Array {
  const w = new ByteWriter(1 + ext.formats.length);
  writeUint8List(w, ext.formats, "ec_point_formats");
  return w.finish();
}

/**
 * Decodes the `ec_point_formats` extension_data.
 *
 * @throws {DecodeError} on a malformed list.
 * @throws {TlsAlertError} `decode_error` for an empty list, `illegal_parameter`
 *   for a list without `uncompressed` (RFC 8422 §5.1.2).
 *
 * @example
 * ```ts
 * import { decodeEcPointFormats } from "./ec_point_formats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeEcPointFormats(new Uint8Array([3, 0, 1, 2])),
 *   { type: "ec_point_formats", formats: [0, 1, 2] },
 * );
 * assert.throws(() => decodeEcPointFormats(new Uint8Array([1, 1])));
 * ```
 */
export function decodeEcPointFormats(
  data: Uint8Array,
): EcPointFormatsExtension {
  const r = new ByteReader(data);
  const list = r.vector8("ec_point_formats.ec_point_format_list");
  r.expectEnd("ec_point_formats");
  const formats = readUint8List(list, "ec_point_formats.ec_point_format_list");
  // RFC 8422 §5.1.2: the uncompressed format MUST be supported, and a list
  // without it is aborted with illegal_parameter.
  if (!formats.includes(EcPointFormat.uncompressed)) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      "ec_point_formats does not include uncompressed",
    );
  }
  return { type: "ec_point_formats", formats };
}
