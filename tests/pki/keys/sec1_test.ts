import assert from "node:assert/strict";
import { publicKeyOf } from "../../../src/crypto/mod.ts";
import {
  decodeEcPrivateKey,
  encodeEcPrivateKey,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
} from "../../../src/pki/keys/mod.ts";
import { decodePem, encodePem } from "../../../src/pki/pem.ts";
import { encodeSpki } from "../../../src/pki/spki.ts";
import { fixtures, opensslPublicDer } from "./_fixtures.ts";

Deno.test("loadPrivateKey() reads SEC1 EC PRIVATE KEY from openssl ec", async () => {
  const f = await fixtures();
  for (const name of ["ec256", "ec384"]) {
    await f.run(["ec", "-in", `${name}.pem`, "-out", `${name}.sec1.pem`]);
    const text = f.text(`${name}.sec1.pem`);
    assert.match(text, /BEGIN EC PRIVATE KEY/);
    assert.deepEqual(
      loadPrivateKey(text),
      loadPrivateKey(f.text(`${name}.pem`)),
    );
    // Our SEC1 encoding is byte-identical to openssl's.
    const der = (decodePem(text)[0])!.der;
    const key = loadPrivateKey(text);
    assert.ok(key.kind === "ec");
    assert.deepEqual(encodeEcPrivateKey(key), der);
  }
});

Deno.test("loadPrivateKey() skips the EC PARAMETERS block of openssl ecparam -genkey", async () => {
  const f = await fixtures();
  await f.run([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-out",
    "ecparam.pem",
  ]);
  const text = f.text("ecparam.pem");
  assert.match(text, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
  const key = loadPrivateKey(text);
  assert.deepEqual(
    encodeSpki(publicKeyOf(key)),
    await opensslPublicDer(f, "ecparam.pem"),
  );
});

Deno.test("loadPrivateKey() derives the public key of a SEC1 key written without it", async () => {
  const f = await fixtures();
  await f.run([
    "ec",
    "-in",
    "ec384.pem",
    "-no_public",
    "-out",
    "nopub.pem",
  ]);
  const parts = decodeEcPrivateKey((decodePem(f.text("nopub.pem"))[0])!.der);
  assert.equal(parts.point, undefined);
  assert.deepEqual(
    loadPrivateKey(f.text("nopub.pem")),
    loadPrivateKey(f.text("ec384.pem")),
  );
});

Deno.test("encodeEcPrivateKey() output passes openssl ec -check", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("ec256.pem"));
  assert.ok(key.kind === "ec");
  const pem = encodePem("EC PRIVATE KEY", encodeEcPrivateKey(key));
  await f.run(["ec", "-check", "-noout"], pem);
});

Deno.test("parsePrivateKeyDer() refuses a SEC1 key that names no curve", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("ec256.pem"));
  assert.ok(key.kind === "ec");
  const der = encodeEcPrivateKey(key, { parameters: false });
  assert.throws(
    () => parsePrivateKeyDer(der),
    (e) => e instanceof KeyError && e.code === "malformed",
  );
});

Deno.test("decodeEcPrivateKey() rejects versions other than 1", () => {
  // SEQUENCE { INTEGER 2, OCTET STRING 01 }
  const der = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x02, 0x04, 0x01, 0x01]);
  assert.throws(
    () => decodeEcPrivateKey(der),
    (e) => e instanceof KeyError && e.code === "unsupported",
  );
});

Deno.test("loadPrivateKey() accepts a SEC1 key whose public key is compressed", async () => {
  const f = await fixtures();
  await f.run([
    "ec",
    "-in",
    "ec256.pem",
    "-conv_form",
    "compressed",
    "-out",
    "compressed.pem",
  ]);
  const parts = decodeEcPrivateKey(
    (decodePem(f.text("compressed.pem"))[0])!.der,
  );
  assert.equal(parts.point?.length, 33);
  assert.deepEqual(
    loadPrivateKey(f.text("compressed.pem")),
    loadPrivateKey(f.text("ec256.pem")),
  );
});
