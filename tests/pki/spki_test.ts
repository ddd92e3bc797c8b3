import assert from "node:assert/strict";
import { DecodeError } from "../../src/bytes/mod.ts";
import {
  derBitString,
  derInteger,
  derNull,
  derOid,
  derSequence,
} from "../../src/pki/asn1/mod.ts";
import { OID } from "../../src/pki/oids.ts";
import { decodeSpki, encodeSpki } from "../../src/pki/spki.ts";
import { parseCertificate } from "../../src/pki/x509/mod.ts";
import { openssl } from "../support/openssl.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

const dir = await Deno.makeTempDir({ prefix: "postern-spki-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already gone.
  }
});

/** The SubjectPublicKeyInfo DER of a key openssl generates. */
async function opensslSpki(
  name: string,
  genpkey: string[],
  convert: string[] = [],
): Promise<Uint8Array> {
  const key = `${dir}/${name}.key`;
  await openssl(["genpkey", ...genpkey, "-out", key]);
  if (convert.length) {
    return await openssl([
      ...convert,
      "-in",
      key,
      "-pubout",
      "-outform",
      "DER",
    ]);
  }
  return await openssl(["pkey", "-in", key, "-pubout", "-outform", "DER"]);
}

Deno.test("decodeSpki() reads the keys of the fixture certificates and re-encodes them byte for byte", async () => {
  const fx = await pkiFixtures();
  for (const name of ["root", "rootP384", "rootRsa", "leafRsa"] as const) {
    const f = fx.certs[name];
    const expected = await openssl([
      "x509",
      "-in",
      f.certPath,
      "-noout",
      "-pubkey",
    ]).then((pem) =>
      openssl(["pkey", "-pubin", "-outform", "DER"], { stdin: pem })
    );
    const cert = parseCertificate(f.der);
    assert.deepEqual(cert.spki, expected);
    const spki = decodeSpki(expected);
    assert.ok(spki.supported);
    assert.deepEqual(spki.key, cert.publicKey);
    assert.deepEqual(encodeSpki(spki.key), expected, name);
  }
});

Deno.test("decodeSpki() reads P-256, P-384 and RSA keys", async () => {
  const p256 = decodeSpki(
    await opensslSpki("p256", [
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
    ]),
  );
  assert.ok(p256.supported);
  assert.equal(p256.key.kind, "ec");
  assert.deepEqual(p256.algorithm, {
    oid: OID.ecPublicKey,
    curve: OID.secp256r1,
  });
  if (p256.key.kind === "ec") assert.equal(p256.key.point.length, 65);

  const p384 = decodeSpki(
    await opensslSpki("p384", [
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
    ]),
  );
  assert.ok(p384.supported);
  if (p384.key.kind === "ec") {
    assert.equal(p384.key.curve, "P-384");
    assert.equal(p384.key.point.length, 97);
  }

  const rsa = decodeSpki(
    await opensslSpki("rsa", [
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
      "-pkeyopt",
      "rsa_keygen_pubexp:3",
    ]),
  );
  assert.ok(rsa.supported);
  assert.equal(rsa.algorithm.oid, OID.rsaEncryption);
  if (rsa.key.kind === "rsa") {
    assert.equal(rsa.key.n.length, 128);
    assert.deepEqual(rsa.key.e, new Uint8Array([3]));
  }

  const pss = decodeSpki(
    await opensslSpki("pss", [
      "-algorithm",
      "RSA-PSS",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
    ]),
  );
  assert.ok(pss.supported);
  assert.equal(pss.algorithm.oid, OID.rsassaPss);
  assert.equal(pss.key.kind, "rsa");
});

Deno.test("decodeSpki() reports unsupported algorithms instead of failing", async () => {
  const cases: [string, string[], string[], string, string | undefined][] = [
    ["ed25519", ["-algorithm", "ed25519"], [], OID.ed25519, undefined],
    ["x25519", ["-algorithm", "x25519"], [], OID.x25519, undefined],
    [
      "p521",
      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
      [],
      OID.ecPublicKey,
      OID.secp521r1,
    ],
    [
      "k256",
      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
      [],
      OID.ecPublicKey,
      "1.3.132.0.10",
    ],
    [
      "compressed",
      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
      ["ec", "-conv_form", "compressed"],
      OID.ecPublicKey,
      OID.secp256r1,
    ],
    [
      "explicit",
      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
      ["ec", "-param_enc", "explicit"],
      OID.ecPublicKey,
      undefined,
    ],
  ];
  for (const [name, gen, convert, oid, curve] of cases) {
    const der = await opensslSpki(name, gen, convert);
    const spki = decodeSpki(der);
    assert.equal(spki.supported, false, name);
    assert.equal(spki.algorithm.oid, oid, name);
    assert.equal(spki.algorithm.curve, curve, name);
    assert.deepEqual(spki.der, der);
    if (!spki.supported) assert.ok(spki.reason.length > 0);
  }
});

const G = Uint8Array.from([
  0x04,
  ...[0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5],
  ...[0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0],
  ...[0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2],
  ...[0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16],
  ...[0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68],
  ...[0x37, 0xbf, 0x51, 0xf5],
]);

function ecSpki(point: Uint8Array, curve: string = OID.secp256r1): Uint8Array {
  return derSequence([
    derSequence([derOid(OID.ecPublicKey), derOid(curve)]),
    derBitString(point),
  ]);
}

Deno.test("decodeSpki() rejects malformed keys of supported types", () => {
  assert.ok(decodeSpki(ecSpki(G)).supported);
  const offCurve = G.slice();
  offCurve[64] = (offCurve[64] as number) ^ 1;
  const rsaKey = (n: Uint8Array, params: Uint8Array[] = [derNull()]) =>
    derSequence([
      derSequence([derOid(OID.rsaEncryption), ...params]),
      derBitString(derSequence([derInteger(n), derInteger(65537n)])),
    ]);
  assert.ok(decodeSpki(rsaKey(new Uint8Array([0xc3, 1]), [])).supported);
  const bad = [
    ecSpki(offCurve),
    ecSpki(G.subarray(0, 64)),
    ecSpki(new Uint8Array()),
    ecSpki(Uint8Array.from([0x05, ...G.subarray(1)])),
    ecSpki(G, OID.secp384r1),
    rsaKey(new Uint8Array([0])),
    rsaKey(new Uint8Array([0xc3]), [derInteger(0n)]),
    derSequence([
      derSequence([derOid(OID.rsaEncryption), derNull()]),
      derBitString(derSequence([derInteger(-5n), derInteger(3n)])),
    ]),
    derSequence([
      derSequence([derOid(OID.rsaEncryption), derNull()]),
      derBitString(new Uint8Array([0x30, 0x00, 0x00])),
    ]),
    new Uint8Array([...ecSpki(G), 0]),
    derSequence([
      derSequence([derOid(OID.ecPublicKey), derOid(OID.secp256r1)]),
    ]),
  ];
  for (const der of bad) {
    assert.throws(() => decodeSpki(der), DecodeError);
  }
});

Deno.test("encodeSpki() writes keys openssl reads", async () => {
  const der = encodeSpki({ kind: "ec", curve: "P-256", point: G });
  const out = new TextDecoder().decode(
    await openssl(["pkey", "-pubin", "-inform", "DER", "-noout", "-text"], {
      stdin: der,
    }),
  );
  assert.match(out, /NIST CURVE: P-256/);
  assert.match(out, /04:6b:17:d1:f2/);
});
