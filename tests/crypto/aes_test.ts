import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  aesEncryptBlock,
  aesEncryptWords,
  expandAesKey,
} from "../../src/crypto/aes.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { SeededRandom } from "../support/rng.ts";

/** FIPS 197 appendix C: the plaintext 00112233…ff under keys 000102…. */
const FIPS_197_C = [
  ["000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"],
  [
    "000102030405060708090a0b0c0d0e0f1011121314151617",
    "dda97ca4864cdfe06eaf70a0ec0d7191",
  ],
  [
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "8ea2b7ca516745bfeafc49904b496089",
  ],
] as const;

/** NIST SP 800-38A appendix F.1: ECB-AES128.Encrypt, F.1.3, F.1.5. */
const SP_800_38A_PLAINTEXT = [
  "6bc1bee22e409f96e93d7e117393172a",
  "ae2d8a571e03ac9c9eb76fac45af8e51",
  "30c81c46a35ce411e5fbc1191a0a52ef",
  "f69f2445df4f9b17ad2b417be66c3710",
];
const SP_800_38A_ECB = [
  {
    key: "2b7e151628aed2a6abf7158809cf4f3c",
    ciphertext: [
      "3ad77bb40d7a3660a89ecaf32466ef97",
      "f5d3d58503b9699de785895a96fdbaaf",
      "43b1cd7f598ece23881b00e3ed030688",
      "7b0c785e27e8ad3f8223207104725dd4",
    ],
  },
  {
    key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
    ciphertext: [
      "bd334f1d6e45f25ff712a214571fa5cc",
      "974104846d0ad3ad7734ecb3ecee4eef",
      "ef7afd2270e2e60adce0ba2face6444e",
      "9a4b41ba738d6c72fb16691603c18e0e",
    ],
  },
  {
    key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    ciphertext: [
      "f3eed1bdb5d2a03c064b5a7e3db181f8",
      "591ccb10d410ed26dc5ba74a31362870",
      "b6ed21b99ca6f4f9f153e7b1beafed1d",
      "23304b7a39f9f3ff067d8d8f9e24ecc7",
    ],
  },
];

Deno.test("aesEncryptBlock() matches FIPS 197 appendix C for 128, 192 and 256-bit keys", () => {
  for (const [key, expected] of FIPS_197_C) {
    const block = decodeHex("00112233445566778899aabbccddeeff");
    aesEncryptBlock(expandAesKey(decodeHex(key)), block);
    assert.equal(encodeHex(block), expected, key);
  }
});

Deno.test("aesEncryptBlock() matches the NIST SP 800-38A ECB vectors", () => {
  for (const v of SP_800_38A_ECB) {
    const rk = expandAesKey(decodeHex(v.key));
    // all four blocks in one buffer, encrypted in place at their offsets
    const buf = decodeHex(SP_800_38A_PLAINTEXT.join(""));
    for (let o = 0; o < buf.length; o += 16) aesEncryptBlock(rk, buf, o);
    assert.equal(encodeHex(buf), v.ciphertext.join(""), v.key);
  }
});

Deno.test("expandAesKey() matches the FIPS 197 appendix A key expansions", () => {
  const w128 = expandAesKey(decodeHex("2b7e151628aed2a6abf7158809cf4f3c"));
  assert.deepEqual(
    [...w128.subarray(4, 8), ...w128.subarray(40)].map((w) => w >>> 0),
    [
      0xa0fafe17,
      0x88542cb1,
      0x23a33939,
      0x2a6c7605,
      0xd014f9a8,
      0xc9ee2589,
      0xe13f0cc8,
      0xb6630ca6,
    ],
  );
  const w256 = expandAesKey(
    decodeHex(
      "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    ),
  );
  assert.equal(w256.length, 60);
  // A.3: w[8], w[12] (SubWord only) and w[59]
  assert.equal(w256[8]! >>> 0, 0x9ba35411);
  assert.equal(w256[12]! >>> 0, 0xa8b09c1a);
  assert.equal(w256[59]! >>> 0, 0x706c631e);
});

Deno.test("aesEncryptBlock() agrees with node:crypto AES-ECB on random keys and blocks", () => {
  const rng = new SeededRandom(197);
  for (const size of [16, 32]) {
    for (let i = 0; i < 200; i++) {
      const key = rng.bytes(size);
      const blocks = rng.bytes(16 * (1 + rng.int(4)));
      const ecb = createCipheriv(`aes-${size * 8}-ecb`, key, null);
      ecb.setAutoPadding(false);
      const expected = new Uint8Array(ecb.update(blocks));
      const rk = expandAesKey(key);
      for (let o = 0; o < blocks.length; o += 16) {
        aesEncryptBlock(rk, blocks, o);
      }
      assert.deepEqual(blocks, expected, `AES-${size * 8} case ${i}`);
    }
  }
});

Deno.test("aesEncryptWords() is aesEncryptBlock() on big-endian words", () => {
  const rng = new SeededRandom(38);
  const rk = expandAesKey(rng.bytes(32));
  const bytes = rng.bytes(16);
  const view = new DataView(bytes.buffer);
  const words = new Int32Array(4);
  for (let i = 0; i < 4; i++) words[i] = view.getInt32(4 * i);
  aesEncryptWords(rk, words);
  aesEncryptBlock(rk, bytes);
  for (let i = 0; i < 4; i++) assert.equal(words[i], view.getInt32(4 * i));
});

Deno.test("aesEncryptBlock() touches only its block and refuses one out of range", () => {
  const rk = expandAesKey(new Uint8Array(16));
  const buf = new Uint8Array(40).fill(0xaa);
  aesEncryptBlock(rk, buf, 8);
  assert.deepEqual(buf.subarray(0, 8), new Uint8Array(8).fill(0xaa));
  assert.deepEqual(buf.subarray(24), new Uint8Array(16).fill(0xaa));
  assert.throws(() => aesEncryptBlock(rk, buf, 25), RangeError);
  assert.throws(() => aesEncryptBlock(rk, buf, -1), RangeError);
  assert.throws(() => aesEncryptBlock(rk, new Uint8Array(15)), RangeError);
});

Deno.test("expandAesKey() refuses keys that are not 16, 24 or 32 bytes", () => {
  for (const n of [0, 8, 15, 17, 31, 33, 64]) {
    assert.throws(
      () => expandAesKey(new Uint8Array(n)),
      (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
      `${n} bytes`,
    );
  }
});
