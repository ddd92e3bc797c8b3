/**
 * Records and handshake messages altered in flight (rustls
 * `transfer_altered`, `do_handshake_until_both_error`): each case says
 * which alert each side sends, or that the record is dropped silently
 * (RFC 6347 §4.1.2.7).
 */
import assert from "node:assert/strict";
import {
  type AssociationEvent,
  DtlsAssociation,
} from "../../src/dtls/association.ts";
import { DtlsServerEndpoint } from "../../src/dtls/endpoint.ts";
import {
  type LinkDatagram,
  type LinkFilter,
  LossyLink,
} from "../support/lossy_link.ts";
import {
  Bench,
  type Captured,
  editHandshake,
  editRecords,
  flip,
  handshakeTypes,
  pskClient,
  resealed,
  tapPskKeys,
} from "./_wire.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import { certsCommand } from "../../cli/certs.ts";
import type {
  CertifiedKey,
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../../src/tls/handshake/types.ts";

const KEY = new Uint8Array(16).fill(0x42);
const PEER = { hostname: "192.0.2.7", port: 5684 };

type Closed = Extract<AssociationEvent, { kind: "closed" }>;

function closedOf(a: DtlsAssociation): Closed | undefined {
  let last: Closed | undefined;
  for (let e; (e = a.pollEvent()) !== undefined;) {
    if (e.kind === "closed") last = e;
  }
  return last;
}

/** Alerts (content type 21) a side put on the wire, by record epoch. */
function alertsSent(wire: readonly LinkDatagram[], from: "a" | "b"): number {
  return wire.filter((d) => d.from === from && d.bytes[0] === 21).length;
}

function pskPair(serverKey = KEY) {
  const server = new DtlsAssociation({
    role: "server",
    server: {
      cipherSuites: ["PSK-AES128-CCM8"],
      psk: (id) => id === "device-1" ? serverKey : undefined,
    },
  });
  const client = pskClient(KEY, "device-1", {
    cipherSuites: ["PSK-AES128-CCM8"],
  });
  return { client, server };
}

/** A link that records every datagram (before later filters) for the tap. */
function tappedLink(
  client: DtlsAssociation,
  server: DtlsAssociation,
  tamper: (d: LinkDatagram, wire: Captured[]) => Uint8Array | undefined,
  startTime = 0,
) {
  const wire: Captured[] = [];
  const seen: LinkDatagram[] = [];
  const filter: LinkFilter = {
    name: "tap and tamper",
    decide: (d) => {
      wire.push({ fromClient: d.from === "a", peer: PEER, bytes: d.bytes });
      const out = tamper(d, wire);
      seen.push(out === undefined ? d : { ...d, bytes: out });
      return out === undefined ? "pass" : { replace: out };
    },
  };
  const link = new LossyLink(client, server, {
    filters: [filter],
    startTime,
  });
  return { link, wire, seen };
}

const epoch1Handshake = (r: { epoch: number; type: number }) =>
  r.epoch === 1 && r.type === 22;

Deno.test("a client Finished altered once in flight is dropped silently and retransmitted", async () => {
  const { client, server } = pskPair();
  // client datagram 2 is flight 5: flip the Finished record's tag
  const { link, seen } = tappedLink(
    client,
    server,
    (d) =>
      d.from === "a" && d.index === 2
        ? editRecords(d.bytes, epoch1Handshake, (r) => flip(-1)(r.fragment))
        : undefined,
  );
  client.start(0);
  await link.driveUntilAsync(() => client.established && server.established);
  assert.equal(alertsSent(seen, "b"), 0, "no alert for a bad record");
  assert.ok(link.now >= 1000, "recovered by the client's flight timer");
});

Deno.test("a client Finished altered on every transmission: no alert, both sides time out", async () => {
  const { client, server } = pskPair();
  const { link, seen } = tappedLink(
    client,
    server,
    (d) =>
      d.from === "a" && handshakeTypes(d.bytes).includes(16)
        ? editRecords(d.bytes, epoch1Handshake, (r) => flip(-1)(r.fragment))
        : undefined,
  );
  client.start(0);
  await link.driveBoundedAsync(500);
  assert.equal(alertsSent(seen, "b"), 0);
  assert.equal(alertsSent(seen, "a"), 0);
  assert.equal(closedOf(client)?.reason, "handshake timed out");
  // the server keeps retransmitting flight 4 (its Finished never came)
  // until its flight timer gives up; the handshake deadline bounds it too
  assert.equal(closedOf(server)?.reason, "handshake timed out");
  assert.ok(server.closed && !server.established);
});

Deno.test("a client Finished with altered verify_data (valid record) gets decrypt_error", async () => {
  const { client, server } = pskPair();
  const { link } = tappedLink(client, server, (d, wire) => {
    if (d.from !== "a" || d.index !== 2) return undefined;
    const keys = tapPskKeys(wire, PEER, KEY);
    // byte 12: first byte of verify_data after the 12-byte DTLS header
    return editRecords(
      d.bytes,
      epoch1Handshake,
      resealed(keys.client, flip(12)),
    );
  });
  client.start(0);
  await link.driveBoundedAsync(200);
  const s = closedOf(server);
  const c = closedOf(client);
  assert.equal(s?.alert?.name, "decrypt_error");
  assert.equal(s?.alert?.received, false);
  assert.equal(c?.alert?.name, "decrypt_error");
  assert.equal(c?.alert?.received, true);
});

Deno.test("a server Finished with altered verify_data (valid record) gets decrypt_error from the client", async () => {
  const { client, server } = pskPair();
  const { link } = tappedLink(client, server, (d, wire) => {
    if (d.from !== "b" || d.index !== 2) return undefined;
    const keys = tapPskKeys(wire, PEER, KEY);
    return editRecords(
      d.bytes,
      epoch1Handshake,
      resealed(keys.server, flip(20)),
    );
  });
  client.start(0);
  await link.driveBoundedAsync(200);
  const c = closedOf(client);
  assert.equal(c?.alert?.name, "decrypt_error");
  assert.equal(c?.alert?.received, false);
  assert.ok(server.established, "the server finished first");
  const s = closedOf(server);
  assert.equal(s?.alert?.name, "decrypt_error");
  assert.equal(s?.alert?.received, true);
});

Deno.test("a server Finished record altered once is dropped and recovered by flight 5 retransmission", async () => {
  const { client, server } = pskPair();
  const { link, seen } = tappedLink(
    client,
    server,
    (d) =>
      d.from === "b" && d.index === 2
        ? editRecords(d.bytes, epoch1Handshake, (r) => flip(-3)(r.fragment))
        : undefined,
  );
  client.start(0);
  await link.driveUntilAsync(() => client.established);
  assert.equal(alertsSent(seen, "a"), 0);
  assert.ok(link.stats.b.sent >= 3, "flight 6 was sent again");
});

Deno.test("altered application records are dropped silently and later records still pass", async () => {
  const { client, server } = pskPair();
  let tamperNext = false;
  const { link, seen } = tappedLink(client, server, (d) => {
    if (!tamperNext || d.from !== "a") return undefined;
    tamperNext = false;
    return editRecords(
      d.bytes,
      (r) => r.type === 23,
      (r) => flip(-1)(r.fragment),
    );
  });
  client.start(0);
  await link.driveUntilAsync(() => client.established && server.established);
  server.pollEvent();
  tamperNext = true;
  client.send(new Uint8Array([1, 2, 3]));
  await link.driveBoundedAsync(20);
  assert.equal(server.pollEvent(), undefined, "no event for a bad record");
  assert.equal(alertsSent(seen, "b"), 0);
  client.send(new Uint8Array([4]));
  await link.driveBoundedAsync(20);
  assert.deepEqual(server.pollEvent(), {
    kind: "data",
    data: new Uint8Array([4]),
    identity: { kind: "psk", identity: "device-1" },
  });
  // a replayed record is dropped too (RFC 6347 §4.1.2.6)
  const last = seen.filter((d) => d.from === "a").at(-1)!.bytes;
  await server.handleInput(link.now, last);
  assert.equal(server.pollEvent(), undefined);
  assert.ok(server.established && !server.closed);
});

Deno.test("a wrong PSK for a known identity: the undecryptable Finished is dropped silently, as OpenSSL's DTLS server does", async () => {
  // `openssl s_server -dtls1_2 -psk K1 -nocert` against `s_client -psk K2`
  // (OpenSSL 3.0.22): the server sends no alert for the client's Finished
  // that fails to decrypt and keeps retransmitting; so does postern
  // (RFC 6347 §4.1.2.7: invalid records are discarded; an alert would also
  // give an off-path attacker a way to end handshakes with forged records).
  const { client, server } = pskPair(new Uint8Array(16).fill(1));
  const { link, seen } = tappedLink(client, server, () => undefined);
  client.start(0);
  await link.driveBoundedAsync(500);
  assert.equal(alertsSent(seen, "a"), 0);
  assert.equal(alertsSent(seen, "b"), 0);
  assert.equal(closedOf(client)?.reason, "handshake timed out");
  assert.equal(closedOf(server)?.reason, "handshake timed out");
  assert.ok(link.now <= 366_000 + 1_000, `ended at ${link.now} ms`);
});

Deno.test("an altered cookie gets a fresh HelloVerifyRequest and the handshake then completes", async () => {
  const ep = new DtlsServerEndpoint({ handshake: { psk: () => KEY } });
  const bench = new Bench(ep);
  let hvrs = 0;
  bench.edit = (d) => {
    if (d.fromClient || !handshakeTypes(d.bytes).includes(3)) return d.bytes;
    // HelloVerifyRequest body: server_version(2) cookie<1..>: flip cookie[0]
    return ++hvrs === 1 ? editHandshake(d.bytes, 3, flip(3)) : d.bytes;
  };
  const client = bench.connect(PEER, pskClient(KEY)).association;
  await bench.pump();
  assert.ok(client.established);
  assert.equal(hvrs, 2, "the bad cookie was answered with a new one");
  assert.equal(ep.size, 1);
});

Deno.test("a cookie altered every time: no state on the server, the client gives up with unexpected_message", async () => {
  const ep = new DtlsServerEndpoint({ handshake: { psk: () => KEY } });
  const bench = new Bench(ep);
  bench.edit = (d) =>
    d.fromClient ? d.bytes : editHandshake(d.bytes, 3, flip(-1));
  const client = bench.connect(PEER, pskClient(KEY)).association;
  await bench.pump();
  assert.ok(client.closed);
  assert.equal(closedOf(client)?.alert?.name, "unexpected_message");
  assert.equal(ep.size, 0);
  assert.equal(ep.handshaking, 0);
});

// --- certificates ---------------------------------------------------------

async function devCredentials() {
  const dir = await Deno.makeTempDir();
  const log = console.log;
  console.log = () => {};
  try {
    await certsCommand(["init", "--dir", dir]);
  } finally {
    console.log = log;
  }
  const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
  const out = {
    ca: parseCertificatePem(read("ca.pem")),
    server: {
      chain: parseCertificatePem(read("server.pem")),
      key: loadPrivateKey(read("server_key.pem")),
    } satisfies CertifiedKey,
    client: {
      chain: parseCertificatePem(read("client.pem")),
      key: loadPrivateKey(read("client_key.pem")),
    } satisfies CertifiedKey,
  };
  await Deno.remove(dir, { recursive: true });
  return out;
}

const dev = await devCredentials();

async function certRun(
  s: ServerHandshakeConfig,
  c: ClientHandshakeConfig,
  tamper: (d: LinkDatagram) => Uint8Array | undefined,
  now = Date.now(),
) {
  const server = new DtlsAssociation({ role: "server", server: s });
  const client = new DtlsAssociation({ role: "client", client: c });
  const { link } = tappedLink(client, server, (d) => tamper(d), now);
  client.start(link.now);
  await link.driveBoundedAsync(300);
  return { server: closedOf(server), client: closedOf(client) };
}

const TWO_WAY_SERVER: ServerHandshakeConfig = {
  cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"],
  certificate: dev.server,
  clientAuth: { trustAnchors: dev.ca, failIfNoPeerCert: true },
};

Deno.test("an altered CertificateVerify signature gets decrypt_error", async () => {
  const r = await certRun(
    TWO_WAY_SERVER,
    { trustAnchors: dev.ca, certificate: dev.client },
    (d) =>
      d.from === "a" && handshakeTypes(d.bytes).includes(15)
        ? editHandshake(d.bytes, 15, flip(-1))
        : undefined,
  );
  assert.equal(r.server?.alert?.name, "decrypt_error");
  assert.equal(r.server?.alert?.received, false);
  assert.equal(r.client?.alert?.name, "decrypt_error");
  assert.equal(r.client?.alert?.received, true);
});

Deno.test("an altered ServerKeyExchange signature gets decrypt_error from the client", async () => {
  const r = await certRun(
    { cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"], certificate: dev.server },
    { trustAnchors: dev.ca },
    (d) =>
      d.from === "b" && handshakeTypes(d.bytes).includes(12)
        ? editHandshake(d.bytes, 12, flip(-1))
        : undefined,
  );
  assert.equal(r.client?.alert?.name, "decrypt_error");
  assert.equal(r.server?.alert?.name, "decrypt_error");
  assert.equal(r.server?.alert?.received, true);
});

Deno.test("an altered ECDHE public key in ClientKeyExchange breaks the keys: dropped silently", async () => {
  // the server derives other keys and cannot open the client's Finished
  const r = await certRun(
    { cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"], certificate: dev.server },
    { trustAnchors: dev.ca },
    (d) =>
      d.from === "a" && handshakeTypes(d.bytes).includes(16)
        ? editHandshake(d.bytes, 16, (b) => {
          // X25519/P-256 point: keep the length/format byte, alter the last byte
          return flip(-1)(b);
        })
        : undefined,
  );
  // P-256: an altered point is almost surely off the curve → illegal_parameter;
  // either way the handshake must not complete
  assert.ok(
    r.server?.alert?.name === "illegal_parameter" ||
      r.server?.reason === "handshake timed out",
    JSON.stringify(r.server),
  );
});

const pki = await pkiFixtures();

Deno.test("an expired client certificate gets certificate_expired", async () => {
  const root = parseCertificatePem(pki.certs.root.pem);
  const inter = parseCertificatePem(pki.certs.inter.pem);
  const r = await certRun(
    {
      cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"],
      certificate: {
        chain: [...parseCertificatePem(pki.certs.server.pem), ...inter],
        key: loadPrivateKey(Deno.readTextFileSync(pki.certs.server.keyPath)),
      },
      clientAuth: { trustAnchors: root, failIfNoPeerCert: true },
    },
    {
      trustAnchors: root,
      certificate: {
        chain: [...parseCertificatePem(pki.certs.expired.pem), ...inter],
        key: loadPrivateKey(Deno.readTextFileSync(pki.certs.expired.keyPath)),
      },
    },
    () => undefined,
  );
  assert.equal(r.server?.alert?.name, "certificate_expired");
  assert.equal(r.server?.alert?.received, false);
  assert.equal(r.client?.alert?.name, "certificate_expired");
  assert.equal(r.client?.alert?.received, true);
});

Deno.test("an expired client certificate is accepted with skipValidityCheck", async () => {
  const root = parseCertificatePem(pki.certs.root.pem);
  const inter = parseCertificatePem(pki.certs.inter.pem);
  const server = new DtlsAssociation({
    role: "server",
    server: {
      cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"],
      certificate: {
        chain: [...parseCertificatePem(pki.certs.server.pem), ...inter],
        key: loadPrivateKey(Deno.readTextFileSync(pki.certs.server.keyPath)),
      },
      clientAuth: {
        trustAnchors: root,
        failIfNoPeerCert: true,
        skipValidityCheck: true,
      },
    },
  });
  const client = new DtlsAssociation({
    role: "client",
    client: {
      trustAnchors: root,
      certificate: {
        chain: [...parseCertificatePem(pki.certs.expired.pem), ...inter],
        key: loadPrivateKey(Deno.readTextFileSync(pki.certs.expired.keyPath)),
      },
    },
  });
  const link = new LossyLink(client, server, { startTime: Date.now() });
  client.start(link.now);
  await link.driveUntilAsync(() => server.established && client.established);
  const id = server.session?.identity;
  assert.equal(id?.kind === "x509" ? id.subject : "", "CN=expired-device");
});
