import assert from "node:assert/strict";
import {
  ConfigError,
  ConfigValidationError,
  DEV_CERTIFICATES,
  loadConfig,
  type ReadFile,
} from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  type Listener,
  listenerFactories,
  type ListenerFactory,
  startServer,
} from "../../src/server.ts";

function capture() {
  const lines: string[] = [];
  const logger = new Logger({
    format: "json",
    sink: (l) => lines.push(l),
    clock: () => 0,
  });
  const events = () =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, events };
}

/** A factory that really binds a TCP port. */
const tcpFactory: ListenerFactory = (cfg) => {
  const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
  let closed = false;
  return Promise.resolve({
    family: cfg.family,
    name: cfg.name,
    address: { host: socket.addr.hostname, port: socket.addr.port },
    close: () => {
      if (!closed) socket.close();
      closed = true;
      return Promise.resolve();
    },
  });
};

function fileConfig(value: unknown, env: Record<string, string> = {}) {
  const result = loadConfig({ env, fileText: JSON.stringify(value) });
  assert.deepEqual(result.errors, []);
  return result;
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

const noFiles: ReadFile = (path) =>
  Promise.reject(new Deno.errors.NotFound(path));

Deno.test("startServer() starts enabled listeners that have a factory and logs their real address", async () => {
  const { config, origins } = fileConfig({
    listeners: {
      tcp: {
        default: { bind: "127.0.0.1:0" },
        second: { bind: "127.0.0.1:0" },
        off: { bind: 0, enable: false },
      },
      coap: { default: { enable: false } },
    },
  });
  const { logger, events } = capture();
  const server = await startServer(config, {
    logger,
    factories: { tcp: tcpFactory },
    origins,
  });
  assert.equal(server.listeners.length, 2);
  assert.deepEqual(server.unavailable, []);
  const ports = server.listeners.map((l) => l.address.port);
  for (const port of ports) {
    assert.notEqual(port, 0);
    assert.ok(await canConnect(port));
  }
  const started = events().filter((e) => e.event === "listener.started");
  assert.deepEqual(started.map((e) => [e.listener, e.host, e.port]), [
    ["tcp/default", "127.0.0.1", ports[0]],
    ["tcp/second", "127.0.0.1", ports[1]],
  ]);
  assert.deepEqual(events().at(-1), {
    ts: "1970-01-01T00:00:00.000Z",
    level: "info",
    event: "server.started",
    listeners: 2,
    unavailable: 0,
  });
  await server.close();
  await server.close(); // idempotent
  for (const port of ports) assert.equal(await canConnect(port), false);
  const stopped = events().filter((e) => e.event === "listener.stopped").map((
    e,
  ) => e.listener);
  assert.deepEqual(stopped, ["tcp/second", "tcp/default"]);
  assert.equal(events().filter((e) => e.event === "server.stopped").length, 1);
});

Deno.test("startServer() reports listeners whose family is not implemented in this build", async () => {
  assert.deepEqual(Object.keys(listenerFactories), [
    "tcp",
    "ssl",
    "ws",
    "wss",
    "coap",
    "dtls",
  ]);
  // A build without the CoAP factory.
  const { coap: _coap, ...factories } = listenerFactories;
  const dataDir = await Deno.makeTempDir({ prefix: "postern-server-" });
  const { config } = fileConfig({
    listeners: { tcp: { default: { bind: "127.0.0.1:0" } } },
    data_dir: dataDir,
  });
  const { logger, events } = capture();
  const server = await startServer(config, { logger, factories });
  try {
    assert.deepEqual(server.listeners.map((l) => l.family), ["tcp"]);
    assert.ok(await canConnect(server.listeners[0]!.address.port));
    assert.deepEqual(server.unavailable.map((l) => l.family), ["coap"]);
    const unavailable = events().filter((e) =>
      e.event === "listener.unavailable"
    );
    assert.deepEqual(unavailable.map((e) => [e.level, e.family, e.reason]), [
      ["warn", "coap", "CoAP over UDP is not implemented in this build"],
    ]);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("startServer() closes the started listeners and names the key when one cannot bind", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { config, origins } = fileConfig(
      {
        listeners: {
          tcp: { default: { bind: "127.0.0.1:0" } },
          ssl: { default: { ssl_options: { certfile: "c.pem" } } },
          coap: { default: { enable: false } },
        },
      },
      {
        LISTENER_SSL_BIND_ADDRESS: "127.0.0.1",
        LISTENER_SSL_BIND_PORT: String(blocker.addr.port),
      },
    );
    const { logger, events } = capture();
    let firstPort = 0;
    const factories = {
      tcp: async (...args: Parameters<ListenerFactory>) => {
        const l = await tcpFactory(...args);
        firstPort = l.address.port;
        return l;
      },
      ssl: tcpFactory,
    };
    const err = await startServer(config, {
      logger,
      factories,
      origins,
      readFile: () => Promise.resolve(new Uint8Array([1])),
      checkers: [],
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.equal(err.path, "LISTENER_SSL_BIND_PORT");
    assert.equal(
      err.message,
      `Cannot start listener ssl/default on 127.0.0.1:${blocker.addr.port}: address already in use`,
    );
    assert.ok(err.cause instanceof Deno.errors.AddrInUse);
    assert.notEqual(firstPort, 0);
    assert.equal(await canConnect(firstPort), false);
    const names = events().map((e) => e.event);
    assert.deepEqual(names, [
      "listener.started",
      "listener.failed",
      "listener.stopped",
    ]);
  } finally {
    blocker.close();
  }
});

Deno.test("startServer() names the file key of a failing listener by default", async () => {
  const { config, origins } = fileConfig({
    listeners: {
      tcp: { default: { bind: "127.0.0.1:1" } },
      coap: { default: { enable: false } },
    },
  });
  const failing: ListenerFactory = () => Promise.reject(new Error("no way"));
  const err = await startServer(config, {
    logger: capture().logger,
    factories: { tcp: failing },
    origins,
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ConfigError);
  assert.equal(err.path, "listeners.tcp.default.bind");
  assert.equal(err.key, "bind");
  assert.equal(
    err.message,
    "Cannot start listener tcp/default on 127.0.0.1:1: no way",
  );
});

Deno.test("startServer() refuses to start when configured files cannot be read", async () => {
  const { config, origins } = fileConfig({
    listeners: {
      ssl: {
        default: {
          ssl_options: { certfile: "gone.pem", keyfile: "gone_key.pem" },
        },
      },
    },
  });
  let built = 0;
  const err = await startServer(config, {
    logger: capture().logger,
    factories: {
      ssl: (cfg, ctx) => {
        built++;
        return tcpFactory(cfg, ctx);
      },
    },
    origins,
    readFile: noFiles,
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ConfigValidationError);
  assert.deepEqual(err.errors.map((e) => e.path), [
    "listeners.ssl.default.ssl_options.certfile",
    "listeners.ssl.default.ssl_options.keyfile",
  ]);
  assert.equal(built, 0);
});

Deno.test("startServer() makes development certificates for the embedded default", async () => {
  const { config } = loadConfig({ env: {} });
  assert.equal(config.devCertificates, true);
  const files = new Set<string>();
  const dirs: string[] = [];
  const { logger, events } = capture();
  const built: string[] = [];
  const fake: ListenerFactory = (cfg) => {
    built.push(cfg.family);
    return Promise.resolve<Listener>({
      family: cfg.family,
      name: cfg.name,
      address: { host: cfg.host, port: cfg.port },
      close: () => Promise.resolve(),
    });
  };
  const server = await startServer(config, {
    logger,
    factories: { tcp: fake, ssl: fake, coap: fake, dtls: fake },
    checkers: [],
    ensureDevCertificates: (dir) => {
      dirs.push(dir);
      files.add(DEV_CERTIFICATES.certFile).add(DEV_CERTIFICATES.keyFile).add(
        DEV_CERTIFICATES.caCertFile,
      );
      return Promise.resolve({ created: true });
    },
    readFile: (path) =>
      files.has(path)
        ? Promise.resolve(new Uint8Array([1]))
        : Promise.reject(new Deno.errors.NotFound(path)),
  });
  assert.deepEqual(dirs, ["certs"]);
  assert.deepEqual(built, ["tcp", "ssl", "coap", "dtls"]);
  assert.equal(events()[0]!.event, "certs.created");
  await server.close();
});

Deno.test("startServer() skips the TLS and DTLS listeners when development certificates cannot be made", async () => {
  const { config } = loadConfig({ env: {} });
  const { logger, events } = capture();
  const server = await startServer(config, {
    logger,
    readFile: noFiles,
    factories: {},
  });
  assert.deepEqual(server.unavailable.map((l) => l.family), [
    "ssl",
    "dtls",
    "tcp",
    "coap",
  ]);
  const list = events();
  assert.equal(list[0]!.event, "certs.unavailable");
  assert.equal(list[0]!.level, "warn");
  const tls = list.filter((e) =>
    e.event === "listener.unavailable" &&
    (e.family === "ssl" || e.family === "dtls")
  );
  assert.equal(tls.length, 2);
  assert.match(
    String(tls[0]!.reason),
    /development certificates missing in certs\//,
  );
  await server.close();

  // A failing maker is logged as an error and the server still starts.
  const second = capture();
  const s2 = await startServer(config, {
    logger: second.logger,
    readFile: noFiles,
    factories: {},
    ensureDevCertificates: () =>
      Promise.reject(new Error("read-only file system")),
  });
  assert.equal(second.events()[0]!.event, "certs.failed");
  await s2.close();
});
