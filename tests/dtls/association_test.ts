import assert from "node:assert/strict";
import {
  type AssociationEvent,
  DtlsAssociation,
} from "../../src/dtls/association.ts";
import { LossyLink, type LossyLinkOptions } from "../support/lossy_link.ts";

const KEY = new Uint8Array(16).fill(0x42);
const text = new TextEncoder();

function pskPair(
  suite = "PSK-AES128-CCM8",
): { client: DtlsAssociation; server: DtlsAssociation } {
  const server = new DtlsAssociation({
    role: "server",
    server: {
      cipherSuites: [suite],
      psk: (id) => id === "device-1" ? KEY : undefined,
      pskIdentityHint: "postern",
    },
  });
  const client = new DtlsAssociation({
    role: "client",
    client: { cipherSuites: [suite], psk: { identity: "device-1", key: KEY } },
  });
  return { client, server };
}

function events(a: DtlsAssociation): AssociationEvent[] {
  const out: AssociationEvent[] = [];
  for (let e; (e = a.pollEvent()) !== undefined;) out.push(e);
  return out;
}

async function handshake(
  options: LossyLinkOptions,
): Promise<
  { client: DtlsAssociation; server: DtlsAssociation; link: LossyLink }
> {
  const { client, server } = pskPair();
  const link = new LossyLink(client, server, options);
  client.start(link.now);
  await link.driveUntilAsync(
    () => client.established && server.established,
    5_000,
  );
  return { client, server, link };
}

Deno.test("DtlsAssociation completes a PSK CCM_8 handshake, exchanges data and closes", async () => {
  const { client, server, link } = await handshake({});
  const ce = events(client);
  const se = events(server);
  assert.equal(ce[0]?.kind, "established");
  assert.equal(se[0]?.kind, "established");
  if (se[0]?.kind === "established") {
    assert.equal(se[0].suite, "TLS_PSK_WITH_AES_128_CCM_8");
    assert.deepEqual(se[0].identity, { kind: "psk", identity: "device-1" });
    assert.equal(se[0].session.extendedMasterSecret, true);
  }
  client.send(text.encode("ping"));
  server.send(text.encode("pong"));
  await link.driveBoundedAsync(100);
  const fromClient = events(server);
  const fromServer = events(client);
  assert.deepEqual(fromClient.map((e) => e.kind), ["data"]);
  assert.deepEqual(fromServer.map((e) => e.kind), ["data"]);
  if (fromClient[0]?.kind === "data") {
    assert.equal(new TextDecoder().decode(fromClient[0].data), "ping");
    assert.deepEqual(fromClient[0].identity, {
      kind: "psk",
      identity: "device-1",
    });
  }
  client.close();
  await link.driveBoundedAsync(100);
  const closed = events(server);
  assert.equal(closed[0]?.kind, "closed");
  if (closed[0]?.kind === "closed") {
    assert.equal(closed[0].alert?.name, "close_notify");
    assert.equal(closed[0].alert?.received, true);
  }
  assert.ok(server.closed && client.closed);
});

Deno.test("DtlsAssociation handshakes complete under 30 % loss, duplicates and reordering", async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const { client, server, link } = await handshake({
      seed,
      lossRate: 0.3,
      duplicateRate: 0.2,
      reorderRate: 0.2,
    });
    assert.ok(client.established && server.established, `seed ${seed}`);
    assert.ok(link.now < 200_000, `seed ${seed} took ${link.now} ms`);
  }
});

Deno.test("DtlsAssociation retransmits flight 6 when the client repeats flight 5", async () => {
  const { client, server } = pskPair();
  const link = new LossyLink(client, server, {
    // 1: ClientHello, 2: flight 5; server 1: flight 4, 2: flight 6
    filters: [{
      name: "drop first flight 6",
      decide: (d) => d.from === "b" && d.index === 2 ? "drop" : "pass",
    }],
  });
  client.start(0);
  await link.driveUntilAsync(() => client.established && server.established);
  assert.ok(link.stats.b.sent >= 3, "flight 6 was sent again");
  assert.equal(link.now >= 1000, true, "client timer fired");
});

Deno.test("DtlsAssociation fails with unknown_psk_identity for a wrong identity", async () => {
  const server = new DtlsAssociation({
    role: "server",
    server: { psk: () => undefined },
  });
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "nobody", key: KEY } },
  });
  const link = new LossyLink(client, server);
  client.start(0);
  await link.driveBoundedAsync(100);
  const se = events(server);
  const ce = events(client);
  assert.equal(se.at(-1)?.kind, "closed");
  if (se.at(-1)?.kind === "closed") {
    const e = se.at(-1) as Extract<AssociationEvent, { kind: "closed" }>;
    assert.equal(e.alert?.name, "unknown_psk_identity");
  }
  const c = ce.at(-1) as Extract<AssociationEvent, { kind: "closed" }>;
  assert.equal(c.alert?.name, "unknown_psk_identity");
  assert.equal(c.alert?.received, true);
});

Deno.test("DtlsAssociation drops a Finished it cannot decrypt (wrong PSK) without an alert", async () => {
  const server = new DtlsAssociation({
    role: "server",
    server: { psk: () => new Uint8Array(16).fill(1) },
  });
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "device-1", key: KEY } },
  });
  const link = new LossyLink(client, server);
  client.start(0);
  await link.driveBoundedAsync(100);
  // the server cannot open the client's Finished (wrong keys): it drops it
  // silently (RFC 6347 §4.1.2.7) and the client gives up after its timer;
  // the server's flight timer gives up too
  assert.ok(client.closed);
  assert.ok(!server.established);
  assert.ok(server.closed);
});

Deno.test("DtlsAssociation ends a handshake that outlives handshakeTimeoutMs", async () => {
  const server = new DtlsAssociation({
    role: "server",
    server: { psk: () => KEY },
    handshakeTimeoutMs: 5_000,
    timer: { maxRetransmissions: 100 },
  });
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY } },
  });
  client.start(0);
  await server.handleInput(100, client.pollTransmit()!);
  assert.ok(server.pollTransmit() !== undefined, "flight 4 sent");
  assert.equal(server.nextTimeout(), 1_100);
  for (let now = 1_100; now < 5_100;) {
    server.handleTimeout(now);
    now = server.nextTimeout()!;
  }
  assert.equal(server.nextTimeout(), 5_100);
  server.handleTimeout(5_100);
  assert.ok(server.closed);
  assert.deepEqual(events(server).at(-1), {
    kind: "closed",
    reason: "handshake timed out",
  });
});
