import assert from "node:assert/strict";
import { DecodeError } from "../../src/bytes/mod.ts";
import { hmac } from "../../src/crypto/mod.ts";
import { berToDer } from "../../src/pki/asn1/ber.ts";
import {
  derInteger,
  derNull,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  derSet,
} from "../../src/pki/asn1/mod.ts";
import {
  encryptPrivateKeyPkcs8,
  KeyError,
  loadPrivateKey,
} from "../../src/pki/keys/mod.ts";
import { OID } from "../../src/pki/oids.ts";
import {
  encodePbeAlgorithm,
  pbeEncrypt,
  pbePassword,
  pbes2Parameters,
  pkcs12Kdf,
} from "../../src/pki/pbe.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { readPkcs12 } from "../../src/pki/pkcs12.ts";
import { fixtures, wrongPasswords } from "./keys/_fixtures.ts";

const PASSWORD = "keystore-pass";

function isKeyError(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

async function export12(
  name: string,
  args: string[],
  password = PASSWORD,
): Promise<Uint8Array> {
  const f = await fixtures();
  await f.run([
    "pkcs12",
    "-export",
    ...args,
    "-passout",
    `pass:${password}`,
    "-out",
    name,
  ]);
  return f.bytes(name);
}

function certDer(text: string): Uint8Array {
  return decodePem(text)[0]!.der;
}

Deno.test("readPkcs12() reads openssl pkcs12 -export variants", async () => {
  const f = await fixtures();
  const variants: { name: string; key: string; args: string[] }[] = [
    { name: "OpenSSL 3 default", key: "ec256", args: [] },
    { name: "-legacy", key: "ec256", args: ["-legacy"] },
    { name: "-legacy RSA", key: "rsa", args: ["-legacy"] },
    {
      name: "AES-128 + SHA-512 MAC",
      key: "rsa",
      args: [
        "-keypbe",
        "AES-128-CBC",
        "-certpbe",
        "AES-128-CBC",
        "-macalg",
        "sha512",
      ],
    },
    {
      name: "PBE-SHA1-3DES + SHA-1 MAC",
      key: "ec384",
      args: [
        "-keypbe",
        "PBE-SHA1-3DES",
        "-certpbe",
        "PBE-SHA1-3DES",
        "-macalg",
        "sha1",
      ],
    },
    {
      name: "unencrypted bags",
      key: "ec384",
      args: ["-keypbe", "NONE", "-certpbe", "NONE"],
    },
    { name: "-iter 1", key: "ec256", args: ["-iter", "1", "-maciter"] },
  ];
  for (const [i, v] of variants.entries()) {
    const der = await export12(`v${i}.p12`, [
      "-in",
      `${v.key}.crt`,
      "-inkey",
      `${v.key}.pem`,
      "-name",
      "my-alias",
      ...v.args,
    ]);
    const p12 = readPkcs12(der, PASSWORD);
    assert.equal(p12.macVerified, true, v.name);
    assert.deepEqual(p12.key, loadPrivateKey(f.text(`${v.key}.pem`)), v.name);
    assert.deepEqual(p12.certificates, [certDer(f.text(`${v.key}.crt`))]);
    assert.equal(p12.keyFriendlyName, "my-alias", v.name);
    assert.deepEqual(p12.certificateFriendlyNames, ["my-alias"], v.name);
  }
});

Deno.test("readPkcs12() puts the key's certificate first in a chain", async () => {
  const f = await fixtures();
  // ec384 acts as the CA for a leaf certificate on the ec256 key.
  const csr = await f.run([
    "req",
    "-new",
    "-key",
    "ec256.pem",
    "-subj",
    "/CN=device-1",
  ]);
  await f.run(
    [
      "x509",
      "-req",
      "-CA",
      "ec384.crt",
      "-CAkey",
      "ec384.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      "leaf.crt",
    ],
    csr,
  );
  Deno.writeTextFileSync(
    `${f.dir}/chain.pem`,
    f.text("ec384.crt") + f.text("leaf.crt"),
  );
  const der = await export12("chain.p12", [
    "-in",
    "chain.pem",
    "-inkey",
    "ec256.pem",
  ]);
  const p12 = readPkcs12(der, PASSWORD);
  assert.deepEqual(p12.certificates, [
    certDer(f.text("leaf.crt")),
    certDer(f.text("ec384.crt")),
  ]);
  assert.deepEqual(p12.key, loadPrivateKey(f.text("ec256.pem")));
});

Deno.test("readPkcs12() handles empty and non-ASCII passwords like OpenSSL", async () => {
  const f = await fixtures();
  const args = ["-in", "ec256.crt", "-inkey", "ec256.pem"];
  for (
    const [name, pw, extra] of [
      ["empty.p12", "", []],
      ["empty-legacy.p12", "", ["-legacy"]],
      ["utf8.p12", "pässwört-✓", []],
      ["utf8-legacy.p12", "pässwört-✓", ["-legacy"]],
    ] as const
  ) {
    const der = await export12(name, [...args, ...extra], pw);
    const p12 = readPkcs12(der, pw);
    assert.deepEqual(p12.key, loadPrivateKey(f.text("ec256.pem")), name);
    assert.throws(
      () => readPkcs12(der, pw === "" ? "x" : ""),
      isKeyError("wrong_password"),
    );
  }
});

Deno.test("readPkcs12() reports wrong passwords as wrong_password", async () => {
  const der = await export12("wrong.p12", [
    "-in",
    "ec256.crt",
    "-inkey",
    "ec256.pem",
    "-iter",
    "1",
    "-maciter",
  ]);
  for (const pw of wrongPasswords(50)) {
    assert.throws(() => readPkcs12(der, pw), isKeyError("wrong_password"));
  }
});

Deno.test("readPkcs12() accepts a file without MAC unless requireMac, and still catches wrong passwords", async () => {
  const f = await fixtures();
  const der = await export12("nomac.p12", [
    "-in",
    "rsa.crt",
    "-inkey",
    "rsa.pem",
    "-iter",
    "1",
    "-nomac", // after -iter, which also sets the MAC iterations
  ]);
  const p12 = readPkcs12(der, PASSWORD);
  assert.equal(p12.macVerified, false);
  assert.deepEqual(p12.key, loadPrivateKey(f.text("rsa.pem")));
  assert.throws(
    () => readPkcs12(der, PASSWORD, { requireMac: true }),
    isKeyError("malformed"),
  );
  for (const pw of wrongPasswords(50)) {
    assert.throws(() => readPkcs12(der, pw), isKeyError("wrong_password"));
  }
});

Deno.test("readPkcs12() detects a tampered file through the MAC", async () => {
  const der = await export12("tamper.p12", [
    "-in",
    "ec256.crt",
    "-inkey",
    "ec256.pem",
  ]);
  // Flip one bit in a certificate byte inside the (MAC-protected) authSafe,
  // and separately one bit of the MAC value itself.
  for (const at of [200, der.length - 20]) {
    const bad = der.slice();
    bad[at] = (bad[at] as number) ^ 0x10;
    assert.throws(
      () => readPkcs12(bad, PASSWORD),
      (e) =>
        e instanceof KeyError &&
        (e.code === "wrong_password" || e.code === "malformed"),
    );
  }
  const bad = der.slice();
  bad[300] = (bad[300] as number) ^ 1;
  assert.throws(() => readPkcs12(bad, PASSWORD), isKeyError("wrong_password"));
});

Deno.test("readPkcs12() reads a certificate-only keystore", async () => {
  const f = await fixtures();
  const der = await export12("nokeys.p12", ["-in", "ec256.crt", "-nokeys"]);
  const p12 = readPkcs12(der, PASSWORD);
  assert.equal(p12.key, undefined);
  assert.deepEqual(p12.certificates, [certDer(f.text("ec256.crt"))]);
});

// A BER encoder for the test: indefinite lengths everywhere and OCTET
// STRINGs split into 16-byte segments, as Windows and NSS write PKCS#12.
function ber(tag: number, children: Uint8Array[]): Uint8Array {
  const len = children.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(len + 4);
  out[0] = tag;
  out[1] = 0x80;
  let off = 2;
  for (const c of children) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function berOctets(content: Uint8Array, tag = 0x24): Uint8Array {
  const segs: Uint8Array[] = [];
  for (let i = 0; i < content.length; i += 16) {
    segs.push(derOctetString(content.subarray(i, i + 16)));
  }
  return ber(tag, segs);
}

function attrs(localKeyId: Uint8Array): Uint8Array {
  return derSet([
    derSequence([derOid(OID.localKeyId), derSet([derOctetString(localKeyId)])]),
  ]);
}

Deno.test("readPkcs12() reads a BER-encoded keystore, as openssl does", async () => {
  const f = await fixtures();
  const key = loadPrivateKey(f.text("ec384.pem"));
  const cert = certDer(f.text("ec384.crt"));
  const pw = pbePassword(PASSWORD);
  const id = new Uint8Array([1, 2, 3, 4]);

  const certBags = ber(0x30, [
    ber(0x30, [
      derOid(OID.certBag),
      ber(0xa0, [
        ber(0x30, [
          derOid(OID.x509Certificate),
          ber(0xa0, [berOctets(cert)]),
        ]),
      ]),
      attrs(id),
    ]),
  ]);
  const params = pbes2Parameters({ iterations: 10 });
  const encrypted = ber(0x30, [
    derOid(OID.encryptedData),
    ber(0xa0, [
      ber(0x30, [
        derInteger(0n),
        ber(0x30, [
          derOid(OID.data),
          encodePbeAlgorithm(params),
          berOctets(pbeEncrypt(params, pw, certBags), 0xa0),
        ]),
      ]),
    ]),
  ]);
  const keyBags = ber(0x30, [
    ber(0x30, [
      derOid(OID.pkcs8ShroudedKeyBag),
      ber(0xa0, [encryptPrivateKeyPkcs8(key, PASSWORD, { iterations: 10 })]),
      attrs(id),
    ]),
  ]);
  const authSafe = ber(0x30, [
    encrypted,
    ber(0x30, [derOid(OID.data), ber(0xa0, [berOctets(keyBags)])]),
  ]);
  const salt = new Uint8Array(8).fill(9);
  const macKey = pkcs12Kdf("SHA-256", pw.bmp, salt, 3, 10, 32);
  const macData = derSequence([
    derSequence([
      derSequence([derOid(OID.sha256), derNull()]),
      derOctetString(hmac("SHA-256", macKey, authSafe)),
    ]),
    derOctetString(salt),
    derInteger(10n),
  ]);
  const pfx = ber(0x30, [
    derInteger(3n),
    ber(0x30, [derOid(OID.data), ber(0xa0, [berOctets(authSafe)])]),
    macData,
  ]);
  assert.throws(() => new DerReader(pfx).sequence(), DecodeError);

  const p12 = readPkcs12(pfx, PASSWORD);
  assert.equal(p12.macVerified, true);
  assert.deepEqual(p12.key, key);
  assert.deepEqual(p12.certificates, [cert]);

  // openssl agrees that this file is valid.
  Deno.writeFileSync(`${f.dir}/ber.p12`, pfx);
  const out = new TextDecoder().decode(
    await f.run([
      "pkcs12",
      "-in",
      "ber.p12",
      "-passin",
      `pass:${PASSWORD}`,
      "-nodes",
    ]),
  );
  assert.deepEqual(loadPrivateKey(out), key);
});

Deno.test("berToDer() leaves DER alone and normalises BER forms", () => {
  const der = derSequence([
    derInteger(5n),
    derOctetString(new Uint8Array(300)),
  ]);
  assert.deepEqual(berToDer(der), der);
  // Non-minimal length octets.
  assert.deepEqual(
    berToDer(new Uint8Array([0x04, 0x81, 0x01, 0xaa])),
    new Uint8Array([0x04, 0x01, 0xaa]),
  );
  // Constructed BIT STRING.
  assert.deepEqual(
    berToDer(
      new Uint8Array([
        0x23,
        0x80,
        0x03,
        0x02,
        0x00,
        0xaa,
        0x03,
        0x02,
        0x04,
        0xb0,
        0x00,
        0x00,
      ]),
    ),
    new Uint8Array([0x03, 0x03, 0x04, 0xaa, 0xb0]),
  );
  for (
    const bad of [
      [0x30, 0x80, 0x02, 0x01, 0x00], // no end-of-contents
      [0x04, 0x80, 0x00, 0x00], // indefinite primitive
      [0x24, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00], // wrong segment type
      [0x30, 0x00, 0x00], // trailing
      [0x1f, 0x01, 0x00], // high tag
    ]
  ) {
    assert.throws(() => berToDer(new Uint8Array(bad)), DecodeError);
  }
  // Nesting bound.
  const deep = new Uint8Array(2 * 100 + 2 * 100);
  for (let i = 0; i < 100; i++) {
    deep[2 * i] = 0x30;
    deep[2 * i + 1] = 0x80;
  }
  assert.throws(() => berToDer(deep), DecodeError);
});

Deno.test("readPkcs12() refuses huge MAC iteration counts as unsupported", async () => {
  const der = await export12("iter.p12", [
    "-in",
    "ec256.crt",
    "-inkey",
    "ec256.pem",
  ]);
  // Rewrite the MAC iteration INTEGER 2048 (02 02 08 00) at the very end to
  // a 4-byte 0x7fffffff: the PFX lengths grow by 2.
  const r = new DerReader(der).sequence();
  const version = r.next();
  const authSafe = r.next();
  const mac = new DerReader(r.next().value);
  const digestInfo = mac.next();
  const salt = mac.next();
  const rebuilt = derSequence([
    version.raw,
    authSafe.raw,
    derSequence([digestInfo.raw, salt.raw, derInteger(0x7fffffffn)]),
  ]);
  const t = performance.now();
  assert.throws(
    () => readPkcs12(rebuilt, PASSWORD),
    isKeyError("unsupported"),
  );
  // Within the per-derivation bound, but the empty password needs two MAC
  // attempts, which exceed the file's total budget.
  const twice = derSequence([
    version.raw,
    authSafe.raw,
    derSequence([digestInfo.raw, salt.raw, derInteger(6_000_000n)]),
  ]);
  assert.throws(() => readPkcs12(twice, ""), isKeyError("unsupported"));
  assert.ok(performance.now() - t < 1000);
});
