import assert from "node:assert/strict";
import { viewClientHello } from "../../src/dtls/client_hello_view.ts";
import { DtlsAssociation } from "../../src/dtls/association.ts";
import { decodeRecord } from "../../src/dtls/record.ts";
import { decodeHandshakeFragment } from "../../src/dtls/fragment.ts";
import { decodeClientHello } from "../../src/tls/messages/mod.ts";
import { ByteReader, concatBytes } from "../../src/bytes/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const KEY = new Uint8Array(16).fill(1);

/** A real first ClientHello of our client, with or without a CID offer. */
function firstHello(connectionId: boolean): Uint8Array {
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY } },
    ...(connectionId ? { connectionId: new Uint8Array([7, 7]) } : {}),
  });
  client.start(0);
  return client.pollTransmit()!;
}

/** The full decoder's reading of the datagram's first ClientHello. */
function decoded(datagram: Uint8Array) {
  const record = decodeRecord(new ByteReader(datagram));
  const f = decodeHandshakeFragment(new ByteReader(record.fragment));
  return {
    record,
    fragment: f,
    hello: decodeClientHello(f.body, { dtls: true }),
  };
}

Deno.test("viewClientHello locates what the full decoder reads", () => {
  for (const cid of [false, true]) {
    const datagram = firstHello(cid);
    const view = viewClientHello(datagram)!;
    const { record, fragment, hello } = decoded(datagram);
    assert.equal(view.recordSeq, record.sequenceNumber);
    assert.equal(view.messageSeq, fragment.messageSeq);
    assert.deepEqual(view.random, hello.random);
    assert.deepEqual(view.cookie, hello.cookie);
    assert.equal(
      view.offersConnectionId,
      hello.extensions.some((e) => e.type === "connection_id"),
    );
    assert.equal(view.offersConnectionId, cid);
    // the binding is version, random, session_id, cipher_suites and
    // compression_methods as they stand on the wire
    const suites = new Uint8Array(2 + 2 * hello.cipherSuites.length);
    suites[1] = 2 * hello.cipherSuites.length;
    hello.cipherSuites.forEach((s, i) => {
      suites[2 + 2 * i] = s >> 8;
      suites[3 + 2 * i] = s & 0xff;
    });
    const expected = concatBytes(
      new Uint8Array([hello.version >> 8, hello.version & 0xff]),
      hello.random,
      new Uint8Array([hello.sessionId.length]),
      hello.sessionId,
      suites,
      new Uint8Array([hello.compressionMethods.length]),
      new Uint8Array(hello.compressionMethods),
    );
    assert.deepEqual(concatBytes(...view.binding), expected);
  }
});

Deno.test("viewClientHello refuses fragments, other epochs and other messages", () => {
  const datagram = firstHello(false);
  const epoch1 = datagram.slice();
  epoch1[4] = 1;
  assert.equal(viewClientHello(epoch1), undefined);
  const fragmented = datagram.slice();
  fragmented[13 + 11] = fragmented[13 + 11]! - 1; // fragment_length < length
  assert.equal(viewClientHello(fragmented), undefined);
  const other = datagram.slice();
  other[13] = 2;
  assert.equal(viewClientHello(other), undefined);
  assert.equal(
    viewClientHello(datagram.subarray(0, datagram.length - 1)),
    undefined,
  );
});

Deno.test("viewClientHello on seeded mutations: no throw, views stay inside the datagram", () => {
  const rng = new SeededRandom(41);
  const corpus = [firstHello(false), firstHello(true)];
  let located = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = i % 5 === 0
      ? rng.bytes(rng.int(300))
      : mutate(corpus[rng.int(corpus.length)]!, rng);
    const view = viewClientHello(bytes);
    if (view === undefined) continue;
    located++;
    for (const v of [view.random, view.cookie, ...view.binding]) {
      assert.equal(v.buffer, bytes.buffer);
      assert.ok(v.byteOffset + v.length <= bytes.length);
    }
    assert.equal(view.random.length, 32);
  }
  assert.ok(
    located > 100,
    `only ${located} mutations kept a ClientHello shape`,
  );
});
