import assert from "node:assert/strict";
import {
  defaultConfig,
  type ListenerConfig,
  type ListenerFamily,
  loadConfig,
} from "../../src/config/mod.ts";

function listener(
  listeners: ListenerConfig[],
  family: ListenerFamily,
  name = "default",
): ListenerConfig {
  const found = listeners.find((l) => l.family === family && l.name === name);
  assert.ok(found, `no ${family}/${name} listener`);
  return found;
}

Deno.test("defaultConfig() matches the configuration table of ARCHITECTURE.md", () => {
  const config = defaultConfig();
  const { listeners } = config;
  assert.deepEqual(
    listeners.map((l) => [l.family, l.enabled, l.host, l.port]),
    [
      ["tcp", true, "0.0.0.0", 1883],
      ["ssl", false, "0.0.0.0", 8883],
      ["ws", false, "0.0.0.0", 8084],
      ["wss", false, "0.0.0.0", 8085],
      ["coap", true, "0.0.0.0", 5683],
      ["dtls", false, "0.0.0.0", 5684],
    ],
  );
  for (const family of ["ssl", "wss", "dtls"] as const) {
    const tls = listener(listeners, family).tls;
    assert.ok(tls);
    assert.equal(tls.credentialsType, "PEM");
    assert.equal(tls.keyStoreType, "PKCS12");
    assert.equal(tls.verify, "verify_none");
    assert.equal(tls.failIfNoPeerCert, false);
    assert.equal(tls.skipValidityCheckForClientCert, false);
    assert.equal(tls.certFile, undefined);
    assert.equal(tls.keyFile, undefined);
    assert.equal(tls.caCertFile, undefined);
  }
  // LISTENER_SSL_PROTOCOL default TLSv1.2 is the lowest version offered.
  assert.deepEqual(listener(listeners, "ssl").tls?.versions, [
    "tlsv1.2",
    "tlsv1.3",
  ]);
  assert.deepEqual(listener(listeners, "dtls").tls?.versions, ["dtlsv1.2"]);
  assert.deepEqual(listener(listeners, "dtls").dtlsSessions, {
    inactivityTimeoutMs: 86_400_000,
    reportTimeoutMs: 1_800_000,
  });
  for (const family of ["tcp", "coap", "ws"] as const) {
    assert.equal(listener(listeners, family).tls, undefined);
  }
  assert.equal(listener(listeners, "ws").path, "/mqtt");
  assert.equal(listener(listeners, "wss").path, "/mqtt");
  assert.deepEqual(config.psk, {
    enabled: false,
    separator: ":",
    chunkSize: 50,
  });
  assert.equal(config.dataDir, "./data");
  assert.deepEqual(config.log, { format: "text", level: "info" });
  assert.equal(config.devCertificates, false);
  for (const l of listeners) {
    assert.deepEqual(l.accessRules, [{ action: "allow", source: "all" }]);
    assert.equal(l.maxConnections, Number.POSITIVE_INFINITY);
    assert.equal(l.proxyProtocol, false);
    assert.equal(l.proxyProtocolTimeoutMs, 3000);
  }
});

Deno.test("loadConfig() with an empty file applies the table's defaults", () => {
  const { config, errors, warnings } = loadConfig({ env: {}, fileText: "{}" });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, defaultConfig());
});

Deno.test("loadConfig() uses the embedded default when nothing is configured", () => {
  const { config, errors } = loadConfig({
    env: { PATH: "/usr/bin", HOME: "/root", MQTT_BIND_PORT: "1" },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.devCertificates, true);
  const enabled = config.listeners.filter((l) => l.enabled);
  assert.deepEqual(enabled.map((l) => [l.family, l.port]), [
    ["tcp", 1883],
    ["ssl", 8883],
    ["coap", 5683],
    ["dtls", 5684],
  ]);
  for (const family of ["ssl", "dtls"] as const) {
    const tls = listener(config.listeners, family).tls;
    assert.equal(tls?.certFile, "certs/server.pem");
    assert.equal(tls?.keyFile, "certs/server_key.pem");
    assert.equal(tls?.caCertFile, "certs/ca.pem");
  }
});

Deno.test("loadConfig() keeps the embedded default with only POSTERN_DATA_DIR and POSTERN_LOG_*", () => {
  const { config } = loadConfig({
    env: { POSTERN_DATA_DIR: "/var/lib/postern", POSTERN_LOG_FORMAT: "json" },
  });
  assert.equal(config.devCertificates, true);
  assert.equal(config.dataDir, "/var/lib/postern");
  assert.equal(config.log.format, "json");
});

Deno.test("loadConfig() keeps the embedded default with only bind addresses and ports, and moves its listeners", () => {
  const { config, errors } = loadConfig({
    env: {
      LISTENER_TCP_BIND_PORT: "11883",
      LISTENER_SSL_BIND_PORT: "18883",
      COAP_BIND_ADDRESS: "127.0.0.1",
      COAP_DTLS_BIND_PORT: "15684",
    },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.devCertificates, true);
  const enabled = config.listeners.filter((l) => l.enabled);
  assert.deepEqual(enabled.map((l) => [l.family, l.host, l.port]), [
    ["tcp", "0.0.0.0", 11883],
    ["ssl", "0.0.0.0", 18883],
    ["coap", "127.0.0.1", 5683],
    ["dtls", "0.0.0.0", 15684],
  ]);
});

Deno.test("loadConfig() ends the embedded default once a variable of ours or a file is given", () => {
  for (
    const input of [
      { env: { LISTENER_TCP_ENABLED: "true" } },
      { env: { TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT: "1000" } },
      { env: { PSK_AUTHENTICATION_ENABLED: "false" } },
      { env: { MQTT_SSL_ENABLED: "false" } },
      { env: { LISTENER_TCP_ENABLED: "not-a-bool" } },
      { env: {}, fileText: "{}" },
    ]
  ) {
    const { config } = loadConfig(input);
    assert.equal(config.devCertificates, false, JSON.stringify(input));
    assert.equal(listener(config.listeners, "ssl").enabled, false);
    assert.equal(listener(config.listeners, "dtls").enabled, false);
  }
});

Deno.test("loadConfig() treats an empty variable as unset", () => {
  const { config, errors } = loadConfig({
    env: { LISTENER_TCP_BIND_PORT: "", LISTENER_SSL_PEM_CERT: "" },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.devCertificates, true);
  assert.equal(listener(config.listeners, "tcp").port, 1883);
});
