/**
 * The `node:tls` listener beyond what the interop tests show: hot reload
 * of the server certificate (new connections see the new one, live ones go
 * on, a bad file keeps the old one), the PROXY protocol before the TLS
 * handshake, CRLs fetched from a distribution point (a local HTTP server),
 * and the chain and stream helpers.
 *
 * Reloads are triggered with `CredentialReloader.reload()` (file watching
 * is tested in credential_reloader_test.ts), and every wait is bounded.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { defaultConfig, defaultListener } from "../../src/config/mod.ts";
import type { ListenerConfig, TlsOptions } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";
import {
  checkClientCertificate,
  listenMqttNodeTls,
} from "../../src/net/node_tls_listener.ts";
import { listenerCredentialReloader } from "../../src/net/credential_reloader.ts";
import { listenMqttTls } from "../../src/net/tls_listener.ts";
import { CrlCache } from "../../src/net/crl_cache.ts";
import {
  encodePem,
  issueCertificate,
  parseCertificate,
} from "../../src/pki/mod.ts";
import { generateEcKeyPair } from "../../src/crypto/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import {
  assertCertificateReload,
  bounded,
  colonHex,
  deviceWithDistributionPoint,
  makeCrlRevoking,
  mqttTlsClient as client,
  selfSignedServer,
  sslListenerFixture,
  writeAtomically,
} from "../support/mqtt_tls.ts";
import { delay, waitFor } from "./_support.ts";

async function setup(
  dir: string,
  listener: Partial<ListenerConfig> = {},
  tls: Partial<TlsOptions> = {},
) {
  const fx = await sslListenerFixture(dir, { listener, tls });
  const { f, certFile, keyFile, cfg, lines, logger, credentials } = fx;
  const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
  const crls = cfg.tls!.enableCrlCheck
    ? new CrlCache({
      fileCrls: credentials.current.crls,
      fetchDistributionPoints: false,
    })
    : undefined;
  const server = await listenMqttNodeTls(cfg, {
    driver,
    logger,
    credentials,
    ...(crls ? { crls } : {}),
  });
  return {
    f,
    certFile,
    keyFile,
    lines,
    credentials,
    server,
    async close() {
      await bounded(server.close(), 10_000, "the listener to close");
      credentials.close();
      crls?.close();
      driver.close();
    },
  };
}

Deno.test("node:tls listener: a new server certificate serves new connections, live ones go on, a bad file keeps the old", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-reload-" });
  const s = await setup(dir);
  try {
    await assertCertificateReload(
      s,
      (device) => client(s.server.address.port, device),
    );
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("node:tls listener reads a PROXY protocol header before the TLS handshake", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-proxy-tls-" });
  const s = await setup(dir, { proxyProtocol: true });
  try {
    for (
      const header of [
        "PROXY TCP4 192.0.2.7 192.0.2.1 5000 8883\r\n",
        "PROXY UNKNOWN\r\n",
      ]
    ) {
      const raw = net.connect(s.server.address.port, "127.0.0.1");
      await new Promise((r) => raw.once("connect", r));
      raw.write(header);
      const c = await client(0, { socket: raw });
      c.socket.destroy();
    }
    assert.ok(
      s.lines.some((l) =>
        l.includes("proxy_protocol.client") && l.includes("192.0.2.7:5000")
      ),
    );
    const raw = net.connect(s.server.address.port, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    raw.write("GET / HTTP/1.1\r\n\r\n");
    await new Promise((r) => raw.once("close", r));
    assert.ok(s.lines.some((l) => l.includes("proxy_protocol.malformed")));
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CrlCache fetches a distribution point's CRL, caches it, and a revoked certificate is refused", async () => {
  const f = await pkiFixtures();
  let hits = 0;
  let serve: Uint8Array<ArrayBuffer> = f.interCrl.der.slice();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      hits++;
      return new Response(serve.slice());
    },
  );
  const dir = await Deno.makeTempDir({ prefix: "postern-cdp-" });
  try {
    const url = `http://127.0.0.1:${http.addr.port}/inter.crl`;
    // A device certificate from `inter` naming the local distribution point,
    // revoked by serial in a CRL made for the test.
    const device = await deviceWithDistributionPoint(dir, f, {
      cn: "cdp-device",
      serial: 4242,
      crlUrl: url,
    });
    const leaf = parseCertificate(device.der);
    assert.deepEqual(leaf.crlDistributionPoints, [url]);
    const lines: string[] = [];
    const cache = new CrlCache({
      logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
      timeoutMs: 2_000,
    });
    const policy = {
      trustAnchors: [parseCertificate(f.certs.root.der)],
      failIfNoPeerCert: true,
      skipValidityCheck: false,
      crls: cache,
    };
    const chain = [leaf, parseCertificate(f.certs.inter.der)];
    // inter.crl does not list serial 4242: accepted, CRL fetched once.
    const ok = await checkClientCertificate(chain, policy);
    assert.equal(ok.identity?.refusal, undefined);
    assert.equal(ok.identity?.username, "cdp-device");
    await checkClientCertificate(chain, policy);
    assert.equal(hits, 1);

    // A CRL revoking 4242, served after the cache is refreshed.
    const revokedCrl = await makeCrlRevoking(`${dir}/ca`, f, 4242n);
    serve = revokedCrl.slice();
    const fresh = new CrlCache({ timeoutMs: 2_000 });
    const refused = await checkClientCertificate(chain, {
      ...policy,
      crls: fresh,
    });
    assert.deepEqual(refused.identity?.refusal, {
      reason: "bad_credentials",
      cause: "revoked",
    });
    fresh.close();

    // An unreachable distribution point: soft fail after the timeout, logged.
    const down = new CrlCache({
      timeoutMs: 300,
      logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
    });
    await http.shutdown();
    const t0 = Date.now();
    const soft = await checkClientCertificate(chain, { ...policy, crls: down });
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal(soft.identity?.refusal, undefined);
    await waitFor(
      () => lines.some((l) => l.includes("crl.fetch_failed")),
      3_000,
    );
    down.close();
    cache.close();
  } finally {
    await http.shutdown().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "Deno.listenTls listener: a reload rebinds with the new certificate, live connections go on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-rebind-" });
    const f = await pkiFixtures();
    const certFile = `${dir}/server.pem`;
    const keyFile = `${dir}/server.key`;
    await Deno.copyFile(f.serverChainPath, certFile);
    await Deno.copyFile(f.certs.server.keyPath, keyFile);
    const ssl = defaultListener("ssl", "default");
    const cfg: ListenerConfig = {
      ...ssl,
      host: "127.0.0.1",
      port: 0,
      tls: { ...ssl.tls!, certFile, keyFile },
    };
    const lines: string[] = [];
    const logger = new Logger({ format: "json", sink: (l) => lines.push(l) });
    const reloader = await listenerCredentialReloader(defaultConfig(), cfg, {
      logger,
      watch: false,
      sighup: false,
    });
    const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
    const listener = listenMqttTls(cfg, {
      driver,
      logger,
      credentials: reloader.current,
      reloader,
      // the replaced socket closes on the next timer turn: the clients
      // below cannot land in it
      rebindGraceMs: 0,
    });
    try {
      const port = listener.address.port;
      const old = await client(port);
      const next = await selfSignedServer();
      await writeAtomically(keyFile, next.key);
      await writeAtomically(certFile, next.cert);
      assert.equal(await reloader.reload(), "reloaded");
      await delay(20);
      const fresh = await client(port);
      assert.equal(fresh.fingerprint, next.fp);
      assert.notEqual(old.fingerprint, next.fp);
      old.socket.write(new Uint8Array([0xc0, 0x00]));
      assert.deepEqual([...await old.next()], [0xd0, 0x00]);
      await writeAtomically(keyFile, (await selfSignedServer()).key);
      assert.equal(await reloader.reload(), "failed");
      const after = await client(port);
      assert.equal(after.fingerprint, next.fp);
      for (const c of [old, fresh, after]) c.socket.destroy();
    } finally {
      await bounded(listener.close(), 10_000, "the listener to close");
      reloader.close();
      driver.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("checkClientCertificate() trusts a self-signed leaf pinned by its fingerprint, and only that one", async () => {
  const key = await generateEcKeyPair("P-256");
  const leaf = parseCertificate(
    await issueCertificate({
      subject: { CN: "pinned-device" },
      subjectKey: key,
      now: Date.now(),
      days: 1,
      extKeyUsage: ["clientAuth"],
    }),
  );
  const policy = {
    trustAnchors: [],
    failIfNoPeerCert: true,
    skipValidityCheck: false,
  };
  const unpinned = await checkClientCertificate([leaf.der], policy);
  assert.deepEqual(unpinned.identity?.refusal, {
    reason: "bad_credentials",
    cause: "unknown_ca",
  });
  const pinned = await checkClientCertificate([leaf.der], {
    ...policy,
    pinned: (c) =>
      Promise.resolve(c.fingerprintSha256 === leaf.fingerprintSha256),
  });
  assert.equal(pinned.identity?.refusal, undefined);
  assert.equal(pinned.identity?.username, "pinned-device");
  const other = await checkClientCertificate([leaf.der], {
    ...policy,
    pinned: () => Promise.resolve(false),
  });
  assert.equal(other.identity?.refusal?.cause, "unknown_ca");
});

Deno.test("node:tls listener: a new CRL file closes the live connection it revokes and refuses the next", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-crl-reload-" });
  const f = await pkiFixtures();
  const crlFile = `${dir}/clients.crl`;
  await Deno.copyFile(f.interCrl.path, crlFile);
  const s = await setup(dir, {}, { enableCrlCheck: true, crlFile });
  try {
    const device = {
      cert: f.certs.device1.pem + f.certs.inter.pem,
      key: await Deno.readTextFile(f.certs.device1.keyPath),
    };
    const live = await client(s.server.address.port, device);
    assert.deepEqual([...live.connack], [0x20, 0x02, 0x00, 0x00]);
    const crl = await makeCrlRevoking(
      `${dir}/ca`,
      f,
      parseCertificate(f.certs.device1.der).serial,
    );
    await writeAtomically(crlFile, encodePem("X509 CRL", crl));
    assert.equal(await s.credentials.reload(), "reloaded");
    await waitFor(live.closed, 10_000, "the revoked connection to close");
    assert.ok(
      s.lines.some((l) =>
        l.includes("tls.client_certificate_revoked") && l.includes("device-1")
      ),
    );
    const refused = await client(s.server.address.port, device);
    assert.deepEqual([...refused.connack], [0x20, 0x02, 0x00, 0x04]);
    refused.socket.destroy();
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("node:tls listener serves with an encrypted PKCS#8 key, decrypted by postern", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-enc-key-" });
  const s = await setup(dir, {}, { keyPassword: "s3cret" });
  try {
    assert.match(await Deno.readTextFile(s.keyFile), /ENCRYPTED PRIVATE KEY/);
    const c = await client(s.server.address.port);
    assert.equal(
      c.fingerprint,
      colonHex(parseCertificate(s.f.certs.server.der).fingerprintSha256),
    );
    c.socket.destroy();
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("node:tls listener: close() ends live connections instead of waiting for them to leave", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-close-" });
  const s = await setup(dir);
  try {
    const device = {
      cert: s.f.certs.device1.pem + s.f.certs.inter.pem,
      key: await Deno.readTextFile(s.f.certs.device1.keyPath),
    };
    const live = await client(s.server.address.port, device);
    // before the fix, close() waited for this client to disconnect: forever
    await bounded(s.server.close(), 5_000, "close() with a live client");
    await waitFor(live.closed, 5_000, "the client to see the close");
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
