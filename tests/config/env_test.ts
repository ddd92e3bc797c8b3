import assert from "node:assert/strict";
import {
  ENV_VARIABLE_NAMES,
  formatIssue,
  type ListenerConfig,
  type ListenerFamily,
  loadConfig,
  readEnv,
} from "../../src/config/mod.ts";

function find(
  listeners: ListenerConfig[],
  family: ListenerFamily,
): ListenerConfig {
  const l = listeners.find((x) => x.family === family && x.name === "default");
  assert.ok(l);
  return l;
}

Deno.test("loadConfig() maps every SSL variable onto listeners.ssl.default", () => {
  const { config, errors, warnings } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "TRUE",
      LISTENER_SSL_BIND_ADDRESS: "::",
      LISTENER_SSL_BIND_PORT: "9883",
      LISTENER_SSL_CREDENTIALS_TYPE: "keystore",
      LISTENER_SSL_PEM_CERT: "cert.pem",
      LISTENER_SSL_PEM_KEY: "key.pem",
      LISTENER_SSL_PEM_KEY_PASSWORD: "pw",
      LISTENER_SSL_KEY_STORE_TYPE: "pkcs12",
      LISTENER_SSL_KEY_STORE: "server.p12",
      LISTENER_SSL_KEY_STORE_PASSWORD: "storepw",
      LISTENER_SSL_KEY_PASSWORD: "keypw",
      LISTENER_SSL_PROTOCOL: "TLSv1.3",
      LISTENER_SSL_CA_CERT: "ca.pem",
      LISTENER_SSL_VERIFY: "verify_peer",
      LISTENER_SSL_FAIL_IF_NO_PEER_CERT: "true",
      MQTT_SSL_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT: "true",
      LISTENER_SSL_TLS_ENGINE: "native",
    },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  const ssl = find(config.listeners, "ssl");
  assert.equal(ssl.enabled, true);
  assert.equal(ssl.host, "::");
  assert.equal(ssl.port, 9883);
  assert.deepEqual(
    { ...ssl.tls, ocsp: undefined },
    {
      credentialsType: "KEYSTORE",
      certFile: "cert.pem",
      keyFile: "key.pem",
      keyPassword: "pw",
      keyStoreType: "PKCS12",
      keyStoreFile: "server.p12",
      keyStorePassword: "storepw",
      keyStoreKeyPassword: "keypw",
      versions: ["tlsv1.3"],
      caCertFile: "ca.pem",
      verify: "verify_peer",
      failIfNoPeerCert: true,
      skipValidityCheckForClientCert: true,
      ciphers: [],
      handshakeTimeoutMs: 15000,
      tlsEngine: "native",
      reuseSessions: true,
      enableCrlCheck: false,
      ocsp: undefined,
    },
  );
});

Deno.test("loadConfig() accepts MQTT_SSL_* as aliases of LISTENER_SSL_*", () => {
  const { config, errors, origins } = loadConfig({
    env: {
      MQTT_SSL_ENABLED: "true",
      MQTT_SSL_BIND_ADDRESS: "127.0.0.1",
      MQTT_SSL_BIND_PORT: "18883",
      MQTT_SSL_PROTOCOL: "TLSv1.2",
      MQTT_SSL_PEM_CERT: "chain.pem",
    },
  });
  assert.deepEqual(errors, []);
  const ssl = find(config.listeners, "ssl");
  assert.equal(ssl.enabled, true);
  assert.equal(ssl.host, "127.0.0.1");
  assert.equal(ssl.port, 18883);
  assert.deepEqual(ssl.tls?.versions, ["tlsv1.2", "tlsv1.3"]);
  assert.equal(ssl.tls?.certFile, "chain.pem");
  assert.equal(
    origins.sourceOf("listeners.ssl.default.port"),
    "MQTT_SSL_BIND_PORT",
  );
});

Deno.test("readEnv() prefers LISTENER_SSL_* over MQTT_SSL_* and warns about the ignored alias", () => {
  const { config, warnings } = loadConfig({
    env: { LISTENER_SSL_BIND_PORT: "1111", MQTT_SSL_BIND_PORT: "2222" },
  });
  assert.equal(find(config.listeners, "ssl").port, 1111);
  assert.deepEqual(warnings.map(formatIssue), [
    "MQTT_SSL_BIND_PORT: Ignored because LISTENER_SSL_BIND_PORT is also set",
  ]);
  // The same value twice is not worth a warning.
  const same = readEnv({
    LISTENER_SSL_ENABLED: "true",
    MQTT_SSL_ENABLED: "true",
  });
  assert.deepEqual(same.warnings, []);
});

Deno.test("loadConfig() maps the CoAP, DTLS, TB_*, PSK and POSTERN variables", () => {
  const { config, errors } = loadConfig({
    env: {
      COAP_ENABLED: "false",
      COAP_BIND_ADDRESS: "10.0.0.1",
      COAP_BIND_PORT: "15683",
      COAP_DTLS_ENABLED: "true",
      COAP_DTLS_BIND_ADDRESS: "[::1]",
      COAP_DTLS_BIND_PORT: "15684",
      COAP_DTLS_CREDENTIALS_TYPE: "PEM",
      COAP_DTLS_PEM_CERT: "dtls.pem",
      COAP_DTLS_PEM_KEY: "dtls_key.pem",
      COAP_DTLS_PEM_KEY_PASSWORD: "secret",
      COAP_DTLS_CA_CERT: "devices_ca.pem",
      TB_COAP_X509_DTLS_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT: "true",
      TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT: "60000",
      TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT: "5000",
      PSK_AUTHENTICATION_ENABLED: "true",
      PSK_AUTHENTICATION_INIT_FILE: "psk.txt",
      PSK_AUTHENTICATION_SEPARATOR: "=",
      PSK_AUTHENTICATION_CHUNK_SIZE: "10",
      POSTERN_DATA_DIR: "/data",
      POSTERN_LOG_FORMAT: "JSON",
      POSTERN_LOG_LEVEL: "debug",
      LISTENER_WS_ENABLED: "true",
      LISTENER_WS_BIND_PORT: "18084",
      LISTENER_WSS_ENABLED: "true",
      LISTENER_WSS_PEM_CERT: "wss.pem",
    },
  });
  assert.deepEqual(errors, []);
  const coap = find(config.listeners, "coap");
  assert.deepEqual([coap.enabled, coap.host, coap.port], [
    false,
    "10.0.0.1",
    15683,
  ]);
  const dtls = find(config.listeners, "dtls");
  assert.deepEqual([dtls.enabled, dtls.host, dtls.port], [true, "::1", 15684]);
  assert.equal(dtls.tls?.certFile, "dtls.pem");
  assert.equal(dtls.tls?.keyFile, "dtls_key.pem");
  assert.equal(dtls.tls?.keyPassword, "secret");
  assert.equal(dtls.tls?.caCertFile, "devices_ca.pem");
  // A DTLS CA asks devices for a certificate without refusing PSK devices.
  assert.equal(dtls.tls?.verify, "verify_peer");
  assert.equal(dtls.tls?.failIfNoPeerCert, false);
  assert.equal(dtls.tls?.skipValidityCheckForClientCert, true);
  assert.deepEqual(dtls.dtlsSessions, {
    inactivityTimeoutMs: 60000,
    reportTimeoutMs: 5000,
  });
  assert.deepEqual(config.psk, {
    enabled: true,
    initFile: "psk.txt",
    separator: "=",
    chunkSize: 10,
  });
  assert.equal(config.dataDir, "/data");
  assert.deepEqual(config.log, { format: "json", level: "debug" });
  assert.equal(find(config.listeners, "ws").port, 18084);
  assert.equal(find(config.listeners, "wss").tls?.certFile, "wss.pem");
});

Deno.test("readEnv() rejects bad booleans, ports, durations and enums, naming each variable", () => {
  const { errors } = readEnv({
    LISTENER_TCP_ENABLED: "yes",
    LISTENER_TCP_BIND_PORT: "65536",
    COAP_BIND_PORT: "-1",
    COAP_BIND_ADDRESS: "10.0.0.256",
    LISTENER_SSL_VERIFY: "verify_peers",
    LISTENER_SSL_PROTOCOL: "TLSv1.1",
    LISTENER_SSL_CREDENTIALS_TYPE: "DER",
    LISTENER_SSL_KEY_STORE_TYPE: "JKS",
    TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT: "24h",
    PSK_AUTHENTICATION_CHUNK_SIZE: "0",
    POSTERN_LOG_LEVEL: "trace",
  });
  assert.deepEqual(errors.map((e) => e.path).sort(), [
    "COAP_BIND_ADDRESS",
    "COAP_BIND_PORT",
    "LISTENER_SSL_CREDENTIALS_TYPE",
    "LISTENER_SSL_KEY_STORE_TYPE",
    "LISTENER_SSL_PROTOCOL",
    "LISTENER_SSL_VERIFY",
    "LISTENER_TCP_BIND_PORT",
    "LISTENER_TCP_ENABLED",
    "POSTERN_LOG_LEVEL",
    "PSK_AUTHENTICATION_CHUNK_SIZE",
    "TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT",
  ]);
  for (const e of errors) assert.equal(e.key, e.path);
  const verify = errors.find((e) => e.path === "LISTENER_SSL_VERIFY");
  assert.match(verify!.message, /did you mean "verify_peer"/);
  const jks = errors.find((e) => e.path === "LISTENER_SSL_KEY_STORE_TYPE");
  assert.match(jks!.message, /keytool/);
});

Deno.test("readEnv() warns about unknown variables with our prefixes, with a suggestion", () => {
  const { warnings, errors, configured } = readEnv({
    LISTENER_SSL_PEM_CRET: "server.pem",
    COAP_DTLS_ENABLE: "true",
    COAP_TIMEOUT: "10000",
    PATH: "/usr/bin",
    TB_QUEUE_TYPE: "kafka",
    MQTT_BIND_PORT: "1883",
  });
  assert.deepEqual(errors, []);
  assert.equal(configured, false);
  assert.deepEqual(warnings.map(formatIssue), [
    'COAP_DTLS_ENABLE: Not a postern variable, ignored (did you mean "COAP_DTLS_ENABLED"?)',
    "COAP_TIMEOUT: Not a postern variable, ignored",
    'LISTENER_SSL_PEM_CRET: Not a postern variable, ignored (did you mean "LISTENER_SSL_PEM_CERT"?)',
  ]);
});

Deno.test("readEnv() never reads past the record it is given", () => {
  const env = Object.create({ LISTENER_TCP_BIND_PORT: "1" }) as Record<
    string,
    string
  >;
  assert.equal(readEnv(env).ops.length, 0);
});

Deno.test("ENV_VARIABLE_NAMES holds every variable of the configuration table", () => {
  const table = [
    "LISTENER_TCP_ENABLED",
    "LISTENER_TCP_BIND_ADDRESS",
    "LISTENER_TCP_BIND_PORT",
    "LISTENER_SSL_ENABLED",
    "MQTT_SSL_ENABLED",
    "LISTENER_SSL_BIND_ADDRESS",
    "LISTENER_SSL_BIND_PORT",
    "MQTT_SSL_BIND_ADDRESS",
    "MQTT_SSL_BIND_PORT",
    "LISTENER_SSL_CREDENTIALS_TYPE",
    "LISTENER_SSL_PEM_CERT",
    "LISTENER_SSL_PEM_KEY",
    "LISTENER_SSL_PEM_KEY_PASSWORD",
    "LISTENER_SSL_KEY_STORE_TYPE",
    "LISTENER_SSL_KEY_STORE",
    "LISTENER_SSL_KEY_STORE_PASSWORD",
    "LISTENER_SSL_KEY_PASSWORD",
    "LISTENER_SSL_PROTOCOL",
    "MQTT_SSL_PROTOCOL",
    "LISTENER_SSL_CA_CERT",
    "LISTENER_SSL_VERIFY",
    "LISTENER_SSL_FAIL_IF_NO_PEER_CERT",
    "MQTT_SSL_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT",
    "LISTENER_WS_ENABLED",
    "LISTENER_WS_BIND_PORT",
    "LISTENER_WSS_ENABLED",
    "LISTENER_WSS_BIND_PORT",
    "LISTENER_WSS_PEM_CERT",
    "COAP_ENABLED",
    "COAP_BIND_ADDRESS",
    "COAP_BIND_PORT",
    "COAP_DTLS_ENABLED",
    "COAP_DTLS_CREDENTIALS_TYPE",
    "COAP_DTLS_PEM_CERT",
    "COAP_DTLS_PEM_KEY",
    "COAP_DTLS_PEM_KEY_PASSWORD",
    "COAP_DTLS_BIND_ADDRESS",
    "COAP_DTLS_BIND_PORT",
    "COAP_DTLS_CA_CERT",
    "TB_COAP_X509_DTLS_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT",
    "TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT",
    "TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT",
    "PSK_AUTHENTICATION_ENABLED",
    "PSK_AUTHENTICATION_INIT_FILE",
    "PSK_AUTHENTICATION_SEPARATOR",
    "PSK_AUTHENTICATION_CHUNK_SIZE",
    "POSTERN_DATA_DIR",
  ];
  for (const name of table) assert.ok(ENV_VARIABLE_NAMES.includes(name), name);
});
