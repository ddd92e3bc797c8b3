/**
 * The rules `HandshakeDriver` (src/tls/handshake/driver.ts) gives both the
 * TLS stream connection and the DTLS association, run over both record
 * layers: data sent before the handshake completes, close_notify answered,
 * a failure answered with a fatal alert, and a fatal alert removing the
 * server's session from the cache (RFC 5246 §7.2.2).
 */
import assert from "node:assert/strict";
import {
  TlsConnection,
  type TlsConnectionEvent,
} from "../../../src/tls/stream/connection.ts";
import {
  type AssociationEvent,
  DtlsAssociation,
} from "../../../src/dtls/association.ts";
import { ContentType } from "../../../src/tls/content_type.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../../src/tls/session_cache.ts";
import type {
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../../../src/tls/handshake/types.ts";

const KEY = new Uint8Array(16).fill(0x42);
const NOW = 1_000;

/** What the tests use of either record layer. */
interface Peer {
  readonly established: boolean;
  readonly closed: boolean;
  handleInput(now: number, bytes: Uint8Array): Promise<void>;
  pollTransmit(): Uint8Array | undefined;
  pollEvent(): TlsConnectionEvent | AssociationEvent | undefined;
  send(data: Uint8Array): void;
  close(): void;
}

/** A server that can write any record, to play a misbehaving peer. */
interface ProbeServer extends Peer {
  writeRaw(type: number, data: Uint8Array): void;
}

class TlsProbe extends TlsConnection {
  writeRaw(type: number, data: Uint8Array): void {
    this.writeRecords(type, data);
  }
}

class DtlsProbe extends DtlsAssociation {
  writeRaw(type: number, data: Uint8Array): void {
    this.writeRecords(type, data);
  }
}

type Layer = "tls" | "dtls";

function pair(
  layer: Layer,
  server: ServerHandshakeConfig,
  client: ClientHandshakeConfig,
): { server: ProbeServer; client: Peer } {
  if (layer === "tls") {
    const s = new TlsProbe({ role: "server", server });
    const c = new TlsConnection({ role: "client", client });
    s.start(NOW);
    c.start(NOW);
    return { server: s, client: c };
  }
  const s = new DtlsProbe({ role: "server", server });
  const c = new DtlsAssociation({ role: "client", client });
  c.start(NOW);
  return { server: s, client: c };
}

/** Moves bytes both ways until both sides are idle (bounded). */
async function drive(a: Peer, b: Peer): Promise<void> {
  for (let i = 0; i < 20; i++) {
    let moved = false;
    for (let d; (d = a.pollTransmit()) !== undefined;) {
      moved = true;
      await b.handleInput(NOW, d);
    }
    for (let d; (d = b.pollTransmit()) !== undefined;) {
      moved = true;
      await a.handleInput(NOW, d);
    }
    if (!moved) return;
  }
  assert.fail("peers did not go idle");
}

function events(p: Peer) {
  const out = [];
  for (let e; (e = p.pollEvent()) !== undefined;) out.push(e);
  return out;
}

for (const layer of ["tls", "dtls"] as const) {
  Deno.test(`HandshakeDriver (${layer}): data sent before the handshake arrives after it; close_notify is answered`, async () => {
    const { server, client } = pair(layer, { psk: () => KEY }, {
      psk: { identity: "dev", key: KEY },
    });
    client.send(new Uint8Array([1, 2, 3]));
    await drive(client, server);
    assert.ok(client.established && server.established);
    const got = events(server);
    assert.deepEqual(got.map((e) => e.kind), ["established", "data"]);
    assert.deepEqual(
      got[1]?.kind === "data" ? got[1].data : undefined,
      new Uint8Array([1, 2, 3]),
    );
    client.close();
    await drive(client, server);
    assert.ok(client.closed && server.closed);
    const last = events(server).at(-1);
    assert.deepEqual(last?.kind === "closed" ? last.alert : undefined, {
      description: 0,
      name: "close_notify",
      received: true,
    });
    assert.throws(
      () => client.send(new Uint8Array(1)),
      (err) => err instanceof TypeError && /closed/.test(err.message),
    );
  });

  Deno.test(`HandshakeDriver (${layer}): a fatal alert drops the server's session from the cache`, async () => {
    const cache = new SessionCache<ResumableSession>();
    const { server, client } = pair(
      layer,
      { psk: () => KEY, sessionCache: cache },
      { psk: { identity: "dev", key: KEY } },
    );
    await drive(client, server);
    const established = events(client)[0];
    assert.equal(established?.kind, "established");
    const id = established.session.resumable?.id;
    assert.ok(id !== undefined && cache.get(NOW, id) !== undefined);
    // an alert record too short to decode: the client fails with a fatal
    // decode_error, which the server receives
    server.writeRaw(ContentType.alert, new Uint8Array([2]));
    await drive(client, server);
    assert.ok(client.closed && server.closed);
    const closed = events(server).at(-1);
    assert.deepEqual(closed?.kind === "closed" ? closed.alert : undefined, {
      description: 50,
      name: "decode_error",
      received: true,
    });
    assert.equal(cache.get(NOW, id), undefined);
  });
}
