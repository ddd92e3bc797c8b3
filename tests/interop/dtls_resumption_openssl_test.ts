/**
 * Session resumption (RFC 5246 §7.3) against OpenSSL over real UDP:
 * `openssl s_client -dtls1_2 -sess_out` then `-sess_in` against our server
 * reports "Reused", and our client resumes a session with `openssl s_server
 * -dtls1_2`. With `CI=true` a missing openssl fails the tests.
 */
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import { connectDtls, listenDtls } from "../../src/net/udp.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../src/tls/session_cache.ts";
import { devCerts } from "../net/_support.ts";
import { opensslAvailable } from "../support/openssl.ts";
import { sClientSession, startSServer } from "../support/openssl_peers.ts";
import { certificatesOf, certifiedKey } from "../support/tls_client.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = decodeHex(PSK_HEX);
const available = await opensslAvailable();

/** One s_client run: sends a line, waits, closes; returns stdout + stderr. */
function sClient(args: string[]): Promise<string> {
  return sClientSession("-dtls1_2", args, { settleMs: 400 });
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
    const certs = await devCerts();
    const subjects: string[] = [];
    const server = listenDtls({
      hostname: "127.0.0.1",
      port: 0,
      endpoint: {
        handshake: {
          certificate: await certifiedKey(
            `${certs}/server.pem`,
            `${certs}/server_key.pem`,
          ),
          clientAuth: {
            trustAnchors: certificatesOf(
              await Deno.readTextFile(`${certs}/ca.pem`),
            ),
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
        `${certs}/ca.pem`,
        "-cert",
        `${certs}/client.pem`,
        "-key",
        `${certs}/client_key.pem`,
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

for (const mode of ["psk", "ecdhe-ecdsa"] as const) {
  Deno.test({
    name: `our DTLS client resumes ${
      mode === "psk" ? "a PSK" : "an ECDHE-ECDSA"
    } session with openssl s_server`,
    ignore: !available,
    async fn() {
      const certs = await devCerts();
      const srv = await startSServer(
        "-dtls1_2",
        mode === "psk"
          ? ["-psk", PSK_HEX, "-nocert", "-cipher", "PSK-AES128-CCM8"]
          : [
            "-cert",
            `${certs}/server.pem`,
            "-key",
            `${certs}/server_key.pem`,
            "-cipher",
            "ECDHE-ECDSA-AES128-CCM8",
          ],
      );
      try {
        const client = mode === "psk"
          ? { psk: { identity: "Client_identity", key: PSK } }
          : {
            trustAnchors: certificatesOf(
              await Deno.readTextFile(`${certs}/ca.pem`),
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
      }
    },
  });
}
