/**
 * Finished (RFC 5246 §7.4.9): `opaque verify_data[verify_data_length];`
 *
 * verify_data_length is 12 for every suite postern implements (RFC 5246
 * §7.4.9: "unless explicitly specified" by the suite). Compare it with
 * `constantTimeEqual`, never with `===` on bytes.
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";

/**
 * verify_data_length of every suite postern implements.
 *
 * @example
 * ```ts
 * import { VERIFY_DATA_LENGTH } from "./finished.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(VERIFY_DATA_LENGTH, 12);
 * ```
 */
export const VERIFY_DATA_LENGTH = 12;

/** A Finished body. */
export interface Finished {
  readonly verifyData: Uint8Array;
}

/** Options for {@link decodeFinished}. */
export interface FinishedOptions {
  /** Expected verify_data length; 12 unless the suite says otherwise. */
  readonly verifyDataLength?: number;
}

/**
 * Encodes a Finished body.
 *
 * @example
 * ```ts
 * import { encodeFinished } from "./finished.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeFinished({ verifyData: new Uint8Array(12) }).length, 12);
 * ```
 */
export function encodeFinished(msg: Finished): Uint8Array {
  return msg.verifyData.slice();
}

/**
 * Decodes a Finished body of the expected length.
 *
 * @throws {DecodeError} if the body is not exactly `verifyDataLength` bytes.
 *
 * @example
 * ```ts
 * import { decodeFinished } from "./finished.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeFinished(new Uint8Array(12)).verifyData.length, 12);
 * assert.throws(() => decodeFinished(new Uint8Array(13)));
 * ```
 */
export function decodeFinished(
  body: Uint8Array,
  options: FinishedOptions = {},
): Finished {
  const expected = options.verifyDataLength ?? VERIFY_DATA_LENGTH;
  if (body.length !== expected) {
    throw new DecodeError(
      "Finished.verify_data",
      0,
      `length ${body.length}, expected ${expected}`,
    );
  }
  return { verifyData: body.slice() };
}
