/**
 * Interop of postern's DTLS 1.2 server and client with OpenSSL's
 * `s_client` / `s_server` over real UDP sockets on 127.0.0.1. With
 * `CI=true` a missing openssl fails the tests instead of skipping them.
 */
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import { connectDtls, listenDtls } from "../../src/net/udp.ts";
import type { CertifiedKey } from "../../src/tls/handshake/types.ts";
import { devCerts as devCertsDir } from "../net/_support.ts";
import { opensslAvailable } from "../support/openssl.ts";
import { spawnSClient, startSServer } from "../support/openssl_peers.ts";
import { certificatesOf, certifiedKey } from "../support/tls_client.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = decodeHex(PSK_HEX);

const available = await opensslAvailable();

/** Runs s_client, sends one line, waits for `expect` on stdout. */
async function sClient(
  args: string[],
  line: string,
  expect: string,
): Promise<string> {
  const client = spawnSClient("-dtls1_2", ["-quiet", ...args]);
  const echoed = await client.write(line + "\n").then(
    () => client.readUntil(expect),
    () => false,
  );
  const err = await client.stop();
  if (!echoed) {
    throw new Error(
      `s_client did not echo: stdout=${client.stdout} stderr=${err}`,
    );
  }
  return client.stdout;
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
  const dir = await devCertsDir();
  return {
    dir,
    server: await certifiedKey(`${dir}/server.pem`, `${dir}/server_key.pem`),
    caPem: `${dir}/ca.pem`,
  };
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
      }
    },
  });
}

Deno.test({
  name: "openssl s_client authenticates with a client certificate (two-way)",
  ignore: !available,
  async fn() {
    const certs = await devCerts();
    const anchors = certificatesOf(await Deno.readTextFile(certs.caPem));
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
    }
  },
});

Deno.test({
  name:
    "our DTLS client exchanges data with openssl s_server over PSK-AES128-CCM8",
  ignore: !available,
  async fn() {
    const srv = await startSServer("-dtls1_2", [
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
      await srv.readUntil("from-postern");
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
    const srv = await startSServer("-dtls1_2", [
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
          trustAnchors: certificatesOf(
            await Deno.readTextFile(certs.caPem),
          ),
        },
        handshakeTimeoutMs: 10_000,
      });
      assert.equal(conn.session.identity?.kind, "x509");
      await conn.send(new TextEncoder().encode("xyz\n"));
      await srv.readUntil("xyz");
      await srv.write("zyx\n");
      assert.equal(
        new TextDecoder().decode((await conn.read())!).trim(),
        "zyx",
      );
      await conn.close();
    } finally {
      await srv.stop();
    }
  },
});
