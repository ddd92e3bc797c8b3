/**
 * The `signature_algorithms` extension (RFC 5246 §7.4.1.4.1; the TLS 1.3
 * SignatureScheme code points of RFC 8446 §4.2.3 are the same 16-bit values,
 * see `../signature_schemes.ts`).
 *
 * ```text
 * SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { readUint16List, writeUint16List } from "./_lists.ts";

/** `signature_algorithms`: the signature schemes a peer accepts, in preference order. */
export interface SignatureAlgorithmsExtension {
  readonly type: "signature_algorithms";
  readonly schemes: readonly number[];
}

/**
 * Encodes the `signature_algorithms` extension_data.
 *
 * @example
 * ```ts
 * import { encodeSignatureAlgorithms } from "./signature_algorithms.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeSignatureAlgorithms({ type: "signature_algorithms", schemes: [0x0403, 0x0804] }),
 *   new Uint8Array([0, 4, 4, 3, 8, 4]),
 * );
 * ```
 */
export function encodeSignatureAlgorithms(
  ext: SignatureAlgorithmsExtension,
): Uint8Array {
  const w = new ByteWriter(2 + 2 * ext.schemes.length);
  writeUint16List(w, ext.schemes, "signature_algorithms");
  return w.finish();
}

/**
 * Decodes the `signature_algorithms` extension_data.
 *
 * @throws {DecodeError} on a malformed or odd-length list.
 * @throws {TlsAlertError} `decode_error` for an empty list.
 *
 * @example
 * ```ts
 * import { decodeSignatureAlgorithms } from "./signature_algorithms.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeSignatureAlgorithms(new Uint8Array([0, 2, 4, 3])),
 *   { type: "signature_algorithms", schemes: [0x0403] },
 * );
 * ```
 */
export function decodeSignatureAlgorithms(
  data: Uint8Array,
): SignatureAlgorithmsExtension {
  const r = new ByteReader(data);
  const list = r.vector16(
    "signature_algorithms.supported_signature_algorithms",
  );
  r.expectEnd("signature_algorithms");
  return {
    type: "signature_algorithms",
    schemes: readUint16List(
      list,
      "signature_algorithms.supported_signature_algorithms",
    ),
  };
}
