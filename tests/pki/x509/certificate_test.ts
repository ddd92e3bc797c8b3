import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../../src/bytes/mod.ts";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  derTime,
} from "../../../src/pki/asn1/mod.ts";
import { signatureAlgorithmName } from "../../../src/pki/algorithm.ts";
import { encodeName } from "../../../src/pki/name.ts";
import { OID } from "../../../src/pki/oids.ts";
import {
  allowsPurpose,
  type Certificate,
  formatFingerprint,
  type GeneralName,
  isSelfIssued,
  parseCertificate,
  parseCertificatePem,
} from "../../../src/pki/x509/mod.ts";
import { openssl } from "../../support/openssl.ts";
import { CERT_NAMES, pkiFixtures } from "../../support/pki_fixtures.ts";
import {
  EKU_TEXT,
  expandIpv6,
  KEY_USAGE_TEXT,
  opensslView,
} from "./_openssl_text.ts";

const PUBLIC_KEY_ALGORITHMS: Record<string, string> = {
  "id-ecPublicKey": OID.ecPublicKey,
  "rsaEncryption": OID.rsaEncryption,
  "ED25519": OID.ed25519,
};

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? encodeHex(bytes) : "";
}

function colonHex(bytes: Uint8Array | undefined): string {
  return formatFingerprint(hex(bytes));
}

function opensslSan(n: GeneralName): string {
  switch (n.type) {
    case "dns":
      return `DNS:${n.value}`;
    case "ip":
      return `IP Address:${
        n.value.includes(":") ? expandIpv6(n.value) : n.value
      }`;
    case "uri":
      return `URI:${n.value}`;
    case "email":
      return `email:${n.value}`;
    case "dn":
      return `DirName:${n.value}`;
    case "other":
      return `other:${n.value}`;
  }
}

Deno.test("parseCertificate() reads every field openssl prints", async (t) => {
  const fx = await pkiFixtures();
  for (const name of CERT_NAMES) {
    await t.step(name, async () => {
      const f = fx.certs[name];
      const cert = parseCertificate(f.der);
      const view = await opensslView(f.certPath);
      assert.equal(cert.version, view.version);
      assert.equal(cert.serialHex, view.serial);
      assert.equal(BigInt("0x" + cert.serialHex), cert.serial);
      assert.equal(formatFingerprint(cert.fingerprintSha256), view.fingerprint);
      assert.equal(cert.subject.format({ asciiOnly: true }), view.subject);
      assert.equal(cert.issuer.format({ asciiOnly: true }), view.issuer);
      assert.equal(cert.notBefore.getTime(), view.notBefore.getTime());
      assert.equal(cert.notAfter.getTime(), view.notAfter.getTime());
      assert.equal(
        signatureAlgorithmName(cert.signatureAlgorithm.oid),
        view.signatureAlgorithm,
      );
      assert.equal(
        cert.publicKeyAlgorithm.oid,
        PUBLIC_KEY_ALGORITHMS[view.publicKeyAlgorithm],
      );
      assert.equal(hex(cert.signature), view.signatureHex);
      assert.deepEqual(cert.der, f.der);

      const key = cert.publicKey;
      if (key?.kind === "ec") {
        assert.equal(hex(key.point), view.publicKeyHex);
        assert.equal(key.curve, view.nistCurve);
      } else if (key?.kind === "rsa") {
        assert.equal(hex(key.n), view.publicKeyHex);
        assert.equal(Number(BigInt("0x" + hex(key.e))), view.exponent);
      } else {
        assert.equal(view.publicKeyAlgorithm, "ED25519");
      }

      // The critical flags, extension by extension.
      assert.equal(cert.extensions.length, view.extensions.size);
      assert.deepEqual(
        cert.extensions.map((e) => e.critical),
        [...view.extensions.values()].map((e) => e.critical),
      );

      const bc = view.extensions.get("X509v3 Basic Constraints");
      assert.equal(
        cert.basicConstraints === undefined ? undefined : [
          cert.basicConstraints.ca ? "CA:TRUE" : "CA:FALSE",
          ...(cert.basicConstraints.pathLen === undefined
            ? []
            : [`pathlen:${cert.basicConstraints.pathLen}`]),
        ].join(", "),
        bc?.lines[0],
      );
      const ku = view.extensions.get("X509v3 Key Usage");
      assert.deepEqual(
        cert.keyUsage,
        ku?.lines[0]?.split(", ").map((s) => KEY_USAGE_TEXT[s]),
      );
      const eku = view.extensions.get("X509v3 Extended Key Usage");
      assert.deepEqual(
        cert.extKeyUsage,
        eku?.lines[0]?.split(", ").map((s) => EKU_TEXT[s]),
      );
      assert.equal(
        colonHex(cert.subjectKeyId),
        view.extensions.get("X509v3 Subject Key Identifier")?.lines[0] ?? "",
      );
      assert.equal(
        colonHex(cert.authorityKeyId),
        view.extensions.get("X509v3 Authority Key Identifier")?.lines
          .find((l) => /^(keyid:)?[0-9A-F:]+$/.test(l))?.replace(
            /^keyid:/,
            "",
          ) ??
          "",
      );
      assert.deepEqual(
        cert.crlDistributionPoints,
        (view.extensions.get("X509v3 CRL Distribution Points")?.lines ?? [])
          .filter((l) => l.startsWith("URI:")).map((l) => l.slice(4)),
      );
      const aia = view.extensions.get("Authority Information Access")?.lines ??
        [];
      assert.deepEqual(
        cert.ocspUrls,
        aia.filter((l) => l.startsWith("OCSP - URI:")).map((l) => l.slice(11)),
      );
      assert.deepEqual(
        cert.caIssuerUrls,
        aia.filter((l) => l.startsWith("CA Issuers - URI:")).map((l) =>
          l.slice(17)
        ),
      );
      const san = view.extensions.get("X509v3 Subject Alternative Name");
      if (name !== "sanZoo") {
        assert.equal(
          cert.subjectAltNames.map(opensslSan).join(", "),
          san?.lines[0] ?? "",
        );
      }
    });
  }
});

Deno.test("parseCertificate() reads the SANs openssl wrote", async () => {
  const fx = await pkiFixtures();
  assert.deepEqual(parseCertificate(fx.certs.server.der).subjectAltNames, [
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
  ]);
  assert.deepEqual(parseCertificate(fx.certs.device2.der).subjectAltNames, [
    { type: "uri", value: "urn:postern:device:2" },
    { type: "email", value: "device-2@example.test" },
  ]);
  assert.deepEqual(parseCertificate(fx.certs.device1.der).subjectAltNames, []);
  for (const name of ["server", "device2", "sanZoo"] as const) {
    const printed = new TextDecoder().decode(
      await openssl([
        "x509",
        "-in",
        fx.certs[name].certPath,
        "-noout",
        "-ext",
        "subjectAltName",
      ]),
    ).split("\n")[1]?.trim().split(", ") ?? [];
    const ours = parseCertificate(fx.certs[name].der).subjectAltNames;
    assert.equal(ours.length, printed.length);
    ours.forEach((n, i) => {
      if (n.type !== "other" && n.type !== "dn") {
        assert.equal(opensslSan(n), printed[i]);
      }
    });
  }
});

Deno.test("parseCertificate() reads every GeneralName type", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.sanZoo.der);
  assert.deepEqual(cert.subjectAltNames, [
    { type: "dns", value: "*.example.test" },
    { type: "ip", value: "2001:db8::1" },
    { type: "ip", value: "2001:db8::1:0:0:1" },
    { type: "ip", value: "fe80::" },
    { type: "ip", value: "10.1.2.3" },
    { type: "email", value: "ops@example.test" },
    { type: "uri", value: "https://example.test/device?id=1" },
    { type: "other", value: "1.3.6.1.4.1.311.20.2.3:upn@example.test" },
    { type: "dn", value: "CN=Dir Name,O=Dir Org,C=DE" },
    { type: "other", value: "1.2.3.4.5" },
  ]);
  // OpenSSL prints the IPv6 addresses uncompressed.
  const view = await opensslView(fx.certs.sanZoo.certPath);
  const printed = view.extensions.get("X509v3 Subject Alternative Name")
    ?.lines[0] ?? "";
  for (const n of cert.subjectAltNames.filter((n) => n.type === "ip")) {
    assert.ok(printed.includes(opensslSan(n)), opensslSan(n));
  }
});

Deno.test("parseCertificate() reads keys and signature schemes of every algorithm", async () => {
  const fx = await pkiFixtures();
  const p384 = parseCertificate(fx.certs.leafP384.der);
  assert.equal(p384.publicKey?.kind, "ec");
  assert.equal(p384.publicKeyAlgorithm.curve, OID.secp384r1);
  assert.deepEqual(p384.signatureAlgorithm.scheme, {
    alg: "ecdsa",
    hash: "SHA-384",
  });
  const rsa = parseCertificate(fx.certs.rootRsa.der);
  assert.equal(rsa.publicKey?.kind, "rsa");
  assert.deepEqual(rsa.signatureAlgorithm, {
    oid: OID.sha256WithRsaEncryption,
    scheme: { alg: "rsa-pkcs1", hash: "SHA-256" },
  });
  const pss = parseCertificate(fx.certs.leafRsaPss.der);
  assert.deepEqual(pss.signatureAlgorithm, {
    oid: OID.rsassaPss,
    scheme: { alg: "rsa-pss", hash: "SHA-256", saltLength: 32 },
  });
  const ed = parseCertificate(fx.certs.ed25519Root.der);
  assert.equal(ed.publicKey, undefined);
  assert.equal(ed.publicKeyAlgorithm.oid, OID.ed25519);
  assert.match(ed.publicKeyUnsupported ?? "", /not supported/);
  assert.deepEqual(ed.signatureAlgorithm, { oid: OID.ed25519 });
});

Deno.test("parseCertificate() records an unknown critical extension", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.criticalExt.der);
  const ext = cert.extensions.find((e) => e.oid === "1.2.3.4");
  assert.deepEqual(ext, {
    oid: "1.2.3.4",
    critical: true,
    value: new Uint8Array([5, 0]),
  });
});

Deno.test("parseCertificate() keeps UTF-8 names readable", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.utf8Name.der);
  assert.equal(cert.subject.toString(), "CN=Grüße 設備,L=Köln,C=DE");
  assert.equal(cert.subject.commonName, "Grüße 設備");
});

Deno.test("parseCertificate() reads v1 certificates", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.v1Root.der);
  assert.equal(cert.version, 1);
  assert.deepEqual(cert.extensions, []);
  assert.equal(cert.basicConstraints, undefined);
  assert.ok(isSelfIssued(cert));
});

Deno.test("parseCertificate() gives the exact TBS and SPKI bytes", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.server.der);
  const outer = new DerReader(fx.certs.server.der).sequence();
  assert.deepEqual(cert.tbs, outer.next().raw);
  const tbs = new DerReader(cert.tbs).sequence();
  for (let i = 0; i < 6; i++) tbs.next();
  assert.deepEqual(cert.spki, tbs.next().raw);
});

Deno.test("parseCertificatePem() returns every certificate of a chain file", async () => {
  const fx = await pkiFixtures();
  const chain = parseCertificatePem(
    await Deno.readTextFile(fx.serverChainPath),
  );
  assert.deepEqual(chain.map((c) => c.subject.commonName), [
    "localhost",
    "Postern Test Intermediate CA",
  ]);
  const withKey = parseCertificatePem(
    await Deno.readTextFile(fx.serverWithKeyPath),
  );
  assert.equal(withKey.length, 1);
  assert.equal(withKey[0]?.fingerprintSha256, chain[0]?.fingerprintSha256);
});

Deno.test("allowsPurpose() follows extKeyUsage", async () => {
  const fx = await pkiFixtures();
  const server = parseCertificate(fx.certs.server.der);
  assert.ok(allowsPurpose(server, "serverAuth"));
  assert.ok(!allowsPurpose(server, "clientAuth"));
  assert.ok(allowsPurpose(parseCertificate(fx.certs.root.der), "clientAuth"));
});

// --- Hand-built certificates for the malformed cases -----------------------

const ALG = derSequence([derOid(OID.ecdsaWithSha256)]);
const NAME = encodeName([{ type: "CN", value: "x" }]);
const SPKI = derSequence([
  derSequence([derOid(OID.ed25519)]),
  derBitString(new Uint8Array(32)),
]);

function tbs(
  options: {
    version?: Uint8Array[];
    serial?: bigint;
    alg?: Uint8Array;
    extensions?: Uint8Array[];
    extra?: Uint8Array[];
  } = {},
): Uint8Array {
  return derSequence([
    ...(options.version ?? [derExplicit(0, [derInteger(2n)])]),
    derInteger(options.serial ?? 1n),
    options.alg ?? ALG,
    NAME,
    derSequence([
      derTime(new Date("2025-01-01Z")),
      derTime(new Date("2060-01-01Z")),
    ]),
    NAME,
    SPKI,
    ...(options.extra ?? []),
    ...(options.extensions
      ? [derExplicit(3, [derSequence(options.extensions)])]
      : []),
  ]);
}

function cert(tbsDer: Uint8Array, alg = ALG): Uint8Array {
  return derSequence([tbsDer, alg, derBitString(new Uint8Array([1, 2, 3]))]);
}

function ext(oid: string, value: Uint8Array, critical = false): Uint8Array {
  return derSequence([
    derOid(oid),
    ...(critical ? [derBoolean(true)] : []),
    derOctetString(value),
  ]);
}

Deno.test("parseCertificate() reads a hand-built certificate with GeneralizedTime", () => {
  const c: Certificate = parseCertificate(cert(tbs()));
  assert.equal(c.notAfter.toISOString(), "2060-01-01T00:00:00.000Z");
  assert.equal(c.serialHex, "01");
});

Deno.test("parseCertificate() formats serial numbers as openssl does", () => {
  assert.equal(parseCertificate(cert(tbs({ serial: 0n }))).serialHex, "00");
  assert.equal(parseCertificate(cert(tbs({ serial: 0x80n }))).serialHex, "80");
  assert.equal(
    parseCertificate(cert(tbs({ serial: 0x123456n }))).serialHex,
    "123456",
  );
  const neg = parseCertificate(cert(tbs({ serial: -0x1234n })));
  assert.equal(neg.serial, -0x1234n);
  assert.equal(neg.serialHex, "-1234");
});

Deno.test("parseCertificate() rejects trailing data", () => {
  const good = cert(tbs());
  const bad = new Uint8Array([...good, 0]);
  assert.throws(() => parseCertificate(bad), DecodeError);
});

Deno.test("parseCertificate() rejects duplicate extensions", () => {
  const bc = ext(OID.basicConstraints, derSequence([]));
  parseCertificate(cert(tbs({ extensions: [bc] })));
  assert.throws(
    () => parseCertificate(cert(tbs({ extensions: [bc, bc] }))),
    (e: unknown) => e instanceof DecodeError && /duplicate/.test(e.message),
  );
});

Deno.test("parseCertificate() rejects a signatureAlgorithm that differs from the TBS one", () => {
  const other = derSequence([derOid(OID.ecdsaWithSha384)]);
  assert.throws(() => parseCertificate(cert(tbs(), other)), DecodeError);
});

Deno.test("parseCertificate() rejects extensions in a v1 certificate and unknown versions", () => {
  const bc = ext(OID.basicConstraints, derSequence([]));
  assert.throws(
    () => parseCertificate(cert(tbs({ version: [], extensions: [bc] }))),
    DecodeError,
  );
  assert.throws(
    () =>
      parseCertificate(
        cert(tbs({ version: [derExplicit(0, [derInteger(3n)])] })),
      ),
    DecodeError,
  );
  assert.equal(parseCertificate(cert(tbs({ version: [] }))).version, 1);
});

Deno.test("parseCertificate() rejects malformed known extensions", () => {
  const cases = [
    ext(OID.basicConstraints, derSequence([derBoolean(true), derInteger(-1n)])),
    ext(OID.keyUsage, derOctetString(new Uint8Array([1]))),
    ext(OID.subjectAltName, derSequence([])),
    ext(
      OID.subjectAltName,
      derSequence([new Uint8Array([0x87, 3, 1, 2, 3])]),
    ),
    ext(OID.extKeyUsage, derSequence([])),
    ext(OID.subjectKeyIdentifier, derSequence([])),
    ext(OID.basicConstraints, new Uint8Array([0x30, 0x00, 0x00])),
  ];
  for (const e of cases) {
    assert.throws(
      () => parseCertificate(cert(tbs({ extensions: [e] }))),
      DecodeError,
    );
  }
});

Deno.test("parseCertificate() throws DecodeError for every truncation of a real certificate", async () => {
  const fx = await pkiFixtures();
  const der = fx.certs.server.der;
  for (let n = 0; n < der.length; n++) {
    assert.throws(() => parseCertificate(der.subarray(0, n)), DecodeError);
  }
});

Deno.test("formatFingerprint() matches openssl -fingerprint", async () => {
  const fx = await pkiFixtures();
  const view = await opensslView(fx.certs.root.certPath);
  assert.equal(
    formatFingerprint(parseCertificate(fx.certs.root.der).fingerprintSha256),
    view.fingerprint,
  );
  assert.equal(formatFingerprint(""), "");
});
