import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  type Aead,
  aesCcm,
  aesGcm,
  type CcmTagLength,
  CryptoError,
} from "../../src/crypto/mod.ts";
import { SeededRandom } from "../support/rng.ts";
import { NodeAesCcm, referenceCcmSeal } from "./_ccm_reference.ts";

interface GcmCase {
  case: number;
  key: string;
  nonce: string;
  plaintext: string;
  aad: string;
  ciphertext: string;
  tag: string;
}

interface CcmCase {
  name: string;
  key: string;
  nonce: string;
  aad?: string;
  aadRepeat?: { pattern: string; times: number };
  plaintext: string;
  sealed: string;
  tagLength: CcmTagLength;
}

async function load<T>(name: string): Promise<T> {
  return JSON.parse(
    await Deno.readTextFile(new URL(`../vectors/${name}`, import.meta.url)),
  ) as T;
}

const gcm = await load<{ cases: GcmCase[] }>("aes_gcm.json");
const ccm = await load<{ cases: CcmCase[] }>("aes_ccm.json");

function ccmAad(c: CcmCase): Uint8Array {
  if (c.aadRepeat) {
    const pattern = decodeHex(c.aadRepeat.pattern);
    const out = new Uint8Array(pattern.length * c.aadRepeat.times);
    for (let i = 0; i < c.aadRepeat.times; i++) {
      out.set(pattern, i * pattern.length);
    }
    return out;
  }
  return decodeHex(c.aad ?? "");
}

/** Every single-bit flip of `sealed` and `aad`, and truncations, must fail. */
function assertTamperEvident(
  aead: Aead,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): void {
  for (let i = 0; i < sealed.length; i++) {
    const bad = sealed.slice();
    bad[i]! ^= 1 << (i % 8);
    assert.equal(aead.open(nonce, bad, aad), undefined, `sealed byte ${i}`);
  }
  for (let i = 0; i < aad.length; i++) {
    const bad = aad.slice();
    bad[i]! ^= 0x80;
    assert.equal(aead.open(nonce, sealed, bad), undefined, `aad byte ${i}`);
  }
  const otherNonce = nonce.slice();
  otherNonce[otherNonce.length - 1]! ^= 1;
  assert.equal(aead.open(otherNonce, sealed, aad), undefined, "nonce");
  for (const n of [0, 1, aead.tagLength - 1, sealed.length - 1]) {
    if (n >= 0 && n < sealed.length) {
      assert.equal(
        aead.open(nonce, sealed.subarray(0, n), aad),
        undefined,
        `truncated to ${n}`,
      );
    }
  }
  assert.equal(
    aead.open(nonce, new Uint8Array([...sealed, 0]), aad),
    undefined,
    "extended",
  );
}

for (const c of gcm.cases) {
  Deno.test(`aesGcm() seals and opens GCM spec test case ${c.case}`, () => {
    const aead = aesGcm(decodeHex(c.key));
    const nonce = decodeHex(c.nonce);
    const aad = decodeHex(c.aad);
    const sealed = aead.seal(nonce, decodeHex(c.plaintext), aad);
    assert.equal(encodeHex(sealed), c.ciphertext + c.tag);
    assert.equal(encodeHex(aead.open(nonce, sealed, aad)!), c.plaintext);
  });
}

Deno.test("aesGcm().open() returns undefined for any modified byte, AAD or nonce", () => {
  const c = gcm.cases.find((v) => v.case === 4)!;
  const aead = aesGcm(decodeHex(c.key));
  assertTamperEvident(
    aead,
    decodeHex(c.nonce),
    decodeHex(c.ciphertext + c.tag),
    decodeHex(c.aad),
  );
});

Deno.test("aesGcm() agrees with node:crypto on random inputs", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(16, 32),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 600 }),
      fc.uint8Array({ maxLength: 40 }),
      (size, keyBytes, nonce, pt, aad) => {
        const key = keyBytes.subarray(0, size);
        const c = createCipheriv(
          size === 16 ? "aes-128-gcm" : "aes-256-gcm",
          key,
          nonce,
        );
        c.setAAD(aad);
        const want = new Uint8Array([
          ...c.update(pt),
          ...c.final(),
          ...c.getAuthTag(),
        ]);
        const aead = aesGcm(key);
        const sealed = aead.seal(nonce, pt, aad);
        assert.deepEqual(sealed, want);
        assert.deepEqual(aead.open(nonce, sealed, aad), pt);
      },
    ),
    { numRuns: 200, seed: 38 },
  );
});

for (const c of ccm.cases) {
  Deno.test(`aesCcm() seals and opens the ${c.name}`, () => {
    const aead = aesCcm(decodeHex(c.key), c.tagLength);
    const nonce = decodeHex(c.nonce);
    const aad = ccmAad(c);
    const sealed = aead.seal(nonce, decodeHex(c.plaintext), aad);
    assert.equal(encodeHex(sealed), c.sealed);
    assert.equal(encodeHex(aead.open(nonce, sealed, aad)!), c.plaintext);
  });
}

Deno.test("aesCcm().open() returns undefined for any modified byte, AAD or nonce", () => {
  for (const tagLength of [8, 16] as const) {
    const c = ccm.cases.find((v) =>
      v.tagLength === tagLength && v.nonce.length === 24 &&
      v.plaintext.length === 66
    )!;
    const aead = aesCcm(decodeHex(c.key), tagLength);
    assertTamperEvident(
      aead,
      decodeHex(c.nonce),
      decodeHex(c.sealed),
      ccmAad(c),
    );
  }
});

Deno.test("aesCcm() agrees with a block-by-block RFC 3610 reference on random inputs", () => {
  const rng = new SeededRandom(3610);
  const tags: CcmTagLength[] = [4, 6, 8, 10, 12, 14, 16];
  for (let i = 0; i < 150; i++) {
    const key = rng.bytes(rng.pick([16, 32]));
    const m = rng.pick(tags);
    const nonce = rng.bytes(7 + rng.int(7));
    const pt = rng.bytes(rng.pick([0, 1, 15, 16, 17, rng.int(300)]));
    const aad = rng.bytes(rng.pick([0, 1, 13, 14, 16, rng.int(100)]));
    const aead = aesCcm(key, m);
    const sealed = aead.seal(nonce, pt, aad);
    assert.deepEqual(
      sealed,
      referenceCcmSeal(key, nonce, pt, aad, m),
      `case ${i}`,
    );
    assert.deepEqual(aead.open(nonce, sealed, aad), pt);
  }
});

Deno.test("aesCcm() agrees with the node:crypto CCM it replaced, seeded", () => {
  const rng = new SeededRandom(6655);
  const tags: CcmTagLength[] = [4, 6, 8, 10, 12, 14, 16];
  for (let i = 0; i < 400; i++) {
    const key = rng.bytes(rng.pick([16, 32]));
    const m = rng.pick(tags);
    const nonce = rng.bytes(7 + rng.int(7));
    const pt = rng.bytes(rng.pick([0, 1, 15, 16, 17, 31, 32, rng.int(700)]));
    const aad = rng.bytes(rng.pick([0, 1, 13, 14, 15, 16, 17, rng.int(300)]));
    const ours = aesCcm(key, m);
    const theirs = new NodeAesCcm(key, m);
    const sealed = ours.seal(nonce, pt, aad);
    assert.deepEqual(sealed, theirs.seal(nonce, pt, aad), `case ${i}`);
    assert.deepEqual(ours.open(nonce, sealed, aad), pt);
    const bad = sealed.slice();
    if (bad.length > 0) bad[rng.int(bad.length)]! ^= 1 << rng.int(8);
    assert.equal(ours.open(nonce, bad, aad), theirs.open(nonce, bad, aad));
  }
  // a 6-byte AAD length header (RFC 3610 §2.2, 0xff00 <= l(a) < 2^32)
  const key = rng.bytes(16);
  const nonce = rng.bytes(12);
  const aad = rng.bytes(0xff00 + 5);
  const pt = rng.bytes(40);
  assert.deepEqual(
    aesCcm(key, 16).seal(nonce, pt, aad),
    new NodeAesCcm(key, 16).seal(nonce, pt, aad),
  );
});

Deno.test("aesCcm() keeps working across interleaved keys and failed opens", () => {
  // Every key shares the module's scratch states; interleave seals, good
  // opens and bad opens under two keys and compare every result with a
  // fresh instance.
  const rng = new SeededRandom(7251);
  const keys = [rng.bytes(16), rng.bytes(32)];
  const shared = keys.map((k) => aesCcm(k, 8));
  for (let i = 0; i < 100; i++) {
    const k = i % 2;
    const nonce = rng.bytes(12);
    const pt = rng.bytes(rng.int(100));
    const aad = rng.bytes(13);
    const sealed = shared[k]!.seal(nonce, pt, aad);
    assert.deepEqual(sealed, aesCcm(keys[k]!, 8).seal(nonce, pt, aad));
    if (i % 3 === 0) {
      const bad = sealed.slice();
      bad[0]! ^= 1;
      assert.equal(shared[k]!.open(nonce, bad, aad), undefined);
      assert.equal(shared[1 - k]!.open(nonce, sealed, aad), undefined);
    }
    assert.deepEqual(shared[k]!.open(nonce, sealed, aad), pt);
  }
});

Deno.test("aesCcm() and aesGcm() refuse bad keys, tag lengths and nonces", () => {
  const isCode = (code: string) => (e: unknown) =>
    e instanceof CryptoError && e.code === code;
  assert.throws(() => aesGcm(new Uint8Array(24)), isCode("bad_key"));
  assert.throws(() => aesCcm(new Uint8Array(15), 8), isCode("bad_key"));
  assert.throws(
    () => aesCcm(new Uint8Array(16), 7 as CcmTagLength),
    isCode("bad_parameter"),
  );
  assert.throws(
    () => aesCcm(new Uint8Array(16), 18 as CcmTagLength),
    isCode("bad_parameter"),
  );
  const c = aesCcm(new Uint8Array(16), 16);
  assert.throws(
    () => c.seal(new Uint8Array(6), new Uint8Array(1), new Uint8Array(0)),
    isCode("bad_parameter"),
  );
  assert.throws(
    () => c.open(new Uint8Array(14), new Uint8Array(32), new Uint8Array(0)),
    isCode("bad_parameter"),
  );
  // A 13-byte nonce leaves a 2-byte length field: 65536 bytes do not fit.
  assert.throws(
    () => c.seal(new Uint8Array(13), new Uint8Array(65536), new Uint8Array(0)),
    isCode("bad_parameter"),
  );
  assert.throws(
    () =>
      aesGcm(new Uint8Array(16)).seal(
        new Uint8Array(0),
        new Uint8Array(1),
        new Uint8Array(0),
      ),
    isCode("bad_parameter"),
  );
  assert.equal(
    aesGcm(new Uint8Array(16)).open(
      new Uint8Array(12),
      new Uint8Array(15),
      new Uint8Array(0),
    ),
    undefined,
  );
  assert.equal(
    c.open(new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)),
    undefined,
  );
});

Deno.test("aesCcm() and aesGcm() handle empty plaintexts and large records", () => {
  const rng = new SeededRandom(16384);
  const big = rng.bytes(16384 + 7);
  for (
    const aead of [
      aesGcm(rng.bytes(16)),
      aesCcm(rng.bytes(32), 16),
      aesCcm(rng.bytes(16), 8),
    ]
  ) {
    const nonce = rng.bytes(12);
    for (const pt of [new Uint8Array(0), big]) {
      const sealed = aead.seal(nonce, pt, new Uint8Array(0));
      assert.equal(sealed.length, pt.length + aead.tagLength);
      assert.deepEqual(aead.open(nonce, sealed, new Uint8Array(0)), pt);
    }
  }
});
