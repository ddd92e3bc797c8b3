/**
 * DER encoding (X.690 §10) as small composable functions: each returns a
 * complete element, and constructed types take their children's encodings.
 *
 * @module
 */

import { concatBytes } from "../../bytes/mod.ts";
import { encodeOid } from "./oid.ts";
import { Tag } from "./tags.ts";
import { encodeGeneralizedTime, encodeUtcTime } from "./time.ts";

const encoder = new TextEncoder();

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return new Uint8Array([0x80 | bytes.length, ...bytes]);
}

/**
 * Encodes one element from its identifier octet and content.
 *
 * @example
 * ```ts
 * import { derTlv } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derTlv(0x04, new Uint8Array([1])), new Uint8Array([0x04, 0x01, 0x01]));
 * ```
 */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(
    new Uint8Array([tag]),
    encodeLength(content.length),
    content,
  );
}

/**
 * Encodes a SEQUENCE of already-encoded elements.
 *
 * @example
 * ```ts
 * import { derNull, derSequence } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derSequence([derNull()]), new Uint8Array([0x30, 0x02, 0x05, 0x00]));
 * ```
 */
export function derSequence(children: Uint8Array[]): Uint8Array {
  return derTlv(Tag.SEQUENCE, concatBytes(...children));
}

/**
 * Encodes a SET OF, sorting the elements as DER requires (X.690 §11.6).
 *
 * @example
 * ```ts
 * import { derInteger, derSet } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derSet([derInteger(2n), derInteger(1n)]), new Uint8Array([0x31, 6, 2, 1, 1, 2, 1, 2]));
 * ```
 */
export function derSet(children: Uint8Array[]): Uint8Array {
  const sorted = [...children].sort(compareBytes);
  return derTlv(Tag.SET, concatBytes(...sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Encodes an INTEGER from a bigint, or from unsigned big-endian magnitude bytes.
 *
 * @example
 * ```ts
 * import { derInteger } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derInteger(128n), new Uint8Array([0x02, 0x02, 0x00, 0x80]));
 * assert.deepEqual(derInteger(new Uint8Array([0x80])), new Uint8Array([0x02, 0x02, 0x00, 0x80]));
 * ```
 */
export function derInteger(value: bigint | number | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    const mag = value.length === 0 ? new Uint8Array([0]) : value.subarray(i);
    const content = ((mag[0] as number) & 0x80)
      ? concatBytes(new Uint8Array([0]), mag)
      : mag;
    return derTlv(Tag.INTEGER, content);
  }
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v >= 0n) {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n || ((bytes[0] as number) & 0x80) === 0);
  }
  return derTlv(Tag.INTEGER, new Uint8Array(bytes));
}

/**
 * Encodes an OBJECT IDENTIFIER from dotted form.
 *
 * @example
 * ```ts
 * import { derOid } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derOid("2.5.4.3"), new Uint8Array([0x06, 0x03, 0x55, 0x04, 0x03]));
 * ```
 */
export function derOid(oid: string): Uint8Array {
  return derTlv(Tag.OID, encodeOid(oid));
}

/**
 * Encodes NULL.
 *
 * @example
 * ```ts
 * import { derNull } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derNull(), new Uint8Array([0x05, 0x00]));
 * ```
 */
export function derNull(): Uint8Array {
  return new Uint8Array([Tag.NULL, 0]);
}

/**
 * Encodes a BOOLEAN.
 *
 * @example
 * ```ts
 * import { derBoolean } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derBoolean(true), new Uint8Array([0x01, 0x01, 0xff]));
 * ```
 */
export function derBoolean(value: boolean): Uint8Array {
  return new Uint8Array([Tag.BOOLEAN, 1, value ? 0xff : 0]);
}

/**
 * Encodes an OCTET STRING.
 *
 * @example
 * ```ts
 * import { derOctetString } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derOctetString(new Uint8Array([9])), new Uint8Array([0x04, 0x01, 0x09]));
 * ```
 */
export function derOctetString(content: Uint8Array): Uint8Array {
  return derTlv(Tag.OCTET_STRING, content);
}

/**
 * Encodes a BIT STRING.
 *
 * @example
 * ```ts
 * import { derBitString } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derBitString(new Uint8Array([0xa0]), 5), new Uint8Array([0x03, 0x02, 0x05, 0xa0]));
 * ```
 */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return derTlv(
    Tag.BIT_STRING,
    concatBytes(new Uint8Array([unusedBits]), bytes),
  );
}

/**
 * Encodes a UTF8String.
 *
 * @example
 * ```ts
 * import { derUtf8String } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derUtf8String("hi"), new Uint8Array([0x0c, 0x02, 0x68, 0x69]));
 * ```
 */
export function derUtf8String(text: string): Uint8Array {
  return derTlv(Tag.UTF8_STRING, encoder.encode(text));
}

/**
 * Encodes a PrintableString (the caller checks the character set).
 *
 * @example
 * ```ts
 * import { derPrintableString } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derPrintableString("US"), new Uint8Array([0x13, 0x02, 0x55, 0x53]));
 * ```
 */
export function derPrintableString(text: string): Uint8Array {
  return derTlv(Tag.PRINTABLE_STRING, encoder.encode(text));
}

/**
 * Encodes an IA5String (ASCII: DNS names, URIs, e-mail addresses).
 *
 * @example
 * ```ts
 * import { derIa5String } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derIa5String("a"), new Uint8Array([0x16, 0x01, 0x61]));
 * ```
 */
export function derIa5String(text: string): Uint8Array {
  return derTlv(Tag.IA5_STRING, encoder.encode(text));
}

/**
 * Encodes an X.509 Time: UTCTime through 2049, GeneralizedTime from 2050
 * (RFC 5280 §4.1.2.5).
 *
 * @example
 * ```ts
 * import { derTime } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(derTime(new Date("2030-01-01T00:00:00Z"))[0], 0x17);
 * assert.equal(derTime(new Date("2050-01-01T00:00:00Z"))[0], 0x18);
 * ```
 */
export function derTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (y >= 1950 && y <= 2049) {
    return derTlv(Tag.UTC_TIME, encoder.encode(encodeUtcTime(date)));
  }
  return derTlv(
    Tag.GENERALIZED_TIME,
    encoder.encode(encodeGeneralizedTime(date)),
  );
}

/**
 * Encodes a GeneralizedTime.
 *
 * @example
 * ```ts
 * import { derGeneralizedTime } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(derGeneralizedTime(new Date("2030-01-01T00:00:00Z"))[0], 0x18);
 * ```
 */
export function derGeneralizedTime(date: Date): Uint8Array {
  return derTlv(
    Tag.GENERALIZED_TIME,
    encoder.encode(encodeGeneralizedTime(date)),
  );
}

/**
 * Wraps encoded elements in a constructed context-specific tag `[n]`
 * (EXPLICIT tagging, or IMPLICIT for a SEQUENCE/SET).
 *
 * @example
 * ```ts
 * import { derExplicit, derInteger } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(derExplicit(0, [derInteger(2n)]), new Uint8Array([0xa0, 0x03, 0x02, 0x01, 0x02]));
 * ```
 */
export function derExplicit(n: number, children: Uint8Array[]): Uint8Array {
  return derTlv(0xa0 | n, concatBytes(...children));
}

/**
 * Encodes primitive content under an IMPLICIT context-specific tag `[n]`.
 *
 * @example
 * ```ts
 * import { derImplicit } from "./der_writer.ts";
 * import assert from "node:assert/strict";
 *
 * // GeneralName dNSName [2] "a"
 * assert.deepEqual(derImplicit(2, new TextEncoder().encode("a")), new Uint8Array([0x82, 0x01, 0x61]));
 * ```
 */
export function derImplicit(n: number, content: Uint8Array): Uint8Array {
  return derTlv(0x80 | n, content);
}
