/**
 * The gateway's device API and pub/sub resources as `postern serve` builds
 * them, with libcoap's clients (`coap-client-notls`, `coap-client-openssl`)
 * and mosquitto's clients on the same server:
 * - ThingsBoard telemetry with an access token in the path, and without it
 *   over DTLS with a PSK, reaching `mosquitto_sub` on
 *   `devices/{device}/telemetry`; an unknown token is 4.01;
 * - an RPC request published with `mosquitto_pub` on
 *   `devices/D/rpc/request/7` reaching an observing CoAP client, and its
 *   answer POSTed to `/api/v1/{token}/rpc/7` reaching `mosquitto_sub` on
 *   `devices/D/rpc/response/7`;
 * - an Observe on `coaps://.../ps/sensors/%23` with a client certificate
 *   (two-way DTLS) receiving what `mosquitto_pub` publishes;
 * - a block-wise GET (`-b 64`) of a 4 KiB retained message and a 4 KiB
 *   block-wise POST.
 * With `CI=true` a missing peer fails the test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { encodeHex } from "../../src/bytes/mod.ts";
import { KvStore } from "../../src/auth/mod.ts";
import { certsCommand } from "../../cli/certs.ts";

const KEY_TEXT = "secret-key-7";
const TOKEN = "A1b2C3d4E5f6G7h8I9j0";
const TOOLS = [
  "coap-client-notls",
  "coap-client-openssl",
  "mosquitto_pub",
  "mosquitto_sub",
];

async function hasTools(): Promise<boolean> {
  for (const tool of TOOLS) {
    try {
      await new Deno.Command(tool, {
        args: ["--help"],
        stdout: "null",
        stderr: "null",
      })
        .output();
    } catch {
      if (Deno.env.get("CI") === "true") {
        throw new Error(`${tool} is required when CI=true`);
      }
      return false;
    }
  }
  return true;
}

/** Runs a tool to its end (killed after `limitMs`); stdout + stderr. */
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
    "coap device API and pub/sub with libcoap and mosquitto clients: tokens, PSK, two-way DTLS, RPC, 4 KiB block-wise",
  ignore: !(await hasTools()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-coap-api-" });
    try {
      assert.equal(await certsCommand(["init", "--dir", `${dir}/certs`]), 0);
      const hex = encodeHex(new TextEncoder().encode(KEY_TEXT));
      await Deno.writeTextFile(`${dir}/psk.txt`, `device-7:${hex}\n`);
      const store = await KvStore.openDataDir(`${dir}/data`);
      await store.addToken("D", TOKEN);
      await store.close();
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
                  cacertfile: `${dir}/certs/ca.pem`,
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
        const coap = `coap://127.0.0.1:${port("coap")}`;
        const coaps = `coaps://127.0.0.1:${port("dtls")}`;
        const psk = ["-u", "device-7", "-k", KEY_TEXT];
        const cert = [
          "-c",
          `${dir}/certs/client.pem`,
          "-j",
          `${dir}/certs/client_key.pem`,
          "-C",
          `${dir}/certs/ca.pem`,
        ];
        const sub = (topic: string, count = 1) =>
          run("mosquitto_sub", [
            ...mqtt,
            "-t",
            topic,
            "-C",
            String(count),
            "-W",
            "10",
          ]);

        // Telemetry with the token in the path.
        const telemetry = sub("devices/D/telemetry");
        await sleep(400);
        const post = await run("coap-client-notls", [
          "-m",
          "post",
          "-e",
          '{"t":21}',
          `${coap}/api/v1/${TOKEN}/telemetry`,
        ]);
        assert.doesNotMatch(post, /\d\.\d\d/, post);
        assert.equal((await telemetry).trim(), '{"t":21}');
        assert.match(
          await run("coap-client-notls", [
            "-m",
            "post",
            "-e",
            "1",
            `${coap}/api/v1/not-a-token/telemetry`,
          ]),
          /4\.01/,
        );

        // Telemetry over DTLS, the device named by its PSK identity.
        const pskTelemetry = sub("devices/device-7/telemetry");
        await sleep(400);
        await run("coap-client-openssl", [
          "-m",
          "post",
          ...psk,
          "-e",
          '{"t":7}',
          `${coaps}/api/v1/telemetry`,
        ]);
        assert.equal((await pskTelemetry).trim(), '{"t":7}');

        // RPC: MQTT application → observing CoAP device → MQTT application.
        const observer = run("coap-client-notls", [
          "-m",
          "get",
          "-s",
          "4",
          `${coap}/api/v1/${TOKEN}/rpc`,
        ]);
        const answer = sub("devices/D/rpc/response/7");
        await sleep(1000);
        await run("mosquitto_pub", [
          ...mqtt,
          "-q",
          "1",
          "-t",
          "devices/D/rpc/request/7",
          "-m",
          '{"method":"ping","params":{}}',
        ]);
        assert.match(
          await observer,
          /\{"id":7,"method":"ping","params":\{\}\}/,
        );
        await run("coap-client-notls", [
          "-m",
          "post",
          "-e",
          '{"pong":true}',
          `${coap}/api/v1/${TOKEN}/rpc/7`,
        ]);
        assert.equal((await answer).trim(), '{"pong":true}');

        // Observe over two-way DTLS with a client certificate.
        const sensors = run("coap-client-openssl", [
          "-m",
          "get",
          "-s",
          "5",
          ...cert,
          `${coaps}/ps/sensors/%23`,
        ]);
        await sleep(1500);
        await run("mosquitto_pub", [...mqtt, "-t", "sensors/t1", "-m", "hot"]);
        await run("mosquitto_pub", [...mqtt, "-t", "other/t1", "-m", "unseen"]);
        const seen = await sensors;
        assert.match(seen, /hot/);
        assert.doesNotMatch(seen, /unseen/);

        // 4 KiB: retained message read block-wise, and a block-wise POST.
        const big = Array.from(
          { length: 256 },
          (_, i) => `${i}`.padStart(15, ".") + "\n",
        )
          .join("");
        assert.equal(big.length, 4096);
        await Deno.writeTextFile(`${dir}/big.txt`, big);
        await run("mosquitto_pub", [
          ...mqtt,
          "-r",
          "-t",
          "big/r",
          "-f",
          `${dir}/big.txt`,
        ]);
        await sleep(300);
        const read = await run("coap-client-notls", [
          "-m",
          "get",
          "-b",
          "64",
          `${coap}/ps/big/r`,
        ]);
        assert.equal(read.replace(/\n+$/, ""), big.replace(/\n+$/, ""));
        const upload = sub("big/up");
        await sleep(400);
        const sent = await run("coap-client-notls", [
          "-m",
          "post",
          "-b",
          "64",
          "-f",
          `${dir}/big.txt`,
          `${coap}/ps/big/up`,
        ]);
        assert.doesNotMatch(sent, /\d\.\d\d/, sent);
        assert.equal(
          (await upload).replace(/\n+$/, ""),
          big.replace(/\n+$/, ""),
        );
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
