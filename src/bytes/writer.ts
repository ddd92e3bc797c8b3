/**
 * A growable big-endian byte writer with length-prefixed vectors.
 *
 * @module
 */

/**
 * Appends big-endian integers and byte strings to a growing buffer.
 *
 * Length-prefixed vectors are written with a callback; the prefix is filled
 * in once the body is known and checked against the prefix width.
 *
 * @example Write a TLS-style vector
 * ```ts
 * import { ByteWriter } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * const w = new ByteWriter();
 * w.vector16((v) => v.bytes(new Uint8Array([0xab, 0xcd])));
 * assert.deepEqual(w.finish(), new Uint8Array([0, 2, 0xab, 0xcd]));
 * ```
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /**
   * @param capacity Bytes to reserve up front (a hint: the writer grows as
   *   needed).
   */
  constructor(capacity = 256) {
    this.#buf = takeScratch(capacity);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = Math.max(SCRATCH_SIZE, this.#buf.length * 2);
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #uint(value: number, n: number): this {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * n)) {
      throw new RangeError(`Cannot write ${value} as a ${8 * n}-bit integer`);
    }
    this.#reserve(n);
    const buf = this.#buf;
    const end = this.#len + n - 1;
    if (n <= 4) {
      for (let i = 0; i < n; i++) buf[end - i] = value >>> (8 * i);
    } else {
      let v = value;
      for (let i = 0; i < n; i++) {
        buf[end - i] = v % 256;
        v = Math.floor(v / 256);
      }
    }
    this.#len += n;
    return this;
  }

  /** Appends one byte. */
  uint8(value: number): this {
    return this.#uint(value, 1);
  }

  /** Appends a big-endian 16-bit integer. */
  uint16(value: number): this {
    return this.#uint(value, 2);
  }

  /** Appends a big-endian 24-bit integer. */
  uint24(value: number): this {
    return this.#uint(value, 3);
  }

  /** Appends a big-endian 32-bit integer. */
  uint32(value: number): this {
    return this.#uint(value, 4);
  }

  /** Appends a big-endian 48-bit integer. */
  uint48(value: number): this {
    return this.#uint(value, 6);
  }

  /** Appends raw bytes. */
  bytes(data: Uint8Array): this {
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  #vector(prefix: number, body: (w: ByteWriter) => void): this {
    const start = this.#len;
    this.#uint(0, prefix);
    body(this);
    const n = this.#len - start - prefix;
    if (n >= 2 ** (8 * prefix)) {
      throw new RangeError(`Cannot fit ${n} bytes in a ${prefix}-byte length`);
    }
    let v = n;
    for (let i = prefix - 1; i >= 0; i--) {
      this.#buf[start + i] = v % 256;
      v = Math.floor(v / 256);
    }
    return this;
  }

  /** Appends a vector with a one-byte length prefix written by `body`. */
  vector8(body: (w: ByteWriter) => void): this {
    return this.#vector(1, body);
  }

  /** Appends a vector with a two-byte length prefix written by `body`. */
  vector16(body: (w: ByteWriter) => void): this {
    return this.#vector(2, body);
  }

  /** Appends a vector with a three-byte length prefix written by `body`. */
  vector24(body: (w: ByteWriter) => void): this {
    return this.#vector(3, body);
  }

  /**
   * Returns a copy of the bytes written and empties the writer (its buffer
   * goes back to a small pool shared by all writers, so encoding a message
   * allocates only its result).
   */
  finish(): Uint8Array {
    const out = this.#buf.slice(0, this.#len);
    giveScratch(this.#buf);
    this.#buf = EMPTY;
    this.#len = 0;
    return out;
  }
}

const EMPTY = new Uint8Array(0);
const SCRATCH_SIZE = 1024;
const MAX_POOLED_SIZE = 65_536;
const MAX_POOLED = 16;
const scratch: Uint8Array[] = [];

/** A buffer of at least `capacity` bytes: a pooled one when one is big enough. */
function takeScratch(capacity: number): Uint8Array {
  const pooled = scratch.pop();
  if (pooled !== undefined && pooled.length >= capacity) return pooled;
  if (pooled !== undefined) scratch.push(pooled);
  return new Uint8Array(Math.max(SCRATCH_SIZE, capacity));
}

function giveScratch(buf: Uint8Array): void {
  if (
    buf.length >= SCRATCH_SIZE && buf.length <= MAX_POOLED_SIZE &&
    scratch.length < MAX_POOLED
  ) {
    scratch.push(buf);
  }
}

/**
 * Concatenates byte arrays into one new array.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   concatBytes(new Uint8Array([1]), new Uint8Array([2, 3])),
 *   new Uint8Array([1, 2, 3]),
 * );
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
