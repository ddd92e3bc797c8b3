/**
 * EMQX-style listener access rules: `"allow all"`, `"deny 10.0.0.0/8"`,
 * `"allow 2001:db8::/32"`, `"deny 192.168.1.7"`. Rules are checked in order
 * and the first match decides; an address no rule matches is allowed, as in
 * EMQX (esockd). IPv4-mapped IPv6 client addresses (`::ffff:10.0.0.1`) match
 * IPv4 rules.
 *
 * @module
 */

import { formatIp, parseIp } from "../bytes/ip_address.ts";
import type { Parsed } from "./values.ts";

/**
 * One access rule in normalized form.
 *
 * @example
 * ```ts
 * import type { AccessRule } from "./access_rules.ts";
 *
 * const rules: AccessRule[] = [
 *   { action: "deny", source: "10.0.0.0/8" },
 *   { action: "allow", source: "all" },
 * ];
 * ```
 */
export interface AccessRule {
  /** What to do with a matching client. */
  action: "allow" | "deny";
  /** `"all"`, or a network in canonical CIDR form (`10.0.0.0/8`, `2001:db8::/32`). */
  source: string;
}

/** A parsed network. */
interface Network {
  bytes: Uint8Array;
  prefixLength: number;
}

/**
 * Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address (a /32
 * or /128 network). A network with host bits set (`10.0.0.1/8`) is refused
 * with the network it probably means.
 *
 * @param text The CIDR.
 * @returns The CIDR in canonical form.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./access_rules.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCidr("2001:DB8::/32"), { ok: true, value: "2001:db8::/32" });
 * assert.deepEqual(parseCidr("192.168.1.7"), { ok: true, value: "192.168.1.7/32" });
 * assert.equal(parseCidr("10.0.0.0/33").ok, false);
 * assert.equal(parseCidr("10.0.0.1/8").ok, false);
 * ```
 */
export function parseCidr(text: string): Parsed<string> {
  const network = parseNetwork(text);
  if (typeof network === "string") return { ok: false, error: network };
  return {
    ok: true,
    value: `${formatIp(network.bytes)}/${network.prefixLength}`,
  };
}

/** Parses a CIDR into bytes and prefix length, or returns what is wrong. */
function parseNetwork(text: string): Network | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(addressText);
  if (bytes === undefined) {
    return `Invalid CIDR ${JSON.stringify(text)}: ${
      JSON.stringify(addressText)
    } is not an IPv4 or IPv6 address`;
  }
  const maxPrefix = bytes.length * 8;
  let prefixLength = maxPrefix;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) {
      return `Invalid CIDR ${
        JSON.stringify(text)
      }: prefix length must be a number`;
    }
    prefixLength = Number(prefixText);
    if (prefixLength > maxPrefix) {
      return `Invalid CIDR ${
        JSON.stringify(text)
      }: prefix length must be at most ${maxPrefix}`;
    }
  }
  const masked = mask(bytes, prefixLength);
  if (!masked.every((b, i) => b === bytes[i])) {
    return `Invalid CIDR ${
      JSON.stringify(text)
    }: host bits are set (did you mean "${formatIp(masked)}/${prefixLength}"?)`;
  }
  return { bytes, prefixLength };
}

/** Clears every bit after the first `prefixLength` bits. */
function mask(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - 8 * i));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/**
 * Parses one rule string: `allow` or `deny`, a space, then `all` or a CIDR.
 *
 * @param text The rule, such as `"deny 10.0.0.0/8"`.
 * @returns The normalized rule.
 *
 * @example
 * ```ts
 * import { parseAccessRule } from "./access_rules.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAccessRule("allow all"), {
 *   ok: true,
 *   value: { action: "allow", source: "all" },
 * });
 * assert.equal(parseAccessRule("permit 10.0.0.0/8").ok, false);
 * ```
 */
export function parseAccessRule(text: string): Parsed<AccessRule> {
  const parts = text.trim().split(/\s+/);
  const action = parts[0];
  if (parts.length !== 2 || (action !== "allow" && action !== "deny")) {
    return {
      ok: false,
      error:
        `Must be "allow all", "deny all", "allow CIDR" or "deny CIDR", got ${
          JSON.stringify(text)
        }`,
    };
  }
  const target = parts[1] as string;
  if (target === "all") return { ok: true, value: { action, source: "all" } };
  const cidr = parseCidr(target);
  return cidr.ok ? { ok: true, value: { action, source: cidr.value } } : cidr;
}

/**
 * Compiles normalized rules into a function deciding for a client address.
 *
 * @param rules The rules, in order; an address no rule matches is allowed.
 * @returns A function from a client IP address to `"allow"` or `"deny"`;
 *   an unparseable address is only matched by `all` rules.
 *
 * @example
 * ```ts
 * import { compileAccessRules } from "./access_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const decide = compileAccessRules([
 *   { action: "deny", source: "10.0.0.0/8" },
 *   { action: "allow", source: "all" },
 * ]);
 * assert.equal(decide("10.1.2.3"), "deny");
 * assert.equal(decide("::ffff:10.1.2.3"), "deny");
 * assert.equal(decide("192.168.0.1"), "allow");
 * ```
 */
export function compileAccessRules(
  rules: readonly AccessRule[],
): (address: string) => "allow" | "deny" {
  const compiled = rules.map((rule) => ({
    action: rule.action,
    network: rule.source === "all" ? undefined : parseNetwork(rule.source),
  }));
  return (address) => {
    const bytes = unmapIpv4(parseIp(address));
    for (const { action, network } of compiled) {
      if (network === undefined) return action;
      if (typeof network === "string" || bytes === undefined) continue;
      if (contains(network, bytes)) return action;
    }
    return "allow";
  };
}

/** Turns an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) into IPv4. */
function unmapIpv4(bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (bytes === undefined || bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.slice(12);
}

/** Whether `address` is inside `network` (same address family). */
function contains(network: Network, address: Uint8Array): boolean {
  if (network.bytes.length !== address.length) return false;
  const masked = mask(address, network.prefixLength);
  return masked.every((b, i) => b === network.bytes[i]);
}
