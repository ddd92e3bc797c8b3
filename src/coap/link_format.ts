/**
 * CoRE Link Format (RFC 6690): encoding, parsing and the `/.well-known/core`
 * query filter (§4.1).
 *
 * ```
 * Link            = link-value-list
 * link-value-list = [ link-value *[ "," link-value ]]
 * link-value      = "<" URI-Reference ">" *( ";" link-param )
 * ```
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";

/**
 * One link: a target and its attributes. `true` marks a valueless
 * attribute (such as `obs`); a string array repeats the attribute.
 *
 * @example
 * ```ts
 * import type { Link } from "./link_format.ts";
 * import assert from "node:assert/strict";
 *
 * const l: Link = { target: "/time", attributes: { rt: "clock", obs: true } };
 * assert.equal(l.attributes.obs, true);
 * ```
 */
export interface Link {
  /** URI reference, e.g. "/sensors/temp". */
  readonly target: string;
  /** Link parameters. */
  readonly attributes: Readonly<Record<string, string | number | true>>;
}

function quoteIfNeeded(name: string, value: string | number): string {
  if (typeof value === "number") return String(value);
  // RFC 6690 §2: ct and sz are tokens; rt, if, title are quoted strings.
  if (/^[0-9]+$/.test(value) && (name === "ct" || name === "sz")) return value;
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Serializes links as `application/link-format` (RFC 6690 §2).
 *
 * @param links The links.
 * @returns The text, e.g. `</time>;rt="clock";obs`.
 *
 * @example
 * ```ts
 * import { encodeLinkFormat } from "./link_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeLinkFormat([{ target: "/time", attributes: { rt: "clock", ct: 0, obs: true } }]), '</time>;rt="clock";ct=0;obs');
 * ```
 */
export function encodeLinkFormat(links: readonly Link[]): string {
  return links.map((l) => {
    let s = `<${l.target}>`;
    for (const [name, value] of Object.entries(l.attributes)) {
      s += value === true
        ? `;${name}`
        : `;${name}=${quoteIfNeeded(name, value)}`;
    }
    return s;
  }).join(",");
}

/**
 * Parses `application/link-format` text (RFC 6690 §2).
 *
 * @param text The text.
 * @returns The links; attribute values are strings (or `true`).
 * @throws {DecodeError} for text that is not link-format.
 *
 * @example
 * ```ts
 * import { parseLinkFormat } from "./link_format.ts";
 * import assert from "node:assert/strict";
 *
 * const [l] = parseLinkFormat('</a>;rt="x y";obs,</b>');
 * assert.equal(l?.target, "/a");
 * assert.equal(l?.attributes.rt, "x y");
 * ```
 */
export function parseLinkFormat(text: string): Link[] {
  const links: Link[] = [];
  let i = 0;
  const fail = (detail: string): never => {
    throw new DecodeError("link-format", i, detail);
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipSpace();
  if (i >= text.length) return links;
  for (;;) {
    skipSpace();
    if (text[i] !== "<") fail("expected '<'");
    const end = text.indexOf(">", i);
    if (end < 0) fail("unterminated URI reference");
    const target = text.slice(i + 1, end);
    i = end + 1;
    const attributes: Record<string, string | true> = {};
    while (text[i] === ";") {
      i++;
      const m = /^[!#$&+\-.^_`|~0-9A-Za-z*]+/.exec(text.slice(i));
      if (m === null) fail("expected a parameter name");
      const name = m![0];
      i += name.length;
      if (text[i] !== "=") {
        attributes[name] = true;
        continue;
      }
      i++;
      if (text[i] === '"') {
        let value = "";
        i++;
        for (;;) {
          if (i >= text.length) fail("unterminated quoted string");
          const c = text[i]!;
          if (c === '"') break;
          if (c === "\\" && i + 1 < text.length) {
            value += text[i + 1];
            i += 2;
          } else {
            value += c;
            i++;
          }
        }
        i++;
        attributes[name] = value;
      } else {
        const v = /^[^;,]*/.exec(text.slice(i))![0];
        i += v.length;
        attributes[name] = v;
      }
    }
    links.push({ target, attributes });
    skipSpace();
    if (i >= text.length) return links;
    if (text[i] !== ",") fail("expected ',' between links");
    i++;
  }
}

function matches(value: string, pattern: string): boolean {
  // RFC 6690 §4.1: a trailing "*" matches any suffix.
  return pattern.endsWith("*")
    ? value.startsWith(pattern.slice(0, -1))
    : value === pattern;
}

/**
 * Filters links by one `/.well-known/core` query such as `rt=temperature`
 * or `href=/sensors*` (RFC 6690 §4.1). Relation types (`rt`, `if`, `rel`)
 * are space-separated lists; a link matches when any entry does.
 *
 * @param links The links.
 * @param query The Uri-Query items; only the first is used, as the RFC
 *   allows.
 * @returns The matching links.
 *
 * @example
 * ```ts
 * import { filterLinks } from "./link_format.ts";
 * import assert from "node:assert/strict";
 *
 * const links = [{ target: "/t", attributes: { rt: "temperature-c" } }, { target: "/h", attributes: { rt: "humidity" } }];
 * assert.deepEqual(filterLinks(links, ["rt=temp*"]).map((l) => l.target), ["/t"]);
 * ```
 */
export function filterLinks(
  links: readonly Link[],
  query: readonly string[],
): Link[] {
  const q = query[0];
  if (q === undefined) return [...links];
  const eq = q.indexOf("=");
  const name = eq < 0 ? q : q.slice(0, eq);
  const pattern = eq < 0 ? "*" : q.slice(eq + 1);
  return links.filter((l) => {
    if (name === "href") return matches(l.target, pattern);
    const v = l.attributes[name];
    if (v === undefined) return false;
    if (v === true) return pattern === "*" || pattern === "";
    const text = String(v);
    if (name === "rt" || name === "if" || name === "rel") {
      return text.split(" ").some((t) => matches(t, pattern));
    }
    return matches(text, pattern);
  });
}
