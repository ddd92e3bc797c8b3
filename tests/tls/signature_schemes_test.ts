import assert from "node:assert/strict";
import { concatBytes, decodeHex } from "../../src/bytes/mod.ts";
import {
  generateEcKeyPair,
  publicKeyOf,
  sign,
  verifySignature,
} from "../../src/crypto/mod.ts";
import { parseCertificate } from "../../src/pki/mod.ts";
import { AlertDescription, TlsAlertError } from "../../src/tls/alert.ts";
import {
  decodeCertificateVerify,
  decodeServerKeyExchange,
} from "../../src/tls/messages/mod.ts";
import {
  chooseSignatureScheme,
  fromCryptoScheme,
  SignatureScheme,
  signatureSchemeName,
  signedParamsData,
  SUPPORTED_SIGNATURE_SCHEMES,
  toCryptoScheme,
  verificationScheme,
} from "../../src/tls/signature_schemes.ts";
import { fixture, messageOf, transcriptMessages } from "./_fixtures.ts";

const P256 = { kind: "ec", curve: "P-256", point: new Uint8Array(65) } as const;
const P384 = { kind: "ec", curve: "P-384", point: new Uint8Array(97) } as const;
const RSA = {
  kind: "rsa",
  n: new Uint8Array(256),
  e: new Uint8Array([1, 0, 1]),
} as const;

function isAlert(description: number) {
  return (e: unknown) =>
    e instanceof TlsAlertError && e.description === description;
}

Deno.test("SignatureScheme pairs are hash << 8 | signature (RFC 5246 §7.4.1.4.1)", () => {
  // hash: sha256(4), sha384(5); signature: rsa(1), ecdsa(3)
  assert.equal(SignatureScheme.rsa_pkcs1_sha256, (4 << 8) | 1);
  assert.equal(SignatureScheme.ecdsa_secp384r1_sha384, (5 << 8) | 3);
  assert.equal(signatureSchemeName(0x0401), "rsa_pkcs1_sha256");
});

Deno.test("toCryptoScheme() maps every supported code point and back", () => {
  for (const code of SUPPORTED_SIGNATURE_SCHEMES) {
    const scheme = toCryptoScheme(code);
    assert.ok(scheme, signatureSchemeName(code));
    assert.equal(fromCryptoScheme(scheme), code);
  }
  assert.deepEqual(toCryptoScheme(0x0805), {
    alg: "rsa-pss",
    hash: "SHA-384",
    saltLength: 48,
  });
  assert.deepEqual(toCryptoScheme(0x0501), {
    alg: "rsa-pkcs1",
    hash: "SHA-384",
  });
  assert.equal(toCryptoScheme(SignatureScheme.ed25519), undefined);
  assert.equal(toCryptoScheme(SignatureScheme.rsa_pss_pss_sha256), undefined);
  assert.equal(toCryptoScheme(SignatureScheme.ecdsa_sha1), undefined);
});

Deno.test("chooseSignatureScheme() prefers the hash matching the curve, then what the peer offered", () => {
  assert.equal(chooseSignatureScheme([0x0503, 0x0403], P256), 0x0403);
  assert.equal(chooseSignatureScheme([0x0503, 0x0403], P384), 0x0503);
  assert.equal(chooseSignatureScheme([0x0503], P256), 0x0503);
  assert.equal(chooseSignatureScheme([0x0603], P256), undefined);
  assert.equal(
    chooseSignatureScheme([0x0603], P256, { supported: [0x0603] }),
    0x0603,
  );
  assert.equal(chooseSignatureScheme([], P256), undefined);
});

Deno.test("chooseSignatureScheme() prefers RSA-PSS over PKCS#1 and never picks ECDSA for RSA", () => {
  assert.equal(chooseSignatureScheme([0x0401, 0x0804, 0x0403], RSA), 0x0804);
  assert.equal(chooseSignatureScheme([0x0501, 0x0401], RSA), 0x0401);
  assert.equal(chooseSignatureScheme([0x0403, 0x0503], RSA), undefined);
  assert.equal(chooseSignatureScheme([0x0201], RSA), undefined);
});

Deno.test("verificationScheme() rejects a scheme that was not offered with illegal_parameter", () => {
  assert.throws(
    () => verificationScheme(0x0503, P256, { offered: [0x0403] }),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(
    () => verificationScheme(0x0203, P256, { offered: [0x0203] }),
    isAlert(AlertDescription.illegal_parameter),
  );
});

Deno.test("verificationScheme() rejects a scheme that does not fit the key with illegal_parameter", () => {
  assert.throws(
    () => verificationScheme(0x0804, P256),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(
    () => verificationScheme(0x0403, RSA),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.deepEqual(verificationScheme(0x0401, RSA), {
    alg: "rsa-pkcs1",
    hash: "SHA-256",
  });
});

Deno.test("signedParamsData() is client_random + server_random + ServerECDHParams (RFC 8422 §5.4)", () => {
  const cr = new Uint8Array(32).fill(0xc1);
  const sr = new Uint8Array(32).fill(0x5e);
  const point = new Uint8Array(65).fill(4);
  assert.deepEqual(
    signedParamsData(cr, sr, { namedCurve: 23, publicKey: point }),
    concatBytes(cr, sr, new Uint8Array([3, 0, 23, 65]), point),
  );
  assert.throws(
    () =>
      signedParamsData(cr.subarray(1), sr, {
        namedCurve: 23,
        publicKey: point,
      }),
    RangeError,
  );
});

Deno.test("signedParamsData() signs and verifies with a chosen scheme", async () => {
  const key = await generateEcKeyPair("P-256");
  const scheme = chooseSignatureScheme(SUPPORTED_SIGNATURE_SCHEMES, key)!;
  const data = signedParamsData(new Uint8Array(32), new Uint8Array(32), {
    namedCurve: 23,
    publicKey: key.point,
  });
  const sig = await sign(key, data, toCryptoScheme(scheme)!);
  const pub = publicKeyOf(key);
  assert.equal(
    await verifySignature(pub, data, sig, verificationScheme(scheme, pub)),
    true,
  );
});

for (const name of ["dtls-ecdhe-ecdsa-mutual", "tls-ecdhe-rsa-pss"]) {
  Deno.test(`signedParamsData() verifies OpenSSL's ServerKeyExchange signature (${name})`, async () => {
    const f = fixture(name);
    const cert = parseCertificate(decodeHex(f.certificates![0]!));
    const clientRandom = messageOf(f, "client", 1, f.dtls ? 1 : 0).body
      .subarray(2, 34);
    const serverRandom = messageOf(f, "server", 2).body.subarray(2, 34);
    const ske = decodeServerKeyExchange(messageOf(f, "server", 12).body, {
      kx: f.cipherSuite.kx,
    });
    assert.equal(ske.form, "ecdhe");
    const data = signedParamsData(clientRandom, serverRandom, ske.params);
    const scheme = verificationScheme(ske.signature.scheme, cert.publicKey!);
    assert.equal(
      await verifySignature(
        cert.publicKey!,
        data,
        ske.signature.signature,
        scheme,
      ),
      true,
    );
    const other = new Uint8Array(serverRandom);
    other[0]! ^= 1;
    assert.equal(
      await verifySignature(
        cert.publicKey!,
        signedParamsData(clientRandom, other, ske.params),
        ske.signature.signature,
        scheme,
      ),
      false,
    );
  });
}

Deno.test("OpenSSL's CertificateVerify signs the DTLS transcript before it (RFC 5246 §7.4.8)", async () => {
  const f = fixture("dtls-ecdhe-ecdsa-mutual");
  const device = parseCertificate(decodeHex(f.certificates![1]!));
  const messages = transcriptMessages(f);
  const at = messages.findIndex((m) => m.type === 15);
  const signed = concatBytes(...messages.slice(0, at).map((m) => m.raw));
  const cv = decodeCertificateVerify(messages[at]!.body);
  const scheme = verificationScheme(cv.scheme, device.publicKey!);
  assert.equal(
    await verifySignature(device.publicKey!, signed, cv.signature, scheme),
    true,
  );
});
