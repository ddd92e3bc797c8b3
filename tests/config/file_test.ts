import assert from "node:assert/strict";
import {
  ConfigError,
  filePathOf,
  formatIssue,
  type ListenerConfig,
  loadConfig,
  parseConfigFile,
} from "../../src/config/mod.ts";

function errorsOf(value: unknown): string[] {
  return parseConfigFile(JSON.stringify(value)).errors.map(formatIssue);
}

/** A file that sets every key the file form has. */
const FULL = {
  listeners: {
    ssl: {
      default: {
        enable: true,
        bind: "[::]:8883",
        access_rules: ["deny 10.0.0.0/8", "allow all"],
        proxy_protocol: true,
        proxy_protocol_timeout: "5s",
        max_connections: 1000,
        ssl_options: {
          credentials_type: "PEM",
          keyfile: "key.pem",
          certfile: "cert.pem",
          cacertfile: "ca.pem",
          password: "pw",
          verify: "verify_peer",
          fail_if_no_peer_cert: true,
          skip_validity_check_for_client_cert: false,
          versions: ["tlsv1.2"],
          ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES128-CCM8",
          handshake_timeout: "10s",
          tls_engine: "postern",
          reuse_sessions: false,
          keystore: {
            type: "PKCS12",
            file: "s.p12",
            password: "a",
            key_password: "b",
          },
          ocsp: {
            enable_ocsp_stapling: true,
            responder_url: "http://ocsp.example.com",
            issuer_pem: "issuer.pem",
            refresh_interval: "10m",
            refresh_http_timeout: "20s",
          },
          enable_crl_check: true,
          crlfile: "crl.pem",
        },
      },
    },
    wss: {
      default: {
        bind: 8443,
        websocket: { mqtt_path: "/ws" },
        ssl_options: { certfile: "c.pem" },
      },
    },
    dtls: {
      default: {
        bind: "0.0.0.0:5684",
        max_connections: "infinity",
        session_inactivity_timeout: "1h",
        session_report_timeout: "1m",
        dtls_options: {
          certfile: "c.pem",
          versions: ["dtlsv1.2"],
          ciphers: ["ECDHE-ECDSA-AES128-CCM8"],
        },
      },
    },
  },
  psk_authentication: {
    enable: true,
    init_file: "psk.txt",
    separator: "|",
    chunk_size: 5,
  },
  data_dir: "/var/lib/postern",
  log: { format: "json", level: "warn" },
};

Deno.test("loadConfig() reads every key of the file form", () => {
  const { config, errors, warnings } = loadConfig({
    env: {},
    fileText: JSON.stringify(FULL),
  });
  assert.deepEqual(errors.map(formatIssue), []);
  assert.deepEqual(warnings, []);
  const ssl = config.listeners.find((l) =>
    l.family === "ssl"
  ) as ListenerConfig;
  assert.equal(ssl.enabled, true);
  assert.equal(ssl.host, "::");
  assert.equal(ssl.port, 8883);
  assert.deepEqual(ssl.accessRules, [
    { action: "deny", source: "10.0.0.0/8" },
    { action: "allow", source: "all" },
  ]);
  assert.equal(ssl.proxyProtocol, true);
  assert.equal(ssl.proxyProtocolTimeoutMs, 5000);
  assert.equal(ssl.maxConnections, 1000);
  assert.deepEqual(ssl.tls, {
    credentialsType: "PEM",
    keyFile: "key.pem",
    certFile: "cert.pem",
    caCertFile: "ca.pem",
    keyPassword: "pw",
    verify: "verify_peer",
    failIfNoPeerCert: true,
    skipValidityCheckForClientCert: false,
    versions: ["tlsv1.2"],
    ciphers: ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-CCM8"],
    handshakeTimeoutMs: 10000,
    tlsEngine: "postern",
    reuseSessions: false,
    keyStoreType: "PKCS12",
    keyStoreFile: "s.p12",
    keyStorePassword: "a",
    keyStoreKeyPassword: "b",
    ocsp: {
      enableOcspStapling: true,
      responderUrl: "http://ocsp.example.com",
      issuerPemFile: "issuer.pem",
      refreshIntervalMs: 600000,
      refreshHttpTimeoutMs: 20000,
    },
    enableCrlCheck: true,
    crlFile: "crl.pem",
  });
  const wss = config.listeners.find((l) =>
    l.family === "wss"
  ) as ListenerConfig;
  assert.equal(wss.enabled, true);
  assert.equal(wss.port, 8443);
  assert.equal(wss.path, "/ws");
  const dtls = config.listeners.find((l) =>
    l.family === "dtls"
  ) as ListenerConfig;
  assert.equal(dtls.enabled, true);
  assert.equal(dtls.maxConnections, Number.POSITIVE_INFINITY);
  assert.deepEqual(dtls.dtlsSessions, {
    inactivityTimeoutMs: 3_600_000,
    reportTimeoutMs: 60_000,
  });
  assert.deepEqual(dtls.tls?.ciphers, ["ECDHE-ECDSA-AES128-CCM8"]);
  assert.deepEqual(config.psk, {
    enabled: true,
    initFile: "psk.txt",
    separator: "|",
    chunkSize: 5,
  });
  assert.equal(config.dataDir, "/var/lib/postern");
  assert.deepEqual(config.log, { format: "json", level: "warn" });
});

Deno.test("loadConfig() records the JSON path of every file value, matching filePathOf()", () => {
  const { origins } = loadConfig({ env: {}, fileText: JSON.stringify(FULL) });
  const entries = origins.entries();
  assert.ok(entries.length > 40);
  for (const [field, source] of entries) {
    // A listener's own path is where naming it enabled it.
    if (source.split(".").length === 3) continue;
    assert.equal(filePathOf(field), source, field);
  }
});

Deno.test("parseConfigFile() reports unknown keys with a did-you-mean suggestion", () => {
  assert.deepEqual(
    errorsOf({
      listners: {},
      listeners: {
        tcp: { default: { proxy_protocl: true, enabled: true } },
        ssl: {
          default: { ssl_options: { cert_file: "x", verfy: "verify_peer" } },
        },
        mqtt: {},
      },
      psk_authentication: { init_fle: "x" },
      log: { colour: true },
    }),
    [
      'listners: Unknown key "listners" (did you mean "listeners"?)',
      'listeners.tcp.default.proxy_protocl: Unknown key "proxy_protocl" (did you mean "proxy_protocol"?)',
      'listeners.tcp.default.enabled: Unknown key "enabled" (did you mean "enable"?)',
      'listeners.ssl.default.ssl_options.cert_file: Unknown key "cert_file" (did you mean "certfile"?)',
      'listeners.ssl.default.ssl_options.verfy: Unknown key "verfy" (did you mean "verify"?)',
      'listeners.mqtt: Unknown listener type "mqtt"; postern has tcp, ssl, ws, wss, coap, dtls',
      'psk_authentication.init_fle: Unknown key "init_fle" (did you mean "init_file"?)',
      'log.colour: Unknown key "colour"',
    ],
  );
});

Deno.test("parseConfigFile() reports wrong types by JSON path", () => {
  assert.deepEqual(
    errorsOf({
      listeners: {
        tcp: {
          default: {
            enable: "yes",
            bind: "0.0.0.0:99999",
            max_connections: -1,
            proxy_protocol_timeout: "3 seconds",
            access_rules: "allow all",
          },
        },
        ssl: {
          a: {
            ssl_options: {
              versions: ["tlsv1.1"],
              ciphers: 3,
              ocsp: { responder_url: "ftp://x" },
            },
          },
        },
        ws: { default: { websocket: { mqtt_path: "mqtt" } } },
      },
      data_dir: 42,
      psk_authentication: { chunk_size: 1.5 },
      log: { format: "yaml" },
    }),
    [
      'listeners.tcp.default.enable: Must be true or false, got "yes"',
      "listeners.tcp.default.bind: Port must be an integer from 0 to 65535, got 99999",
      'listeners.tcp.default.max_connections: Must be a positive integer or "infinity", got -1',
      'listeners.tcp.default.proxy_protocol_timeout: Must be a duration such as "500ms", "15s", "5m" or "1h30m", got "3 seconds"',
      'listeners.tcp.default.access_rules: Must be an array of rules such as "allow all" or "deny 10.0.0.0/8", got "allow all"',
      'listeners.ssl.a.ssl_options.versions: Must be one of tlsv1.2, tlsv1.3, got "tlsv1.1" (did you mean "tlsv1.2"?)',
      "listeners.ssl.a.ssl_options.ciphers: Must be an array of cipher names or a comma-separated string, got 3",
      'listeners.ssl.a.ssl_options.ocsp.responder_url: Must be an http or https URL, got "ftp://x"',
      'listeners.ws.default.websocket.mqtt_path: Must be an HTTP path starting with "/", got "mqtt"',
      "data_dir: Must be a string, got 42",
      "psk_authentication.chunk_size: Must be a positive integer, got 1.5",
      'log.format: Must be one of text, json, got "yaml"',
    ],
  );
});

Deno.test("parseConfigFile() validates CIDRs of access rules, v4 and v6", () => {
  assert.deepEqual(
    errorsOf({
      listeners: {
        tcp: {
          default: {
            access_rules: [
              "allow all",
              "deny 10.0.0.0/8",
              "deny 2001:db8::/32",
              "allow ::1",
              "deny 10.0.0.0/33",
              "deny 10.0.0.1/8",
              "deny 2001:db8::/129",
              "deny 300.0.0.0/8",
              "permit all",
              "deny fe80::1%eth0/64",
              7,
            ],
          },
        },
      },
    }),
    [
      'listeners.tcp.default.access_rules[4]: Invalid CIDR "10.0.0.0/33": prefix length must be at most 32',
      'listeners.tcp.default.access_rules[5]: Invalid CIDR "10.0.0.1/8": host bits are set (did you mean "10.0.0.0/8"?)',
      'listeners.tcp.default.access_rules[6]: Invalid CIDR "2001:db8::/129": prefix length must be at most 128',
      'listeners.tcp.default.access_rules[7]: Invalid CIDR "300.0.0.0/8": "300.0.0.0" is not an IPv4 or IPv6 address',
      'listeners.tcp.default.access_rules[8]: Must be "allow all", "deny all", "allow CIDR" or "deny CIDR", got "permit all"',
      'listeners.tcp.default.access_rules[9]: Invalid CIDR "fe80::1%eth0/64": "fe80::1%eth0" is not an IPv4 or IPv6 address',
      "listeners.tcp.default.access_rules[10]: Must be a string, got 7",
    ],
  );
  const { errors } = parseConfigFile(
    JSON.stringify({
      listeners: { tcp: { default: { access_rules: ["deny 10.0.0.0/33"] } } },
    }),
  );
  assert.equal(errors[0]?.key, "access_rules");
});

Deno.test("parseConfigFile() refuses keys of other listener families", () => {
  assert.deepEqual(
    errorsOf({
      listeners: {
        dtls: { default: { ssl_options: {}, proxy_protocol: true } },
        tcp: { default: { ssl_options: {} } },
        coap: { default: { websocket: {} } },
      },
    }),
    [
      'listeners.dtls.default.ssl_options: Key "ssl_options" is not valid for a dtls listener (did you mean "dtls_options"?)',
      'listeners.dtls.default.proxy_protocol: Key "proxy_protocol" is not valid for a dtls listener',
      'listeners.tcp.default.ssl_options: Key "ssl_options" is not valid for a tcp listener',
      'listeners.coap.default.websocket: Key "websocket" is not valid for a coap listener',
    ],
  );
});

Deno.test("parseConfigFile() warns about EMQX keys postern ignores", () => {
  const { errors, warnings } = parseConfigFile(JSON.stringify({
    listeners: {
      ssl: {
        default: {
          acceptors: 16,
          ssl_options: {
            certfile: "c.pem",
            depth: 10,
            secure_renegotiate: true,
          },
        },
      },
    },
  }));
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings.map(formatIssue), [
    "listeners.ssl.default.acceptors: Not supported by postern, ignored",
    "listeners.ssl.default.ssl_options.depth: Not supported by postern, ignored",
    "listeners.ssl.default.ssl_options.secure_renegotiate: Not supported by postern, ignored",
  ]);
});

Deno.test("parseConfigFile() reads ssl_options.reuse_sessions", () => {
  const text = JSON.stringify({
    listeners: {
      ssl: { default: { ssl_options: { reuse_sessions: false } } },
      dtls: { default: { dtls_options: { reuse_sessions: "yes" } } },
    },
  });
  const { errors } = parseConfigFile(text);
  assert.deepEqual(errors.map((e) => e.path), [
    "listeners.dtls.default.dtls_options.reuse_sessions",
  ]);
  const { config } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      listeners: {
        ssl: { default: { ssl_options: { reuse_sessions: false } } },
      },
    }),
  });
  const ssl = config.listeners.find((l) => l.family === "ssl");
  assert.equal(ssl?.tls?.reuseSessions, false);
});

Deno.test("parseConfigFile() reports a file that is not a JSON object", () => {
  for (const text of ["", "{", "[]", "null", "3", '"x"']) {
    const { errors } = parseConfigFile(text, { filePath: "p.json" });
    assert.equal(errors.length, 1, text);
    assert.ok(errors[0] instanceof ConfigError);
    assert.equal(errors[0].path, "p.json");
  }
});

Deno.test("parseConfigFile() treats prototype names as ordinary unknown keys", () => {
  const text =
    '{"__proto__": {"x": 1}, "constructor": 1, "listeners": {"toString": {}, "tcp": {"__proto__": {"bind": 1}, "default": {"hasOwnProperty": 1}}}}';
  const { errors } = parseConfigFile(text);
  assert.deepEqual(errors.map((e) => e.path), [
    "__proto__",
    "constructor",
    "listeners.toString",
    "listeners.tcp.__proto__",
    "listeners.tcp.default.hasOwnProperty",
  ]);
  assert.equal(({} as Record<string, unknown>).bind, undefined);
});

Deno.test("parseConfigFile() refuses bad listener names", () => {
  const { errors } = parseConfigFile(
    '{"listeners": {"tcp": {"a b": {}, "": {}, "ok-name_1": {}}}}',
  );
  assert.deepEqual(errors.map((e) => e.path), [
    "listeners.tcp.a b",
    "listeners.tcp.",
  ]);
});

Deno.test("loadConfig() enables a listener named in the file unless it says enable false", () => {
  const { config } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      listeners: {
        tcp: { second: { bind: 2883 }, third: { bind: 3883, enable: false } },
        coap: { default: { enable: false } },
      },
    }),
  });
  assert.deepEqual(
    config.listeners.map((l) => `${l.family}/${l.name}:${l.enabled}:${l.port}`),
    [
      "tcp/default:true:1883",
      "ssl/default:false:8883",
      "ws/default:false:8084",
      "wss/default:false:8085",
      "coap/default:false:5683",
      "dtls/default:false:5684",
      "tcp/second:true:2883",
      "tcp/third:false:3883",
    ],
  );
});

Deno.test("parseConfigFile() accepts a byte order mark", () => {
  const { errors, ops } = parseConfigFile('\uFEFF{"data_dir": "d"}');
  assert.deepEqual(errors, []);
  assert.equal(ops.length, 1);
});
