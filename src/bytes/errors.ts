/**
 * The one error every decoder in postern throws for malformed input.
 *
 * @module
 */

/**
 * Input bytes could not be decoded: truncated, over-long, trailing data or a
 * value outside what the format allows.
 *
 * `offset` is where in the input the problem was found and `what` names the
 * structure being read, so that a log line can say "ClientHello.cipher_suites
 * at 43" rather than "out of range".
 *
 * @example Catch a decode failure
 * ```ts
 * import { ByteReader, DecodeError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new ByteReader(new Uint8Array([1]));
 * assert.throws(() => r.uint16("length"), DecodeError);
 * ```
 */
export class DecodeError extends SyntaxError {
  /** Offset in the input at which decoding failed. */
  readonly offset: number;
  /** The structure or field that was being decoded. */
  readonly what: string;

  /**
   * @param what The structure or field being decoded.
   * @param offset Offset in the input where decoding failed.
   * @param detail What exactly was wrong.
   */
  constructor(what: string, offset: number, detail: string) {
    super(`Cannot decode ${what} at offset ${offset}: ${detail}`);
    this.name = "DecodeError";
    this.what = what;
    this.offset = offset;
  }
}
