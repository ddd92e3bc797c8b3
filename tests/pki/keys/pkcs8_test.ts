import assert from "node:assert/strict";
import { publicKeyOf } from "../../../src/crypto/mod.ts";
import {
  derBitString,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derTlv,
} from "../../../src/pki/asn1/mod.ts";
import {
  decodePrivateKeyInfo,
  encodePrivateKeyPkcs8,
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
  privateKeyToPem,
} from "../../../src/pki/keys/mod.ts";
import { OID } from "../../../src/pki/oids.ts";
import { decodePem } from "../../../src/pki/pem.ts";
import { encodeSpki } from "../../../src/pki/spki.ts";
import { BASE_KEYS, fixtures, opensslPublicDer } from "./_fixtures.ts";

function isKeyError(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

Deno.test("loadPrivateKey() reads openssl PKCS#8 keys with the public key openssl sees", async () => {
  const f = await fixtures();
  for (const name of BASE_KEYS) {
    const key = loadPrivateKey(f.text(`${name}.pem`));
    assert.deepEqual(
      encodeSpki(publicKeyOf(key)),
      await opensslPublicDer(f, `${name}.pem`),
      name,
    );
  }
  const ec = loadPrivateKey(f.text("ec384.pem"));
  assert.equal(ec.kind, "ec");
  assert.equal(ec.kind === "ec" && ec.curve, "P-384");
  assert.equal(ec.kind === "ec" && ec.d.length, 48);
});

Deno.test("encodePrivateKeyPkcs8() reproduces openssl's PKCS#8 bytes", async () => {
  const f = await fixtures();
  for (const name of BASE_KEYS) {
    const text = f.text(`${name}.pem`);
    const der = (decodePem(text)[0])!.der;
    assert.deepEqual(encodePrivateKeyPkcs8(loadPrivateKey(text)), der, name);
    assert.equal(privateKeyToPem(loadPrivateKey(text)), text, name);
  }
});

Deno.test("privateKeyToPem() output passes openssl pkey -check and round-trips", async () => {
  const f = await fixtures();
  for (const name of BASE_KEYS) {
    const key = loadPrivateKey(f.text(`${name}.pem`));
    const pem = privateKeyToPem(key);
    await f.run(["pkey", "-check", "-noout"], pem);
    const back = await f.run(["pkey"], pem);
    assert.deepEqual(loadPrivateKey(new TextDecoder().decode(back)), key);
  }
});

Deno.test("loadPrivateKey() reads an RSA-PSS PKCS#8 key as RSA", async () => {
  const f = await fixtures();
  await f.run([
    "genpkey",
    "-algorithm",
    "RSA-PSS",
    "-pkeyopt",
    "rsa_keygen_bits:1024",
    "-pkeyopt",
    "rsa_pss_keygen_md:sha256",
    "-out",
    "pss.pem",
  ]);
  const key = loadPrivateKey(f.text("pss.pem"));
  assert.equal(key.kind, "rsa");
  const text = new TextDecoder().decode(
    await f.run(["pkey", "-in", "pss.pem", "-noout", "-text"]),
  );
  const modulus = /modulus:\n([\s0-9a-f:]+)/.exec(text)?.[1]?.replace(
    /[\s:]/g,
    "",
  );
  assert.ok(modulus);
  assert.equal(
    Array.from(
      key.kind === "rsa" ? key.n : [],
      (b) => b.toString(16).padStart(2, "0"),
    ).join(""),
    modulus.replace(/^00/, ""),
  );
});

Deno.test("parsePrivateKeyDer() reads a PKCS#8 v2 key whose public key is outside the ECPrivateKey", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("ec256.pem"));
  assert.equal(key.kind, "ec");
  if (key.kind !== "ec") return;
  // RFC 5958: version 1, ECPrivateKey without [1], publicKey [1] IMPLICIT BIT STRING.
  const inner = derSequence([derInteger(1n), derOctetString(key.d)]);
  const pub = derBitString(key.point);
  const der = derSequence([
    derInteger(1n),
    derSequence([derOid(OID.ecPublicKey), derOid(OID.secp256r1)]),
    derOctetString(inner),
    derTlv(0x81, pub.subarray(2)),
  ]);
  assert.deepEqual(parsePrivateKeyDer(der), key);
  // And with the point missing everywhere, it is derived.
  const bare = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.ecPublicKey), derOid(OID.secp256r1)]),
    derOctetString(inner),
  ]);
  assert.deepEqual(parsePrivateKeyDer(bare), key);
});

Deno.test("parsePrivateKeyDer() rejects an EC key whose stored point is not its own", async () => {
  const f = await fixtures();
  const a = loadPrivateKey(f.text("ec256.pem"));
  const b = await f.run([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
  ]);
  const other = loadPrivateKey(new TextDecoder().decode(b));
  assert.ok(a.kind === "ec" && other.kind === "ec");
  const forged = encodePrivateKeyPkcs8({ ...a, point: other.point });
  assert.throws(() => parsePrivateKeyDer(forged), isKeyError("malformed"));
});

Deno.test("parsePrivateKeyDer() reports unsupported algorithms and curves", () => {
  const ed = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.ed25519)]),
    derOctetString(derOctetString(new Uint8Array(32))),
  ]);
  assert.throws(() => parsePrivateKeyDer(ed), isKeyError("unsupported"));
  const p521 = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.ecPublicKey), derOid(OID.secp521r1)]),
    derOctetString(
      derSequence([derInteger(1n), derOctetString(new Uint8Array(66))]),
    ),
  ]);
  assert.throws(() => parsePrivateKeyDer(p521), isKeyError("unsupported"));
});

Deno.test("parsePrivateKeyDer() maps DER errors to malformed and keeps the DecodeError", async () => {
  const f = await fixtures();
  const der = (decodePem(f.text("ec256.pem"))[0])!.der;
  const truncated = der.subarray(0, der.length - 3);
  assert.throws(
    () => parsePrivateKeyDer(truncated),
    (e) =>
      e instanceof KeyError && e.code === "malformed" &&
      e.cause instanceof SyntaxError,
  );
  // A zero scalar is out of range.
  const zero = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.ecPublicKey), derOid(OID.secp256r1)]),
    derOctetString(
      derSequence([derInteger(1n), derOctetString(new Uint8Array(32))]),
    ),
  ]);
  assert.throws(() => parsePrivateKeyDer(zero), isKeyError("malformed"));
});

Deno.test("decodePrivateKeyInfo() rejects disagreeing curve fields", () => {
  const inner = derSequence([
    derInteger(1n),
    derOctetString(new Uint8Array(32).fill(1)),
    derTlv(0xa0, derOid(OID.secp384r1)),
  ]);
  const der = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.ecPublicKey), derOid(OID.secp256r1)]),
    derOctetString(inner),
  ]);
  assert.throws(() => decodePrivateKeyInfo(der), isKeyError("malformed"));
});
