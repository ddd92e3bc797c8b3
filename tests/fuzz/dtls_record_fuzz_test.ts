/**
 * Seeded fuzzing of the DTLS record layer: mutated real datagrams (OpenSSL
 * ClientHellos, multi-record and Connection ID datagrams, protected records)
 * go through `decodeDatagram`, record protection and the handshake
 * reassembler. `decodeDatagram` and `open` must never throw; handshake
 * fragment decoding may only throw `DecodeError`; the reassembler only
 * returns events and stays within its memory bound. Every record that
 * decodes must re-encode to the bytes it came from.
 *
 * Reproduce a failure with its seed; iterations and time are bounded.
 */
import assert from "node:assert/strict";
import { concatBytes, DecodeError, decodeHex } from "../../src/bytes/mod.ts";
import {
  decodeDatagram,
  decodeHandshakeFragments,
  encodeRecord,
  fragmentHandshake,
  Reassembler,
  recordSequence,
} from "../../src/dtls/mod.ts";
import { cipherSuiteByName } from "../../src/tls/cipher_suites.ts";
import {
  createRecordProtection,
  dtlsSequence,
} from "../../src/tls/record_protection.ts";
import {
  OPENSSL_CLIENT_HELLO_1,
  OPENSSL_CLIENT_HELLO_2,
} from "../dtls/_fixtures.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const ITERATIONS = 5000;
const TIME_LIMIT_MS = 10_000;
const CID = decodeHex("0a0b0c0d");

const protections = [
  "PSK-AES128-CCM8",
  "PSK-AES128-GCM-SHA256",
  "PSK-AES128-CBC-SHA256",
].map((name) => {
  const suite = cipherSuiteByName(name)!;
  const rng = new SeededRandom(suite.id);
  return createRecordProtection(suite, {
    key: rng.bytes(suite.encKeyLength),
    iv: rng.bytes(suite.fixedIvLength),
    macKey: rng.bytes(suite.macKeyLength),
  });
});

function protectedRecords(): Uint8Array {
  const out: Uint8Array[] = [];
  protections.forEach((p, i) => {
    const seq = dtlsSequence(1, i);
    out.push(
      encodeRecord({
        type: 23,
        version: 0xfefd,
        epoch: 1,
        sequenceNumber: i,
        fragment: p.seal(seq, 23, 0xfefd, new Uint8Array(20 + i)),
      }),
    );
  });
  return concatBytes(...out);
}

function cidRecord(): Uint8Array {
  const p = protections[0]!;
  const seq = dtlsSequence(1, 9);
  return encodeRecord({
    type: 25,
    version: 0xfefd,
    epoch: 1,
    sequenceNumber: 9,
    cid: CID,
    fragment: p.seal(seq, 23, 0xfefd, new Uint8Array([1, 2, 3]), { cid: CID }),
  });
}

function handshakeDatagram(): Uint8Array {
  const body = new SeededRandom(3).bytes(700);
  return concatBytes(
    ...fragmentHandshake(11, 1, body, 250).map((fragment, i) =>
      encodeRecord({
        type: 22,
        version: 0xfefd,
        epoch: 0,
        sequenceNumber: i + 1,
        fragment,
      })
    ),
  );
}

const CORPUS: Uint8Array[] = [
  decodeHex(OPENSSL_CLIENT_HELLO_1),
  decodeHex(OPENSSL_CLIENT_HELLO_2),
  concatBytes(
    decodeHex(OPENSSL_CLIENT_HELLO_1),
    decodeHex(OPENSSL_CLIENT_HELLO_2),
  ),
  protectedRecords(),
  cidRecord(),
  concatBytes(cidRecord(), protectedRecords()),
  handshakeDatagram(),
];

function checkDatagram(
  input: Uint8Array,
  cidLength: number | undefined,
  reassembler: Reassembler,
): number {
  const out = decodeDatagram(
    input,
    cidLength === undefined ? {} : { cidLength },
  );
  assert.ok(out.dropped === 0 || out.dropped === 1);
  assert.equal(out.dropped === 1, out.error instanceof DecodeError);
  // mirror: the records are exactly a prefix of the input
  const again = concatBytes(...out.records.map(encodeRecord));
  assert.deepEqual(again, input.subarray(0, again.length));
  if (out.dropped === 0) assert.equal(again.length, input.length);
  for (const record of out.records) {
    const seq = recordSequence(record);
    for (const p of protections) {
      if (record.cid !== undefined) {
        const inner = p.open(
          seq,
          record.type,
          record.version,
          record.fragment,
          { cid: record.cid },
        );
        assert.ok(inner === undefined || typeof inner.type === "number");
      } else {
        const plain = p.open(seq, record.type, record.version, record.fragment);
        assert.ok(plain === undefined || plain instanceof Uint8Array);
      }
    }
    if (record.type === 22 && record.epoch === 0) {
      let fragments;
      try {
        fragments = decodeHandshakeFragments(record.fragment);
      } catch (e) {
        if (e instanceof DecodeError) continue;
        throw e;
      }
      for (const f of fragments) {
        for (const event of reassembler.push(f)) {
          assert.ok(
            ["message", "retransmitted", "dropped"].includes(event.kind),
          );
        }
      }
      assert.ok(reassembler.bufferedBytes <= 8 * 65536);
      assert.ok(reassembler.bufferedMessages <= 8);
    }
  }
  return out.records.length;
}

Deno.test("decodeDatagram() and record protection survive mutated datagrams", () => {
  const rng = new SeededRandom(0xd715_0001);
  const deadline = performance.now() + TIME_LIMIT_MS;
  let records = 0;
  let i = 0;
  let reassembler = new Reassembler();
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const input = mutate(rng.pick(CORPUS), rng);
    if (i % 100 === 0) reassembler = new Reassembler();
    try {
      records += checkDatagram(input, rng.pick([undefined, 4, 1]), reassembler);
    } catch (e) {
      throw new Error(`iteration ${i}: ${(e as Error).message}`, { cause: e });
    }
  }
  assert.ok(i >= 500, `only ${i} iterations in the time limit`);
  assert.ok(records > i / 2, `${records} records in ${i} datagrams`);
});

Deno.test("decodeDatagram() survives random bytes", () => {
  const rng = new SeededRandom(0xd715_0002);
  const reassembler = new Reassembler();
  const deadline = performance.now() + TIME_LIMIT_MS / 2;
  for (let i = 0; i < ITERATIONS && performance.now() < deadline; i++) {
    const input = rng.bytes(rng.int(200));
    if (input.length > 0 && rng.int(2) === 0) {
      input[0] = rng.pick([20, 21, 22, 23, 25]);
    }
    if (input.length > 2 && rng.int(2) === 0) input.set([0xfe, 0xfd], 1);
    checkDatagram(input, rng.pick([undefined, 4]), reassembler);
  }
});

Deno.test("Reassembler only drops or returns for mutated handshake fragments", () => {
  const rng = new SeededRandom(0xd715_0003);
  const body = new SeededRandom(4).bytes(3000);
  const messages = [0, 1, 2].flatMap((seq) =>
    fragmentHandshake(11 + seq, seq, body.subarray(0, 1000 * (seq + 1)), 300)
  );
  const deadline = performance.now() + TIME_LIMIT_MS / 2;
  for (let round = 0; round < 200 && performance.now() < deadline; round++) {
    const r = new Reassembler({ maxMessageSize: 4096, maxMessagesAhead: 4 });
    let delivered = 0;
    for (let i = 0; i < 40; i++) {
      const input = rng.int(3) === 0
        ? rng.pick(messages)
        : mutate(rng.pick(messages), rng);
      let fragments;
      try {
        fragments = decodeHandshakeFragments(input);
      } catch (e) {
        if (e instanceof DecodeError) continue;
        throw e;
      }
      for (const f of fragments) {
        for (const e of r.push(f)) {
          if (e.kind === "message") {
            delivered++;
            assert.equal(e.body.length, e.message.length - 12);
          }
        }
      }
      assert.ok(r.bufferedBytes <= 4 * 4096);
      assert.ok(r.bufferedMessages <= 4);
    }
    assert.ok(delivered <= r.nextMessageSeq);
  }
});
