/**
 * Session resumption (RFC 5246 §7.3) against OpenSSL over real UDP:
 * `openssl s_client -dtls1_2 -sess_out` then `-sess_in` against our server
 * reports "Reused", and our client resumes a session with `openssl s_server
 * -dtls1_2`. With `CI=true` a missing openssl fails the tests.
 */
import assert from "node:assert/strict";
import { connectDtls, listenDtls } from "../../src/net/udp.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../src/tls/session_cache.ts";
import { certsCommand } from "../../cli/certs.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = new Uint8Array(PSK_HEX.match(/../g)!.map((h) => parseInt(h, 16)));

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
const available = await hasOpenssl();

/** One s_client run: sends a line, waits, closes; returns stdout + stderr. */
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
  await new Promise((r) => setTimeout(r, 400));
  await writer.close();
  const out = await child.output();
  clearTimeout(kill);
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

Deno.test({
  name: "openssl s_client resumes a PSK session with our DTLS server (Reused)",
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir();
    const cache = new SessionCache<ResumableSession>();
    const server = listenDtls({
      hostname: "127.0.0.1",
      port: 0,
      endpoint: {
        handshake: {
          psk: (id) => id === "device-1" ? PSK : undefined,
          sessionCache: cache,
        },
      },
    });
    try {
      const common = [
        "-connect",
        `127.0.0.1:${server.addr.port}`,
        "-psk",
        PSK_HEX,
        "-psk_identity",
        "device-1",
        "-cipher",
        "PSK-AES128-CCM8",
      ];
      const first = await sClient([...common, "-sess_out", `${dir}/sess.pem`]);
      assert.match(first, /New, TLSv1\.2, Cipher is PSK-AES128-CCM8/);
      assert.equal(cache.size, 1);
      const second = await sClient([...common, "-sess_in", `${dir}/sess.pem`]);
      assert.match(second, /Reused, TLSv1\.2, Cipher is PSK-AES128-CCM8/);
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "openssl s_client resumes an ECDHE-ECDSA two-way session with our DTLS server (Reused)",
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir();
    const log = console.log;
    console.log = () => {};
    await certsCommand(["init", "--dir", dir]);
    console.log = log;
    const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
    const subjects: string[] = [];
    const server = listenDtls({
      hostname: "127.0.0.1",
      port: 0,
      endpoint: {
        handshake: {
          certificate: {
            chain: parseCertificatePem(read("server.pem")),
            key: loadPrivateKey(read("server_key.pem")),
          },
          clientAuth: {
            trustAnchors: parseCertificatePem(read("ca.pem")),
            failIfNoPeerCert: true,
          },
          sessionCache: new SessionCache(),
        },
      },
      onEvent: (e) => {
        if (e.event.kind === "established") {
          const id = e.event.identity;
          subjects.push(id?.kind === "x509" ? id.subject : "");
        }
      },
    });
    try {
      const common = [
        "-connect",
        `127.0.0.1:${server.addr.port}`,
        "-CAfile",
        `${dir}/ca.pem`,
        "-cert",
        `${dir}/client.pem`,
        "-key",
        `${dir}/client_key.pem`,
        "-cipher",
        "ECDHE-ECDSA-AES128-CCM8",
      ];
      const first = await sClient([...common, "-sess_out", `${dir}/sess.pem`]);
      assert.match(first, /New, TLSv1\.2/);
      const second = await sClient([...common, "-sess_in", `${dir}/sess.pem`]);
      assert.match(
        second,
        /Reused, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-CCM8/,
      );
      assert.equal(subjects.length, 2);
      assert.ok(
        subjects[1]!.includes("device-1"),
        "resumed with the client's identity",
      );
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Starts s_server on a free port; resolves once it listens. */
async function sServer(args: string[]) {
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
  return {
    port,
    async stop() {
      reader.releaseLock();
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

for (const mode of ["psk", "ecdhe-ecdsa"] as const) {
  Deno.test({
    name: `our DTLS client resumes ${
      mode === "psk" ? "a PSK" : "an ECDHE-ECDSA"
    } session with openssl s_server`,
    ignore: !available,
    async fn() {
      const dir = await Deno.makeTempDir();
      const log = console.log;
      console.log = () => {};
      await certsCommand(["init", "--dir", dir]);
      console.log = log;
      const srv = await sServer(
        mode === "psk"
          ? ["-psk", PSK_HEX, "-nocert", "-cipher", "PSK-AES128-CCM8"]
          : [
            "-cert",
            `${dir}/server.pem`,
            "-key",
            `${dir}/server_key.pem`,
            "-cipher",
            "ECDHE-ECDSA-AES128-CCM8",
          ],
      );
      try {
        const client = mode === "psk"
          ? { psk: { identity: "Client_identity", key: PSK } }
          : {
            trustAnchors: parseCertificatePem(
              await Deno.readTextFile(`${dir}/ca.pem`),
            ),
          };
        const connect = async (session?: ResumableSession) => {
          const conn = await connectDtls({
            hostname: "127.0.0.1",
            port: srv.port,
            client: { ...client, ...(session ? { session } : {}) },
            handshakeTimeoutMs: 10_000,
          });
          await conn.close();
          return conn.session;
        };
        const first = await connect();
        assert.equal(first.resumed, undefined);
        assert.ok(
          first.resumable !== undefined,
          "s_server issued a session ID",
        );
        const second = await connect(first.resumable);
        assert.equal(second.resumed, true);
        assert.equal(second.suite.name, first.suite.name);
      } finally {
        await srv.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
