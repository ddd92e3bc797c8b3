import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { HmacSha256, pSha256, Sha256 } from "../../src/crypto/sha256.ts";
import { SeededRandom } from "../support/rng.ts";

const te = new TextEncoder();

Deno.test("Sha256 matches the FIPS 180-2 Appendix B examples", () => {
  assert.equal(
    encodeHex(new Sha256().update(te.encode("abc")).digest()),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    encodeHex(
      new Sha256().update(
        te.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      ).digest(),
    ),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  const h = new Sha256();
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) h.update(chunk);
  assert.equal(
    encodeHex(h.digest()),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
  assert.equal(
    encodeHex(new Sha256().digest()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("Sha256 agrees with node:crypto for every length and split up to 300 bytes", () => {
  const rng = new SeededRandom(256);
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n).map(() => rng.int(256));
    const h = new Sha256();
    let i = 0;
    while (i < n) {
      const k = Math.min(n - i, 1 + rng.int(90));
      h.update(data.subarray(i, i + k));
      i += k;
    }
    const prefix = h.clone().digest();
    assert.deepEqual(h.peekDigest(), prefix, `peek at length ${n}`);
    const expected = createHash("sha256").update(data).digest();
    assert.deepEqual(prefix, new Uint8Array(expected), `length ${n}`);
    assert.deepEqual(h.digest(), new Uint8Array(expected), `length ${n}`);
  }
});

Deno.test("HmacSha256 matches RFC 4231 test cases 1-7", async () => {
  const vectors = JSON.parse(
    await Deno.readTextFile(
      new URL("../vectors/hmac_rfc4231.json", import.meta.url),
    ),
  ) as {
    cases: {
      case: number;
      key: string;
      data: string;
      truncateTo?: number;
      "SHA-256": string;
    }[];
  };
  for (const c of vectors.cases) {
    const data = decodeHex(c.data);
    let mac = new HmacSha256(decodeHex(c.key)).mac([
      data.subarray(0, 5),
      data.subarray(5),
    ]);
    if (c.truncateTo) mac = mac.subarray(0, c.truncateTo);
    assert.equal(encodeHex(mac), c["SHA-256"], `case ${c.case}`);
  }
});

Deno.test("HmacSha256 agrees with node:crypto for keys of 0-130 bytes and reuses its key", () => {
  const rng = new SeededRandom(4231);
  for (let n = 0; n <= 130; n++) {
    const key = new Uint8Array(n).map(() => rng.int(256));
    const mac = new HmacSha256(key);
    for (const len of [0, 1, 55, 56, 64, 119, 200]) {
      const data = new Uint8Array(len).map(() => rng.int(256));
      const expected = createHmac("sha256", key).update(data).digest();
      assert.deepEqual(
        mac.mac([data]),
        new Uint8Array(expected),
        `${n}/${len}`,
      );
    }
  }
});

Deno.test("HmacSha256.macInto may write over one of its inputs", () => {
  const mac = new HmacSha256(te.encode("key"));
  const a = new Uint8Array(32).fill(5);
  const seed = te.encode("seed");
  const expected = mac.mac([a, seed]);
  mac.macInto([a, seed], a);
  assert.deepEqual(a, expected);
  const out = new Uint8Array(40);
  mac.macInto([seed], out, 8);
  assert.deepEqual(out.subarray(8), mac.mac([seed]));
});

Deno.test("pSha256 matches P_SHA256 built from HMAC for every output length up to 100", () => {
  const rng = new SeededRandom(5246);
  for (let n = 0; n <= 100; n++) {
    const secret = new Uint8Array(1 + rng.int(80)).map(() => rng.int(256));
    const label = te.encode("key expansion");
    const seed = new Uint8Array(rng.int(70)).map(() => rng.int(256));
    const out = new Uint8Array(n);
    pSha256(secret, label, seed, out);
    const labelSeed = new Uint8Array([...label, ...seed]);
    const expected: number[] = [];
    let a = labelSeed;
    while (expected.length < n) {
      a = new Uint8Array(createHmac("sha256", secret).update(a).digest());
      expected.push(
        ...createHmac("sha256", secret).update(a).update(labelSeed).digest(),
      );
    }
    assert.deepEqual(out, new Uint8Array(expected.slice(0, n)), `length ${n}`);
  }
});
