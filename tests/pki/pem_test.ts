import assert from "node:assert/strict";
import { DecodeError } from "../../src/bytes/mod.ts";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import { openssl } from "../support/openssl.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

async function derOf(args: string[]): Promise<Uint8Array> {
  return await openssl([...args, "-outform", "DER"]);
}

Deno.test("decodePem() reads certificates, keys and CRLs openssl wrote", async () => {
  const fx = await pkiFixtures();
  const [cert] = decodePem(fx.certs.server.pem);
  assert.equal(cert?.label, "CERTIFICATE");
  assert.deepEqual(cert?.headers, {});
  assert.deepEqual(
    cert?.der,
    await derOf(["x509", "-in", fx.certs.server.certPath]),
  );
  const [key] = decodePem(await Deno.readTextFile(fx.certs.server.keyPath));
  assert.equal(key?.label, "PRIVATE KEY");
  assert.deepEqual(
    key?.der,
    await derOf([
      "pkcs8",
      "-topk8",
      "-nocrypt",
      "-in",
      fx.certs.server.keyPath,
    ]),
  );
  const [crl] = decodePem(fx.interCrl.pem);
  assert.equal(crl?.label, "X509 CRL");
  assert.deepEqual(crl?.der, await derOf(["crl", "-in", fx.interCrl.path]));
});

Deno.test("decodePem() returns every block of a chain or cert+key file in order", async () => {
  const fx = await pkiFixtures();
  const chain = decodePem(await Deno.readTextFile(fx.serverChainPath));
  assert.deepEqual(chain.map((b) => b.label), ["CERTIFICATE", "CERTIFICATE"]);
  assert.deepEqual(chain[1]?.der, fx.certs.inter.der);
  const withKey = decodePem(await Deno.readTextFile(fx.serverWithKeyPath));
  assert.deepEqual(withKey.map((b) => b.label), ["CERTIFICATE", "PRIVATE KEY"]);
});

Deno.test("decodePem() ignores text around blocks and accepts CRLF", async () => {
  const fx = await pkiFixtures();
  const text = await openssl(["x509", "-in", fx.certs.root.certPath, "-text"]);
  const blocks = decodePem(new TextDecoder().decode(text));
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]?.der, fx.certs.root.der);
  const crlf = "Bag Attributes\r\n    friendlyName: x\r\n" +
    fx.certs.root.pem.replaceAll("\n", "\r\n") + "trailing text\r\n";
  assert.deepEqual(decodePem(crlf)[0]?.der, fx.certs.root.der);
  assert.deepEqual(decodePem(""), []);
  assert.deepEqual(decodePem("no PEM here\n"), []);
});

Deno.test("decodePem() reads the RFC 1421 headers of a legacy encrypted key", async () => {
  const fx = await pkiFixtures();
  const text = new TextDecoder().decode(
    await openssl([
      "ec",
      "-in",
      fx.certs.device1.keyPath,
      "-aes128",
      "-passout",
      "pass:secret",
    ]),
  );
  const [block] = decodePem(text);
  assert.equal(block?.label, "EC PRIVATE KEY");
  assert.equal(block?.headers["Proc-Type"], "4,ENCRYPTED");
  assert.match(block?.headers["DEK-Info"] ?? "", /^AES-128-CBC,[0-9A-F]{32}$/);
});

Deno.test("encodePem() writes 64-column PEM that openssl reads", async () => {
  const fx = await pkiFixtures();
  const pem = encodePem("CERTIFICATE", fx.certs.server.der);
  assert.equal(pem, fx.certs.server.pem);
  for (const line of pem.split("\n")) assert.ok(line.length <= 64);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.pem`, pem);
    const out = new TextDecoder().decode(
      await openssl(["x509", "-in", `${dir}/c.pem`, "-noout", "-subject"]),
    );
    assert.match(out, /CN = localhost/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodePem() and decodePem() round-trip any bytes and headers", () => {
  for (let n = 0; n < 200; n += 7) {
    const der = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    const headers = n % 2
      ? { "Proc-Type": "4,ENCRYPTED", "DEK-Info": "X,00" }
      : {};
    const [block] = decodePem(encodePem("TEST LABEL", der, headers));
    assert.deepEqual(block, { label: "TEST LABEL", headers, der });
  }
  const big = new Uint8Array(100_000).fill(0xab);
  assert.deepEqual(decodePem(encodePem("BIG", big))[0]?.der, big);
});

Deno.test("decodePem() rejects broken blocks with DecodeError", () => {
  const bad = [
    "-----BEGIN CERTIFICATE-----\nAAAA\n",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
    "-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\nAA=A\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n",
    "-----BEGIN A-----\n-----BEGIN B-----\n-----END B-----\n-----END A-----\n",
  ];
  for (const text of bad) {
    assert.throws(() => decodePem(text), DecodeError, JSON.stringify(text));
  }
});
