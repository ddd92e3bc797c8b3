/**
 * A deterministic simulated datagram link between two sans-IO cores, for
 * in-memory DTLS (and CoAP) tests: a virtual clock, seeded loss,
 * duplication, reordering, latency and jitter, an MTU above which datagrams
 * vanish, and named filters such as "drop the 1st datagram from a"
 * (quinn-proto `tests/util.rs` `Pair`, pion `genFilters`).
 *
 * Nothing here sleeps: {@link LossyLink.step} jumps the clock to the next
 * delivery or timer deadline. {@link LossyLink.driveBounded} runs to idle and
 * throws instead of hanging when the cores never settle, so a broken
 * retransmission loop fails a test with the trace rather than timing out.
 *
 * Every random choice comes from one {@link SeededRandom} in a fixed order
 * per datagram, so a seed reproduces a run exactly (see
 * {@link LossyLink.trace}).
 *
 * @module
 */

import { SeededRandom } from "./rng.ts";

/**
 * The shape every connection-like sans-IO core has (STYLE.md, quinn):
 * the DTLS association implements it.
 *
 * @example
 * ```ts
 * import type { DatagramCore } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const silent: DatagramCore = {
 *   handleInput() {},
 *   handleTimeout() {},
 *   pollTransmit: () => undefined,
 *   nextTimeout: () => undefined,
 * };
 * assert.equal(silent.pollTransmit(), undefined);
 * ```
 */
export interface DatagramCore {
  /** A datagram arrived at time `now` (ms). */
  handleInput(now: number, bytes: Uint8Array): void | Promise<void>;
  /** The deadline from {@link nextTimeout} passed; `now` is the time. */
  handleTimeout(now: number): void;
  /** The next datagram to send, or `undefined` when there is none. */
  pollTransmit(): Uint8Array | undefined;
  /** The absolute time (ms) `handleTimeout` wants to be called, if any. */
  nextTimeout(): number | undefined;
}

/**
 * The two ends of a link.
 *
 * @example
 * ```ts
 * import type { Side } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const client: Side = "a";
 * assert.equal(client, "a");
 * ```
 */
export type Side = "a" | "b";

/**
 * A datagram as filters see it.
 *
 * @example
 * ```ts
 * import { dropNth, type LinkDatagram } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const d: LinkDatagram = { from: "b", index: 1, bytes: new Uint8Array([22]), sentAt: 0 };
 * assert.equal(dropNth("b", 1).decide(d), "drop");
 * ```
 */
export interface LinkDatagram {
  /** The sender. */
  readonly from: Side;
  /** 1-based count of datagrams `from` has sent, this one included. */
  readonly index: number;
  readonly bytes: Uint8Array;
  /** Virtual time it was sent. */
  readonly sentAt: number;
}

/**
 * What a filter does with a datagram.
 *
 * @example
 * ```ts
 * import type { FilterVerdict } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const verdicts: FilterVerdict[] = ["pass", "drop", "duplicate", { delayMs: 5 }, { replace: new Uint8Array() }];
 * assert.equal(verdicts.length, 5);
 * ```
 */
export type FilterVerdict =
  | "pass"
  | "drop"
  | "duplicate"
  | { readonly delayMs: number }
  | { readonly replace: Uint8Array };

/**
 * A named rule applied to every datagram before random impairments.
 *
 * @example
 * ```ts
 * import type { LinkFilter } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const dropBig: LinkFilter = { name: "drop big", decide: (d) => d.bytes.length > 100 ? "drop" : "pass" };
 * assert.equal(dropBig.decide({ from: "a", index: 1, bytes: new Uint8Array(200), sentAt: 0 }), "drop");
 * ```
 */
export interface LinkFilter {
  readonly name: string;
  decide(datagram: LinkDatagram): FilterVerdict;
}

/**
 * Drops the `n`th datagrams (1-based) sent by `from`.
 *
 * @example
 * ```ts
 * import { dropNth } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const f = dropNth("a", 1, 3);
 * assert.equal(f.decide({ from: "a", index: 3, bytes: new Uint8Array(), sentAt: 0 }), "drop");
 * assert.equal(f.decide({ from: "b", index: 3, bytes: new Uint8Array(), sentAt: 0 }), "pass");
 * ```
 */
export function dropNth(from: Side, ...n: number[]): LinkFilter {
  return {
    name: `drop ${from}#${n.join(",")}`,
    decide: (d) => d.from === from && n.includes(d.index) ? "drop" : "pass",
  };
}

/**
 * Duplicates the `n`th datagrams (1-based) sent by `from`.
 *
 * @example
 * ```ts
 * import { duplicateNth } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(duplicateNth("b", 2).decide({ from: "b", index: 2, bytes: new Uint8Array(), sentAt: 0 }), "duplicate");
 * ```
 */
export function duplicateNth(from: Side, ...n: number[]): LinkFilter {
  return {
    name: `duplicate ${from}#${n.join(",")}`,
    decide: (d) =>
      d.from === from && n.includes(d.index) ? "duplicate" : "pass",
  };
}

/**
 * Delays the `n`th datagram sent by `from` by `ms` on top of the latency,
 * so that later datagrams overtake it.
 *
 * @example
 * ```ts
 * import { delayNth } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(delayNth("a", 1, 500).decide({ from: "a", index: 1, bytes: new Uint8Array(), sentAt: 0 }), { delayMs: 500 });
 * ```
 */
export function delayNth(from: Side, n: number, ms: number): LinkFilter {
  return {
    name: `delay ${from}#${n} by ${ms} ms`,
    decide: (d) => d.from === from && d.index === n ? { delayMs: ms } : "pass",
  };
}

/**
 * Drops every datagram for which `predicate` holds (e.g. all records of one
 * handshake message type).
 *
 * @example
 * ```ts
 * import { dropWhere } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const f = dropWhere("HelloVerifyRequestLost", (d) => d.from === "b" && d.bytes[13] === 3);
 * assert.equal(f.name, "HelloVerifyRequestLost");
 * ```
 */
export function dropWhere(
  name: string,
  predicate: (d: LinkDatagram) => boolean,
): LinkFilter {
  return { name, decide: (d) => predicate(d) ? "drop" : "pass" };
}

/**
 * Replaces the `n`th datagram sent by `from` with `edit(bytes)` (tampering,
 * truncation).
 *
 * @example
 * ```ts
 * import { rewriteNth } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const f = rewriteNth("a", 1, (b) => b.subarray(0, 1));
 * assert.deepEqual(f.decide({ from: "a", index: 1, bytes: new Uint8Array([1, 2]), sentAt: 0 }), { replace: new Uint8Array([1]) });
 * ```
 */
export function rewriteNth(
  from: Side,
  n: number,
  edit: (bytes: Uint8Array) => Uint8Array,
): LinkFilter {
  return {
    name: `rewrite ${from}#${n}`,
    decide: (d) =>
      d.from === from && d.index === n ? { replace: edit(d.bytes) } : "pass",
  };
}

/**
 * Options of a {@link LossyLink}.
 *
 * @example
 * ```ts
 * import type { LossyLinkOptions } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const lossy: LossyLinkOptions = { seed: 7, lossRate: 0.2, duplicateRate: 0.05, reorderRate: 0.1, latencyMs: 30, mtu: 1280 };
 * assert.equal(lossy.mtu, 1280);
 * ```
 */
export interface LossyLinkOptions {
  /** Seed of every random choice (default 1). */
  readonly seed?: number;
  /** Probability 0..1 that a datagram is lost (default 0). */
  readonly lossRate?: number;
  /** Probability 0..1 that a datagram is delivered twice (default 0). */
  readonly duplicateRate?: number;
  /**
   * Probability 0..1 that a datagram is held back by `reorderDelayMs`, so
   * that datagrams sent after it overtake it (default 0).
   */
  readonly reorderRate?: number;
  /** Extra delay of a reordered datagram, ms (default 2 × latency + 1). */
  readonly reorderDelayMs?: number;
  /** One-way latency, ms (default 10). */
  readonly latencyMs?: number;
  /** Random extra latency 0..jitterMs, ms (default 0). */
  readonly jitterMs?: number;
  /** Largest datagram carried, bytes; bigger ones are dropped (default none). */
  readonly mtu?: number;
  /** Named filters, applied in order; the first non-"pass" verdict wins. */
  readonly filters?: readonly LinkFilter[];
  /** Virtual time at the start, ms (default 0). */
  readonly startTime?: number;
}

/**
 * What happened to one datagram, for assertions and failure messages.
 *
 * @example
 * ```ts
 * import type { TraceEntry } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const e: TraceEntry = { time: 0, from: "a", index: 1, size: 100, fate: "filter:drop a#1" };
 * assert.match(e.fate, /^filter:/);
 * ```
 */
export interface TraceEntry {
  readonly time: number;
  readonly from: Side;
  readonly index: number;
  readonly size: number;
  readonly fate:
    | "scheduled"
    | "lost"
    | "mtu"
    | "duplicated"
    | "reordered"
    | `filter:${string}`;
}

/**
 * Counters per sending side.
 *
 * @example
 * ```ts
 * import type { SideStats } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * const s: SideStats = { sent: 2, delivered: 1, lost: 1, mtuDropped: 0, filtered: 0, duplicated: 0 };
 * assert.equal(s.sent, s.delivered + s.lost);
 * ```
 */
export interface SideStats {
  sent: number;
  delivered: number;
  lost: number;
  mtuDropped: number;
  filtered: number;
  duplicated: number;
}

function emptyStats(): SideStats {
  return {
    sent: 0,
    delivered: 0,
    lost: 0,
    mtuDropped: 0,
    filtered: 0,
    duplicated: 0,
  };
}

interface InFlight {
  readonly to: Side;
  readonly from: Side;
  readonly bytes: Uint8Array;
  readonly deliverAt: number;
  /** Tie-breaker: insertion order. */
  readonly order: number;
}

/**
 * Two cores joined by a simulated lossy datagram link on a virtual clock.
 *
 * @example An echo over a perfect link
 * ```ts
 * import { type DatagramCore, LossyLink } from "./lossy_link.ts";
 * import assert from "node:assert/strict";
 *
 * function echo(): DatagramCore & { got: number } {
 *   const out: Uint8Array[] = [];
 *   return {
 *     got: 0,
 *     handleInput(_now, bytes) { this.got++; out.push(bytes); },
 *     handleTimeout() {},
 *     pollTransmit: () => out.shift(),
 *     nextTimeout: () => undefined,
 *   };
 * }
 * const a = echo();
 * const b = echo();
 * const link = new LossyLink(a, b, { latencyMs: 5 });
 * link.inject("b", new Uint8Array([1])); // as if a had sent it
 * assert.throws(() => link.driveBounded(50), /did not settle/); // echo ping-pong forever
 * assert.equal(link.now, 49 * 5);
 * ```
 */
export class LossyLink {
  readonly #cores: Record<Side, DatagramCore>;
  readonly #rng: SeededRandom;
  readonly #loss: number;
  readonly #dup: number;
  readonly #reorder: number;
  readonly #reorderDelay: number;
  readonly #latency: number;
  readonly #jitter: number;
  readonly #mtu: number;
  readonly #filters: readonly LinkFilter[];
  readonly #queue: InFlight[] = [];
  #order = 0;
  #now: number;
  readonly #sent: Record<Side, number> = { a: 0, b: 0 };
  /** Per-sender counters. */
  readonly stats: Record<Side, SideStats> = {
    a: emptyStats(),
    b: emptyStats(),
  };
  /** Every datagram's fate, in order. */
  readonly trace: TraceEntry[] = [];
  /** Steps taken so far. */
  steps = 0;

  /**
   * @param a One end (e.g. the client).
   * @param b The other end (e.g. the server).
   * @param options Impairments and the seed.
   */
  constructor(
    a: DatagramCore,
    b: DatagramCore,
    options: LossyLinkOptions = {},
  ) {
    this.#cores = { a, b };
    this.#rng = new SeededRandom(options.seed ?? 1);
    this.#loss = options.lossRate ?? 0;
    this.#dup = options.duplicateRate ?? 0;
    this.#reorder = options.reorderRate ?? 0;
    this.#latency = options.latencyMs ?? 10;
    this.#reorderDelay = options.reorderDelayMs ?? 2 * this.#latency + 1;
    this.#jitter = options.jitterMs ?? 0;
    this.#mtu = options.mtu ?? Infinity;
    this.#filters = options.filters ?? [];
    this.#now = options.startTime ?? 0;
  }

  /** The virtual time, ms. */
  get now(): number {
    return this.#now;
  }

  /** Datagrams in flight. */
  get inFlight(): number {
    return this.#queue.length;
  }

  /**
   * Puts `bytes` on the wire towards `to` now, bypassing impairments
   * (injected or spoofed traffic).
   */
  inject(to: Side, bytes: Uint8Array, delayMs = 0): void {
    this.#enqueue(to === "a" ? "b" : "a", to, bytes, this.#now + delayMs);
  }

  /**
   * Sends what the cores have to send, then advances the clock to the next
   * delivery or deadline and handles everything due then.
   *
   * @returns `false` when nothing is left to do (idle).
   */
  step(): boolean {
    this.#collect("a");
    this.#collect("b");
    let next = this.#queue[0]?.deliverAt;
    for (const side of ["a", "b"] as const) {
      const t = this.#cores[side].nextTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    if (next === undefined) return false;
    this.steps++;
    this.#now = Math.max(this.#now, next);
    while (this.#queue.length > 0 && this.#queue[0]!.deliverAt <= this.#now) {
      const d = this.#queue.shift()!;
      this.stats[d.from].delivered++;
      this.#cores[d.to].handleInput(this.#now, d.bytes);
    }
    for (const side of ["a", "b"] as const) {
      const t = this.#cores[side].nextTimeout();
      if (t !== undefined && t <= this.#now) {
        this.#cores[side].handleTimeout(this.#now);
      }
    }
    return true;
  }

  /**
   * {@link LossyLink.step} for cores whose `handleInput` returns a promise
   * (the DTLS association: handshake crypto is async): each delivery is
   * awaited before the next, so runs stay deterministic.
   *
   * @returns Whether anything happened.
   */
  async stepAsync(): Promise<boolean> {
    this.#collect("a");
    this.#collect("b");
    const next = this.#nextEvent();
    if (next === undefined) return false;
    this.steps++;
    this.#now = Math.max(this.#now, next);
    while (this.#queue.length > 0 && this.#queue[0]!.deliverAt <= this.#now) {
      const d = this.#queue.shift()!;
      this.stats[d.from].delivered++;
      await this.#cores[d.to].handleInput(this.#now, d.bytes);
    }
    for (const side of ["a", "b"] as const) {
      const t = this.#cores[side].nextTimeout();
      if (t !== undefined && t <= this.#now) {
        this.#cores[side].handleTimeout(this.#now);
      }
    }
    return true;
  }

  /**
   * {@link LossyLink.driveBounded} with {@link LossyLink.stepAsync}.
   *
   * @param maxSteps Steps after which to throw.
   * @returns Steps taken.
   */
  async driveBoundedAsync(maxSteps = 10_000): Promise<number> {
    const start = this.steps;
    while (await this.stepAsync()) {
      if (this.steps - start >= maxSteps) {
        throw new Error(
          `Link did not settle within ${maxSteps} steps (now ${this.#now} ms)`,
        );
      }
    }
    return this.steps - start;
  }

  /**
   * {@link LossyLink.driveUntil} with {@link LossyLink.stepAsync}.
   *
   * @param done The condition.
   * @param maxSteps Steps after which to throw.
   */
  async driveUntilAsync(done: () => boolean, maxSteps = 10_000): Promise<void> {
    for (let i = 0; !done(); i++) {
      if (i >= maxSteps) {
        throw new Error(
          `Condition not reached within ${maxSteps} steps (now ${this.#now} ms)`,
        );
      }
      if (!(await this.stepAsync())) {
        throw new Error(
          `Link went idle at ${this.#now} ms before the condition held`,
        );
      }
    }
  }

  /**
   * Steps until idle.
   *
   * @param maxSteps Bound on steps.
   * @returns Steps taken.
   * @throws {Error} if still busy after `maxSteps`, with the recent trace.
   */
  driveBounded(maxSteps = 10_000): number {
    const start = this.steps;
    while (this.step()) {
      if (this.steps - start >= maxSteps) {
        throw new Error(
          `Link did not settle within ${maxSteps} steps (now ${this.#now} ms); last datagrams: ${
            JSON.stringify(this.trace.slice(-8))
          }`,
        );
      }
    }
    return this.steps - start;
  }

  /**
   * Steps until `done()` holds.
   *
   * @param done The condition, checked before every step.
   * @param maxSteps Bound on steps.
   * @throws {Error} if the link goes idle or `maxSteps` pass first.
   */
  driveUntil(done: () => boolean, maxSteps = 10_000): void {
    for (let i = 0; !done(); i++) {
      if (i >= maxSteps) {
        throw new Error(
          `Condition not reached within ${maxSteps} steps (now ${this.#now} ms)`,
        );
      }
      if (!this.step()) {
        throw new Error(
          `Link went idle at ${this.#now} ms before the condition held`,
        );
      }
    }
  }

  /**
   * Runs until the clock would pass `now + ms` (or idle), then sets the clock
   * to exactly `now + ms`.
   *
   * @param ms Virtual time to let pass.
   * @param maxSteps Bound on steps.
   * @throws {Error} if `maxSteps` pass first.
   */
  advance(ms: number, maxSteps = 10_000): void {
    const until = this.#now + ms;
    for (let i = 0;; i++) {
      if (i >= maxSteps) {
        throw new Error(`Link busy for ${maxSteps} steps before ${until} ms`);
      }
      this.#collect("a");
      this.#collect("b");
      const next = this.#nextEvent();
      if (next === undefined || next > until) break;
      this.step();
    }
    this.#now = until;
  }

  #nextEvent(): number | undefined {
    let next = this.#queue[0]?.deliverAt;
    for (const side of ["a", "b"] as const) {
      const t = this.#cores[side].nextTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  #collect(from: Side): void {
    const to: Side = from === "a" ? "b" : "a";
    for (;;) {
      const bytes = this.#cores[from].pollTransmit();
      if (bytes === undefined) return;
      this.#send(from, to, bytes);
    }
  }

  #send(from: Side, to: Side, original: Uint8Array): void {
    const index = ++this.#sent[from];
    const stats = this.stats[from];
    stats.sent++;
    // a fixed number of draws per datagram keeps runs reproducible
    const rLoss = this.#uniform();
    const rDup = this.#uniform();
    const rReorder = this.#uniform();
    const jitter1 = this.#rng.int(this.#jitter + 1);
    const jitter2 = this.#rng.int(this.#jitter + 1);
    const log = (fate: TraceEntry["fate"], size = original.length) =>
      this.trace.push({ time: this.#now, from, index, size, fate });

    let bytes = original;
    let extraDelay = 0;
    let duplicate = false;
    const d: LinkDatagram = { from, index, bytes, sentAt: this.#now };
    for (const f of this.#filters) {
      const v = f.decide(d);
      if (v === "pass") continue;
      if (v === "drop") {
        stats.filtered++;
        log(`filter:${f.name}`);
        return;
      }
      if (v === "duplicate") duplicate = true;
      else if ("delayMs" in v) extraDelay += v.delayMs;
      else bytes = v.replace;
      break;
    }
    if (bytes.length > this.#mtu) {
      stats.mtuDropped++;
      log("mtu", bytes.length);
      return;
    }
    if (rLoss < this.#loss) {
      stats.lost++;
      log("lost");
      return;
    }
    if (rReorder < this.#reorder) {
      extraDelay += this.#reorderDelay;
      log("reordered");
    }
    const at = this.#now + this.#latency + extraDelay;
    this.#enqueue(from, to, bytes, at + jitter1);
    log("scheduled", bytes.length);
    if (duplicate || rDup < this.#dup) {
      stats.duplicated++;
      log("duplicated", bytes.length);
      this.#enqueue(from, to, bytes.slice(), at + jitter2);
    }
  }

  #uniform(): number {
    return this.#rng.next() / 2 ** 32;
  }

  #enqueue(from: Side, to: Side, bytes: Uint8Array, deliverAt: number): void {
    const item: InFlight = { from, to, bytes, deliverAt, order: this.#order++ };
    const q = this.#queue;
    let i = q.length;
    while (
      i > 0 &&
      (q[i - 1]!.deliverAt > deliverAt ||
        (q[i - 1]!.deliverAt === deliverAt && q[i - 1]!.order > item.order))
    ) i--;
    q.splice(i, 0, item);
  }
}
