/**
 * The CoAP gateway as `postern serve` builds it, end to end with libcoap's
 * `coap-client-notls` / `coap-client-openssl` and mosquitto's clients over
 * TCP on the same server. With `CI=true` a missing tool fails the test.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { certsCommand } from "../../cli/certs.ts";

const PSK_HEX = "8c70a1b2c3d4e5f60718293a4b5c6d7e";
const TOOLS = [
  "coap-client-notls",
  "coap-client-openssl",
  "mosquitto_pub",
  "mosquitto_sub",
];

async function hasTools(): Promise<boolean> {
  for (const tool of TOOLS) {
    try {
      await new Deno.Command(tool, { args: ["--help"] }).output();
    } catch {
      if (Deno.env.get("CI") === "true") {
        throw new Error(`${tool} is required when CI=true`);
      }
      return false;
    }
  }
  return true;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

function spawn(cmd: string, args: string[]) {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, 10_000);
  return child.output().then((o) => {
    clearTimeout(kill);
    return new TextDecoder().decode(o.stdout) +
      new TextDecoder().decode(o.stderr);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test({
  name:
    "coap gateway: libcoap clients publish, read retained and observe MQTT topics over UDP and DTLS",
  ignore: !(await hasTools()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-coap-gw-" });
    try {
      assert.equal(await certsCommand(["init", "--dir", `${dir}/certs`]), 0);
      await Deno.writeTextFile(`${dir}/psk.txt`, `device-7:${PSK_HEX}\n`);
      const { config, errors } = loadConfig({
        env: {},
        fileText: JSON.stringify({
          data_dir: `${dir}/data`,
          psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
          listeners: {
            tcp: { default: { bind: "127.0.0.1:0" } },
            coap: { default: { bind: "127.0.0.1:0" } },
            dtls: {
              default: {
                bind: "127.0.0.1:0",
                dtls_options: {
                  certfile: `${dir}/certs/server.pem`,
                  keyfile: `${dir}/certs/server_key.pem`,
                },
              },
            },
          },
        }),
      });
      assert.deepEqual(errors, []);
      const lines: string[] = [];
      const logger = new Logger({
        format: "json",
        level: "debug",
        sink: (l) => lines.push(l),
      });
      const server = await startServer(config, { logger });
      try {
        const portOf = (family: string) =>
          String(
            server.listeners.find((l) => l.family === family)!.address.port,
          );
        const mqtt = portOf("tcp");
        const coap = `coap://127.0.0.1:${portOf("coap")}`;

        // POST /ps/a/b reaches an MQTT subscriber.
        const sub = spawn("mosquitto_sub", [
          "-p",
          mqtt,
          "-t",
          "a/b",
          "-C",
          "1",
          "-W",
          "8",
        ]);
        await sleep(500);
        const post = await run("coap-client-notls", [
          "-m",
          "post",
          "-e",
          '{"t":1}',
          `${coap}/ps/a/b`,
        ]);
        assert.doesNotMatch(post, /4\.\d\d|5\.\d\d/);
        assert.equal((await sub).trim(), '{"t":1}');

        // A retained MQTT message is read with GET.
        await run("mosquitto_pub", [
          "-p",
          mqtt,
          "-r",
          "-t",
          "r/1",
          "-m",
          "kept",
        ]);
        await sleep(200);
        assert.equal(
          (await run("coap-client-notls", ["-m", "get", `${coap}/ps/r/1`]))
            .trim(),
          "kept",
        );
        assert.match(
          await run("coap-client-notls", ["-m", "get", `${coap}/ps/r/none`]),
          /4\.04/,
        );

        // Observe: an MQTT publish becomes a notification.
        const observe = spawn("coap-client-notls", [
          "-m",
          "get",
          "-s",
          "3",
          `${coap}/ps/o/1`,
        ]);
        await sleep(1000);
        await run("mosquitto_pub", ["-p", mqtt, "-t", "o/1", "-m", "seen"]);
        assert.match(await observe, /seen/);
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
