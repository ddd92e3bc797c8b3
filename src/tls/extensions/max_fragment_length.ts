/**
 * The `max_fragment_length` extension (RFC 6066 §4).
 *
 * ```text
 * enum { 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) } MaxFragmentLength;
 * ```
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/**
 * MaxFragmentLength code points.
 *
 * @example
 * ```ts
 * import { MaxFragmentLength } from "./max_fragment_length.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MaxFragmentLength.bytes1024, 2);
 * ```
 */
export const MaxFragmentLength = {
  bytes512: 1,
  bytes1024: 2,
  bytes2048: 3,
  bytes4096: 4,
} as const;
/** A MaxFragmentLength value. */
export type MaxFragmentLength =
  typeof MaxFragmentLength[keyof typeof MaxFragmentLength];

/** `max_fragment_length`: the largest plaintext fragment the client accepts. */
export interface MaxFragmentLengthExtension {
  readonly type: "max_fragment_length";
  readonly code: MaxFragmentLength;
}

/**
 * The fragment size in bytes a MaxFragmentLength code stands for.
 *
 * @example
 * ```ts
 * import { maxFragmentLengthBytes } from "./max_fragment_length.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(maxFragmentLengthBytes(1), 512);
 * assert.equal(maxFragmentLengthBytes(4), 4096);
 * ```
 */
export function maxFragmentLengthBytes(code: MaxFragmentLength): number {
  return 2 ** (8 + code);
}

/**
 * Encodes the `max_fragment_length` extension_data.
 *
 * @example
 * ```ts
 * import { encodeMaxFragmentLength } from "./max_fragment_length.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeMaxFragmentLength({ type: "max_fragment_length", code: 2 }),
 *   new Uint8Array([2]),
 * );
 * ```
 */
export function encodeMaxFragmentLength(
  ext: MaxFragmentLengthExtension,
): Uint8Array {
  return new Uint8Array([ext.code]);
}

/**
 * Decodes the `max_fragment_length` extension_data.
 *
 * @throws {DecodeError} unless the data is one byte.
 * @throws {TlsAlertError} `illegal_parameter` for a value outside 1..4 (RFC 6066 §4).
 *
 * @example
 * ```ts
 * import { decodeMaxFragmentLength } from "./max_fragment_length.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeMaxFragmentLength(new Uint8Array([3])), { type: "max_fragment_length", code: 3 });
 * assert.throws(() => decodeMaxFragmentLength(new Uint8Array([5])));
 * ```
 */
export function decodeMaxFragmentLength(
  data: Uint8Array,
): MaxFragmentLengthExtension {
  if (data.length !== 1) {
    throw new DecodeError(
      "max_fragment_length",
      0,
      `length ${data.length}, expected 1`,
    );
  }
  const code = data[0] as number;
  // RFC 6066 §4: a value outside the enumeration is an illegal_parameter.
  if (code < 1 || code > 4) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `max_fragment_length value ${code} is not defined`,
    );
  }
  return { type: "max_fragment_length", code: code as MaxFragmentLength };
}
