import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { tlsPrf } from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";
import { openssl } from "../support/openssl.ts";

interface PrfCase {
  hash: "SHA-256" | "SHA-384";
  secret: string;
  label: string;
  seed: string;
  output: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/tls12_prf.json", import.meta.url),
  ),
) as { cases: PrfCase[] };

for (const c of vectors.cases) {
  Deno.test(`tlsPrf() matches the published TLS 1.2 ${c.hash} PRF vector`, () => {
    const out = tlsPrf(
      c.hash,
      decodeHex(c.secret),
      c.label,
      decodeHex(c.seed),
      c.output.length / 2,
    );
    assert.equal(encodeHex(out), c.output);
  });
}

Deno.test("tlsPrf() output is a prefix-stable stream", () => {
  const c = vectors.cases[0]!;
  for (let n = 0; n <= 100; n += 7) {
    const out = tlsPrf(
      c.hash,
      decodeHex(c.secret),
      c.label,
      decodeHex(c.seed),
      n,
    );
    assert.equal(encodeHex(out), c.output.slice(0, 2 * n));
  }
});

Deno.test("tlsPrf() agrees with openssl kdf TLS1-PRF on random inputs", async () => {
  const rng = new SeededRandom(5246);
  for (let i = 0; i < 4; i++) {
    const hash = i % 2 === 0 ? "SHA-256" : "SHA-384";
    const secret = rng.bytes(1 + rng.int(64));
    const seed = rng.bytes(rng.int(80) + 1);
    const length = 1 + rng.int(200);
    const out = new TextDecoder().decode(
      await openssl([
        "kdf",
        "-keylen",
        String(length),
        "-kdfopt",
        `digest:${hash.replace("-", "")}`,
        "-kdfopt",
        `hexsecret:${encodeHex(secret)}`,
        "-kdfopt",
        "seed:key expansion",
        "-kdfopt",
        `hexseed:${encodeHex(seed)}`,
        "TLS1-PRF",
      ]),
    );
    const want = out.trim().replace(/:/g, "").toLowerCase();
    assert.equal(
      encodeHex(tlsPrf(hash, secret, "key expansion", seed, length)),
      want,
    );
  }
});

Deno.test("tlsPrf() rejects a negative length and a non-ASCII label", () => {
  assert.throws(
    () => tlsPrf("SHA-256", new Uint8Array(1), "x", new Uint8Array(0), -1),
    RangeError,
  );
  assert.throws(
    () => tlsPrf("SHA-256", new Uint8Array(1), "é", new Uint8Array(0), 1),
    TypeError,
  );
});
