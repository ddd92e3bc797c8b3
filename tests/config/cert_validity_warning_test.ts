import assert from "node:assert/strict";
import {
  checkFiles,
  type ConfigError,
  loadConfig,
} from "../../src/config/mod.ts";
import { loadTlsCredentials } from "../../src/config/tls_credentials.ts";
import type { TlsFileField } from "../../src/config/check_files.ts";
import { generateEcKeyPair } from "../../src/crypto/mod.ts";
import { issueCertificate, privateKeyToPem } from "../../src/pki/mod.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { configCheckCommand } from "../../cli/config_check.ts";
import { startServer } from "../../src/server.ts";
import { Logger } from "../../src/log/mod.ts";

const DAY = 86_400_000;
const enc = new TextEncoder();

async function serverFiles(
  now: Date,
  days: number,
): Promise<{ cert: Uint8Array; key: Uint8Array }> {
  const key = await generateEcKeyPair("P-256");
  const der = await issueCertificate({
    subject: { CN: "broker" },
    subjectKey: key,
    now,
    days,
    extKeyUsage: ["serverAuth"],
    subjectAltNames: ["localhost"],
  });
  return {
    cert: enc.encode(encodePem("CERTIFICATE", der)),
    key: enc.encode(privateKeyToPem(key)),
  };
}

function sslEnv(): Record<string, string> {
  return {
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_PEM_CERT: "server.pem",
    LISTENER_SSL_PEM_KEY: "server_key.pem",
  };
}

function fileSet(files: { cert: Uint8Array; key: Uint8Array }, now: number) {
  const { config } = loadConfig({ env: sslEnv() });
  const listener = config.listeners.find((l) => l.family === "ssl")!;
  return {
    config,
    listener,
    tls: listener.tls!,
    files: new Map<TlsFileField, Uint8Array>([
      ["certFile", files.cert],
      ["keyFile", files.key],
    ]),
    pathOf: (field: string) => `LISTENER_SSL_${field}`,
    now,
  };
}

Deno.test("loadTlsCredentials() warns about an expired server certificate and still loads it", async () => {
  const issued = new Date("2020-01-01T00:00:00Z");
  const files = await serverFiles(issued, 30);
  const result = loadTlsCredentials(
    fileSet(files, issued.getTime() + 60 * DAY),
  );
  assert.equal(result.ok, true);
  assert.equal(result.warnings.length, 1);
  assert.equal(result.warnings[0]!.path, "LISTENER_SSL_certFile");
  assert.match(result.warnings[0]!.message, /expired on 2020-01-31/);
});

Deno.test("loadTlsCredentials() warns about a server certificate that is not yet valid", async () => {
  const issued = new Date("2030-01-01T00:00:00Z");
  const files = await serverFiles(issued, 30);
  const result = loadTlsCredentials(
    fileSet(files, issued.getTime() - 2 * DAY),
  );
  assert.equal(result.ok, true);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!.message, /is not valid before 2029-12-31/);
});

Deno.test("loadTlsCredentials() has no warning for a certificate in its validity", async () => {
  const issued = new Date("2025-01-01T00:00:00Z");
  const files = await serverFiles(issued, 30);
  const result = loadTlsCredentials(fileSet(files, issued.getTime() + DAY));
  assert.equal(result.ok, true);
  assert.deepEqual(result.warnings, []);
});

Deno.test("checkFiles() reports validity as a warning, not an error", async () => {
  const files = await serverFiles(new Date("2020-01-01T00:00:00Z"), 30);
  const { config, origins } = loadConfig({ env: sslEnv() });
  const contents: Record<string, Uint8Array> = {
    "server.pem": files.cert,
    "server_key.pem": files.key,
  };
  const warnings: ConfigError[] = [];
  const errors = await checkFiles(
    config,
    (path) => {
      const bytes = contents[path];
      return bytes === undefined
        ? Promise.reject(new Deno.errors.NotFound(path))
        : Promise.resolve(bytes);
    },
    { origins, onWarning: (w) => warnings.push(w) },
  );
  assert.deepEqual(errors, []);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.path, "LISTENER_SSL_PEM_CERT");
  const unchanged = await checkFiles(
    config,
    (path) => Promise.resolve(contents[path] ?? new Uint8Array([1])),
    { origins },
  );
  assert.deepEqual(unchanged, []);
});

Deno.test("config check prints an expired certificate as a warning and exits 0", async () => {
  const files = await serverFiles(new Date("2020-01-01T00:00:00Z"), 30);
  const contents: Record<string, Uint8Array> = {
    "server.pem": files.cert,
    "server_key.pem": files.key,
  };
  const out: string[] = [];
  const err: string[] = [];
  const code = await configCheckCommand([], {
    env: sslEnv(),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (path) => {
      const bytes = contents[path];
      return bytes === undefined
        ? Promise.reject(new Deno.errors.NotFound(path))
        : Promise.resolve(bytes);
    },
  });
  assert.equal(code, 0, err.join("\n"));
  const warnings = err.filter((l) => l.startsWith("warning: "));
  assert.equal(warnings.length, 1, err.join("\n"));
  assert.match(
    warnings[0]!,
    /^warning: LISTENER_SSL_PEM_CERT: Server certificate of .*broker.* expired on 2020-01-31/,
  );
});

Deno.test("startServer() logs an expired server certificate as config.warning and starts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-validity-" });
  try {
    const files = await serverFiles(new Date("2020-01-01T00:00:00Z"), 30);
    await Deno.writeFile(`${dir}/server.pem`, files.cert);
    await Deno.writeFile(`${dir}/server_key.pem`, files.key);
    const { config, origins, errors } = loadConfig({
      env: {},
      fileText: JSON.stringify({
        data_dir: `${dir}/data`,
        listeners: {
          tcp: { default: { enable: false } },
          coap: { default: { enable: false } },
          ssl: {
            default: {
              bind: "127.0.0.1:0",
              ssl_options: {
                certfile: `${dir}/server.pem`,
                keyfile: `${dir}/server_key.pem`,
              },
            },
          },
        },
      }),
    });
    assert.deepEqual(errors, []);
    const lines: string[] = [];
    const server = await startServer(config, {
      origins,
      logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
    });
    await server.close();
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.event === "config.warning");
    assert.ok(warning, lines.join("\n"));
    assert.equal(warning.path, "listeners.ssl.default.ssl_options.certfile");
    assert.match(String(warning.message), /expired on 2020-01-31/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
