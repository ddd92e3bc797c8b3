/**
 * CoAP over postern's DTLS with libcoap's `coap-client-openssl`: a PSK
 * identity imported from `PSK_AUTHENTICATION_INIT_FILE` (libcoap's `-k`
 * takes the key as text, the init file as hex), `/.well-known/core`, and a
 * publish through `/ps/...` that a retained GET over plain CoAP returns.
 * With `CI=true` a missing peer fails the test.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { encodeHex } from "../../src/bytes/mod.ts";
import { certsCommand } from "../../cli/certs.ts";

const KEY_TEXT = "secret-key-7";

async function have(tool: string): Promise<boolean> {
  try {
    await new Deno.Command(tool, {
      args: ["-h"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return true;
  } catch {
    if (Deno.env.get("CI") === "true") {
      throw new Error(`${tool} is required when CI=true`);
    }
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, 15_000);
  const out = await child.output();
  clearTimeout(kill);
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

Deno.test({
  name:
    "coap-client-openssl reaches the gateway over DTLS with a PSK from the init file",
  ignore: !(await have("coap-client-openssl")) ||
    !(await have("coap-client-notls")),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-coaps-" });
    try {
      assert.equal(await certsCommand(["init", "--dir", `${dir}/certs`]), 0);
      const hex = encodeHex(new TextEncoder().encode(KEY_TEXT));
      await Deno.writeTextFile(`${dir}/psk.txt`, `device-7:${hex}\n`);
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
      const server = await startServer(config, {
        logger: new Logger({ sink: () => {} }),
      });
      try {
        const port = (family: string) =>
          server.listeners.find((l) => l.family === family)!.address.port;
        const coaps = `coaps://127.0.0.1:${port("dtls")}`;
        const core = await run("coap-client-openssl", [
          "-m",
          "get",
          "-u",
          "device-7",
          "-k",
          KEY_TEXT,
          `${coaps}/.well-known/core`,
        ]);
        assert.match(core, /<\/ps\/\*>;rt="core.ps"/);
        const put = await run("coap-client-openssl", [
          "-m",
          "put",
          "-u",
          "device-7",
          "-k",
          KEY_TEXT,
          "-e",
          "21.5",
          `${coaps}/ps/d/7?retain=true`,
        ]);
        assert.doesNotMatch(put, /4\.\d\d|5\.\d\d/);
        let retained = "";
        for (let i = 0; i < 20 && retained !== "21.5"; i++) {
          await new Promise((r) => setTimeout(r, 100));
          retained = (await run("coap-client-notls", [
            "-m",
            "get",
            `coap://127.0.0.1:${port("coap")}/ps/d/7`,
          ])).trim();
        }
        assert.equal(retained, "21.5");
        const wrong = await run("coap-client-openssl", [
          "-m",
          "get",
          "-u",
          "device-7",
          "-k",
          "not-the-key",
          "-B",
          "3",
          `${coaps}/.well-known/core`,
        ]);
        assert.doesNotMatch(wrong, /core.ps/);
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
