// Anti-replay window (RFC 6347 §4.1.2.6), checked against a naive model
// (a Set of every marked number and the highest one) as well as edge cases.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ReplayWindow } from "../../src/dtls/replay_window.ts";

const MAX = 2 ** 48 - 1;

/** The obvious, slow definition of the window. */
class ModelWindow {
  readonly seen = new Set<number>();
  top = -1;
  constructor(readonly size = 64) {}
  check(seq: number): boolean {
    if (seq < 0 || seq > MAX) return false;
    if (seq > this.top) return true;
    if (seq <= this.top - this.size) return false;
    return !this.seen.has(seq);
  }
  mark(seq: number): void {
    if (!this.check(seq)) return;
    this.seen.add(seq);
    this.top = Math.max(this.top, seq);
  }
}

Deno.test("ReplayWindow accepts sequence number 0 once", () => {
  const w = new ReplayWindow();
  assert.equal(w.highest, -1);
  assert.equal(w.check(0), true);
  w.mark(0);
  assert.equal(w.check(0), false);
  assert.equal(w.check(1), true);
});

Deno.test("ReplayWindow keeps exactly 64 entries left of the right edge", () => {
  const w = new ReplayWindow();
  w.mark(1000);
  for (let s = 937; s < 1000; s++) assert.equal(w.check(s), true, `${s}`);
  assert.equal(w.check(936), false); // 1000 - 64
  assert.equal(w.check(1000), false);
  assert.equal(w.check(1001), true);
  // marking inside the window does not move it
  w.mark(950);
  assert.equal(w.highest, 1000);
  assert.equal(w.check(950), false);
  assert.equal(w.check(937), true);
});

Deno.test("ReplayWindow slides by more than its width and forgets the old bits", () => {
  const w = new ReplayWindow();
  for (let s = 0; s < 64; s++) w.mark(s);
  w.mark(64 + 200);
  for (let s = 0; s <= 200; s++) assert.equal(w.check(s), false, `${s}`);
  for (let s = 201; s < 264; s++) assert.equal(w.check(s), true, `${s}`);
  // a slide of exactly the ring size must not leave stale bits behind
  const v = new ReplayWindow();
  v.mark(5);
  v.mark(5 + 96);
  assert.equal(v.check(5 + 96 - 63), true);
  v.mark(5 + 96 + 32);
  assert.equal(v.check(5 + 96), false);
  assert.equal(v.check(5 + 96 + 1), true);
});

Deno.test("ReplayWindow handles very large jumps up to 2^48 - 1", () => {
  const w = new ReplayWindow();
  w.mark(3);
  w.mark(MAX);
  assert.equal(w.highest, MAX);
  assert.equal(w.check(MAX), false);
  assert.equal(w.check(MAX - 1), true);
  assert.equal(w.check(MAX - 64), false);
  assert.equal(w.check(MAX - 63), true);
  assert.equal(w.check(3), false);
  w.mark(MAX - 63);
  assert.equal(w.check(MAX - 63), false);
});

Deno.test("ReplayWindow rejects values that are not 48-bit integers", () => {
  const w = new ReplayWindow();
  for (const bad of [-1, 2 ** 48, 1.5, NaN, Infinity]) {
    assert.equal(w.check(bad), false, `${bad}`);
    w.mark(bad);
  }
  assert.equal(w.highest, -1);
});

Deno.test("ReplayWindow.reset() starts a new epoch", () => {
  const w = new ReplayWindow();
  w.mark(500);
  w.reset();
  assert.equal(w.check(0), true);
  assert.equal(w.check(500), true);
  w.mark(2);
  assert.equal(w.check(2), false);
});

Deno.test("ReplayWindow rejects a size that is not a multiple of 32", () => {
  assert.throws(() => new ReplayWindow(48), RangeError);
  assert.throws(() => new ReplayWindow(0), RangeError);
  assert.equal(new ReplayWindow(128).size, 128);
});

Deno.test("ReplayWindow agrees with a naive model on random sequences", () => {
  const op = fc.oneof(
    fc.integer({ min: 0, max: 300 }),
    fc.integer({ min: 0, max: 4000 }),
    fc.constantFrom(0, 63, 64, 65, 127, 128, MAX - 1, MAX),
  );
  for (const size of [64, 128]) {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(op, fc.boolean()), { maxLength: 200 }),
        (ops) => {
          const w = new ReplayWindow(size);
          const m = new ModelWindow(size);
          for (const [seq, authenticated] of ops) {
            assert.equal(w.check(seq), m.check(seq), `check ${seq}`);
            if (authenticated) {
              w.mark(seq);
              m.mark(seq);
            }
            assert.equal(w.highest, m.top);
          }
        },
      ),
      { numRuns: 300 },
    );
  }
});
