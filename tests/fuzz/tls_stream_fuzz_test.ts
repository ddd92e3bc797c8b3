/**
 * Seeded fuzz of TLS over a stream: the record decoder and the handshake
 * reader throw only {@link TlsAlertError} on arbitrary and mutated input,
 * and a live server {@link TlsConnection} fed arbitrary bytes — before,
 * during and after a handshake — never rejects, never reports an
 * internal_error (a bug), and closes with an alert or stays waiting.
 */
import assert from "node:assert/strict";
import { TlsAlertError } from "../../src/tls/alert.ts";
import { TlsRecordDecoder } from "../../src/tls/stream/record.ts";
import { HandshakeReader } from "../../src/tls/stream/handshake_reader.ts";
import {
  TlsConnection,
  type TlsConnectionEvent,
} from "../../src/tls/stream/connection.ts";
import type { ServerHandshakeConfig } from "../../src/tls/handshake/types.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import { certificatesOf, certifiedKey } from "../support/tls_client.ts";

const KEY = new Uint8Array(16).fill(9);

Deno.test("TlsRecordDecoder and HandshakeReader throw only TlsAlertError on seeded input", () => {
  const rng = new SeededRandom(11);
  const valid = new Uint8Array([
    22,
    3,
    3,
    0,
    8,
    14,
    0,
    0,
    0,
    20,
    0,
    0,
    0,
    21,
    3,
    3,
    0,
    2,
    1,
    0,
    23,
    3,
    3,
    0,
    3,
    1,
    2,
    3,
  ]);
  for (let i = 0; i < 5000; i++) {
    const input = i % 4 === 0 ? rng.bytes(rng.int(64)) : mutate(valid, rng);
    const decoder = new TlsRecordDecoder();
    const reader = new HandshakeReader();
    let off = 0;
    try {
      while (off < input.length) {
        const n = 1 + rng.int(8);
        decoder.push(input.subarray(off, off + n));
        off += n;
        for (
          let r = decoder.next(), k = 0;
          r && k < 100;
          r = decoder.next(), k++
        ) {
          if (r.type === 22) reader.push(r.fragment);
        }
      }
    } catch (err) {
      assert.ok(err instanceof TlsAlertError, String(err));
    }
  }
});

/** A client's flights against a real server, for the corpus. */
async function corpusFor(
  server: ServerHandshakeConfig,
  client: ConstructorParameters<typeof TlsConnection>[0]["client"] & object,
): Promise<Uint8Array[]> {
  const s = new TlsConnection({ role: "server", server });
  const c = new TlsConnection({ role: "client", client });
  s.start(0);
  c.start(0);
  const corpus: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) {
    const out = c.pollTransmit();
    if (out) {
      corpus.push(out);
      await s.handleInput(Date.now(), out);
    }
    const back = s.pollTransmit();
    if (back) await c.handleInput(Date.now(), back);
  }
  assert.ok(s.established && c.established);
  c.send(new Uint8Array(100));
  corpus.push(c.pollTransmit()!);
  return corpus;
}

function drain(conn: TlsConnection): TlsConnectionEvent[] {
  const events: TlsConnectionEvent[] = [];
  for (let e; (e = conn.pollEvent());) events.push(e);
  return events;
}

Deno.test("TlsConnection server survives seeded arbitrary and mutated client bytes", async () => {
  const fx = await pkiFixtures();
  const certificate = await certifiedKey(
    fx.serverChainPath,
    fx.certs.server.keyPath,
  );
  const server: ServerHandshakeConfig = {
    psk: (id) => id === "d" ? KEY : undefined,
    certificate,
    clientAuth: { trustAnchors: certificatesOf(fx.certs.root.pem) },
    cipherSuites: [
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "PSK-AES128-CBC-SHA256",
      "ECDHE-PSK-AES128-CBC-SHA256",
      "PSK-AES128-GCM-SHA256",
    ],
  };
  const corpus = [
    ...await corpusFor(server, {
      psk: { identity: "d", key: KEY },
      cipherSuites: ["PSK-AES128-CBC-SHA256"],
    }),
    ...await corpusFor(server, {
      psk: { identity: "d", key: KEY },
      cipherSuites: ["ECDHE-PSK-AES128-CBC-SHA256"],
    }),
    ...await corpusFor(server, {
      insecureSkipVerify: true,
      cipherSuites: ["ECDHE-ECDSA-AES128-GCM-SHA256"],
    }),
  ];
  const rng = new SeededRandom(23);
  for (let i = 0; i < 1500; i++) {
    const conn = new TlsConnection({ role: "server", server });
    conn.start(0);
    // a prefix of genuine flights, then fuzz
    const genuine = rng.int(3);
    for (let k = 0; k < genuine && k < corpus.length; k++) {
      await conn.handleInput(Date.now(), corpus[k]!);
    }
    const base = corpus[rng.int(corpus.length)]!;
    const bytes = i % 3 === 0 ? rng.bytes(rng.int(300)) : mutate(base, rng);
    await conn.handleInput(Date.now(), bytes);
    const events = drain(conn);
    for (const e of events) {
      if (e.kind === "closed") {
        assert.notEqual(e.alert?.name, "internal_error", e.reason);
      }
    }
    while (conn.pollTransmit() !== undefined) { /* drain */ }
    conn.handleTimeout(20_000);
    assert.equal(conn.closed || conn.established, true);
  }
});
