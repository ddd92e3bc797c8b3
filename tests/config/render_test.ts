import assert from "node:assert/strict";
import { loadConfig, renderConfig } from "../../src/config/mod.ts";

Deno.test("renderConfig() redacts key passwords, key store passwords and PSK secrets", () => {
  const { config } = loadConfig({
    env: {
      LISTENER_SSL_ENABLED: "true",
      LISTENER_SSL_PEM_CERT: "c.pem",
      LISTENER_SSL_PEM_KEY_PASSWORD: "pem-secret",
      LISTENER_SSL_KEY_STORE_PASSWORD: "store-secret",
      LISTENER_SSL_KEY_PASSWORD: "key-secret",
      COAP_DTLS_PEM_KEY_PASSWORD: "dtls-secret",
    },
  });
  const text = renderConfig(config);
  for (
    const secret of ["pem-secret", "store-secret", "key-secret", "dtls-secret"]
  ) {
    assert.ok(!text.includes(secret), secret);
  }
  const parsed = JSON.parse(text);
  assert.equal(parsed.listeners[1].tls.keyPassword, "[redacted]");
  assert.equal(parsed.listeners[1].tls.keyStorePassword, "[redacted]");
  assert.equal(parsed.listeners[1].tls.keyStoreKeyPassword, "[redacted]");
  assert.equal(parsed.listeners[1].tls.certFile, "c.pem");
  assert.equal(parsed.listeners[0].maxConnections, "infinity");
  assert.ok(renderConfig(config, { redact: false }).includes("pem-secret"));
});
