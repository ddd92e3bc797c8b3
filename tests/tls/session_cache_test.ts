import assert from "node:assert/strict";
import { SessionCache } from "../../src/tls/session_cache.ts";

const id = (n: number) => new Uint8Array(32).fill(n);

Deno.test("SessionCache.get() returns a session until its lifetime ends", () => {
  const c = new SessionCache<string>({ lifetimeMs: 100 });
  c.put(10, id(1), "a");
  assert.equal(c.get(109, id(1)), "a");
  assert.equal(c.get(110, id(1)), undefined);
  assert.equal(c.size, 0, "an expired entry is removed when touched");
});

Deno.test("SessionCache.get() does not extend the lifetime", () => {
  const c = new SessionCache<string>({ lifetimeMs: 100 });
  c.put(0, id(1), "a");
  assert.equal(c.get(90, id(1)), "a");
  assert.equal(c.get(100, id(1)), undefined);
});

Deno.test("SessionCache.put() evicts the least recently used entry when full", () => {
  const c = new SessionCache<number>({ maxEntries: 3 });
  for (let i = 1; i <= 3; i++) c.put(i, id(i), i);
  c.get(4, id(1));
  c.put(5, id(4), 4);
  assert.equal(c.size, 3);
  assert.equal(c.get(6, id(2)), undefined);
  assert.equal(c.get(6, id(1)), 1);
  assert.equal(c.get(6, id(3)), 3);
  assert.equal(c.get(6, id(4)), 4);
});

Deno.test("SessionCache.put() replaces an entry with the same ID without growing", () => {
  const c = new SessionCache<number>({ maxEntries: 2 });
  c.put(0, id(1), 1);
  c.put(0, id(1), 2);
  assert.equal(c.size, 1);
  assert.equal(c.get(0, id(1)), 2);
});

Deno.test("SessionCache stays bounded under many sessions", () => {
  const c = new SessionCache<number>({ maxEntries: 100 });
  for (let i = 0; i < 10_000; i++) {
    c.put(i, new Uint8Array([i & 0xff, i >> 8, 1]), i);
  }
  assert.equal(c.size, 100);
  assert.equal(c.get(0, new Uint8Array([0x0f, 0x27, 1])), 9_999);
});

Deno.test("SessionCache rejects bad IDs and bounds", () => {
  const c = new SessionCache<number>();
  assert.throws(() => c.put(0, new Uint8Array(0), 1), RangeError);
  assert.throws(() => c.put(0, new Uint8Array(33), 1), RangeError);
  assert.equal(c.get(0, new Uint8Array(0)), undefined);
  assert.throws(() => new SessionCache({ maxEntries: 0 }), RangeError);
  assert.throws(() => new SessionCache({ lifetimeMs: 0 }), RangeError);
  c.put(0, id(9), 9);
  assert.equal(c.delete(id(9)), true);
  assert.equal(c.delete(id(9)), false);
});

Deno.test("SessionCache.deleteWhere() removes the selected sessions only", () => {
  const c = new SessionCache<string>();
  c.put(0, id(1), "device-1");
  c.put(0, id(2), "device-2");
  c.put(0, id(3), "device-1");
  assert.equal(c.deleteWhere((v) => v === "device-1"), 2);
  assert.equal(c.size, 1);
  assert.equal(c.get(0, id(2)), "device-2");
  assert.equal(c.deleteWhere(() => false), 0);
});
