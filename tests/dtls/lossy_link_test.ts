// The simulated link (tests/support/lossy_link.ts) proven with toy cores: a
// stop-and-wait sender using the real FlightTimer, an echo server and a
// burst sender. Exact times and counts, so the harness can be trusted by the
// DTLS association tests.
import assert from "node:assert/strict";
import { FlightTimer } from "../../src/dtls/flight_timer.ts";
import {
  type DatagramCore,
  delayNth,
  dropNth,
  dropWhere,
  duplicateNth,
  LossyLink,
  rewriteNth,
} from "../support/lossy_link.ts";

/** Sends messages 1..count one at a time, retransmitting on the timer. */
class StopAndWait implements DatagramCore {
  readonly timer: FlightTimer;
  readonly #count: number;
  readonly #out: Uint8Array[] = [];
  current = 0;
  sends = 0;
  doneAt: number | undefined;
  failed = false;

  constructor(now: number, count: number, maxRetransmissions = 7) {
    this.#count = count;
    this.timer = new FlightTimer({ maxRetransmissions });
    this.#next(now);
  }

  #send(now: number): void {
    this.sends++;
    this.#out.push(new Uint8Array([this.current, ...new Array(99).fill(0)]));
    this.timer.start(now);
  }

  #next(now: number): void {
    this.current++;
    if (this.current > this.#count) {
      this.doneAt = now;
      this.timer.stop(now);
      return;
    }
    this.#send(now);
  }

  handleInput(now: number, bytes: Uint8Array): void {
    if (bytes[0] !== this.current || this.doneAt !== undefined) return; // stale echo
    this.timer.stop(now);
    this.#next(now);
  }

  handleTimeout(now: number): void {
    const action = this.timer.onTimeout(now);
    if (action === "retransmit") {
      this.sends++;
      this.#out.push(new Uint8Array([this.current, ...new Array(99).fill(0)]));
    } else if (action === "give_up") {
      this.failed = true;
    }
  }

  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }

  nextTimeout(): number | undefined {
    return this.timer.nextDeadline();
  }
}

/** Echoes every datagram; records what it saw. */
class Echo implements DatagramCore {
  readonly #out: Uint8Array[] = [];
  readonly received: Array<{ at: number; first: number }> = [];
  handleInput(now: number, bytes: Uint8Array): void {
    this.received.push({ at: now, first: bytes[0]! });
    this.#out.push(bytes);
  }
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}

/** Sends `count` numbered datagrams at once, receives nothing. */
class Burst implements DatagramCore {
  readonly #out: Uint8Array[];
  constructor(count: number, size = 10) {
    this.#out = Array.from(
      { length: count },
      (_, i) => new Uint8Array(size).fill(i),
    );
  }
  handleInput(): void {}
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}

Deno.test("LossyLink delivers with latency on a perfect link", () => {
  const a = new StopAndWait(0, 5);
  const b = new Echo();
  const link = new LossyLink(a, b, { latencyMs: 10 });
  link.driveBounded(100);
  assert.equal(a.doneAt, 5 * 20);
  assert.equal(a.sends, 5);
  assert.deepEqual(b.received.map((r) => r.at), [10, 30, 50, 70, 90]);
  assert.equal(link.stats.a.sent, 5);
  assert.equal(link.stats.b.delivered, 5);
  assert.equal(link.now, 100);
});

Deno.test("LossyLink named filter drops the first datagram from a: one retransmission after 1 s", () => {
  const a = new StopAndWait(0, 3);
  const link = new LossyLink(a, new Echo(), {
    latencyMs: 10,
    filters: [dropNth("a", 1)],
  });
  link.driveBounded(100);
  assert.equal(a.sends, 4);
  assert.equal(a.doneAt, 1000 + 20 + 2 * 20);
  assert.equal(link.stats.a.filtered, 1);
  assert.equal(link.trace[0]!.fate, "filter:drop a#1");
});

Deno.test("LossyLink filter on the echo side costs the timer's backoff exactly", () => {
  const a = new StopAndWait(0, 1);
  // the first two echoes are lost: resends at 1 s and 3 s, answer at 3.02 s
  const link = new LossyLink(a, new Echo(), {
    latencyMs: 10,
    filters: [dropNth("b", 1, 2)],
  });
  link.driveBounded(100);
  assert.equal(a.sends, 3);
  assert.equal(a.doneAt, 3000 + 20);
});

Deno.test("LossyLink with total loss lets the timer give up at 183 s and then goes idle", () => {
  const a = new StopAndWait(0, 1);
  const link = new LossyLink(a, new Echo(), { lossRate: 1 });
  link.driveBounded(100);
  assert.equal(a.failed, true);
  assert.equal(a.sends, 8);
  assert.equal(link.now, 183_000);
  assert.equal(link.stats.a.lost, 8);
});

Deno.test("LossyLink seeded loss is reproducible and the sender still finishes", () => {
  function run(seed: number) {
    const a = new StopAndWait(0, 20, 20);
    const link = new LossyLink(a, new Echo(), {
      seed,
      lossRate: 0.3,
      latencyMs: 25,
      jitterMs: 10,
    });
    link.driveBounded(10_000);
    return { doneAt: a.doneAt, sends: a.sends, trace: link.trace };
  }
  const first = run(42);
  assert.ok(first.doneAt !== undefined);
  assert.ok(first.sends > 20);
  assert.deepEqual(run(42), first);
  assert.notDeepEqual(run(43).trace, first.trace);
});

Deno.test("LossyLink duplication delivers twice and the toy core ignores stale copies", () => {
  const a = new StopAndWait(0, 4);
  const b = new Echo();
  const link = new LossyLink(a, b, {
    duplicateRate: 1,
    latencyMs: 10,
    jitterMs: 3,
  });
  link.driveBounded(1000);
  assert.equal(a.sends, 4);
  assert.equal(b.received.length, 8);
  assert.equal(link.stats.a.duplicated, 4);
  // a named duplicate
  const b2 = new Echo();
  const link2 = new LossyLink(new StopAndWait(0, 2), b2, {
    filters: [duplicateNth("a", 2)],
  });
  link2.driveBounded(100);
  assert.deepEqual(b2.received.map((r) => r.first), [1, 2, 2]);
});

Deno.test("LossyLink reorders: held-back datagrams are overtaken", () => {
  const b = new Echo();
  const link = new LossyLink(new Burst(30), b, {
    seed: 7,
    reorderRate: 0.3,
    latencyMs: 10,
  });
  link.driveBounded(100);
  const order = b.received.map((r) => r.first);
  assert.equal(order.length, 30);
  assert.notDeepEqual(order, [...order].sort((x, y) => x - y));
  assert.deepEqual(
    [...order].sort((x, y) => x - y),
    Array.from({ length: 30 }, (_, i) => i),
  );
  // a named delay puts the first datagram last
  const b2 = new Echo();
  new LossyLink(new Burst(3), b2, { filters: [delayNth("a", 1, 50)] })
    .driveBounded(100);
  assert.deepEqual(b2.received.map((r) => r.first), [1, 2, 0]);
});

Deno.test("LossyLink drops datagrams above the MTU", () => {
  const b = new Echo();
  const link = new LossyLink(new Burst(2, 1300), b, { mtu: 1280 });
  link.driveBounded(10);
  assert.equal(b.received.length, 0);
  assert.equal(link.stats.a.mtuDropped, 2);
  assert.deepEqual(link.trace.map((t) => t.fate), ["mtu", "mtu"]);
});

Deno.test("LossyLink rewrites and predicate filters see every datagram", () => {
  const b = new Echo();
  const link = new LossyLink(new Burst(3), b, {
    filters: [
      dropWhere("drop twos", (d) => d.bytes[0] === 2),
      rewriteNth("a", 1, (bytes) => bytes.subarray(0, 1)),
    ],
  });
  link.driveBounded(10);
  assert.deepEqual(b.received.map((r) => r.first), [0, 1]);
  assert.equal(link.stats.a.filtered, 1);
});

Deno.test("LossyLink.driveBounded() fails instead of hanging", () => {
  // a core whose deadline never moves: a bug the bound must catch
  const stuck: DatagramCore = {
    handleInput() {},
    handleTimeout() {},
    pollTransmit: () => undefined,
    nextTimeout: () => 5,
  };
  const link = new LossyLink(stuck, new Echo());
  assert.throws(() => link.driveBounded(50), /did not settle within 50 steps/);
  assert.equal(link.now, 5);
  // endless ping-pong
  const ping = new LossyLink(new Echo(), new Echo());
  ping.inject("a", new Uint8Array([1]));
  assert.throws(() => ping.driveBounded(20), /did not settle/);
});

Deno.test("LossyLink.driveUntil() and advance() move the virtual clock", () => {
  const a = new StopAndWait(0, 3);
  const link = new LossyLink(a, new Echo(), { latencyMs: 10 });
  link.driveUntil(() => a.current === 2);
  assert.equal(link.now, 20);
  link.advance(1000);
  assert.equal(link.now, 1020);
  assert.equal(a.doneAt, 60);
  assert.throws(() => link.driveUntil(() => false), /idle/);
});
