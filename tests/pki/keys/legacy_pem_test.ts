import assert from "node:assert/strict";
import { encodeHex } from "../../../src/bytes/mod.ts";
import { aesCbcEncrypt } from "../../../src/crypto/mod.ts";
import { derOctetString, derSequence } from "../../../src/pki/asn1/mod.ts";
import {
  evpBytesToKey,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
} from "../../../src/pki/keys/mod.ts";
import {
  encodePbeAlgorithm,
  pbeEncrypt,
  pbePassword,
} from "../../../src/pki/pbe.ts";
import { encodePem } from "../../../src/pki/pem.ts";
import { fixtures, wrongPasswords } from "./_fixtures.ts";

const PASSWORD = "legacy-pass";

const VARIANTS = [
  { name: "openssl ec -aes128", key: "ec256", args: ["ec", "-aes128"] },
  { name: "openssl ec -aes256 (P-384)", key: "ec384", args: ["ec", "-aes256"] },
  { name: "openssl ec -aes192", key: "ec256", args: ["ec", "-aes192"] },
  { name: "openssl ec -des3", key: "ec256", args: ["ec", "-des3"] },
  {
    name: "openssl rsa -aes256 -traditional",
    key: "rsa",
    args: ["rsa", "-aes256", "-traditional"],
  },
  {
    name: "openssl rsa -des3 -traditional",
    key: "rsa",
    args: ["rsa", "-des3", "-traditional"],
  },
] as const;

async function make(i: number): Promise<string> {
  const f = await fixtures();
  const v = VARIANTS[i]!;
  const out = `legacy-${i}.pem`;
  await f.run([
    ...v.args,
    "-in",
    `${v.key}.pem`,
    "-passout",
    `pass:${PASSWORD}`,
    "-out",
    out,
  ]);
  return f.text(out);
}

function isKeyError(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

Deno.test("loadPrivateKey() decrypts legacy Proc-Type/DEK-Info PEM keys", async () => {
  const f = await fixtures();
  for (const [i, v] of VARIANTS.entries()) {
    const text = await make(i);
    assert.match(text, /Proc-Type: 4,ENCRYPTED/, v.name);
    assert.deepEqual(
      loadPrivateKey(text, PASSWORD),
      loadPrivateKey(f.text(`${v.key}.pem`)),
      v.name,
    );
  }
});

Deno.test("loadPrivateKey() reports wrong legacy PEM passwords as wrong_password", async () => {
  for (const [i, v] of VARIANTS.entries()) {
    const text = await make(i);
    // MD5 key derivation is cheap: try many, so that some pass the padding check.
    for (const pw of wrongPasswords(300)) {
      assert.throws(
        () => loadPrivateKey(text, pw),
        isKeyError("wrong_password"),
        `${v.name}: ${pw}`,
      );
    }
  }
});

Deno.test("loadPrivateKey() wants a password for a legacy encrypted key", async () => {
  const text = await make(0);
  assert.throws(() => loadPrivateKey(text), isKeyError("password_required"));
});

Deno.test("loadPrivateKey() catches a wrong password whose padding happens to be valid", () => {
  // Garbage that ends in a valid one-byte pad, encrypted under the key the
  // wrong password derives: padding passes, the structure check must not.
  const wrong = "not-the-password";
  const iv = new Uint8Array(16).map((_, i) => i * 17);
  const garbage = new Uint8Array(48).map((_, i) => (i * 31 + 7) & 0xff);
  garbage[47] = 0x01;
  const key = evpBytesToKey(
    new TextEncoder().encode(wrong),
    iv.subarray(0, 8),
    16,
  );
  const pem = encodePem("EC PRIVATE KEY", aesCbcEncrypt(key, iv, garbage), {
    "Proc-Type": "4,ENCRYPTED",
    "DEK-Info": `AES-128-CBC,${encodeHex(iv).toUpperCase()}`,
  });
  assert.throws(
    () => loadPrivateKey(pem, wrong),
    (e) =>
      e instanceof KeyError && e.code === "wrong_password" &&
      e.cause instanceof SyntaxError,
  );

  // The same for encrypted PKCS#8.
  const params = {
    scheme: "pbes2",
    prf: "SHA-256",
    salt: new Uint8Array(8),
    iterations: 1,
    cipher: "aes-256-cbc",
    iv,
  } as const;
  const ct = pbeEncrypt(params, pbePassword(wrong), garbage.subarray(0, 40));
  const der = derSequence([encodePbeAlgorithm(params), derOctetString(ct)]);
  assert.throws(
    () => parsePrivateKeyDer(der, wrong),
    (e) =>
      e instanceof KeyError && e.code === "wrong_password" &&
      e.cause instanceof SyntaxError,
  );
});

Deno.test("loadPrivateKey() rejects unknown DEK-Info ciphers and bad headers", () => {
  const body = new Uint8Array(32);
  const pem = (headers: Record<string, string>) =>
    encodePem("RSA PRIVATE KEY", body, headers);
  assert.throws(
    () =>
      loadPrivateKey(
        pem({
          "Proc-Type": "4,ENCRYPTED",
          "DEK-Info": "DES-CBC,0001020304050607",
        }),
        "x",
      ),
    isKeyError("unsupported"),
  );
  assert.throws(
    () =>
      loadPrivateKey(
        pem({ "Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00" }),
        "x",
      ),
    isKeyError("malformed"),
  );
  assert.throws(
    () => loadPrivateKey(pem({ "Proc-Type": "4,ENCRYPTED" }), "x"),
    isKeyError("malformed"),
  );
  assert.throws(
    () => loadPrivateKey(pem({ "Proc-Type": "4,MIC-ONLY" }), "x"),
    isKeyError("unsupported"),
  );
});

Deno.test("evpBytesToKey() matches openssl enc -md md5 for a 32-byte key", async () => {
  const f = await fixtures();
  const out = new TextDecoder().decode(
    await f.run([
      "enc",
      "-aes-256-cbc",
      "-pass",
      "pass:pw",
      "-S",
      "0102030405060708",
      "-md",
      "md5",
      "-P",
    ]),
  );
  const expected = /key=([0-9A-F]+)/.exec(out)?.[1]?.toLowerCase();
  const key = evpBytesToKey(
    new TextEncoder().encode("pw"),
    new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
    32,
  );
  assert.equal(encodeHex(key), expected);
});
