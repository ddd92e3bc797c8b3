/**
 * The MQTT side of postern's TLS engine: a TLS-PSK identity becomes the
 * connection's subject (unless the CONNECT carries a user name), a removed
 * PSK ends the connections that used it, the handshake configuration built
 * from a listener, a CA added to the store trusted from the next handshake,
 * and the handshake timeout of a client that never speaks.
 */
import assert from "node:assert/strict";
import { MqttAuth } from "../../src/net/mqtt_auth.ts";
import { MemoryStore } from "../../src/auth/mod.ts";
import {
  engineHandshakeConfig,
  listenMqttTlsEngine,
  mqttPeerIdentity,
} from "../../src/net/tls_engine.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { defaultConfig, defaultListener } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import {
  certificatesOf,
  certifiedKey,
  connectTlsClient,
  rsaFixtures,
} from "../support/tls_client.ts";

const base = {
  clientId: "c-1",
  remoteAddress: "127.0.0.1:5000",
  protocolVersion: 4,
  password: undefined,
} as const;

Deno.test("MqttAuth authenticates a TLS-PSK identity as its subject; removing the PSK revokes it", async () => {
  const store = new MemoryStore({ passwordIterations: 1000 });
  try {
    await store.addPsk("device-1", new Uint8Array(16).fill(1));
    await store.addUser("alice", "pw");
    const auth = new MqttAuth(store, { allowAnonymous: false });
    const identity = mqttPeerIdentity({ kind: "psk", identity: "device-1" });
    const r = await auth.authenticate({
      ...base,
      connection: 1,
      username: undefined,
      identity,
    });
    assert.deepEqual(r, { ok: true, subject: "device-1" });
    assert.deepEqual(auth.identityOf(1), {
      subject: "device-1",
      kind: "psk",
      credentialId: "device-1",
    });
    // a user name in the CONNECT is checked as usual
    const named = await auth.authenticate({
      ...base,
      connection: 2,
      username: "alice",
      password: new TextEncoder().encode("pw"),
      identity,
    });
    assert.deepEqual(named, { ok: true, subject: "alice" });
    assert.deepEqual(
      auth.revoke({ kind: "psk", id: "device-1", op: "removed" }),
      [1],
    );
  } finally {
    await store.close();
  }
});

Deno.test("engineHandshakeConfig() offers PSK only with PSK suites, and asks for client certificates with verify_peer", async () => {
  const store = new MemoryStore();
  const logger = new Logger({ sink: () => {} });
  try {
    const ssl = defaultListener("ssl", "default");
    const psk = { enabled: true, separator: ":", chunkSize: 50 };
    const noPsk = await engineHandshakeConfig(
      { ...defaultConfig(), psk },
      { ...ssl, tls: { ...ssl.tls!, ciphers: [] } },
      { store, logger },
    );
    assert.equal(noPsk.psk, undefined);
    assert.ok(noPsk.cipherSuites!.every((s) => s.startsWith("ECDHE-")));
    await assert.rejects(
      engineHandshakeConfig(
        { ...defaultConfig(), psk },
        { ...ssl, tls: { ...ssl.tls!, ciphers: ["RC4-MD5"] } },
        { store, logger },
      ),
      /none of ssl_options.ciphers/,
    );
  } finally {
    await store.close();
  }
});

Deno.test("listenMqttTlsEngine() drops a client that never completes the handshake", async () => {
  const lines: string[] = [];
  const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
  const ssl = defaultListener("ssl", "default");
  const listener = listenMqttTlsEngine(
    {
      ...ssl,
      host: "127.0.0.1",
      port: 0,
      tls: { ...ssl.tls!, handshakeTimeoutMs: 200 },
    },
    {
      driver,
      logger: new Logger({ level: "debug", sink: (l) => lines.push(l) }),
      handshake: { psk: () => undefined },
    },
  );
  try {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.address.port,
    });
    const buf = new Uint8Array(16);
    const started = Date.now();
    const n = await conn.read(buf).catch(() => null);
    assert.equal(n, null);
    assert.ok(Date.now() - started < 5000);
    conn.close();
    assert.ok(lines.some((l) => l.includes("handshake timed out")));
  } finally {
    await listener.close();
    driver.close();
  }
});

Deno.test("a CA added to the store is trusted from the next handshake on (verify_peer)", async () => {
  const fx = await pkiFixtures();
  const rsa = await rsaFixtures();
  const c = fx.certs;
  const store = new MemoryStore();
  const logger = new Logger({ sink: () => {} });
  const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
  const ssl = defaultListener("ssl", "default");
  const cfg = {
    ...ssl,
    host: "127.0.0.1",
    port: 0,
    tls: {
      ...ssl.tls!,
      certFile: fx.serverChainPath,
      keyFile: c.server.keyPath,
      caCertFile: rsa.caPath,
      verify: "verify_peer" as const,
      tlsEngine: "postern" as const,
    },
  };
  const handshake = await engineHandshakeConfig(defaultConfig(), cfg, {
    store,
    logger,
  });
  const listener = listenMqttTlsEngine(cfg, { driver, logger, handshake });
  try {
    const device = await certifiedKey(c.device1.certPath, c.device1.keyPath);
    const client = {
      trustAnchors: certificatesOf(c.root.pem),
      certificate: {
        chain: [...device.chain, ...certificatesOf(c.inter.pem)],
        key: device.key,
      },
    };
    const before = await connectTlsClient(listener.address.port, client);
    assert.equal(
      !before.result.ok && before.result.closed.alert?.name,
      "unknown_ca",
    );
    await store.addCa(certificatesOf(c.root.pem)[0]!);
    const after = await connectTlsClient(listener.address.port, client);
    assert.equal(after.result.ok, true);
    after.stream.close();
  } finally {
    await listener.close();
    driver.close();
    await store.close();
  }
});
