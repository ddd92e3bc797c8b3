/**
 * Which hello message an extension block belongs to.
 *
 * @module
 */

/**
 * The hello an extension block was read from. A few extensions have a
 * different body in each direction: `server_name` and `status_request` are
 * empty in the ServerHello (RFC 6066 §3, §8).
 *
 * @example
 * ```ts
 * import type { ExtensionContext } from "./context.ts";
 * import assert from "node:assert/strict";
 *
 * const ctx: ExtensionContext = "server_hello";
 * assert.equal(ctx, "server_hello");
 * ```
 */
export type ExtensionContext = "client_hello" | "server_hello";
