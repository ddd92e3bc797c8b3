import assert from "node:assert/strict";
import { checkFiles, loadConfig } from "../../src/config/mod.ts";
import { loadTlsCredentials } from "../../src/config/tls_credentials.ts";
import type { TlsFileField } from "../../src/config/check_files.ts";
import { openssl } from "../support/openssl.ts";

const dir = await Deno.makeTempDir({ prefix: "postern-creds-" });
const p = (name: string) => `${dir}/${name}`;
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

async function makeFiles(): Promise<void> {
  await openssl([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-noout",
    "-out",
    p("ec.key"),
  ]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    p("ec.key"),
    "-subj",
    "/CN=server",
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-out",
    p("ec.crt"),
  ]);
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    p("other.key"),
  ]);
  await openssl([
    "pkey",
    "-in",
    p("ec.key"),
    "-aes256",
    "-passout",
    "pass:s3cret",
    "-out",
    p("ec_enc.key"),
  ]);
  await openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    p("rsa.key"),
  ]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    p("rsa.key"),
    "-subj",
    "/CN=rsa",
    "-days",
    "2",
    "-out",
    p("rsa.crt"),
  ]);
  await openssl([
    "pkcs12",
    "-export",
    "-in",
    p("ec.crt"),
    "-inkey",
    p("ec.key"),
    "-passout",
    "pass:store",
    "-out",
    p("store.p12"),
  ]);
  const both = await Deno.readTextFile(p("ec.crt")) +
    await Deno.readTextFile(p("ec.key"));
  await Deno.writeTextFile(p("both.pem"), both);
}
await makeFiles();

async function check(env: Record<string, string>) {
  const { config, errors, origins } = loadConfig({ env });
  assert.deepEqual(errors, []);
  return await checkFiles(config, (path) => Deno.readFile(path), { origins });
}

Deno.test("checkFiles() accepts a matching PEM certificate and key", async () => {
  const errors = await check({
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_PEM_CERT: p("ec.crt"),
    LISTENER_SSL_PEM_KEY: p("ec.key"),
  });
  assert.deepEqual(errors, []);
});

Deno.test("checkFiles() accepts a certificate file that also holds the key", async () => {
  assert.deepEqual(
    await check({
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: p("both.pem"),
    }),
    [],
  );
});

Deno.test("checkFiles() opens an encrypted key with LISTENER_SSL_PEM_KEY_PASSWORD", async () => {
  const env = {
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_PEM_CERT: p("ec.crt"),
    LISTENER_SSL_PEM_KEY: p("ec_enc.key"),
  };
  assert.deepEqual(
    await check({ ...env, LISTENER_SSL_PEM_KEY_PASSWORD: "s3cret" }),
    [],
  );
  const wrong = await check({ ...env, LISTENER_SSL_PEM_KEY_PASSWORD: "nope" });
  assert.equal(wrong.length, 1);
  assert.equal(wrong[0]!.path, "LISTENER_SSL_PEM_KEY_PASSWORD");
  assert.match(wrong[0]!.message, /Wrong password/);
  const missing = await check(env);
  // Unset values are named by their file key.
  assert.equal(missing[0]!.path, "listeners.ssl.default.ssl_options.password");
  assert.match(missing[0]!.message, /encrypted and no password/);
});

Deno.test("checkFiles() reports a key that does not match the certificate", async () => {
  const errors = await check({
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_PEM_CERT: p("ec.crt"),
    LISTENER_SSL_PEM_KEY: p("other.key"),
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, "LISTENER_SSL_PEM_KEY");
  assert.match(
    errors[0]!.message,
    /does not match the certificate of CN=server/,
  );
});

Deno.test("checkFiles() refuses an RSA key for the DTLS listener", async () => {
  const errors = await check({
    COAP_DTLS_ENABLED: "true",
    COAP_DTLS_PEM_CERT: p("rsa.crt"),
    COAP_DTLS_PEM_KEY: p("rsa.key"),
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, "COAP_DTLS_PEM_KEY");
  assert.match(errors[0]!.message, /ECDSA/);
});

Deno.test("checkFiles() reads a PKCS#12 key store and reports a wrong password", async () => {
  const env = {
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_CREDENTIALS_TYPE: "KEYSTORE",
    LISTENER_SSL_KEY_STORE: p("store.p12"),
  };
  assert.deepEqual(
    await check({ ...env, LISTENER_SSL_KEY_STORE_PASSWORD: "store" }),
    [],
  );
  const wrong = await check({ ...env, LISTENER_SSL_KEY_STORE_PASSWORD: "bad" });
  assert.equal(wrong.length, 1);
  assert.equal(wrong[0]!.path, "LISTENER_SSL_KEY_STORE_PASSWORD");
});

Deno.test("checkFiles() reports a CA file that holds no certificate", async () => {
  await Deno.writeTextFile(p("junk.pem"), "not a certificate\n");
  const errors = await check({
    LISTENER_SSL_ENABLED: "true",
    LISTENER_SSL_PEM_CERT: p("ec.crt"),
    LISTENER_SSL_PEM_KEY: p("ec.key"),
    LISTENER_SSL_CA_CERT: p("junk.pem"),
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, "LISTENER_SSL_CA_CERT");
});

Deno.test("loadTlsCredentials() returns the chain and an unencrypted key PEM", async () => {
  const { config } = loadConfig({ env: {} });
  const listener = config.listeners.find((l) => l.family === "ssl")!;
  const files = new Map<TlsFileField, Uint8Array>([
    ["certFile", await Deno.readFile(p("ec.crt"))],
    ["keyFile", await Deno.readFile(p("ec_enc.key"))],
  ]);
  const result = loadTlsCredentials({
    config,
    listener,
    tls: { ...listener.tls!, keyPassword: "s3cret" },
    files,
    pathOf: (f) => f,
  });
  assert.ok(result.ok);
  assert.equal(result.credentials.chain[0]!.subject.commonName, "server");
  assert.match(result.credentials.keyPem, /-----BEGIN PRIVATE KEY-----/);
  assert.match(result.credentials.chainPem, /-----BEGIN CERTIFICATE-----/);
  // Deno's own TLS accepts what we hand it.
  const listenerTls = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: result.credentials.chainPem,
    key: result.credentials.keyPem,
  });
  listenerTls.close();
});
