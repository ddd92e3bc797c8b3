import assert from "node:assert/strict";
import { IdleIndex, SessionSweeper } from "../../src/sessions/mod.ts";
import { SeededRandom } from "../support/rng.ts";

Deno.test("IdleIndex.takeIdle() returns idle keys oldest first and keeps active ones", () => {
  const idle = new IdleIndex<number>();
  for (let i = 0; i < 10; i++) idle.touch(i, i * 100);
  idle.touch(2, 2000);
  assert.deepEqual(idle.takeIdle(1000, 500), [0, 1, 3, 4, 5]);
  assert.equal(idle.size, 5);
  assert.equal(idle.oldest(), 6);
  assert.equal(idle.nextIdleAt(500), 1100);
});

Deno.test("IdleIndex.takeIdle() honours its limit", () => {
  const idle = new IdleIndex<string>();
  idle.touch("a", 0);
  idle.touch("b", 0);
  idle.touch("c", 0);
  assert.deepEqual(idle.takeIdle(10, 5, 2), ["a", "b"]);
  assert.deepEqual(idle.takeIdle(10, 5), ["c"]);
  assert.equal(idle.nextIdleAt(5), undefined);
});

Deno.test("IdleIndex agrees with a brute-force model on random operations", () => {
  const rng = new SeededRandom(11);
  const idle = new IdleIndex<number>();
  const model = new Map<number, number>();
  let now = 0;
  for (let i = 0; i < 5000; i++) {
    now += rng.int(50);
    const key = rng.int(40);
    switch (rng.int(4)) {
      case 0:
      case 1:
        idle.touch(key, now);
        model.set(key, now);
        break;
      case 2:
        assert.equal(idle.delete(key), model.delete(key));
        break;
      default: {
        const timeout = rng.int(2000);
        const got = idle.takeIdle(now, timeout).sort((a, b) => a - b);
        const want = [...model].filter(([, at]) => now - at >= timeout)
          .map(([k]) => k).sort((a, b) => a - b);
        assert.deepEqual(got, want, `iteration ${i}`);
        for (const k of want) model.delete(k);
      }
    }
    assert.equal(idle.size, model.size);
  }
});

Deno.test("SessionSweeper sweeps each target at its own interval and counts removals", () => {
  const sweeper = new SessionSweeper();
  const calls: string[] = [];
  sweeper.register({
    name: "dtls/default",
    intervalMs: 1_800_000,
    sweep: (now) => (calls.push(`dtls@${now}`), 2),
  }, 0);
  sweeper.register({
    name: "mqtt/sessions",
    intervalMs: 1000,
    sweep: (now) => (calls.push(`mqtt@${now}`), 0),
  }, 0);
  assert.equal(sweeper.nextTimeout(), 1000);
  assert.deepEqual(sweeper.handleTimeout(999), []);
  assert.equal(sweeper.handleTimeout(1000).length, 1);
  const reports = sweeper.handleTimeout(1_800_000);
  assert.deepEqual(reports.map((r) => [r.target, r.removed, r.removedTotal]), [
    ["dtls/default", 2, 2],
    ["mqtt/sessions", 0, 0],
  ]);
  assert.deepEqual(calls, ["mqtt@1000", "dtls@1800000", "mqtt@1800000"]);
  assert.equal(sweeper.nextTimeout(), 1_801_000);
});

Deno.test("SessionSweeper reports a failing target and keeps sweeping the others", () => {
  const sweeper = new SessionSweeper();
  sweeper.register({
    name: "broken",
    intervalMs: 10,
    sweep: () => {
      throw new Error("table corrupted");
    },
  }, 0);
  sweeper.register({ name: "fine", intervalMs: 10, sweep: () => 1 }, 0);
  const reports = sweeper.handleTimeout(10);
  assert.equal(reports[0]!.removed, 0);
  assert.match(String(reports[0]!.error), /table corrupted/);
  assert.equal(reports[1]!.removed, 1);
});

Deno.test("SessionSweeper.register() refuses duplicates and non-positive intervals", () => {
  const sweeper = new SessionSweeper();
  sweeper.register({ name: "a", intervalMs: 1, sweep: () => 0 }, 0);
  assert.throws(
    () => sweeper.register({ name: "a", intervalMs: 1, sweep: () => 0 }, 0),
    RangeError,
  );
  assert.throws(
    () => sweeper.register({ name: "b", intervalMs: 0, sweep: () => 0 }, 0),
    RangeError,
  );
  sweeper.unregister("a");
  assert.equal(sweeper.nextTimeout(), undefined);
});
