import assert from "node:assert/strict";
import { concatBytes, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  digest,
  type EcPrivateKey,
  generateEcKeyPair,
  publicKeyOf,
  verifySignature,
} from "../../src/crypto/mod.ts";
import { DerReader, Tag } from "../../src/pki/asn1/mod.ts";
import {
  encodeNameInput,
  encodeSubjectAltName,
  isDnsName,
  issueCertificate,
  parseIpAddress,
  parseSubjectAltName,
  randomSerial,
  subjectKeyIdentifier,
} from "../../src/pki/issue.ts";
import { loadPrivateKey, privateKeyToPem } from "../../src/pki/keys/mod.ts";
import { OID } from "../../src/pki/oids.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { type Certificate, parseCertificate } from "../../src/pki/x509/mod.ts";
import { openssl, runOpenssl } from "../support/openssl.ts";

const NOW = new Date("2026-03-01T12:00:00.750Z");
// `openssl verify` checks validity at NOW rather than at the wall clock.
const AT_NOW = ["-attime", String(Math.floor(NOW.getTime() / 1000))];
const decoder = new TextDecoder();

// A fixed P-256 key (d = 1…32 is far below the group order), so that
// issuing with a fixed serial is deterministic (RFC 6979 signatures).
const FIXED_D = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function fixedKey(): EcPrivateKey {
  // PKCS#8 without the optional public key: the loader derives the point.
  const der = concatBytes(
    decodeHex(
      "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420",
    ),
    FIXED_D,
  );
  const key = loadPrivateKey(encodePem("PRIVATE KEY", der));
  assert.equal(key.kind, "ec");
  return key as EcPrivateKey;
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "postern_issue_" });
}

async function writePem(
  dir: string,
  name: string,
  der: Uint8Array,
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, encodePem("CERTIFICATE", der));
  return path;
}

async function opensslText(
  path: string,
  extra: string[] = [],
): Promise<string> {
  return decoder.decode(
    await openssl(["x509", "-in", path, "-noout", ...extra]),
  );
}

interface Pki {
  caKey: EcPrivateKey;
  ca: Uint8Array;
  caCert: Certificate;
}

async function makeCa(curve: "P-256" | "P-384" = "P-256"): Promise<Pki> {
  const caKey = await generateEcKeyPair(curve);
  const ca = await issueCertificate({
    subject: { O: "postern", CN: `test CA ${curve}` },
    subjectKey: caKey,
    now: NOW,
    days: 3650,
    ca: true,
    pathLen: 0,
  });
  return { caKey, ca, caCert: parseCertificate(ca) };
}

function extensionValue(cert: Certificate, oid: string): Uint8Array {
  const ext = cert.extensions.find((e) => e.oid === oid);
  assert.ok(ext, `extension ${oid} present`);
  return ext.value;
}

Deno.test("issueCertificate() makes a self-signed v3 CA certificate", async () => {
  const { caKey, ca, caCert } = await makeCa();
  assert.equal(caCert.version, 3);
  assert.equal(caCert.subject.toString(), "CN=test CA P-256,O=postern");
  assert.deepEqual(caCert.issuer.raw, caCert.subject.raw);
  assert.deepEqual(caCert.basicConstraints, { ca: true, pathLen: 0 });
  assert.deepEqual(caCert.keyUsage, ["keyCertSign", "cRLSign"]);
  assert.equal(caCert.extKeyUsage, undefined);
  assert.deepEqual(caCert.subjectAltNames, []);
  assert.equal(caCert.signatureAlgorithm.oid, OID.ecdsaWithSha256);
  assert.deepEqual(caCert.publicKey, publicKeyOf(caKey));
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  assert.deepEqual(caCert.subjectKeyId, digest("SHA-1", caKey.point));
  assert.deepEqual(caCert.authorityKeyId, caCert.subjectKeyId);
  const critical = caCert.extensions.filter((e) => e.critical).map((e) =>
    e.oid
  );
  assert.deepEqual(critical, [OID.basicConstraints, OID.keyUsage]);
  assert.ok(
    await verifySignature(publicKeyOf(caKey), caCert.tbs, caCert.signature, {
      alg: "ecdsa",
      hash: "SHA-256",
    }),
  );

  const dir = await tempDir();
  try {
    const path = await writePem(dir, "ca.pem", ca);
    const text = await opensslText(path, ["-text"]);
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(
      text,
      /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/,
    );
    assert.match(
      text,
      /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/,
    );
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    // A self-signed CA verifies against itself.
    await openssl(["verify", ...AT_NOW, "-x509_strict", "-CAfile", path, path]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() makes a server certificate that openssl verifies", async () => {
  const { caKey, ca, caCert } = await makeCa();
  const key = await generateEcKeyPair("P-256");
  const der = await issueCertificate({
    subject: { CN: "broker", O: "postern" },
    subjectKey: publicKeyOf(key),
    issuer: { name: caCert.subject.raw, key: caKey },
    now: NOW,
    days: 365,
    extKeyUsage: ["serverAuth"],
    subjectAltNames: [
      "localhost",
      "127.0.0.1",
      "::1",
      "2001:db8::10:1",
      "URI:urn:postern:broker",
      "ops@example.com",
    ],
  });
  const cert = parseCertificate(der);
  assert.equal(cert.version, 3);
  assert.equal(cert.subject.toString(), "CN=broker,O=postern");
  assert.deepEqual(cert.issuer.raw, caCert.subject.raw);
  assert.deepEqual(cert.basicConstraints, { ca: false });
  assert.deepEqual(cert.keyUsage, ["digitalSignature", "keyAgreement"]);
  assert.deepEqual(cert.extKeyUsage, [OID.serverAuth]);
  assert.deepEqual(cert.subjectAltNames, [
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
    { type: "ip", value: "2001:db8::10:1" },
    { type: "uri", value: "urn:postern:broker" },
    { type: "email", value: "ops@example.com" },
  ]);
  assert.deepEqual(cert.authorityKeyId, caCert.subjectKeyId);
  assert.deepEqual(cert.subjectKeyId, subjectKeyIdentifier(publicKeyOf(key)));
  assert.ok(
    !cert.extensions.find((e) => e.oid === OID.subjectAltName)?.critical,
  );

  // IP addresses are 4 and 16 octets (RFC 5280 §4.2.1.6).
  const san = new DerReader(extensionValue(cert, OID.subjectAltName))
    .sequence();
  const lengths: number[] = [];
  while (san.anyLeft()) {
    const el = san.next();
    if (el.tag === 0x87) lengths.push(el.value.length);
  }
  assert.deepEqual(lengths, [4, 16, 16]);

  const dir = await tempDir();
  try {
    const caPath = await writePem(dir, "ca.pem", ca);
    const path = await writePem(dir, "server.pem", der);
    await openssl([
      "verify",
      ...AT_NOW,
      "-x509_strict",
      "-purpose",
      "sslserver",
      "-CAfile",
      caPath,
      path,
    ]);
    const text = await opensslText(path, [
      "-ext",
      "subjectAltName,extendedKeyUsage,keyUsage",
    ]);
    assert.match(
      text,
      /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:10:1, URI:urn:postern:broker, email:ops@example\.com/,
    );
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /Digital Signature, Key Agreement/);
    const purposeFail = await runOpenssl([
      "verify",
      ...AT_NOW,
      "-purpose",
      "sslclient",
      "-CAfile",
      caPath,
      path,
    ]);
    assert.notEqual(
      purposeFail.code,
      0,
      "serverAuth-only certificate is not a client certificate",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() signs with ECDSA-SHA384 under a P-384 CA", async () => {
  const { caKey, ca, caCert } = await makeCa("P-384");
  assert.equal(caCert.signatureAlgorithm.oid, OID.ecdsaWithSha384);
  const key = await generateEcKeyPair("P-256");
  const der = await issueCertificate({
    subject: { CN: "device-1" },
    subjectKey: key,
    issuer: { name: { O: "postern", CN: "test CA P-384" }, key: caKey },
    now: NOW,
    days: 30,
    extKeyUsage: ["clientAuth"],
  });
  const cert = parseCertificate(der);
  assert.equal(cert.signatureAlgorithm.oid, OID.ecdsaWithSha384);
  assert.ok(cert.issuer.equals(caCert.subject));
  assert.deepEqual(cert.issuer.raw, caCert.subject.raw);
  assert.ok(
    await verifySignature(publicKeyOf(caKey), cert.tbs, cert.signature, {
      alg: "ecdsa",
      hash: "SHA-384",
    }),
  );

  const dir = await tempDir();
  try {
    const caPath = await writePem(dir, "ca.pem", ca);
    const path = await writePem(dir, "device.pem", der);
    assert.match(await opensslText(caPath, ["-text"]), /NIST CURVE: P-384/);
    await openssl([
      "verify",
      ...AT_NOW,
      "-x509_strict",
      "-purpose",
      "sslclient",
      "-CAfile",
      caPath,
      path,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() signs with an RSA CA key (sha256WithRSAEncryption)", async () => {
  const dir = await tempDir();
  try {
    await openssl([
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      `${dir}/rsa_key.pem`,
    ]);
    const caKey = loadPrivateKey(await Deno.readTextFile(`${dir}/rsa_key.pem`));
    const ca = await issueCertificate({
      subject: { CN: "RSA CA" },
      subjectKey: caKey,
      now: NOW,
      days: 10,
      ca: true,
    });
    const caCert = parseCertificate(ca);
    assert.equal(caCert.signatureAlgorithm.oid, OID.sha256WithRsaEncryption);
    assert.deepEqual(caCert.basicConstraints, { ca: true });
    const leafKey = await generateEcKeyPair("P-256");
    const leaf = await issueCertificate({
      subject: { CN: "leaf" },
      subjectKey: leafKey,
      issuer: { name: caCert.subject.raw, key: caKey },
      now: NOW,
      days: 5,
    });
    const caPath = await writePem(dir, "ca.pem", ca);
    const leafPath = await writePem(dir, "leaf.pem", leaf);
    await openssl([
      "verify",
      ...AT_NOW,
      "-x509_strict",
      "-CAfile",
      caPath,
      leafPath,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() backdates notBefore by 5 minutes and counts days from now", async () => {
  const key = await generateEcKeyPair("P-256");
  const cert = parseCertificate(
    await issueCertificate({
      subject: { CN: "t" },
      subjectKey: key,
      now: NOW,
      days: 2,
    }),
  );
  assert.equal(cert.notBefore.toISOString(), "2026-03-01T11:55:00.000Z");
  assert.equal(cert.notAfter.toISOString(), "2026-03-03T12:00:00.000Z");

  const explicit = parseCertificate(
    await issueCertificate({
      subject: { CN: "t" },
      subjectKey: key,
      now: NOW.getTime(),
      notAfter: new Date("2060-01-01T00:00:00Z"),
      backdateSeconds: 0,
    }),
  );
  assert.equal(explicit.notBefore.toISOString(), "2026-03-01T12:00:00.000Z");
  // From 2050 the time is a GeneralizedTime (RFC 5280 §4.1.2.5).
  assert.equal(explicit.notAfter.toISOString(), "2060-01-01T00:00:00.000Z");
});

Deno.test("issueCertificate() writes a random positive 16-octet serial", async () => {
  const key = await generateEcKeyPair("P-256");
  const serials = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const cert = parseCertificate(
      await issueCertificate({
        subject: { CN: "t" },
        subjectKey: key,
        now: NOW,
        days: 1,
      }),
    );
    assert.ok(cert.serial > 0n);
    assert.ok(cert.serial < 1n << 127n);
    serials.add(cert.serialHex);
  }
  assert.equal(serials.size, 4);

  const fixed = parseCertificate(
    await issueCertificate({
      subject: { CN: "t" },
      subjectKey: key,
      now: NOW,
      days: 1,
      serial: 0x1234n,
    }),
  );
  assert.equal(fixed.serialHex, "1234");
});

Deno.test("randomSerial() clears the top bit and never returns zero", () => {
  assert.equal(
    randomSerial(() => new Uint8Array(16).fill(0xff)),
    (1n << 127n) - 1n,
  );
  let calls = 0;
  const serial = randomSerial((n) => {
    calls++;
    const out = new Uint8Array(n);
    if (calls === 1) out[0] = 0x80; // all zero once the top bit is cleared
    else out[15] = 7;
    return out;
  });
  assert.equal(serial, 7n);
  assert.equal(calls, 2);
});

Deno.test("issueCertificate() is deterministic for a fixed key, serial and time", async () => {
  const key = fixedKey();
  const options = {
    subject: { CN: "golden" },
    subjectKey: key,
    now: NOW,
    days: 1,
    serial: 1n,
    ca: true,
  } as const;
  const a = await issueCertificate(options);
  const b = await issueCertificate(options);
  assert.deepEqual(a, b);

  // Golden TBSCertificate head: version [0] 2, serial 1, ecdsa-with-SHA256,
  // issuer CN=golden, validity UTCTime 260301115500Z / 260302120000Z.
  const cert = parseCertificate(a);
  const head = encodeHex(new DerReader(cert.tbs).read(Tag.SEQUENCE).value);
  assert.ok(
    head.startsWith(
      "a003020102" + "020101" + "300a06082a8648ce3d040302" +
        "3011310f300d06035504030c06676f6c64656e" +
        "301e170d3236303330313131353530305a170d3236303330323132303030305a",
    ),
    head,
  );
  // The extensions, in order, with their exact encodings.
  const extHex = cert.extensions.map((e) =>
    `${e.oid}${e.critical ? "!" : ""}=${encodeHex(e.value)}`
  );
  const ski = encodeHex(digest("SHA-1", key.point));
  assert.deepEqual(extHex, [
    `${OID.basicConstraints}!=30030101ff`,
    `${OID.keyUsage}!=03020106`,
    `${OID.subjectKeyIdentifier}=0414${ski}`,
    `${OID.authorityKeyIdentifier}=30168014${ski}`,
  ]);

  // OpenSSL computes the same subjectKeyIdentifier for this key.
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/key.pem`, privateKeyToPem(key));
    await openssl([
      "req",
      "-new",
      "-x509",
      "-key",
      `${dir}/key.pem`,
      "-subj",
      "/CN=openssl",
      "-days",
      "1",
      "-out",
      `${dir}/openssl.pem`,
    ]);
    const text = await opensslText(`${dir}/openssl.pem`, [
      "-ext",
      "subjectKeyIdentifier",
    ]);
    assert.match(text.replaceAll(":", "").toLowerCase(), new RegExp(ski));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() encodes key usages as a minimal named bit list", async () => {
  const key = await generateEcKeyPair("P-256");
  async function keyUsageOf(
    usages: Parameters<typeof issueCertificate>[0]["keyUsage"],
  ) {
    const cert = parseCertificate(
      await issueCertificate({
        subject: { CN: "t" },
        subjectKey: key,
        now: NOW,
        days: 1,
        ...(usages ? { keyUsage: usages } : {}),
      }),
    );
    return {
      hex: encodeHex(extensionValue(cert, OID.keyUsage)),
      names: cert.keyUsage,
    };
  }
  assert.deepEqual(await keyUsageOf(["digitalSignature"]), {
    hex: "03020780",
    names: ["digitalSignature"],
  });
  assert.deepEqual(await keyUsageOf(["digitalSignature", "keyEncipherment"]), {
    hex: "030205a0",
    names: ["digitalSignature", "keyEncipherment"],
  });
  assert.deepEqual(await keyUsageOf(["decipherOnly"]), {
    hex: "0303070080",
    names: ["decipherOnly"],
  });
});

Deno.test("issueCertificate() marks subjectAltName critical for an empty subject", async () => {
  const key = await generateEcKeyPair("P-256");
  const cert = parseCertificate(
    await issueCertificate({
      subject: [],
      subjectKey: key,
      now: NOW,
      days: 1,
      subjectAltNames: [{ type: "dns", value: "only-san.example" }],
    }),
  );
  assert.ok(cert.subject.isEmpty);
  const san = cert.extensions.find((e) => e.oid === OID.subjectAltName);
  assert.equal(san?.critical, true);
  await assert.rejects(
    issueCertificate({ subject: {}, subjectKey: key, now: NOW, days: 1 }),
    RangeError,
  );
});

Deno.test("issueCertificate() rejects inconsistent options", async () => {
  const key = await generateEcKeyPair("P-256");
  const base = { subject: { CN: "t" }, subjectKey: key, now: NOW } as const;
  const cases: [string, Parameters<typeof issueCertificate>[0]][] = [
    ["no validity", base],
    ["days and notAfter", { ...base, days: 1, notAfter: NOW }],
    ["zero days", { ...base, days: 0 }],
    ["notAfter before notBefore", {
      ...base,
      notAfter: new Date("2020-01-01Z"),
    }],
    ["pathLen on a leaf", { ...base, days: 1, pathLen: 0 }],
    ["negative pathLen", { ...base, days: 1, ca: true, pathLen: -1 }],
    ["zero serial", { ...base, days: 1, serial: 0n }],
    ["serial over 20 octets", { ...base, days: 1, serial: 1n << 160n }],
    ["unknown purpose", { ...base, days: 1, extKeyUsage: ["webAuth"] }],
    ["bad SAN", { ...base, days: 1, subjectAltNames: ["not a name"] }],
    ["self-signed without private key", {
      ...base,
      days: 1,
      subjectKey: publicKeyOf(key),
    }],
    ["empty attribute", { ...base, days: 1, subject: { CN: "" } }],
    ["non-printable country", { ...base, days: 1, subject: { C: "Ü" } }],
  ];
  for (const [name, options] of cases) {
    await assert.rejects(issueCertificate(options), RangeError, name);
  }
});

Deno.test("encodeNameInput() orders record names most general first", () => {
  const der = encodeNameInput({
    CN: "device-1",
    OU: "lab",
    O: "Acme",
    C: "DE",
  });
  const r = new DerReader(der).sequence();
  const types: string[] = [];
  while (r.anyLeft()) {
    const atv = r.set().sequence();
    types.push(atv.oid());
  }
  assert.deepEqual(types, [
    OID.countryName,
    OID.organizationName,
    OID.organizationalUnitName,
    OID.commonName,
  ]);
  // An attribute list is kept in its given order.
  const listed = new DerReader(
    encodeNameInput([{ type: "CN", value: "x" }, { type: "O", value: "y" }]),
  ).sequence();
  assert.equal(listed.set().sequence().oid(), OID.commonName);
  // C is a PrintableString (RFC 5280 Appendix A.1).
  const c = new DerReader(encodeNameInput({ C: "DE" })).sequence().set()
    .sequence();
  c.oid();
  assert.equal(c.next().tag, Tag.PRINTABLE_STRING);
});

Deno.test("parseSubjectAltName() tells IP addresses, URIs, e-mail and DNS names apart", () => {
  const cases: [string, string, string][] = [
    ["localhost", "dns", "localhost"],
    ["broker.example.com.", "dns", "broker.example.com."],
    ["*.example.com", "dns", "*.example.com"],
    ["10.0.0.5", "ip", "10.0.0.5"],
    ["::1", "ip", "::1"],
    ["[fe80::1]", "ip", "fe80::1"],
    ["::ffff:192.0.2.1", "ip", "::ffff:192.0.2.1"],
    ["https://broker.example/", "uri", "https://broker.example/"],
    ["urn:dev:device-1", "uri", "urn:dev:device-1"],
    ["ops@example.com", "email", "ops@example.com"],
    ["DNS:127.0.0.1.nip.io", "dns", "127.0.0.1.nip.io"],
    ["IP:192.168.1.1", "ip", "192.168.1.1"],
    ["uri:mqtt:x", "uri", "mqtt:x"],
  ];
  for (const [text, type, value] of cases) {
    assert.deepEqual(parseSubjectAltName(text), { type, value }, text);
  }
  for (
    const bad of [
      "",
      "host:8080",
      "my_host",
      "a..b",
      "256.1.1.1",
      "IP:localhost",
      "DNS:a b",
    ]
  ) {
    assert.throws(() => parseSubjectAltName(bad), RangeError, bad);
  }
});

Deno.test("parseIpAddress() reads RFC 4291 IPv6 forms and strict IPv4", () => {
  assert.equal(
    encodeHex(parseIpAddress("2001:db8::1")!),
    "20010db8000000000000000000000001",
  );
  assert.equal(
    encodeHex(parseIpAddress("::")!),
    "00000000000000000000000000000000",
  );
  assert.equal(
    encodeHex(parseIpAddress("1:2:3:4:5:6:7:8")!),
    "00010002000300040005000600070008",
  );
  assert.equal(
    encodeHex(parseIpAddress("1::")!),
    "00010000000000000000000000000000",
  );
  assert.equal(
    encodeHex(parseIpAddress("::1.2.3.4")!),
    "00000000000000000000000001020304",
  );
  for (
    const bad of [
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "1::2::3",
      "12345::",
      "1.2.3",
      "01.2.3.4",
      "1.2.3.4::",
      ":1",
    ]
  ) {
    assert.equal(parseIpAddress(bad), undefined, bad);
  }
  assert.ok(isDnsName("a-b.c"));
  assert.ok(!isDnsName("-a.c"));
  assert.ok(!isDnsName("a".repeat(64) + ".c"));
  assert.deepEqual(
    encodeSubjectAltName({ type: "email", value: "a@b" }),
    new Uint8Array([0x81, 3, 0x61, 0x40, 0x62]),
  );
});
