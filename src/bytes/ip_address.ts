/**
 * IPv4 and IPv6 address parsing and formatting (RFC 4291 §2.2 text forms,
 * RFC 5952 canonical output), for bind addresses, access rules and certificate names.
 *
 * @module
 */

/**
 * Parses a dotted-quad IPv4 address. Leading zeros are refused because some
 * resolvers read them as octal.
 *
 * @param text Such as `10.0.0.1`.
 * @returns 4 bytes, or `undefined` when `text` is not an IPv4 address.
 *
 * @example
 * ```ts
 * import { parseIpv4 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIpv4("10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
 * assert.equal(parseIpv4("10.0.0.256"), undefined);
 * assert.equal(parseIpv4("010.0.0.1"), undefined);
 * ```
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/**
 * Parses an IPv6 address in any RFC 4291 text form: full, `::`-compressed,
 * or with an embedded IPv4 tail. Zone identifiers (`%eth0`) are refused.
 *
 * @param text Such as `2001:db8::1` or `::ffff:10.0.0.1`.
 * @returns 16 bytes, or `undefined` when `text` is not an IPv6 address.
 *
 * @example
 * ```ts
 * import { parseIpv6 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseIpv6("::1")?.[15], 1);
 * assert.equal(parseIpv6("::ffff:10.0.0.1")?.[12], 10);
 * assert.equal(parseIpv6("1::2::3"), undefined);
 * ```
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2
    ? parseGroups(halves[1] as string, true)
    : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses colon-separated hex groups; an IPv4 tail is allowed when `last`. */
function parseGroups(text: string, last: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (last && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(
        ((v4[0] as number) << 8) | (v4[1] as number),
        ((v4[2] as number) << 8) | (v4[3] as number),
      );
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * Parses an IPv4 or IPv6 address.
 *
 * @param text The address, without brackets.
 * @returns 4 or 16 bytes, or `undefined`.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseIp("192.168.1.1")?.length, 4);
 * assert.equal(parseIp("fe80::1")?.length, 16);
 * assert.equal(parseIp("example.com"), undefined);
 * ```
 */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/**
 * Formats a 4- or 16-byte address; IPv6 in RFC 5952 canonical form (lower
 * case, longest run of two or more zero groups compressed).
 *
 * @param bytes 4 or 16 bytes.
 * @returns The text form.
 *
 * @example
 * ```ts
 * import { formatIp, parseIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIp(parseIp("2001:0DB8:0:0:0:0:0:1")!), "2001:db8::1");
 * assert.equal(formatIp(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) {
    throw new RangeError(
      `Cannot format an address of ${bytes.length} bytes: expected 4 or 16`,
    );
  }
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) {
    groups.push(((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${
    hex.slice(bestStart + bestLength).join(":")
  }`;
}
