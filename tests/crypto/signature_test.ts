import assert from "node:assert/strict";
import { p256, p384 } from "@noble/curves/nist.js";
import { ecdsa } from "@noble/curves/abstract/weierstrass.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { DecodeError, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  CryptoError,
  type EcCurve,
  ecdsaSignatureFromDer,
  ecdsaSignatureToDer,
  type EcPublicKey,
  generateEcKeyPair,
  type HashAlgorithm,
  type PublicKey,
  publicKeyOf,
  type RsaPublicKey,
  sign,
  verifySignature,
} from "../../src/crypto/mod.ts";
import { runOpenssl } from "../support/openssl.ts";
import { SeededRandom } from "../support/rng.ts";
import {
  dgstName,
  opensslEcKey,
  opensslRsaKey,
  writeEcPublicPem,
} from "./_keys.ts";

interface EcdsaCase {
  curve: EcCurve;
  message: string;
  hash: HashAlgorithm;
  r: string;
  s: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/ecdsa_rfc6979.json", import.meta.url),
  ),
) as {
  keys: Record<EcCurve, { d: string; x: string; y: string }>;
  cases: EcdsaCase[];
};

const enc = new TextEncoder();
const NOBLE_HASH = {
  "SHA-1": sha1,
  "SHA-256": sha256,
  "SHA-384": sha384,
  "SHA-512": sha512,
};
const NOBLE_CURVE = { "P-256": p256, "P-384": p384 };

function vectorKey(curve: EcCurve) {
  const k = vectors.keys[curve];
  return {
    kind: "ec" as const,
    curve,
    d: decodeHex(k.d),
    point: decodeHex("04" + k.x + k.y),
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern-crypto-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function opensslVerify(
  dir: string,
  pubPem: string,
  hash: HashAlgorithm,
  data: Uint8Array,
  sig: Uint8Array,
  extra: string[] = [],
): Promise<boolean> {
  await Deno.writeFile(`${dir}/data`, data);
  await Deno.writeFile(`${dir}/sig`, sig);
  const r = await runOpenssl([
    "dgst",
    dgstName(hash),
    "-verify",
    pubPem,
    ...extra,
    "-signature",
    `${dir}/sig`,
    `${dir}/data`,
  ]);
  return r.code === 0;
}

async function opensslSign(
  dir: string,
  keyPem: string,
  hash: HashAlgorithm,
  data: Uint8Array,
  extra: string[] = [],
): Promise<Uint8Array> {
  await Deno.writeFile(`${dir}/data`, data);
  const r = await runOpenssl([
    "dgst",
    dgstName(hash),
    "-sign",
    keyPem,
    ...extra,
    `${dir}/data`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("sign() reproduces the RFC 6979 A.2.5 and A.2.6 deterministic signatures", async () => {
  for (const c of vectors.cases) {
    const raw = await sign(vectorKey(c.curve), enc.encode(c.message), {
      alg: "ecdsa",
      hash: c.hash,
      format: "raw",
    });
    assert.equal(
      encodeHex(raw),
      c.r + c.s,
      `${c.curve} ${c.hash} ${c.message}`,
    );
  }
});

Deno.test("verifySignature() accepts the RFC 6979 signatures in raw and DER form", async () => {
  for (const c of vectors.cases) {
    const key = publicKeyOf(vectorKey(c.curve));
    const raw = decodeHex(c.r + c.s);
    const data = enc.encode(c.message);
    const what = `${c.curve} ${c.hash} ${c.message}`;
    assert.ok(
      await verifySignature(key, data, raw, {
        alg: "ecdsa",
        hash: c.hash,
        format: "raw",
      }),
      what,
    );
    assert.ok(
      await verifySignature(key, data, ecdsaSignatureToDer(raw), {
        alg: "ecdsa",
        hash: c.hash,
      }),
      what,
    );
    assert.equal(
      await verifySignature(key, enc.encode(c.message + "!"), raw, {
        alg: "ecdsa",
        hash: c.hash,
        format: "raw",
      }),
      false,
      what,
    );
  }
});

Deno.test("the RFC 6979 signatures verify with @noble (lowS: false) and openssl too", async () => {
  await withTempDir(async (dir) => {
    for (const c of vectors.cases) {
      const key = vectorKey(c.curve);
      const raw = decodeHex(c.r + c.s);
      const data = enc.encode(c.message);
      const noble = ecdsa(NOBLE_CURVE[c.curve].Point, NOBLE_HASH[c.hash]);
      assert.ok(noble.verify(raw, data, key.point, { lowS: false }));
      const pub = await writeEcPublicPem(`${dir}/pub.pem`, c.curve, key.point);
      assert.ok(
        await opensslVerify(dir, pub, c.hash, data, ecdsaSignatureToDer(raw)),
        `openssl ${c.curve} ${c.hash} ${c.message}`,
      );
    }
  });
});

Deno.test("verifySignature() accepts high-S and low-S forms of one signature", async () => {
  const c = vectors.cases.find((v) =>
    v.curve === "P-256" && v.hash === "SHA-256" && v.message === "sample"
  )!;
  const key = publicKeyOf(vectorKey("P-256"));
  const n = p256.Point.Fn.ORDER;
  const s = BigInt("0x" + c.s);
  assert.ok(s > n / 2n, "the RFC vector has a high S");
  const lowS = (n - s).toString(16).padStart(64, "0");
  const scheme = { alg: "ecdsa", hash: "SHA-256", format: "raw" } as const;
  assert.ok(
    await verifySignature(
      key,
      enc.encode("sample"),
      decodeHex(c.r + c.s),
      scheme,
    ),
  );
  assert.ok(
    await verifySignature(
      key,
      enc.encode("sample"),
      decodeHex(c.r + lowS),
      scheme,
    ),
  );
});

Deno.test("verifySignature() returns false for malformed input instead of throwing", async () => {
  const key = await generateEcKeyPair("P-256");
  const pub: EcPublicKey = { kind: "ec", curve: "P-256", point: key.point };
  const data = enc.encode("x");
  const der = await sign(key, data, { alg: "ecdsa", hash: "SHA-256" });
  const scheme = { alg: "ecdsa", hash: "SHA-256" } as const;
  assert.ok(await verifySignature(pub, data, der, scheme));
  const rng = new SeededRandom(6979);
  const bad: Uint8Array[] = [
    new Uint8Array(0),
    der.subarray(0, der.length - 1),
    new Uint8Array([...der, 0]),
    new Uint8Array(64),
    rng.bytes(72),
    ecdsaSignatureToDer(new Uint8Array(64)), // r = s = 0
  ];
  for (let i = 0; i < 30; i++) {
    const m = der.slice();
    m[rng.int(m.length)]! ^= 1 << rng.int(8);
    bad.push(m);
  }
  for (const sig of bad) {
    assert.equal(await verifySignature(pub, data, sig, scheme), false);
  }
  assert.equal(
    await verifySignature(pub, data, new Uint8Array(63), {
      ...scheme,
      format: "raw",
    }),
    false,
  );
  // Key of the wrong kind, a point off the curve, a wrong-curve key.
  const rsa: RsaPublicKey = {
    kind: "rsa",
    n: new Uint8Array(256).fill(0xff),
    e: new Uint8Array([1, 0, 1]),
  };
  assert.equal(await verifySignature(rsa, data, der, scheme), false);
  const offPoint = pub.point.slice();
  offPoint[64]! ^= 1;
  const offCurve: EcPublicKey = { ...pub, point: offPoint };
  assert.equal(await verifySignature(offCurve, data, der, scheme), false);
  assert.equal(
    await verifySignature({ ...pub, curve: "P-384" }, data, der, scheme),
    false,
  );
  assert.equal(
    await verifySignature(pub, data, der, {
      alg: "rsa-pkcs1",
      hash: "SHA-256",
    }),
    false,
  );
});

Deno.test("sign() refuses a key that does not fit the scheme", async () => {
  const key = await generateEcKeyPair("P-256");
  await assert.rejects(
    () =>
      sign(key, new Uint8Array(1), {
        alg: "rsa-pss",
        hash: "SHA-256",
        saltLength: 32,
      }),
    (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
  );
  await assert.rejects(
    () =>
      sign({ ...key, d: new Uint8Array(32) }, new Uint8Array(1), {
        alg: "ecdsa",
        hash: "SHA-256",
      }),
    (e: unknown) => e instanceof CryptoError && e.code === "bad_key",
  );
});

for (const curve of ["P-256", "P-384"] as const) {
  Deno.test(`sign() output on ${curve} verifies with openssl, and openssl's verifies here`, async () => {
    await withTempDir(async (dir) => {
      const { pem, pubPem, key } = await opensslEcKey(dir, curve);
      const pub = publicKeyOf(key);
      for (const hash of ["SHA-256", "SHA-384", "SHA-1"] as const) {
        const data = enc.encode(`postern ${curve} ${hash}`);
        const ours = await sign(key, data, { alg: "ecdsa", hash });
        assert.ok(
          await opensslVerify(dir, pubPem, hash, data, ours),
          `openssl verify ${hash}`,
        );
        for (let i = 0; i < 4; i++) {
          const theirs = await opensslSign(dir, pem, hash, data);
          assert.ok(
            await verifySignature(pub, data, theirs, { alg: "ecdsa", hash }),
            `verify openssl ${hash}`,
          );
          assert.equal(
            await verifySignature(pub, enc.encode("other"), theirs, {
              alg: "ecdsa",
              hash,
            }),
            false,
          );
        }
      }
    });
  });
}

Deno.test("RSA: openssl PKCS#1 v1.5 and PSS signatures verify, ours verify with openssl", async () => {
  await withTempDir(async (dir) => {
    const { pem, pubPem, key } = await opensslRsaKey(dir, 2048);
    const pub: PublicKey = publicKeyOf(key);
    const pss = [
      "-sigopt",
      "rsa_padding_mode:pss",
      "-sigopt",
      "rsa_pss_saltlen:32",
    ];
    for (const hash of ["SHA-256", "SHA-384", "SHA-512", "SHA-1"] as const) {
      const data = enc.encode(`postern rsa ${hash}`);

      const pkcs1 = { alg: "rsa-pkcs1", hash } as const;
      const theirs = await opensslSign(dir, pem, hash, data);
      assert.ok(
        await verifySignature(pub, data, theirs, pkcs1),
        `pkcs1 ${hash}`,
      );
      const ours = await sign(key, data, pkcs1);
      assert.deepEqual(
        ours,
        theirs,
        "PKCS#1 v1.5 signatures are deterministic",
      );
      assert.ok(await opensslVerify(dir, pubPem, hash, data, ours));
      const flipped = theirs.slice();
      flipped[10]! ^= 1;
      assert.equal(await verifySignature(pub, data, flipped, pkcs1), false);

      const pssScheme = { alg: "rsa-pss", hash, saltLength: 32 } as const;
      const theirsPss = await opensslSign(dir, pem, hash, data, pss);
      assert.ok(
        await verifySignature(pub, data, theirsPss, pssScheme),
        `pss ${hash}`,
      );
      assert.equal(await verifySignature(pub, data, theirsPss, pkcs1), false);
      const oursPss = await sign(key, data, pssScheme);
      assert.ok(
        await opensslVerify(dir, pubPem, hash, data, oursPss, pss),
        `openssl pss ${hash}`,
      );
      assert.equal(
        await verifySignature(pub, data, oursPss.subarray(1), pssScheme),
        false,
      );
    }
  });
});

Deno.test("ecdsaSignatureToDer() and ecdsaSignatureFromDer() round-trip random values", () => {
  const rng = new SeededRandom(5480);
  for (const curve of ["P-256", "P-384"] as const) {
    const size = curve === "P-256" ? 32 : 48;
    for (let i = 0; i < 200; i++) {
      const raw = rng.bytes(2 * size);
      // Exercise leading zero bytes and high bits.
      if (i % 3 === 0) raw.fill(0, 0, rng.int(size));
      if (i % 5 === 0) raw.fill(0, size, size + rng.int(size));
      const der = ecdsaSignatureToDer(raw);
      assert.deepEqual(ecdsaSignatureFromDer(der, curve), raw);
    }
  }
});

Deno.test("ecdsaSignatureFromDer() rejects non-DER encodings", () => {
  const bad: [string, string][] = [
    ["3007020101020102", "truncated body"],
    ["30060201010201020000", "trailing bytes"],
    ["3107020101020102", "not a SEQUENCE"],
    ["300702020001020102", "non-minimal INTEGER"],
    ["3006020181020102", "negative INTEGER"],
    ["3005020002010201", "empty INTEGER"],
    ["30810602010102010 2".replace(" ", ""), "non-minimal length"],
    ["300603010102010201", "wrong tag for r"],
    ["3009020101020102020101", "extra INTEGER"],
    [
      "30" + "46" + "0221" + "01".repeat(33) + "0221" + "01".repeat(33),
      "INTEGER too long for P-256",
    ],
  ];
  for (const [hex, why] of bad) {
    assert.throws(
      () => ecdsaSignatureFromDer(decodeHex(hex), "P-256"),
      DecodeError,
      why,
    );
  }
});
