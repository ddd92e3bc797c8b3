/**
 * CoAP core (RFC 7252, RFC 7641 Observe, RFC 7959 Block-wise, RFC 6690
 * link format): a sans-IO codec, message layer, server and client.
 *
 * @example
 * ```ts
 * import { CoapServer, Router, Code } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new CoapServer(new Router().add("GET", "/time", () => ({ code: Code.CONTENT, payload: "now" }), { obs: true }));
 * assert.equal(server.observerCount, 0);
 * ```
 *
 * @module
 */

export * from "./codes.ts";
export * from "./options.ts";
export * from "./message.ts";
export * from "./content_format.ts";
export * from "./errors.ts";
export * from "./message_layer.ts";
export * from "./observe.ts";
export * from "./block.ts";
export * from "./link_format.ts";
export * from "./router.ts";
export * from "./server.ts";
export * from "./client.ts";
