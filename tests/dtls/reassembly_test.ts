// Handshake reassembly (RFC 6347 §4.2.2, §4.2.3): any order, overlaps and
// duplicates give each message once, in message_seq order, in its
// unfragmented form; memory stays bounded; old message_seq values are
// reported as retransmissions.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeHandshakeMessage,
  type HandshakeFragment,
} from "../../src/dtls/fragment.ts";
import {
  Reassembler,
  type ReassemblyEvent,
} from "../../src/dtls/reassembly.ts";
import { SeededRandom } from "../support/rng.ts";

function frag(
  messageSeq: number,
  body: Uint8Array,
  offset: number,
  end: number,
  msgType = 11,
): HandshakeFragment {
  return {
    msgType,
    length: body.length,
    messageSeq,
    fragmentOffset: offset,
    body: body.subarray(offset, end),
  };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((
      p,
    ) => [x, ...p])
  );
}

function messages(events: ReassemblyEvent[]) {
  return events.filter((e) => e.kind === "message");
}

Deno.test("Reassembler completes a message from its fragments in every order", () => {
  const body = new SeededRandom(1).bytes(40);
  const parts = [
    frag(0, body, 0, 10),
    frag(0, body, 10, 20),
    frag(0, body, 20, 30),
    frag(0, body, 30, 40),
  ];
  for (const order of permutations(parts)) {
    const r = new Reassembler();
    const events = order.flatMap((f) => r.push(f));
    const done = messages(events);
    assert.equal(done.length, 1);
    assert.deepEqual(done[0]!.body, body);
    assert.deepEqual(done[0]!.message, encodeHandshakeMessage(11, 0, body));
    assert.equal(done[0]!.msgType, 11);
    assert.equal(r.nextMessageSeq, 1);
    assert.equal(r.bufferedMessages, 0);
  }
});

Deno.test("Reassembler delivers buffered later messages once the gap fills", () => {
  const r = new Reassembler();
  const a = new Uint8Array([1]);
  const b = new Uint8Array([2, 2]);
  const c = new Uint8Array(0);
  assert.deepEqual(r.push(frag(2, c, 0, 0, 14)), []);
  assert.deepEqual(r.push(frag(1, b, 0, 2, 12)), []);
  const events = r.push(frag(0, a, 0, 1, 2));
  assert.deepEqual(
    events.map((e) =>
      e.kind === "message" ? [e.messageSeq, e.msgType] : e.kind
    ),
    [[0, 2], [1, 12], [2, 14]],
  );
  assert.equal(r.nextMessageSeq, 3);
});

Deno.test("Reassembler reports fragments of delivered messages as retransmitted", () => {
  const r = new Reassembler({ initialMessageSeq: 1 });
  const body = new Uint8Array(4);
  assert.equal(messages(r.push(frag(1, body, 0, 4))).length, 1);
  const retransmitted = (
    messageSeq: number,
    endsMessage: boolean,
  ) => [{ kind: "retransmitted", messageSeq, endsMessage }];
  assert.deepEqual(r.push(frag(1, body, 0, 2)), retransmitted(1, false));
  assert.deepEqual(r.push(frag(1, body, 2, 4)), retransmitted(1, true));
  assert.deepEqual(r.push(frag(0, body, 0, 4)), retransmitted(0, true));
});

Deno.test("Reassembler drops fragments whose type or length disagree with the first", () => {
  const r = new Reassembler();
  const body = new Uint8Array(10);
  assert.deepEqual(r.push(frag(0, body, 0, 5)), []);
  assert.deepEqual(r.push(frag(0, body, 5, 10, 12)), [{
    kind: "dropped",
    messageSeq: 0,
    reason: "inconsistent",
  }]);
  assert.deepEqual(r.push(frag(0, new Uint8Array(11), 5, 10)), [{
    kind: "dropped",
    messageSeq: 0,
    reason: "inconsistent",
  }]);
  assert.equal(messages(r.push(frag(0, body, 5, 10))).length, 1);
});

Deno.test("Reassembler drops messages too large or too far ahead", () => {
  const r = new Reassembler({ maxMessageSize: 100, maxMessagesAhead: 2 });
  assert.deepEqual(r.push(frag(0, new Uint8Array(101), 0, 10)), [{
    kind: "dropped",
    messageSeq: 0,
    reason: "too_large",
  }]);
  assert.deepEqual(r.push(frag(2, new Uint8Array(5), 0, 5)), [{
    kind: "dropped",
    messageSeq: 2,
    reason: "too_far_ahead",
  }]);
  assert.deepEqual(r.push(frag(1, new Uint8Array(5), 0, 5)), []);
  assert.equal(r.bufferedMessages, 1);
  assert.deepEqual(
    r.push({
      msgType: 1,
      length: 3,
      messageSeq: 0,
      fragmentOffset: 2,
      body: new Uint8Array(2),
    }),
    [{ kind: "dropped", messageSeq: 0, reason: "malformed" }],
  );
  assert.deepEqual(
    r.push({
      msgType: 1,
      length: 3,
      messageSeq: 70000,
      fragmentOffset: 0,
      body: new Uint8Array(2),
    }),
    [{ kind: "dropped", messageSeq: 70000, reason: "malformed" }],
  );
});

Deno.test("Reassembler memory stays within maxMessagesAhead × maxMessageSize under a flood", () => {
  const r = new Reassembler({ maxMessageSize: 65536, maxMessagesAhead: 8 });
  const rng = new SeededRandom(9);
  for (let i = 0; i < 3000; i++) {
    const length = rng.int(200_000);
    const offset = rng.int(length + 1);
    const n = Math.min(length - offset, rng.int(64));
    r.push({
      msgType: rng.int(256),
      length,
      messageSeq: 1 + rng.int(20), // message 0 never arrives
      fragmentOffset: offset,
      body: rng.bytes(n),
    });
    assert.ok(r.bufferedBytes <= 8 * 65536);
    assert.ok(r.bufferedMessages <= 7);
  }
});

Deno.test("Reassembler puts a 64 KiB message together from 1-byte fragments in linear time", () => {
  const body = new SeededRandom(10).bytes(65536);
  const r = new Reassembler();
  const started = performance.now();
  let done: ReassemblyEvent[] = [];
  for (let i = body.length - 1; i >= 0; i--) {
    done = r.push(frag(0, body, i, i + 1));
  }
  assert.equal(messages(done).length, 1);
  assert.deepEqual(messages(done)[0]!.body, body);
  assert.ok(performance.now() - started < 2000);
});

Deno.test("Reassembler gives each message once for any overlapping, duplicated, shuffled fragments", () => {
  const message = fc.uint8Array({ maxLength: 600 });
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (bodies, seed) => {
        const rng = new SeededRandom(seed);
        const fragments: HandshakeFragment[] = [];
        bodies.forEach((body, seq) => {
          // a covering split...
          let offset = 0;
          do {
            const end = Math.min(body.length, offset + 1 + rng.int(200));
            fragments.push(frag(seq, body, offset, end, 10 + seq));
            offset = end;
          } while (offset < body.length);
          // ...plus random overlapping ranges and exact duplicates
          for (let i = rng.int(4); i > 0; i--) {
            const a = rng.int(body.length + 1);
            const b = a + rng.int(body.length - a + 1);
            fragments.push(frag(seq, body, a, b, 10 + seq));
          }
          if (fragments.length > 0) fragments.push(rng.pick(fragments));
        });
        for (let i = fragments.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [fragments[i], fragments[j]] = [fragments[j]!, fragments[i]!];
        }
        const r = new Reassembler();
        const events = fragments.flatMap((f) => r.push(f));
        const done = messages(events);
        assert.deepEqual(
          done.map((m) => m.messageSeq),
          bodies.map((_, i) => i),
        );
        done.forEach((m, i) => {
          assert.deepEqual(m.body, bodies[i]);
          assert.deepEqual(
            m.message,
            encodeHandshakeMessage(10 + i, i, bodies[i]!),
          );
        });
        assert.ok(events.every((e) => e.kind !== "dropped"));
        assert.equal(r.bufferedMessages, 0);
      },
    ),
    { numRuns: 300 },
  );
});
