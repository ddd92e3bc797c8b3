/**
 * TLS 1.2 over a stream, in memory: a {@link TlsConnection} server and
 * client over every suite × authentication mode (PSK, ECDHE_PSK,
 * ECDHE-ECDSA and ECDHE-RSA one-way and two-way), with the bytes delivered
 * coalesced, one at a time or in seeded random chunks; application data
 * larger than one record; close_notify; and the failures: tampered
 * records (bad_record_mac), wrong and unknown PSKs, client certificates
 * that are untrusted, expired, revoked or missing, a CertificateVerify
 * signed with a key other than the certificate's (decrypt_error),
 * out-of-place ChangeCipherSpec and application data, oversized records
 * and the handshake deadline (renegotiation: tests/interop/tls_engine_test.ts).
 */
import assert from "node:assert/strict";
import {
  TlsConnection,
  type TlsConnectionEvent,
} from "../../../src/tls/stream/connection.ts";
import { encodeTlsRecord } from "../../../src/tls/stream/record.ts";
import type {
  CertifiedKey,
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../../../src/tls/handshake/types.ts";
import { parseCrl } from "../../../src/pki/mod.ts";
import { pkiFixtures } from "../../support/pki_fixtures.ts";
import {
  certificatesOf,
  certifiedKey,
  mismatchedCertifiedKey,
  rsaFixtures,
} from "../../support/tls_client.ts";
import { SeededRandom } from "../../support/rng.ts";

const KEY = new Uint8Array(16).fill(0x5a);

interface Creds {
  ecServer: CertifiedKey;
  ecRoot: ReturnType<typeof certificatesOf>;
  device1: CertifiedKey;
  device3: CertifiedKey;
  expired: CertifiedKey;
  popFail: CertifiedKey;
  crl: ReturnType<typeof parseCrl>;
  rsaServer: CertifiedKey;
  rsaCa: ReturnType<typeof certificatesOf>;
  rsaClient: CertifiedKey;
  untrusted: CertifiedKey;
}

let credsCache: Promise<Creds> | undefined;
function creds(): Promise<Creds> {
  credsCache ??= (async () => {
    const fx = await pkiFixtures();
    const rsa = await rsaFixtures();
    const c = fx.certs;
    const inter = certificatesOf(c.inter.pem);
    const withInter = (k: CertifiedKey): CertifiedKey => ({
      chain: [...k.chain, ...inter],
      key: k.key,
    });
    return {
      ecServer: await certifiedKey(fx.serverChainPath, c.server.keyPath),
      ecRoot: certificatesOf(c.root.pem),
      device1: withInter(
        await certifiedKey(c.device1.certPath, c.device1.keyPath),
      ),
      device3: withInter(
        await certifiedKey(c.device3.certPath, c.device3.keyPath),
      ),
      expired: withInter(
        await certifiedKey(c.expired.certPath, c.expired.keyPath),
      ),
      popFail: withInter(
        await mismatchedCertifiedKey(c.device1.certPath, c.device2.keyPath),
      ),
      crl: parseCrl(fx.interCrl.der),
      rsaServer: await certifiedKey(rsa.serverCertPath, rsa.serverKeyPath),
      rsaCa: certificatesOf(await Deno.readTextFile(rsa.caPath)),
      rsaClient: await certifiedKey(rsa.clientCertPath, rsa.clientKeyPath),
      untrusted: await certifiedKey(c.leafRsa.certPath, c.leafRsa.keyPath),
    };
  })();
  return credsCache;
}

type Chunking = "coalesced" | "bytewise" | "random";

interface Pair {
  server: TlsConnection;
  client: TlsConnection;
  serverEvents: TlsConnectionEvent[];
  clientEvents: TlsConnectionEvent[];
}

function pair(
  server: ServerHandshakeConfig,
  client: ClientHandshakeConfig,
): Pair {
  const p = {
    server: new TlsConnection({ role: "server", server }),
    client: new TlsConnection({ role: "client", client }),
    serverEvents: [],
    clientEvents: [],
  };
  const now = Date.now();
  p.server.start(now);
  p.client.start(now);
  return p;
}

async function deliver(
  to: TlsConnection,
  bytes: Uint8Array,
  chunking: Chunking,
  rng: SeededRandom,
): Promise<void> {
  const now = Date.now();
  if (chunking === "coalesced") return await to.handleInput(now, bytes);
  let off = 0;
  while (off < bytes.length) {
    const n = chunking === "bytewise" ? 1 : 1 + rng.int(700);
    void to.handleInput(now, bytes.subarray(off, off + n));
    off += n;
  }
  await to.handleInput(now, new Uint8Array(0));
}

/** Moves bytes both ways until both sides are idle (bounded). */
async function drive(
  p: Pair,
  chunking: Chunking = "coalesced",
  rng = new SeededRandom(1),
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const c = p.client.pollTransmit();
    if (c) await deliver(p.server, c, chunking, rng);
    const s = p.server.pollTransmit();
    if (s) await deliver(p.client, s, chunking, rng);
    for (let e; (e = p.server.pollEvent());) p.serverEvents.push(e);
    for (let e; (e = p.client.pollEvent());) p.clientEvents.push(e);
    if (!c && !s) return;
  }
  assert.fail("connections did not go idle");
}

function closedOf(events: TlsConnectionEvent[]) {
  const e = events.find((x) => x.kind === "closed");
  return e?.kind === "closed" ? e : undefined;
}

function received(events: TlsConnectionEvent[]): Uint8Array {
  const parts = events.flatMap((e) => e.kind === "data" ? [e.data] : []);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

interface Mode {
  name: string;
  suites: string[];
  setup(
    c: Creds,
  ): { server: ServerHandshakeConfig; client: ClientHandshakeConfig };
  identity: string | undefined;
}

const PSK_SUITES = [
  "PSK-AES128-GCM-SHA256",
  "PSK-AES256-GCM-SHA384",
  "PSK-AES128-CBC-SHA256",
  "PSK-AES256-CBC-SHA384",
  "PSK-AES128-CCM8",
  "PSK-AES128-CCM",
];
const ECDSA_SUITES = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES128-CCM8",
  "ECDHE-ECDSA-AES128-CCM",
];
const RSA_SUITES = [
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
];

const MODES: Mode[] = [
  {
    name: "psk",
    suites: PSK_SUITES,
    setup: () => ({
      server: { psk: (id) => id === "dev-1" ? KEY : undefined },
      client: { psk: { identity: "dev-1", key: KEY } },
    }),
    identity: "psk:dev-1",
  },
  {
    name: "ecdhe_psk",
    suites: ["ECDHE-PSK-AES128-CBC-SHA256"],
    setup: () => ({
      server: { psk: (id) => id === "dev-1" ? KEY : undefined },
      client: { psk: { identity: "dev-1", key: KEY } },
    }),
    identity: "psk:dev-1",
  },
  {
    name: "ecdsa one-way",
    suites: ECDSA_SUITES,
    setup: (c) => ({
      server: { certificate: c.ecServer },
      client: { trustAnchors: c.ecRoot },
    }),
    identity: undefined,
  },
  {
    name: "ecdsa two-way",
    suites: ECDSA_SUITES,
    setup: (c) => ({
      server: {
        certificate: c.ecServer,
        clientAuth: { trustAnchors: c.ecRoot, failIfNoPeerCert: true },
      },
      client: { trustAnchors: c.ecRoot, certificate: c.device1 },
    }),
    identity: "x509",
  },
  {
    name: "rsa one-way",
    suites: RSA_SUITES,
    setup: (c) => ({
      server: { certificate: c.rsaServer },
      client: { trustAnchors: c.rsaCa },
    }),
    identity: undefined,
  },
  {
    name: "rsa two-way (RSA client key)",
    suites: RSA_SUITES,
    setup: (c) => ({
      server: {
        certificate: c.rsaServer,
        clientAuth: { trustAnchors: c.rsaCa, failIfNoPeerCert: true },
      },
      client: { trustAnchors: c.rsaCa, certificate: c.rsaClient },
    }),
    identity: "x509",
  },
  {
    name: "rsa two-way (ECDSA client key)",
    suites: RSA_SUITES,
    setup: (c) => ({
      server: {
        certificate: c.rsaServer,
        clientAuth: { trustAnchors: c.ecRoot, failIfNoPeerCert: true },
      },
      client: { trustAnchors: c.rsaCa, certificate: c.device1 },
    }),
    identity: "x509",
  },
];

function describe(e: TlsConnectionEvent | undefined): string | undefined {
  if (e?.kind !== "established") return undefined;
  const id = e.identity;
  return id === undefined
    ? undefined
    : id.kind === "psk"
    ? `psk:${id.identity}`
    : "x509";
}

for (const mode of MODES) {
  for (const suite of mode.suites) {
    Deno.test(`TlsConnection ${mode.name} ${suite}: handshake, 40 KB each way, close_notify`, async () => {
      const c = await creds();
      const { server, client } = mode.setup(c);
      const p = pair(
        { ...server, cipherSuites: [suite] },
        { ...client, cipherSuites: [suite] },
      );
      await drive(p);
      const sEst = p.serverEvents[0];
      const cEst = p.clientEvents[0];
      assert.equal(
        sEst?.kind,
        "established",
        closedOf(p.serverEvents)?.reason ?? closedOf(p.clientEvents)?.reason ??
          "not established",
      );
      assert.equal(cEst?.kind, "established");
      assert.equal(
        sEst?.kind === "established" && sEst.session.suite.openssl,
        suite,
      );
      assert.equal(describe(sEst), mode.identity);
      const big = new Uint8Array(40_000).map((_, i) => i * 7);
      p.client.send(big);
      p.server.send(big.subarray(0, 20_000));
      p.server.send(big.subarray(20_000));
      await drive(p);
      assert.deepEqual(received(p.serverEvents), big);
      assert.deepEqual(received(p.clientEvents), big);
      p.client.close();
      await drive(p);
      assert.equal(closedOf(p.serverEvents)?.reason, "peer closed");
      assert.equal(closedOf(p.clientEvents)?.alert?.name, "close_notify");
    });
  }
}

for (const chunking of ["bytewise", "random"] as const) {
  for (
    const [mode, suite] of [
      [MODES[0]!, "PSK-AES128-CBC-SHA256"],
      [MODES[3]!, "ECDHE-ECDSA-AES128-GCM-SHA256"],
      [MODES[5]!, "ECDHE-RSA-AES256-GCM-SHA384"],
    ] as const
  ) {
    Deno.test(`TlsConnection ${mode.name} ${suite}: records split ${chunking}`, async () => {
      const c = await creds();
      const { server, client } = mode.setup(c);
      const p = pair(
        { ...server, cipherSuites: [suite] },
        { ...client, cipherSuites: [suite] },
      );
      const rng = new SeededRandom(42);
      await drive(p, chunking, rng);
      assert.equal(p.serverEvents[0]?.kind, "established");
      const data = new Uint8Array(chunking === "bytewise" ? 3000 : 50_000)
        .map((_, i) => i);
      p.client.send(data);
      await drive(p, chunking, rng);
      assert.deepEqual(received(p.serverEvents), data);
    });
  }
}

Deno.test("TlsConnection coalesces a flight into one record and splits messages over 2^14", async () => {
  const c = await creds();
  const p = pair({ certificate: c.ecServer }, { trustAnchors: c.ecRoot });
  const hello = p.client.pollTransmit()!;
  await p.server.handleInput(Date.now(), hello);
  const flight = p.server.pollTransmit()!;
  // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone: one record
  assert.equal(flight[0], 22);
  assert.equal(5 + ((flight[3]! << 8) | flight[4]!), flight.length);
  await p.client.handleInput(Date.now(), flight);
  await drive(p);
  assert.equal(p.clientEvents[0]?.kind, "established");
});

async function failing(
  server: ServerHandshakeConfig,
  client: ClientHandshakeConfig,
): Promise<{ server?: string; client?: string; sent?: boolean }> {
  const p = pair(server, client);
  await drive(p);
  const s = closedOf(p.serverEvents);
  const cl = closedOf(p.clientEvents);
  return {
    ...(s?.alert ? { server: s.alert.name, sent: !s.alert.received } : {}),
    ...(cl?.alert ? { client: cl.alert.name } : {}),
  };
}

Deno.test("TlsConnection refuses client certificates: unknown_ca, certificate_expired, certificate_revoked, handshake_failure", async () => {
  const c = await creds();
  const server = (crls = [c.crl]): ServerHandshakeConfig => ({
    certificate: c.ecServer,
    clientAuth: { trustAnchors: c.ecRoot, crls, failIfNoPeerCert: true },
  });
  const client = (certificate?: CertifiedKey): ClientHandshakeConfig => ({
    trustAnchors: c.ecRoot,
    ...(certificate ? { certificate } : {}),
  });
  assert.deepEqual(await failing(server(), client(c.untrusted)), {
    server: "unknown_ca",
    sent: true,
    client: "unknown_ca",
  });
  assert.deepEqual(await failing(server(), client(c.expired)), {
    server: "certificate_expired",
    sent: true,
    client: "certificate_expired",
  });
  assert.deepEqual(await failing(server(), client(c.device3)), {
    server: "certificate_revoked",
    sent: true,
    client: "certificate_revoked",
  });
  assert.deepEqual(await failing(server(), client()), {
    server: "handshake_failure",
    sent: true,
    client: "handshake_failure",
  });
  // skip validity: the expired certificate is accepted
  const skip = pair({
    certificate: c.ecServer,
    clientAuth: { trustAnchors: c.ecRoot, skipValidityCheck: true },
  }, client(c.expired));
  await drive(skip);
  assert.equal(skip.serverEvents[0]?.kind, "established");
});

Deno.test("TlsConnection refuses a CertificateVerify signed with another key (decrypt_error)", async () => {
  const c = await creds();
  assert.deepEqual(
    await failing({
      certificate: c.ecServer,
      clientAuth: { trustAnchors: c.ecRoot },
    }, { trustAnchors: c.ecRoot, certificate: c.popFail }),
    { server: "decrypt_error", sent: true, client: "decrypt_error" },
  );
});

Deno.test("TlsConnection: a wrong PSK is bad_record_mac, an unknown identity unknown_psk_identity", async () => {
  assert.deepEqual(
    await failing({ psk: () => KEY }, {
      psk: { identity: "dev-1", key: new Uint8Array(16) },
    }),
    { server: "bad_record_mac", sent: true, client: "bad_record_mac" },
  );
  assert.deepEqual(
    await failing({ psk: () => undefined }, {
      psk: { identity: "nobody", key: KEY },
    }),
    {
      server: "unknown_psk_identity",
      sent: true,
      client: "unknown_psk_identity",
    },
  );
});

async function established(): Promise<Pair> {
  const p = pair({ psk: () => KEY, cipherSuites: ["PSK-AES128-GCM-SHA256"] }, {
    psk: { identity: "d", key: KEY },
  });
  await drive(p);
  assert.equal(p.serverEvents[0]?.kind, "established");
  return p;
}

Deno.test("TlsConnection: a tampered record is a fatal bad_record_mac", async () => {
  const p = await established();
  p.client.send(new Uint8Array([1, 2, 3, 4]));
  const record = p.client.pollTransmit()!;
  record[record.length - 1]! ^= 1;
  await p.server.handleInput(Date.now(), record);
  const alert = p.server.pollTransmit()!;
  assert.equal(alert[0], 21); // an alert record (protected)
  for (let e; (e = p.server.pollEvent());) p.serverEvents.push(e);
  assert.equal(closedOf(p.serverEvents)?.alert?.name, "bad_record_mac");
  assert.equal(p.server.closed, true);
  await p.client.handleInput(Date.now(), alert);
  for (let e; (e = p.client.pollEvent());) p.clientEvents.push(e);
  assert.deepEqual(closedOf(p.clientEvents)?.alert, {
    description: 20,
    name: "bad_record_mac",
    received: true,
  });
});

async function serverAnswer(bytes: Uint8Array): Promise<string | undefined> {
  const s = new TlsConnection({ role: "server", server: { psk: () => KEY } });
  s.start(0);
  await s.handleInput(0, bytes);
  const events: TlsConnectionEvent[] = [];
  for (let e; (e = s.pollEvent());) events.push(e);
  const out = s.pollTransmit();
  if (out !== undefined) assert.equal(out[0], 21);
  return closedOf(events)?.alert?.name;
}

Deno.test("TlsConnection refuses records out of place before the handshake", async () => {
  const v = 0x0303;
  assert.equal(
    await serverAnswer(
      encodeTlsRecord({ type: 20, version: v, fragment: new Uint8Array([1]) }),
    ),
    "unexpected_message",
  );
  assert.equal(
    await serverAnswer(
      encodeTlsRecord({ type: 23, version: v, fragment: new Uint8Array([1]) }),
    ),
    "unexpected_message",
  );
  assert.equal(
    await serverAnswer(
      encodeTlsRecord({ type: 22, version: v, fragment: new Uint8Array(0) }),
    ),
    "decode_error",
  );
  assert.equal(
    await serverAnswer(new Uint8Array([22, 3, 3, 0x48, 0x01])),
    "record_overflow",
  );
  assert.equal(
    await serverAnswer(new Uint8Array([99, 3, 3, 0, 1, 0])),
    "unexpected_message",
  );
  assert.equal(
    await serverAnswer(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")),
    "protocol_version",
  );
  assert.equal(
    await serverAnswer(
      encodeTlsRecord({
        type: 22,
        version: v,
        fragment: new Uint8Array([2, 0, 0, 0]),
      }),
    ),
    "unexpected_message",
  );
});

Deno.test("TlsConnection closes when the handshake deadline passes", () => {
  const s = new TlsConnection({
    role: "server",
    server: { psk: () => KEY },
    handshakeTimeoutMs: 1000,
  });
  s.start(5000);
  assert.equal(s.nextTimeout(), 6000);
  s.handleTimeout(5999);
  assert.equal(s.closed, false);
  s.handleTimeout(6000);
  assert.equal(s.closed, true);
  const e = s.pollEvent();
  assert.equal(e?.kind === "closed" && e.reason, "handshake timed out");
  assert.equal(s.nextTimeout(), undefined);
});

Deno.test("TlsConnection reports a stream that ends without close_notify", async () => {
  const p = await established();
  p.server.endOfStream();
  await p.server.handleInput(Date.now(), new Uint8Array(0));
  for (let e; (e = p.server.pollEvent());) p.serverEvents.push(e);
  assert.equal(
    closedOf(p.serverEvents)?.reason,
    "stream ended without close_notify",
  );
});

Deno.test("TlsConnection honours max_fragment_length and record_size_limit for the records it sends", async () => {
  for (
    const client of [
      { maxFragmentLength: 512 as const },
      { recordSizeLimit: 600 },
    ]
  ) {
    const p = pair(
      { psk: () => KEY, cipherSuites: ["PSK-AES128-GCM-SHA256"] },
      {
        psk: { identity: "d", key: KEY },
        ...client,
      },
    );
    await drive(p);
    assert.equal(p.serverEvents[0]?.kind, "established");
    p.server.send(new Uint8Array(5000).fill(7));
    const bytes = p.server.pollTransmit()!;
    const limit = "maxFragmentLength" in client ? 512 : 600;
    let records = 0;
    for (let off = 0; off < bytes.length; records++) {
      const length = (bytes[off + 3]! << 8) | bytes[off + 4]!;
      assert.ok(length <= limit + 24, `record of ${length}`);
      off += 5 + length;
    }
    assert.ok(records >= 9);
    await p.client.handleInput(Date.now(), bytes);
    for (let e; (e = p.client.pollEvent());) p.clientEvents.push(e);
    assert.equal(received(p.clientEvents).length, 5000);
  }
});
