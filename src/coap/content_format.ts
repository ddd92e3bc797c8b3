/**
 * Content-Format identifiers (RFC 7252 §12.3; RFC 6690 §7.2 for
 * link-format; RFC 8949 §9.5 for CBOR).
 *
 * @module
 */

/**
 * The content formats postern serves.
 *
 * @example
 * ```ts
 * import { ContentFormat, contentFormatName } from "./content_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contentFormatName(ContentFormat.JSON), "application/json");
 * ```
 */
export const ContentFormat = {
  TEXT_PLAIN: 0,
  LINK_FORMAT: 40,
  OCTET_STREAM: 42,
  JSON: 50,
  CBOR: 60,
} as const;

/**
 * One of {@link ContentFormat}.
 *
 * @example
 * ```ts
 * import { ContentFormat, type ContentFormat as CF } from "./content_format.ts";
 * import assert from "node:assert/strict";
 *
 * const f: CF = ContentFormat.CBOR;
 * assert.equal(f, 60);
 * ```
 */
export type ContentFormat = typeof ContentFormat[keyof typeof ContentFormat];

/**
 * The media type of a content format number.
 *
 * @param format The Content-Format value.
 * @returns The media type, or `undefined` for an unknown number.
 *
 * @example
 * ```ts
 * import { contentFormatName } from "./content_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contentFormatName(0), "text/plain;charset=utf-8");
 * assert.equal(contentFormatName(9999), undefined);
 * ```
 */
export function contentFormatName(format: number): string | undefined {
  switch (format) {
    case ContentFormat.TEXT_PLAIN:
      return "text/plain;charset=utf-8";
    case ContentFormat.LINK_FORMAT:
      return "application/link-format";
    case ContentFormat.OCTET_STREAM:
      return "application/octet-stream";
    case ContentFormat.JSON:
      return "application/json";
    case ContentFormat.CBOR:
      return "application/cbor";
    default:
      return undefined;
  }
}

/**
 * Whether a number is one of the formats postern knows.
 *
 * @param format The Content-Format value.
 * @returns True for 0, 40, 42, 50, 60.
 *
 * @example
 * ```ts
 * import { isKnownContentFormat } from "./content_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isKnownContentFormat(42));
 * ```
 */
export function isKnownContentFormat(format: number): format is ContentFormat {
  return contentFormatName(format) !== undefined;
}
