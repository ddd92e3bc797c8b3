// Seeded fuzzing of the config file parser and loader: whatever the input,
// the result is a list of ConfigErrors, never an exception.
import assert from "node:assert/strict";
import {
  checkFiles,
  ConfigError,
  loadConfig,
  parseConfigFile,
  renderConfig,
} from "../../src/config/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const CORPUS: unknown[] = [
  {},
  {
    listeners: {
      tcp: {
        default: {
          bind: "0.0.0.0:1883",
          access_rules: ["deny 10.0.0.0/8", "allow all"],
        },
      },
      ssl: {
        default: {
          bind: "[::]:8883",
          proxy_protocol: true,
          proxy_protocol_timeout: "3s",
          max_connections: "infinity",
          ssl_options: {
            certfile: "certs/server.pem",
            keyfile: "certs/server_key.pem",
            cacertfile: "certs/ca.pem",
            password: "pw",
            verify: "verify_peer",
            fail_if_no_peer_cert: true,
            versions: ["tlsv1.2", "tlsv1.3"],
            ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-ECDSA-AES128-CCM8",
            ocsp: {
              enable_ocsp_stapling: true,
              responder_url: "http://ocsp.example.com",
              issuer_pem: "certs/ca.pem",
              refresh_interval: "5m",
            },
            enable_crl_check: true,
            crlfile: "crl.pem",
            keystore: { type: "PKCS12", file: "s.p12", password: "x" },
          },
        },
      },
      wss: {
        default: {
          bind: 8085,
          websocket: { mqtt_path: "/mqtt" },
          ssl_options: { certfile: "c.pem" },
        },
      },
      coap: { default: { bind: 5683 } },
      dtls: {
        default: {
          bind: "0.0.0.0:5684",
          session_inactivity_timeout: "24h",
          dtls_options: { certfile: "c.pem", versions: ["dtlsv1.2"] },
        },
      },
    },
    psk_authentication: {
      enable: true,
      init_file: "psk.txt",
      separator: ":",
      chunk_size: 50,
    },
    data_dir: "./data",
    log: { format: "json", level: "info" },
  },
];

const ENVS: Record<string, string>[] = [
  {},
  { LISTENER_SSL_BIND_PORT: "8883", COAP_DTLS_ENABLED: "true" },
  {
    MQTT_SSL_ENABLED: "TRUE",
    LISTENER_SSL_PEM_CRET: "x",
    TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT: "x",
  },
];

const KEYS = [
  "listeners",
  "tcp",
  "ssl",
  "dtls",
  "default",
  "bind",
  "enable",
  "ssl_options",
  "dtls_options",
  "access_rules",
  "versions",
  "ocsp",
  "__proto__",
  "constructor",
  "toString",
  "",
  "keystore",
  "max_connections",
  "websocket",
  "verify",
  "psk_authentication",
  "log",
];

function randomValue(rng: SeededRandom, depth: number): unknown {
  switch (rng.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return rng.int(2) === 0;
    case 2:
      return rng.pick([
        0,
        -1,
        1.5,
        65535,
        65536,
        1e308,
        -0,
        Number.MAX_SAFE_INTEGER + 2,
      ]);
    case 3:
      return rng.pick([
        "",
        "all",
        "allow all",
        "deny ::/0",
        "0.0.0.0:1",
        "[::1]:99999",
        "1h",
        "infinity",
        "verify_peer",
        "\u0000",
        "x".repeat(300),
      ]);
    case 4:
      return rng.pick(KEYS);
    case 5:
      return "deny " +
        rng.pick([
          "10.0.0.0/",
          "::ffff:1.2.3.4/120",
          "1:2:3:4:5:6:7:8/64",
          "a::b::c/1",
          "255.255.255.255/32",
        ]);
    case 6:
      return String(rng.next());
    case 7: {
      const out: unknown[] = [];
      for (let i = rng.int(4); i > 0; i--) {
        out.push(randomValue(rng, depth + 1));
      }
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) {
        Object.defineProperty(out, rng.pick(KEYS), {
          value: randomValue(rng, depth + 1),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return out;
    }
  }
}

/** Replaces one random node of a JSON tree with a random value. */
function mutateTree(value: unknown, rng: SeededRandom, depth = 0): unknown {
  if (
    value === null || typeof value !== "object" || rng.int(4) === 0 || depth > 6
  ) {
    return randomValue(rng, depth);
  }
  if (Array.isArray(value)) {
    const copy = value.slice();
    if (copy.length === 0) return [randomValue(rng, depth)];
    const i = rng.int(copy.length);
    copy[i] = mutateTree(copy[i], rng, depth + 1);
    return copy;
  }
  const entries = Object.entries(value);
  if (entries.length === 0 || rng.int(5) === 0) {
    return { ...value, [rng.pick(KEYS)]: randomValue(rng, depth) };
  }
  const i = rng.int(entries.length);
  const [k, v] = entries[i] as [string, unknown];
  return { ...value, [k]: mutateTree(v, rng, depth + 1) };
}

function checkResult(text: string, env: Record<string, string>): void {
  const parsed = parseConfigFile(text, { filePath: "fuzz.json" });
  for (const e of parsed.errors) {
    assert.ok(e instanceof ConfigError);
    assert.equal(typeof e.path, "string");
    assert.ok(e.message.length > 0);
  }
  const loaded = loadConfig({ env, fileText: text, filePath: "fuzz.json" });
  for (const e of loaded.errors) assert.ok(e instanceof ConfigError, String(e));
  assert.ok(loaded.errors.length >= parsed.errors.length);
  renderConfig(loaded.config);
}

Deno.test("parseConfigFile() and loadConfig() turn mutated bytes into ConfigErrors only", () => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const rng = new SeededRandom(0x5eed_c0f1);
  for (let i = 0; i < 2000; i++) {
    const seed = encoder.encode(JSON.stringify(rng.pick(CORPUS)));
    const text = decoder.decode(mutate(seed, rng));
    try {
      checkResult(text, rng.pick(ENVS));
    } catch (err) {
      throw new Error(`Fuzz case ${i} failed for ${JSON.stringify(text)}`, {
        cause: err,
      });
    }
  }
});

Deno.test("parseConfigFile() and loadConfig() turn mutated JSON trees into ConfigErrors only", async () => {
  const rng = new SeededRandom(0x0c0f_f1e5);
  let valid = 0;
  for (let i = 0; i < 2000; i++) {
    let tree = rng.pick(CORPUS);
    for (let n = 1 + rng.int(3); n > 0; n--) tree = mutateTree(tree, rng);
    const text = JSON.stringify(tree);
    const env = rng.pick(ENVS);
    try {
      checkResult(text, env);
      const loaded = loadConfig({ env, fileText: text });
      if (loaded.errors.length === 0) {
        valid++;
        const problems = await checkFiles(
          loaded.config,
          (p) =>
            p.length % 2 === 0
              ? Promise.resolve(new Uint8Array([1]))
              : Promise.reject(new Error("no")),
          { origins: loaded.origins },
        );
        for (const e of problems) assert.ok(e instanceof ConfigError);
      }
    } catch (err) {
      throw new Error(`Fuzz case ${i} failed for ${text}`, { cause: err });
    }
  }
  assert.ok(valid > 0, "no mutated configuration was valid");
});
