/**
 * The CoAP gateway with `mqtt.allow_anonymous` off: its in-process link to
 * the broker needs no MQTT credentials, so a DTLS (PSK) CoAP observer and a
 * retained GET see what an authenticated `mosquitto_pub` publishes, while an
 * anonymous `mosquitto_sub` is still refused. With `CI=true` a missing tool
 * fails the test.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { encodeHex } from "../../src/bytes/mod.ts";
import { KvStore } from "../../src/auth/mod.ts";
import { certsCommand } from "../../cli/certs.ts";

const KEY_TEXT = "secret-key-7";
const TOOLS = ["coap-client-openssl", "mosquitto_pub", "mosquitto_sub"];

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

function run(cmd: string, args: string[], limitMs = 15_000): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, limitMs);
  return child.output().then((o) => {
    clearTimeout(kill);
    return new TextDecoder().decode(o.stdout) +
      new TextDecoder().decode(o.stderr);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "coap gateway without anonymous MQTT: DTLS observers and retained GETs see authenticated publishes, anonymous mosquitto_sub is refused",
  ignore: !(await hasTools()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-coap-noanon-" });
    try {
      assert.equal(await certsCommand(["init", "--dir", `${dir}/certs`]), 0);
      const hex = encodeHex(new TextEncoder().encode(KEY_TEXT));
      await Deno.writeTextFile(`${dir}/psk.txt`, `device-7:${hex}\n`);
      const store = await KvStore.openDataDir(`${dir}/data`);
      await store.addUser("alice", "s3cret");
      await store.close();
      const { config, errors } = loadConfig({
        env: {},
        fileText: JSON.stringify({
          data_dir: `${dir}/data`,
          mqtt: { allow_anonymous: false },
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
      const server = await startServer(config, {
        logger: new Logger({ sink: () => {} }),
      });
      try {
        const port = (family: string) =>
          String(
            server.listeners.find((l) => l.family === family)!.address.port,
          );
        const mqtt = ["-h", "127.0.0.1", "-p", port("tcp")];
        const alice = [...mqtt, "-u", "alice", "-P", "s3cret"];
        const coaps = `coaps://127.0.0.1:${port("dtls")}`;
        const psk = ["-u", "device-7", "-k", KEY_TEXT];

        assert.match(
          await run("mosquitto_sub", [
            ...mqtt,
            "-t",
            "#",
            "-C",
            "1",
            "-W",
            "3",
          ]),
          /not authori[sz]ed|refused/i,
        );

        await run("mosquitto_pub", [...alice, "-r", "-t", "r/1", "-m", "kept"]);
        await sleep(200);
        assert.equal(
          (await run("coap-client-openssl", [
            ...psk,
            "-m",
            "get",
            `${coaps}/ps/r/1`,
          ]))
            .trim(),
          "kept",
        );

        const observe = run("coap-client-openssl", [
          ...psk,
          "-m",
          "get",
          "-s",
          "4",
          `${coaps}/ps/o/1`,
        ]);
        await sleep(1500);
        await run("mosquitto_pub", [...alice, "-t", "o/1", "-m", "seen"]);
        assert.match(await observe, /seen/);
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
