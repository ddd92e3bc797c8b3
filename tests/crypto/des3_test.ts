import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  CryptoError,
  desEde3CbcDecrypt,
  desEde3CbcEncrypt,
} from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";
import { openssl } from "../support/openssl.ts";

Deno.test("desEde3CbcEncrypt() matches the DES known answer for a zero block", () => {
  // With K1 = K2 = K3, EDE collapses to single DES: E_K(0) for the all-0x01
  // (weak) key is 8ca64de9c1b123a7 (FIPS 81 / NBS SP 500-20 tables).
  const key = new Uint8Array(24).fill(0x01);
  const ct = desEde3CbcEncrypt(key, new Uint8Array(8), new Uint8Array(8));
  assert.equal(encodeHex(ct), "8ca64de9c1b123a7");
});

Deno.test("desEde3CbcEncrypt() agrees with openssl enc -des-ede3-cbc -nopad", async () => {
  const rng = new SeededRandom(67);
  for (let i = 0; i < 3; i++) {
    const key = rng.bytes(24);
    const iv = rng.bytes(8);
    const data = rng.bytes(8 * (1 + rng.int(20)));
    const want = await openssl(
      [
        "enc",
        "-des-ede3-cbc",
        "-K",
        encodeHex(key),
        "-iv",
        encodeHex(iv),
        "-nopad",
      ],
      { stdin: data },
    );
    assert.deepEqual(desEde3CbcEncrypt(key, iv, data), want);
    assert.deepEqual(desEde3CbcDecrypt(key, iv, want), data);
  }
});

Deno.test("desEde3CbcDecrypt() leaves PKCS#7 padding in place", () => {
  const key = decodeHex("0123456789abcdef23456789abcdef01456789abcdef0123");
  const iv = decodeHex("1234567890abcdef");
  const padded = new Uint8Array([1, 2, 3, 4, 4, 4, 4, 4]);
  const ct = desEde3CbcEncrypt(key, iv, padded);
  assert.deepEqual(desEde3CbcDecrypt(key, iv, ct), padded);
});

Deno.test("desEde3CbcDecrypt() rejects partial blocks and bad key sizes", () => {
  assert.throws(
    () =>
      desEde3CbcDecrypt(
        new Uint8Array(24),
        new Uint8Array(8),
        new Uint8Array(7),
      ),
    RangeError,
  );
  assert.throws(
    () =>
      desEde3CbcEncrypt(
        new Uint8Array(16),
        new Uint8Array(8),
        new Uint8Array(8),
      ),
    CryptoError,
  );
  assert.throws(
    () =>
      desEde3CbcEncrypt(
        new Uint8Array(24),
        new Uint8Array(16),
        new Uint8Array(8),
      ),
    CryptoError,
  );
});
