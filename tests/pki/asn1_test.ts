import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  bitStringValue,
  decodeGeneralizedTime,
  decodeOid,
  decodeUtcTime,
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  DerReader,
  derSequence,
  derSet,
  derTime,
  derTlv,
  derUtf8String,
  encodeOid,
  Tag,
} from "../../src/pki/asn1/mod.ts";
import { openssl } from "../support/openssl.ts";

const enc = new TextEncoder();

function reader(hex: string): DerReader {
  return new DerReader(decodeHex(hex));
}

function rejects(fn: () => unknown, detail?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DecodeError, `not a DecodeError: ${e}`);
    if (detail) assert.match(e.message, detail);
    return true;
  });
}

/** DER that `openssl asn1parse -genstr` makes for one ASN1_generate_nconf string. */
async function opensslDer(genstr: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await openssl([
      "asn1parse",
      "-genstr",
      genstr,
      "-noout",
      "-out",
      `${dir}/out.der`,
    ]);
    return await Deno.readFile(`${dir}/out.der`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("derInteger() writes the golden encodings", () => {
  const cases: [bigint, string][] = [
    [0n, "020100"],
    [1n, "020101"],
    [127n, "02017f"],
    [128n, "02020080"],
    [256n, "02020100"],
    [-1n, "0201ff"],
    [-128n, "020180"],
    [-129n, "0202ff7f"],
    [-256n, "0202ff00"],
    [0x0123456789abcdefn, "02080123456789abcdef"],
  ];
  for (const [value, hex] of cases) {
    assert.equal(encodeHex(derInteger(value)), hex, String(value));
    assert.equal(reader(hex).integer(), value);
  }
  assert.equal(encodeHex(derInteger(new Uint8Array([0, 0, 0x80]))), "02020080");
  assert.equal(encodeHex(derInteger(new Uint8Array())), "020100");
});

Deno.test("derInteger() and DerReader.integer() agree with openssl", async () => {
  for (const v of ["0", "-129", "65535", "-32768", "0x7fffffffffffffffff"]) {
    const der = await opensslDer(`INTEGER:${v}`);
    assert.deepEqual(derInteger(BigInt(v)), der, v);
    assert.equal(new DerReader(der).integer(), BigInt(v));
  }
});

Deno.test("derInteger() round-trips any bigint", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }), (v) => {
      const r = new DerReader(derInteger(v));
      assert.equal(r.integer(), v);
      r.expectEnd();
    }),
    { numRuns: 500 },
  );
});

Deno.test("DerReader.unsignedBytes() strips the sign octet and refuses negatives", () => {
  assert.deepEqual(reader("02020080").unsignedBytes(), new Uint8Array([0x80]));
  assert.deepEqual(reader("020100").unsignedBytes(), new Uint8Array([0]));
  rejects(() => reader("0201ff").unsignedBytes(), /negative/);
});

Deno.test("DerReader rejects non-minimal integers", () => {
  rejects(() => reader("02020001").integer(), /non-minimal/);
  rejects(() => reader("0202ff80").integer(), /non-minimal/);
  rejects(() => reader("0200").integer(), /empty/);
});

Deno.test("DerReader rejects non-minimal and indefinite lengths", () => {
  rejects(() => reader("048105" + "00".repeat(5)).next(), /non-minimal/);
  rejects(() => reader("04820005" + "00".repeat(5)).next(), /non-minimal/);
  rejects(() => reader("0482009f" + "00".repeat(0x9f)).next(), /non-minimal/);
  rejects(() => reader("30800000").next(), /indefinite/);
  rejects(() => reader("0485ffffffffff").next(), /too large/);
  rejects(() => reader("1f0100").next(), /high tag/);
  // The shortest long forms are fine.
  assert.equal(
    reader("0481" + "80" + "00".repeat(0x80)).next().value.length,
    0x80,
  );
  assert.equal(
    reader("048201" + "00" + "00".repeat(0x100)).next().value.length,
    0x100,
  );
});

Deno.test("DerReader rejects truncation at every byte", () => {
  const der = derSequence([
    derInteger(1234567n),
    derOid("1.2.840.10045.4.3.2"),
    derOctetString(new Uint8Array(300)),
    derExplicit(0, [derBoolean(true)]),
  ]);
  for (let n = 0; n < der.length; n++) {
    rejects(() => {
      const r = new DerReader(der.subarray(0, n));
      const s = r.sequence();
      s.integer();
      s.oid();
      s.octetString();
      s.context(0)?.boolean();
      s.expectEnd();
    });
  }
});

Deno.test("DerReader.expectEnd() rejects trailing data", () => {
  const r = reader("0500" + "00");
  r.null();
  rejects(() => r.expectEnd("x"), /1 trailing bytes/);
  const inner = reader("3003050000").sequence();
  inner.null();
  rejects(() => inner.expectEnd());
});

Deno.test("DerReader reports offsets within the outermost input", () => {
  // SEQUENCE { NULL, INTEGER 00 01 } -- the integer content starts at 6.
  const fixed = decodeHex("3006" + "0500" + "02020001");
  const s = new DerReader(fixed).sequence();
  s.null();
  try {
    s.integer("field");
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof DecodeError);
    assert.equal(e.offset, 6);
    assert.equal(e.what, "field");
  }
});

Deno.test("DerReader reads booleans, NULL, octet and bit strings strictly", () => {
  assert.equal(reader("0101ff").boolean(), true);
  assert.equal(reader("010100").boolean(), false);
  rejects(() => reader("010101").boolean(), /boolean/);
  rejects(() => reader("01020000").boolean());
  rejects(() => reader("050100").null(), /NULL/);
  assert.deepEqual(reader("0402abcd").octetString(), decodeHex("abcd"));
  assert.deepEqual(reader("030100").bitString().bytes, new Uint8Array());
  assert.deepEqual(reader("03020780").bitString(), {
    unusedBits: 7,
    bytes: new Uint8Array([0x80]),
  });
  rejects(() => reader("0300").bitString(), /unused-bits/);
  rejects(() => reader("03020880").bitString(), /unused-bits/);
  rejects(() => reader("030107").bitString(), /unused-bits/);
  // X.690 §11.2.1: padding bits are zero in DER.
  rejects(() => reader("03020781").bitString(), /unused bits/);
  rejects(() => reader("03020180").bitStringBytes(), /unused bits/);
  assert.equal(
    bitStringValue(
      new DerReader(derBitString(new Uint8Array([0x06]), 1)).next(),
    )
      .unusedBits,
    1,
  );
});

Deno.test("DerReader.read() reports the tag it found", () => {
  rejects(
    () => reader("0500").sequence("thing"),
    /expected tag 0x30, got 0x05/,
  );
  rejects(() => reader("").sequence("thing"), /end of input/);
  assert.equal(reader("0500").optional(Tag.INTEGER), undefined);
  assert.equal(reader("").peekTag(), undefined);
});

Deno.test("OIDs encode and decode like openssl", async () => {
  const oids = [
    "1.2.840.10045.4.3.2",
    "2.5.29.19",
    "1.3.6.1.4.1.311.60.2.1.3",
    "2.999.1",
    "0.9.2342.19200300.100.1.25",
    "1.2.840.113549.1.9.16.3.18446744073709551617",
  ];
  for (const oid of oids) {
    const der = await opensslDer(`OID:${oid}`);
    assert.deepEqual(derOid(oid), der, oid);
    assert.equal(new DerReader(der).oid(), oid);
  }
});

Deno.test("decodeOid() rejects empty, truncated and non-minimal encodings", () => {
  rejects(() => decodeOid(new Uint8Array()), /empty/);
  rejects(() => decodeOid(decodeHex("2a86")), /truncated/);
  rejects(() => decodeOid(decodeHex("2a8001")), /non-minimal/);
  rejects(() => decodeOid(decodeHex("80 01")), /non-minimal/);
  assert.throws(() => encodeOid("1.40"), RangeError);
  assert.throws(() => encodeOid("3.1"), RangeError);
  assert.throws(() => encodeOid("1"), RangeError);
});

Deno.test("OIDs round-trip", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.nat({ max: 39 }),
      fc.array(fc.bigInt({ min: 0n, max: 1n << 70n }), { maxLength: 8 }),
      (a, b, rest) => {
        const oid = [a, b, ...rest].join(".");
        assert.equal(decodeOid(encodeOid(oid)), oid);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("DerReader.string() decodes every string type", async () => {
  const cases: [string, string][] = [
    ["FORMAT:UTF8,UTF8String:Grüße", "Grüße"],
    ["PRINTABLESTRING:Hello World", "Hello World"],
    ["IA5STRING:a@b.test", "a@b.test"],
    ["VISIBLESTRING:visible", "visible"],
    ["BMPSTRING:bmp", "bmp"],
    ["UNIVERSALSTRING:uni", "uni"],
    ["T61STRING:t61", "t61"],
  ];
  for (const [gen, text] of cases) {
    assert.equal(new DerReader(await opensslDer(gen)).string(), text, gen);
  }
  assert.equal(reader("1e04d83dde00").string(), "\u{1f600}");
  assert.equal(reader("1c040001f600").string(), "\u{1f600}");
});

Deno.test("DerReader.string() rejects malformed strings", () => {
  rejects(() => reader("0c01ff").string(), /UTF-8/);
  rejects(() => reader("1301e9").string(), /non-ASCII/);
  rejects(() => reader("1e03000041").string(), /odd/);
  rejects(() => reader("1c03000041").string(), /UniversalString/);
  rejects(() => reader("1c0400110000").string(), /out of range/);
  rejects(() => reader("0401aa").string(), /not a string/);
});

Deno.test("string writers produce the golden encodings", () => {
  assert.equal(encodeHex(derUtf8String("é")), "0c02c3a9");
  assert.equal(encodeHex(derPrintableString("DE")), "13024445");
  assert.equal(encodeHex(derIa5String("a@b")), "1603614062");
  assert.equal(encodeHex(derImplicit(2, enc.encode("x"))), "820178");
});

Deno.test("times decode per RFC 5280 and DER", async () => {
  const utc = (s: string) => decodeUtcTime(enc.encode(s)).toISOString();
  const gen = (s: string) => decodeGeneralizedTime(enc.encode(s)).toISOString();
  assert.equal(utc("491231235959Z"), "2049-12-31T23:59:59.000Z");
  assert.equal(utc("500101000000Z"), "1950-01-01T00:00:00.000Z");
  assert.equal(gen("20500101000000Z"), "2050-01-01T00:00:00.000Z");
  assert.equal(gen("20240229120000Z"), "2024-02-29T12:00:00.000Z");
  assert.equal(gen("20240229120000.5Z"), "2024-02-29T12:00:00.500Z");
  // Years before 100 are not shifted into the 1900s.
  assert.equal(gen("00500101000000Z"), "0050-01-01T00:00:00.000Z");
  for (const bad of ["4912312359Z", "491231235959", "491231235959+0100"]) {
    rejects(() => decodeUtcTime(enc.encode(bad)), /malformed/);
  }
  for (
    const bad of [
      "20230229000000Z",
      "20231301000000Z",
      "20230100000000Z",
      "20230101240000Z",
      "20230101006000Z",
      "20230101000060Z",
    ]
  ) {
    rejects(() => decodeGeneralizedTime(enc.encode(bad)), /invalid date/);
  }
  for (
    const bad of ["20230101000000.50Z", "20230101000000.Z", "202301010000Z"]
  ) {
    rejects(() => decodeGeneralizedTime(enc.encode(bad)), /malformed/);
  }
  const der = await opensslDer("UTCTIME:300102030405Z");
  assert.deepEqual(derTime(new Date("2030-01-02T03:04:05Z")), der);
  assert.equal(
    new DerReader(der).time().toISOString(),
    "2030-01-02T03:04:05.000Z",
  );
  const g = await opensslDer("GENTIME:20600102030405Z");
  assert.deepEqual(derTime(new Date("2060-01-02T03:04:05Z")), g);
  assert.deepEqual(derGeneralizedTime(new Date("2060-01-02T03:04:05Z")), g);
});

Deno.test("derSet() sorts its elements and derSequence() keeps their order", () => {
  assert.equal(
    encodeHex(derSet([derInteger(3n), derInteger(1n), derNull()])),
    "3108020101020103" + "0500",
  );
  assert.equal(
    encodeHex(derSequence([derInteger(3n), derInteger(1n)])),
    "3006020103020101",
  );
});

Deno.test("derTlv() uses the shortest length form", () => {
  assert.equal(encodeHex(derTlv(4, new Uint8Array(0x7f))).slice(0, 4), "047f");
  assert.equal(
    encodeHex(derTlv(4, new Uint8Array(0x80))).slice(0, 6),
    "048180",
  );
  assert.equal(
    encodeHex(derTlv(4, new Uint8Array(0x100))).slice(0, 8),
    "04820100",
  );
  assert.equal(
    encodeHex(derTlv(4, new Uint8Array(70000))).slice(0, 10),
    "0483011170",
  );
  const big = derOctetString(new Uint8Array(70000));
  assert.equal(new DerReader(big).octetString().length, 70000);
});

Deno.test("the writer's output is DER that openssl parses", async () => {
  const der = derSequence([
    derInteger(-5n),
    derOid("1.2.3"),
    derSet([derUtf8String("b"), derPrintableString("a")]),
    derExplicit(1, [derBoolean(false)]),
    derBitString(new Uint8Array([0xa0]), 5),
    derTime(new Date("2070-05-06T07:08:09Z")),
  ]);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/x.der`, der);
    const out = new TextDecoder().decode(
      await openssl(["asn1parse", "-inform", "DER", "-in", `${dir}/x.der`]),
    );
    assert.match(out, /INTEGER\s+:-05/);
    assert.match(out, /OBJECT\s+:1\.2\.3/);
    assert.match(out, /GENERALIZEDTIME\s+:20700506070809Z/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
