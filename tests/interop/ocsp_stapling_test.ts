/**
 * OCSP stapling end to end: `postern serve` with a DTLS listener whose
 * `dtls_options.ocsp` (and an MQTT `ssl` listener whose `ssl_options.ocsp`)
 * points at a real `openssl ocsp` responder on loopback;
 * `openssl s_client -dtls1_2 -status` (`-tls1_2 -status`) receives the
 * stapled response and reads it as successful and good. A client that does not ask gets none; a
 * down or silent responder never blocks a handshake, and the failures are
 * logged. Our DTLS client, asking with status_request, receives and exposes
 * the response `openssl s_server -status_file` staples. With `CI=true` a
 * missing openssl fails the tests.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { connectDtls } from "../../src/net/udp.ts";
import {
  certIdFor,
  decodeOcspResponse,
  encodeOcspRequest,
  parseCertificatePem,
  verifyOcspResponse,
} from "../../src/pki/mod.ts";
import {
  ocspFixtures,
  opensslAvailable,
  opensslOcspRespond,
  startOpensslResponder,
} from "../support/ocsp_fixtures.ts";

const available = await opensslAvailable();

/** Runs one s_client handshake and returns stdout + stderr. */
async function sClient(args: string[]): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["s_client", ...args],
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
  await new Promise((r) => setTimeout(r, 300));
  await writer.close();
  const out = await child.output();
  clearTimeout(kill);
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

interface Running {
  readonly port: number;
  readonly lines: string[];
  close(): Promise<void>;
}

async function serve(
  family: "dtls" | "ssl",
  responderUrl: string,
): Promise<Running> {
  const fx = await ocspFixtures();
  const dir = await Deno.makeTempDir({ prefix: "postern-ocsp-serve-" });
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      data_dir: `${dir}/data`,
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
        [family]: {
          default: {
            bind: "127.0.0.1:0",
            [family === "dtls" ? "dtls_options" : "ssl_options"]: {
              certfile: fx.certs.server.certPath,
              keyfile: fx.certs.server.keyPath,
              ocsp: {
                enable_ocsp_stapling: true,
                responder_url: responderUrl,
                issuer_pem: fx.certs.ca.certPath,
                refresh_interval: "5m",
                refresh_http_timeout: "1s",
              },
            },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors, []);
  const lines: string[] = [];
  const logger = new Logger({ format: "json", sink: (l) => lines.push(l) });
  const server = await startServer(config, { logger });
  const port = server.listeners.find((l) => l.family === family)!.address
    .port;
  return {
    port,
    lines,
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function waitForLog(lines: string[], event: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (lines.some((l) => JSON.parse(l).event === event)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`No ${event} log line in: ${lines.join("\n")}`);
}

Deno.test({
  name:
    "dtls listener staples the openssl ocsp response to openssl s_client -dtls1_2 -status",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const responder = await startOpensslResponder(fx, "responder");
    const server = await serve("dtls", responder.url);
    try {
      await waitForLog(server.lines, "ocsp.refreshed");
      const common = [
        "-dtls1_2",
        "-connect",
        `127.0.0.1:${server.port}`,
        "-CAfile",
        fx.certs.ca.certPath,
        "-verify_return_error",
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
      ];
      const stapled = await sClient([...common, "-status"]);
      assert.match(stapled, /OCSP Response Status: successful \(0x0\)/);
      assert.match(stapled, /Cert Status: good/);
      assert.match(stapled, /Responder Id: .*CN ?= ?Postern OCSP Responder/);
      assert.match(stapled, /Verify return code: 0 \(ok\)/);
      const plain = await sClient(common);
      assert.doesNotMatch(plain, /OCSP Response Status/);
      assert.match(plain, /Verify return code: 0 \(ok\)/);
      const refreshed = server.lines.map((l) => JSON.parse(l)).find((e) =>
        e.event === "ocsp.refreshed"
      );
      assert.equal(refreshed.signer, "delegated");
    } finally {
      await server.close();
      await responder.close();
    }
  },
});

Deno.test({
  name:
    "dtls listener handshakes without a staple while the responder is down or silent",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    // a port nobody listens on, and one that accepts and never answers
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const downUrl = `http://127.0.0.1:${closed.addr.port}/`;
    closed.close();
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of silent) held.push(conn);
    })();
    try {
      for (
        const [url, code] of [
          [downUrl, "network"],
          [`http://127.0.0.1:${silent.addr.port}/`, "timeout"],
        ] as const
      ) {
        const server = await serve("dtls", url);
        try {
          const started = Date.now();
          const out = await sClient([
            "-dtls1_2",
            "-connect",
            `127.0.0.1:${server.port}`,
            "-CAfile",
            fx.certs.ca.certPath,
            "-verify_return_error",
            "-status",
          ]);
          assert.match(out, /OCSP response: no response sent/);
          assert.match(out, /Verify return code: 0 \(ok\)/);
          assert.ok(Date.now() - started < 5_000);
          await waitForLog(server.lines, "ocsp.refresh_failed");
          const failed = server.lines.map((l) => JSON.parse(l)).find((e) =>
            e.event === "ocsp.refresh_failed"
          );
          assert.equal(failed.code, code);
          assert.equal(failed.stapling, "none");
        } finally {
          await server.close();
        }
      }
    } finally {
      silent.close();
      for (const c of held) c.close();
      await accepting;
    }
  },
});

Deno.test({
  name:
    "mqtt ssl listener with OCSP stapling runs on postern's engine and staples to openssl s_client -tls1_2 -status",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const responder = await startOpensslResponder(fx, "ca");
    const server = await serve("ssl", responder.url);
    try {
      await waitForLog(server.lines, "ocsp.refreshed");
      const path = server.lines.map((l) => JSON.parse(l)).find((e) =>
        e.event === "tls.path"
      );
      assert.equal(path?.engine, "postern");
      const common = [
        "-tls1_2",
        "-connect",
        `127.0.0.1:${server.port}`,
        "-CAfile",
        fx.certs.ca.certPath,
        "-verify_return_error",
      ];
      const stapled = await sClient([...common, "-status"]);
      assert.match(stapled, /OCSP Response Status: successful \(0x0\)/);
      assert.match(stapled, /Cert Status: good/);
      assert.match(stapled, /Verify return code: 0 \(ok\)/);
      const plain = await sClient(common);
      assert.doesNotMatch(plain, /OCSP Response Status/);
      assert.match(plain, /Verify return code: 0 \(ok\)/);
    } finally {
      await server.close();
      await responder.close();
    }
  },
});

Deno.test({
  name:
    "connectDtls() with requestOcspStaple exposes the response openssl s_server -status_file staples",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const [ca] = parseCertificatePem(fx.certs.ca.pem);
    const [leaf] = parseCertificatePem(fx.certs.server.pem);
    const der = await opensslOcspRespond(
      fx,
      encodeOcspRequest([certIdFor(leaf!, ca!)]),
      "ca",
    );
    const statusFile = `${fx.dir}/staple-${crypto.randomUUID()}.der`;
    await Deno.writeFile(statusFile, der);
    const child = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-dtls1_2",
        "-accept",
        "127.0.0.1:0",
        "-cert",
        fx.certs.server.certPath,
        "-key",
        fx.certs.server.keyPath,
        "-status_file",
        statusFile,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    let out = "";
    try {
      while (!/ACCEPT \S+:\d+/.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`s_server did not start: ${out}`);
        out += new TextDecoder().decode(value);
      }
      const port = Number(/ACCEPT \S+:(\d+)/.exec(out)![1]);
      for (const requestOcspStaple of [true, false]) {
        const conn = await connectDtls({
          hostname: "127.0.0.1",
          port,
          client: { trustAnchors: [ca!], requestOcspStaple },
          handshakeTimeoutMs: 10_000,
        });
        await conn.close();
        if (!requestOcspStaple) {
          assert.equal(conn.session.ocspResponse, undefined);
          continue;
        }
        assert.deepEqual(conn.session.ocspResponse, der);
        const verified = await verifyOcspResponse(
          decodeOcspResponse(conn.session.ocspResponse!),
          { certificate: leaf!, issuer: ca!, now: Date.now() },
        );
        assert.deepEqual(verified.status, { kind: "good" });
      }
    } finally {
      child.kill("SIGKILL");
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await child.stdin.close().catch(() => {});
      await child.status;
    }
  },
});
