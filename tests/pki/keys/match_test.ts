import assert from "node:assert/strict";
import { publicKeyOf } from "../../../src/crypto/mod.ts";
import {
  assertKeyMatchesCertificate,
  KeyError,
  keyMatchesCertificate,
  keyMatchesPublicKey,
  loadPrivateKey,
} from "../../../src/pki/keys/mod.ts";
import { decodePem } from "../../../src/pki/pem.ts";
import { parseCertificate } from "../../../src/pki/x509/mod.ts";
import { BASE_KEYS, fixtures } from "./_fixtures.ts";

Deno.test("keyMatchesCertificate() pairs each openssl key with its own certificate only", async () => {
  const f = await fixtures();
  for (const k of BASE_KEYS) {
    const key = loadPrivateKey(f.text(`${k}.pem`));
    for (const c of BASE_KEYS) {
      const cert = parseCertificate(decodePem(f.text(`${c}.crt`))[0]!.der);
      assert.equal(keyMatchesCertificate(key, cert), k === c, `${k} × ${c}`);
    }
  }
});

Deno.test("assertKeyMatchesCertificate() throws mismatch naming the certificate", async () => {
  const f = await fixtures();
  const ec = loadPrivateKey(f.text("ec256.pem"));
  const cert = parseCertificate(decodePem(f.text("ec384.crt"))[0]!.der);
  assert.throws(
    () => assertKeyMatchesCertificate(ec, cert),
    (e) =>
      e instanceof KeyError && e.code === "mismatch" &&
      /CN=device-1/.test(e.message),
  );
  const rsaCert = parseCertificate(decodePem(f.text("rsa.crt"))[0]!.der);
  assert.throws(
    () => assertKeyMatchesCertificate(ec, rsaCert),
    (e) => e instanceof KeyError && /EC but/.test(e.message),
  );
  const own = parseCertificate(decodePem(f.text("ec256.crt"))[0]!.der);
  assertKeyMatchesCertificate(ec, own);
});

Deno.test("keyMatchesPublicKey() ignores leading zeros in RSA integers", async () => {
  const f = await fixtures();
  const rsa = loadPrivateKey(f.text("rsa.pem"));
  assert.ok(rsa.kind === "rsa");
  const padded = new Uint8Array(rsa.n.length + 1);
  padded.set(rsa.n, 1);
  assert.ok(keyMatchesPublicKey(rsa, { kind: "rsa", n: padded, e: rsa.e }));
  assert.ok(
    !keyMatchesPublicKey(rsa, {
      kind: "rsa",
      n: rsa.n,
      e: new Uint8Array([3]),
    }),
  );
  const ec = loadPrivateKey(f.text("ec256.pem"));
  assert.ok(!keyMatchesPublicKey(rsa, publicKeyOf(ec)));
  assert.ok(ec.kind === "ec");
  assert.ok(
    !keyMatchesPublicKey(ec, { kind: "ec", curve: "P-384", point: ec.point }),
  );
});
