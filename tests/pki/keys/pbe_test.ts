import assert from "node:assert/strict";
import { decodeHex, encodeHex } from "../../../src/bytes/mod.ts";
import { KeyError } from "../../../src/pki/keys/mod.ts";
import {
  bmpPassword,
  decodePbeAlgorithm,
  encodePbeAlgorithm,
  pbeDecrypt,
  pbeEncrypt,
  type PbeParameters,
  pbePassword,
  pkcs12Kdf,
  pkcs12PasswordCandidates,
  removePadding,
} from "../../../src/pki/pbe.ts";
import { openssl } from "../../support/openssl.ts";

Deno.test("pkcs12Kdf() matches openssl kdf PKCS12KDF for every hash and ID", async () => {
  const salt = "0a58cf64530d823f0a58";
  for (const hash of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"] as const) {
    for (const [id, len, iter] of [[1, 32, 2048], [2, 16, 1], [3, 70, 3]]) {
      const pw = bmpPassword("pässword");
      const out = new TextDecoder().decode(
        await openssl([
          "kdf",
          "-keylen",
          String(len),
          "-kdfopt",
          `digest:${hash.replace("-", "")}`,
          "-kdfopt",
          `hexpass:${encodeHex(pw)}`,
          "-kdfopt",
          `hexsalt:${salt}`,
          "-kdfopt",
          `id:${id}`,
          "-kdfopt",
          `iter:${iter}`,
          "PKCS12KDF",
        ]),
      );
      const expected = out.trim().replaceAll(":", "").toLowerCase();
      const got = pkcs12Kdf(
        hash,
        pw,
        decodeHex(salt),
        id as number,
        iter as number,
        len as number,
      );
      assert.equal(encodeHex(got), expected, `${hash} id ${id}`);
    }
  }
});

Deno.test("pkcs12Kdf() handles an empty password and an empty salt", () => {
  const a = pkcs12Kdf("SHA-1", new Uint8Array(0), new Uint8Array(0), 1, 1, 20);
  assert.equal(a.length, 20);
  const b = pkcs12Kdf("SHA-1", bmpPassword(""), new Uint8Array(0), 1, 1, 20);
  assert.notDeepEqual(a, b);
});

Deno.test("bmpPassword() writes UTF-16BE code units, surrogates included", () => {
  assert.deepEqual(
    bmpPassword("a😀"),
    new Uint8Array([0, 0x61, 0xd8, 0x3d, 0xde, 0x00, 0, 0]),
  );
});

Deno.test("pkcs12PasswordCandidates() lists OpenSSL's fallbacks", () => {
  const empty = pkcs12PasswordCandidates("");
  assert.deepEqual(empty.map((p) => p.bmp.length), [0, 2]);
  const nonAscii = pkcs12PasswordCandidates("é");
  assert.deepEqual(nonAscii[1]!.bmp, new Uint8Array([0, 0xc3, 0, 0xa9, 0, 0]));
});

Deno.test("pbeEncrypt() and pbeDecrypt() round-trip every scheme", () => {
  const schemes: PbeParameters[] = [
    ...(["aes-128-cbc", "aes-192-cbc", "aes-256-cbc"] as const).map((
      cipher,
    ) => ({
      scheme: "pbes2" as const,
      prf: "SHA-384" as const,
      salt: new Uint8Array(16).fill(1),
      iterations: 3,
      cipher,
      iv: new Uint8Array(16).fill(2),
    })),
    {
      scheme: "pbes2",
      prf: "SHA-1",
      salt: new Uint8Array(8),
      iterations: 1,
      cipher: "des-ede3-cbc",
      iv: new Uint8Array(8),
    },
    ...(["des-ede3-cbc", "des-ede-cbc", "rc2-128-cbc", "rc2-40-cbc"] as const)
      .map((cipher) => ({
        scheme: "pkcs12" as const,
        cipher,
        salt: new Uint8Array(8).fill(3),
        iterations: 5,
      })),
  ];
  const pw = pbePassword("pw");
  for (const params of schemes) {
    assert.deepEqual(decodePbeAlgorithm(encodePbeAlgorithm(params)), params);
    for (const len of [0, 1, 7, 8, 15, 16, 17]) {
      const data = new Uint8Array(len).map((_, i) => i);
      const ct = pbeEncrypt(params, pw, data);
      assert.deepEqual(pbeDecrypt(params, pw, ct), data, params.cipher);
    }
  }
});

Deno.test("removePadding() refuses every malformed pad", () => {
  const bad = (bytes: number[], block: number) =>
    assert.throws(
      () => removePadding(new Uint8Array(bytes), block),
      (e) => e instanceof KeyError && e.code === "wrong_password",
    );
  bad([1, 2, 3, 0], 4);
  bad([1, 2, 3, 5], 4);
  bad([1, 2, 3, 3], 4);
  bad([], 4);
  assert.deepEqual(removePadding(new Uint8Array([4, 4, 4, 4]), 4).length, 0);
  assert.deepEqual(removePadding(new Uint8Array([9, 2, 2]), 4).length, 1);
});

Deno.test("decodePbeAlgorithm() refuses unsupported schemes, PRFs and bad IVs", () => {
  const enc = encodePbeAlgorithm({
    scheme: "pbes2",
    prf: "SHA-256",
    salt: new Uint8Array(8),
    iterations: 10,
    cipher: "aes-128-cbc",
    iv: new Uint8Array(16),
  });
  // Replace hmacWithSHA256 (…2.9) by hmacWithSHA224 (…2.8).
  const i = enc.findIndex((_, j) =>
    enc[j] === 0x2a && enc[j + 1] === 0x86 && enc[j + 6] === 0x02 &&
    enc[j + 7] === 0x09
  );
  const prf224 = enc.slice();
  prf224[i + 7] = 0x08;
  assert.throws(
    () => decodePbeAlgorithm(prf224),
    (e) => e instanceof KeyError && e.code === "unsupported",
  );
  const shortIv = encodePbeAlgorithm({
    scheme: "pbes2",
    prf: "SHA-256",
    salt: new Uint8Array(8),
    iterations: 10,
    cipher: "aes-128-cbc",
    iv: new Uint8Array(8),
  });
  assert.throws(
    () => decodePbeAlgorithm(shortIv),
    (e) => e instanceof KeyError && e.code === "malformed",
  );
  const zeroIter = encodePbeAlgorithm({
    scheme: "pkcs12",
    cipher: "des-ede3-cbc",
    salt: new Uint8Array(8),
    iterations: 0,
  });
  assert.throws(
    () => decodePbeAlgorithm(zeroIter),
    (e) => e instanceof KeyError && e.code === "malformed",
  );
});
