/**
 * Session resumption (RFC 5246 §7.3) on `ssl` listeners that `postern
 * serve` runs on its own TLS engine, against `openssl s_client -tls1_2
 * -sess_out` then `-sess_in` over TCP:
 *
 * - a TLS-PSK session and a two-way certificate session are "Reused,
 *   TLSv1.2", and MQTT CONNECT/CONNACK works over the resumed connection
 *   (the MQTT connection carries the identity of the full handshake);
 * - a PSK identity removed from the credential store (by another store
 *   handle, as `postern psk rm` would) and a certificate revoked in it
 *   leave no session to resume (`tls.sessions_forgotten`);
 * - `ssl_options.reuse_sessions: false` never resumes.
 *
 * With `CI=true` a missing openssl fails the tests.
 */
import assert from "node:assert/strict";
import { KvStore } from "../../src/auth/mod.ts";
import { findPeer, startTestServer, waitFor } from "../net/_support.ts";
import { sClientMqtt as sClient } from "../support/mqtt_tls.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

const OPENSSL = findPeer("openssl");
const PSK_HEX = "8c7011223344556677889900aabbccdd";
const PSK_SUITE = "PSK-AES128-GCM-SHA256";
function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** `s_client` arguments of a TLS-PSK connection as `identity`. */
function pskArgs(port: number, identity: string): string[] {
  return [
    "-connect",
    `127.0.0.1:${port}`,
    "-cipher",
    PSK_SUITE,
    "-psk",
    PSK_HEX,
    "-psk_identity",
    identity,
  ];
}

/** `s_client` arguments of a two-way connection as `device1`. */
async function certArgs(port: number, dir: string): Promise<string[]> {
  const c = (await pkiFixtures()).certs;
  const chain = `${dir}/inter.pem`;
  await Deno.writeTextFile(chain, c.inter.pem);
  return [
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    c.root.certPath,
    "-cert",
    c.device1.certPath,
    "-key",
    c.device1.keyPath,
    "-cert_chain",
    chain,
  ];
}

async function startEngineServer() {
  const fx = await pkiFixtures();
  const c = fx.certs;
  const base = { certfile: fx.serverChainPath, keyfile: c.server.keyPath };
  const ts = await startTestServer([], {
    config: { psk_authentication: { enable: true } },
    seed: async (store) => {
      for (const id of ["device-1", "device-2"]) {
        await store.addPsk(id, hexBytes(PSK_HEX));
      }
    },
    named: {
      ssl: {
        default: {
          bind: "127.0.0.1:0",
          ssl_options: {
            ...base,
            ciphers: [PSK_SUITE, "ECDHE-ECDSA-AES128-GCM-SHA256"],
          },
        },
        mtls: {
          bind: "127.0.0.1:0",
          ssl_options: {
            ...base,
            tls_engine: "postern",
            verify: "verify_peer",
            cacertfile: c.root.certPath,
            fail_if_no_peer_cert: true,
          },
        },
        noreuse: {
          bind: "127.0.0.1:0",
          ssl_options: {
            ...base,
            ciphers: [PSK_SUITE],
            reuse_sessions: false,
          },
        },
      },
    },
  });
  const store = await KvStore.openDataDir(ts.dataDir, { watch: false });
  return {
    dir: ts.dataDir,
    lines: ts.lines,
    store,
    port: (name: string) => ts.port("ssl", name),
    async close() {
      await store.close();
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "postern TLS engine: openssl s_client resumes PSK and certificate sessions, CONNACK over the resumed connection",
  ignore: OPENSSL === undefined,
  async fn() {
    const srv = await startEngineServer();
    try {
      const cases = [
        {
          name: "PSK",
          args: pskArgs(srv.port("default"), "device-1"),
          suite: PSK_SUITE,
          identity: "psk:device-1",
        },
        {
          name: "certificate",
          args: await certArgs(srv.port("mtls"), srv.dir),
          suite: "ECDHE-ECDSA-AES128-GCM-SHA256",
          identity: "x509:",
        },
      ];
      for (const k of cases) {
        const sess = `${srv.dir}/${k.name}.sess`;
        const first = await sClient([...k.args, "-sess_out", sess]);
        assert.match(first.text, /New, TLSv1\.2/, `${k.name}: ${first.text}`);
        assert.ok(first.connack, `${k.name}: no CONNACK`);
        for (let i = 0; i < 2; i++) {
          const again = await sClient([...k.args, "-sess_in", sess]);
          assert.match(
            again.text,
            new RegExp(`Reused, TLSv1\\.2, Cipher is ${k.suite}`),
            `${k.name}: ${again.text}`,
          );
          assert.ok(again.connack, `${k.name}: no CONNACK after resumption`);
        }
        const resumed = srv.lines.filter((l) =>
          l.includes('"tls.established"') && l.includes('"resumed":true') &&
          l.includes(k.identity)
        );
        assert.equal(resumed.length, 2, k.name);
      }
    } finally {
      await srv.close();
    }
  },
});

Deno.test({
  name:
    "postern TLS engine: a removed PSK identity or revoked certificate leaves no session to resume; reuse_sessions false never resumes",
  ignore: OPENSSL === undefined,
  async fn() {
    const srv = await startEngineServer();
    try {
      const cert = await certArgs(srv.port("mtls"), srv.dir);
      const pskSess = `${srv.dir}/psk.sess`;
      const certSess = `${srv.dir}/cert.sess`;
      const keptSess = `${srv.dir}/kept.sess`;
      assert.ok(
        (await sClient([
          ...pskArgs(srv.port("default"), "device-2"),
          "-sess_out",
          pskSess,
        ])).connack,
      );
      assert.ok((await sClient([...cert, "-sess_out", certSess])).connack);
      assert.ok(
        (await sClient([
          ...pskArgs(srv.port("default"), "device-1"),
          "-sess_out",
          keptSess,
        ])).connack,
      );

      await srv.store.removePsk("device-2");
      await srv.store.revokeCertificate({ cn: "device-1" });
      await waitFor(
        () =>
          srv.lines.filter((l) => l.includes('"tls.sessions_forgotten"'))
            .length >= 2,
        5000,
      );
      assert.ok(
        srv.lines.some((l) =>
          l.includes('"tls.sessions_forgotten"') &&
          l.includes('"listener":"ssl/default"') &&
          l.includes('"reason":"credential_revoked"')
        ),
      );

      // the removed identity: no resumption, and the full handshake fails
      const psk2 = await sClient([
        ...pskArgs(srv.port("default"), "device-2"),
        "-sess_in",
        pskSess,
      ]);
      assert.doesNotMatch(psk2.text, /Reused/, psk2.text);
      assert.equal(psk2.connack, false);
      // the revoked certificate: a full handshake, not a resumption
      const cert2 = await sClient([...cert, "-sess_in", certSess]);
      assert.doesNotMatch(cert2.text, /Reused/, cert2.text);
      // an unrelated identity still resumes
      const kept = await sClient([
        ...pskArgs(srv.port("default"), "device-1"),
        "-sess_in",
        keptSess,
      ]);
      assert.match(kept.text, /Reused, TLSv1\.2/, kept.text);
      assert.ok(kept.connack);

      // reuse_sessions false: no session ID is issued, none is resumed
      const first = await sClient([
        ...pskArgs(srv.port("noreuse"), "device-1"),
        "-sess_out",
        `${srv.dir}/noreuse.sess`,
      ]);
      assert.match(first.text, /New, TLSv1\.2/, first.text);
      assert.match(first.text, /Session-ID: *\n/, first.text);
      assert.ok(first.connack);
      const full = await sClient([
        ...pskArgs(srv.port("noreuse"), "device-1"),
        "-sess_in",
        keptSess,
      ]);
      assert.match(full.text, /New, TLSv1\.2/, full.text);
      assert.ok(full.connack);
    } finally {
      await srv.close();
    }
  },
});
