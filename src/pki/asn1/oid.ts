/**
 * OBJECT IDENTIFIER content encoding (X.690 §8.19).
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";

/**
 * Decodes the content octets of an OBJECT IDENTIFIER into dotted form.
 *
 * @throws {DecodeError} on an empty, truncated or non-minimal encoding.
 *
 * @example
 * ```ts
 * import { decodeOid } from "./oid.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeOid(new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])), "1.2.840.10045.2.1");
 * ```
 */
export function decodeOid(content: Uint8Array, offset = 0): string {
  if (content.length === 0) throw new DecodeError("OID", offset, "empty");
  const arcs: bigint[] = [];
  let value = 0n;
  let start = true;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (start && b === 0x80) {
      throw new DecodeError("OID", offset + i, "non-minimal arc");
    }
    value = (value << 7n) | BigInt(b & 0x7f);
    start = (b & 0x80) === 0;
    if (start) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (!start) {
    throw new DecodeError("OID", offset + content.length, "truncated arc");
  }
  const first = arcs[0] as bigint;
  const head = first < 40n
    ? [0n, first]
    : first < 80n
    ? [1n, first - 40n]
    : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

/**
 * Encodes a dotted OBJECT IDENTIFIER into its content octets.
 *
 * @example
 * ```ts
 * import { encodeOid } from "./oid.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeOid("2.5.4.3"), new Uint8Array([0x55, 0x04, 0x03]));
 * ```
 */
export function encodeOid(oid: string): Uint8Array {
  if (!/^[0-2](\.\d+)+$/.test(oid)) {
    throw new RangeError(`Cannot encode OID "${oid}"`);
  }
  const parts = oid.split(".").map((p) => BigInt(p));
  const [a, b, ...rest] = parts as [bigint, bigint, ...bigint[]];
  if (a < 2n && b >= 40n) throw new RangeError(`Cannot encode OID "${oid}"`);
  const out: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < groups.length - 1; i++) {
      groups[i] = (groups[i] as number) | 0x80;
    }
    out.push(...groups);
  }
  return new Uint8Array(out);
}
