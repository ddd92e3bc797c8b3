import assert from "node:assert/strict";
import { checkFiles, loadConfig } from "../../src/config/mod.ts";

function configWith(family: string, extra: Record<string, unknown> = {}) {
  const { config, origins, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      listeners: {
        [family]: {
          default: { enable: true, proxy_protocol: true, ...extra },
        },
      },
    }),
  });
  assert.deepEqual(errors, []);
  return { config, origins };
}

Deno.test("checkFiles() refuses proxy_protocol on ssl, ws and wss listeners", async () => {
  for (const family of ["ssl", "ws", "wss"]) {
    const tls = family === "ws"
      ? {}
      : { ssl_options: { certfile: "c.pem", keyfile: "k.pem" } };
    const { config, origins } = configWith(family, tls);
    const errors = await checkFiles(
      config,
      () => Promise.resolve(new Uint8Array([1])),
      { origins, checkers: [] },
    );
    const proxy = errors.filter((e) =>
      e.path === `listeners.${family}.default.proxy_protocol`
    );
    assert.equal(proxy.length, 1, `${family}: ${errors.map((e) => e.path)}`);
    assert.match(proxy[0]!.message, /not supported on/);
  }
});

Deno.test("checkFiles() accepts proxy_protocol on a tcp listener", async () => {
  const { config, origins } = configWith("tcp");
  const errors = await checkFiles(
    config,
    () => Promise.resolve(new Uint8Array([1])),
    { origins, checkers: [] },
  );
  assert.deepEqual(
    errors.filter((e) => e.path.endsWith("proxy_protocol")),
    [],
  );
});
