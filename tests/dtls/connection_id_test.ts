/**
 * Connection IDs (RFC 9146) and record size bounds (RFC 6066 §4
 * max_fragment_length, RFC 8449 record_size_limit) on DTLS associations
 * over the simulated link.
 */
import assert from "node:assert/strict";
import {
  type AssociationEvent,
  type AssociationOptions,
  DtlsAssociation,
} from "../../src/dtls/association.ts";
import { decodeDatagram } from "../../src/dtls/record.ts";
import {
  DtlsServerEndpoint,
  type EndpointEvent,
} from "../../src/dtls/endpoint.ts";
import { Bench } from "./_wire.ts";
import { ContentType } from "../../src/tls/content_type.ts";
import { LossyLink } from "../support/lossy_link.ts";
import type { ClientHandshakeConfig } from "../../src/tls/handshake/types.ts";

const KEY = new Uint8Array(16).fill(0x33);

function pair(
  server: Partial<AssociationOptions>,
  client: Partial<AssociationOptions> & {
    config?: Partial<ClientHandshakeConfig>;
  },
) {
  const { config, ...clientOptions } = client;
  const s = new DtlsAssociation({
    role: "server",
    server: { psk: () => KEY },
    ...server,
  });
  const c = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY }, ...config },
    ...clientOptions,
  });
  const seen: Array<{ from: "a" | "b"; bytes: Uint8Array }> = [];
  const link = new LossyLink(c, s, {
    latencyMs: 5,
    filters: [{
      name: "tap",
      decide: (d) => {
        seen.push({ from: d.from, bytes: d.bytes });
        return "pass";
      },
    }],
  });
  return { s, c, link, seen };
}

async function establish(p: ReturnType<typeof pair>) {
  p.c.start(p.link.now);
  await p.link.driveUntilAsync(() => p.c.established && p.s.established, 200);
  drain(p.c);
  drain(p.s);
}

function drain(a: DtlsAssociation): AssociationEvent[] {
  const out: AssociationEvent[] = [];
  for (let e; (e = a.pollEvent()) !== undefined;) out.push(e);
  return out;
}

function records(bytes: Uint8Array, cidLength?: number) {
  return decodeDatagram(bytes, cidLength === undefined ? {} : { cidLength })
    .records;
}

Deno.test("DtlsAssociation negotiates a server connection ID and the client sends tls12_cid records", async () => {
  const cid = new Uint8Array([0xc1, 0xd2, 0xe3, 0xf4]);
  const p = pair({ connectionId: cid }, { connectionId: new Uint8Array(0) });
  await establish(p);
  assert.deepEqual(p.s.recordLayer?.connectionId, cid);
  assert.deepEqual(p.c.recordLayer?.peerConnectionId, cid);
  assert.deepEqual(p.c.recordLayer?.connectionId, new Uint8Array(0));
  p.seen.length = 0;
  p.c.send(new Uint8Array([1, 2, 3]));
  p.s.send(new Uint8Array([4, 5]));
  await p.link.driveBoundedAsync(50);
  const fromClient = p.seen.filter((d) => d.from === "a");
  const fromServer = p.seen.filter((d) => d.from === "b");
  const [cr] = records(fromClient[0]!.bytes, 4);
  assert.equal(cr?.type, ContentType.tls12_cid);
  assert.deepEqual(cr?.cid, cid);
  const [sr] = records(fromServer[0]!.bytes);
  assert.equal(
    sr?.type,
    ContentType.application_data,
    "client asked for no CID",
  );
  assert.deepEqual(
    drain(p.s).map((e) => e.kind === "data" ? [...e.data] : e.kind),
    [[1, 2, 3]],
  );
  assert.deepEqual(
    drain(p.c).map((e) => e.kind === "data" ? [...e.data] : e.kind),
    [[4, 5]],
  );
  // the client's Finished already went under the CID
  assert.ok(p.s.newerRecords >= 2);
});

Deno.test("DtlsAssociation uses connection IDs both ways when both sides ask for one", async () => {
  const p = pair(
    { connectionId: new Uint8Array([9, 9]) },
    { connectionId: new Uint8Array([7, 7, 7]) },
  );
  await establish(p);
  p.seen.length = 0;
  p.s.send(new Uint8Array([1]));
  p.c.send(new Uint8Array([2]));
  await p.link.driveBoundedAsync(50);
  const s = p.seen.find((d) => d.from === "b")!;
  const c = p.seen.find((d) => d.from === "a")!;
  assert.deepEqual(records(s.bytes, 3)[0]?.cid, new Uint8Array([7, 7, 7]));
  assert.deepEqual(records(c.bytes, 2)[0]?.cid, new Uint8Array([9, 9]));
  assert.equal(drain(p.s)[0]?.kind, "data");
  assert.equal(drain(p.c)[0]?.kind, "data");
});

Deno.test("DtlsAssociation negotiates no connection ID unless the client offers one", async () => {
  const p = pair({ connectionId: new Uint8Array([1, 2]) }, {});
  await establish(p);
  assert.equal(p.s.recordLayer?.connectionId, undefined);
  p.seen.length = 0;
  p.c.send(new Uint8Array([1]));
  await p.link.driveBoundedAsync(50);
  assert.equal(
    records(p.seen[0]!.bytes)[0]?.type,
    ContentType.application_data,
  );
});

Deno.test("DtlsAssociation drops protected records without the negotiated CID", async () => {
  const p = pair({ connectionId: new Uint8Array([5, 5, 5, 5]) }, {
    connectionId: new Uint8Array(0),
  });
  await establish(p);
  p.seen.length = 0;
  p.c.send(new Uint8Array([1]));
  await p.link.driveBoundedAsync(20);
  const good = p.seen[0]!.bytes;
  // the same record with another CID: dropped silently, no alert
  const bad = good.slice();
  bad[11] = bad[11]! ^ 0xff;
  const before = p.s.newerRecords;
  await p.s.handleInput(p.link.now, bad);
  assert.equal(p.s.newerRecords, before);
  assert.equal(p.s.closed, false);
  assert.equal(p.s.pollTransmit(), undefined);
});

Deno.test("DtlsAssociation honours max_fragment_length 512 from the ServerHello on", async () => {
  const p = pair({
    server: { psk: () => KEY, pskIdentityHint: "x".repeat(900) },
  }, {
    config: { maxFragmentLength: 512 },
  });
  await establish(p);
  assert.equal(p.s.recordLayer?.maxFragmentLength, 512);
  assert.equal(p.c.recordLayer?.maxFragmentLength, 512);
  // every server record from the ServerHello on: plaintext ≤ 512
  for (const d of p.seen.filter((x) => x.from === "b")) {
    for (const r of records(d.bytes)) {
      const plain = r.epoch === 0 ? r.fragment.length : r.fragment.length - 16;
      assert.ok(plain <= 512, `record of ${plain} bytes`);
    }
  }
  p.seen.length = 0;
  p.s.send(new Uint8Array(1500).fill(7));
  await p.link.driveBoundedAsync(50);
  const got = drain(p.c).flatMap((e) => e.kind === "data" ? [e.data] : []);
  assert.deepEqual(got.map((d) => d.length), [512, 512, 476]);
  assert.equal(p.c.maxRecordPlaintext, 512);
});

Deno.test("DtlsAssociation honours the peer's record_size_limit on protected records", async () => {
  const p = pair({}, { config: { recordSizeLimit: 256 } });
  await establish(p);
  assert.equal(p.s.recordLayer?.peerRecordSizeLimit, 256);
  assert.equal(p.c.recordLayer?.peerRecordSizeLimit, 16384);
  p.s.send(new Uint8Array(600));
  p.c.send(new Uint8Array(600));
  await p.link.driveBoundedAsync(50);
  const toClient = drain(p.c).flatMap((e) =>
    e.kind === "data" ? [e.data.length] : []
  );
  const toServer = drain(p.s).flatMap((e) =>
    e.kind === "data" ? [e.data.length] : []
  );
  assert.deepEqual(toClient, [256, 256, 88]);
  assert.deepEqual(toServer, [600]);
});

// --- the server endpoint ----------------------------------------------------

Deno.test("DtlsServerEndpoint keeps a connection ID client's association when its address changes (RFC 9146 §6)", async () => {
  const ep = new DtlsServerEndpoint({ handshake: { psk: () => KEY } });
  const bench = new Bench(ep);
  const home = { hostname: "192.0.2.10", port: 4000 };
  const away = { hostname: "198.51.100.3", port: 61000 };
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY } },
    connectionId: new Uint8Array(0),
  });
  bench.connect(home, client);
  await bench.pump();
  assert.ok(client.established);
  const server = ep.association(home)!;
  assert.equal(server.recordLayer?.connectionId?.length, 6);
  drainEp(ep);
  // a NAT rebinding: the same client, a new address
  bench.clients.clear();
  bench.attach(away, client);
  client.send(new Uint8Array([1]));
  await bench.pump();
  assert.equal(ep.association(home), undefined);
  assert.equal(ep.association(away), server, "the same association");
  assert.equal(ep.size, 1);
  const events = drainEp(ep);
  assert.deepEqual(events[0], {
    peer: away,
    event: { kind: "address_changed", from: home },
  });
  assert.equal(events[1]?.event.kind, "data");
  // the answer goes to the new address
  ep.send(away, new Uint8Array([2]));
  await bench.pump();
  assert.deepEqual(
    drain(client).flatMap((e) => e.kind === "data" ? [[...e.data]] : []),
    [[2]],
  );
});

Deno.test("DtlsServerEndpoint does not move a CID association for a replayed or forged record", async () => {
  const ep = new DtlsServerEndpoint({ handshake: { psk: () => KEY } });
  const bench = new Bench(ep);
  const home = { hostname: "192.0.2.10", port: 4000 };
  const client = new DtlsAssociation({
    role: "client",
    client: { psk: { identity: "d", key: KEY } },
    connectionId: new Uint8Array(0),
  });
  bench.connect(home, client);
  await bench.pump();
  client.send(new Uint8Array([1]));
  await bench.pump();
  const last = bench.wire.filter((d) => d.fromClient).at(-1)!.bytes;
  drainEp(ep);
  // an attacker replays the client's record from elsewhere
  await ep.handleInput(bench.now, last, { hostname: "203.0.113.9", port: 1 });
  // and sends a forged one under the same CID
  const forged = last.slice();
  forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
  await ep.handleInput(bench.now, forged, { hostname: "203.0.113.9", port: 2 });
  assert.ok(ep.association(home) !== undefined, "still at home");
  assert.equal(ep.size, 1);
  assert.deepEqual(drainEp(ep), []);
  assert.equal(ep.pollTransmit(), undefined);
});

function drainEp(ep: DtlsServerEndpoint): EndpointEvent[] {
  const out: EndpointEvent[] = [];
  for (let e; (e = ep.pollEvent()) !== undefined;) out.push(e);
  return out;
}
