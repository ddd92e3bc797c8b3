import assert from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  CryptoError,
  ecdhKeyPairFromPrivate,
  generateEcdhKeyPair,
} from "../../src/crypto/mod.ts";
import { openssl } from "../support/openssl.ts";
import { SeededRandom } from "../support/rng.ts";
import { textField, writeEcPublicPem } from "./_keys.ts";

interface EcdhVectors {
  x25519: { scalar: string; u: string; output: string }[];
  x25519Iterated: Record<"1" | "1000", string>;
  x25519Dh: Record<
    "alicePrivate" | "alicePublic" | "bobPrivate" | "bobPublic" | "shared",
    string
  >;
  p256: Record<
    | "initiatorPrivate"
    | "initiatorPublic"
    | "responderPrivate"
    | "responderPublic"
    | "sharedX",
    string
  >;
}

const vectors = JSON.parse(
  await Deno.readTextFile(new URL("../vectors/ecdh.json", import.meta.url)),
) as EcdhVectors;

function hasCode(code: string) {
  return (e: unknown) => e instanceof CryptoError && e.code === code;
}

Deno.test("X25519 matches the RFC 7748 §5.2 function vectors", async () => {
  for (const v of vectors.x25519) {
    const kp = await ecdhKeyPairFromPrivate("X25519", decodeHex(v.scalar));
    assert.equal(
      encodeHex(await kp.deriveSharedSecret(decodeHex(v.u))),
      v.output,
    );
  }
});

Deno.test("X25519 matches the RFC 7748 §5.2 iterated vectors (1 and 1000 rounds)", async () => {
  let k = decodeHex("09" + "00".repeat(31));
  let u = k;
  for (let i = 1; i <= 1000; i++) {
    const out = await (await ecdhKeyPairFromPrivate("X25519", k))
      .deriveSharedSecret(u);
    u = k;
    k = out;
    if (i === 1) assert.equal(encodeHex(k), vectors.x25519Iterated["1"]);
  }
  assert.equal(encodeHex(k), vectors.x25519Iterated["1000"]);
});

Deno.test("X25519 reproduces the RFC 7748 §6.1 Diffie-Hellman exchange", async () => {
  const v = vectors.x25519Dh;
  const alice = await ecdhKeyPairFromPrivate(
    "X25519",
    decodeHex(v.alicePrivate),
  );
  const bob = await ecdhKeyPairFromPrivate("X25519", decodeHex(v.bobPrivate));
  assert.equal(encodeHex(alice.publicKey), v.alicePublic);
  assert.equal(encodeHex(bob.publicKey), v.bobPublic);
  assert.equal(
    encodeHex(await alice.deriveSharedSecret(bob.publicKey)),
    v.shared,
  );
  assert.equal(
    encodeHex(await bob.deriveSharedSecret(alice.publicKey)),
    v.shared,
  );
});

Deno.test("P-256 ECDH reproduces the RFC 5903 §8.1 exchange", async () => {
  const v = vectors.p256;
  const i = await ecdhKeyPairFromPrivate(
    "P-256",
    decodeHex(v.initiatorPrivate),
  );
  const r = await ecdhKeyPairFromPrivate(
    "P-256",
    decodeHex(v.responderPrivate),
  );
  assert.equal(encodeHex(i.publicKey), v.initiatorPublic);
  assert.equal(encodeHex(r.publicKey), v.responderPublic);
  assert.equal(encodeHex(await i.deriveSharedSecret(r.publicKey)), v.sharedX);
  assert.equal(encodeHex(await r.deriveSharedSecret(i.publicKey)), v.sharedX);
});

Deno.test("generateEcdhKeyPair() agrees with @noble/curves on random peers", async () => {
  for (let i = 0; i < 10; i++) {
    const ours = await generateEcdhKeyPair("P-256");
    const d = p256.utils.randomSecretKey();
    const shared = await ours.deriveSharedSecret(p256.getPublicKey(d, false));
    assert.deepEqual(
      shared,
      p256.getSharedSecret(d, ours.publicKey, true).subarray(1),
    );

    const ox = await generateEcdhKeyPair("X25519");
    const xd = x25519.utils.randomSecretKey();
    assert.equal(ox.publicKey.length, 32);
    assert.deepEqual(
      await ox.deriveSharedSecret(x25519.getPublicKey(xd)),
      x25519.getSharedSecret(xd, ox.publicKey),
    );
  }
});

Deno.test("ECDH agrees with openssl pkeyutl -derive in both groups", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-ecdh-" });
  try {
    for (const group of ["P-256", "X25519"] as const) {
      const pem = `${dir}/${group}.pem`;
      await openssl(
        group === "P-256"
          ? [
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-out",
            pem,
          ]
          : ["genpkey", "-algorithm", "X25519", "-out", pem],
      );
      const text = new TextDecoder().decode(
        await openssl(["pkey", "-in", pem, "-text", "-noout"]),
      );
      const theirPub = textField(text, "pub");
      const ours = await generateEcdhKeyPair(group);
      const ourPem = `${dir}/ours-${group}.pem`;
      if (group === "P-256") {
        await writeEcPublicPem(ourPem, "P-256", ours.publicKey);
      } else {
        const der = decodeHex(
          "302a300506032b656e032100" + encodeHex(ours.publicKey),
        );
        await Deno.writeTextFile(
          ourPem,
          `-----BEGIN PUBLIC KEY-----\n${
            btoa(String.fromCharCode(...der))
          }\n-----END PUBLIC KEY-----\n`,
        );
      }
      const want = await openssl([
        "pkeyutl",
        "-derive",
        "-inkey",
        pem,
        "-peerkey",
        ourPem,
      ]);
      const x25519Pub = group === "X25519" ? padTo32(theirPub) : theirPub;
      assert.deepEqual(await ours.deriveSharedSecret(x25519Pub), want, group);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function padTo32(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

Deno.test("deriveSharedSecret() throws invalid_point for bad P-256 peer points", async () => {
  const kp = await generateEcdhKeyPair("P-256");
  const other = await generateEcdhKeyPair("P-256");
  const off = other.publicKey.slice();
  off[64]! ^= 1;
  const compressed = new Uint8Array([
    2 + (other.publicKey[64]! & 1),
    ...other.publicKey.subarray(1, 33),
  ]);
  const rng = new SeededRandom(8422);
  const bad = [
    off,
    compressed,
    new Uint8Array([0]),
    new Uint8Array(65),
    other.publicKey.subarray(0, 64),
    new Uint8Array([...other.publicKey, 0]),
    new Uint8Array([4, ...rng.bytes(64)]),
  ];
  for (const peer of bad) {
    await assert.rejects(
      () => kp.deriveSharedSecret(peer),
      hasCode("invalid_point"),
    );
  }
});

Deno.test("deriveSharedSecret() refuses X25519 low-order peer values", async () => {
  const kp = await generateEcdhKeyPair("X25519");
  const p = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
  const lowOrder = [
    "00".repeat(32), // 0
    "01" + "00".repeat(31), // 1
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p - 1
    p, // p = 0
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p + 1 = 1
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
  ];
  for (const u of lowOrder) {
    await assert.rejects(
      () => kp.deriveSharedSecret(decodeHex(u)),
      hasCode("zero_shared_secret"),
      u,
    );
  }
  await assert.rejects(
    () => kp.deriveSharedSecret(new Uint8Array(31)),
    hasCode("invalid_point"),
  );
});

Deno.test("ecdhKeyPairFromPrivate() rejects bad private keys and groups", async () => {
  await assert.rejects(
    () => ecdhKeyPairFromPrivate("P-256", new Uint8Array(32)),
    hasCode("bad_key"),
  );
  await assert.rejects(
    () => ecdhKeyPairFromPrivate("P-256", new Uint8Array(31).fill(1)),
    hasCode("bad_key"),
  );
  await assert.rejects(
    () => ecdhKeyPairFromPrivate("X25519", new Uint8Array(33)),
    hasCode("bad_key"),
  );
  await assert.rejects(
    () => generateEcdhKeyPair("P-384" as "P-256"),
    hasCode("bad_key"),
  );
});
