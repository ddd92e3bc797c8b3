import assert from "node:assert/strict";
import {
  ConfigError,
  formatIssue,
  type ListenerConfig,
  loadConfig,
} from "../../src/config/mod.ts";

function file(value: unknown): string {
  return JSON.stringify(value);
}

function find(
  listeners: ListenerConfig[],
  family: string,
  name = "default",
): ListenerConfig {
  const l = listeners.find((x) => x.family === family && x.name === name);
  assert.ok(l, `${family}/${name}`);
  return l;
}

Deno.test("loadConfig() lets the environment override the file", () => {
  const { config, errors, origins } = loadConfig({
    env: {
      LISTENER_SSL_BIND_PORT: "9999",
      LISTENER_SSL_PEM_CERT: "env.pem",
      PSK_AUTHENTICATION_SEPARATOR: "=",
      POSTERN_DATA_DIR: "/env",
    },
    fileText: file({
      listeners: {
        ssl: {
          default: {
            bind: "127.0.0.1:8883",
            ssl_options: { certfile: "file.pem", keyfile: "file_key.pem" },
          },
        },
      },
      psk_authentication: { separator: "|", chunk_size: 7 },
      data_dir: "/file",
    }),
  });
  assert.deepEqual(errors, []);
  const ssl = find(config.listeners, "ssl");
  assert.equal(ssl.enabled, true);
  assert.equal(ssl.host, "127.0.0.1");
  assert.equal(ssl.port, 9999);
  assert.equal(ssl.tls?.certFile, "env.pem");
  assert.equal(ssl.tls?.keyFile, "file_key.pem");
  assert.equal(config.psk.separator, "=");
  assert.equal(config.psk.chunkSize, 7);
  assert.equal(config.dataDir, "/env");
  assert.equal(
    origins.sourceOf("listeners.ssl.default.port"),
    "LISTENER_SSL_BIND_PORT",
  );
  assert.equal(
    origins.sourceOf("listeners.ssl.default.host"),
    "listeners.ssl.default.bind",
  );
  assert.equal(origins.kindOf("listeners.ssl.default.host"), "file");
  assert.equal(origins.kindOf("listeners.ssl.default.port"), "env");
});

Deno.test("loadConfig() lets the environment disable a listener the file enables", () => {
  const { config } = loadConfig({
    env: { LISTENER_TCP_ENABLED: "false" },
    fileText: file({ listeners: { tcp: { default: { bind: 1884 } } } }),
  });
  assert.equal(find(config.listeners, "tcp").enabled, false);
});

Deno.test("loadConfig() reports every problem at once, each naming its key", () => {
  const { errors } = loadConfig({
    env: {},
    fileText: file({
      listeners: {
        tcp: { default: { bind: "0.0.0.0:70000" } },
        ssl: {
          default: {
            access_rules: ["deny 10.0.0.0/40"],
            ssl_options: { certfile: "c.pem", verify: "verify_everyone" },
          },
        },
        coap: { default: { proxy_protocl: true } },
      },
    }),
  });
  assert.equal(errors.length, 4, errors.map(formatIssue).join("\n"));
  assert.ok(errors.every((e) => e instanceof ConfigError));
  assert.deepEqual(errors.map((e) => [e.path, e.key]), [
    ["listeners.tcp.default.bind", "bind"],
    ["listeners.ssl.default.access_rules[0]", "access_rules"],
    ["listeners.ssl.default.ssl_options.verify", "verify"],
    ["listeners.coap.default.proxy_protocl", "proxy_protocl"],
  ]);
  assert.equal(
    errors[3]!.message,
    'Unknown key "proxy_protocl"; "proxy_protocol" is not valid for a coap listener either',
  );
});

Deno.test("loadConfig() collects file, environment and validation errors together", () => {
  const { errors } = loadConfig({
    env: { COAP_BIND_PORT: "x", LISTENER_WSS_ENABLED: "true" },
    fileText: file({ log: { level: "loud" } }),
  });
  assert.deepEqual(errors.map((e) => e.path), [
    "log.level",
    "COAP_BIND_PORT",
    "LISTENER_WSS_PEM_CERT",
  ]);
});

Deno.test("loadConfig() requires a certificate for an enabled TLS listener", () => {
  const fromFile = loadConfig({
    env: {},
    fileText: file({
      listeners: { ssl: { default: {} }, dtls: { d2: { bind: 6684 } } },
    }),
  });
  assert.deepEqual(fromFile.errors.map(formatIssue), [
    "listeners.ssl.default.ssl_options.certfile: Listener ssl/default (MQTT over TLS) is enabled but has no server certificate",
    "listeners.dtls.d2.dtls_options.certfile: Listener dtls/d2 (CoAP over DTLS) is enabled but has no server certificate",
  ]);
  const fromEnv = loadConfig({ env: { COAP_DTLS_ENABLED: "true" } });
  assert.deepEqual(fromEnv.errors.map((e) => e.path), ["COAP_DTLS_PEM_CERT"]);
  const keystore = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_CREDENTIALS_TYPE: "KEYSTORE",
    },
  });
  assert.deepEqual(keystore.errors.map((e) => e.path), [
    "LISTENER_SSL_KEY_STORE",
  ]);
  // A disabled listener needs nothing.
  assert.deepEqual(
    loadConfig({ env: { LISTENER_SSL_ENABLED: "false" } }).errors,
    [],
  );
});

Deno.test("loadConfig() does not report a rejected value a second time", () => {
  const { errors } = loadConfig({
    env: {},
    fileText: file({
      listeners: { ssl: { default: { ssl_options: { certfile: 42 } } } },
    }),
  });
  assert.deepEqual(errors.map(formatIssue), [
    "listeners.ssl.default.ssl_options.certfile: Must be a string, got 42",
  ]);
});

Deno.test("loadConfig() requires CA certificates for verify_peer", () => {
  const env = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: "c.pem",
      LISTENER_SSL_VERIFY: "verify_peer",
    },
  });
  assert.deepEqual(env.errors.map(formatIssue), [
    "LISTENER_SSL_VERIFY: verify_peer needs trusted CA certificates: set LISTENER_SSL_CA_CERT",
  ]);
  const fromFile = loadConfig({
    env: {},
    fileText: file({
      listeners: {
        ssl: {
          default: {
            ssl_options: { certfile: "c.pem", verify: "verify_peer" },
          },
        },
      },
    }),
  });
  assert.deepEqual(fromFile.errors.map(formatIssue), [
    "listeners.ssl.default.ssl_options.verify: verify_peer needs trusted CA certificates: set listeners.ssl.default.ssl_options.cacertfile",
  ]);
});

Deno.test("loadConfig() warns about fail_if_no_peer_cert without verify_peer", () => {
  const { errors, warnings } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: "c.pem",
      LISTENER_SSL_FAIL_IF_NO_PEER_CERT: "true",
    },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings.map(formatIssue), [
    "LISTENER_SSL_FAIL_IF_NO_PEER_CERT: Has no effect with verify_none",
  ]);
});

Deno.test("loadConfig() checks OCSP stapling and CRL settings", () => {
  const { errors } = loadConfig({
    env: {},
    fileText: file({
      listeners: {
        ssl: {
          default: {
            ssl_options: {
              certfile: "c.pem",
              versions: ["tlsv1.3"],
              ocsp: { enable_ocsp_stapling: true },
              enable_crl_check: true,
            },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors.map(formatIssue), [
    "listeners.ssl.default.ssl_options.ocsp.enable_ocsp_stapling: OCSP stapling needs a responder URL: set listeners.ssl.default.ssl_options.ocsp.responder_url",
    "listeners.ssl.default.ssl_options.ocsp.enable_ocsp_stapling: OCSP stapling needs the issuer certificate: set listeners.ssl.default.ssl_options.ocsp.issuer_pem",
    "listeners.ssl.default.ssl_options.ocsp.enable_ocsp_stapling: OCSP stapling runs on TLS 1.2: versions must include tlsv1.2",
  ]);
});

Deno.test("loadConfig() needs a CRL file for a CRL check except on ssl listeners", () => {
  const { errors } = loadConfig({
    env: {},
    fileText: file({
      listeners: {
        ssl: {
          default: {
            ssl_options: {
              certfile: "c.pem",
              cacertfile: "ca.pem",
              verify: "verify_peer",
              enable_crl_check: true,
            },
          },
        },
        dtls: {
          default: {
            dtls_options: { certfile: "c.pem", enable_crl_check: true },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors.map(formatIssue), [
    "listeners.dtls.default.dtls_options.enable_crl_check: A CRL check needs a CRL file (only ssl listeners fetch CRLs from distribution points): set listeners.dtls.default.dtls_options.crlfile",
  ]);
});

Deno.test("loadConfig() detects two enabled listeners on the same port and transport", () => {
  const { errors } = loadConfig({
    env: {
      COAP_DTLS_BIND_PORT: "5683",
      COAP_DTLS_ENABLED: "true",
      COAP_DTLS_PEM_CERT: "c.pem",
    },
    fileText: file({
      listeners: {
        tcp: { other: { bind: "127.0.0.1:1883" }, v6: { bind: "[::1]:2883" } },
        ws: { default: { bind: 1883 } },
        ssl: {
          default: { bind: "[::]:2883", ssl_options: { certfile: "c.pem" } },
        },
      },
    }),
  });
  assert.deepEqual(errors.map(formatIssue), [
    "listeners.ws.default.bind: Listener ws/default binds 0.0.0.0 port 1883/tcp, already bound by listener tcp/default (listeners.tcp.default.bind)",
    "COAP_DTLS_BIND_PORT: Listener dtls/default binds 0.0.0.0 port 5683/udp, already bound by listener coap/default (listeners.coap.default.bind)",
    "listeners.tcp.other.bind: Listener tcp/other binds 127.0.0.1 port 1883/tcp, already bound by listener tcp/default (listeners.tcp.default.bind)",
    "listeners.tcp.v6.bind: Listener tcp/v6 binds ::1 port 2883/tcp, already bound by listener ssl/default (listeners.ssl.default.bind)",
  ]);
});

Deno.test("loadConfig() allows the same port on UDP and TCP, on distinct hosts, on port 0 and when disabled", () => {
  const { errors } = loadConfig({
    env: {},
    fileText: file({
      listeners: {
        tcp: {
          default: { bind: 5683 },
          a: { bind: "127.0.0.1:7000" },
          b: { bind: "127.0.0.2:7000" },
          c: { bind: "[::1]:7001" },
          d: { bind: "0.0.0.0:7001" },
          e: { bind: "127.0.0.1:0" },
          f: { bind: "127.0.0.1:0" },
          g: { bind: 5683, enable: false },
        },
      },
    }),
  });
  assert.deepEqual(errors.map(formatIssue), []);
});

Deno.test("loadConfig() warns when no listener is enabled", () => {
  const { errors, warnings } = loadConfig({
    env: { LISTENER_TCP_ENABLED: "false", COAP_ENABLED: "false" },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings.map(formatIssue), [
    "listeners: No listener is enabled",
  ]);
});

Deno.test("loadConfig() names a file it could not parse", () => {
  const { errors, config } = loadConfig({
    env: {},
    fileText: "{ nope",
    filePath: "/etc/postern.json",
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, "/etc/postern.json");
  assert.match(errors[0]!.message, /^Cannot parse the file as JSON: /);
  // A broken file is still a file: no embedded default.
  assert.equal(config.devCertificates, false);
});

Deno.test("loadConfig() accepts a DTLS listener without a certificate when PSK authentication is on", () => {
  const pskOnly = loadConfig({
    env: {
      COAP_DTLS_ENABLED: "true",
      PSK_AUTHENTICATION_ENABLED: "true",
      PSK_AUTHENTICATION_INIT_FILE: "psk.txt",
    },
  });
  assert.deepEqual(pskOnly.errors, []);
  const noPsk = loadConfig({ env: { COAP_DTLS_ENABLED: "true" } });
  assert.equal(noPsk.errors.length, 1);
  assert.match(noPsk.errors[0]!.message, /no server certificate/);
});
