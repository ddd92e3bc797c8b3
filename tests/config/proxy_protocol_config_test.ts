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

Deno.test("checkFiles() refuses proxy_protocol on ssl and wss listeners forced onto Deno's TLS", async () => {
  for (const family of ["ssl", "wss"]) {
    const tls = {
      ssl_options: {
        certfile: "c.pem",
        keyfile: "k.pem",
        tls_engine: "native",
      },
    };
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

Deno.test("checkFiles() accepts proxy_protocol on tcp and ws listeners", async () => {
  for (const family of ["tcp", "ws"]) {
    const { config, origins } = configWith(family);
    const errors = await checkFiles(
      config,
      () => Promise.resolve(new Uint8Array([1])),
      { origins, checkers: [] },
    );
    assert.deepEqual(
      errors.filter((e) => e.path.endsWith("proxy_protocol")),
      [],
      family,
    );
  }
});

Deno.test("checkFiles() accepts proxy_protocol on wss on postern's TLS engine, and says how in the refusal", async () => {
  const engine = configWith("wss", {
    ssl_options: { certfile: "c.pem", keyfile: "k.pem" },
  });
  const read = () => Promise.resolve(new Uint8Array([1]));
  const accepted = await checkFiles(engine.config, read, {
    origins: engine.origins,
    checkers: [],
  });
  assert.deepEqual(
    accepted.filter((e) => e.path.endsWith("proxy_protocol")),
    [],
  );
  const deno = configWith("wss", {
    ssl_options: { certfile: "c.pem", keyfile: "k.pem", tls_engine: "native" },
  });
  const refused = await checkFiles(deno.config, read, {
    origins: deno.origins,
    checkers: [],
  });
  const proxy = refused.find((e) => e.path.endsWith("proxy_protocol"));
  assert.match(
    proxy?.message ?? "",
    /served by Deno\.listenTls.*tls_engine to postern/,
  );
});
