import assert from "node:assert/strict";
import { certsCommand } from "../../cli/certs.ts";
import { main } from "../../cli/main.ts";
import { serveCommand, type ServeOptions } from "../../cli/serve.ts";
import type { ListenerFactory } from "../../src/server.ts";

const tcpFactory: ListenerFactory = (cfg) => {
  const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
  return Promise.resolve({
    family: cfg.family,
    name: cfg.name,
    address: { host: socket.addr.hostname, port: socket.addr.port },
    close: () => Promise.resolve(socket.close()),
  });
};

function harness(env: Record<string, string>) {
  const logs: string[] = [];
  const hints: string[] = [];
  const controller = new AbortController();
  const options: ServeOptions = {
    env,
    logSink: (l) => logs.push(l),
    stderr: (t) => hints.push(t),
    stdout: (t) => hints.push(t),
    signal: controller.signal,
    clock: () => 0,
  };
  return { logs, hints, controller, options };
}

Deno.test("serveCommand() runs until stopped, prints hints for started listeners only, exits 0", async () => {
  const { logs, hints, controller, options } = harness({
    LISTENER_TCP_ENABLED: "true",
    LISTENER_TCP_BIND_ADDRESS: "127.0.0.1",
    LISTENER_TCP_BIND_PORT: "0",
  });
  let port = 0;
  const code = await serveCommand([
    "--log-format",
    "json",
    "--data-dir",
    "/tmp/postern-data",
  ], {
    ...options,
    factories: { tcp: tcpFactory },
    onStarted: (server) => {
      port = server.listeners[0]!.address.port;
      controller.abort();
    },
  });
  assert.equal(code, 0);
  const events = logs.map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), [
    "config.loaded",
    "listener.started",
    "listener.unavailable",
    "server.started",
    "server.stopping",
    "listener.stopped",
    "server.stopped",
  ]);
  assert.equal(events[0].dataDir, "/tmp/postern-data");
  assert.equal(events[1].port, port);
  assert.equal(events[2].family, "coap");
  assert.equal(hints.length, 1);
  assert.equal(
    hints[0],
    `Connect with:\n  mosquitto_sub -h 127.0.0.1 -p ${port} -t '#' -v\n` +
      `  mosquitto_pub -h 127.0.0.1 -p ${port} -t hello -m world`,
  );
});

Deno.test("serveCommand() prints TLS and CoAP hints with the dev CA for the embedded default", async () => {
  const devDir = await Deno.makeTempDir({ prefix: "postern-dev-certs-" });
  assert.equal(await certsCommand(["init", "--dir", devDir]), 0);
  const { hints, controller, options } = harness({});
  const fake: ListenerFactory = (cfg) =>
    Promise.resolve({
      family: cfg.family,
      name: cfg.name,
      address: { host: cfg.host, port: cfg.port + 10000 },
      close: () => Promise.resolve(),
    });
  const code = await serveCommand([], {
    ...options,
    factories: { tcp: fake, ssl: fake, coap: fake, dtls: fake },
    ensureDevCertificates: () => Promise.resolve({ created: false }),
    readFile: (path) => Deno.readFile(`${devDir}/${path.split("/").pop()}`),
    onStarted: () => controller.abort(),
  });
  assert.equal(code, 0);
  assert.deepEqual(hints[0]!.split("\n"), [
    "Connect with:",
    "  mosquitto_sub -h 127.0.0.1 -p 11883 -t '#' -v",
    "  mosquitto_pub -h 127.0.0.1 -p 11883 -t hello -m world",
    "  mosquitto_sub -h 127.0.0.1 -p 18883 --cafile certs/ca.pem -t '#' -v",
    "  mosquitto_pub -h 127.0.0.1 -p 18883 --cafile certs/ca.pem -t hello -m world",
    "  coap-client-openssl -m get coap://127.0.0.1:15683/.well-known/core",
    "  coap-client-openssl -m post -e world coap://127.0.0.1:15683/ps/hello",
    "  coap-client-openssl -m get -C certs/ca.pem coaps://127.0.0.1:15684/.well-known/core",
    "  coap-client-openssl -m post -e world -C certs/ca.pem coaps://127.0.0.1:15684/ps/hello",
    "TLS and DTLS use the development certificates in certs/ (CA certs/ca.pem): for development only, never in production.",
  ]);
});

Deno.test("serveCommand() logs every configuration error and exits 1", async () => {
  const { logs, options } = harness({
    LISTENER_TCP_BIND_PORT: "99999",
    COAP_ENABLED: "maybe",
  });
  const code = await serveCommand(["--log-format", "text"], options);
  assert.equal(code, 1);
  assert.deepEqual(logs, [
    '1970-01-01T00:00:00.000Z ERROR config.invalid path=LISTENER_TCP_BIND_PORT message="Port must be an integer from 0 to 65535, got 99999"',
    '1970-01-01T00:00:00.000Z ERROR config.invalid path=COAP_ENABLED message="Must be true or false, got \\"maybe\\""',
    '1970-01-01T00:00:00.000Z ERROR server.failed reason="configuration has 2 errors"',
  ]);
});

Deno.test("serveCommand() exits 1 when a listener cannot bind", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { logs, options } = harness({
      LISTENER_TCP_ENABLED: "true",
      LISTENER_TCP_BIND_ADDRESS: "127.0.0.1",
      LISTENER_TCP_BIND_PORT: String(blocker.addr.port),
    });
    const code = await serveCommand(["--log-format", "json"], {
      ...options,
      factories: { tcp: tcpFactory },
    });
    assert.equal(code, 1);
    const invalid = logs.map((l) => JSON.parse(l)).find((e) =>
      e.event === "config.invalid"
    );
    assert.equal(invalid.path, "LISTENER_TCP_BIND_PORT");
    assert.match(invalid.message, /address already in use/);
  } finally {
    blocker.close();
  }
});

Deno.test("serveCommand() rejects bad options with exit 2", async () => {
  for (
    const args of [["--log-format", "xml"], ["--bogus"], ["--data-dir", ""], [
      "extra",
    ]]
  ) {
    const { hints, options } = harness({});
    assert.equal(await serveCommand(args, options), 2, args.join(" "));
    assert.match(hints[0]!, /^postern serve: /);
  }
  const { hints, options } = harness({});
  assert.equal(await main(["serve", "--help"], options), 0);
  assert.match(hints[0]!, /^Usage: postern serve/);
});
