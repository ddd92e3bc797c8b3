/**
 * BER → DER normalisation (X.690 §8 → §10) for the few producers that write
 * PKCS#12 and PKCS#7 with BER: indefinite lengths (§8.1.3.6), non-minimal
 * length octets and constructed string encodings (§8.6.3, §8.7.3).
 *
 * The normaliser rewrites the element tree; it never looks inside primitive
 * contents, so the bytes under a PKCS#12 MAC (the content octets of an OCTET
 * STRING) stay exactly as they were. It does not sort SET OF components
 * (§11.6) or canonicalise BOOLEAN values: postern's readers do not depend on
 * either.
 *
 * Nesting is bounded by {@link MAX_BER_DEPTH}, so hostile input cannot
 * exhaust the stack.
 *
 * @module
 */

import { concatBytes, DecodeError } from "../../bytes/mod.ts";
import { derTlv } from "./der_writer.ts";

/**
 * Deepest element nesting {@link berToDer} accepts.
 *
 * @example
 * ```ts
 * import { MAX_BER_DEPTH } from "./ber.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_BER_DEPTH, 64);
 * ```
 */
export const MAX_BER_DEPTH = 64;

/** Universal string types that BER may encode in constructed form (X.690 §8.21.5). */
const STRING_TAGS = new Set([
  0x03, // BIT STRING
  0x04, // OCTET STRING
  0x0c, // UTF8String
  0x12, // NumericString
  0x13, // PrintableString
  0x14, // T61String
  0x16, // IA5String
  0x1a, // VisibleString
  0x1c, // UniversalString
  0x1e, // BMPString
]);

interface Parsed {
  /** DER encoding of the element. */
  readonly der: Uint8Array;
  /** Offset just past the element (past the end-of-contents octets if indefinite). */
  readonly end: number;
}

/**
 * Re-encodes one BER element (with everything inside it) as DER.
 *
 * @param ber The BER encoding of exactly one element.
 * @returns The DER encoding; DER input comes back byte-for-byte unchanged.
 * @throws {DecodeError} on malformed BER, trailing data or nesting deeper
 * than {@link MAX_BER_DEPTH}.
 *
 * @example An indefinite-length SEQUENCE holding a chunked OCTET STRING
 * ```ts
 * import { berToDer } from "./ber.ts";
 * import assert from "node:assert/strict";
 *
 * const ber = new Uint8Array([
 *   0x30, 0x80,
 *   0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x01, 0xbb, 0x00, 0x00,
 *   0x00, 0x00,
 * ]);
 * assert.deepEqual(berToDer(ber), new Uint8Array([0x30, 0x04, 0x04, 0x02, 0xaa, 0xbb]));
 * ```
 */
export function berToDer(ber: Uint8Array): Uint8Array {
  const { der, end } = parse(ber, 0, ber.length, 0);
  if (end !== ber.length) {
    throw new DecodeError("BER", end, `${ber.length - end} trailing bytes`);
  }
  return der;
}

function parse(b: Uint8Array, start: number, limit: number, depth: number) {
  if (depth > MAX_BER_DEPTH) {
    throw new DecodeError("BER", start, "nesting is too deep");
  }
  if (start >= limit) {
    throw new DecodeError("BER", start, "unexpected end of input");
  }
  const tag = b[start] as number;
  if ((tag & 0x1f) === 0x1f) {
    throw new DecodeError("BER", start, "high tag numbers are not supported");
  }
  if (start + 1 >= limit) {
    throw new DecodeError("BER", start + 1, "missing length");
  }
  const constructed = (tag & 0x20) !== 0;
  const first = b[start + 1] as number;
  let pos = start + 2;
  let length = -1;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!constructed) {
      throw new DecodeError("BER", start + 1, "indefinite primitive element");
    }
  } else {
    const n = first & 0x7f;
    if (n > 4 || n === 0x7f) {
      throw new DecodeError("BER", start + 1, `length of ${n} bytes`);
    }
    if (pos + n > limit) {
      throw new DecodeError("BER", pos, "truncated length");
    }
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (b[pos + i] as number);
    pos += n;
  }
  if (length >= 0 && pos + length > limit) {
    throw new DecodeError(
      "BER",
      start,
      `length ${length} runs past the end of the input`,
    );
  }
  if (!constructed) {
    return {
      der: derTlv(tag, b.subarray(pos, pos + length)),
      end: pos + length,
    };
  }
  const childLimit = length >= 0 ? pos + length : limit;
  const children: Parsed[] = [];
  for (;;) {
    if (length >= 0 && pos === childLimit) break;
    if (length < 0 && b[pos] === 0 && b[pos + 1] === 0 && pos + 1 < limit) {
      pos += 2; // end-of-contents octets (X.690 §8.1.5)
      break;
    }
    const child = parse(b, pos, childLimit, depth + 1);
    children.push(child);
    pos = child.end;
  }
  const universal = (tag & 0xc0) === 0;
  const baseTag = tag & 0x1f;
  if (universal && STRING_TAGS.has(baseTag)) {
    return { der: joinString(baseTag, children, start), end: pos };
  }
  return {
    der: derTlv(tag, concatBytes(...children.map((c) => c.der))),
    end: pos,
  };
}

/** Joins the segments of a constructed string into one primitive element (X.690 §8.6.4, §8.7.3). */
function joinString(
  tag: number,
  segments: Parsed[],
  offset: number,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let unused = 0;
  for (let i = 0; i < segments.length; i++) {
    const der = (segments[i] as Parsed).der;
    if (der[0] !== tag) {
      throw new DecodeError(
        "BER",
        offset,
        "constructed string segment has a different type",
      );
    }
    const content = contentOf(der);
    if (tag === 0x03) {
      if (content.length === 0 || (unused !== 0)) {
        throw new DecodeError("BER", offset, "bad BIT STRING segment");
      }
      unused = content[0] as number;
      parts.push(content.subarray(1));
    } else {
      parts.push(content);
    }
  }
  const body = concatBytes(...parts);
  return tag === 0x03
    ? derTlv(tag, concatBytes(new Uint8Array([unused]), body))
    : derTlv(tag, body);
}

/** Content octets of a DER element this module produced. */
function contentOf(der: Uint8Array): Uint8Array {
  const first = der[1] as number;
  return der.subarray(first < 0x80 ? 2 : 2 + (first & 0x7f));
}
