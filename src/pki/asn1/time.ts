/**
 * UTCTime and GeneralizedTime as X.509 uses them (RFC 5280 §4.1.2.5).
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";

// X.690 §11.8: DER UTCTime always has seconds and ends in Z.
const UTC = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
// X.690 §11.7: fractional seconds, if any, without trailing zeros.
const GENERALIZED =
  /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d*[1-9])?Z$/;

function build(
  parts: number[],
  text: string,
  offset: number,
): Date {
  const [y, mo, d, h, mi, s, ms] = parts as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.UTC maps years 0–99 to 1900–1999; set the full year explicitly.
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  if (
    mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 ||
    date.getUTCDate() !== d
  ) {
    throw new DecodeError("time", offset, `invalid date "${text}"`);
  }
  return date;
}

/**
 * Decodes UTCTime content (`YYMMDDHHMMSSZ`; years 50–99 are 19xx).
 *
 * @example
 * ```ts
 * import { decodeUtcTime } from "./time.ts";
 * import assert from "node:assert/strict";
 *
 * const t = decodeUtcTime(new TextEncoder().encode("491231235959Z"));
 * assert.equal(t.toISOString(), "2049-12-31T23:59:59.000Z");
 * ```
 */
export function decodeUtcTime(content: Uint8Array, offset = 0): Date {
  const text = new TextDecoder().decode(content);
  const m = UTC.exec(text);
  if (!m) throw new DecodeError("UTCTime", offset, `malformed "${text}"`);
  const yy = Number(m[1]);
  return build(
    [
      yy >= 50 ? 1900 + yy : 2000 + yy,
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6] ?? 0),
      0,
    ],
    text,
    offset,
  );
}

/**
 * Decodes GeneralizedTime content (`YYYYMMDDHHMMSS[.fff]Z`).
 *
 * @example
 * ```ts
 * import { decodeGeneralizedTime } from "./time.ts";
 * import assert from "node:assert/strict";
 *
 * const t = decodeGeneralizedTime(new TextEncoder().encode("20500101000000Z"));
 * assert.equal(t.getUTCFullYear(), 2050);
 * ```
 */
export function decodeGeneralizedTime(content: Uint8Array, offset = 0): Date {
  const text = new TextDecoder().decode(content);
  const m = GENERALIZED.exec(text);
  if (!m) {
    throw new DecodeError("GeneralizedTime", offset, `malformed "${text}"`);
  }
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return build(
    [
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      ms,
    ],
    text,
    offset,
  );
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a date as UTCTime content (`YYMMDDHHMMSSZ`); years 1950–2049 only.
 *
 * @example
 * ```ts
 * import { encodeUtcTime } from "./time.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeUtcTime(new Date("2030-01-02T03:04:05Z")), "300102030405Z");
 * ```
 */
export function encodeUtcTime(date: Date): string {
  const y = date.getUTCFullYear();
  if (y < 1950 || y > 2049) {
    throw new RangeError(`Cannot encode year ${y} as UTCTime`);
  }
  return pad(y % 100, 2) + pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) + "Z";
}

/**
 * Formats a date as GeneralizedTime content (`YYYYMMDDHHMMSSZ`, whole seconds).
 *
 * @example
 * ```ts
 * import { encodeGeneralizedTime } from "./time.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeGeneralizedTime(new Date("2050-01-02T03:04:05Z")), "20500102030405Z");
 * ```
 */
export function encodeGeneralizedTime(date: Date): string {
  return pad(date.getUTCFullYear(), 4) + pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) + "Z";
}
