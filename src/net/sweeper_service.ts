/**
 * Runs the one {@link SessionSweeper} of the server on a timer and logs
 * what each sweep removed. Listeners register their session tables here.
 *
 * @module
 */

import {
  SessionSweeper,
  type SweepFigures,
  type SweepTarget,
} from "../sessions/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ServerContext } from "../server.ts";

const KEY = "sweeper";

/**
 * The adapter around the sans-IO sweeper: one timer at its next deadline.
 *
 * @example
 * ```ts
 * import { SweeperService } from "./sweeper_service.ts";
 * import { Logger } from "../log/mod.ts";
 *
 * const service = new SweeperService(new Logger({ sink: () => {} }));
 * service.register({ name: "t", intervalMs: 60_000, sweep: () => 0 });
 * await service.close();
 * ```
 */
export class SweeperService {
  readonly #sweeper = new SessionSweeper();
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #listeners = new Set<
    (figures: Map<string, SweepFigures>) => void
  >();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param logger Where sweep reports go.
   * @param clock Milliseconds (default `Date.now`).
   */
  constructor(logger: Logger, clock: () => number = Date.now) {
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Adds a session table; its first sweep is one interval from now. */
  register(target: SweepTarget): void {
    this.#sweeper.register(target, this.#clock());
    this.#arm();
  }

  /** Sessions removed so far, by target name. */
  totals(): Record<string, number> {
    return this.#sweeper.totals();
  }

  /**
   * Calls `listener` with `SessionSweeper.figures()` now and after each
   * round of sweeps (how the MQTT broker gets them for `$SYS`).
   *
   * @returns Stops the calls.
   *
   * @example
   * ```ts
   * import { SweeperService } from "./sweeper_service.ts";
   * import { Logger } from "../log/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const service = new SweeperService(new Logger({ sink: () => {} }));
   * service.register({ name: "t", intervalMs: 60_000, sweep: () => 0, size: () => 3 });
   * let seen: unknown;
   * const stop = service.onFigures((f) => seen = f.get("t"));
   * assert.deepEqual(seen, { swept: 0, current: 3 });
   * stop();
   * await service.close();
   * ```
   */
  onFigures(
    listener: (figures: Map<string, SweepFigures>) => void,
  ): () => void {
    this.#listeners.add(listener);
    listener(this.#sweeper.figures());
    return () => this.#listeners.delete(listener);
  }

  /** Removes a session table. */
  unregister(name: string): void {
    this.#sweeper.unregister(name);
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#sweeper.nextTimeout();
    if (this.#closed || next === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      for (const r of this.#sweeper.handleTimeout(this.#clock())) {
        if (r.error !== undefined) {
          this.#logger.error("sweep.failed", {
            target: r.target,
            error: r.error,
          });
        } else {
          const fields = {
            target: r.target,
            removed: r.removed,
            removedTotal: r.removedTotal,
          };
          if (r.removed > 0) this.#logger.info("sweep.done", fields);
          else this.#logger.debug("sweep.done", fields);
        }
      }
      if (this.#listeners.size > 0) {
        const figures = this.#sweeper.figures();
        for (const listener of this.#listeners) listener(figures);
      }
      this.#arm();
    }, Math.max(0, next - this.#clock()));
  }

  /** Stops the timer. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }
}

/**
 * The server's sweeper service, created on first use.
 *
 * @example
 * ```ts
 * import { sweeperService } from "./sweeper_service.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: defaultConfig(), logger, services };
 * assert.equal(await sweeperService(ctx), await sweeperService(ctx));
 * await services.close();
 * ```
 */
export function sweeperService(ctx: ServerContext): Promise<SweeperService> {
  const services = ctx.services;
  if (services === undefined) {
    throw new TypeError("The server context has no service registry");
  }
  return services.get(
    KEY,
    (logger) => Promise.resolve(new SweeperService(logger)),
  );
}
