import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  CryptoError,
  rc2CbcDecrypt,
  rc2CbcEncrypt,
} from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";
import { runOpenssl } from "../support/openssl.ts";

interface Rc2Case {
  key: string;
  effectiveBits: number;
  plaintext: string;
  ciphertext: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/rc2_rfc2268.json", import.meta.url),
  ),
) as { cases: Rc2Case[] };

Deno.test("rc2CbcEncrypt() matches the RFC 2268 §5 vectors", () => {
  for (const c of vectors.cases) {
    const ct = rc2CbcEncrypt(
      decodeHex(c.key),
      new Uint8Array(8),
      decodeHex(c.plaintext),
      c.effectiveBits,
    );
    assert.equal(encodeHex(ct), c.ciphertext, `${c.key}/${c.effectiveBits}`);
  }
});

Deno.test("rc2CbcDecrypt() inverts the RFC 2268 §5 vectors", () => {
  for (const c of vectors.cases) {
    const pt = rc2CbcDecrypt(
      decodeHex(c.key),
      new Uint8Array(8),
      decodeHex(c.ciphertext),
      c.effectiveBits,
    );
    assert.equal(encodeHex(pt), c.plaintext, `${c.key}/${c.effectiveBits}`);
  }
});

Deno.test("rc2CbcDecrypt() round-trips random multi-block CBC data", () => {
  const rng = new SeededRandom(2268);
  for (let i = 0; i < 50; i++) {
    const key = rng.bytes(1 + rng.int(128));
    const bits = 1 + rng.int(1024);
    const iv = rng.bytes(8);
    const data = rng.bytes(8 * rng.int(10));
    const ct = rc2CbcEncrypt(key, iv, data, bits);
    assert.deepEqual(rc2CbcDecrypt(key, iv, ct, bits), data);
  }
});

// OpenSSL's RC2 lives in the legacy provider, which may be missing outside
// CI; in CI (Debian's openssl) it is there and the test must run.
const legacy = Deno.env.get("CI") === "true" ||
  (await runOpenssl(["list", "-cipher-algorithms", "-provider", "legacy"]))
      .code === 0;

Deno.test({
  name: "rc2CbcEncrypt() agrees with openssl enc -rc2-40-cbc and -rc2-cbc",
  ignore: !legacy,
  async fn() {
    const rng = new SeededRandom(40);
    for (
      const [cipher, keyLen, bits] of [["-rc2-40-cbc", 5, 40], [
        "-rc2-64-cbc",
        8,
        64,
      ], ["-rc2-cbc", 16, 128]] as const
    ) {
      const key = rng.bytes(keyLen);
      const iv = rng.bytes(8);
      const data = rng.bytes(8 * (1 + rng.int(10)));
      const r = await runOpenssl(
        [
          "enc",
          cipher,
          "-provider",
          "legacy",
          "-provider",
          "default",
          "-K",
          encodeHex(key),
          "-iv",
          encodeHex(iv),
          "-nopad",
        ],
        { stdin: data },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rc2CbcEncrypt(key, iv, data, bits), r.stdout, cipher);
      assert.deepEqual(rc2CbcDecrypt(key, iv, r.stdout, bits), data, cipher);
    }
  },
});

Deno.test("rc2CbcDecrypt() rejects bad lengths and effective bits", () => {
  const iv = new Uint8Array(8);
  assert.throws(
    () => rc2CbcDecrypt(new Uint8Array(5), iv, new Uint8Array(9), 40),
    RangeError,
  );
  assert.throws(
    () => rc2CbcDecrypt(new Uint8Array(0), iv, new Uint8Array(8), 40),
    CryptoError,
  );
  assert.throws(
    () => rc2CbcDecrypt(new Uint8Array(129), iv, new Uint8Array(8), 40),
    CryptoError,
  );
  assert.throws(
    () => rc2CbcEncrypt(new Uint8Array(5), iv, new Uint8Array(8), 0),
    CryptoError,
  );
  assert.throws(
    () =>
      rc2CbcEncrypt(
        new Uint8Array(5),
        new Uint8Array(16),
        new Uint8Array(8),
        40,
      ),
    CryptoError,
  );
});
