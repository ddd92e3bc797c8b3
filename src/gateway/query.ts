/**
 * The query items of gateway requests.
 *
 * @module
 */

/**
 * `name=value` query items as a map.
 *
 * @param items Uri-Query items.
 * @returns The map (an item without `=` maps to "").
 *
 * @example
 * ```ts
 * import { parseQuery } from "./query.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseQuery(["qos=1", "password=a=b"]).get("password"), "a=b");
 * ```
 */
export function parseQuery(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const i = item.indexOf("=");
    if (i < 0) out.set(item, "");
    else out.set(item.slice(0, i), item.slice(i + 1));
  }
  return out;
}
