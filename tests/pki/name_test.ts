import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import {
  derBitString,
  derIa5String,
  derInteger,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derUtf8String,
} from "../../src/pki/asn1/mod.ts";
import { decodeName, encodeName } from "../../src/pki/name.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { parseCertificate } from "../../src/pki/x509/mod.ts";
import { openssl } from "../support/openssl.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import { buildCertificate } from "./x509/_build.ts";

function rdn(...atvs: Uint8Array[]): Uint8Array {
  return derSet(atvs);
}

function atv(oid: string, value: Uint8Array): Uint8Array {
  return derSequence([derOid(oid), value]);
}

/** What `openssl x509 -subject -nameopt RFC2253` prints for a Name. */
async function opensslRfc2253(name: Uint8Array): Promise<string> {
  const { cert } = await buildCertificate({ subject: name });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.pem`,
      encodePem("CERTIFICATE", cert.der),
    );
    const out = new TextDecoder().decode(
      await openssl([
        "x509",
        "-in",
        `${dir}/c.pem`,
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253",
      ]),
    );
    return out.trim().replace(/^subject=/, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DistinguishedName.toString() prints names as openssl -nameopt RFC2253 does", async () => {
  const names: Uint8Array[] = [
    encodeName([
      { type: "C", value: "DE" },
      { type: "ST", value: "Berlin" },
      { type: "L", value: "Berlin" },
      { type: "O", value: "Acme, Inc." },
      { type: "OU", value: "IoT" },
      { type: "CN", value: "device-1" },
      { type: "emailAddress", value: "ops@example.test" },
    ]),
    encodeName([
      { type: "DC", value: "test" },
      { type: "DC", value: "example" },
      { type: "UID", value: "u1" },
      { type: "serialNumber", value: "SN 42" },
      { type: "GN", value: "Ada" },
      { type: "SN", value: "Lovelace" },
      { type: "title", value: "Dr" },
      { type: "street", value: "Main St 1" },
      { type: "organizationIdentifier", value: "VATDE-123" },
    ]),
    encodeName([
      { type: "CN", value: "#hash" },
      { type: "O", value: " lead and trail " },
      { type: "OU", value: 'a+b,c"d\\e<f>g;h=i' },
      { type: "L", value: "tab\there" },
    ]),
    derSequence([
      rdn(
        atv("2.5.4.3", derUtf8String("multi")),
        atv("2.5.4.11", derUtf8String("valued")),
      ),
      rdn(atv("1.2.3.4", derUtf8String("custom"))),
      rdn(atv("2.5.4.3", derBitString(new Uint8Array([0xa0]), 4))),
      rdn(atv("1.2.3.5", derSequence([]))),
    ]),
    derSequence([]),
  ];
  for (const der of names) {
    const name = decodeName(der);
    assert.equal(name.toString(), await opensslRfc2253(der));
  }
});

Deno.test("DistinguishedName.format() escapes non-ASCII like openssl, toString() keeps it", async () => {
  const fx = await pkiFixtures();
  const cert = parseCertificate(fx.certs.utf8Name.der);
  assert.equal(
    cert.subject.format({ asciiOnly: true }),
    "CN=Gr\\C3\\BC\\C3\\9Fe \\E8\\A8\\AD\\E5\\82\\99,L=K\\C3\\B6ln,C=DE",
  );
  assert.equal(cert.subject.toString(), "CN=Grüße 設備,L=Köln,C=DE");
});

Deno.test("DistinguishedName reads multi-valued RDNs in order", async () => {
  const fx = await pkiFixtures();
  const name = parseCertificate(fx.certs.fancyName.der).subject;
  assert.equal(name.rdns.length, 5);
  assert.deepEqual(
    name.rdns[3]?.map((a) => a.shortName),
    ["OU", "CN"],
  );
  assert.equal(name.commonName, 'weird "name" <x>;y');
  assert.deepEqual(name.get("dc"), ["test", "example"]);
  assert.deepEqual(name.get("0.9.2342.19200300.100.1.25"), ["test", "example"]);
  assert.deepEqual(name.get("emailAddress"), ["a@b.test"]);
  assert.throws(() => name.get("nonsense"), RangeError);
});

Deno.test("DistinguishedName.commonName is the most specific CN", () => {
  const name = decodeName(
    encodeName([{ type: "CN", value: "outer" }, {
      type: "CN",
      value: "inner",
    }]),
  );
  assert.equal(name.commonName, "inner");
  assert.equal(
    decodeName(encodeName([{ type: "O", value: "x" }])).commonName,
    undefined,
  );
});

Deno.test("DistinguishedName keeps the raw DER and the value types", () => {
  const der = derSequence([
    rdn(atv("2.5.4.6", derPrintableString("DE"))),
    rdn(atv("1.2.840.113549.1.9.1", derIa5String("a@b"))),
  ]);
  const name = decodeName(der);
  assert.deepEqual(name.raw, der);
  assert.deepEqual(name.attributes.map((a) => [a.shortName, a.tag, a.value]), [
    ["C", 0x13, "DE"],
    ["emailAddress", 0x16, "a@b"],
  ]);
  assert.equal(
    encodeHex(name.attributes[0]?.der ?? new Uint8Array()),
    "13024445",
  );
  assert.ok(!name.isEmpty);
  assert.ok(decodeName(derSequence([])).isEmpty);
});

Deno.test("DistinguishedName.equals() follows the documented RFC 5280 §7.1 subset", () => {
  const a = decodeName(derSequence([
    rdn(atv("2.5.4.6", derPrintableString("DE"))),
    rdn(atv("2.5.4.10", derPrintableString("Acme  Corp"))),
    rdn(
      atv("2.5.4.3", derUtf8String("Device One")),
      atv("2.5.4.11", derUtf8String("Unit")),
    ),
  ]));
  const same = decodeName(derSequence([
    rdn(atv("2.5.4.6", derUtf8String("de"))),
    rdn(atv("2.5.4.10", derUtf8String(" acme corp"))),
    rdn(
      atv("2.5.4.11", derPrintableString("UNIT")),
      atv("2.5.4.3", derUtf8String("device\tone ")),
    ),
  ]));
  assert.ok(a.equals(same));
  assert.ok(same.equals(a));
  assert.equal(a.key, same.key);

  const different = [
    // Other value.
    derSequence([
      rdn(atv("2.5.4.6", derPrintableString("DE"))),
      rdn(atv("2.5.4.10", derPrintableString("Acme Corp."))),
      rdn(
        atv("2.5.4.3", derUtf8String("Device One")),
        atv("2.5.4.11", derUtf8String("Unit")),
      ),
    ]),
    // RDNs in another order.
    derSequence([
      rdn(atv("2.5.4.10", derPrintableString("Acme Corp"))),
      rdn(atv("2.5.4.6", derPrintableString("DE"))),
      rdn(
        atv("2.5.4.3", derUtf8String("Device One")),
        atv("2.5.4.11", derUtf8String("Unit")),
      ),
    ]),
    // A multi-valued RDN split in two.
    derSequence([
      rdn(atv("2.5.4.6", derPrintableString("DE"))),
      rdn(atv("2.5.4.10", derPrintableString("Acme Corp"))),
      rdn(atv("2.5.4.3", derUtf8String("Device One"))),
      rdn(atv("2.5.4.11", derUtf8String("Unit"))),
    ]),
  ];
  for (const der of different) {
    const b = decodeName(der);
    assert.ok(!a.equals(b), b.toString());
    assert.notEqual(a.key, b.key);
  }
  // Values of non-string types match only byte for byte.
  const int5 = decodeName(derSequence([rdn(atv("1.2.3", derInteger(5n)))]));
  const int6 = decodeName(derSequence([rdn(atv("1.2.3", derInteger(6n)))]));
  assert.ok(int5.equals(decodeName(int5.raw)));
  assert.ok(!int5.equals(int6));
});

Deno.test("encodeName() uses the string types openssl uses", async () => {
  const fx = await pkiFixtures();
  const dir = await Deno.makeTempDir();
  try {
    await openssl([
      "req",
      "-new",
      "-key",
      fx.certs.root.keyPath,
      "-subj",
      "/C=DE/O=Postern Test/CN=device-9/emailAddress=d9@example.test/DC=test",
      "-out",
      `${dir}/r.csr`,
    ]);
    const der = await openssl([
      "req",
      "-in",
      `${dir}/r.csr`,
      "-outform",
      "DER",
    ]);
    const ours = encodeName([
      { type: "C", value: "DE" },
      { type: "O", value: "Postern Test" },
      { type: "CN", value: "device-9" },
      { type: "emailAddress", value: "d9@example.test" },
      { type: "DC", value: "test" },
    ]);
    assert.ok(
      encodeHex(der).includes(encodeHex(ours)),
      "the CSR holds the same Name bytes",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodeName() refuses values its string type cannot hold", () => {
  assert.throws(() => encodeName([{ type: "C", value: "D_E" }]), RangeError);
  assert.throws(() => encodeName([{ type: "DC", value: "ü" }]), RangeError);
  assert.throws(() => encodeName([{ type: "bogus", value: "x" }]), RangeError);
  assert.equal(
    decodeName(encodeName([{ type: "2.5.4.3", value: "x" }])).commonName,
    "x",
  );
});

Deno.test("decodeName() rejects malformed names with DecodeError", () => {
  const bad = [
    derSequence([derSet([])]),
    derSequence([rdn(atv("2.5.4.3", new Uint8Array([0x0c, 0x01, 0xff])))]),
    derSequence([rdn(derSequence([derOid("2.5.4.3")]))]),
    derSequence([
      rdn(
        derSequence([
          derOid("2.5.4.3"),
          derUtf8String("a"),
          derUtf8String("b"),
        ]),
      ),
    ]),
    derSet([]),
    new Uint8Array([0x30, 0x00, 0x00]),
  ];
  for (const der of bad) {
    assert.throws(() => decodeName(der), DecodeError, encodeHex(der));
  }
});
