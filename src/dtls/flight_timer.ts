/**
 * DTLS flights and their retransmission timer (RFC 6347 §4.2.4).
 *
 * The timer's part of the RFC 6347 §4.2.4 state machine (simplified from
 * its Figure 2):
 *
 * ```text
 *   PREPARING --buffer next flight--> SENDING --send flight,
 *       ^                                ^      set timer--> WAITING
 *       |                                |                     |
 *       |                                +--timer expires------+
 *       |                                +--read retransmit----+
 *       +--------------receive next flight---------------------+
 *                                  (receive last flight: FINISHED)
 * ```
 *
 * {@link FlightTimer} is the timer alone, pure and driven by `now` (ms):
 * initial 1 s, doubled on every retransmission, capped at 60 s
 * (RFC 6347 §4.2.4.1); a flight acknowledged without any retransmission
 * resets it to the initial value ("retain the current timer value until a
 * transmission without loss occurs"), and so does a start after an idle
 * period of at least ten times the current value.
 *
 * **Give-up policy.** RFC 6347 leaves the number of retransmissions open.
 * The default is 7, which with the doubling gives timeouts of
 * 1, 2, 4, 8, 16, 32, 60 and 60 s: the flight is sent 8 times over 123 s
 * and abandoned 183 s after the first send. That is long on purpose:
 * RFC 7925 devices sleep and sit behind lossy, slow radio links, and a
 * failed handshake costs such a device more than a late one costs the
 * server (whose half-open state is bounded elsewhere). Set
 * `maxRetransmissions` lower for interactive peers.
 *
 * {@link Flight} is the buffered flight. It stores **messages to re-record,
 * not encrypted bytes**: each retransmission must put every record under a
 * new sequence number (RFC 6347 §4.2.4: retransmitted records are new
 * records) and protect the Finished under the flight's new epoch again, and
 * the fragment size may shrink after losses (RFC 6347 §4.1.1.1). So the
 * association re-fragments and re-protects the flight on every send.
 * HelloVerifyRequest is never put in a retransmitting flight: the server
 * sends it statelessly and the client's retransmitted ClientHello gets a
 * fresh one (RFC 6347 §4.2.1).
 *
 * @module
 */

import { ContentType } from "../tls/content_type.ts";
import {
  DEFAULT_MAX_FRAGMENT_BODY,
  encodeHandshakeMessage,
  fragmentHandshake,
} from "./fragment.ts";

/**
 * Options of a {@link FlightTimer}.
 *
 * @example
 * ```ts
 * import { FlightTimer, type FlightTimerOptions } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * // RFC 7925 §11: slow radio links may start higher
 * const options: FlightTimerOptions = { initialTimeoutMs: 9000, maxRetransmissions: 4 };
 * const t = new FlightTimer(options);
 * t.start(0);
 * assert.equal(t.nextDeadline(), 9000);
 * ```
 */
export interface FlightTimerOptions {
  /** First timeout, ms (default 1000, RFC 6347 §4.2.4.1). */
  readonly initialTimeoutMs?: number;
  /** Cap of the doubled timeout, ms (default 60000, RFC 6298 §2.5 maximum). */
  readonly maxTimeoutMs?: number;
  /** Retransmissions before giving up (default 7; see the module doc). */
  readonly maxRetransmissions?: number;
}

/**
 * What to do when the timer is polled.
 *
 * @example
 * ```ts
 * import { FlightTimer, type TimeoutAction } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * const action: TimeoutAction = new FlightTimer().onTimeout(0);
 * assert.equal(action, "wait");
 * ```
 */
export type TimeoutAction =
  /** The deadline passed: send the flight again. */
  | "retransmit"
  /** The deadline passed with no retransmission left: fail the handshake. */
  | "give_up"
  /** Not armed, or the deadline has not come yet: nothing to do. */
  | "wait";

/**
 * The retransmission timer of one endpoint's handshake.
 *
 * @example Deadlines double from 1 s
 * ```ts
 * import { FlightTimer } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * const t = new FlightTimer();
 * t.start(0);
 * assert.equal(t.nextDeadline(), 1000);
 * assert.equal(t.onTimeout(999), "wait");
 * assert.equal(t.onTimeout(1000), "retransmit");
 * assert.equal(t.nextDeadline(), 3000);
 * t.stop(1500); // the peer's next flight arrived
 * assert.equal(t.nextDeadline(), undefined);
 * ```
 */
export class FlightTimer {
  readonly #initial: number;
  readonly #max: number;
  readonly #maxRetransmissions: number;
  #timeout: number;
  #deadline: number | undefined;
  #retransmissions = 0;
  #stoppedAt: number | undefined;

  /**
   * Creates a disarmed timer.
   *
   * @param options Timer values; the defaults are RFC 6347's.
   */
  constructor(options: FlightTimerOptions = {}) {
    this.#initial = options.initialTimeoutMs ?? 1000;
    this.#max = options.maxTimeoutMs ?? 60_000;
    this.#maxRetransmissions = options.maxRetransmissions ?? 7;
    if (
      !(this.#initial > 0) || !(this.#max >= this.#initial) ||
      !Number.isInteger(this.#maxRetransmissions) ||
      this.#maxRetransmissions < 0
    ) {
      throw new RangeError(
        "Cannot create a flight timer: need 0 < initial <= max and a non-negative retransmission count",
      );
    }
    this.#timeout = this.#initial;
  }

  /** The timeout the next wait will use, ms. */
  get timeoutMs(): number {
    return this.#timeout;
  }

  /** Retransmissions of the current flight so far. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** Whether a deadline is set. */
  get armed(): boolean {
    return this.#deadline !== undefined;
  }

  /**
   * Arms the timer for a flight just sent (WAITING state).
   *
   * @param now Current time, ms.
   *
   * @example
   * ```ts
   * import { FlightTimer } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const t = new FlightTimer({ initialTimeoutMs: 2000 });
   * t.start(500);
   * assert.equal(t.nextDeadline(), 2500);
   * ```
   */
  start(now: number): void {
    // RFC 6347 §4.2.4.1: after idleness of 10× the timer, start afresh
    if (
      this.#stoppedAt !== undefined &&
      now - this.#stoppedAt >= 10 * this.#timeout
    ) {
      this.#timeout = this.#initial;
    }
    this.#retransmissions = 0;
    this.#deadline = now + this.#timeout;
  }

  /**
   * The absolute deadline, or `undefined` when not armed.
   *
   * @example
   * ```ts
   * import { FlightTimer } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new FlightTimer().nextDeadline(), undefined);
   * ```
   */
  nextDeadline(): number | undefined {
    return this.#deadline;
  }

  /**
   * Polls the timer. When the deadline has passed either the flight is to be
   * retransmitted (and the timer re-armed with the doubled value) or the
   * retransmissions are used up (and the timer disarmed).
   *
   * @param now Current time, ms.
   * @returns `"retransmit"`, `"give_up"` or `"wait"`.
   *
   * @example Give up after the last retransmission
   * ```ts
   * import { FlightTimer } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const t = new FlightTimer({ maxRetransmissions: 1 });
   * t.start(0);
   * assert.equal(t.onTimeout(1000), "retransmit");
   * assert.equal(t.onTimeout(3000), "give_up");
   * assert.equal(t.armed, false);
   * ```
   */
  onTimeout(now: number): TimeoutAction {
    if (this.#deadline === undefined || now < this.#deadline) return "wait";
    if (this.#retransmissions >= this.#maxRetransmissions) {
      this.#deadline = undefined;
      return "give_up";
    }
    this.#retransmissions++;
    // RFC 6347 §4.2.4.1: double the value at each retransmission, up to 60 s
    this.#timeout = Math.min(this.#timeout * 2, this.#max);
    this.#deadline = now + this.#timeout;
    return "retransmit";
  }

  /**
   * Re-arms with the current value, without doubling or counting: for when
   * the flight was resent because the peer retransmitted its own
   * (RFC 6347 §4.2.4, "Read retransmit" back to WAITING).
   *
   * @param now Current time, ms.
   *
   * @example
   * ```ts
   * import { FlightTimer } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const t = new FlightTimer();
   * t.start(0);
   * t.rearm(400);
   * assert.equal(t.nextDeadline(), 1400);
   * assert.equal(t.retransmissions, 0);
   * ```
   */
  rearm(now: number): void {
    this.#deadline = now + this.#timeout;
  }

  /**
   * Disarms the timer: the peer's next flight arrived (or the handshake
   * ended). A flight that needed no retransmission resets the timeout to
   * its initial value (RFC 6347 §4.2.4.1).
   *
   * @param now Current time, ms, used for the idle rule of {@link start}.
   *
   * @example
   * ```ts
   * import { FlightTimer } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const t = new FlightTimer();
   * t.start(0);
   * t.onTimeout(1000); // one loss: the next flight keeps 2 s
   * t.stop(1200);
   * t.start(1300);
   * assert.equal(t.nextDeadline(), 3300);
   * t.stop(1400); // no loss this time: back to 1 s
   * t.start(1500);
   * assert.equal(t.nextDeadline(), 2500);
   * ```
   */
  stop(now?: number): void {
    if (this.#deadline !== undefined && this.#retransmissions === 0) {
      this.#timeout = this.#initial;
    }
    this.#deadline = undefined;
    if (now !== undefined) this.#stoppedAt = now;
  }
}

/**
 * One message of a buffered flight.
 *
 * @example
 * ```ts
 * import type { FlightEntry } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * const ccs: FlightEntry = { kind: "change_cipher_spec", epoch: 0 };
 * assert.equal(ccs.epoch, 0);
 * ```
 */
export type FlightEntry =
  | {
    readonly kind: "handshake";
    /** Epoch to protect it under (0 before ChangeCipherSpec). */
    readonly epoch: number;
    readonly msgType: number;
    readonly messageSeq: number;
    /** The whole, unfragmented body. */
    readonly body: Uint8Array;
    /**
     * The same message with its 12-byte header (fragment_offset 0,
     * fragment_length = length), as the transcript holds it: sent as it
     * is when it fits one fragment.
     */
    readonly framed?: Uint8Array;
  }
  | {
    readonly kind: "change_cipher_spec";
    /** Epoch of the record carrying it (the epoch before the change). */
    readonly epoch: number;
  };

/**
 * A plaintext record of a flight, to be protected under `epoch` and sent.
 *
 * @example
 * ```ts
 * import { Flight, type FlightRecord } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * const [r]: FlightRecord[] = new Flight([{ kind: "change_cipher_spec", epoch: 0 }]).records();
 * assert.deepEqual(r, { type: 20, epoch: 0, fragment: new Uint8Array([1]) });
 * ```
 */
export interface FlightRecord {
  /** Content type: handshake (22) or change_cipher_spec (20). */
  readonly type: number;
  /** Epoch whose write state protects the record. */
  readonly epoch: number;
  /** Plaintext fragment: one handshake fragment, or the CCS byte. */
  readonly fragment: Uint8Array;
}

/**
 * A buffered flight (RFC 6347 §4.2.4): the messages one side sends before
 * waiting for the other, kept until the peer's next flight shows that it
 * arrived.
 *
 * @example Server flight 4 of a PSK handshake, ready to (re)send
 * ```ts
 * import { Flight } from "./flight_timer.ts";
 * import assert from "node:assert/strict";
 *
 * const flight = new Flight([
 *   { kind: "handshake", epoch: 0, msgType: 2, messageSeq: 1, body: new Uint8Array(2000) },
 *   { kind: "handshake", epoch: 0, msgType: 14, messageSeq: 2, body: new Uint8Array() },
 * ]);
 * const records = flight.records(1000);
 * assert.deepEqual(records.map((r) => r.fragment.length), [1012, 1012, 12]);
 * ```
 */
export class Flight {
  /** The messages in sending order. */
  readonly entries: readonly FlightEntry[];

  /**
   * Buffers a flight.
   *
   * @param entries The messages in sending order.
   */
  constructor(entries: readonly FlightEntry[]) {
    this.entries = entries;
  }

  /**
   * The plaintext records of one transmission of this flight: every
   * handshake message split to fit `maxFragmentBody`, and the
   * ChangeCipherSpec as its one-byte record (RFC 5246 §7.1). Call again for
   * every retransmission and protect each record with a fresh sequence
   * number of its epoch.
   *
   * @param maxFragmentBody Body bytes per handshake fragment.
   *
   * @example The Finished goes under the new epoch
   * ```ts
   * import { Flight } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const flight = new Flight([
   *   { kind: "change_cipher_spec", epoch: 0 },
   *   { kind: "handshake", epoch: 1, msgType: 20, messageSeq: 4, body: new Uint8Array(12) },
   * ]);
   * assert.deepEqual(flight.records().map((r) => [r.type, r.epoch]), [[20, 0], [22, 1]]);
   * ```
   */
  records(maxFragmentBody: number = DEFAULT_MAX_FRAGMENT_BODY): FlightRecord[] {
    const out: FlightRecord[] = [];
    for (const e of this.entries) {
      if (e.kind === "change_cipher_spec") {
        out.push({
          type: ContentType.change_cipher_spec,
          epoch: e.epoch,
          fragment: new Uint8Array([1]),
        });
        continue;
      }
      if (e.framed !== undefined && e.body.length <= maxFragmentBody) {
        out.push({
          type: ContentType.handshake,
          epoch: e.epoch,
          fragment: e.framed,
        });
        continue;
      }
      for (
        const fragment of fragmentHandshake(
          e.msgType,
          e.messageSeq,
          e.body,
          maxFragmentBody,
        )
      ) {
        out.push({ type: ContentType.handshake, epoch: e.epoch, fragment });
      }
    }
    return out;
  }

  /**
   * The unfragmented handshake messages of the flight, in order, as the
   * transcript hashes them (RFC 6347 §4.2.6).
   *
   * @example
   * ```ts
   * import { Flight } from "./flight_timer.ts";
   * import assert from "node:assert/strict";
   *
   * const flight = new Flight([{ kind: "handshake", epoch: 0, msgType: 14, messageSeq: 2, body: new Uint8Array() }]);
   * assert.equal(flight.messages()[0]?.length, 12);
   * ```
   */
  messages(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of this.entries) {
      if (e.kind === "handshake") {
        out.push(
          e.framed ?? encodeHandshakeMessage(e.msgType, e.messageSeq, e.body),
        );
      }
    }
    return out;
  }
}
