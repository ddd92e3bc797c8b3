/**
 * DTLS session resumption (RFC 5246 §7.3 figure 2 over RFC 6347 flights):
 * associations on the simulated link with a virtual clock, for PSK and
 * ECDHE-ECDSA one- and two-way, under seeded loss, duplication and
 * reordering, with exact retransmission times when a resumed flight is lost;
 * and through the server endpoint (cookie exchange first).
 */
import assert from "node:assert/strict";
import {
  type AssociationEvent,
  DtlsAssociation,
} from "../../src/dtls/association.ts";
import { DtlsServerEndpoint } from "../../src/dtls/endpoint.ts";
import { dropNth, LossyLink } from "../support/lossy_link.ts";
import { certsCommand } from "../../cli/certs.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import type {
  ClientHandshakeConfig,
  EstablishedSession,
  ServerHandshakeConfig,
} from "../../src/tls/handshake/types.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../src/tls/session_cache.ts";
import { Bench, handshakeTypes, pskClient } from "./_wire.ts";

const KEY = new Uint8Array(16).fill(0x21);
const dir = await Deno.makeTempDir();
const log = console.log;
console.log = () => {};
await certsCommand(["init", "--dir", dir]);
console.log = log;
const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
const ca = parseCertificatePem(read("ca.pem"));
const serverCert = {
  chain: parseCertificatePem(read("server.pem")),
  key: loadPrivateKey(read("server_key.pem")),
};
const clientCert = {
  chain: parseCertificatePem(read("client.pem")),
  key: loadPrivateKey(read("client_key.pem")),
};
await Deno.remove(dir, { recursive: true });

/** Virtual time from the real clock, so that certificates are valid. */
const T0 = Date.now() + 60_000;

type Mode = "psk" | "one-way" | "two-way";

function configs(mode: Mode, cache: SessionCache<ResumableSession>) {
  const s: ServerHandshakeConfig = mode === "psk"
    ? { psk: (id) => id === "device-1" ? KEY : undefined, sessionCache: cache }
    : {
      certificate: serverCert,
      sessionCache: cache,
      ...(mode === "two-way"
        ? { clientAuth: { trustAnchors: ca, failIfNoPeerCert: true } }
        : {}),
    };
  const c: ClientHandshakeConfig = mode === "psk"
    ? { psk: { identity: "device-1", key: KEY } }
    : {
      trustAnchors: ca,
      ...(mode === "two-way" ? { certificate: clientCert } : {}),
    };
  return { s, c };
}

function sessionOf(a: DtlsAssociation): EstablishedSession {
  assert.ok(a.session !== undefined, "established");
  return a.session;
}

async function connect(
  s: ServerHandshakeConfig,
  c: ClientHandshakeConfig,
  link: ConstructorParameters<typeof LossyLink>[2] = {},
  maxSteps = 400,
) {
  const server = new DtlsAssociation({ role: "server", server: s });
  const client = new DtlsAssociation({ role: "client", client: c });
  const l = new LossyLink(client, server, { startTime: T0, ...link });
  client.start(l.now);
  await l.driveUntilAsync(
    () =>
      (client.established && server.established) || client.closed ||
      server.closed,
    maxSteps,
  );
  return { server, client, link: l };
}

function events(a: DtlsAssociation): AssociationEvent[] {
  const out: AssociationEvent[] = [];
  for (let e; (e = a.pollEvent()) !== undefined;) out.push(e);
  return out;
}

for (const mode of ["psk", "one-way", "two-way"] as const) {
  Deno.test(`DTLS resumes a ${mode} session in one round trip and carries data`, async () => {
    const cache = new SessionCache<ResumableSession>();
    const { s, c } = configs(mode, cache);
    const full = await connect(s, c, { latencyMs: 10 });
    const first = sessionOf(full.client);
    assert.ok(first.resumable !== undefined);
    assert.equal(cache.size, 1);
    const fullTime = full.link.now - T0;

    const again = await connect(
      s,
      { ...c, session: first.resumable },
      { latencyMs: 10 },
    );
    assert.equal(sessionOf(again.server).resumed, true);
    assert.equal(sessionOf(again.client).resumed, true);
    // ClientHello → ServerHello, CCS, Finished → CCS, Finished: 3 × 10 ms
    assert.equal(again.link.now - T0, 30);
    assert.ok(fullTime > again.link.now - T0);
    assert.equal(sessionOf(again.server).suite, first.suite);
    const id = sessionOf(again.server).identity;
    if (mode === "psk") {
      assert.deepEqual(id, { kind: "psk", identity: "device-1" });
    }
    if (mode === "two-way") {
      assert.equal(id?.kind, "x509");
      assert.deepEqual(id, sessionOf(full.server).identity);
    }
    if (mode === "one-way") assert.equal(id, undefined);
    events(again.server);
    events(again.client);
    again.client.send(new Uint8Array([1, 2, 3]));
    again.server.send(new Uint8Array([4]));
    await again.link.driveBoundedAsync(50);
    assert.deepEqual(events(again.server), [
      { kind: "data", data: new Uint8Array([1, 2, 3]), identity: id },
    ]);
    assert.equal(events(again.client)[0]?.kind, "data");
  });
}

Deno.test("DTLS resumption completes under seeded loss, duplication and reordering", async () => {
  const cache = new SessionCache<ResumableSession>();
  const { s, c } = configs("psk", cache);
  const first = sessionOf((await connect(s, c)).client).resumable!;
  for (let seed = 1; seed <= 12; seed++) {
    const r = await connect(s, { ...c, session: first }, {
      seed,
      lossRate: 0.25,
      duplicateRate: 0.1,
      reorderRate: 0.2,
      latencyMs: 15,
      jitterMs: 10,
    }, 2000);
    assert.ok(r.client.established && r.server.established, `seed ${seed}`);
    assert.equal(sessionOf(r.server).resumed, true, `seed ${seed}`);
    // both sides go idle: no timer left running after the handshake
    await r.link.driveBoundedAsync(200);
    assert.equal(r.server.nextTimeout(), undefined, `seed ${seed}`);
    assert.equal(r.client.nextTimeout(), undefined, `seed ${seed}`);
  }
});

Deno.test("DTLS resumption: a lost server flight is recovered by the client's timer at 1 s", async () => {
  const cache = new SessionCache<ResumableSession>();
  const { s, c } = configs("psk", cache);
  const first = sessionOf((await connect(s, c)).client).resumable!;
  const r = await connect(s, { ...c, session: first }, {
    latencyMs: 10,
    filters: [dropNth("b", 1)],
  });
  assert.ok(r.client.established && r.server.established);
  // the client resends its ClientHello at 1 s, the server answers with its
  // flight again (its own timer would at 1.01 s): done at 1 s + 3 × 10 ms
  assert.equal(r.link.now - T0, 1030);
  assert.equal(sessionOf(r.client).resumed, true);
});

Deno.test("DTLS resumption: a lost final client flight is resent when the server repeats its flight", async () => {
  const cache = new SessionCache<ResumableSession>();
  const { s, c } = configs("psk", cache);
  const first = sessionOf((await connect(s, c)).client).resumable!;
  const r = await connect(s, { ...c, session: first }, {
    latencyMs: 10,
    filters: [dropNth("a", 2)],
  });
  assert.ok(r.client.established);
  assert.ok(r.server.established, "server done after its retransmission");
  // server timer fires at 10 + 1000 ms, its flight reaches the client at
  // +10, which resends its final flight: the server is done at 1030 ms
  assert.equal(r.link.now - T0, 1030);
  assert.equal(r.server.retransmissions, 1);
  await r.link.driveBoundedAsync(100);
  assert.equal(r.server.nextTimeout(), undefined);
});

Deno.test("DtlsServerEndpoint resumes a session after the cookie exchange", async () => {
  const cache = new SessionCache<ResumableSession>();
  const ep = new DtlsServerEndpoint({
    handshake: { psk: () => KEY, sessionCache: cache },
  });
  const bench = new Bench(ep);
  const peer = { hostname: "192.0.2.7", port: 5000 };
  const a = bench.connect(peer, pskClient(KEY)).association;
  await bench.pump();
  const resumable = a.session?.resumable;
  assert.ok(resumable !== undefined);
  a.close();
  await bench.pump();
  const b = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "device-1", key: KEY }, session: resumable },
  });
  bench.wire.length = 0;
  bench.connect(peer, b);
  await bench.pump();
  assert.equal(b.session?.resumed, true);
  assert.equal(ep.association(peer)?.session?.resumed, true);
  // ClientHello, HVR, ClientHello, ServerHello+CCS+Finished, CCS+Finished
  assert.deepEqual(
    bench.wire.map((d) => [d.fromClient, handshakeTypes(d.bytes)]),
    [[true, [1]], [false, [3]], [true, [1]], [false, [2]], [true, []]],
  );
});
