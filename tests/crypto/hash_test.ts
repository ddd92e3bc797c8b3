import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import {
  digest,
  type HashAlgorithm,
  hashBlockLength,
  hashLength,
} from "../../src/crypto/mod.ts";

const enc = new TextEncoder();

// FIPS 180-2 appendices A.1, B.1, C.1, D.1 ("abc") and the empty message.
const ABC: Record<HashAlgorithm, string> = {
  "SHA-1": "a9993e364706816aba3e25717850c26c9cd0d89d",
  "SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  "SHA-384":
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
  "SHA-512":
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};

const EMPTY: Record<HashAlgorithm, string> = {
  "SHA-1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  "SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "SHA-384":
    "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
  "SHA-512":
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
};

Deno.test('digest() matches the FIPS 180-2 "abc" vectors', () => {
  for (const [alg, want] of Object.entries(ABC)) {
    assert.equal(
      encodeHex(digest(alg as HashAlgorithm, enc.encode("abc"))),
      want,
      alg,
    );
  }
});

Deno.test("digest() hashes the empty message", () => {
  for (const [alg, want] of Object.entries(EMPTY)) {
    assert.equal(
      encodeHex(digest(alg as HashAlgorithm, new Uint8Array(0))),
      want,
      alg,
    );
  }
});

Deno.test("digest() returns a plain Uint8Array of hashLength() bytes", () => {
  for (const alg of Object.keys(ABC) as HashAlgorithm[]) {
    const d = digest(alg, new Uint8Array(1000));
    assert.equal(Object.getPrototypeOf(d), Uint8Array.prototype, alg);
    assert.equal(d.length, hashLength(alg));
  }
  assert.equal(hashBlockLength("SHA-1"), 64);
  assert.equal(hashBlockLength("SHA-384"), 128);
});

Deno.test("digest() rejects an unknown algorithm", () => {
  assert.throws(
    () => digest("MD5" as HashAlgorithm, new Uint8Array(0)),
    TypeError,
  );
});
