/** DtlsServerEndpoint: cookies, RFC 6347 §4.2.8 replacement, bounds, sweep, renegotiation. */
import assert from "node:assert/strict";
import {
  type DtlsEndpointConfig,
  DtlsServerEndpoint,
  type EndpointEvent,
} from "../../src/dtls/endpoint.ts";
import { decodeDatagram } from "../../src/dtls/record.ts";
import { encodeClientHello } from "../../src/tls/messages/mod.ts";
import { encodeHandshakeMessage } from "../../src/dtls/fragment.ts";
import {
  Bench,
  handshakeTypes,
  openRecords,
  pskClient,
  sealRecord,
  tapPskKeys,
} from "./_wire.ts";

const KEY = new Uint8Array(16).fill(0x42);
const peer = (n: number) => ({ hostname: "192.0.2.1", port: 40_000 + n });

function endpoint(extra: Partial<DtlsEndpointConfig> = {}): DtlsServerEndpoint {
  return new DtlsServerEndpoint({
    handshake: { psk: (id) => id === "device-1" ? KEY : undefined },
    ...extra,
  });
}

function drainEvents(ep: DtlsServerEndpoint): EndpointEvent[] {
  const out: EndpointEvent[] = [];
  for (let e; (e = ep.pollEvent()) !== undefined;) out.push(e);
  return out;
}

Deno.test("DtlsServerEndpoint answers a cookieless ClientHello statelessly with a smaller HelloVerifyRequest", async () => {
  const ep = endpoint();
  for (let i = 0; i < 50; i++) {
    const client = pskClient(KEY);
    client.start(0);
    const hello = client.pollTransmit()!;
    await ep.handleInput(0, hello, peer(i));
    const hvr = ep.pollTransmit()!;
    assert.deepEqual(hvr.to, peer(i));
    assert.ok(
      hvr.bytes.length <= hello.length,
      `HVR ${hvr.bytes.length} B > ClientHello ${hello.length} B`,
    );
    assert.deepEqual(handshakeTypes(hvr.bytes), [3]);
    // RFC 6347 §4.2.1: the HVR reuses the ClientHello's record sequence number
    const [h] = decodeDatagram(hello).records;
    const [v] = decodeDatagram(hvr.bytes).records;
    assert.equal(v!.sequenceNumber, h!.sequenceNumber);
    assert.equal(v!.version, 0xfeff);
    assert.equal(ep.pollTransmit(), undefined);
  }
  assert.equal(ep.size, 0, "no association before a valid cookie");
  assert.equal(ep.handshaking, 0);
});

Deno.test("DtlsServerEndpoint creates the association only for the ClientHello with a valid cookie", async () => {
  const ep = endpoint();
  const bench = new Bench(ep);
  const { association: client } = bench.connect(peer(1), pskClient(KEY));
  // ClientHello 1 → HVR, no state
  await ep.handleInput(0, client.pollTransmit()!, peer(1));
  assert.equal(ep.size, 0);
  const hvr = ep.pollTransmit()!;
  // the cookie is bound to the address: from another port it is not valid
  await client.handleInput(0, hvr.bytes);
  const hello2 = client.pollTransmit()!;
  await ep.handleInput(0, hello2, peer(2));
  assert.equal(ep.size, 0);
  assert.deepEqual(handshakeTypes(ep.pollTransmit()!.bytes), [3]);
  // from the right address it creates the association
  await ep.handleInput(0, hello2, peer(1));
  assert.equal(ep.size, 1);
  assert.equal(ep.handshaking, 1);
  await bench.pump();
  assert.ok(client.established);
  assert.equal(ep.handshaking, 0);
  assert.ok(ep.association(peer(1))?.established);
});

Deno.test("DtlsServerEndpoint drops non-ClientHello datagrams from unknown peers silently", async () => {
  const ep = endpoint();
  const before = ep.dropped;
  await ep.handleInput(
    0,
    new Uint8Array([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
    peer(1),
  );
  await ep.handleInput(0, new Uint8Array(100), peer(1));
  assert.equal(ep.pollTransmit(), undefined);
  assert.equal(ep.size, 0);
  assert.equal(ep.dropped, before + 2);
});

Deno.test("DtlsServerEndpoint replaces an established association when the client reboots (RFC 6347 §4.2.8)", async () => {
  const ep = endpoint();
  const bench = new Bench(ep);
  const first = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  assert.ok(first.established);
  const old = ep.association(peer(1))!;
  drainEvents(ep);
  // the rebooted client's first ClientHello gets a HelloVerifyRequest and
  // leaves the old association alone (no reachability shown yet)
  const second = pskClient(KEY);
  second.start(bench.now);
  await ep.handleInput(bench.now, second.pollTransmit()!, peer(1));
  const hvr = ep.pollTransmit()!;
  assert.deepEqual(handshakeTypes(hvr.bytes), [3]);
  assert.equal(ep.association(peer(1)), old);
  assert.ok(!old.closed);
  // with the cookie it replaces the old association
  await second.handleInput(bench.now, hvr.bytes);
  bench.attach(peer(1), second);
  await bench.pump();
  assert.ok(second.established);
  assert.ok(old.closed);
  assert.notEqual(ep.association(peer(1)), old);
  assert.equal(ep.size, 1);
  const events = drainEvents(ep);
  const closed = events.find((e) => e.event.kind === "closed");
  assert.match(
    closed?.event.kind === "closed" ? closed.event.reason : "",
    /replaced/,
  );
  assert.ok(events.some((e) => e.event.kind === "established"));
});

Deno.test("DtlsServerEndpoint passes a delayed copy of the creating ClientHello to its association", async () => {
  const ep = endpoint();
  const bench = new Bench(ep);
  const client = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  assert.ok(client.established);
  const creating = bench.wire.filter((d) => d.fromClient)[1]!.bytes;
  const assoc = ep.association(peer(1));
  await ep.handleInput(bench.now, creating, peer(1));
  assert.equal(ep.association(peer(1)), assoc);
  assert.ok(assoc?.established);
});

Deno.test("DtlsServerEndpoint restarts a stalled handshake when the client starts over with a valid cookie", async () => {
  const ep = endpoint();
  const bench = new Bench(ep);
  // the first client's flight 5 never arrives
  bench.edit = (d) =>
    d.fromClient && handshakeTypes(d.bytes).includes(16) ? undefined : d.bytes;
  bench.connect(peer(1), pskClient(KEY));
  await bench.pump();
  assert.equal(ep.handshaking, 1);
  const stalled = ep.association(peer(1))!;
  bench.edit = undefined;
  bench.clients.clear();
  const fresh = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  assert.ok(fresh.established);
  assert.ok(stalled.closed);
  assert.equal(ep.handshaking, 0);
  assert.equal(ep.size, 1);
});

Deno.test("DtlsServerEndpoint drops new handshakes beyond maxHandshakes", async () => {
  const ep = endpoint({ maxHandshakes: 2 });
  const bench = new Bench(ep);
  // hold every flight 5 back so the handshakes stay in progress
  bench.edit = (d) =>
    d.fromClient && handshakeTypes(d.bytes).includes(16) ? undefined : d.bytes;
  for (let i = 1; i <= 3; i++) bench.connect(peer(i), pskClient(KEY));
  const dropped = ep.dropped;
  await bench.pump();
  assert.equal(ep.handshaking, 2);
  assert.equal(ep.size, 2);
  assert.equal(ep.dropped, dropped + 1);
  assert.equal(ep.association(peer(3)), undefined);
});

Deno.test("DtlsServerEndpoint evicts the least recently active association when the table is full", async () => {
  const ep = endpoint({ maxAssociations: 2 });
  const bench = new Bench(ep);
  const a = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  bench.now = 10;
  const b = bench.connect(peer(2), pskClient(KEY)).association;
  await bench.pump();
  // a becomes the most recently active
  bench.now = 20;
  a.send(new Uint8Array([1]));
  await bench.pump();
  drainEvents(ep);
  bench.now = 30;
  const c = bench.connect(peer(3), pskClient(KEY)).association;
  await bench.pump();
  assert.ok(a.established && b.established && c.established);
  assert.equal(ep.size, 2);
  assert.equal(
    ep.association(peer(2)),
    undefined,
    "b was least recently active",
  );
  assert.ok(ep.association(peer(1))?.established);
  assert.ok(ep.association(peer(3))?.established);
  const closed = drainEvents(ep).find((e) => e.event.kind === "closed");
  assert.deepEqual(closed?.peer, peer(2));
  assert.match(
    closed?.event.kind === "closed" ? closed.event.reason : "",
    /evicted/,
  );
});

Deno.test("DtlsServerEndpoint.sweepTarget() ends associations idle for the TB default 86 400 000 ms", async () => {
  const ep = endpoint();
  const target = ep.sweepTarget();
  assert.equal(target.intervalMs, 1_800_000);
  assert.equal(target.name, "dtls");
  const t0 = 1_000_000;
  const bench = new Bench(ep, t0);
  const a = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  const b = bench.connect(peer(2), pskClient(KEY)).association;
  await bench.pump();
  // b stays active half-way through; a does not
  bench.now = t0 + 43_200_000;
  b.send(new Uint8Array([1]));
  await bench.pump();
  drainEvents(ep);
  assert.equal(target.sweep(t0 + 86_400_000 - 1), 0);
  assert.equal(target.sweep(t0 + 86_400_000), 1);
  assert.equal(ep.size, 1);
  assert.equal(ep.association(peer(1)), undefined);
  // the swept association says close_notify to its peer
  const out = ep.pollTransmit()!;
  assert.deepEqual(out.to, peer(1));
  assert.equal(out.bytes[0], 21);
  await a.handleInput(bench.now, out.bytes);
  assert.ok(a.closed);
  assert.equal(target.sweep(t0 + 43_200_000 + 86_400_000), 1);
  assert.equal(ep.size, 0);
});

Deno.test("DtlsServerEndpoint.sweepTarget() takes its interval and timeout from the config", async () => {
  const ep = endpoint({
    inactivityTimeoutMs: 1_000,
    sweepIntervalMs: 250,
    name: "dtls/test",
  });
  const target = ep.sweepTarget();
  assert.equal(target.intervalMs, 250);
  assert.equal(target.name, "dtls/test");
  const bench = new Bench(ep);
  bench.connect(peer(1), pskClient(KEY));
  await bench.pump();
  assert.equal(target.sweep(999), 0);
  assert.equal(target.sweep(1_000), 1);
});

Deno.test("DtlsServerEndpoint: spoofed garbage from a peer's address does not keep it alive", async () => {
  const ep = endpoint({ inactivityTimeoutMs: 1_000 });
  const bench = new Bench(ep);
  bench.connect(peer(1), pskClient(KEY));
  await bench.pump();
  // a forged epoch-1 record fails authentication and is dropped
  const forged = new Uint8Array(40);
  forged.set([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 27]);
  await ep.handleInput(900, forged, peer(1));
  assert.equal(ep.pollTransmit(), undefined);
  assert.equal(ep.sweepTarget().sweep(1_000), 1);
});

Deno.test("DtlsServerEndpoint refuses renegotiation on an established association with a no_renegotiation warning", async () => {
  const ep = endpoint();
  const bench = new Bench(ep);
  const client = bench.connect(peer(1), pskClient(KEY)).association;
  await bench.pump();
  assert.ok(client.established);
  drainEvents(ep);
  const keys = tapPskKeys(bench.wire, peer(1), KEY);
  // an authenticated ClientHello in epoch 1 (RFC 5746 §4.4)
  const hello = encodeClientHello({
    version: 0xfefd,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc0a8],
    compressionMethods: [0],
    extensions: [],
  }, { dtls: true });
  await ep.handleInput(
    bench.now,
    sealRecord(keys.client, 22, 50, encodeHandshakeMessage(1, 4, hello)),
    peer(1),
  );
  const reply = ep.pollTransmit()!;
  assert.deepEqual(openRecords(keys.server, reply.bytes), [[
    21,
    new Uint8Array([1, 100]), // warning, no_renegotiation
  ]]);
  assert.ok(ep.association(peer(1))?.established);
  assert.deepEqual(drainEvents(ep), []);
  // the association still carries data
  client.send(new Uint8Array([9]));
  await bench.pump();
  const data = drainEvents(ep);
  assert.equal(data[0]?.event.kind, "data");
});
