/** One table over every cipher suite × auth mode, in memory, both roles. */
import assert from "node:assert/strict";
import {
  type AssociationEvent,
  DtlsAssociation,
} from "../../src/dtls/association.ts";
import { LossyLink } from "../support/lossy_link.ts";
import { certsCommand } from "../../cli/certs.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import type {
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../../src/tls/handshake/types.ts";

const KEY = new Uint8Array(32).fill(5);
const dir = await Deno.makeTempDir();
const log = console.log;
console.log = () => {};
await certsCommand(["init", "--dir", dir]);
console.log = log;
const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
const ca = parseCertificatePem(read("ca.pem"));
const server = {
  chain: parseCertificatePem(read("server.pem")),
  key: loadPrivateKey(read("server_key.pem")),
};
const clientCert = {
  chain: parseCertificatePem(read("client.pem")),
  key: loadPrivateKey(read("client_key.pem")),
};
await Deno.remove(dir, { recursive: true });

async function run(s: ServerHandshakeConfig, c: ClientHandshakeConfig) {
  const sa = new DtlsAssociation({ role: "server", server: s });
  const ca_ = new DtlsAssociation({ role: "client", client: c });
  const link = new LossyLink(ca_, sa, { startTime: Date.now() + 60_000 });
  ca_.start(link.now);
  // virtual time starting at the real clock, so certificates are valid
  await link.driveBoundedAsync(200);
  const se: AssociationEvent[] = [];
  const ce: AssociationEvent[] = [];
  for (let e; (e = sa.pollEvent()) !== undefined;) se.push(e);
  for (let e; (e = ca_.pollEvent()) !== undefined;) ce.push(e);
  return { sa, ca: ca_, se, ce, link };
}

const SUITES = [
  ["TLS_PSK_WITH_AES_128_CCM_8", "psk"],
  ["TLS_PSK_WITH_AES_128_CCM", "psk"],
  ["TLS_PSK_WITH_AES_128_GCM_SHA256", "psk"],
  ["TLS_PSK_WITH_AES_256_GCM_SHA384", "psk"],
  ["TLS_PSK_WITH_AES_128_CBC_SHA256", "psk"],
  ["TLS_PSK_WITH_AES_256_CBC_SHA384", "psk"],
  ["TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "psk"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "one-way"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "one-way"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "one-way"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "one-way"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "two-way"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "two-way"],
] as const;

for (const [suite, mode] of SUITES) {
  Deno.test(`DTLS handshake and data with ${suite} (${mode})`, async () => {
    const s: ServerHandshakeConfig = mode === "psk"
      ? { cipherSuites: [suite], psk: () => KEY }
      : {
        cipherSuites: [suite],
        certificate: server,
        ...(mode === "two-way"
          ? { clientAuth: { trustAnchors: ca, failIfNoPeerCert: true } }
          : {}),
      };
    const c: ClientHandshakeConfig = mode === "psk"
      ? { cipherSuites: [suite], psk: { identity: "dev", key: KEY } }
      : {
        cipherSuites: [suite],
        trustAnchors: ca,
        ...(mode === "two-way" ? { certificate: clientCert } : {}),
      };
    const r = await run(s, c);
    assert.ok(
      r.sa.established && r.ca.established,
      `${closedAlert(r.se)} ${closedAlert(r.ce)}`,
    );
    assert.equal(r.sa.session?.suite.name, suite);
    const id = r.sa.session?.identity;
    if (mode === "two-way") assert.equal(id?.kind, "x509");
    if (mode === "psk") assert.deepEqual(id, { kind: "psk", identity: "dev" });
    r.ca.send(new Uint8Array([1, 2, 3]));
    r.sa.send(new Uint8Array([4]));
    await r.link.driveBoundedAsync(50);
    assert.deepEqual(r.sa.pollEvent(), {
      kind: "data",
      data: new Uint8Array([1, 2, 3]),
      identity: id,
    });
    assert.equal(r.ca.pollEvent()?.kind, "data");
  });
}

function closedAlert(events: AssociationEvent[]): string | undefined {
  const e = events.at(-1);
  return e?.kind === "closed" ? e.alert?.name : undefined;
}

Deno.test("DTLS two-way: an unknown CA is refused with unknown_ca", async () => {
  const r = await run(
    {
      certificate: server,
      clientAuth: {
        trustAnchors: [clientCert.chain[0]!].slice(0, 0).concat(server.chain),
      },
    },
    { trustAnchors: ca, certificate: clientCert },
  );
  assert.equal(closedAlert(r.se), "unknown_ca");
  assert.equal(closedAlert(r.ce), "unknown_ca");
});

Deno.test("DTLS two-way: a client without a certificate gets handshake_failure with failIfNoPeerCert", async () => {
  const r = await run(
    {
      certificate: server,
      clientAuth: { trustAnchors: ca, failIfNoPeerCert: true },
    },
    { trustAnchors: ca },
  );
  assert.equal(closedAlert(r.se), "handshake_failure");
});

Deno.test("DTLS two-way: a client without a certificate connects one-way when allowed", async () => {
  const r = await run(
    { certificate: server, clientAuth: { trustAnchors: ca } },
    { trustAnchors: ca },
  );
  assert.ok(r.sa.established);
  assert.equal(r.sa.session?.identity, undefined);
});

Deno.test("DTLS client refuses a server certificate from an unknown CA", async () => {
  const r = await run({ certificate: server }, {
    trustAnchors: clientCert.chain,
  });
  assert.equal(closedAlert(r.ce), "unknown_ca");
  assert.equal(closedAlert(r.se), "unknown_ca");
});

Deno.test("DTLS server with client auth still serves PSK devices", async () => {
  const r = await run(
    {
      certificate: server,
      psk: () => KEY,
      clientAuth: { trustAnchors: ca, failIfNoPeerCert: true },
    },
    { psk: { identity: "dev", key: KEY } },
  );
  assert.ok(r.sa.established);
  assert.equal(r.sa.session?.suite.name, "TLS_PSK_WITH_AES_128_CCM_8");
});

Deno.test("DTLS: no suite in common gives handshake_failure", async () => {
  const r = await run(
    { cipherSuites: ["PSK-AES128-GCM-SHA256"], psk: () => KEY },
    { cipherSuites: ["PSK-AES128-CCM8"], psk: { identity: "d", key: KEY } },
  );
  assert.equal(closedAlert(r.se), "handshake_failure");
  assert.equal(closedAlert(r.ce), "handshake_failure");
});
