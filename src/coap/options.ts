/**
 * CoAP option numbers, formats and rules (RFC 7252 §5.4, §5.10, §12.2;
 * RFC 7641 §2; RFC 7959 §2.1, §4; RFC 7967).
 *
 * An option number's low bits carry its properties (RFC 7252 §5.4.6):
 *
 * ```
 *   0   1   2   3   4   5   6   7
 * +---+---+---+---+---+---+---+---+
 * |           | NoCacheKey| U | C |
 * +---+---+---+---+---+---+---+---+
 * ```
 *
 * @module
 */

/**
 * Registered option numbers.
 *
 * @example
 * ```ts
 * import { OptionNumber, optionName } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionName(OptionNumber.URI_PATH), "Uri-Path");
 * ```
 */
export const OptionNumber = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  NO_RESPONSE: 258,
} as const;

/**
 * Value formats (RFC 7252 §3.2).
 *
 * @example
 * ```ts
 * import type { OptionFormat } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const f: OptionFormat = "uint";
 * assert.equal(f, "uint");
 * ```
 */
export type OptionFormat = "empty" | "opaque" | "uint" | "string";

/**
 * What this core knows about one option (RFC 7252 Table 4).
 *
 * @example
 * ```ts
 * import { optionDefinition } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionDefinition(11)?.maxLength, 255);
 * ```
 */
export interface OptionDefinition {
  /** Registered name. */
  readonly name: string;
  /** Value format. */
  readonly format: OptionFormat;
  /** Shortest valid value, bytes. */
  readonly minLength: number;
  /** Longest valid value, bytes. */
  readonly maxLength: number;
  /** Whether it may occur more than once (RFC 7252 §5.4.5). */
  readonly repeatable: boolean;
}

function def(
  name: string,
  format: OptionFormat,
  [minLength, maxLength]: [number, number],
  repeatable = false,
): OptionDefinition {
  return { name, format, minLength, maxLength, repeatable };
}

const DEFINITIONS: ReadonlyMap<number, OptionDefinition> = new Map([
  [OptionNumber.IF_MATCH, def("If-Match", "opaque", [0, 8], true)],
  [OptionNumber.URI_HOST, def("Uri-Host", "string", [1, 255])],
  [OptionNumber.ETAG, def("ETag", "opaque", [1, 8], true)],
  [OptionNumber.IF_NONE_MATCH, def("If-None-Match", "empty", [0, 0])],
  [OptionNumber.OBSERVE, def("Observe", "uint", [0, 3])],
  [OptionNumber.URI_PORT, def("Uri-Port", "uint", [0, 2])],
  [OptionNumber.LOCATION_PATH, def("Location-Path", "string", [0, 255], true)],
  [OptionNumber.URI_PATH, def("Uri-Path", "string", [0, 255], true)],
  [OptionNumber.CONTENT_FORMAT, def("Content-Format", "uint", [0, 2])],
  [OptionNumber.MAX_AGE, def("Max-Age", "uint", [0, 4])],
  [OptionNumber.URI_QUERY, def("Uri-Query", "string", [0, 255], true)],
  [OptionNumber.ACCEPT, def("Accept", "uint", [0, 2])],
  [
    OptionNumber.LOCATION_QUERY,
    def("Location-Query", "string", [0, 255], true),
  ],
  [OptionNumber.BLOCK2, def("Block2", "uint", [0, 3])],
  [OptionNumber.BLOCK1, def("Block1", "uint", [0, 3])],
  [OptionNumber.SIZE2, def("Size2", "uint", [0, 4])],
  [OptionNumber.PROXY_URI, def("Proxy-Uri", "string", [1, 1034])],
  [OptionNumber.PROXY_SCHEME, def("Proxy-Scheme", "string", [1, 255])],
  [OptionNumber.SIZE1, def("Size1", "uint", [0, 4])],
  [OptionNumber.NO_RESPONSE, def("No-Response", "uint", [0, 1])],
]);

/**
 * The definition of a registered option.
 *
 * @param number The option number.
 * @returns Its definition, or `undefined` when this core does not know it.
 *
 * @example
 * ```ts
 * import { optionDefinition } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionDefinition(6)?.name, "Observe");
 * assert.equal(optionDefinition(9), undefined);
 * ```
 */
export function optionDefinition(number: number): OptionDefinition | undefined {
  return DEFINITIONS.get(number);
}

/**
 * The registered name of an option, or `Option<n>`.
 *
 * @param number The option number.
 * @returns The name.
 *
 * @example
 * ```ts
 * import { optionName } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionName(9), "Option9");
 * ```
 */
export function optionName(number: number): string {
  return DEFINITIONS.get(number)?.name ?? `Option${number}`;
}

/**
 * Critical options must be understood (RFC 7252 §5.4.1): odd numbers.
 *
 * @param number The option number.
 * @returns Whether the option is critical.
 *
 * @example
 * ```ts
 * import { isCritical } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isCritical(11));
 * assert.ok(!isCritical(12));
 * ```
 */
export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}

/**
 * Unsafe-to-forward options (RFC 7252 §5.4.2): bit 1 set.
 *
 * @param number The option number.
 * @returns Whether a proxy that does not know it must not forward it.
 *
 * @example
 * ```ts
 * import { isUnsafe } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isUnsafe(35)); // Proxy-Uri
 * assert.ok(!isUnsafe(4)); // ETag
 * ```
 */
export function isUnsafe(number: number): boolean {
  return (number & 2) === 2;
}

/**
 * NoCacheKey options (RFC 7252 §5.4.2): bits 2–4 all set.
 *
 * @param number The option number.
 * @returns Whether it is not part of the cache key.
 *
 * @example
 * ```ts
 * import { isNoCacheKey } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isNoCacheKey(28)); // Size2
 * ```
 */
export function isNoCacheKey(number: number): boolean {
  return (number & 0x1e) === 0x1c;
}

/**
 * Encodes a uint option value in the fewest bytes (RFC 7252 §3.2: leading
 * zero bytes MUST NOT be sent; 0 is the empty string).
 *
 * @param value A non-negative integer below 2^32.
 * @returns The value bytes.
 *
 * @example
 * ```ts
 * import { encodeUint } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeUint(0), new Uint8Array());
 * assert.deepEqual(encodeUint(256), new Uint8Array([1, 0]));
 * ```
 */
export function encodeUint(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`Cannot encode ${value} as a CoAP uint option`);
  }
  const n = value > 0xffffff
    ? 4
    : value > 0xffff
    ? 3
    : value > 0xff
    ? 2
    : value > 0
    ? 1
    : 0;
  const out = new Uint8Array(n);
  for (let i = n - 1, v = value; i >= 0; i--, v >>>= 8) out[i] = v & 0xff;
  return out;
}

/**
 * Decodes a uint option value (RFC 7252 §3.2; leading zeros are tolerated).
 *
 * @param bytes The value bytes (at most 4).
 * @returns The integer.
 *
 * @example
 * ```ts
 * import { decodeUint } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeUint(new Uint8Array([1, 0])), 256);
 * ```
 */
export function decodeUint(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/**
 * One option instance as carried in a message.
 *
 * @example
 * ```ts
 * import type { CoapOption } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const o: CoapOption = { number: 11, value: new TextEncoder().encode("x") };
 * assert.equal(o.value.length, 1);
 * ```
 */
export interface CoapOption {
  /** The option number. */
  readonly number: number;
  /** The raw value. */
  readonly value: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Builds a string-valued option.
 *
 * @param number The option number.
 * @param value The text (UTF-8 encoded).
 * @returns The option.
 *
 * @example
 * ```ts
 * import { stringOption } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(stringOption(11, "time").value.length, 4);
 * ```
 */
export function stringOption(number: number, value: string): CoapOption {
  return { number, value: encoder.encode(value) };
}

/**
 * Builds a uint-valued option.
 *
 * @param number The option number.
 * @param value The integer.
 * @returns The option.
 *
 * @example
 * ```ts
 * import { uintOption } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(uintOption(12, 50).value, new Uint8Array([50]));
 * ```
 */
export function uintOption(number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) };
}

/**
 * Every value of option `number`, in order.
 *
 * @param options The message's options.
 * @param number The option number.
 * @returns The values.
 *
 * @example
 * ```ts
 * import { optionValues, stringOption } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const opts = [stringOption(11, "a"), stringOption(11, "b")];
 * assert.equal(optionValues(opts, 11).length, 2);
 * ```
 */
export function optionValues(
  options: readonly CoapOption[],
  number: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const o of options) if (o.number === number) out.push(o.value);
  return out;
}

/**
 * The first value of option `number` as a uint.
 *
 * @param options The message's options.
 * @param number The option number.
 * @returns The integer, or `undefined` when absent.
 *
 * @example
 * ```ts
 * import { uintOption, uintValue } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(uintValue([uintOption(6, 0)], 6), 0);
 * assert.equal(uintValue([], 6), undefined);
 * ```
 */
export function uintValue(
  options: readonly CoapOption[],
  number: number,
): number | undefined {
  const o = options.find((x) => x.number === number);
  return o === undefined ? undefined : decodeUint(o.value);
}

/**
 * Every value of option `number` as text.
 *
 * @param options The message's options.
 * @param number The option number.
 * @returns The strings.
 *
 * @example
 * ```ts
 * import { stringOption, stringValues } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(stringValues([stringOption(15, "rt=t")], 15), ["rt=t"]);
 * ```
 */
export function stringValues(
  options: readonly CoapOption[],
  number: number,
): string[] {
  return optionValues(options, number).map((v) => decoder.decode(v));
}

/**
 * Options for a path and query: Uri-Path per segment, Uri-Query per item.
 *
 * @param path E.g. "/sensors/t1" (a leading "/" is ignored).
 * @param query Query items such as "rt=temp".
 * @returns The options.
 *
 * @example
 * ```ts
 * import { pathOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(pathOptions("/a/b", ["x=1"]).length, 3);
 * ```
 */
export function pathOptions(
  path: string,
  query: readonly string[] = [],
): CoapOption[] {
  const segments = path.replace(/^\//, "");
  const out: CoapOption[] = [];
  if (segments !== "") {
    for (const s of segments.split("/")) {
      out.push(stringOption(OptionNumber.URI_PATH, s));
    }
  }
  for (const q of query) out.push(stringOption(OptionNumber.URI_QUERY, q));
  return out;
}

/**
 * Why an option is not acceptable (RFC 7252 §5.4.1, §5.4.3, §5.4.5).
 *
 * @example
 * ```ts
 * import type { OptionProblem } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const p: OptionProblem = { number: 9, reason: "unrecognized" };
 * assert.equal(p.reason, "unrecognized");
 * ```
 */
export interface OptionProblem {
  /** The option number. */
  readonly number: number;
  /** What is wrong with it. */
  readonly reason: "unrecognized" | "bad-length" | "repeated";
}

/**
 * Finds the first critical option this core must treat as unrecognized: an
 * unknown critical number (§5.4.1), a known one with a length outside its
 * range (§5.4.3) or a non-repeatable one repeated (§5.4.5). Elective
 * problems are ignored, as the RFC requires.
 *
 * @param options The message's options.
 * @param known Extra numbers to accept as recognized.
 * @returns The problem, or `undefined` when the options are acceptable.
 *
 * @example
 * ```ts
 * import { criticalOptionProblem } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(criticalOptionProblem([{ number: 9, value: new Uint8Array() }])?.reason, "unrecognized");
 * assert.equal(criticalOptionProblem([{ number: 10, value: new Uint8Array() }]), undefined);
 * ```
 */
export function criticalOptionProblem(
  options: readonly CoapOption[],
  known: ReadonlySet<number> = new Set(),
): OptionProblem | undefined {
  let previous = -1;
  for (const o of options) {
    const repeated = o.number === previous;
    previous = o.number;
    if (!isCritical(o.number) || known.has(o.number)) continue;
    const d = DEFINITIONS.get(o.number);
    if (d === undefined) return { number: o.number, reason: "unrecognized" };
    if (o.value.length < d.minLength || o.value.length > d.maxLength) {
      return { number: o.number, reason: "bad-length" };
    }
    if (repeated && !d.repeatable) {
      return { number: o.number, reason: "repeated" };
    }
  }
  return undefined;
}
