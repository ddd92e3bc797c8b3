import assert from "node:assert/strict";
import {
  defaultConfig,
  loadConfig,
  parseConfigFile,
  readEnv,
} from "../../src/config/mod.ts";

Deno.test("defaultConfig() allows anonymous MQTT clients, embedded default included", () => {
  assert.equal(defaultConfig().mqtt.allowAnonymous, true);
  assert.equal(defaultConfig({ embedded: true }).mqtt.allowAnonymous, true);
});

Deno.test("loadConfig() with nothing configured keeps anonymous MQTT on the embedded default", () => {
  const { config, errors } = loadConfig({ env: {} });
  assert.deepEqual(errors, []);
  assert.equal(config.devCertificates, true);
  assert.equal(config.mqtt.allowAnonymous, true);
});

Deno.test("loadConfig() reads mqtt.allow_anonymous from the file", () => {
  const { config, errors, origins } = loadConfig({
    env: {},
    fileText: JSON.stringify({ mqtt: { allow_anonymous: false } }),
  });
  assert.deepEqual(errors, []);
  assert.equal(config.mqtt.allowAnonymous, false);
  assert.equal(origins.sourceOf("mqtt.allowAnonymous"), "mqtt.allow_anonymous");
});

Deno.test("loadConfig() lets MQTT_ALLOW_ANONYMOUS override the file", () => {
  const { config, errors, origins } = loadConfig({
    env: { MQTT_ALLOW_ANONYMOUS: "FALSE" },
    fileText: JSON.stringify({ mqtt: { allow_anonymous: true } }),
  });
  assert.deepEqual(errors, []);
  assert.equal(config.mqtt.allowAnonymous, false);
  assert.equal(origins.sourceOf("mqtt.allowAnonymous"), "MQTT_ALLOW_ANONYMOUS");
});

Deno.test("readEnv() rejects a MQTT_ALLOW_ANONYMOUS that is not a boolean", () => {
  const result = readEnv({ MQTT_ALLOW_ANONYMOUS: "no" });
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0]?.path, "MQTT_ALLOW_ANONYMOUS");
  assert.match(result.errors[0]!.message, /true or false/);
  assert.equal(result.configured, true);
});

Deno.test("readEnv() suggests MQTT_ALLOW_ANONYMOUS for a misspelling", () => {
  const result = readEnv({ MQTT_ALLOW_ANONYMUS: "false" });
  assert.equal(result.errors.length, 0);
  assert.match(
    result.warnings[0]!.message,
    /did you mean "MQTT_ALLOW_ANONYMOUS"/,
  );
});

Deno.test("parseConfigFile() names a bad mqtt key or value by its path", () => {
  const { errors } = parseConfigFile(
    JSON.stringify({ mqtt: { allow_anonymous: "yes", allow_anonymus: true } }),
  );
  assert.deepEqual(errors.map((e) => e.path), [
    "mqtt.allow_anonymous",
    "mqtt.allow_anonymus",
  ]);
  assert.match(errors[1]!.message, /did you mean "allow_anonymous"/);
});

Deno.test("loadConfig() reads mqtt.session_expiry_interval for 3.1.1 persistent sessions", () => {
  const { config, errors, origins } = loadConfig({
    env: {},
    fileText: JSON.stringify({ mqtt: { session_expiry_interval: "2h" } }),
  });
  assert.deepEqual(errors, []);
  assert.equal(config.mqtt.sessionExpiryMs, 7_200_000);
  assert.equal(
    origins.sourceOf("mqtt.sessionExpiryMs"),
    "mqtt.session_expiry_interval",
  );
  assert.equal(defaultConfig().mqtt.sessionExpiryMs, undefined);
  const bad = loadConfig({
    env: {},
    fileText: JSON.stringify({ mqtt: { session_expiry_interval: "soon" } }),
  });
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]?.path, "mqtt.session_expiry_interval");
  assert.match(bad.errors[0]?.message ?? "", /duration/);
});

Deno.test("mqtt.peer_cert_as_username defaults to cn and is read from the file and MQTT_PEER_CERT_AS_USERNAME", () => {
  assert.equal(defaultConfig().mqtt.peerCertAsUsername, "cn");
  const file = loadConfig({
    env: {},
    fileText: JSON.stringify({ mqtt: { peer_cert_as_username: "dn" } }),
  });
  assert.deepEqual(file.errors, []);
  assert.equal(file.config.mqtt.peerCertAsUsername, "dn");
  assert.equal(
    file.origins.sourceOf("mqtt.peerCertAsUsername"),
    "mqtt.peer_cert_as_username",
  );
  const env = loadConfig({
    env: { MQTT_PEER_CERT_AS_USERNAME: "Fingerprint" },
    fileText: JSON.stringify({ mqtt: { peer_cert_as_username: "dn" } }),
  });
  assert.deepEqual(env.errors, []);
  assert.equal(env.config.mqtt.peerCertAsUsername, "fingerprint");
  assert.equal(
    env.origins.sourceOf("mqtt.peerCertAsUsername"),
    "MQTT_PEER_CERT_AS_USERNAME",
  );
});

Deno.test("mqtt.peer_cert_as_username refuses an unknown mode by its path", () => {
  const bad = parseConfigFile(
    JSON.stringify({ mqtt: { peer_cert_as_username: "md5" } }),
  );
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!.message, /disabled, cn, dn, san, fingerprint/);
  const env = readEnv({ MQTT_PEER_CERT_AS_USERNAME: "crt" });
  assert.equal(env.errors.length, 1);
});
