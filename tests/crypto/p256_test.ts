import assert from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { bufferSource } from "../../src/crypto/_node.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import {
  invMod,
  p256IsValidPoint,
  p256KeyPair,
  p256PublicKey,
  p256SignSha256,
} from "../../src/crypto/p256.ts";
import { SeededRandom } from "../support/rng.ts";

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/ecdsa_rfc6979.json", import.meta.url),
  ),
);
const enc = new TextEncoder();
const P = p256.Point.Fp.ORDER;
const N = p256.Point.Fn.ORDER;

function scalarBytes(k: bigint): Uint8Array {
  return decodeHex(k.toString(16).padStart(64, "0"));
}

function seededScalar(rng: SeededRandom): Uint8Array {
  for (;;) {
    const d = rng.bytes(32);
    if (p256.utils.isValidSecretKey(d)) return d;
  }
}

// Scalars whose signed 8-bit digits hit the window edges: 0, ±1, ±128,
// a carry through every window, the top of the range.
const EDGE_SCALARS = [
  1n,
  2n,
  3n,
  127n,
  128n,
  129n,
  255n,
  256n,
  257n,
  0x8080808080n,
  (1n << 128n) - 1n,
  1n << 255n,
  N - 1n,
  N - 2n,
  N - 128n,
  N - 129n,
  N / 2n,
  P - N, // a scalar below 2^224
];

Deno.test("p256SignSha256() reproduces the RFC 6979 A.2.5 SHA-256 signatures", () => {
  const key = vectors.keys["P-256"];
  const cases = vectors.cases.filter((c: { curve: string; hash: string }) =>
    c.curve === "P-256" && c.hash === "SHA-256"
  );
  assert.equal(cases.length, 2); // "sample" and "test"
  for (const c of cases) {
    const sig = p256SignSha256(decodeHex(key.d), enc.encode(c.message));
    assert.equal(encodeHex(sig), c.r + c.s, c.message);
  }
});

Deno.test("p256PublicKey() reproduces the RFC 6979 A.2.5 public key", () => {
  const key = vectors.keys["P-256"];
  assert.equal(
    encodeHex(p256PublicKey(decodeHex(key.d))),
    "04" + key.x + key.y,
  );
});

Deno.test("p256PublicKey() matches @noble/curves on window-edge and seeded random scalars", () => {
  for (const k of EDGE_SCALARS) {
    const d = scalarBytes(k);
    assert.deepEqual(
      p256PublicKey(d),
      p256.getPublicKey(d, false),
      k.toString(16),
    );
  }
  const rng = new SeededRandom(256);
  for (let i = 0; i < 200; i++) {
    const d = seededScalar(rng);
    assert.deepEqual(p256PublicKey(d), p256.getPublicKey(d, false));
  }
});

Deno.test("p256PublicKey() matches WebCrypto's own public point for the same scalar", async () => {
  const rng = new SeededRandom(7);
  for (let i = 0; i < 20; i++) {
    const d = seededScalar(rng);
    const point = p256PublicKey(d);
    // PKCS#8 without the public key: WebCrypto computes it on export.
    const der = new Uint8Array([
      ...decodeHex(
        "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420",
      ),
      ...d,
    ]);
    const key = await crypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["sign"],
    );
    const jwk = await crypto.subtle.exportKey("jwk", key);
    const b64 = (b: Uint8Array) =>
      btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_")
        .replace(/=+$/, "");
    assert.equal(jwk.x, b64(point.subarray(1, 33)));
    assert.equal(jwk.y, b64(point.subarray(33)));
  }
});

Deno.test("p256SignSha256() matches @noble/curves (RFC 6979, no low-S) and verifies on WebCrypto", async () => {
  const rng = new SeededRandom(6979);
  for (let i = 0; i < 150; i++) {
    const d = i < EDGE_SCALARS.length
      ? scalarBytes(EDGE_SCALARS[i]!)
      : seededScalar(rng);
    const msg = rng.bytes(rng.int(300));
    const sig = p256SignSha256(d, msg);
    assert.deepEqual(sig, p256.sign(msg, d, { lowS: false }), `case ${i}`);
    if (i % 10 === 0) {
      const pub = await crypto.subtle.importKey(
        "raw",
        bufferSource(p256.getPublicKey(d, false)),
        { name: "ECDSA", namedCurve: "P-256" },
        false,
        ["verify"],
      );
      assert.ok(
        await crypto.subtle.verify(
          { name: "ECDSA", hash: "SHA-256" },
          pub,
          bufferSource(sig),
          bufferSource(msg),
        ),
      );
    }
  }
});

Deno.test("p256SignSha256() is deterministic despite the random blinding", () => {
  const d = scalarBytes(N - 1n);
  const msg = enc.encode("same message");
  const first = p256SignSha256(d, msg);
  for (let i = 0; i < 5; i++) assert.deepEqual(p256SignSha256(d, msg), first);
});

Deno.test("p256KeyPair() makes fresh, consistent pairs", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { d, point } = p256KeyPair();
    assert.equal(d.length, 32);
    assert.ok(p256.utils.isValidSecretKey(d));
    assert.deepEqual(point, p256.getPublicKey(d, false));
    seen.add(encodeHex(d));
  }
  assert.equal(seen.size, 50);
});

Deno.test("p256 operations refuse scalars outside [1, n-1] with bad_key", () => {
  const bad = [
    new Uint8Array(32),
    scalarBytes(N),
    scalarBytes((1n << 256n) - 1n),
    new Uint8Array(31).fill(1),
    new Uint8Array(33).fill(1),
  ];
  for (const d of bad) {
    for (
      const f of [
        () => p256PublicKey(d),
        () => p256SignSha256(d, enc.encode("x")),
      ]
    ) {
      assert.throws(
        f,
        (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
      );
    }
  }
});

Deno.test("invMod() inverts modulo p and n like @noble/curves", () => {
  const rng = new SeededRandom(149);
  for (
    const [m, inv] of [
      [P, (v: bigint) => p256.Point.Fp.inv(v)],
      [N, (v: bigint) => p256.Point.Fn.inv(v)],
    ] as const
  ) {
    const values = [1n, 2n, 3n, m - 1n, m - 2n, m / 2n, 1n << 52n, 1n << 53n];
    for (let i = 0; i < 2000; i++) {
      const v = BigInt("0x" + encodeHex(rng.bytes(40))) % m;
      if (v !== 0n) values.push(v >> BigInt(rng.int(250)) || 1n);
    }
    for (const v of values) {
      const x = invMod(v, m);
      assert.equal(x, inv(v), v.toString(16));
      assert.equal((x * v) % m, 1n);
    }
    assert.equal(invMod(-3n, m), inv(m - 3n));
    assert.throws(() => invMod(0n, m), RangeError);
    assert.throws(() => invMod(m, m), RangeError);
  }
  assert.throws(() => invMod(6n, 9n), RangeError);
});

function nobleAccepts(point: Uint8Array): boolean {
  try {
    p256.Point.fromBytes(point).assertValidity();
    return true;
  } catch {
    return false;
  }
}

Deno.test("p256IsValidPoint() agrees with @noble/curves on valid, mutated and out-of-range points", () => {
  const rng = new SeededRandom(3221);
  const candidates: Uint8Array[] = [
    new Uint8Array(65),
    Uint8Array.of(0x04, ...new Uint8Array(64)),
    Uint8Array.of(0x04, ...new Uint8Array(64).fill(0xff)),
    new Uint8Array(64),
  ];
  for (let i = 0; i < 200; i++) {
    const point = p256.getPublicKey(seededScalar(rng), false);
    candidates.push(point);
    const mutated = point.slice();
    mutated[1 + rng.int(64)]! ^= 1 << rng.int(8);
    candidates.push(mutated);
    // (x, p − y) is the negation, also valid.
    const y = BigInt("0x" + encodeHex(point.subarray(33)));
    candidates.push(
      Uint8Array.of(...point.subarray(0, 33), ...scalarBytes(P - y)),
    );
    // x + p or y + p, when it fits in 32 bytes, encodes the same residue.
    const x = BigInt("0x" + encodeHex(point.subarray(1, 33)));
    if (x + P < 1n << 256n) {
      candidates.push(
        Uint8Array.of(0x04, ...scalarBytes(x + P), ...point.subarray(33)),
      );
    }
    if (y + P < 1n << 256n) {
      candidates.push(
        Uint8Array.of(...point.subarray(0, 33), ...scalarBytes(y + P)),
      );
    }
    const compressed = p256.getPublicKey(seededScalar(rng), true);
    candidates.push(compressed);
  }
  let valid = 0;
  for (const c of candidates) {
    const expected = c.length === 65 && nobleAccepts(c);
    assert.equal(p256IsValidPoint(c), expected, encodeHex(c));
    if (expected) valid++;
  }
  assert.ok(valid >= 400, `${valid} valid candidates`);
});
