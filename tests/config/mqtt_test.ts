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
