/**
 * The DTLS listener as `postern serve` builds it: PSK identities imported
 * from `PSK_AUTHENTICATION_INIT_FILE` into the credential store, the server
 * certificate from the listener's options, tried with `openssl s_client
 * -dtls1_2`. With `CI=true` a missing openssl fails the test.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { certsCommand } from "../../cli/certs.ts";

const PSK_HEX = "8c70a1b2c3d4e5f60718293a4b5c6d7e";

async function hasOpenssl(): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args: ["version"] }).output())
      .success;
  } catch {
    if (Deno.env.get("CI") === "true") {
      throw new Error("openssl is required when CI=true");
    }
    return false;
  }
}

async function sClient(args: string[]): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["s_client", "-dtls1_2", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, 10_000);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hello\n"));
  await new Promise((r) => setTimeout(r, 500));
  await writer.close();
  const out = await child.output();
  clearTimeout(kill);
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

Deno.test({
  name:
    "dtls listener serves PSK devices from the init file and certificates to openssl s_client",
  ignore: !(await hasOpenssl()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-dtls-listener-" });
    try {
      assert.equal(
        await certsCommand(["init", "--dir", `${dir}/certs`]),
        0,
      );
      await Deno.writeTextFile(`${dir}/psk.txt`, `device-7:${PSK_HEX}\n`);
      const { config, errors } = loadConfig({
        env: {},
        fileText: JSON.stringify({
          data_dir: `${dir}/data`,
          psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
          listeners: {
            tcp: { default: { enable: false } },
            coap: { default: { enable: false } },
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
        const port = server.listeners.find((l) => l.family === "dtls")!
          .address.port;
        const psk = await sClient([
          "-connect",
          `127.0.0.1:${port}`,
          "-psk",
          PSK_HEX,
          "-psk_identity",
          "device-7",
          "-cipher",
          "PSK-AES128-CCM8",
        ]);
        assert.match(psk, /PSK-AES128-CCM8/);
        const cert = await sClient([
          "-connect",
          `127.0.0.1:${port}`,
          "-CAfile",
          `${dir}/certs/ca.pem`,
          "-verify_return_error",
          "-cipher",
          "ECDHE-ECDSA-AES128-CCM8",
        ]);
        assert.match(cert, /Verify return code: 0 \(ok\)/);
        const events = lines.map((l) => JSON.parse(l));
        const imported = events.find((e) => e.event === "psk.imported");
        assert.equal(imported?.added, 1);
        const established = events.filter((e) =>
          e.event === "dtls.established"
        );
        assert.deepEqual(established.map((e) => e.identity), [
          "psk:device-7",
          undefined,
        ]);
        assert.ok(
          events.some((e) => e.event === "dtls.data" && e.bytes === 6),
          "application data reached the listener",
        );
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
