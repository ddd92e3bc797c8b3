/**
 * Admission of new connections to a listener: its `access_rules` and its
 * `max_connections`. On a `proxy_protocol` listener the slot is reserved at
 * accept and the access rules are checked against the client address that
 * the PROXY header names, not the proxy's. A refused connection is closed at once by the caller;
 * refusals are counted and logged (one line per refusal at debug level, and
 * the first refusal of each burst at warn level so that a full listener is
 * visible without debug logging).
 *
 * @module
 */

import { compileAccessRules } from "../config/access_rules.ts";
import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";

/**
 * Why a connection was refused.
 *
 * @example
 * ```ts
 * import type { Refusal } from "./admission.ts";
 *
 * const r: Refusal = "max_connections";
 * ```
 */
export type Refusal = "max_connections" | "access_rules";

/**
 * Counts a listener's open connections and decides on new ones.
 *
 * @example
 * ```ts
 * import { Admission } from "./admission.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const cfg = { ...defaultListener("tcp", "default"), maxConnections: 1 };
 * const admission = new Admission(cfg);
 * assert.equal(admission.admit("127.0.0.1"), true);
 * assert.equal(admission.admit("127.0.0.1"), false);
 * assert.equal(admission.refused, 1);
 * admission.release();
 * assert.equal(admission.admit("127.0.0.1"), true);
 * ```
 */
export class Admission {
  readonly #max: number;
  readonly #decide: (address: string) => "allow" | "deny";
  readonly #logger: Logger | undefined;
  #open = 0;
  #refused = 0;
  #warned = false;

  /**
   * @param cfg The listener (`maxConnections`, `accessRules`).
   * @param logger Where refusals are logged.
   */
  constructor(cfg: ListenerConfig, logger?: Logger) {
    this.#max = cfg.maxConnections;
    this.#decide = compileAccessRules(cfg.accessRules);
    this.#logger = logger;
  }

  /** Connections admitted and not yet released. */
  get open(): number {
    return this.#open;
  }

  /** Connections refused so far. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Admits a connection from `host` (counting it) or refuses it.
   *
   * @param host The peer's IP address.
   * @returns Whether to serve it; on `false`, close it now.
   */
  admit(host: string): boolean {
    if (this.#decide(host) === "deny") {
      this.#refuse(host, "access_rules");
      return false;
    }
    return this.reserve(host);
  }

  /**
   * Counts a connection against `max_connections` only, before its real
   * address is known (a PROXY protocol listener); {@link permits} then
   * checks the access rules once the header named the client.
   *
   * @param host The address the connection came from (the proxy).
   * @returns Whether to go on; on `false`, close it now.
   *
   * @example
   * ```ts
   * import { Admission } from "./admission.ts";
   * import { defaultListener } from "../config/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const cfg = {
   *   ...defaultListener("tcp", "default"),
   *   accessRules: [{ action: "deny" as const, source: "10.0.0.0/8" }, { action: "allow" as const, source: "all" }],
   * };
   * const admission = new Admission(cfg);
   * assert.equal(admission.reserve("10.0.0.1"), true);
   * assert.equal(admission.permits("10.1.2.3"), false);
   * admission.release();
   * assert.equal(admission.open, 0);
   * ```
   */
  reserve(host: string): boolean {
    if (this.#open >= this.#max) {
      this.#refuse(host, "max_connections");
      return false;
    }
    this.#open++;
    if (this.#open < this.#max) this.#warned = false;
    return true;
  }

  /**
   * Checks `host` against the access rules only, counting and logging a
   * refusal; the caller releases the slot it {@link reserve}d.
   *
   * @param host The client's IP address.
   * @returns Whether the rules allow it.
   */
  permits(host: string): boolean {
    if (this.#decide(host) === "allow") return true;
    this.#refuse(host, "access_rules");
    return false;
  }

  #refuse(host: string, refusal: Refusal): void {
    this.#refused++;
    const fields = {
      remote: host,
      reason: refusal,
      open: this.#open,
      refused: this.#refused,
    };
    if (refusal === "max_connections" && !this.#warned) {
      this.#warned = true;
      this.#logger?.warn("connection.refused", fields);
    } else {
      this.#logger?.debug("connection.refused", fields);
    }
  }

  /** A connection admitted earlier ended. */
  release(): void {
    if (this.#open > 0) this.#open--;
  }
}
