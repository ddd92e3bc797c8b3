import assert from "node:assert/strict";
import { DecodeError } from "../../../src/bytes/mod.ts";
import {
  detectPrivateKeyFormat,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
} from "../../../src/pki/keys/mod.ts";
import { decodePem } from "../../../src/pki/pem.ts";
import { fixtures } from "./_fixtures.ts";

function isKeyError(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

Deno.test("loadPrivateKey() finds the key in a file that also holds the certificate", async () => {
  const f = await fixtures();
  for (const name of ["ec256", "rsa"]) {
    const key = loadPrivateKey(f.text(`${name}.pem`));
    const cert = f.text(`${name}.crt`);
    assert.deepEqual(loadPrivateKey(cert + f.text(`${name}.pem`)), key);
    assert.deepEqual(loadPrivateKey(f.text(`${name}.pem`) + cert), key);
    // With the text openssl x509 -text prints and CRLF line ends.
    const text = new TextDecoder().decode(
      await f.run(["x509", "-in", `${name}.crt`, "-text"]),
    );
    const mixed = (text + f.text(`${name}.pem`)).replaceAll("\n", "\r\n");
    assert.deepEqual(loadPrivateKey(mixed), key);
  }
});

Deno.test("loadPrivateKey() ignores a password for an unencrypted key", async () => {
  const f = await fixtures();
  assert.deepEqual(
    loadPrivateKey(f.text("ec256.pem"), "unused"),
    loadPrivateKey(f.text("ec256.pem")),
  );
});

Deno.test("loadPrivateKey() reports no_key for a certificate-only file", async () => {
  const f = await fixtures();
  assert.throws(
    () => loadPrivateKey(f.text("ec256.crt")),
    (e) =>
      e instanceof KeyError && e.code === "no_key" &&
      /CERTIFICATE/.test(e.message),
  );
  assert.throws(() => loadPrivateKey("hello"), isKeyError("no_key"));
  assert.throws(() => loadPrivateKey(""), isKeyError("no_key"));
});

Deno.test("loadPrivateKey() maps broken PEM and DER to malformed with the DecodeError as cause", async () => {
  const f = await fixtures();
  const text = f.text("ec256.pem");
  const noEnd = text.replace(/-----END[^\n]*\n/, "");
  assert.throws(
    () => loadPrivateKey(noEnd),
    (e) =>
      e instanceof KeyError && e.code === "malformed" &&
      e.cause instanceof DecodeError,
  );
  const badBody =
    "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
  assert.throws(
    () => loadPrivateKey(badBody),
    (e) =>
      e instanceof KeyError && e.code === "malformed" &&
      e.cause instanceof DecodeError,
  );
});

Deno.test("parsePrivateKeyDer() detects PKCS#8, encrypted PKCS#8, SEC1 and PKCS#1", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("ec256.pem"));
  const rsa = loadPrivateKey(f.text("rsa.pem"));
  const der = async (args: string[]) =>
    await f.run([...args, "-outform", "DER"]);
  const cases: [string, Uint8Array, "ec" | "rsa"][] = [
    [
      "pkcs8",
      await der(["pkcs8", "-topk8", "-nocrypt", "-in", "ec256.pem"]),
      "ec",
    ],
    [
      "pkcs8",
      await der(["pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem"]),
      "rsa",
    ],
    ["sec1", await der(["ec", "-in", "ec256.pem"]), "ec"],
    ["pkcs1", await der(["rsa", "-in", "rsa.pem", "-traditional"]), "rsa"],
    [
      "encrypted_pkcs8",
      await der([
        "pkcs8",
        "-topk8",
        "-in",
        "ec256.pem",
        "-passout",
        "pass:pw",
      ]),
      "ec",
    ],
  ];
  for (const [format, bytes, kind] of cases) {
    assert.equal(detectPrivateKeyFormat(bytes), format);
    assert.deepEqual(
      parsePrivateKeyDer(bytes, "pw"),
      kind === "ec" ? key : rsa,
      format,
    );
  }
  assert.throws(
    () => parsePrivateKeyDer(new Uint8Array([0x30, 0x03, 0x01, 0x01, 0xff])),
    isKeyError("malformed"),
  );
  assert.throws(
    () => parsePrivateKeyDer(decodePem(f.text("ec256.crt"))[0]!.der),
    (e) => e instanceof KeyError,
  );
});
