// DTLS handshake header codec and fragmentation (RFC 6347 §4.2.2, §4.2.3).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ByteReader,
  concatBytes,
  DecodeError,
  decodeHex,
  encodeHex,
} from "../../src/bytes/mod.ts";
import {
  decodeHandshakeFragment,
  decodeHandshakeFragments,
  DEFAULT_MAX_FRAGMENT_BODY,
  encodeHandshakeFragment,
  encodeHandshakeMessage,
  fragmentHandshake,
  maxHandshakeFragmentBody,
} from "../../src/dtls/fragment.ts";
import { decodeDatagram } from "../../src/dtls/record.ts";
import { OPENSSL_CLIENT_HELLO_2 } from "./_fixtures.ts";

Deno.test("decodeHandshakeFragment() reads OpenSSL's ClientHello header", () => {
  const record = decodeDatagram(decodeHex(OPENSSL_CLIENT_HELLO_2)).records[0]!;
  const [f, ...rest] = decodeHandshakeFragments(record.fragment);
  assert.equal(rest.length, 0);
  assert.equal(f!.msgType, 1);
  assert.equal(f!.length, 0x88);
  assert.equal(f!.messageSeq, 1);
  assert.equal(f!.fragmentOffset, 0);
  assert.equal(f!.body.length, 0x88);
  // mirror
  assert.deepEqual(encodeHandshakeFragment(f!), record.fragment);
});

Deno.test("decodeHandshakeFragment() rejects fragments past the message and truncation", () => {
  // offset 4 + length 4 > length 6
  const bad = decodeHex("0b000006000200000400000401020304");
  assert.throws(
    () => decodeHandshakeFragment(new ByteReader(bad)),
    DecodeError,
  );
  const ok = encodeHandshakeMessage(1, 0, new Uint8Array(10));
  assert.deepEqual(decodeHandshakeFragments(new Uint8Array(0)), []);
  for (let n = 1; n < ok.length; n++) {
    assert.throws(
      () => decodeHandshakeFragments(ok.subarray(0, n)),
      DecodeError,
      `${n}`,
    );
  }
});

Deno.test("encodeHandshakeFragment() writes the 12-byte header", () => {
  const bytes = encodeHandshakeFragment({
    msgType: 11,
    length: 0x010203,
    messageSeq: 0x0405,
    fragmentOffset: 0x000100,
    body: new Uint8Array([0xaa, 0xbb]),
  });
  assert.equal(encodeHex(bytes), "0b0102030405000100000002aabb");
  assert.throws(
    () =>
      encodeHandshakeFragment({
        msgType: 1,
        length: 1,
        messageSeq: 0,
        fragmentOffset: 0,
        body: new Uint8Array(2),
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeHandshakeFragment({
        msgType: 1,
        length: 2,
        messageSeq: 65536,
        fragmentOffset: 0,
        body: new Uint8Array(2),
      }),
    RangeError,
  );
});

Deno.test("maxHandshakeFragmentBody() subtracts every header from the MTU", () => {
  assert.equal(DEFAULT_MAX_FRAGMENT_BODY, 1280 - 48 - 13 - 80 - 12);
  assert.equal(
    maxHandshakeFragmentBody({ recordOverhead: 16, cidLength: 8 }),
    1280 - 48 - 13 - 8 - 16 - 12,
  );
  assert.equal(maxHandshakeFragmentBody({ mtu: 50 }), 1);
});

Deno.test("fragmentHandshake() keeps every record within an IPv6 minimum-MTU datagram", () => {
  const body = new Uint8Array(5000).map((_, i) => i & 0xff);
  const parts = fragmentHandshake(11, 3, body);
  for (const p of parts) {
    // record header + fragment + worst overhead + IPv6/UDP fits 1280
    assert.ok(13 + p.length + 80 + 48 <= 1280, `${p.length}`);
  }
  const fragments = parts.map((p) =>
    decodeHandshakeFragment(new ByteReader(p))
  );
  assert.deepEqual(concatBytes(...fragments.map((f) => f.body)), body);
  assert.ok(
    fragments.every((f) =>
      f.length === 5000 && f.messageSeq === 3 && f.msgType === 11
    ),
  );
});

Deno.test("fragmentHandshake() emits one fragment for an empty body", () => {
  const parts = fragmentHandshake(14, 2, new Uint8Array(0), 100);
  assert.deepEqual(parts, [encodeHandshakeMessage(14, 2, new Uint8Array(0))]);
  assert.throws(
    () => fragmentHandshake(14, 2, new Uint8Array(1), 0),
    RangeError,
  );
});

Deno.test("fragmentHandshake() fragments cover the body exactly, in order", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.integer({ min: 1, max: 1500 }),
      (body, max) => {
        const fragments = decodeHandshakeFragments(
          concatBytes(...fragmentHandshake(2, 7, body, max)),
        );
        let offset = 0;
        for (const f of fragments) {
          assert.equal(f.fragmentOffset, offset);
          assert.ok(f.body.length <= max);
          offset += f.body.length;
        }
        assert.equal(offset, body.length);
      },
    ),
    { numRuns: 200 },
  );
});
