import assert from "node:assert/strict";
import { derOctetString, derSequence } from "../../../src/pki/asn1/mod.ts";
import {
  decodeEncryptedPrivateKeyInfo,
  encryptPrivateKeyPkcs8,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
  privateKeyToEncryptedPem,
} from "../../../src/pki/keys/mod.ts";
import { encodePbeAlgorithm } from "../../../src/pki/pbe.ts";
import { decodePem } from "../../../src/pki/pem.ts";
import { fixtures, wrongPasswords } from "./_fixtures.ts";

const PASSWORD = "correct horse";

interface Variant {
  readonly name: string;
  readonly key: string;
  readonly args: string[];
  readonly password?: string;
  readonly expect: { scheme: string; cipher: string; prf?: string };
}

const VARIANTS: Variant[] = [
  {
    name: "openssl pkey -aes256 (OpenSSL 3 default PBES2)",
    key: "ec256",
    args: ["pkey", "-aes256"],
    expect: { scheme: "pbes2", cipher: "aes-256-cbc", prf: "SHA-256" },
  },
  {
    name: "pkcs8 -topk8 default",
    key: "rsa",
    args: ["pkcs8", "-topk8"],
    expect: { scheme: "pbes2", cipher: "aes-256-cbc", prf: "SHA-256" },
  },
  {
    name: "pkcs8 -v2 aes128",
    key: "ec384",
    args: ["pkcs8", "-topk8", "-v2", "aes128"],
    expect: { scheme: "pbes2", cipher: "aes-128-cbc", prf: "SHA-256" },
  },
  {
    name: "pkcs8 -v2prf hmacWithSHA1 (PRF omitted)",
    key: "ec256",
    args: ["pkcs8", "-topk8", "-v2", "aes256", "-v2prf", "hmacWithSHA1"],
    expect: { scheme: "pbes2", cipher: "aes-256-cbc", prf: "SHA-1" },
  },
  {
    name: "pkcs8 -v2 aes192 -v2prf hmacWithSHA512",
    key: "ec256",
    args: ["pkcs8", "-topk8", "-v2", "aes192", "-v2prf", "hmacWithSHA512"],
    expect: { scheme: "pbes2", cipher: "aes-192-cbc", prf: "SHA-512" },
  },
  {
    name: "pkcs8 -v2 des3",
    key: "ec256",
    args: ["pkcs8", "-topk8", "-v2", "des3"],
    expect: { scheme: "pbes2", cipher: "des-ede3-cbc", prf: "SHA-256" },
  },
  {
    name: "pkcs8 -v1 PBE-SHA1-3DES (old files)",
    key: "ec256",
    args: ["pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES"],
    expect: { scheme: "pkcs12", cipher: "des-ede3-cbc" },
  },
  {
    name: "pkcs8 -v1 PBE-SHA1-2DES",
    key: "ec384",
    args: ["pkcs8", "-topk8", "-v1", "PBE-SHA1-2DES"],
    expect: { scheme: "pkcs12", cipher: "des-ede-cbc" },
  },
  {
    name: "pkcs8 -v1 PBE-SHA1-RC2-40 (legacy provider)",
    key: "ec256",
    args: [
      "pkcs8",
      "-topk8",
      "-v1",
      "PBE-SHA1-RC2-40",
      "-provider",
      "legacy",
      "-provider",
      "default",
    ],
    expect: { scheme: "pkcs12", cipher: "rc2-40-cbc" },
  },
  {
    name: "non-ASCII password, PBES2",
    key: "ec256",
    args: ["pkcs8", "-topk8"],
    password: "pässwörd-✓",
    expect: { scheme: "pbes2", cipher: "aes-256-cbc", prf: "SHA-256" },
  },
  {
    name: "non-ASCII password, PBE-SHA1-3DES (BMPString)",
    key: "ec256",
    args: ["pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES"],
    password: "pässwörd-✓",
    expect: { scheme: "pkcs12", cipher: "des-ede3-cbc" },
  },
];

async function make(v: Variant, i: number): Promise<string> {
  const f = await fixtures();
  const out = `enc-${i}.pem`;
  await f.run([
    ...v.args,
    "-in",
    `${v.key}.pem`,
    "-passout",
    `pass:${v.password ?? PASSWORD}`,
    "-out",
    out,
  ]);
  return f.text(out);
}

function isKeyError(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

Deno.test("loadPrivateKey() decrypts every encrypted PKCS#8 variant openssl writes", async () => {
  const f = await fixtures();
  for (const [i, v] of VARIANTS.entries()) {
    const text = await make(v, i);
    const info = decodeEncryptedPrivateKeyInfo(decodePem(text)[0]!.der);
    assert.equal(info.algorithm.scheme, v.expect.scheme, v.name);
    assert.equal(info.algorithm.cipher, v.expect.cipher, v.name);
    if (info.algorithm.scheme === "pbes2") {
      assert.equal(info.algorithm.prf, v.expect.prf, v.name);
    }
    assert.deepEqual(
      loadPrivateKey(text, v.password ?? PASSWORD),
      loadPrivateKey(f.text(`${v.key}.pem`)),
      v.name,
    );
  }
});

Deno.test("loadPrivateKey() reports every wrong password as wrong_password, never garbage", async () => {
  for (const [i, v] of VARIANTS.entries()) {
    const text = await make(v, 100 + i);
    const count = v.expect.scheme === "pkcs12" ? 20 : 50;
    for (const pw of wrongPasswords(count)) {
      assert.throws(
        () => loadPrivateKey(text, pw),
        isKeyError("wrong_password"),
        `${v.name}: ${pw}`,
      );
    }
    assert.throws(() => loadPrivateKey(text, ""), isKeyError("wrong_password"));
  }
});

Deno.test("loadPrivateKey() wants a password for an encrypted PKCS#8 key", async () => {
  const text = await make(VARIANTS[0]!, 200);
  assert.throws(() => loadPrivateKey(text), isKeyError("password_required"));
  assert.throws(
    () => parsePrivateKeyDer(decodePem(text)[0]!.der),
    isKeyError("password_required"),
  );
});

Deno.test("encryptPrivateKeyPkcs8() output decrypts with openssl pkey -passin", async () => {
  const f = await fixtures();
  for (const name of ["ec256", "ec384", "rsa"]) {
    const key = loadPrivateKey(f.text(`${name}.pem`));
    const pem = privateKeyToEncryptedPem(key, "s3cret-é");
    const plain = await f.run(["pkey", "-passin", "pass:s3cret-é"], pem);
    assert.deepEqual(loadPrivateKey(new TextDecoder().decode(plain)), key);
    assert.deepEqual(loadPrivateKey(pem, "s3cret-é"), key);
  }
  const key = loadPrivateKey(f.text("ec256.pem"));
  const der = encryptPrivateKeyPkcs8(key, "pw", { cipher: "aes-128-cbc" });
  const info = decodeEncryptedPrivateKeyInfo(der);
  assert.equal(info.algorithm.cipher, "aes-128-cbc");
  assert.deepEqual(parsePrivateKeyDer(der, "pw"), key);
});

Deno.test("parsePrivateKeyDer() refuses iteration counts above the bound without deriving", () => {
  const alg = encodePbeAlgorithm({
    scheme: "pbes2",
    prf: "SHA-256",
    salt: new Uint8Array(8),
    iterations: 10_000_001,
    cipher: "aes-256-cbc",
    iv: new Uint8Array(16),
  });
  const der = derSequence([alg, derOctetString(new Uint8Array(32))]);
  const t = performance.now();
  assert.throws(() => parsePrivateKeyDer(der, "pw"), isKeyError("unsupported"));
  assert.ok(performance.now() - t < 1000);
  const huge = encodePbeAlgorithm({
    scheme: "pkcs12",
    cipher: "des-ede3-cbc",
    salt: new Uint8Array(8),
    iterations: 2 ** 40,
  });
  assert.throws(
    () =>
      parsePrivateKeyDer(
        derSequence([huge, derOctetString(new Uint8Array(16))]),
        "pw",
      ),
    isKeyError("unsupported"),
  );
});

Deno.test("parsePrivateKeyDer() reports a ragged ciphertext as malformed", () => {
  const alg = encodePbeAlgorithm({
    scheme: "pbes2",
    prf: "SHA-256",
    salt: new Uint8Array(8),
    iterations: 1,
    cipher: "aes-256-cbc",
    iv: new Uint8Array(16),
  });
  const der = derSequence([alg, derOctetString(new Uint8Array(33))]);
  assert.throws(() => parsePrivateKeyDer(der, "pw"), isKeyError("malformed"));
});
