// Record protection (RFC 5246 §6.2.3, RFC 5288, RFC 6655, RFC 9146 §5):
// round trips for every suite, tampering, the AEAD nonce and additional data
// and the CBC MAC-then-encrypt layout checked against computations made
// here from the raw primitives, CBC padding edge cases, and Connection ID
// records.
import assert from "node:assert/strict";
import { concatBytes, decodeHex } from "../../src/bytes/mod.ts";
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCcm,
  aesGcm,
  hmac,
} from "../../src/crypto/mod.ts";
import {
  CIPHER_SUITES,
  type CipherSuite,
  cipherSuiteByName,
} from "../../src/tls/cipher_suites.ts";
import { ContentType } from "../../src/tls/content_type.ts";
import {
  createRecordProtection,
  dtlsSequence,
  MAX_PLAINTEXT_LENGTH,
  type RecordKeys,
  tlsSequence,
} from "../../src/tls/record_protection.ts";
import { WORST_RECORD_OVERHEAD } from "../../src/dtls/fragment.ts";
import { SeededRandom } from "../support/rng.ts";

const DTLS12 = 0xfefd;
const APP = ContentType.application_data;

function keysFor(suite: CipherSuite, seed = 1): RecordKeys {
  const rng = new SeededRandom(seed);
  return {
    key: rng.bytes(suite.encKeyLength),
    iv: rng.bytes(suite.fixedIvLength),
    macKey: rng.bytes(suite.macKeyLength),
  };
}

function suite(name: string): CipherSuite {
  const s = cipherSuiteByName(name);
  assert.ok(s, name);
  return s;
}

const CCM8 = suite("PSK-AES128-CCM8");
const CCM16 = suite("PSK-AES128-CCM");
const GCM128 = suite("PSK-AES128-GCM-SHA256");
const GCM256 = suite("PSK-AES256-GCM-SHA384");
const CBC256 = suite("PSK-AES128-CBC-SHA256");
const CBC384 = suite("PSK-AES256-CBC-SHA384");

function fixedIv(iv: Uint8Array): (n: number) => Uint8Array {
  return (n) => {
    assert.equal(n, 16);
    return iv.slice();
  };
}

Deno.test("createRecordProtection() round-trips every suite at several lengths", () => {
  const rng = new SeededRandom(7);
  for (const s of CIPHER_SUITES) {
    const keys = keysFor(s);
    const w = createRecordProtection(s, keys);
    const r = createRecordProtection(s, keys);
    for (const len of [0, 1, 15, 16, 17, 100, 1024, MAX_PLAINTEXT_LENGTH]) {
      const pt = rng.bytes(len);
      const seq = dtlsSequence(1, len);
      const f = w.seal(seq, APP, DTLS12, pt);
      assert.ok(f.length <= len + w.overhead, `${s.name} ${len}`);
      assert.deepEqual(r.open(seq, APP, DTLS12, f), pt, `${s.name} ${len}`);
    }
  }
});

Deno.test("RecordProtection.overhead is exact for AEAD and fits WORST_RECORD_OVERHEAD", () => {
  for (const s of CIPHER_SUITES) {
    const p = createRecordProtection(s, keysFor(s));
    assert.ok(p.overhead <= WORST_RECORD_OVERHEAD, s.name);
    if (s.macKeyLength === 0) {
      assert.equal(p.overhead, 8 + s.tagLength, s.name);
      const f = p.seal(dtlsSequence(0, 0), APP, DTLS12, new Uint8Array(33));
      assert.equal(f.length, 33 + p.overhead);
    } else {
      assert.equal(p.overhead, 16 + s.tagLength + 16, s.name);
    }
    assert.equal(p.suite, s);
  }
});

Deno.test("RecordProtection.open() rejects every single-byte change of the fragment", () => {
  for (const s of CIPHER_SUITES) {
    const keys = keysFor(s, 3);
    const p = createRecordProtection(s, keys);
    const seq = dtlsSequence(2, 99);
    const pt = new SeededRandom(5).bytes(40);
    const f = p.seal(seq, APP, DTLS12, pt);
    for (let i = 0; i < f.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const bad = f.slice();
        bad[i] = bad[i]! ^ flip;
        assert.equal(
          p.open(seq, APP, DTLS12, bad),
          undefined,
          `${s.name} byte ${i}`,
        );
      }
    }
    // and every header field that is authenticated
    assert.equal(p.open(dtlsSequence(2, 98), APP, DTLS12, f), undefined);
    assert.equal(p.open(dtlsSequence(3, 99), APP, DTLS12, f), undefined);
    assert.equal(p.open(seq, ContentType.handshake, DTLS12, f), undefined);
    assert.equal(p.open(seq, APP, 0xfeff, f), undefined);
    // truncation and extension
    assert.equal(
      p.open(seq, APP, DTLS12, f.subarray(0, f.length - 1)),
      undefined,
    );
    assert.equal(
      p.open(seq, APP, DTLS12, concatBytes(f, new Uint8Array(16))),
      undefined,
    );
    assert.equal(p.open(seq, APP, DTLS12, new Uint8Array(0)), undefined);
    // another key
    const other = createRecordProtection(s, keysFor(s, 4));
    assert.equal(other.open(seq, APP, DTLS12, f), undefined);
  }
});

Deno.test("RecordProtection.seal() builds the AEAD nonce and additional data of RFC 5288 §3", () => {
  for (const s of [CCM8, CCM16, GCM128, GCM256]) {
    const keys = keysFor(s, 11);
    const p = createRecordProtection(s, keys);
    const seq = dtlsSequence(0x0102, 0x030405060708);
    const pt = new TextEncoder().encode("independent check");
    const f = p.seal(seq, APP, DTLS12, pt);
    const nonce = concatBytes(keys.iv, seq);
    const aad = concatBytes(
      seq,
      new Uint8Array([APP, 0xfe, 0xfd, 0, pt.length]),
    );
    const aead = s.cipher === "aes-128-ccm-8"
      ? aesCcm(keys.key, 8)
      : s.cipher === "aes-128-ccm"
      ? aesCcm(keys.key, 16)
      : aesGcm(keys.key);
    assert.deepEqual(f, concatBytes(seq, aead.seal(nonce, pt, aad)), s.name);
  }
});

Deno.test("RecordProtection.open() takes the explicit nonce from the fragment", () => {
  // RFC 5288 §3: the receiver uses nonce_explicit as sent, even if it is not
  // the sequence number (some stacks send random explicit nonces).
  const keys = keysFor(GCM128, 12);
  const p = createRecordProtection(GCM128, keys);
  const seq = dtlsSequence(1, 5);
  const explicit = decodeHex("a1a2a3a4a5a6a7a8");
  const pt = new Uint8Array([1, 2, 3]);
  const aad = concatBytes(seq, new Uint8Array([APP, 0xfe, 0xfd, 0, 3]));
  const sealed = aesGcm(keys.key).seal(concatBytes(keys.iv, explicit), pt, aad);
  assert.deepEqual(p.open(seq, APP, DTLS12, concatBytes(explicit, sealed)), pt);
});

Deno.test("RecordProtection.seal() lays out CBC records as RFC 5246 §6.2.3.2 says", () => {
  for (const s of [CBC256, CBC384]) {
    const keys = keysFor(s, 13);
    const iv = new SeededRandom(14).bytes(16);
    const p = createRecordProtection(s, keys, { random: fixedIv(iv) });
    const seq = tlsSequence(0x1_0000_0001);
    for (const len of [0, 1, 31, 32, 33, 300]) {
      const pt = new SeededRandom(len).bytes(len);
      const f = p.seal(seq, APP, 0x0303, pt);
      const mac = hmac(
        s.prfHash,
        keys.macKey,
        concatBytes(seq, new Uint8Array([APP, 3, 3, len >> 8, len & 0xff]), pt),
      );
      const padLength = 15 - ((len + mac.length) % 16);
      const padding = new Uint8Array(padLength + 1).fill(padLength);
      const expected = concatBytes(
        iv,
        aesCbcEncrypt(keys.key, iv, concatBytes(pt, mac, padding)),
      );
      assert.deepEqual(f, expected, `${s.name} ${len}`);
    }
  }
});

/** A CBC record made from the primitives, with any padding, good or bad. */
function handmadeCbc(
  s: CipherSuite,
  keys: RecordKeys,
  seq: Uint8Array,
  content: Uint8Array,
  padding: Uint8Array,
  options: { corruptMac?: boolean } = {},
): Uint8Array {
  const mac = hmac(
    s.prfHash,
    keys.macKey,
    concatBytes(
      seq,
      new Uint8Array([
        APP,
        0xfe,
        0xfd,
        content.length >> 8,
        content.length & 0xff,
      ]),
      content,
    ),
  );
  if (options.corruptMac) mac[0] = mac[0]! ^ 1;
  const iv = new Uint8Array(16).fill(0x42);
  return concatBytes(
    iv,
    aesCbcEncrypt(keys.key, iv, concatBytes(content, mac, padding)),
  );
}

Deno.test("RecordProtection.open() accepts CBC records with any valid padding up to 255", () => {
  for (const s of [CBC256, CBC384]) {
    const keys = keysFor(s, 21);
    const p = createRecordProtection(s, keys);
    const seq = dtlsSequence(1, 1);
    for (const padLength of [0, 15, 16, 100, 255]) {
      // choose a content length that makes the total a multiple of 16
      const contentLength = (16 - ((s.tagLength + padLength + 1) % 16)) % 16 +
        16;
      const content = new SeededRandom(padLength).bytes(contentLength);
      const f = handmadeCbc(
        s,
        keys,
        seq,
        content,
        new Uint8Array(padLength + 1).fill(padLength),
      );
      assert.deepEqual(
        p.open(seq, APP, DTLS12, f),
        content,
        `${s.name} pad ${padLength}`,
      );
    }
  }
});

Deno.test("RecordProtection.open() rejects CBC records with bad padding, bad MAC or bad length", () => {
  const s = CBC256;
  const keys = keysFor(s, 22);
  const p = createRecordProtection(s, keys);
  const seq = dtlsSequence(1, 2);
  const content = new Uint8Array(16).fill(9);
  const open = (f: Uint8Array) => p.open(seq, APP, DTLS12, f);
  // one wrong byte inside a long padding
  const pad = new Uint8Array(256).fill(255);
  pad[10] = 254;
  assert.equal(open(handmadeCbc(s, keys, seq, content, pad)), undefined);
  // a wrong first padding byte in a short padding
  assert.equal(
    open(
      handmadeCbc(
        s,
        keys,
        seq,
        content,
        new Uint8Array([
          3,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
          15,
        ]),
      ),
    ),
    undefined,
  );
  // padding length larger than the record: 48 bytes of 0xff
  assert.equal(
    open(
      handmadeCbc(
        s,
        keys,
        seq,
        new Uint8Array(0),
        new Uint8Array(16).fill(0xff),
      ),
    ),
    undefined,
  );
  // valid padding, wrong MAC
  assert.equal(
    open(
      handmadeCbc(s, keys, seq, content, new Uint8Array(16).fill(15), {
        corruptMac: true,
      }),
    ),
    undefined,
  );
  // a record whose "padding" is all zero bytes decodes as pad 0, then the MAC fails
  assert.equal(
    open(handmadeCbc(s, keys, seq, content, new Uint8Array(16))),
    undefined,
  );
  // lengths: too short for IV + MAC + 1, not a whole number of blocks, empty
  for (const n of [0, 1, 15, 16, 17, 16 + 32, 16 + 47, 16 + 49, 16 + 63]) {
    assert.equal(
      open(new SeededRandom(n + 1).bytes(n)),
      undefined,
      `length ${n}`,
    );
  }
  // random garbage of valid lengths never throws
  for (let i = 0; i < 200; i++) {
    const n = 16 + 16 * (3 + (i % 20));
    assert.equal(open(new SeededRandom(1000 + i).bytes(n)), undefined);
  }
});

Deno.test("RecordProtection.open() with bad CBC padding still decrypts a full record's worth", () => {
  // The decrypted record is checked as a whole: a wrong padding byte far from
  // the end (within the last 256 bytes) is found.
  const s = CBC256;
  const keys = keysFor(s, 23);
  const p = createRecordProtection(s, keys);
  const seq = dtlsSequence(1, 3);
  const content = new Uint8Array(16);
  for (const wrongAt of [0, 1, 100, 254]) {
    const pad = new Uint8Array(256).fill(255);
    pad[wrongAt] = 0;
    assert.equal(
      p.open(seq, APP, DTLS12, handmadeCbc(s, keys, seq, content, pad)),
      undefined,
    );
  }
  // sanity: the same record decrypts with the primitives
  const pad = new Uint8Array(256).fill(255);
  const f = handmadeCbc(s, keys, seq, content, pad);
  const plain = aesCbcDecrypt(keys.key, f.subarray(0, 16), f.subarray(16));
  assert.equal(plain[plain.length - 1], 255);
});

Deno.test("RecordProtection.seal() refuses bad sequence numbers and over-long plaintexts", () => {
  const p = createRecordProtection(CCM8, keysFor(CCM8));
  assert.throws(
    () => p.seal(new Uint8Array(6), APP, DTLS12, new Uint8Array()),
    RangeError,
  );
  assert.throws(
    () =>
      p.seal(
        dtlsSequence(0, 0),
        APP,
        DTLS12,
        new Uint8Array(MAX_PLAINTEXT_LENGTH + 1),
      ),
    RangeError,
  );
});

Deno.test("createRecordProtection() refuses keys of the wrong length", () => {
  const k = keysFor(CCM8);
  assert.throws(
    () => createRecordProtection(CCM8, { ...k, key: new Uint8Array(32) }),
    RangeError,
  );
  assert.throws(
    () => createRecordProtection(CCM8, { ...k, iv: new Uint8Array(12) }),
    RangeError,
  );
  assert.throws(
    () =>
      createRecordProtection(CBC256, {
        ...keysFor(CBC256),
        macKey: new Uint8Array(20),
      }),
    RangeError,
  );
});

Deno.test("dtlsSequence() and tlsSequence() encode big-endian and check ranges", () => {
  assert.deepEqual(
    dtlsSequence(0xffff, 2 ** 48 - 1),
    new Uint8Array(8).fill(0xff),
  );
  assert.throws(() => dtlsSequence(0x10000, 0), RangeError);
  assert.throws(() => dtlsSequence(0, 2 ** 48), RangeError);
  assert.deepEqual(tlsSequence(2 ** 53 - 1), decodeHex("001fffffffffffff"));
  assert.throws(() => tlsSequence(-1), RangeError);
});

// ---------------------------------------------------------------- RFC 9146

/**
 * RFC 9146 §5 additional data for epoch 2, sequence 277, CID 01..08 and a
 * 1784-byte DTLSInnerPlaintext, written out field by field. The same bytes
 * are pion/dtls's `TestGenerateAEADAdditionalDataCID` expectation, an
 * independent implementation.
 */
const RFC9146_AAD = concatBytes(
  new Uint8Array(8).fill(0xff), // seq_num_placeholder
  new Uint8Array([25]), // tls12_cid
  new Uint8Array([8]), // cid_length
  new Uint8Array([25]), // tls12_cid
  new Uint8Array([0xfe, 0xfd]), // DTLSCiphertext.version
  new Uint8Array([0x00, 0x02]), // epoch
  new Uint8Array([0, 0, 0, 0, 0x01, 0x15]), // sequence_number 277
  new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), // cid
  new Uint8Array([0x06, 0xf8]), // length_of_DTLSInnerPlaintext 1784
);

Deno.test("RecordProtection.seal() with cid uses the RFC 9146 §5 AEAD additional data", () => {
  assert.deepEqual(
    RFC9146_AAD,
    new Uint8Array([
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      25,
      8,
      25,
      254,
      253,
      0,
      2,
      0,
      0,
      0,
      0,
      1,
      21,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      6,
      248,
    ]),
  );
  const cid = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  for (const s of [CCM8, GCM128]) {
    const keys = keysFor(s, 31);
    const p = createRecordProtection(s, keys);
    const seq = dtlsSequence(2, 277);
    const content = new SeededRandom(32).bytes(1783); // + type byte = 1784
    const f = p.seal(seq, APP, DTLS12, content, { cid });
    const inner = concatBytes(content, new Uint8Array([APP]));
    const aead = s === CCM8 ? aesCcm(keys.key, 8) : aesGcm(keys.key);
    const expected = concatBytes(
      seq,
      aead.seal(concatBytes(keys.iv, seq), inner, RFC9146_AAD),
    );
    assert.deepEqual(f, expected, s.name);
    assert.deepEqual(
      p.open(seq, ContentType.tls12_cid, DTLS12, f, { cid }),
      { type: APP, content },
    );
  }
});

Deno.test("RecordProtection.seal() with cid and padding appends zeros after the real type", () => {
  const keys = keysFor(GCM128, 33);
  const p = createRecordProtection(GCM128, keys);
  const seq = dtlsSequence(1, 0);
  const cid = new Uint8Array([0xc1, 0xd0]);
  const content = new Uint8Array([0x10, 0x00, 0x00]); // trailing zeros in content survive
  const f = p.seal(seq, ContentType.alert, DTLS12, content, {
    cid,
    padding: 5,
  });
  assert.equal(f.length, 8 + content.length + 1 + 5 + 16);
  const inner = aesGcm(keys.key).open(
    concatBytes(keys.iv, seq),
    f.subarray(8),
    concatBytes(
      new Uint8Array(8).fill(0xff),
      new Uint8Array([25, 2, 25, 0xfe, 0xfd]),
      seq,
      cid,
      new Uint8Array([0, 9]),
    ),
  );
  assert.deepEqual(
    inner,
    new Uint8Array([0x10, 0, 0, ContentType.alert, 0, 0, 0, 0, 0]),
  );
  assert.deepEqual(
    p.open(seq, ContentType.tls12_cid, DTLS12, f, { cid }),
    { type: ContentType.alert, content },
  );
});

Deno.test("RecordProtection.open() with cid rejects a wrong CID, header type or an all-zero inner plaintext", () => {
  const keys = keysFor(CCM8, 34);
  const p = createRecordProtection(CCM8, keys);
  const seq = dtlsSequence(1, 4);
  const cid = new Uint8Array([9, 9, 9, 9]);
  const f = p.seal(seq, APP, DTLS12, new Uint8Array([1]), { cid });
  assert.equal(
    p.open(seq, 25, DTLS12, f, { cid: new Uint8Array([9, 9, 9, 8]) }),
    undefined,
  );
  assert.equal(p.open(seq, APP, DTLS12, f, { cid }), undefined);
  assert.equal(p.open(seq, APP, DTLS12, f), undefined); // a CID record is not a plain one
  // an inner plaintext with no content type: sealed by hand
  const aad = concatBytes(
    new Uint8Array(8).fill(0xff),
    new Uint8Array([25, 4, 25, 0xfe, 0xfd]),
    seq,
    cid,
    new Uint8Array([0, 3]),
  );
  const zeros = concatBytes(
    seq,
    aesCcm(keys.key, 8).seal(concatBytes(keys.iv, seq), new Uint8Array(3), aad),
  );
  assert.equal(p.open(seq, 25, DTLS12, zeros, { cid }), undefined);
});

Deno.test("RecordProtection with cid round-trips CBC suites with the RFC 9146 §5.1 MAC", () => {
  for (const s of [CBC256, CBC384]) {
    const keys = keysFor(s, 35);
    const iv = new Uint8Array(16).fill(3);
    const p = createRecordProtection(s, keys, { random: fixedIv(iv) });
    const seq = dtlsSequence(3, 1000);
    const cid = new Uint8Array([0xaa]);
    const content = new SeededRandom(36).bytes(50);
    const f = p.seal(seq, APP, DTLS12, content, { cid, padding: 2 });
    // independent: MAC(prefix || DTLSInnerPlaintext), then pad and encrypt
    const inner = concatBytes(content, new Uint8Array([APP, 0, 0]));
    const mac = hmac(
      s.prfHash,
      keys.macKey,
      concatBytes(
        new Uint8Array(8).fill(0xff),
        new Uint8Array([25, 1, 25, 0xfe, 0xfd]),
        seq,
        cid,
        new Uint8Array([0, inner.length]),
        inner,
      ),
    );
    const padLength = 15 - ((inner.length + mac.length) % 16);
    const body = concatBytes(
      inner,
      mac,
      new Uint8Array(padLength + 1).fill(padLength),
    );
    assert.deepEqual(
      f,
      concatBytes(iv, aesCbcEncrypt(keys.key, iv, body)),
      s.name,
    );
    assert.deepEqual(p.open(seq, 25, DTLS12, f, { cid }), {
      type: APP,
      content,
    });
  }
});

Deno.test("RecordProtection.seal() with cid refuses bad padding and CIDs", () => {
  const p = createRecordProtection(CCM8, keysFor(CCM8));
  const seq = dtlsSequence(1, 0);
  assert.throws(
    () =>
      p.seal(seq, APP, DTLS12, new Uint8Array(1), {
        cid: new Uint8Array(1),
        padding: -1,
      }),
    RangeError,
  );
  assert.throws(
    () =>
      p.seal(seq, APP, DTLS12, new Uint8Array(10), {
        cid: new Uint8Array(1),
        padding: MAX_PLAINTEXT_LENGTH,
      }),
    RangeError,
  );
  assert.throws(
    () =>
      p.seal(seq, APP, DTLS12, new Uint8Array(1), { cid: new Uint8Array(256) }),
    RangeError,
  );
});
