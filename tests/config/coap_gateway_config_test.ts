import assert from "node:assert/strict";
import {
  defaultConfig,
  loadConfig,
  parseConfigFile,
  readEnv,
} from "../../src/config/mod.ts";

Deno.test("defaultConfig() has EMQX's gateway.coap defaults: connection_required false, heartbeat 30s", () => {
  assert.deepEqual(defaultConfig().coapGateway, {
    connectionRequired: false,
    heartbeatMs: 30_000,
  });
});

Deno.test("loadConfig() reads gateway.coap.connection_required and heartbeat from the file", () => {
  const { config, errors, origins } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      gateway: { coap: { connection_required: true, heartbeat: "1m" } },
    }),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(config.coapGateway, {
    connectionRequired: true,
    heartbeatMs: 60_000,
  });
  assert.equal(
    origins.sourceOf("coapGateway.connectionRequired"),
    "gateway.coap.connection_required",
  );
  assert.equal(
    origins.sourceOf("coapGateway.heartbeatMs"),
    "gateway.coap.heartbeat",
  );
});

Deno.test("loadConfig() lets COAP_CONNECTION_REQUIRED and COAP_HEARTBEAT (ms or duration) override the file", () => {
  const { config, errors, origins } = loadConfig({
    env: { COAP_CONNECTION_REQUIRED: "true", COAP_HEARTBEAT: "45000" },
    fileText: JSON.stringify({
      gateway: { coap: { connection_required: false, heartbeat: "1m" } },
    }),
  });
  assert.deepEqual(errors, []);
  assert.equal(config.coapGateway.connectionRequired, true);
  assert.equal(config.coapGateway.heartbeatMs, 45_000);
  assert.equal(
    origins.sourceOf("coapGateway.connectionRequired"),
    "COAP_CONNECTION_REQUIRED",
  );
  assert.equal(readEnv({ COAP_HEARTBEAT: "2m" }).errors.length, 0);
});

Deno.test("bad gateway.coap values are errors naming their key; EMQX keys postern does not use are warnings", () => {
  for (const bad of ["0", "soon", "-1"]) {
    const r = readEnv({ COAP_HEARTBEAT: bad });
    assert.equal(r.errors[0]?.path, "COAP_HEARTBEAT", bad);
  }
  assert.equal(
    readEnv({ COAP_CONNECTION_REQUIRED: "yes" }).errors[0]?.path,
    "COAP_CONNECTION_REQUIRED",
  );
  const { errors, warnings } = parseConfigFile(JSON.stringify({
    gateway: {
      coap: {
        connection_required: "yes",
        heartbeat: "0s",
        mountpoint: "coap/",
        hearbeat: "30s",
      },
    },
  }));
  assert.deepEqual(errors.map((e) => e.path), [
    "gateway.coap.connection_required",
    "gateway.coap.heartbeat",
    "gateway.coap.hearbeat",
  ]);
  assert.match(errors[2]!.message, /did you mean "heartbeat"/);
  assert.deepEqual(warnings.map((w) => w.path), ["gateway.coap.mountpoint"]);
});
