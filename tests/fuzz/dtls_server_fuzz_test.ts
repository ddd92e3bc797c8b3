/** Seeded fuzz of the DTLS server endpoint: arbitrary and mutated datagrams never crash it and keep memory bounded. */
import assert from "node:assert/strict";
import { DtlsServerEndpoint } from "../../src/dtls/endpoint.ts";
import { DtlsAssociation } from "../../src/dtls/association.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const KEY = new Uint8Array(16).fill(1);

Deno.test("DtlsServerEndpoint survives seeded random and mutated datagrams", async () => {
  const rng = new SeededRandom(7);
  const endpoint = new DtlsServerEndpoint({
    handshake: { psk: () => KEY },
    maxHandshakes: 8,
    maxAssociations: 16,
  });
  // a real corpus: one client's flights
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY } },
  });
  const peer = { hostname: "192.0.2.1", port: 1 };
  client.start(0);
  const corpus: Uint8Array[] = [];
  for (let i = 0; i < 6 && !client.established; i++) {
    for (let d; (d = client.pollTransmit()) !== undefined;) {
      corpus.push(d);
      await endpoint.handleInput(0, d, peer);
    }
    for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
      await client.handleInput(0, t.bytes);
    }
  }
  assert.ok(client.established);
  for (let i = 0; i < 3000; i++) {
    const base = corpus[rng.int(corpus.length)]!;
    const bytes = i % 3 === 0 ? rng.bytes(rng.int(200)) : mutate(base, rng);
    const from = { hostname: `192.0.2.${rng.int(40)}`, port: 1 + rng.int(3) };
    await endpoint.handleInput(i, bytes, from);
    endpoint.handleTimeout(i);
    for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
      // a spoofed source never gets more than it sent, times a small factor
      assert.ok(t.bytes.length <= Math.max(bytes.length, 1300));
    }
    while (endpoint.pollEvent() !== undefined) { /* drain */ }
    assert.ok(endpoint.size <= 16);
  }
});
