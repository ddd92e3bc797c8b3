import assert from "node:assert/strict";
import { DeadlineIndex } from "../../src/sessions/mod.ts";
import { SeededRandom } from "../support/rng.ts";

Deno.test("DeadlineIndex.takeDue() returns due keys earliest first and skips moved ones", () => {
  const d = new DeadlineIndex<string>();
  d.set("a", 30);
  d.set("b", 10);
  d.set("c", 20);
  d.set("b", 40);
  assert.equal(d.next(), 20);
  assert.deepEqual(d.takeDue(30), ["c", "a"]);
  assert.equal(d.get("b"), 40);
  assert.equal(d.delete("b"), true);
  assert.equal(d.next(), undefined);
  assert.equal(d.size, 0);
});

Deno.test("DeadlineIndex.takeDue() honours its limit", () => {
  const d = new DeadlineIndex<number>();
  for (let i = 0; i < 5; i++) d.set(i, i);
  assert.deepEqual(d.takeDue(10, 2), [0, 1]);
  assert.deepEqual(d.takeDue(10), [2, 3, 4]);
});

Deno.test("DeadlineIndex agrees with a brute-force model on random operations", () => {
  const rng = new SeededRandom(23);
  const d = new DeadlineIndex<number>();
  const model = new Map<number, number>();
  let now = 0;
  for (let i = 0; i < 20_000; i++) {
    now += rng.int(20);
    const key = rng.int(60);
    switch (rng.int(5)) {
      case 0:
      case 1: {
        const at = now + rng.int(500);
        d.set(key, at);
        model.set(key, at);
        break;
      }
      case 2:
        assert.equal(d.delete(key), model.delete(key));
        break;
      case 3: {
        const want = [...model.values()].reduce(
          (m, v) => Math.min(m, v),
          Infinity,
        );
        assert.equal(d.next() ?? Infinity, want, `iteration ${i}`);
        break;
      }
      default: {
        const got = d.takeDue(now);
        const due = [...model].filter(([, at]) => at <= now);
        for (let j = 1; j < got.length; j++) {
          assert.ok(
            (model.get(got[j - 1] as number) as number) <=
              (model.get(got[j] as number) as number),
            `iteration ${i}: not in deadline order`,
          );
        }
        assert.deepEqual(
          got.slice().sort((a, b) => a - b),
          due.map(([k]) => k).sort((a, b) => a - b),
          `iteration ${i}`,
        );
        for (const k of got) model.delete(k);
      }
    }
    assert.equal(d.size, model.size);
  }
});
