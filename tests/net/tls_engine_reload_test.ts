/**
 * Postern's TLS engine listener with credentials that follow their files
 * and a CRL cache: a reloaded server certificate serves the next
 * handshakes while live connections go on, a new CRL file closes the live
 * connection it revokes and refuses its next handshake
 * (certificate_revoked), and a distribution point's CRL fetched after the
 * handshake closes the connection it revokes. A revoked chain's cached
 * session is forgotten: it cannot resume past the CRL. Reloads are
 * triggered with `CredentialReloader.reload()`; every wait is bounded.
 */
import assert from "node:assert/strict";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { defaultConfig } from "../../src/config/mod.ts";
import type { TlsOptions } from "../../src/config/mod.ts";
import { MemoryStore } from "../../src/auth/mod.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";
import { CrlCache } from "../../src/net/crl_cache.ts";
import {
  engineHandshakeConfig,
  listenMqttTlsEngine,
} from "../../src/net/tls_engine.ts";
import { encodePem, parseCertificate } from "../../src/pki/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import {
  certificatesOf,
  certifiedKey,
  connectTlsClient,
} from "../support/tls_client.ts";
import {
  assertCertificateReload,
  bounded,
  CONNECT,
  deviceWithDistributionPoint,
  makeCrlRevoking,
  mqttTlsClient,
  sslListenerFixture,
  writeAtomically,
} from "../support/mqtt_tls.ts";
import { waitFor } from "./_support.ts";
import { ServiceRegistry } from "../../src/server.ts";
import { ListenerSessions } from "../../src/net/listener_sessions.ts";
import type { ResumableSession } from "../../src/tls/session_cache.ts";

async function setup(dir: string, tlsOptions: Partial<TlsOptions> = {}) {
  const fx = await sslListenerFixture(dir, {
    tls: { tlsEngine: "postern", ...tlsOptions },
  });
  const { f, certFile, keyFile, cfg, lines, logger, credentials } = fx;
  const crls = cfg.tls!.enableCrlCheck
    ? new CrlCache({
      fileCrls: credentials.current.crls,
      fetchDistributionPoints: cfg.tls!.crlFile === undefined,
      timeoutMs: 2_000,
      logger,
    })
    : undefined;
  const store = new MemoryStore();
  const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
  const services = new ServiceRegistry(logger);
  const sessions = await ListenerSessions.start(cfg, {
    config: { ...defaultConfig(), dataDir: `${dir}/data` },
    logger,
    services,
  });
  const handshake = await engineHandshakeConfig(defaultConfig(), cfg, {
    store,
    logger,
    credentials,
    ...(crls ? { crls } : {}),
    sessionCache: sessions.cache!,
  });
  const server = listenMqttTlsEngine(cfg, {
    driver,
    logger,
    handshake,
    credentials,
    sessions,
    ...(crls ? { crls } : {}),
  });
  return {
    f,
    certFile,
    keyFile,
    lines,
    credentials,
    port: server.address.port,
    async close() {
      await bounded(server.close(), 10_000, "the listener to close");
      credentials.close();
      crls?.close();
      sessions.close();
      await services.close();
      driver.close();
      await store.close();
    },
  };
}

/** A TLS 1.2 client of postern's engine presenting `device`, its CONNACK read. */
async function engineClient(
  port: number,
  device: { certPath: string; keyPath: string },
  session?: ResumableSession,
) {
  const f = await pkiFixtures();
  const key = await certifiedKey(device.certPath, device.keyPath);
  const c = await connectTlsClient(port, {
    trustAnchors: certificatesOf(f.certs.root.pem),
    certificate: {
      chain: [...key.chain, ...certificatesOf(f.certs.inter.pem)],
      key: key.key,
    },
    ...(session ? { session } : {}),
  }, { timeoutMs: 10_000 });
  return c;
}

/** Reads from a TLS engine stream; `null` at the end, throws after `ms`. */
function readWithin(
  stream: { read(b: Uint8Array): Promise<number | null> },
  ms = 10_000,
): Promise<Uint8Array | null> {
  const buf = new Uint8Array(256);
  return bounded(
    stream.read(buf).then((n) => n === null ? null : buf.slice(0, n)),
    ms,
    "data or the end of the stream",
  );
}

Deno.test("TLS engine: a reloaded server certificate serves new handshakes, live connections go on, a bad file keeps the old", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-engine-reload-" });
  const s = await setup(dir);
  try {
    await assertCertificateReload(
      s,
      (device) => mqttTlsClient(s.port, { ...device, maxVersion: "TLSv1.2" }),
    );
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS engine: a new CRL file closes the live connection it revokes and refuses its next handshake", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-engine-crl-" });
  const f = await pkiFixtures();
  const crlFile = `${dir}/clients.crl`;
  await Deno.copyFile(f.interCrl.path, crlFile);
  const s = await setup(dir, { enableCrlCheck: true, crlFile });
  try {
    const live = await engineClient(s.port, f.certs.device1);
    assert.equal(live.result.ok, true);
    await live.stream.write(CONNECT);
    assert.deepEqual(
      [...(await readWithin(live.stream))!],
      [0x20, 0x02, 0x00, 0x00],
    );
    // device-2 is not revoked and stays connected
    const other = await engineClient(s.port, f.certs.device2);
    assert.equal(other.result.ok, true);
    // device-1's session resumes until its certificate is revoked
    const session = live.result.ok ? live.result.session.resumable : undefined;
    assert.ok(session !== undefined, "the engine issued a session ID");
    const resumed = await engineClient(s.port, f.certs.device1, session);
    assert.equal(resumed.result.ok && resumed.result.session.resumed, true);
    resumed.stream.close();

    const crl = await makeCrlRevoking(
      `${dir}/ca`,
      f,
      parseCertificate(f.certs.device1.der).serial,
    );
    await writeAtomically(crlFile, encodePem("X509 CRL", crl));
    assert.equal(await s.credentials.reload(), "reloaded");
    assert.equal(await readWithin(live.stream), null);
    await waitFor(
      () =>
        s.lines.some((l) =>
          l.includes("tls.client_certificate_revoked") &&
          l.includes("device-1")
        ),
      5_000,
      "tls.client_certificate_revoked",
    );
    const refused = await engineClient(s.port, f.certs.device1);
    assert.equal(
      !refused.result.ok && refused.result.closed.alert?.name,
      "certificate_revoked",
    );
    // the cached session went with the certificate: a full handshake, refused
    assert.ok(
      s.lines.some((l) =>
        l.includes("tls.sessions_forgotten") &&
        l.includes("certificate_revoked")
      ),
    );
    const notResumed = await engineClient(s.port, f.certs.device1, session);
    assert.equal(
      !notResumed.result.ok && notResumed.result.closed.alert?.name,
      "certificate_revoked",
    );
    await other.stream.write(CONNECT);
    assert.deepEqual(
      [...(await readWithin(other.stream))!],
      [0x20, 0x02, 0x00, 0x00],
    );
    live.stream.close();
    other.stream.close();
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS engine: a distribution point's CRL closes the connection it revokes, and the next handshake is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-engine-cdp-" });
  const f = await pkiFixtures();
  let hits = 0;
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      hits++;
      return new Response(new Uint8Array(revoking));
    },
  );
  let revoking: Uint8Array = new Uint8Array();
  const s = await setup(dir, { enableCrlCheck: true });
  try {
    const url = `http://127.0.0.1:${http.addr.port}/inter.crl`;
    const device = await deviceWithDistributionPoint(dir, f, {
      cn: "cdp-device",
      serial: 4343,
      crlUrl: url,
    });
    revoking = await makeCrlRevoking(`${dir}/ca`, f, 4343n);
    await Deno.writeTextFile(`${dir}/cdp.crt`, device.certPem);
    await Deno.writeTextFile(`${dir}/cdp.key`, device.keyPem);
    const cdp = { certPath: `${dir}/cdp.crt`, keyPath: `${dir}/cdp.key` };

    // The handshake has no CRL for it yet; the one fetched right after ends it.
    const first = await engineClient(s.port, cdp);
    assert.equal(first.result.ok, true);
    assert.equal(await readWithin(first.stream), null);
    assert.equal(hits, 1);
    assert.ok(
      s.lines.some((l) =>
        l.includes("tls.client_certificate_revoked") &&
        l.includes("cdp-device")
      ),
    );
    const second = await engineClient(s.port, cdp);
    assert.equal(
      !second.result.ok && second.result.closed.alert?.name,
      "certificate_revoked",
    );
    assert.equal(hits, 1);
    first.stream.close();
  } finally {
    await s.close();
    await http.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
