/**
 * The `record_size_limit` extension (RFC 8449 §4).
 *
 * ```text
 * uint16 RecordSizeLimit;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/** Smallest RecordSizeLimit a peer may send (RFC 8449 §4). */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** `record_size_limit`: the largest record plaintext the sender will accept. */
export interface RecordSizeLimitExtension {
  readonly type: "record_size_limit";
  readonly limit: number;
}

/**
 * Encodes the `record_size_limit` extension_data.
 *
 * @example
 * ```ts
 * import { encodeRecordSizeLimit } from "./record_size_limit.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeRecordSizeLimit({ type: "record_size_limit", limit: 1024 }),
 *   new Uint8Array([4, 0]),
 * );
 * ```
 */
export function encodeRecordSizeLimit(
  ext: RecordSizeLimitExtension,
): Uint8Array {
  if (ext.limit < MIN_RECORD_SIZE_LIMIT) {
    throw new RangeError(
      `Cannot encode record_size_limit: ${ext.limit} is below ${MIN_RECORD_SIZE_LIMIT}`,
    );
  }
  return new ByteWriter(2).uint16(ext.limit).finish();
}

/**
 * Decodes the `record_size_limit` extension_data. A value above 2^14 is
 * accepted: RFC 8449 §4 forbids a server to enforce the protocol maximum,
 * and the record layer uses the smaller of the two anyway.
 *
 * @throws {DecodeError} unless the data is two bytes.
 * @throws {TlsAlertError} `illegal_parameter` for a value below 64 (RFC 8449 §4).
 *
 * @example
 * ```ts
 * import { decodeRecordSizeLimit } from "./record_size_limit.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeRecordSizeLimit(new Uint8Array([0x40, 1])),
 *   { type: "record_size_limit", limit: 16385 },
 * );
 * assert.throws(() => decodeRecordSizeLimit(new Uint8Array([0, 63])));
 * ```
 */
export function decodeRecordSizeLimit(
  data: Uint8Array,
): RecordSizeLimitExtension {
  const r = new ByteReader(data);
  const limit = r.uint16("record_size_limit");
  r.expectEnd("record_size_limit");
  // RFC 8449 §4: "Endpoints MUST NOT send a value smaller than 64 ... An
  // endpoint MUST treat receipt of a smaller value as a fatal error and
  // generate an illegal_parameter alert."
  if (limit < MIN_RECORD_SIZE_LIMIT) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `record_size_limit ${limit} is below ${MIN_RECORD_SIZE_LIMIT}`,
    );
  }
  return { type: "record_size_limit", limit };
}
