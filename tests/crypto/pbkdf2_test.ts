import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { type HashAlgorithm, pbkdf2 } from "../../src/crypto/mod.ts";

interface Pbkdf2Case {
  hash: HashAlgorithm;
  password: string;
  salt: string;
  iterations: number;
  length: number;
  derived: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(new URL("../vectors/pbkdf2.json", import.meta.url)),
) as { cases: Pbkdf2Case[] };

Deno.test("pbkdf2() matches the RFC 6070 and RFC 7914 vectors", () => {
  for (const c of vectors.cases) {
    const dk = pbkdf2(
      c.hash,
      decodeHex(c.password),
      decodeHex(c.salt),
      c.iterations,
      c.length,
    );
    assert.equal(encodeHex(dk), c.derived, `${c.hash} c=${c.iterations}`);
  }
});

Deno.test("pbkdf2() rejects zero iterations and zero length", () => {
  const p = new Uint8Array(1);
  assert.throws(() => pbkdf2("SHA-256", p, p, 0, 32), RangeError);
  assert.throws(() => pbkdf2("SHA-256", p, p, 1, 0), RangeError);
  assert.throws(() => pbkdf2("SHA-256", p, p, 1.5, 32), RangeError);
});
