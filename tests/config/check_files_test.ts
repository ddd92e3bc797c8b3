import assert from "node:assert/strict";
import {
  checkFiles,
  ConfigError,
  formatIssue,
  loadConfig,
  type ReadFile,
  tlsCredentialsChecker,
  type TlsFileChecker,
  tlsFileCheckers,
} from "../../src/config/mod.ts";

const PEM = new TextEncoder().encode("-----BEGIN CERTIFICATE-----\n");

function reader(
  files: Record<string, Uint8Array | Error>,
): ReadFile & { reads: string[] } {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    const f = files[path];
    if (f === undefined) {
      return Promise.reject(new Deno.errors.NotFound(`no ${path}`));
    }
    return f instanceof Error ? Promise.reject(f) : Promise.resolve(f);
  };
  return Object.assign(read, { reads });
}

Deno.test("checkFiles() reports unreadable and empty files by variable or key", async () => {
  const { config, errors, origins } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: "server.pem",
      LISTENER_SSL_PEM_KEY: "key.pem",
      LISTENER_SSL_CA_CERT: "ca.pem",
      PSK_AUTHENTICATION_ENABLED: "true",
      PSK_AUTHENTICATION_INIT_FILE: "psk.txt",
    },
    fileText: JSON.stringify({
      listeners: {
        dtls: {
          default: {
            dtls_options: {
              certfile: "server.pem",
              crlfile: "crl.pem",
              enable_crl_check: true,
            },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors, []);
  const read = reader({
    "server.pem": PEM,
    "key.pem": new Uint8Array(0),
    "ca.pem": new Deno.errors.PermissionDenied("denied"),
  });
  const problems = await checkFiles(config, read, { origins });
  assert.ok(problems.every((p) => p instanceof ConfigError));
  assert.deepEqual(problems.map(formatIssue), [
    'LISTENER_SSL_PEM_KEY: File "key.pem" is empty',
    'LISTENER_SSL_CA_CERT: Cannot read "ca.pem": permission denied',
    'listeners.dtls.default.dtls_options.crlfile: Cannot read "crl.pem": file not found',
    'PSK_AUTHENTICATION_INIT_FILE: Cannot read "psk.txt": file not found',
  ]);
  // Each file is read once, however many listeners name it.
  assert.equal(read.reads.filter((p) => p === "server.pem").length, 1);
});

Deno.test("checkFiles() ignores files of disabled listeners and unused credentials", async () => {
  const { config } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "false",
      LISTENER_SSL_PEM_CERT: "nope.pem",
      LISTENER_WSS_ENABLED: "true",
      LISTENER_WSS_CREDENTIALS_TYPE: "KEYSTORE",
      LISTENER_WSS_KEY_STORE: "wss.p12",
      LISTENER_WSS_PEM_CERT: "unused.pem",
    },
  });
  const read = reader({ "wss.p12": PEM });
  assert.deepEqual(await checkFiles(config, read, { checkers: [] }), []);
  assert.deepEqual(read.reads, ["wss.p12"]);
});

Deno.test("checkFiles() runs the injected checkers once a listener's files are read", async () => {
  const { config, origins } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: "server.pem",
      LISTENER_SSL_PEM_KEY_PASSWORD: "wrong",
      COAP_DTLS_ENABLED: "true",
      COAP_DTLS_PEM_CERT: "missing.pem",
    },
  });
  const seen: string[] = [];
  const wrongPassword: TlsFileChecker = (input) => {
    seen.push(`${input.listener.family}:${[...input.files.keys()].join(",")}`);
    return Promise.resolve([
      new ConfigError(
        input.pathOf("keyPassword"),
        "Cannot decrypt the key with this password",
      ),
    ]);
  };
  const broken: TlsFileChecker = () => Promise.reject(new Error("boom"));
  const problems = await checkFiles(config, reader({ "server.pem": PEM }), {
    origins,
    checkers: [wrongPassword, broken],
  });
  assert.deepEqual(seen, ["ssl:certFile"]);
  assert.deepEqual(problems.map(formatIssue), [
    "LISTENER_SSL_PEM_KEY_PASSWORD: Cannot decrypt the key with this password",
    "LISTENER_SSL_ENABLED: Cannot check the files of listener ssl/default: boom",
    'COAP_DTLS_PEM_CERT: Cannot read "missing.pem": file not found',
  ]);
  assert.deepEqual(tlsFileCheckers, [tlsCredentialsChecker]);
});
