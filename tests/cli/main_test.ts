import assert from "node:assert/strict";
import { certsCommand } from "../../cli/certs.ts";
import { main, type MainOptions, VERSION } from "../../cli/main.ts";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const options: MainOptions = {
    env,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  };
  return { out, err, options };
}

async function tempFile(
  name: string,
  text: string | Uint8Array,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "postern_cli_" });
  const path = `${dir}/${name}`;
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
  return path;
}

Deno.test("main() prints help and the version", async () => {
  for (const args of [["--help"], ["help"], ["-h"]]) {
    const { out, options } = io();
    assert.equal(await main(args, options), 0);
    assert.match(out.join("\n"), /postern serve \[--config FILE\]/);
    assert.match(out.join("\n"), /postern config check/);
  }
  const { out, options } = io();
  assert.equal(await main(["--version"], options), 0);
  assert.deepEqual(out, [`postern ${VERSION}`]);
  assert.equal(VERSION, "0.1.0");
});

Deno.test("main() exits 2 for no command, unknown commands and commands not in this build", async () => {
  const none = io();
  assert.equal(await main([], none.options), 2);
  assert.match(none.err.join("\n"), /Usage/);

  const typo = io();
  assert.equal(await main(["serv"], typo.options), 2);
  assert.match(
    typo.err[0]!,
    /unknown command "serv" \(did you mean "serve"\?\)/,
  );

  const coap = io();
  assert.equal(await main(["coap", "get"], coap.options), 2);
  assert.match(coap.err[0]!, /postern coap: give exactly one URI/);

  const config = io();
  assert.equal(await main(["config", "show"], config.options), 2);
  assert.match(config.err[0]!, /unknown subcommand "show"/);
});

Deno.test("main() routes psk, token, user, cert and acl to the credential store commands", async () => {
  const help = io();
  assert.equal(await main(["--help"], help.options), 0);
  for (const command of ["psk", "token", "user", "cert", "acl"]) {
    assert.match(help.out.join("\n"), new RegExp(`postern ${command} `));
    const { out, err, options } = io();
    assert.equal(await main([command, "--help"], options), 0);
    assert.deepEqual(err, []);
    assert.match(out.join("\n"), new RegExp(`^Usage: postern ${command} `));
    const bad = io();
    assert.equal(await main([command, "frobnicate"], bad.options), 2);
    assert.match(bad.err[0]!, /unknown command "frobnicate"/);
  }
  const dir = await Deno.makeTempDir({ prefix: "postern_cli_" });
  const add = io();
  assert.equal(
    await main(
      ["psk", "add", "d1", "--key", "0011", "--data-dir", dir],
      add.options,
    ),
    0,
  );
  const ls = io({ POSTERN_DATA_DIR: dir });
  assert.equal(await main(["psk", "ls"], ls.options), 0);
  assert.deepEqual(ls.out, ["d1"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("main() config check prints the effective config with secrets redacted and exits 0", async () => {
  const certDir = await Deno.makeTempDir({ prefix: "postern-main-certs-" });
  assert.equal(await certsCommand(["init", "--dir", certDir]), 0);
  const cert = await tempFile(
    "server.pem",
    await Deno.readTextFile(`${certDir}/server.pem`) +
      await Deno.readTextFile(`${certDir}/server_key.pem`),
  );
  const path = await tempFile(
    "postern.json",
    JSON.stringify({
      listeners: {
        ssl: {
          default: {
            bind: "127.0.0.1:8883",
            ssl_options: { certfile: cert, password: "hunter2" },
          },
        },
      },
      psk_authentication: { enable: false },
    }),
  );
  const { out, err, options } = io({ LISTENER_TCP_BIND_PORT: "2883" });
  assert.equal(await main(["config", "check", "--config", path], options), 0);
  assert.deepEqual(err, []);
  const text = out.join("\n");
  assert.ok(!text.includes("hunter2"));
  const config = JSON.parse(text);
  assert.equal(config.listeners[0].port, 2883);
  assert.equal(config.listeners[1].enabled, true);
  assert.equal(config.listeners[1].tls.keyPassword, "[redacted]");
  assert.equal(config.listeners[1].tls.certFile, cert);
});

Deno.test("main() config check prints every error as path: message and exits 1", async () => {
  const path = await tempFile(
    "bad.json",
    JSON.stringify({
      listeners: {
        tcp: {
          default: {
            bind: "0.0.0.0:99999",
            access_rules: ["deny 10.0.0.0/99"],
          },
        },
        ssl: { default: { ssl_options: { verify: "verify_peer" } } },
      },
      log: { formt: "json" },
    }),
  );
  const { out, err, options } = io({ COAP_BIND_PORT: "abc" });
  assert.equal(await main(["config", "check", "--config", path], options), 1);
  assert.deepEqual(out, []);
  assert.deepEqual(err, [
    "listeners.tcp.default.bind: Port must be an integer from 0 to 65535, got 99999",
    'listeners.tcp.default.access_rules[0]: Invalid CIDR "10.0.0.0/99": prefix length must be at most 32',
    'log.formt: Unknown key "formt" (did you mean "format"?)',
    'COAP_BIND_PORT: Must be a port number, got "abc"',
    "listeners.ssl.default.ssl_options.certfile: Listener ssl/default (MQTT over TLS) is enabled but has no server certificate",
    "listeners.ssl.default.ssl_options.verify: verify_peer needs trusted CA certificates: set listeners.ssl.default.ssl_options.cacertfile",
  ]);
});

Deno.test("main() config check exits 1 for a missing config file or unreadable certificates", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_cli_" });
  const missing = io();
  assert.equal(
    await main(
      ["config", "check", "--config", `${dir}/nope.json`],
      missing.options,
    ),
    1,
  );
  assert.deepEqual(missing.err, [
    `${dir}/nope.json: Cannot read the config file: file not found`,
  ]);

  const path = await tempFile(
    "c.json",
    JSON.stringify({
      listeners: {
        ssl: { default: { ssl_options: { certfile: `${dir}/absent.pem` } } },
      },
    }),
  );
  const files = io();
  assert.equal(
    await main(["config", "check", "--config", path], files.options),
    1,
  );
  assert.deepEqual(files.err, [
    `listeners.ssl.default.ssl_options.certfile: Cannot read "${dir}/absent.pem": file not found`,
  ]);
});

Deno.test("main() config check prints warnings and still exits 0", async () => {
  const path = await tempFile(
    "w.json",
    JSON.stringify({ listeners: { tcp: { default: { acceptors: 8 } } } }),
  );
  const { out, err, options } = io({ LISTENER_TCP_ENABLD: "true" });
  assert.equal(await main(["config", "check", "--config", path], options), 0);
  assert.deepEqual(err, [
    "warning: listeners.tcp.default.acceptors: Not supported by postern, ignored",
    'warning: LISTENER_TCP_ENABLD: Not a postern variable, ignored (did you mean "LISTENER_TCP_ENABLED"?)',
  ]);
  assert.equal(JSON.parse(out.join("\n")).devCertificates, false);
});

Deno.test("main() config check rejects unknown options with exit 2", async () => {
  const { err, options } = io();
  assert.equal(await main(["config", "check", "--confg", "x"], options), 2);
  assert.match(err[0]!, /^postern config check: /);
});
