import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  CryptoError,
} from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";
import { openssl } from "../support/openssl.ts";

interface CbcVectors {
  iv: string;
  plaintext: string;
  cases: { name: string; key: string; ciphertext: string }[];
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/aes_cbc_sp800_38a.json", import.meta.url),
  ),
) as CbcVectors;

for (const c of vectors.cases) {
  Deno.test(`aesCbcEncrypt() and aesCbcDecrypt() match SP 800-38A ${c.name}`, () => {
    const key = decodeHex(c.key);
    const iv = decodeHex(vectors.iv);
    const pt = decodeHex(vectors.plaintext);
    assert.equal(encodeHex(aesCbcEncrypt(key, iv, pt)), c.ciphertext);
    assert.equal(
      encodeHex(aesCbcDecrypt(key, iv, decodeHex(c.ciphertext))),
      vectors.plaintext,
    );
  });
}

Deno.test("aesCbcEncrypt() agrees with openssl enc -nopad for every key size", async () => {
  const rng = new SeededRandom(3802);
  for (const size of [16, 24, 32]) {
    const key = rng.bytes(size);
    const iv = rng.bytes(16);
    const data = rng.bytes(16 * (1 + rng.int(8)));
    const want = await openssl(
      [
        "enc",
        `-aes-${size * 8}-cbc`,
        "-K",
        encodeHex(key),
        "-iv",
        encodeHex(iv),
        "-nopad",
      ],
      { stdin: data },
    );
    assert.deepEqual(aesCbcEncrypt(key, iv, data), want);
    assert.deepEqual(aesCbcDecrypt(key, iv, want), data);
  }
});

Deno.test("aesCbcEncrypt() rejects partial blocks with RangeError", () => {
  const key = new Uint8Array(16);
  const iv = new Uint8Array(16);
  assert.throws(() => aesCbcEncrypt(key, iv, new Uint8Array(15)), RangeError);
  assert.throws(() => aesCbcDecrypt(key, iv, new Uint8Array(17)), RangeError);
  assert.deepEqual(
    aesCbcEncrypt(key, iv, new Uint8Array(0)),
    new Uint8Array(0),
  );
});

Deno.test("aesCbcEncrypt() rejects bad key and IV lengths", () => {
  const data = new Uint8Array(16);
  assert.throws(
    () => aesCbcEncrypt(new Uint8Array(20), new Uint8Array(16), data),
    (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
  );
  assert.throws(
    () => aesCbcDecrypt(new Uint8Array(16), new Uint8Array(8), data),
    (e: unknown) => e instanceof CryptoError && e.code === "bad_parameter",
  );
});
