import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  CryptoError,
  ecPublicFromPrivate,
  generateEcKeyPair,
  isValidEcPoint,
} from "../../src/crypto/mod.ts";

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/ecdsa_rfc6979.json", import.meta.url),
  ),
) as { keys: Record<"P-256" | "P-384", { d: string; x: string; y: string }> };

Deno.test("ecPublicFromPrivate() derives the RFC 6979 public keys", () => {
  for (const curve of ["P-256", "P-384"] as const) {
    const k = vectors.keys[curve];
    assert.equal(
      encodeHex(ecPublicFromPrivate(curve, decodeHex(k.d))),
      "04" + k.x + k.y,
    );
  }
});

Deno.test("ecPublicFromPrivate() rejects zero, n and wrong-length scalars", () => {
  const n = decodeHex(
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
  );
  for (
    const d of [
      new Uint8Array(32),
      n,
      new Uint8Array(31).fill(1),
      new Uint8Array(48).fill(1),
    ]
  ) {
    assert.throws(
      () => ecPublicFromPrivate("P-256", d),
      (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
    );
  }
});

Deno.test("generateEcKeyPair() makes consistent key pairs on both curves", async () => {
  for (const curve of ["P-256", "P-384"] as const) {
    const key = await generateEcKeyPair(curve);
    assert.equal(key.kind, "ec");
    assert.equal(key.d.length, curve === "P-256" ? 32 : 48);
    assert.deepEqual(ecPublicFromPrivate(curve, key.d), key.point);
    assert.ok(isValidEcPoint(curve, key.point));
  }
});

Deno.test("isValidEcPoint() rejects off-curve, compressed, identity and mis-sized points", async () => {
  const { point } = await generateEcKeyPair("P-256");
  const off = point.slice();
  off[64]! ^= 1;
  const compressed = new Uint8Array(33);
  compressed[0] = 2 + (point[64]! & 1);
  compressed.set(point.subarray(1, 33), 1);
  const wrongPrefix = point.slice();
  wrongPrefix[0] = 0x06;
  for (
    const p of [
      off,
      compressed,
      wrongPrefix,
      new Uint8Array([0]),
      new Uint8Array(65),
      point.subarray(0, 64),
    ]
  ) {
    assert.equal(isValidEcPoint("P-256", p), false);
  }
  // Coordinates >= p are not field elements.
  const big = new Uint8Array(65).fill(0xff);
  big[0] = 4;
  assert.equal(isValidEcPoint("P-256", big), false);
  assert.equal(isValidEcPoint("P-521" as "P-256", point), false);
});
