import assert from "node:assert/strict";
import { DecodeError } from "../../../src/bytes/mod.ts";
import {
  derExplicit,
  derInteger,
  derNull,
  derOid,
  DerReader,
  derSequence,
} from "../../../src/pki/asn1/mod.ts";
import {
  decodeSignatureAlgorithm,
  encodeSignatureAlgorithm,
  signatureAlgorithmName,
} from "../../../src/pki/algorithm.ts";
import { OID } from "../../../src/pki/oids.ts";
import type { SignatureScheme } from "../../../src/crypto/mod.ts";
import { parseCertificate } from "../../../src/pki/x509/mod.ts";
import { openssl } from "../../support/openssl.ts";
import { pkiFixtures } from "../../support/pki_fixtures.ts";

function decode(der: Uint8Array) {
  return decodeSignatureAlgorithm(new DerReader(der).next());
}

function pss(...params: Uint8Array[]): Uint8Array {
  return derSequence([derOid(OID.rsassaPss), derSequence(params)]);
}

function hashAlg(oid: string, withNull = true): Uint8Array {
  return derSequence([derOid(oid), ...(withNull ? [derNull()] : [])]);
}

Deno.test("encodeSignatureAlgorithm() and decodeSignatureAlgorithm() round-trip every scheme", () => {
  const schemes: SignatureScheme[] = [
    { alg: "ecdsa", hash: "SHA-256" },
    { alg: "ecdsa", hash: "SHA-384" },
    { alg: "ecdsa", hash: "SHA-512" },
    { alg: "rsa-pkcs1", hash: "SHA-1" },
    { alg: "rsa-pkcs1", hash: "SHA-256" },
    { alg: "rsa-pkcs1", hash: "SHA-384" },
    { alg: "rsa-pkcs1", hash: "SHA-512" },
    { alg: "rsa-pss", hash: "SHA-256", saltLength: 32 },
    { alg: "rsa-pss", hash: "SHA-384", saltLength: 48 },
    { alg: "rsa-pss", hash: "SHA-512", saltLength: 0 },
  ];
  for (const scheme of schemes) {
    assert.deepEqual(decode(encodeSignatureAlgorithm(scheme)).scheme, scheme);
  }
  assert.throws(
    () => encodeSignatureAlgorithm({ alg: "ecdsa", hash: "SHA-1" }),
    RangeError,
  );
});

Deno.test("encodeSignatureAlgorithm() writes the AlgorithmIdentifiers openssl writes", async () => {
  const fx = await pkiFixtures();
  const cases: [string, SignatureScheme][] = [
    ["root", { alg: "ecdsa", hash: "SHA-256" }],
    ["rootP384", { alg: "ecdsa", hash: "SHA-384" }],
    ["rootRsa", { alg: "rsa-pkcs1", hash: "SHA-256" }],
    ["leafRsaPss", { alg: "rsa-pss", hash: "SHA-256", saltLength: 32 }],
  ];
  for (const [name, scheme] of cases) {
    const der = fx.certs[name as keyof typeof fx.certs].der;
    const outer = new DerReader(der).sequence();
    outer.next();
    assert.deepEqual(encodeSignatureAlgorithm(scheme), outer.next().raw, name);
  }
});

Deno.test("decodeSignatureAlgorithm() reads openssl's RSASSA-PSS parameters", async () => {
  const fx = await pkiFixtures();
  const dir = await Deno.makeTempDir();
  try {
    const csr = `${dir}/r.csr`;
    await openssl([
      "req",
      "-new",
      "-key",
      fx.certs.device1.keyPath,
      "-subj",
      "/CN=x",
      "-out",
      csr,
    ]);
    for (const [digest, salt] of [["sha384", "20"], ["sha512", "max"]]) {
      const out = `${dir}/${digest}.crt`;
      await openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        fx.certs.rootRsa.certPath,
        "-CAkey",
        fx.certs.rootRsa.keyPath,
        "-set_serial",
        "7",
        `-${digest}`,
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        `rsa_pss_saltlen:${salt}`,
        "-outform",
        "DER",
        "-out",
        out,
      ]);
      const cert = parseCertificate(await Deno.readFile(out));
      const scheme = cert.signatureAlgorithm.scheme;
      assert.equal(scheme?.alg, "rsa-pss");
      assert.equal(scheme?.hash, digest === "sha384" ? "SHA-384" : "SHA-512");
      if (scheme?.alg === "rsa-pss") {
        // "max" is the modulus length minus hash length minus 2.
        assert.equal(scheme.saltLength, salt === "max" ? 256 - 64 - 2 : 20);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeSignatureAlgorithm() applies the RSASSA-PSS defaults", () => {
  assert.deepEqual(decode(derSequence([derOid(OID.rsassaPss)])).scheme, {
    alg: "rsa-pss",
    hash: "SHA-1",
    saltLength: 20,
  });
  assert.deepEqual(
    decode(pss(derExplicit(2, [derInteger(0n)]))).scheme,
    { alg: "rsa-pss", hash: "SHA-1", saltLength: 0 },
  );
  // Hash parameters may be absent or NULL (RFC 4055 §2.1).
  const sha256 = pss(
    derExplicit(0, [hashAlg(OID.sha256, false)]),
    derExplicit(1, [derSequence([derOid(OID.mgf1), hashAlg(OID.sha256)])]),
    derExplicit(3, [derInteger(1n)]),
  );
  assert.deepEqual(decode(sha256).scheme, {
    alg: "rsa-pss",
    hash: "SHA-256",
    saltLength: 20,
  });
});

Deno.test("decodeSignatureAlgorithm() leaves unsupported algorithms without a scheme", () => {
  const unsupported = [
    derSequence([derOid(OID.ed25519)]),
    derSequence([derOid("1.2.3.4"), derNull()]),
    // MGF1 hash differs from the message hash.
    pss(
      derExplicit(0, [hashAlg(OID.sha256)]),
      derExplicit(1, [derSequence([derOid(OID.mgf1), hashAlg(OID.sha1)])]),
    ),
    // Unknown hash.
    pss(derExplicit(0, [hashAlg("2.16.840.1.101.3.4.2.8")])),
    // Unknown mask generation function.
    pss(derExplicit(1, [derSequence([derOid("1.2.3"), derNull()])])),
  ];
  for (const der of unsupported) {
    const alg = decode(der);
    assert.equal(alg.scheme, undefined);
    assert.equal("scheme" in alg, false);
  }
});

Deno.test("decodeSignatureAlgorithm() rejects malformed parameters", () => {
  const bad = [
    derSequence([derOid(OID.ecdsaWithSha256), derNull()]),
    derSequence([derOid(OID.sha256WithRsaEncryption), derInteger(0n)]),
    derSequence([derOid(OID.rsassaPss), derNull()]),
    pss(derExplicit(3, [derInteger(2n)])),
    pss(derExplicit(2, [derInteger(-1n)])),
    pss(derExplicit(0, [hashAlg(OID.sha256), hashAlg(OID.sha256)])),
    pss(derExplicit(0, [derSequence([derOid(OID.sha256), derInteger(1n)])])),
    pss(derExplicit(4, [derNull()])),
    derSequence([derOid(OID.ecdsaWithSha256), derNull(), derNull()]),
    derSequence([]),
    derNull(),
  ];
  for (const der of bad) {
    assert.throws(() => decode(der), DecodeError);
  }
});

Deno.test("signatureAlgorithmName() uses openssl's names", () => {
  assert.equal(
    signatureAlgorithmName(OID.sha256WithRsaEncryption),
    "sha256WithRSAEncryption",
  );
  assert.equal(signatureAlgorithmName(OID.rsassaPss), "rsassaPss");
  assert.equal(signatureAlgorithmName(OID.ed25519), "ED25519");
});
