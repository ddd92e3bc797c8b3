import assert from "node:assert/strict";
import {
  constantTimeEqual,
  DecodeError,
  decodeHex,
  encodeHex,
} from "../../src/bytes/mod.ts";
import { SeededRandom } from "../support/rng.ts";

Deno.test("encodeHex() and decodeHex() round-trip random bytes", () => {
  const rng = new SeededRandom(3);
  for (let i = 0; i < 100; i++) {
    const b = rng.bytes(rng.int(64));
    assert.deepEqual(decodeHex(encodeHex(b)), b);
    assert.deepEqual(decodeHex(encodeHex(b).toUpperCase()), b);
  }
});

Deno.test("decodeHex() accepts OpenSSL fingerprint form", () => {
  assert.deepEqual(decodeHex("AB:cd:01"), new Uint8Array([0xab, 0xcd, 0x01]));
});

Deno.test("decodeHex() rejects odd lengths and non-hex characters", () => {
  assert.throws(() => decodeHex("abc"), DecodeError);
  assert.throws(() => decodeHex("zz"), DecodeError);
  assert.throws(() => decodeHex("0x12"), DecodeError);
});

Deno.test("constantTimeEqual() compares content and length", () => {
  assert.equal(constantTimeEqual(new Uint8Array(), new Uint8Array()), true);
  assert.equal(
    constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])),
    false,
  );
  const a = new Uint8Array(32).fill(5);
  const b = a.slice();
  assert.equal(constantTimeEqual(a, b), true);
  b[31] = 4;
  assert.equal(constantTimeEqual(a, b), false);
  b[31] = 5;
  b[0] = 0;
  assert.equal(constantTimeEqual(a, b), false);
});
