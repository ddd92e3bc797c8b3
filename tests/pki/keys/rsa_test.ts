import assert from "node:assert/strict";
import {
  decodeRsaPrivateKey,
  encodeRsaPrivateKey,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
} from "../../../src/pki/keys/mod.ts";
import { decodePem, encodePem } from "../../../src/pki/pem.ts";
import { fixtures } from "./_fixtures.ts";

Deno.test("loadPrivateKey() reads PKCS#1 RSA PRIVATE KEY from openssl rsa -traditional", async () => {
  const f = await fixtures();
  await f.run(["rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem"]);
  const text = f.text("rsa1.pem");
  assert.match(text, /BEGIN RSA PRIVATE KEY/);
  const key = loadPrivateKey(text);
  assert.deepEqual(key, loadPrivateKey(f.text("rsa.pem")));
  assert.ok(key.kind === "rsa");
  assert.deepEqual(encodeRsaPrivateKey(key), (decodePem(text)[0])!.der);
  assert.equal(key.n.length, 256);
  assert.deepEqual(key.e, new Uint8Array([1, 0, 1]));
});

Deno.test("encodeRsaPrivateKey() output passes openssl rsa -check", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("rsa.pem"));
  assert.ok(key.kind === "rsa");
  const pem = encodePem("RSA PRIVATE KEY", encodeRsaPrivateKey(key));
  await f.run(["rsa", "-check", "-noout"], pem);
});

Deno.test("decodeRsaPrivateKey() rejects inconsistent CRT values", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("rsa.pem"));
  assert.ok(key.kind === "rsa");
  const bad = (k: typeof key) =>
    assert.throws(
      () => parsePrivateKeyDer(encodeRsaPrivateKey(k)),
      (e) => e instanceof KeyError && e.code === "malformed",
    );
  const n = key.n.slice();
  n[n.length - 1] = (n[n.length - 1] as number) ^ 2;
  bad({ ...key, n });
  const qi = key.qi.slice();
  qi[qi.length - 1] = (qi[qi.length - 1] as number) ^ 1;
  bad({ ...key, qi });
  const dp = key.dp.slice();
  dp[0] = (dp[0] as number) ^ 1;
  bad({ ...key, dp });
});

Deno.test("decodeRsaPrivateKey() reports multi-prime keys as unsupported", () => {
  // SEQUENCE { INTEGER 1, ... } — the version alone decides.
  const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
  assert.throws(
    () => decodeRsaPrivateKey(der),
    (e) => e instanceof KeyError && e.code === "unsupported",
  );
});
