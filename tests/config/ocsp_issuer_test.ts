/**
 * `ssl_options.ocsp.issuer_pem` as `loadTlsCredentials` reads it: the
 * issuer comes back as `ocspIssuer`; a file without a certificate, or a
 * certificate that did not issue the server certificate, is an error naming
 * the key.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { loadTlsCredentials } from "../../src/config/tls_credentials.ts";
import type { TlsFileField } from "../../src/config/check_files.ts";
import { ocspFixtures, opensslAvailable } from "../support/ocsp_fixtures.ts";

const available = await opensslAvailable();

async function load(issuer: Uint8Array) {
  const fx = await ocspFixtures();
  const { config } = loadConfig({ env: {} });
  const listener = config.listeners.find((l) => l.family === "ssl")!;
  const files = new Map<TlsFileField, Uint8Array>([
    ["certFile", await Deno.readFile(fx.certs.server.certPath)],
    ["keyFile", await Deno.readFile(fx.certs.server.keyPath)],
    ["ocsp.issuerPemFile", issuer],
  ]);
  return loadTlsCredentials({
    config,
    listener,
    tls: {
      ...listener.tls!,
      ocsp: {
        ...listener.tls!.ocsp,
        enableOcspStapling: true,
        responderUrl: "http://127.0.0.1:1/",
        issuerPemFile: "issuer.pem",
      },
    },
    files,
    pathOf: (f) => f,
  });
}

Deno.test({
  name:
    "loadTlsCredentials() returns the OCSP issuer that issued the server certificate",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const result = await load(new TextEncoder().encode(fx.certs.ca.pem));
    assert.ok(result.ok);
    assert.equal(
      result.credentials.ocspIssuer?.subject.commonName,
      "Postern OCSP Test CA",
    );
  },
});

Deno.test({
  name:
    "loadTlsCredentials() refuses an OCSP issuer file that holds only a key or another CA",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const empty = await load(await Deno.readFile(fx.certs.ca.keyPath));
    assert.ok(!empty.ok);
    assert.deepEqual(
      empty.errors.map((e) => `${e.path}: ${e.message}`),
      ["ocsp.issuerPemFile: Holds no certificate"],
    );
    const other = await load(new TextEncoder().encode(fx.certs.foreign.pem));
    assert.ok(!other.ok);
    assert.equal(other.errors.length, 1);
    assert.equal(other.errors[0]!.path, "ocsp.issuerPemFile");
    assert.match(
      other.errors[0]!.message,
      /is not the issuer of the server certificate/,
    );
  },
});
