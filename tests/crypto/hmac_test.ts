import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  type HashAlgorithm,
  hmac,
  HMAC_NATIVE_THRESHOLD,
  HmacKey,
} from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";

interface HmacCase {
  case: number;
  key: string;
  data: string;
  truncateTo?: number;
  "SHA-256": string;
  "SHA-384": string;
  "SHA-512": string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/hmac_rfc4231.json", import.meta.url),
  ),
) as { cases: HmacCase[] };

for (const alg of ["SHA-256", "SHA-384", "SHA-512"] as const) {
  Deno.test(`hmac() matches RFC 4231 test cases 1-7 for HMAC-${alg}`, () => {
    for (const c of vectors.cases) {
      let mac = hmac(alg, decodeHex(c.key), decodeHex(c.data));
      if (c.truncateTo) mac = mac.subarray(0, c.truncateTo);
      assert.equal(encodeHex(mac), c[alg], `case ${c.case}`);
    }
  });

  Deno.test(`HmacKey.mac() matches RFC 4231 test cases 1-7 for HMAC-${alg}`, () => {
    for (const c of vectors.cases) {
      const data = decodeHex(c.data);
      const key = new HmacKey(alg, decodeHex(c.key));
      let mac = key.mac([data.subarray(0, 3), data.subarray(3)]);
      if (c.truncateTo) mac = mac.subarray(0, c.truncateTo);
      assert.equal(encodeHex(mac), c[alg], `case ${c.case}`);
    }
  });
}

Deno.test("hmac() gives the same MAC on both sides of the native threshold", () => {
  const rng = new SeededRandom(4231);
  const algs: HashAlgorithm[] = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"];
  for (const alg of algs) {
    const key = rng.bytes(1 + rng.int(200));
    const data = rng.bytes(HMAC_NATIVE_THRESHOLD + 200);
    const reused = new HmacKey(alg, key);
    for (
      const n of [
        0,
        1,
        HMAC_NATIVE_THRESHOLD,
        HMAC_NATIVE_THRESHOLD + 1,
        data.length,
      ]
    ) {
      const part = data.subarray(0, n);
      const want = hmac(alg, key, part);
      assert.deepEqual(reused.mac(part), want, `${alg} ${n}`);
      // The same MAC computed one byte at a time, crossing the threshold.
      assert.deepEqual(
        reused.mac(Array.from(part, (b) => new Uint8Array([b]))),
        want,
      );
    }
  }
});

Deno.test("HmacKey copies its key", () => {
  const key = new Uint8Array(16).fill(1);
  const mac = new HmacKey("SHA-256", key);
  const before = mac.mac(new Uint8Array(4));
  key.fill(2);
  assert.deepEqual(mac.mac(new Uint8Array(4)), before);
  assert.equal(mac.length, 32);
});
