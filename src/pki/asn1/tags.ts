/**
 * ASN.1 universal tags as they appear in DER identifier octets (X.690 §8.1.2).
 *
 * @module
 */

/**
 * Identifier octets of the universal types postern reads and writes.
 *
 * @example
 * ```ts
 * import { Tag } from "./tags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Tag.SEQUENCE, 0x30);
 * ```
 */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/**
 * Identifier octet of a context-specific tag `[n]` (n < 31).
 *
 * @example
 * ```ts
 * import { contextTag } from "./tags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contextTag(0, true), 0xa0);
 * assert.equal(contextTag(2, false), 0x82);
 * ```
 */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) {
    throw new RangeError(`Cannot build context tag [${n}]`);
  }
  return 0x80 | (constructed ? 0x20 : 0) | n;
}
