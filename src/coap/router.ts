/**
 * Path routing and method dispatch for the CoAP server (RFC 7252 §5.8,
 * §6.4 for Uri-Path), plus the resource directory published at
 * `/.well-known/core` (RFC 6690 §4).
 *
 * Patterns are `/`-separated segments; `:name` captures one segment and a
 * final `*` captures the rest (joined with `/`, as `params["*"]`).
 *
 * @module
 */

import type { Method } from "./codes.ts";
import type { CoapOption } from "./options.ts";
import type { PeerId } from "./message_layer.ts";
import type { Link } from "./link_format.ts";

/**
 * A request as a handler sees it (Block1 already reassembled).
 *
 * @example
 * ```ts
 * import type { CoapRequest } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const req: CoapRequest = { method: "GET", path: ["time"], query: [], params: {}, payload: new Uint8Array(), options: [], peer: "p" };
 * assert.equal(req.path[0], "time");
 * ```
 */
export interface CoapRequest {
  /** The method. */
  readonly method: Method;
  /** Uri-Path segments. */
  readonly path: readonly string[];
  /** Uri-Query items. */
  readonly query: readonly string[];
  /** Captured pattern parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** The (reassembled) payload. */
  readonly payload: Uint8Array;
  /** All request options. */
  readonly options: readonly CoapOption[];
  /** Content-Format of the payload, if given. */
  readonly contentFormat?: number;
  /** Accept, if given. */
  readonly accept?: number;
  /** The sender. */
  readonly peer: PeerId;
  /** The authenticated identity from the secure transport, if any. */
  readonly identity?: unknown;
  /** True when the request is a notification refresh for an observer. */
  readonly notification?: boolean;
}

/**
 * What a handler returns.
 *
 * @example
 * ```ts
 * import type { CoapResponse } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const res: CoapResponse = { code: 0x45, payload: "22.3 C", contentFormat: 0 };
 * assert.equal(res.code, 0x45);
 * ```
 */
export interface CoapResponse {
  /** Response code, e.g. `Code.CONTENT`. */
  readonly code: number;
  /** Body; a string is UTF-8 encoded. */
  readonly payload?: Uint8Array | string;
  /** Content-Format of the body. */
  readonly contentFormat?: number;
  /** Max-Age, seconds. */
  readonly maxAge?: number;
  /** Extra options (ETag, Location-Path…). */
  readonly options?: readonly CoapOption[];
}

/**
 * A request handler; a promise makes the server answer with an empty ACK
 * and a separate response (RFC 7252 §5.2.2).
 *
 * @example
 * ```ts
 * import type { Handler } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const h: Handler = () => ({ code: 0x45, payload: "ok" });
 * assert.equal(typeof h, "function");
 * ```
 */
export type Handler = (
  request: CoapRequest,
) => CoapResponse | Promise<CoapResponse>;

/**
 * Attributes published for a resource in `/.well-known/core`.
 *
 * @example
 * ```ts
 * import type { ResourceInfo } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const info: ResourceInfo = { rt: "clock", ct: 0, obs: true };
 * assert.ok(info.obs);
 * ```
 */
export interface ResourceInfo {
  /** Resource type (`rt`). */
  readonly rt?: string;
  /** Interface description (`if`). */
  readonly if?: string;
  /** Content format (`ct`). */
  readonly ct?: number;
  /** Human-readable title. */
  readonly title?: string;
  /** Observable (`obs`, RFC 7641 §6): GET with Observe registers. */
  readonly obs?: boolean;
  /** Leave out of `/.well-known/core`. */
  readonly hidden?: boolean;
}

interface Route {
  readonly segments: readonly string[];
  readonly handlers: Map<Method, Handler>;
  info: ResourceInfo;
}

/**
 * Result of {@link Router.match}.
 *
 * @example
 * ```ts
 * import type { RouteMatch } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const m: RouteMatch = { kind: "not-found" };
 * assert.equal(m.kind, "not-found");
 * ```
 */
export type RouteMatch =
  | {
    readonly kind: "found";
    readonly handler: Handler;
    readonly params: Record<string, string>;
    readonly info: ResourceInfo;
  }
  | { readonly kind: "method-not-allowed" }
  | { readonly kind: "not-found" };

function split(pattern: string): string[] {
  const p = pattern.replace(/^\/+/, "");
  return p === "" ? [] : p.split("/");
}

/**
 * The route table.
 *
 * @example
 * ```ts
 * import { Router } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new Router().add("GET", "/sensors/:id", (req) => ({ code: 0x45, payload: req.params.id ?? "" }), { rt: "sensor" });
 * const m = r.match("GET", ["sensors", "t1"]);
 * assert.equal(m.kind === "found" && m.params.id, "t1");
 * assert.equal(r.match("PUT", ["sensors", "t1"]).kind, "method-not-allowed");
 * assert.equal(r.match("GET", ["x"]).kind, "not-found");
 * ```
 */
export class Router {
  readonly #routes: Route[] = [];
  #version = 0;

  /**
   * Counts changes: {@link Router.links} differs only after it moved.
   *
   * @example
   * ```ts
   * import { Router } from "./router.ts";
   * import assert from "node:assert/strict";
   *
   * const r = new Router();
   * const v = r.version;
   * r.add("GET", "/t", () => ({ code: 0x45 }));
   * assert.notEqual(r.version, v);
   * ```
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Adds a handler for a method and path pattern.
   *
   * @param method The method.
   * @param pattern E.g. "/ps/:topic/*".
   * @param handler The handler.
   * @param info Attributes for `/.well-known/core` (merged per pattern).
   * @returns This router.
   */
  add(
    method: Method,
    pattern: string,
    handler: Handler,
    info: ResourceInfo = {},
  ): this {
    const segments = split(pattern);
    const key = segments.join("/");
    let route = this.#routes.find((r) => r.segments.join("/") === key);
    if (route === undefined) {
      route = { segments, handlers: new Map(), info: {} };
      this.#routes.push(route);
    }
    route.handlers.set(method, handler);
    route.info = { ...route.info, ...info };
    this.#version++;
    return this;
  }

  /**
   * Whether a route exists for exactly this pattern.
   *
   * @param pattern The pattern.
   * @returns True when added before.
   */
  has(pattern: string): boolean {
    const key = split(pattern).join("/");
    return this.#routes.some((r) => r.segments.join("/") === key);
  }

  /**
   * Finds the handler for a request.
   *
   * @param method The method.
   * @param path Uri-Path segments.
   * @returns The handler and parameters, or why there is none.
   */
  match(method: Method, path: readonly string[]): RouteMatch {
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, path);
      if (params === undefined) continue;
      pathMatched = true;
      const handler = route.handlers.get(method);
      if (handler !== undefined) {
        return { kind: "found", handler, params, info: route.info };
      }
    }
    return pathMatched ? { kind: "method-not-allowed" } : { kind: "not-found" };
  }

  /**
   * The links published in `/.well-known/core`: every non-hidden route
   * (patterns with parameters are published as written).
   *
   * @returns The links.
   */
  links(): Link[] {
    const out: Link[] = [];
    for (const r of this.#routes) {
      if (r.info.hidden) continue;
      const attributes: Record<string, string | number | true> = {};
      if (r.info.title !== undefined) attributes.title = r.info.title;
      if (r.info.rt !== undefined) attributes.rt = r.info.rt;
      if (r.info.if !== undefined) attributes.if = r.info.if;
      if (r.info.ct !== undefined) attributes.ct = r.info.ct;
      if (r.info.obs) attributes.obs = true;
      out.push({ target: `/${r.segments.join("/")}`, attributes });
    }
    return out;
  }
}

function matchSegments(
  pattern: readonly string[],
  path: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === "*" && i === pattern.length - 1) {
      params["*"] = path.slice(i).join("/");
      return params;
    }
    const s = path[i];
    if (s === undefined) return undefined;
    if (p.startsWith(":")) params[p.slice(1)] = s;
    else if (p !== s) return undefined;
  }
  return path.length === pattern.length ? params : undefined;
}
