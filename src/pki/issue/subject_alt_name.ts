/**
 * Subject alternative names for issuing (RFC 5280 §4.2.1.6): telling a DNS
 * name from an IP address, URI or e-mail address in operator input, and
 * encoding each as a GeneralName.
 *
 * ```
 * GeneralName ::= CHOICE {
 *      rfc822Name                [1]     IA5String,
 *      dNSName                   [2]     IA5String,
 *      uniformResourceIdentifier [6]     IA5String,
 *      iPAddress                 [7]     OCTET STRING,
 *      ... }
 * ```
 *
 * @module
 */

import { parseIp } from "../../bytes/ip_address.ts";
import { derImplicit } from "../asn1/mod.ts";

/**
 * One subjectAltName entry as issuing accepts it.
 *
 * @example
 * ```ts
 * import type { SubjectAltName } from "./subject_alt_name.ts";
 * import { encodeSubjectAltName } from "./subject_alt_name.ts";
 * import assert from "node:assert/strict";
 *
 * const name: SubjectAltName = { type: "ip", value: "::1" };
 * assert.equal(encodeSubjectAltName(name).length, 2 + 16);
 * ```
 */
export interface SubjectAltName {
  /** `dns` dNSName, `ip` iPAddress, `uri` uniformResourceIdentifier, `email` rfc822Name. */
  readonly type: "dns" | "ip" | "uri" | "email";
  /** The name as text; an IP address in IPv4 dotted or any RFC 4291 IPv6 form. */
  readonly value: string;
}

const PREFIXES: Readonly<Record<string, SubjectAltName["type"]>> = {
  dns: "dns",
  ip: "ip",
  uri: "uri",
  email: "email",
};

// RFC 1123 §2.1 host names, with an optional leading wildcard label
// (RFC 6125 §6.4.3) and an optional trailing dot.
const DNS_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DNS_NAME = new RegExp(
  `^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`,
);
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
// Without a `URI:` prefix only `scheme://…` and `urn:…` count as URIs, so
// that `host:port` is refused rather than taken for one.
const BARE_URI = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|urn:)\S+$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Whether `text` is a DNS name that can go in a dNSName: letters, digits and
 * hyphens in labels of at most 63 characters, at most 253 characters in all,
 * optionally starting with a `*.` wildcard label, and not ending in an
 * all-numeric label.
 *
 * @example
 * ```ts
 * import { isDnsName } from "./subject_alt_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDnsName("broker.example.com"));
 * assert.ok(isDnsName("*.example.com"));
 * assert.ok(!isDnsName("my_host"));
 * assert.ok(!isDnsName("a..b"));
 * assert.ok(!isDnsName("256.1.1.1"));
 * ```
 */
export function isDnsName(text: string): boolean {
  // RFC 1123 §2.1: a host name never has the dotted-decimal form of an
  // address, so an all-numeric last label is refused.
  return text.length <= 253 && DNS_NAME.test(text) &&
    !/(?:^|\.)[0-9]+\.?$/.test(text);
}

/**
 * Reads one subjectAltName from operator input, as `postern certs --san`
 * takes it. An `IP:`, `DNS:`, `URI:` or `email:` prefix (any case, as in
 * OpenSSL's `subjectAltName` syntax) names the type; without one, an IPv4 or
 * IPv6 address (brackets allowed) is an IP address, `scheme://…` or
 * `urn:…` a URI,
 * `local@domain` an e-mail address and anything else must be a DNS name.
 *
 * @param text Such as `broker.local`, `10.0.0.5`, `::1`, `URI:urn:dev:1`.
 * @returns The typed name.
 * @throws {RangeError} if the value does not fit its type.
 *
 * @example
 * ```ts
 * import { parseSubjectAltName } from "./subject_alt_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseSubjectAltName("127.0.0.1"), { type: "ip", value: "127.0.0.1" });
 * assert.deepEqual(parseSubjectAltName("[::1]"), { type: "ip", value: "::1" });
 * assert.deepEqual(parseSubjectAltName("localhost"), { type: "dns", value: "localhost" });
 * assert.deepEqual(parseSubjectAltName("urn:dev:1"), { type: "uri", value: "urn:dev:1" });
 * assert.deepEqual(parseSubjectAltName("email:ops@example.com"), { type: "email", value: "ops@example.com" });
 * assert.throws(() => parseSubjectAltName("not a name"), RangeError);
 * ```
 */
export function parseSubjectAltName(text: string): SubjectAltName {
  const prefixed = /^([A-Za-z]+):(.*)$/s.exec(text);
  const type = prefixed
    ? PREFIXES[(prefixed[1] as string).toLowerCase()]
    : undefined;
  if (type !== undefined) {
    const name = { type, value: unbracket(prefixed?.[2] ?? "") };
    encodeSubjectAltName(name);
    return name;
  }
  const bare = unbracket(text);
  if (parseIpAddress(bare)) return { type: "ip", value: bare };
  if (BARE_URI.test(text)) return { type: "uri", value: text };
  if (EMAIL.test(text)) return { type: "email", value: text };
  if (isDnsName(text)) return { type: "dns", value: text };
  throw new RangeError(
    `Cannot read subject alternative name "${text}": not a DNS name, IP address, URI or e-mail address`,
  );
}

function unbracket(text: string): string {
  return text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
}

/**
 * Encodes one GeneralName. IP addresses become 4 or 16 octets
 * (RFC 5280 §4.2.1.6); the string forms are IA5String, so ASCII only.
 *
 * @throws {RangeError} for a value that does not fit its type.
 *
 * @example
 * ```ts
 * import { encodeSubjectAltName } from "./subject_alt_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeSubjectAltName({ type: "ip", value: "10.0.0.1" }), new Uint8Array([0x87, 4, 10, 0, 0, 1]));
 * assert.deepEqual(encodeSubjectAltName({ type: "dns", value: "a" }), new Uint8Array([0x82, 1, 0x61]));
 * ```
 */
export function encodeSubjectAltName(name: SubjectAltName): Uint8Array {
  switch (name.type) {
    case "ip": {
      const bytes = parseIpAddress(name.value);
      if (!bytes) {
        throw new RangeError(`Cannot encode "${name.value}" as an IP address`);
      }
      return derImplicit(7, bytes);
    }
    case "dns":
      if (!isDnsName(name.value)) {
        throw new RangeError(`Cannot encode "${name.value}" as a DNS name`);
      }
      return derImplicit(2, ascii(name.value));
    case "uri":
      if (!URI.test(name.value)) {
        throw new RangeError(`Cannot encode "${name.value}" as a URI`);
      }
      return derImplicit(6, ascii(name.value));
    case "email":
      if (!EMAIL.test(name.value)) {
        throw new RangeError(
          `Cannot encode "${name.value}" as an e-mail address`,
        );
      }
      return derImplicit(1, ascii(name.value));
  }
}

function ascii(text: string): Uint8Array {
  if (!/^[\x21-\x7e]+$/.test(text)) {
    throw new RangeError(`Cannot encode "${text}" as an IA5String name`);
  }
  return new TextEncoder().encode(text);
}

/**
 * Parses an IPv4 address (dotted quad, no leading zeros) or an IPv6 address
 * in any RFC 4291 §2.2 text form, including `::` and an IPv4 tail.
 *
 * @returns 4 or 16 bytes, or `undefined` if `text` is neither.
 *
 * @example
 * ```ts
 * import { parseIpAddress } from "./subject_alt_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIpAddress("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
 * assert.equal(parseIpAddress("::1")?.length, 16);
 * assert.equal(parseIpAddress("::ffff:10.0.0.1")?.[12], 10);
 * assert.equal(parseIpAddress("1::2::3"), undefined);
 * assert.equal(parseIpAddress("localhost"), undefined);
 * ```
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  return parseIp(text);
}
