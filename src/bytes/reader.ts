/**
 * A bounds-checked big-endian reader over a byte array.
 *
 * Every read checks the remaining length first and throws {@link DecodeError}
 * instead of returning `undefined` or throwing a `RangeError`.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

/**
 * Reads big-endian integers and length-prefixed vectors from a byte array.
 *
 * `sub()` and the `vector*()` methods return a new reader limited to a slice,
 * so nested structures cannot read past their own end; `expectEnd()` rejects
 * trailing data.
 *
 * @example Read a TLS-style vector
 * ```ts
 * import { ByteReader } from "./reader.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new ByteReader(new Uint8Array([0, 2, 0xab, 0xcd, 7]));
 * assert.deepEqual(r.vector16("body").rest(), new Uint8Array([0xab, 0xcd]));
 * assert.equal(r.uint8("tail"), 7);
 * r.expectEnd("record");
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #base: number;
  #pos = 0;

  /**
   * @param bytes The bytes to read; not copied.
   * @param base Offset of `bytes[0]` in the outermost input, for error messages.
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.#bytes = bytes;
    this.#base = base;
  }

  /** Current position relative to the start of this reader. */
  get position(): number {
    return this.#pos;
  }

  /** Offset of the current position in the outermost input. */
  get absolutePosition(): number {
    return this.#base + this.#pos;
  }

  /** Number of bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** Whether any bytes are left. */
  anyLeft(): boolean {
    return this.#pos < this.#bytes.length;
  }

  #need(n: number, what: string, suffix = ""): void {
    if (n > this.#bytes.length - this.#pos) {
      throw new DecodeError(
        what + suffix,
        this.absolutePosition,
        `needs ${n} bytes, ${this.remaining} left`,
      );
    }
  }

  /** Reads one unsigned byte. */
  uint8(what = "uint8"): number {
    this.#need(1, what);
    return this.#bytes[this.#pos++] as number;
  }

  /** Reads a big-endian unsigned 16-bit integer. */
  uint16(what = "uint16"): number {
    return this.#uint(2, what);
  }

  /** Reads a big-endian unsigned 24-bit integer. */
  uint24(what = "uint24"): number {
    return this.#uint(3, what);
  }

  /** Reads a big-endian unsigned 32-bit integer. */
  uint32(what = "uint32"): number {
    return this.#uint(4, what);
  }

  /** Reads a big-endian unsigned 48-bit integer (exact as a JS number). */
  uint48(what = "uint48"): number {
    return this.#uint(6, what);
  }

  #uint(n: number, what: string, suffix = ""): number {
    this.#need(n, what, suffix);
    let v = 0;
    for (let i = 0; i < n; i++) {
      v = v * 256 + (this.#bytes[this.#pos + i] as number);
    }
    this.#pos += n;
    return v;
  }

  /** Returns the next `n` bytes as a view (not a copy) and advances. */
  take(n: number, what = "bytes"): Uint8Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new DecodeError(what, this.absolutePosition, `bad length ${n}`);
    }
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Returns the next `n` bytes without advancing. */
  peek(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    return this.#bytes.subarray(this.#pos, this.#pos + n);
  }

  /** Skips `n` bytes. */
  skip(n: number, what = "bytes"): void {
    this.take(n, what);
  }

  /** Returns a reader over the next `n` bytes and advances past them. */
  sub(n: number, what = "sub-structure"): ByteReader {
    const start = this.absolutePosition;
    return new ByteReader(this.take(n, what), start);
  }

  /** Reads a vector with a one-byte length prefix. */
  vector8(what = "vector"): ByteReader {
    return this.sub(this.#uint(1, what, " length"), what);
  }

  /** Reads a vector with a two-byte length prefix. */
  vector16(what = "vector"): ByteReader {
    return this.sub(this.#uint(2, what, " length"), what);
  }

  /** Reads a vector with a three-byte length prefix. */
  vector24(what = "vector"): ByteReader {
    return this.sub(this.#uint(3, what, " length"), what);
  }

  /** Returns all remaining bytes (a view) and advances to the end. */
  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  /** Throws {@link DecodeError} if any bytes are left. */
  expectEnd(what = "structure"): void {
    if (this.anyLeft()) {
      throw new DecodeError(
        what,
        this.absolutePosition,
        `${this.remaining} trailing bytes`,
      );
    }
  }
}
