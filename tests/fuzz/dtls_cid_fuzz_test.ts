/**
 * Seeded fuzz of the connection ID paths (RFC 9146): mutated `tls12_cid`
 * records from many addresses and resumed-handshake ClientHellos never
 * crash the server endpoint, never move an association to an address whose
 * record did not authenticate, and keep the tables bounded.
 */
import assert from "node:assert/strict";
import {
  DtlsServerEndpoint,
  type EndpointEvent,
} from "../../src/dtls/endpoint.ts";
import { DtlsAssociation } from "../../src/dtls/association.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../src/tls/session_cache.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const KEY = new Uint8Array(16).fill(2);

Deno.test("DtlsServerEndpoint survives mutated connection ID records and resumption hellos", async () => {
  const rng = new SeededRandom(11);
  const cache = new SessionCache<ResumableSession>({ maxEntries: 4 });
  const endpoint = new DtlsServerEndpoint({
    handshake: { psk: () => KEY, sessionCache: cache },
    maxHandshakes: 8,
    maxAssociations: 16,
  });
  const home = { hostname: "192.0.2.1", port: 1 };
  const corpus: Uint8Array[] = [];
  const handshake = async (
    session?: ResumableSession,
  ): Promise<DtlsAssociation> => {
    const client = new DtlsAssociation({
      role: "client",
      client: {
        psk: { identity: "d", key: KEY },
        ...(session === undefined ? {} : { session }),
      },
      connectionId: new Uint8Array(0),
    });
    client.start(0);
    for (let i = 0; i < 8; i++) {
      for (let d; (d = client.pollTransmit()) !== undefined;) {
        corpus.push(d);
        await endpoint.handleInput(0, d, home);
      }
      for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
        await client.handleInput(0, t.bytes);
      }
    }
    assert.ok(client.established);
    return client;
  };
  const first = await handshake();
  const client = await handshake(first.session?.resumable);
  assert.equal(client.session?.resumed, true);
  client.send(new Uint8Array([1, 2, 3]));
  const data = client.pollTransmit()!;
  corpus.push(data);
  await endpoint.handleInput(0, data, home);
  const moved: EndpointEvent[] = [];
  for (let i = 0; i < 3000; i++) {
    const base = corpus[rng.int(corpus.length)]!;
    const bytes = i % 4 === 0 ? rng.bytes(rng.int(120)) : mutate(base, rng);
    if (i % 5 === 0) bytes[0] = 25; // tls12_cid
    const from = {
      hostname: `198.51.100.${rng.int(30)}`,
      port: 1 + rng.int(3),
    };
    await endpoint.handleInput(i, bytes, from);
    endpoint.handleTimeout(i);
    while (endpoint.pollTransmit() !== undefined) { /* drain */ }
    for (let e; (e = endpoint.pollEvent()) !== undefined;) {
      if (e.event.kind === "address_changed") moved.push(e);
    }
    assert.ok(endpoint.size <= 16);
    assert.ok(cache.size <= 4);
  }
  // mutated copies never authenticate as newer records: nobody moved
  assert.deepEqual(moved, []);
});
