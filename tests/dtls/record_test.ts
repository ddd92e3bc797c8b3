// DTLS record header codec (RFC 6347 §4.1, RFC 9146 §4): golden bytes from
// OpenSSL (parse, generate, mirror, split), several records per datagram,
// silent discard of malformed records with a drop count, CID records.
import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import {
  decodeDatagram,
  type DtlsRecord,
  encodeRecord,
  MAX_RECORD_FRAGMENT_LENGTH,
  packDatagrams,
  recordSequence,
} from "../../src/dtls/record.ts";
import { OPENSSL_CLIENT_HELLO_1, OPENSSL_CLIENT_HELLO_2 } from "./_fixtures.ts";

function rec(seq: number, fragment = new Uint8Array([seq & 0xff])): DtlsRecord {
  return { type: 22, version: 0xfefd, epoch: 0, sequenceNumber: seq, fragment };
}

Deno.test("decodeDatagram() parses OpenSSL's ClientHello records", () => {
  for (
    const [hex, seq, length] of [[OPENSSL_CLIENT_HELLO_1, 0, 0x74], [
      OPENSSL_CLIENT_HELLO_2,
      1,
      0x94,
    ]] as const
  ) {
    const bytes = decodeHex(hex);
    const { records, dropped } = decodeDatagram(bytes);
    assert.equal(dropped, 0);
    assert.equal(records.length, 1);
    const r = records[0]!;
    assert.equal(r.type, 22);
    assert.equal(r.version, 0xfeff); // RFC 6347 §4.1: 1.0 allowed for ClientHello
    assert.equal(r.epoch, 0);
    assert.equal(r.sequenceNumber, seq);
    assert.equal(r.fragment.length, length);
    assert.equal(r.cid, undefined);
    // mirror: re-encoding gives the captured bytes
    assert.equal(encodeHex(encodeRecord(r)), hex);
  }
});

Deno.test("decodeDatagram() reads every record of a datagram in order", () => {
  const records = [
    rec(0, new Uint8Array(0)),
    rec(1),
    rec(2, new Uint8Array(500)),
  ];
  const datagram = concatBytes(...records.map(encodeRecord));
  const out = decodeDatagram(datagram);
  assert.equal(out.dropped, 0);
  assert.deepEqual(out.records, records);
});

Deno.test("decodeDatagram() keeps the records before a malformed one and counts one drop", () => {
  const good = concatBytes(encodeRecord(rec(0)), encodeRecord(rec(1)));
  // [name, bad bytes, whether a good record may follow them]
  const cases: [string, Uint8Array, boolean][] = [
    ["truncated header", new Uint8Array([22, 0xfe, 0xfd, 0]), false],
    ["length past the end", decodeHex("16fefd000000000000000500100102"), false],
    ["unknown type", encodeRecord({ ...rec(2), type: 30 }), true],
    ["unknown version", decodeHex("16030300000000000000020001aa"), true],
    [
      "cid record without negotiated cid",
      decodeHex("19fefd0001000000000002aabb0001ff"),
      true,
    ],
  ];
  for (const [name, bad, more] of cases) {
    const tail = more ? encodeRecord(rec(3)) : new Uint8Array(0);
    const out = decodeDatagram(concatBytes(good, bad, tail));
    assert.deepEqual(out.records.map((r) => r.sequenceNumber), [0, 1], name);
    assert.equal(out.dropped, 1, name);
    assert.ok(out.error, name);
  }
  assert.deepEqual(decodeDatagram(new Uint8Array(0)), {
    records: [],
    dropped: 0,
  });
});

Deno.test("decodeDatagram() drops records longer than 2^14 + 2048", () => {
  const max = new Uint8Array(MAX_RECORD_FRAGMENT_LENGTH);
  assert.equal(decodeDatagram(encodeRecord(rec(0, max))).records.length, 1);
  const over = concatBytes(
    decodeHex("17fefd00010000000000000000").subarray(0, 11),
    new Uint8Array([
      (MAX_RECORD_FRAGMENT_LENGTH + 1) >> 8,
      (MAX_RECORD_FRAGMENT_LENGTH + 1) & 0xff,
    ]),
    new Uint8Array(MAX_RECORD_FRAGMENT_LENGTH + 1),
  );
  const out = decodeDatagram(over);
  assert.equal(out.records.length, 0);
  assert.equal(out.dropped, 1);
  assert.match(out.error!.message, /exceeds/);
  assert.throws(
    () => encodeRecord(rec(0, new Uint8Array(MAX_RECORD_FRAGMENT_LENGTH + 1))),
    RangeError,
  );
});

Deno.test("decodeDatagram() reads RFC 9146 tls12_cid records with the known CID length", () => {
  const cid = decodeHex("c0ffee01");
  const r: DtlsRecord = {
    type: 25,
    version: 0xfefd,
    epoch: 1,
    sequenceNumber: 2 ** 48 - 1,
    cid,
    fragment: decodeHex("0102030405"),
  };
  const bytes = encodeRecord(r);
  // type, version, epoch, seq, cid (no length byte), length, fragment
  assert.equal(
    encodeHex(bytes),
    "19fefd0001ffffffffffffc0ffee0100050102030405",
  );
  const out = decodeDatagram(concatBytes(bytes, encodeRecord(rec(7))), {
    cidLength: 4,
  });
  assert.deepEqual(out.records, [r, rec(7)]);
  // the wrong CID length misreads the record and stops there
  assert.equal(decodeDatagram(bytes, { cidLength: 6 }).dropped, 1);
});

Deno.test("encodeRecord() refuses inconsistent CIDs and out-of-range fields", () => {
  assert.throws(
    () => encodeRecord({ ...rec(0), cid: new Uint8Array(2) }),
    TypeError,
  );
  assert.throws(() => encodeRecord({ ...rec(0), type: 25 }), TypeError);
  assert.throws(
    () => encodeRecord({ ...rec(0), type: 25, cid: new Uint8Array(0) }),
    RangeError,
  );
  assert.throws(() => encodeRecord(rec(2 ** 48)), RangeError);
  assert.throws(() => encodeRecord({ ...rec(0), epoch: 65536 }), RangeError);
});

Deno.test("recordSequence() is epoch || sequence_number", () => {
  assert.equal(
    encodeHex(
      recordSequence({ epoch: 0xabcd, sequenceNumber: 0x123456789abc }),
    ),
    "abcd123456789abc",
  );
});

Deno.test("packDatagrams() fills datagrams in order without splitting records", () => {
  const records = [10, 20, 30, 5, 40].map((n) => new Uint8Array(n).fill(n));
  const out = packDatagrams(records, 50);
  assert.deepEqual(out.map((d) => d.length), [30, 35, 40]);
  assert.deepEqual(concatBytes(...out), concatBytes(...records));
  // a record bigger than the budget goes alone
  assert.deepEqual(
    packDatagrams(
      [new Uint8Array(5), new Uint8Array(80), new Uint8Array(5)],
      50,
    ).map((d) => d.length),
    [5, 80, 5],
  );
  assert.deepEqual(packDatagrams([], 50), []);
});

Deno.test("encodeRecord() and decodeDatagram() round-trip arbitrary records", () => {
  const record = fc.record({
    type: fc.constantFrom(20, 21, 22, 23, 24),
    version: fc.constantFrom(0xfefd, 0xfeff),
    epoch: fc.integer({ min: 0, max: 0xffff }),
    sequenceNumber: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    fragment: fc.uint8Array({ maxLength: 300 }),
  });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (records) => {
      const out = decodeDatagram(concatBytes(...records.map(encodeRecord)));
      assert.equal(out.dropped, 0);
      assert.deepEqual(out.records, records.map((r) => ({ ...r })));
    }),
    { numRuns: 200 },
  );
});
