/**
 * A fixed-size writer for encoding one MQTT packet whose size is computed
 * beforehand, so that every packet costs one allocation and no copies.
 *
 * @module
 */

import { allocBytes } from "./_alloc.ts";
import { writeUtf8 } from "./strings.ts";
import { MAX_REMAINING_LENGTH, varintSize } from "./fixed_header.ts";

function checkRemainingLength(remainingLength: number): void {
  if (remainingLength > MAX_REMAINING_LENGTH) {
    throw new RangeError(
      `Cannot encode packet: remaining length ${remainingLength} exceeds ${MAX_REMAINING_LENGTH}`,
    );
  }
}

/**
 * Writes MQTT wire primitives into a buffer of exactly the packet's size.
 * Values are assumed valid: the encoders check them while sizing.
 *
 * @example
 * ```ts
 * import { PacketWriter } from "./_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const w = PacketWriter.forPacket(0x40, 2); // PUBACK
 * w.u16(7);
 * assert.deepEqual(w.bytes, new Uint8Array([0x40, 0x02, 0x00, 0x07]));
 * ```
 */
export class PacketWriter {
  /** The buffer being written. */
  readonly bytes: Uint8Array;
  #pos: number;

  /**
   * A writer over `bytes` starting at `offset`; most callers want
   * {@link PacketWriter.forPacket}.
   */
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.#pos = offset;
  }

  /**
   * Allocates exactly one packet with the given first byte and Remaining
   * Length and writes its fixed header.
   *
   * @throws {RangeError} when the Remaining Length exceeds 268,435,455.
   */
  static forPacket(byte1: number, remainingLength: number): PacketWriter {
    checkRemainingLength(remainingLength);
    const w = new PacketWriter(
      allocBytes(1 + varintSize(remainingLength) + remainingLength),
    );
    w.u8(byte1);
    w.varint(remainingLength);
    return w;
  }

  /** Writes a fixed header at the current position. */
  header(byte1: number, remainingLength: number): void {
    checkRemainingLength(remainingLength);
    this.u8(byte1);
    this.varint(remainingLength);
  }

  /** Current write position. */
  get position(): number {
    return this.#pos;
  }

  /** One byte. */
  u8(v: number): void {
    this.bytes[this.#pos++] = v;
  }

  /** Big-endian Two Byte Integer. */
  u16(v: number): void {
    const b = this.bytes;
    b[this.#pos] = v >>> 8;
    b[this.#pos + 1] = v;
    this.#pos += 2;
  }

  /** Big-endian Four Byte Integer. */
  u32(v: number): void {
    const b = this.bytes;
    const p = this.#pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.#pos = p + 4;
  }

  /** Variable Byte Integer (§1.5.5). */
  varint(v: number): void {
    const b = this.bytes;
    let x = v;
    do {
      let digit = x & 0x7f;
      x = x >>> 7;
      if (x > 0) digit |= 0x80;
      b[this.#pos++] = digit;
    } while (x > 0);
  }

  /** Raw bytes. */
  raw(data: Uint8Array): void {
    this.bytes.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** UTF-8 string with a two-byte length prefix (length checked by caller). */
  string(text: string): void {
    const p = this.#pos;
    const n = writeUtf8(this.bytes, p + 2, text);
    this.bytes[p] = n >>> 8;
    this.bytes[p + 1] = n;
    this.#pos = p + 2 + n;
  }

  /** Binary data with a two-byte length prefix. */
  binary(data: Uint8Array): void {
    this.u16(data.length);
    this.raw(data);
  }
}
