import assert from "node:assert/strict";
import { concatBytes } from "../../src/bytes/mod.ts";
import { digest } from "../../src/crypto/mod.ts";
import { Transcript } from "../../src/tls/transcript.ts";
import { SeededRandom } from "../support/rng.ts";
import { fixture, transcriptMessages } from "./_fixtures.ts";

const rng = new SeededRandom(4_2_6);

function message(type: number, length: number): Uint8Array {
  const body = rng.bytes(length);
  return concatBytes(
    new Uint8Array([type, 0, length >> 8, length & 0xff]),
    body,
  );
}

Deno.test("Transcript buffers until setHash() and then hashes what came before", () => {
  const hello = message(1, 100);
  const serverHello = message(2, 70);
  const t = new Transcript();
  t.add(hello);
  t.add(serverHello);
  assert.equal(t.hashAlgorithm, undefined);
  assert.throws(() => t.hash(), TypeError);
  t.setHash("SHA-384");
  assert.deepEqual(
    t.hash(),
    digest("SHA-384", concatBytes(hello, serverHello)),
  );
  assert.equal(t.messageCount, 2);
  assert.equal(t.byteLength, hello.length + serverHello.length);
});

Deno.test("Transcript.hash() matches a one-shot digest after every message", () => {
  const t = new Transcript();
  t.setHash("SHA-256");
  const all: Uint8Array[] = [];
  for (const type of [1, 2, 11, 12, 13, 14, 11, 16, 15, 20, 20]) {
    const m = message(type, rng.int(600));
    t.add(m);
    all.push(m);
    assert.deepEqual(t.hash(), digest("SHA-256", concatBytes(...all)));
  }
  assert.deepEqual(t.bytes(), concatBytes(...all));
});

Deno.test("Transcript.sessionHash() is the hash up to and including ClientKeyExchange (RFC 7627 §3)", () => {
  const t = new Transcript();
  assert.throws(() => t.sessionHash(), TypeError);
  const before = [
    message(1, 50),
    message(2, 40),
    message(14, 0),
    message(16, 33),
  ];
  t.add(before[0]!);
  t.setHash("SHA-256");
  for (const m of before.slice(1)) t.add(m);
  const expected = digest("SHA-256", concatBytes(...before));
  assert.deepEqual(t.sessionHash(), expected);
  t.add(message(15, 72));
  t.add(message(20, 12));
  assert.deepEqual(t.sessionHash(), expected);
  assert.notDeepEqual(t.hash(), expected);
});

Deno.test("Transcript.sessionHash() is taken even when setHash() comes after ClientKeyExchange", () => {
  const ms = [message(1, 20), message(2, 20), message(16, 20)];
  const t = new Transcript();
  for (const m of ms) t.add(m);
  assert.throws(() => t.sessionHash(), TypeError);
  t.setHash("SHA-256");
  assert.deepEqual(t.sessionHash(), digest("SHA-256", concatBytes(...ms)));
});

Deno.test("Transcript.setHash() refuses to change the hash", () => {
  const t = new Transcript();
  t.setHash("SHA-256");
  t.setHash("SHA-256");
  assert.throws(() => t.setHash("SHA-384"), TypeError);
});

Deno.test("Transcript.add() refuses a HelloVerifyRequest and an empty message (RFC 6347 §4.2.6)", () => {
  const t = new Transcript();
  assert.throws(() => t.add(message(3, 10)), TypeError);
  assert.throws(() => t.add(new Uint8Array(0)), TypeError);
  assert.equal(t.messageCount, 0);
});

Deno.test("Transcript.reset() forgets the first ClientHello after a HelloVerifyRequest", () => {
  const first = message(1, 60);
  const second = message(1, 92);
  const t = new Transcript();
  t.add(first);
  t.reset();
  t.add(second);
  t.setHash("SHA-256");
  assert.deepEqual(t.hash(), digest("SHA-256", second));
  assert.deepEqual(t.bytes(), second);
});

Deno.test("Transcript over OpenSSL's DTLS messages gives the EMS session hash of its 12-byte-header form", () => {
  const f = fixture("dtls-psk-ccm8-hvr-ems");
  const messages = transcriptMessages(f);
  assert.equal(messages[0]!.type, 1);
  assert.ok(messages[0]!.body.length > 0);
  const t = new Transcript();
  for (const m of messages) {
    if (m.type === 16) {
      t.add(m.raw);
      break;
    }
    t.add(m.raw);
  }
  t.setHash("SHA-256");
  const upToCke = messages.slice(
    0,
    messages.findIndex((m) => m.type === 16) + 1,
  );
  assert.deepEqual(
    t.sessionHash(),
    digest("SHA-256", concatBytes(...upToCke.map((m) => m.raw))),
  );
});
