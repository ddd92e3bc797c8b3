import assert from "node:assert/strict";
import { randomBytes } from "../../src/crypto/mod.ts";

Deno.test("randomBytes() fills more than one 64 KiB chunk", () => {
  const out = randomBytes(3 * 65536 + 5);
  assert.equal(out.length, 3 * 65536 + 5);
  // Every chunk was written: none of the four slices is all zeros.
  for (let off = 0; off < out.length; off += 65536) {
    assert.ok(out.subarray(off, off + 65536).some((b) => b !== 0));
  }
});

Deno.test("randomBytes() returns distinct values and accepts zero", () => {
  assert.notDeepEqual(randomBytes(16), randomBytes(16));
  assert.equal(randomBytes(0).length, 0);
  assert.throws(() => randomBytes(-1), RangeError);
});
