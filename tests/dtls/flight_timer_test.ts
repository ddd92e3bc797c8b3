// Retransmission timer (RFC 6347 §4.2.4.1) on a virtual clock, and the
// flight buffer that re-records messages for every transmission.
import assert from "node:assert/strict";
import { decodeHandshakeFragments } from "../../src/dtls/fragment.ts";
import { Flight, FlightTimer } from "../../src/dtls/flight_timer.ts";
import { Reassembler } from "../../src/dtls/reassembly.ts";

Deno.test("FlightTimer deadlines are 1, 2, 4, 8, 16, 32, 60, 60 s, then give up", () => {
  const t = new FlightTimer();
  let now = 0;
  t.start(now);
  const intervals: number[] = [];
  for (;;) {
    const deadline = t.nextDeadline();
    assert.ok(deadline !== undefined);
    intervals.push(deadline - now);
    assert.equal(t.onTimeout(deadline - 1), "wait");
    now = deadline;
    const action = t.onTimeout(now);
    if (action === "give_up") break;
    assert.equal(action, "retransmit");
  }
  assert.deepEqual(intervals, [
    1000,
    2000,
    4000,
    8000,
    16000,
    32000,
    60000,
    60000,
  ]);
  assert.equal(now, 183_000);
  assert.equal(t.retransmissions, 7);
  assert.equal(t.armed, false);
  assert.equal(t.onTimeout(now + 1_000_000), "wait");
});

Deno.test("FlightTimer honours its options", () => {
  const t = new FlightTimer({
    initialTimeoutMs: 3000,
    maxTimeoutMs: 10_000,
    maxRetransmissions: 3,
  });
  t.start(100);
  const seen: number[] = [];
  for (let d = t.nextDeadline(); d !== undefined; d = t.nextDeadline()) {
    seen.push(d);
    t.onTimeout(d);
  }
  assert.deepEqual(seen, [3100, 9100, 19100, 29100]);
  assert.throws(() => new FlightTimer({ initialTimeoutMs: 0 }), RangeError);
  assert.throws(
    () => new FlightTimer({ initialTimeoutMs: 5000, maxTimeoutMs: 1000 }),
    RangeError,
  );
  assert.throws(() => new FlightTimer({ maxRetransmissions: -1 }), RangeError);
});

Deno.test("FlightTimer keeps a backed-off value after loss and resets after a clean flight", () => {
  const t = new FlightTimer();
  t.start(0);
  assert.equal(t.onTimeout(1000), "retransmit");
  assert.equal(t.onTimeout(3000), "retransmit");
  t.stop(3500);
  assert.equal(t.timeoutMs, 4000);
  t.start(3600); // next flight waits 4 s
  assert.equal(t.nextDeadline(), 7600);
  assert.equal(t.retransmissions, 0);
  t.stop(3700); // answered without loss
  assert.equal(t.timeoutMs, 1000);
});

Deno.test("FlightTimer resets after idling ten times the current value", () => {
  const t = new FlightTimer();
  t.start(0);
  t.onTimeout(1000);
  t.stop(1500); // timeout stays 2000
  t.start(1500 + 19_999);
  assert.equal(t.nextDeadline(), 1500 + 19_999 + 2000);
  t.onTimeout(t.nextDeadline()!); // loss again: 4000
  t.stop(30_000);
  t.start(30_000 + 40_000);
  assert.equal(t.nextDeadline(), 70_000 + 1000);
});

Deno.test("FlightTimer.rearm() restarts the wait without backing off", () => {
  const t = new FlightTimer();
  t.start(0);
  t.onTimeout(1000); // 2 s now
  t.rearm(1500);
  assert.equal(t.nextDeadline(), 3500);
  assert.equal(t.retransmissions, 1);
});

Deno.test("Flight.records() re-fragments for every transmission and keeps epochs", () => {
  const certificate = new Uint8Array(3000).map((_, i) => i & 0xff);
  const flight = new Flight([
    {
      kind: "handshake",
      epoch: 0,
      msgType: 11,
      messageSeq: 1,
      body: certificate,
    },
    { kind: "change_cipher_spec", epoch: 0 },
    {
      kind: "handshake",
      epoch: 1,
      msgType: 20,
      messageSeq: 2,
      body: new Uint8Array(12).fill(7),
    },
  ]);
  for (const mtuBody of [1127, 500]) {
    const records = flight.records(mtuBody);
    assert.equal(records.length, Math.ceil(3000 / mtuBody) + 2);
    assert.deepEqual(records.at(-2), {
      type: 20,
      epoch: 0,
      fragment: new Uint8Array([1]),
    });
    assert.equal(records.at(-1)!.epoch, 1);
    const r = new Reassembler({ initialMessageSeq: 1 });
    const events = records.filter((x) => x.type === 22).flatMap((x) =>
      decodeHandshakeFragments(x.fragment).flatMap((f) => r.push(f))
    );
    const messages = events.filter((e) => e.kind === "message");
    assert.deepEqual(messages.map((m) => m.message), flight.messages());
  }
});
