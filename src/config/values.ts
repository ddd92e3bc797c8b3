/**
 * Parsers for the value types of the configuration: durations, ports, bind
 * addresses and host names. Each returns a {@link Parsed} result with a
 * message instead of throwing, so that the loader can collect every problem.
 *
 * @module
 */

import { parseIp, parseIpv4 } from "../bytes/ip_address.ts";

/**
 * The result of parsing one value: the value, or what is wrong with it.
 *
 * @example
 * ```ts
 * import { type Parsed, parsePort } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * const r: Parsed<number> = parsePort("8883");
 * assert.deepEqual(r, { ok: true, value: 8883 });
 * ```
 */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** Wraps a value as a successful {@link Parsed}. */
function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

/** Wraps a message as a failed {@link Parsed}. */
function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

/** Milliseconds per duration unit. */
const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses an EMQX-style duration: one or more `<integer><unit>` groups with
 * units `ms`, `s`, `m`, `h`, `d` (`"3s"`, `"1h30m"`, `"500ms"`).
 *
 * @param text The duration text.
 * @returns Milliseconds.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseDuration("1h30m"), { ok: true, value: 5_400_000 });
 * assert.equal(parseDuration("3 seconds").ok, false);
 * ```
 */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  const re = /(\d+)(ms|s|m|h|d)/y;
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    re.lastIndex = at;
    const m = re.exec(trimmed);
    if (m === null) break;
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  if (trimmed.length === 0 || at !== trimmed.length) {
    return fail(
      `Must be a duration such as "500ms", "15s", "5m" or "1h30m", got ${
        JSON.stringify(text)
      }`,
    );
  }
  if (!Number.isSafeInteger(total)) return fail("Duration is too long");
  return ok(total);
}

/**
 * Parses a port number written as decimal digits, 0 to 65535 (0 asks the
 * system for a free port).
 *
 * @param text The port text.
 * @returns The port.
 *
 * @example
 * ```ts
 * import { parsePort } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parsePort("1883"), { ok: true, value: 1883 });
 * assert.equal(parsePort("65536").ok, false);
 * assert.equal(parsePort("-1").ok, false);
 * ```
 */
export function parsePort(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) {
    return fail(`Must be a port number, got ${JSON.stringify(text)}`);
  }
  return checkPort(Number(trimmed));
}

/**
 * Checks that a number is a port: an integer from 0 to 65535.
 *
 * @param n The number.
 * @returns The port.
 *
 * @example
 * ```ts
 * import { checkPort } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkPort(8883).ok, true);
 * assert.equal(checkPort(1.5).ok, false);
 * ```
 */
export function checkPort(n: number): Parsed<number> {
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    return fail(`Port must be an integer from 0 to 65535, got ${n}`);
  }
  return ok(n);
}

/**
 * Checks a host to bind to: an IPv4 address, an IPv6 address (brackets
 * allowed and removed) or a DNS host name.
 *
 * @param text The host.
 * @returns The host, IPv6 without brackets.
 *
 * @example
 * ```ts
 * import { parseHost } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseHost("[::]"), { ok: true, value: "::" });
 * assert.deepEqual(parseHost("localhost"), { ok: true, value: "localhost" });
 * assert.equal(parseHost("10.0.0.300").ok, false);
 * ```
 */
export function parseHost(text: string): Parsed<string> {
  const trimmed = text.trim();
  const bare = trimmed.startsWith("[") && trimmed.endsWith("]")
    ? trimmed.slice(1, -1)
    : trimmed;
  if (bare.includes(":")) {
    return parseIp(bare) === undefined
      ? fail(`Invalid IPv6 address ${JSON.stringify(text)}`)
      : ok(bare);
  }
  if (/^[\d.]+$/.test(bare)) {
    return parseIpv4(bare) === undefined
      ? fail(`Invalid IPv4 address ${JSON.stringify(text)}`)
      : ok(bare);
  }
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (
    bare.length === 0 || bare.length > 253 ||
    !bare.split(".").every((l) => label.test(l))
  ) {
    return fail(
      `Must be an IP address or host name, got ${JSON.stringify(text)}`,
    );
  }
  return ok(bare);
}

/**
 * A host and port to listen on.
 *
 * @example
 * ```ts
 * import type { BindAddress } from "./values.ts";
 *
 * const any: BindAddress = { host: "::", port: 0 };
 * ```
 */
export interface BindAddress {
  /** IP address (IPv6 without brackets) or host name. */
  host: string;
  /** Port, 0 for any free port. */
  port: number;
}

/**
 * Parses an EMQX `bind` value: a port number (`8883`), a port string
 * (`"8883"`, `":8883"`), `"host:port"` or `"[ipv6]:port"`. Without a host,
 * the listener binds every IPv4 interface (`0.0.0.0`).
 *
 * @param value The JSON value.
 * @returns The host and port.
 *
 * @example
 * ```ts
 * import { parseBind } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseBind("[::]:8883"), { ok: true, value: { host: "::", port: 8883 } });
 * assert.deepEqual(parseBind(1883), { ok: true, value: { host: "0.0.0.0", port: 1883 } });
 * assert.equal(parseBind("0.0.0.0:99999").ok, false);
 * ```
 */
export function parseBind(value: unknown): Parsed<BindAddress> {
  if (typeof value === "number") {
    const port = checkPort(value);
    return port.ok ? ok({ host: "0.0.0.0", port: port.value }) : port;
  }
  if (typeof value !== "string") {
    return fail(
      `Must be a port number or a "host:port" string, got ${
        describeJson(value)
      }`,
    );
  }
  const text = value.trim();
  let hostText: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (v6 !== null) {
    hostText = v6[1] as string;
    portText = v6[2] as string;
    if (!hostText.includes(":")) {
      return fail(
        `Brackets are only for IPv6 addresses, got ${JSON.stringify(value)}`,
      );
    }
  } else if (/^\d+$/.test(text)) {
    hostText = "";
    portText = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0 || text.indexOf(":") !== colon) {
      return fail(
        `Must be "host:port", "[ipv6]:port" or a port number, got ${
          JSON.stringify(value)
        }`,
      );
    }
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const port = parsePort(portText);
  if (!port.ok) return port;
  if (hostText === "") return ok({ host: "0.0.0.0", port: port.value });
  const host = parseHost(hostText);
  return host.ok ? ok({ host: host.value, port: port.value }) : host;
}

/**
 * Describes a JSON value for an error message: strings and numbers as JSON,
 * other values by kind, never longer than about 40 characters.
 *
 * @param value Any value from `JSON.parse`.
 * @returns A short description.
 *
 * @example
 * ```ts
 * import { describeJson } from "./values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeJson("x"), '"x"');
 * assert.equal(describeJson([1]), "an array");
 * assert.equal(describeJson(null), "null");
 * ```
 */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "object":
      return "an object";
    case "string": {
      const s = JSON.stringify(value);
      return s.length > 40 ? `${s.slice(0, 37)}..."` : s;
    }
    case "number":
    case "boolean":
      return String(value);
    default:
      return typeof value;
  }
}
