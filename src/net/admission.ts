/**
 * Admission of new connections to a listener: its `access_rules` and its
 * `max_connections`. A refused connection is closed at once by the caller;
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
    let refusal: Refusal | undefined;
    if (this.#decide(host) === "deny") refusal = "access_rules";
    else if (this.#open >= this.#max) refusal = "max_connections";
    if (refusal === undefined) {
      this.#open++;
      if (this.#open < this.#max) this.#warned = false;
      return true;
    }
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
    return false;
  }

  /** A connection admitted earlier ended. */
  release(): void {
    if (this.#open > 0) this.#open--;
  }
}
