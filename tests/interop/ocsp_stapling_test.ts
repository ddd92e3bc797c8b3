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
import { startTestServer, type TestServer } from "../net/_support.ts";
import {
  type OpensslProtocol,
  sClientSession,
  startSServer,
} from "../support/openssl_peers.ts";
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

/** One s_client handshake that sends nothing; returns stdout + stderr. */
function sClient(protocol: OpensslProtocol, args: string[]): Promise<string> {
  return sClientSession(protocol, args, { line: "", settleMs: 300 });
}

async function serve(
  family: "dtls" | "ssl",
  responderUrl: string,
): Promise<TestServer> {
  const fx = await ocspFixtures();
  const options = {
    certfile: fx.certs.server.certPath,
    keyfile: fx.certs.server.keyPath,
    ocsp: {
      enable_ocsp_stapling: true,
      responder_url: responderUrl,
      issuer_pem: fx.certs.ca.certPath,
      refresh_interval: "5m",
      refresh_http_timeout: "1s",
    },
  };
  const ts = await startTestServer(
    [family],
    family === "dtls" ? { dtls: options } : { tls: options },
  );
  return {
    ...ts,
    async close() {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    },
  };
}

/**
 * s_client with `-status` gets a successful, good staple that verifies;
 * without it, none. Returns the stapled run's output.
 */
async function assertStapled(
  protocol: OpensslProtocol,
  common: string[],
): Promise<string> {
  const stapled = await sClient(protocol, [...common, "-status"]);
  assert.match(stapled, /OCSP Response Status: successful \(0x0\)/);
  assert.match(stapled, /Cert Status: good/);
  assert.match(stapled, /Verify return code: 0 \(ok\)/);
  const plain = await sClient(protocol, common);
  assert.doesNotMatch(plain, /OCSP Response Status/);
  assert.match(plain, /Verify return code: 0 \(ok\)/);
  return stapled;
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
      const stapled = await assertStapled("-dtls1_2", [
        "-connect",
        `127.0.0.1:${server.port("dtls")}`,
        "-CAfile",
        fx.certs.ca.certPath,
        "-verify_return_error",
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
      ]);
      assert.match(stapled, /Responder Id: .*CN ?= ?Postern OCSP Responder/);
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
          const out = await sClient("-dtls1_2", [
            "-connect",
            `127.0.0.1:${server.port("dtls")}`,
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
      await assertStapled("-tls1_2", [
        "-connect",
        `127.0.0.1:${server.port("ssl")}`,
        "-CAfile",
        fx.certs.ca.certPath,
        "-verify_return_error",
      ]);
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
    const server = await startSServer("-dtls1_2", [
      "-cert",
      fx.certs.server.certPath,
      "-key",
      fx.certs.server.keyPath,
      "-status_file",
      statusFile,
    ]);
    try {
      const port = server.port;
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
      await server.stop();
    }
  },
});
