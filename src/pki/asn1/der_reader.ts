/**
 * A strict DER reader (X.690 §10): definite, minimal lengths only, every
 * read bounds-checked and failing with {@link DecodeError}.
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import { decodeOid } from "./oid.ts";
import { Tag } from "./tags.ts";
import { decodeGeneralizedTime, decodeUtcTime } from "./time.ts";

/** One tag-length-value element. */
export interface DerElement {
  /** Identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** Content octets. */
  readonly value: Uint8Array;
  /** The whole element: identifier, length and content (what a signature covers). */
  readonly raw: Uint8Array;
  /** Absolute offset of the identifier octet in the outermost input. */
  readonly offset: number;
  /** Absolute offset of the first content octet. */
  readonly valueOffset: number;
}

/** A BIT STRING's content. */
export interface BitString {
  /** Number of unused bits in the last byte (0–7). */
  readonly unusedBits: number;
  /** The bits, most significant first. */
  readonly bytes: Uint8Array;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a sequence of DER elements from a byte array.
 *
 * Structured reads (`sequence`, `set`, `context`) return a reader limited to
 * the element's content, so a nested structure cannot read past its end.
 *
 * @example Read an AlgorithmIdentifier
 * ```ts
 * import { DerReader } from "./der_reader.ts";
 * import assert from "node:assert/strict";
 *
 * // SEQUENCE { OID 1.2.840.10045.4.3.2 }
 * const der = new Uint8Array([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
 * const r = new DerReader(der);
 * const alg = r.sequence("AlgorithmIdentifier");
 * assert.equal(alg.oid("algorithm"), "1.2.840.10045.4.3.2");
 * alg.expectEnd("AlgorithmIdentifier");
 * r.expectEnd("input");
 * ```
 */
export class DerReader {
  readonly #bytes: Uint8Array;
  readonly #base: number;
  #pos = 0;

  /**
   * @param bytes DER bytes; not copied.
   * @param base Offset of `bytes[0]` in the outermost input, for error messages.
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.#bytes = bytes;
    this.#base = base;
  }

  /** A reader over an element's content. */
  static of(element: DerElement): DerReader {
    return new DerReader(element.value, element.valueOffset);
  }

  /** Whether any bytes are left. */
  anyLeft(): boolean {
    return this.#pos < this.#bytes.length;
  }

  /** Throws {@link DecodeError} if bytes are left. */
  expectEnd(what = "DER structure"): void {
    if (this.anyLeft()) {
      throw new DecodeError(
        what,
        this.#base + this.#pos,
        `${this.#bytes.length - this.#pos} trailing bytes`,
      );
    }
  }

  /** The identifier octet of the next element, or `undefined` at the end. */
  peekTag(): number | undefined {
    return this.#bytes[this.#pos];
  }

  /** Reads the next element whatever its tag. */
  next(what = "DER element"): DerElement {
    const start = this.#pos;
    const at = this.#base + start;
    const b = this.#bytes;
    if (start >= b.length) {
      throw new DecodeError(what, at, "unexpected end of input");
    }
    const tag = b[start] as number;
    if ((tag & 0x1f) === 0x1f) {
      throw new DecodeError(what, at, "high tag numbers are not supported");
    }
    if (start + 1 >= b.length) {
      throw new DecodeError(what, at + 1, "missing length");
    }
    const first = b[start + 1] as number;
    let length: number;
    let header = 2;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      throw new DecodeError(what, at + 1, "indefinite length is not DER");
    } else {
      const n = first & 0x7f;
      if (n > 4) {
        throw new DecodeError(
          what,
          at + 1,
          `length of ${n} bytes is too large`,
        );
      }
      if (start + 2 + n > b.length) {
        throw new DecodeError(what, at + 2, "truncated length");
      }
      length = 0;
      for (let i = 0; i < n; i++) {
        length = length * 256 + (b[start + 2 + i] as number);
      }
      if (b[start + 2] === 0 || length < 0x80) {
        throw new DecodeError(what, at + 1, "non-minimal length");
      }
      header = 2 + n;
    }
    const end = start + header + length;
    if (end > b.length) {
      throw new DecodeError(
        what,
        at,
        `length ${length} runs past the end of the input`,
      );
    }
    this.#pos = end;
    return {
      tag,
      value: b.subarray(start + header, end),
      raw: b.subarray(start, end),
      offset: at,
      valueOffset: at + header,
    };
  }

  /** Reads the next element and checks its identifier octet. */
  read(tag: number, what = "DER element"): DerElement {
    const got = this.peekTag();
    if (got !== tag) {
      throw new DecodeError(
        what,
        this.#base + this.#pos,
        got === undefined
          ? "unexpected end of input"
          : `expected tag 0x${hex(tag)}, got 0x${hex(got)}`,
      );
    }
    return this.next(what);
  }

  /** Reads the next element if it has identifier `tag`. */
  optional(tag: number, what = "DER element"): DerElement | undefined {
    return this.peekTag() === tag ? this.next(what) : undefined;
  }

  /** Reads a SEQUENCE and returns a reader over its content. */
  sequence(what = "SEQUENCE"): DerReader {
    return DerReader.of(this.read(Tag.SEQUENCE, what));
  }

  /** Reads a SET and returns a reader over its content. */
  set(what = "SET"): DerReader {
    return DerReader.of(this.read(Tag.SET, what));
  }

  /**
   * Reads a constructed context-specific `[n]` element if present and returns
   * a reader over its content (EXPLICIT tagging, or IMPLICIT SEQUENCE).
   */
  context(n: number, what = `[${n}]`): DerReader | undefined {
    const el = this.optional(0xa0 | n, what);
    return el ? DerReader.of(el) : undefined;
  }

  /** Reads an INTEGER as a bigint (two's complement, minimal). */
  integer(what = "INTEGER"): bigint {
    const el = this.read(Tag.INTEGER, what);
    return integerValue(el, what);
  }

  /** Reads an INTEGER that fits in a safe JS number. */
  smallInteger(what = "INTEGER"): number {
    const v = this.integer(what);
    if (
      v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)
    ) {
      throw new DecodeError(what, this.#base + this.#pos, "integer too large");
    }
    return Number(v);
  }

  /** Reads a non-negative INTEGER as big-endian magnitude bytes (leading zeros removed). */
  unsignedBytes(what = "INTEGER"): Uint8Array {
    const el = this.read(Tag.INTEGER, what);
    integerValue(el, what);
    if (((el.value[0] as number) & 0x80) !== 0) {
      throw new DecodeError(
        what,
        el.valueOffset,
        "negative where unsigned expected",
      );
    }
    let i = 0;
    while (i < el.value.length - 1 && el.value[i] === 0) i++;
    return el.value.subarray(i);
  }

  /** Reads an OBJECT IDENTIFIER in dotted form. */
  oid(what = "OBJECT IDENTIFIER"): string {
    const el = this.read(Tag.OID, what);
    return decodeOid(el.value, el.valueOffset);
  }

  /** Reads a BOOLEAN (DER: 0x00 or 0xff). */
  boolean(what = "BOOLEAN"): boolean {
    const el = this.read(Tag.BOOLEAN, what);
    if (el.value.length !== 1 || (el.value[0] !== 0 && el.value[0] !== 0xff)) {
      throw new DecodeError(what, el.valueOffset, "not a DER boolean");
    }
    return el.value[0] === 0xff;
  }

  /** Reads a NULL. */
  null(what = "NULL"): void {
    const el = this.read(Tag.NULL, what);
    if (el.value.length !== 0) {
      throw new DecodeError(what, el.valueOffset, "NULL with content");
    }
  }

  /** Reads an OCTET STRING's content. */
  octetString(what = "OCTET STRING"): Uint8Array {
    return this.read(Tag.OCTET_STRING, what).value;
  }

  /** Reads a BIT STRING. */
  bitString(what = "BIT STRING"): BitString {
    const el = this.read(Tag.BIT_STRING, what);
    return bitStringValue(el, what);
  }

  /** Reads a BIT STRING that must be a whole number of bytes (keys, signatures). */
  bitStringBytes(what = "BIT STRING"): Uint8Array {
    const bits = this.bitString(what);
    if (bits.unusedBits !== 0) {
      throw new DecodeError(
        what,
        this.#base + this.#pos,
        "unused bits in a byte string",
      );
    }
    return bits.bytes;
  }

  /** Reads a UTCTime or GeneralizedTime. */
  time(what = "Time"): Date {
    const tag = this.peekTag();
    if (tag === Tag.GENERALIZED_TIME) {
      const el = this.next(what);
      return decodeGeneralizedTime(el.value, el.valueOffset);
    }
    const el = this.read(Tag.UTC_TIME, what);
    return decodeUtcTime(el.value, el.valueOffset);
  }

  /** Reads any ASN.1 character string type as a JS string. */
  string(what = "string"): string {
    const el = this.next(what);
    return stringValue(el, what);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/**
 * Decodes an INTEGER element's content (two's complement, minimal).
 *
 * @example
 * ```ts
 * import { DerReader, integerValue } from "./der_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const el = new DerReader(new Uint8Array([0x02, 0x01, 0xff])).next();
 * assert.equal(integerValue(el), -1n);
 * ```
 */
export function integerValue(el: DerElement, what = "INTEGER"): bigint {
  const v = el.value;
  if (v.length === 0) {
    throw new DecodeError(what, el.valueOffset, "empty integer");
  }
  if (
    v.length > 1 &&
    ((v[0] === 0 && ((v[1] as number) & 0x80) === 0) ||
      (v[0] === 0xff && ((v[1] as number) & 0x80) !== 0))
  ) {
    throw new DecodeError(what, el.valueOffset, "non-minimal integer");
  }
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (((v[0] as number) & 0x80) !== 0) n -= 1n << BigInt(8 * v.length);
  return n;
}

/**
 * Decodes a BIT STRING element's content.
 *
 * @example
 * ```ts
 * import { bitStringValue, DerReader } from "./der_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const el = new DerReader(new Uint8Array([0x03, 0x02, 0x07, 0x80])).next();
 * assert.equal(bitStringValue(el).unusedBits, 7);
 * ```
 */
export function bitStringValue(el: DerElement, what = "BIT STRING"): BitString {
  const v = el.value;
  if (v.length === 0) {
    throw new DecodeError(what, el.valueOffset, "missing unused-bits octet");
  }
  const unusedBits = v[0] as number;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) {
    throw new DecodeError(
      what,
      el.valueOffset,
      `bad unused-bits count ${unusedBits}`,
    );
  }
  // X.690 §11.2.1: in DER the unused bits are zero.
  if (unusedBits && ((v[v.length - 1] as number) & ((1 << unusedBits) - 1))) {
    throw new DecodeError(what, el.valueOffset, "non-zero unused bits");
  }
  return { unusedBits, bytes: v.subarray(1) };
}

/**
 * Decodes a character string element (UTF8String, PrintableString,
 * IA5String, VisibleString, T61String, BMPString, UniversalString).
 *
 * @example
 * ```ts
 * import { DerReader, stringValue } from "./der_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const el = new DerReader(new Uint8Array([0x0c, 0x02, 0x68, 0x69])).next();
 * assert.equal(stringValue(el), "hi");
 * ```
 */
export function stringValue(el: DerElement, what = "string"): string {
  const v = el.value;
  switch (el.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8.decode(v);
      } catch {
        throw new DecodeError(what, el.valueOffset, "invalid UTF-8");
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.VISIBLE_STRING:
      for (let i = 0; i < v.length; i++) {
        if ((v[i] as number) > 0x7f) {
          throw new DecodeError(
            what,
            el.valueOffset + i,
            "non-ASCII character",
          );
        }
      }
      return latin1.decode(v);
    case Tag.T61_STRING:
      return latin1.decode(v);
    case Tag.BMP_STRING: {
      if (v.length % 2) {
        throw new DecodeError(what, el.valueOffset, "odd BMPString length");
      }
      let s = "";
      for (let i = 0; i < v.length; i += 2) {
        s += String.fromCharCode(
          ((v[i] as number) << 8) | (v[i + 1] as number),
        );
      }
      return s;
    }
    case Tag.UNIVERSAL_STRING: {
      if (v.length % 4) {
        throw new DecodeError(
          what,
          el.valueOffset,
          "bad UniversalString length",
        );
      }
      let s = "";
      for (let i = 0; i < v.length; i += 4) {
        const cp = (((v[i] as number) << 24) | ((v[i + 1] as number) << 16) |
          ((v[i + 2] as number) << 8) | (v[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff) {
          throw new DecodeError(
            what,
            el.valueOffset + i,
            "code point out of range",
          );
        }
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new DecodeError(
        what,
        el.offset,
        `tag 0x${hex(el.tag)} is not a string type`,
      );
  }
}
