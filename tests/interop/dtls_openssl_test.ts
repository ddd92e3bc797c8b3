/**
 * Interop of postern's DTLS 1.2 server and client with OpenSSL's
 * `s_client` / `s_server` over real UDP sockets on 127.0.0.1. With
 * `CI=true` a missing openssl fails the tests instead of skipping them.
 */
import assert from "node:assert/strict";
import { connectDtls, listenDtls } from "../../src/net/udp.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import type { CertifiedKey } from "../../src/tls/handshake/types.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = new Uint8Array(
  PSK_HEX.match(/../g)!.map((h) => parseInt(h, 16)),
);

async function hasOpenssl(): Promise<boolean> {
  try {
    const out = await new Deno.Command("openssl", { args: ["version"] })
      .output();
    return out.success;
  } catch {
    if (Deno.env.get("CI") === "true") {
      throw new Error("openssl is required when CI=true");
    }
    return false;
  }
}

const available = await hasOpenssl();

/** Runs s_client, sends one line, waits for `expect` on stdout. */
async function sClient(
  args: string[],
  line: string,
  expect: string,
): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["s_client", "-dtls1_2", "-quiet", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(line + "\n"));
  let out = "";
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 10_000);
  try {
    while (!out.includes(expect)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value);
    }
  } finally {
    clearTimeout(deadline);
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    reader.releaseLock();
    await writer.close().catch(() => {});
    await child.stdout.cancel().catch(() => {});
  }
  const err = await new Response(child.stderr).text();
  await child.status;
  if (!out.includes(expect)) {
    throw new Error(`s_client did not echo: stdout=${out} stderr=${err}`);
  }
  return out;
}

function echoServer(endpoint: Parameters<typeof listenDtls>[0]["endpoint"]) {
  const server = listenDtls({
    hostname: "127.0.0.1",
    port: 0,
    endpoint,
    onData: (peer, data) =>
      server.send(
        peer,
        new TextEncoder().encode(
          "echo:" + new TextDecoder().decode(data),
        ),
      ),
  });
  return server;
}

async function devCerts(): Promise<
  { dir: string; server: CertifiedKey; caPem: string }
> {
  const dir = await Deno.makeTempDir();
  const { certsCommand } = await import("../../cli/certs.ts");
  const code = await certsCommand(["init", "--dir", dir]);
  assert.equal(code, 0);
  const chain = parseCertificatePem(
    await Deno.readTextFile(`${dir}/server.pem`),
  );
  const key = loadPrivateKey(await Deno.readTextFile(`${dir}/server_key.pem`));
  return { dir, server: { chain, key }, caPem: `${dir}/ca.pem` };
}

Deno.test({
  name:
    "openssl s_client exchanges data with the DTLS server over PSK-AES128-CCM8",
  ignore: !available,
  async fn() {
    const server = echoServer({
      handshake: { psk: (id) => id === "device-1" ? PSK : undefined },
    });
    try {
      const out = await sClient(
        [
          "-connect",
          `127.0.0.1:${server.addr.port}`,
          "-psk",
          PSK_HEX,
          "-psk_identity",
          "device-1",
          "-cipher",
          "PSK-AES128-CCM8",
        ],
        "hello",
        "echo:hello",
      );
      assert.ok(out.includes("echo:hello"));
    } finally {
      await server.close();
    }
  },
});

for (
  const cipher of ["ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-AES128-GCM-SHA256"]
) {
  Deno.test({
    name: `openssl s_client verifies the server certificate with ${cipher}`,
    ignore: !available,
    async fn() {
      const certs = await devCerts();
      const server = echoServer({ handshake: { certificate: certs.server } });
      try {
        await sClient(
          [
            "-connect",
            `127.0.0.1:${server.addr.port}`,
            "-CAfile",
            certs.caPem,
            "-verify_return_error",
            "-cipher",
            cipher,
          ],
          "cert",
          "echo:cert",
        );
      } finally {
        await server.close();
        await Deno.remove(certs.dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "openssl s_client authenticates with a client certificate (two-way)",
  ignore: !available,
  async fn() {
    const certs = await devCerts();
    const anchors = parseCertificatePem(await Deno.readTextFile(certs.caPem));
    let subject = "";
    const server = listenDtls({
      hostname: "127.0.0.1",
      port: 0,
      endpoint: {
        handshake: {
          certificate: certs.server,
          clientAuth: { trustAnchors: anchors, failIfNoPeerCert: true },
        },
      },
      onData: (peer, data, identity) => {
        if (identity?.kind === "x509") subject = identity.subject;
        server.send(peer, data);
      },
    });
    try {
      const files = [...Deno.readDirSync(certs.dir)].map((e) => e.name);
      const clientCert = files.find((f) =>
        /^(client|device).*\.pem$/.test(f) && !f.includes("key")
      )!;
      const clientKey = files.find((f) =>
        f === clientCert.replace(".pem", "_key.pem")
      )!;
      await sClient(
        [
          "-connect",
          `127.0.0.1:${server.addr.port}`,
          "-CAfile",
          certs.caPem,
          "-cert",
          `${certs.dir}/${clientCert}`,
          "-key",
          `${certs.dir}/${clientKey}`,
          "-cipher",
          "ECDHE-ECDSA-AES128-CCM8",
        ],
        "two-way",
        "two-way",
      );
      assert.ok(subject.length > 0, "client subject seen");
    } finally {
      await server.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});

/** Starts s_server on a free port; resolves once it listens. */
async function sServer(args: string[]): Promise<
  {
    port: number;
    child: Deno.ChildProcess;
    waitFor: (text: string) => Promise<void>;
    write: (text: string) => Promise<void>;
    stop: () => Promise<void>;
  }
> {
  const probe = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-dtls1_2", "-accept", String(port), ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  const decoder = new TextDecoder();
  while (!out.includes("ACCEPT")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value);
  }
  const writer = child.stdin.getWriter();
  return {
    port,
    child,
    async waitFor(text: string) {
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      try {
        while (!out.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`s_server ended before ${text}: ${out}`);
          out += decoder.decode(value);
        }
      } finally {
        clearTimeout(timer);
      }
    },
    async write(text: string) {
      await writer.write(new TextEncoder().encode(text));
    },
    async stop() {
      reader.releaseLock();
      writer.releaseLock();
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await child.stdin.close().catch(() => {});
      await child.status;
    },
  };
}

Deno.test({
  name:
    "our DTLS client exchanges data with openssl s_server over PSK-AES128-CCM8",
  ignore: !available,
  async fn() {
    const srv = await sServer([
      "-psk",
      PSK_HEX,
      "-nocert",
      "-cipher",
      "PSK-AES128-CCM8",
    ]);
    try {
      const conn = await connectDtls({
        hostname: "127.0.0.1",
        port: srv.port,
        client: { psk: { identity: "Client_identity", key: PSK } },
        handshakeTimeoutMs: 10_000,
      });
      assert.equal(conn.session.suite.name, "TLS_PSK_WITH_AES_128_CCM_8");
      await conn.send(new TextEncoder().encode("from-postern\n"));
      await srv.waitFor("from-postern");
      await srv.write("from-openssl\n");
      const reply = await conn.read();
      assert.equal(new TextDecoder().decode(reply!).trim(), "from-openssl");
      await conn.close();
    } finally {
      await srv.stop();
    }
  },
});

Deno.test({
  name: "our DTLS client verifies openssl s_server's ECDSA certificate",
  ignore: !available,
  async fn() {
    const certs = await devCerts();
    const srv = await sServer([
      "-cert",
      `${certs.dir}/server.pem`,
      "-key",
      `${certs.dir}/server_key.pem`,
      "-cipher",
      "ECDHE-ECDSA-AES128-CCM8",
    ]);
    try {
      const conn = await connectDtls({
        hostname: "127.0.0.1",
        port: srv.port,
        client: {
          trustAnchors: parseCertificatePem(
            await Deno.readTextFile(certs.caPem),
          ),
        },
        handshakeTimeoutMs: 10_000,
      });
      assert.equal(conn.session.identity?.kind, "x509");
      await conn.send(new TextEncoder().encode("xyz\n"));
      await srv.waitFor("xyz");
      await srv.write("zyx\n");
      assert.equal(
        new TextDecoder().decode((await conn.read())!).trim(),
        "zyx",
      );
      await conn.close();
    } finally {
      await srv.stop();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
