/**
 * `ssl_options.tls_engine` and the TLS path decision: file key and
 * environment variable, validation (TLS 1.3 only on postern's engine), the
 * rendered configuration, the engine chosen per
 * listener with its reason, and PROXY protocol allowed on an ssl listener
 * that postern's engine serves.
 */
import assert from "node:assert/strict";
import {
  checkFiles,
  loadConfig,
  renderConfig,
  tlsPathFor,
} from "../../src/config/mod.ts";

const TLS = { certfile: "c.pem", keyfile: "k.pem" };

function load(
  file: Record<string, unknown>,
  env: Record<string, string> = {},
) {
  return loadConfig({ env, fileText: JSON.stringify(file) });
}

function ssl(options: Record<string, unknown>, extra = {}) {
  return {
    listeners: {
      ssl: {
        default: {
          enable: true,
          ssl_options: { ...TLS, ...options },
          ...extra,
        },
      },
    },
  };
}

function sslOf(config: ReturnType<typeof load>["config"]) {
  return config.listeners.find((l) =>
    l.family === "ssl" && l.name === "default"
  )!;
}

Deno.test("tlsPathFor() picks postern for PSK suites, OCSP or tls_engine=postern, node for verify_peer, else native", () => {
  const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
    [{}, {}, "native"],
    [{ verify: "verify_peer", cacertfile: "ca.pem" }, {}, "node"],
    [{ ciphers: "PSK-AES128-GCM-SHA256" }, {}, "native"],
    [
      { ciphers: "PSK-AES128-GCM-SHA256" },
      { psk_authentication: { enable: true } },
      "postern",
    ],
    [
      { ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" },
      { psk_authentication: { enable: true } },
      "native",
    ],
    [
      {
        ocsp: {
          enable_ocsp_stapling: true,
          responder_url: "http://127.0.0.1:1/",
          issuer_pem: "ca.pem",
        },
      },
      {},
      "postern",
    ],
    [{ tls_engine: "postern" }, {}, "postern"],
    [
      { tls_engine: "native", ciphers: "PSK-AES128-GCM-SHA256" },
      { psk_authentication: { enable: true } },
      "native",
    ],
    [
      { tls_engine: "native", verify: "verify_peer", cacertfile: "ca.pem" },
      {},
      "node",
    ],
  ];
  for (const [options, global, engine] of cases) {
    const { config, errors } = load({ ...ssl(options), ...global });
    assert.deepEqual(errors, [], JSON.stringify(options));
    const path = tlsPathFor(config, sslOf(config));
    assert.equal(path.engine, engine, JSON.stringify(options));
    assert.ok(path.reason.length > 0);
  }
});

Deno.test("tls_engine is read from LISTENER_SSL_TLS_ENGINE and its MQTT_SSL_ alias, and rendered", () => {
  for (const name of ["LISTENER_SSL_TLS_ENGINE", "MQTT_SSL_TLS_ENGINE"]) {
    const { config, errors } = loadConfig({
      env: {
        LISTENER_SSL_ENABLED: "true",
        LISTENER_SSL_PEM_CERT: "c.pem",
        LISTENER_SSL_PEM_KEY: "k.pem",
        [name]: "postern",
      },
    });
    assert.deepEqual(errors, [], name);
    assert.equal(sslOf(config).tls!.tlsEngine, "postern");
    assert.match(renderConfig(config), /"tlsEngine": "postern"/);
  }
  const bad = loadConfig({
    env: { LISTENER_SSL_TLS_ENGINE: "openssl" },
  });
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!.message, /auto|postern|native/);
  const badFile = load(ssl({ tls_engine: "boring" }));
  assert.equal(badFile.errors.length, 1);
  assert.equal(
    badFile.errors[0]!.path,
    "listeners.ssl.default.ssl_options.tls_engine",
  );
});

Deno.test("validation: postern's engine with TLS 1.3 only is an error; tls_engine=postern is allowed on wss", () => {
  const v13 = load(ssl({ tls_engine: "postern", versions: ["tlsv1.3"] }));
  assert.equal(v13.errors.length, 1);
  assert.match(v13.errors[0]!.message, /TLS 1\.2 only/);
  const psk13 = load({
    ...ssl({ ciphers: "PSK-AES128-GCM-SHA256", versions: ["tlsv1.3"] }),
    psk_authentication: { enable: true },
  });
  assert.equal(psk13.errors.length, 1);
  assert.match(psk13.errors[0]!.message, /TLS-PSK is configured/);
  const native13 = load(ssl({ versions: ["tlsv1.3"] }));
  assert.deepEqual(native13.errors, []);
  const wss = load({
    listeners: {
      wss: {
        default: {
          enable: true,
          ssl_options: { ...TLS, tls_engine: "postern" },
        },
      },
    },
  });
  assert.deepEqual(wss.errors, []);
  const wssListener = wss.config.listeners.find((l) => l.family === "wss")!;
  assert.equal(tlsPathFor(wss.config, wssListener).engine, "postern");
});

Deno.test("checkFiles() accepts proxy_protocol on an ssl listener served by postern's engine", async () => {
  for (
    const [options, global, allowed] of [
      [{ tls_engine: "postern" }, {}, true],
      [{ ciphers: "PSK-AES128-GCM-SHA256" }, {
        psk_authentication: { enable: true },
      }, true],
      [{}, {}, true],
      [{ tls_engine: "native" }, {}, false],
    ] as const
  ) {
    const { config, origins, errors } = load({
      ...ssl(options, { proxy_protocol: true }),
      ...global,
    });
    assert.deepEqual(errors, []);
    const found = await checkFiles(
      config,
      () => Promise.resolve(new Uint8Array([1])),
      { origins, checkers: [] },
    );
    const proxy = found.filter((e) => e.path.endsWith("proxy_protocol"));
    assert.equal(proxy.length, allowed ? 0 : 1, JSON.stringify(options));
    if (!allowed) assert.match(proxy[0]!.message, /tls_engine to postern/);
  }
});

Deno.test("tlsPathFor() serves proxy_protocol listeners on an engine that reads the header", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{}, "ssl", "postern"],
    [{ verify: "verify_peer", cacertfile: "ca.pem" }, "ssl", "node"],
    [{ versions: ["tlsv1.3"] }, "ssl", "native"],
    [{}, "wss", "postern"],
  ];
  for (const [options, family, engine] of cases) {
    const { config, errors } = load({
      listeners: {
        [family]: {
          default: {
            enable: true,
            proxy_protocol: true,
            ssl_options: { ...TLS, ...options },
          },
        },
      },
    });
    assert.deepEqual(errors, [], JSON.stringify(options));
    const listener = config.listeners.find((l) =>
      l.family === family && l.name === "default"
    )!;
    const path = tlsPathFor(config, listener);
    assert.equal(path.engine, engine, `${family} ${JSON.stringify(options)}`);
    if (engine === "postern") assert.match(path.reason, /proxy_protocol/);
  }
});

Deno.test("an ssl listener with only PSK suites needs no server certificate", async () => {
  const file = {
    psk_authentication: { enable: true },
    listeners: {
      ssl: {
        default: {
          enable: true,
          ssl_options: {
            ciphers: "PSK-AES128-GCM-SHA256,PSK-AES256-GCM-SHA384",
          },
        },
      },
    },
  };
  const { config, origins, errors } = load(file);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    await checkFiles(config, () => Promise.reject(new Error("no file")), {
      origins,
    }),
    [],
  );
  const mixed = load({
    ...file,
    listeners: {
      ssl: {
        default: {
          enable: true,
          ssl_options: {
            ciphers: "PSK-AES128-GCM-SHA256,ECDHE-ECDSA-AES128-GCM-SHA256",
          },
        },
      },
    },
  });
  assert.equal(mixed.errors.length, 1);
  assert.match(mixed.errors[0]!.message, /no server certificate/);
});
