/**
 * The one mechanism that ends idle sessions, whatever the protocol: DTLS
 * associations (`TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT`, swept every
 * `TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT`), MQTT keep-alive and session
 * expiry, CoAP observers. Each table registers a {@link SweepTarget}; the
 * sweeper calls it at its interval and reports what each sweep removed.
 *
 * Sans-IO like the protocol cores: time comes in as `now`, and the adapter
 * arms one timer at {@link SessionSweeper.nextTimeout}.
 *
 * @module
 */

/**
 * A table of sessions the sweeper looks after. Kinds are told apart by name
 * only (`dtls/<listener>`, `mqtt/keep_alive`, `mqtt/session_expiry`,
 * `coap/observers`, ...): the sweeper knows nothing about protocols.
 */
export interface SweepTarget {
  /** Name for logs and counters, e.g. `dtls/default`. */
  readonly name: string;
  /** How often to sweep, in ms. */
  readonly intervalMs: number;
  /** Ends what is idle at `now`; returns how many sessions were removed. */
  sweep(now: number): number;
  /** Sessions the table holds now, when it can tell. */
  size?(): number;
}

/** What the sweeper knows of one target, for `$SYS` and metrics. */
export interface SweepFigures {
  /** Sessions removed by every sweep of this target so far. */
  readonly swept: number;
  /** Sessions the table holds now (targets with a `size` only). */
  readonly current?: number;
}

/** What one sweep of one target did. */
export interface SweepReport {
  /** The target's name. */
  readonly target: string;
  /** When the sweep ran. */
  readonly at: number;
  /** Sessions removed by this sweep. */
  readonly removed: number;
  /** Sessions removed by every sweep of this target so far. */
  readonly removedTotal: number;
  /** What the target threw, if the sweep failed. */
  readonly error?: unknown;
}

interface Entry {
  readonly target: SweepTarget;
  due: number;
  removedTotal: number;
}

/**
 * Runs every registered target's sweep at its interval.
 *
 * @example
 * ```ts
 * import { SessionSweeper } from "./sweeper.ts";
 * import { IdleIndex } from "./idle_index.ts";
 * import assert from "node:assert/strict";
 *
 * const idle = new IdleIndex<string>();
 * idle.touch("device-1", 0);
 * const sweeper = new SessionSweeper();
 * sweeper.register({
 *   name: "dtls/default",
 *   intervalMs: 1000,
 *   sweep: (now) => idle.takeIdle(now, 5000).length,
 * }, 0);
 * assert.equal(sweeper.nextTimeout(), 1000);
 * assert.deepEqual(sweeper.handleTimeout(1000), [
 *   { target: "dtls/default", at: 1000, removed: 0, removedTotal: 0 },
 * ]);
 * assert.equal(sweeper.handleTimeout(5000)[0]?.removed, 1);
 * ```
 */
export class SessionSweeper {
  readonly #entries = new Map<string, Entry>();

  /**
   * Adds a target; its first sweep is due one interval after `now`.
   *
   * @throws {RangeError} if a target of that name is registered or the
   * interval is not positive.
   */
  register(target: SweepTarget, now: number): void {
    if (this.#entries.has(target.name)) {
      throw new RangeError(`Cannot register sweep target ${target.name} twice`);
    }
    if (!(target.intervalMs > 0)) {
      throw new RangeError(
        `Cannot sweep ${target.name} every ${target.intervalMs} ms`,
      );
    }
    this.#entries.set(target.name, {
      target,
      due: now + target.intervalMs,
      removedTotal: 0,
    });
  }

  /** Removes a target. */
  unregister(name: string): void {
    this.#entries.delete(name);
  }

  /**
   * Sessions removed so far, by target name (registered targets only).
   *
   * @example
   * ```ts
   * import { SessionSweeper } from "./sweeper.ts";
   * import assert from "node:assert/strict";
   *
   * const sweeper = new SessionSweeper();
   * sweeper.register({ name: "mqtt/keep_alive", intervalMs: 1000, sweep: () => 2 }, 0);
   * sweeper.handleTimeout(1000);
   * assert.deepEqual(sweeper.totals(), { "mqtt/keep_alive": 2 });
   * ```
   */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, e] of this.#entries) out[name] = e.removedTotal;
    return out;
  }

  /**
   * Sweep totals and current sizes, by target name (registered targets
   * only); sizes are read now.
   *
   * @example
   * ```ts
   * import { SessionSweeper } from "./sweeper.ts";
   * import assert from "node:assert/strict";
   *
   * const sweeper = new SessionSweeper();
   * sweeper.register({ name: "dtls/default", intervalMs: 1000, sweep: () => 1, size: () => 4 }, 0);
   * sweeper.register({ name: "coap/default", intervalMs: 1000, sweep: () => 0 }, 0);
   * sweeper.handleTimeout(1000);
   * assert.deepEqual([...sweeper.figures()], [
   *   ["dtls/default", { swept: 1, current: 4 }],
   *   ["coap/default", { swept: 0 }],
   * ]);
   * ```
   */
  figures(): Map<string, SweepFigures> {
    const out = new Map<string, SweepFigures>();
    for (const [name, e] of this.#entries) {
      const current = e.target.size?.();
      out.set(
        name,
        current === undefined
          ? { swept: e.removedTotal }
          : { swept: e.removedTotal, current },
      );
    }
    return out;
  }

  /** The earliest due sweep, or `undefined` with no targets. */
  nextTimeout(): number | undefined {
    let next: number | undefined;
    for (const e of this.#entries.values()) {
      if (next === undefined || e.due < next) next = e.due;
    }
    return next;
  }

  /**
   * Sweeps every target that is due at `now` and returns one report each.
   * A target that throws is reported with `removed: 0` and its `error`, and
   * swept again at its next interval; it never stops the others.
   */
  handleTimeout(now: number): SweepReport[] {
    const reports: SweepReport[] = [];
    for (const e of this.#entries.values()) {
      if (e.due > now) continue;
      let removed = 0;
      let error: unknown;
      try {
        removed = e.target.sweep(now);
      } catch (err) {
        error = err;
      }
      e.removedTotal += removed;
      e.due = now + e.target.intervalMs;
      reports.push({
        target: e.target.name,
        at: now,
        removed,
        removedTotal: e.removedTotal,
        ...(error === undefined ? {} : { error }),
      });
    }
    return reports;
  }
}
