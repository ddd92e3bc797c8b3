/**
 * postern's own TLS 1.2 engine serving MQTT `ssl` listeners, against peers
 * it did not write, over real sockets:
 *
 * - `openssl s_client -tls1_2 -cipher NAME` completes for every suite of
 *   EMQX's list (PSK-AES128/256-GCM, PSK-AES128-CBC-SHA256,
 *   PSK-AES256-CBC-SHA384, ECDHE-PSK-AES128-CBC-SHA256, ECDHE-ECDSA and
 *   ECDHE-RSA AES-128/256-GCM), sends an MQTT CONNECT through the tunnel
 *   and reads the CONNACK;
 * - `mosquitto_pub --psk --psk-identity` delivers to a `mosquitto_sub`
 *   over TLS-PSK, identities from the PSK init file (credential store);
 * - client certificates with `s_client -cert/-key`: a valid one connects;
 *   untrusted, expired, revoked and missing ones get unknown_ca,
 *   certificate_expired, certificate_revoked and handshake_failure;
 * - proof of possession: postern's TLS client presents a valid certificate
 *   but signs CertificateVerify with another key and gets decrypt_error;
 * - a TLS 1.3-only or TLS 1.1-only client gets protocol_version and a log
 *   line; renegotiation gets a no_renegotiation warning;
 * - the PROXY protocol header before the TLS handshake.
 *
 * Skipped where the peers are missing, except in CI (`CI=true`).
 */
import assert from "node:assert/strict";
import {
  delay,
  findPeer,
  run,
  spawn,
  startTestServer,
  type TestServer,
} from "../net/_support.ts";
import { CONNACK, CONNECT, sClientMqtt } from "../support/mqtt_tls.ts";
import { spawnSClient } from "../support/openssl_peers.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import {
  certificatesOf,
  certifiedKey,
  connectTlsClient,
  mismatchedCertifiedKey,
  rsaFixtures,
} from "../support/tls_client.ts";

const OPENSSL = findPeer("openssl");
const PUB = findPeer("mosquitto_pub");
const SUB = findPeer("mosquitto_sub");
const PSK_HEX = "8c7011223344556677889900aabbccdd";
const PSK_SUITES = [
  "PSK-AES128-GCM-SHA256",
  "PSK-AES256-GCM-SHA384",
  "PSK-AES128-CBC-SHA256",
  "PSK-AES256-CBC-SHA384",
  "ECDHE-PSK-AES128-CBC-SHA256",
];
const ECDSA_SUITES = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
];
const RSA_SUITES = [
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
];

async function startEngineServer(): Promise<TestServer> {
  const fx = await pkiFixtures();
  const rsa = await rsaFixtures();
  const c = fx.certs;
  const base = {
    certfile: fx.serverChainPath,
    keyfile: c.server.keyPath,
  };
  const ts = await startTestServer([], {
    psk: { "device-1": PSK_HEX },
    named: {
      ssl: {
        default: {
          bind: "127.0.0.1:0",
          proxy_protocol: false,
          ssl_options: {
            ...base,
            ciphers: [...PSK_SUITES, ...ECDSA_SUITES],
          },
        },
        proxied: {
          bind: "127.0.0.1:0",
          proxy_protocol: true,
          ssl_options: { ...base, tls_engine: "postern" },
        },
        rsa: {
          bind: "127.0.0.1:0",
          ssl_options: {
            certfile: rsa.serverCertPath,
            keyfile: rsa.serverKeyPath,
            tls_engine: "postern",
            ciphers: RSA_SUITES,
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
            enable_crl_check: true,
            crlfile: fx.interCrl.path,
          },
        },
      },
    },
  });
  return {
    ...ts,
    async close() {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "postern TLS engine: openssl s_client completes every suite and gets a CONNACK",
  ignore: OPENSSL === undefined,
  async fn() {
    const fx = await pkiFixtures();
    const rsa = await rsaFixtures();
    const srv = await startEngineServer();
    try {
      const psk = ["-psk", PSK_HEX, "-psk_identity", "device-1"];
      for (const suite of PSK_SUITES) {
        const r = await sClientMqtt([
          "-connect",
          `127.0.0.1:${srv.port("ssl", "default")}`,
          "-cipher",
          suite,
          ...psk,
        ]);
        assert.match(r.text, new RegExp(`Cipher is ${suite}`), r.text);
        assert.ok(r.connack, `${suite}: no CONNACK`);
      }
      for (
        const [suite, port, ca] of [
          ...ECDSA_SUITES.map((s) =>
            [s, srv.port("ssl", "default"), fx.certs.root.certPath] as const
          ),
          ...RSA_SUITES.map((s) =>
            [s, srv.port("ssl", "rsa"), rsa.caPath] as const
          ),
        ]
      ) {
        const r = await sClientMqtt([
          "-connect",
          `127.0.0.1:${port}`,
          "-servername",
          "localhost",
          "-CAfile",
          ca,
          "-verify_return_error",
          "-cipher",
          suite,
        ]);
        assert.match(r.text, new RegExp(`Cipher is ${suite}`), r.text);
        assert.match(r.text, /Verify return code: 0 \(ok\)/);
        assert.ok(r.connack, `${suite}: no CONNACK`);
      }
      assert.ok(
        srv.lines.some((l) =>
          l.includes('"tls.path"') && l.includes('"engine":"postern"')
        ),
      );
    } finally {
      await srv.close();
    }
  },
});

Deno.test({
  name: "postern TLS engine: client certificates get the right alerts",
  ignore: OPENSSL === undefined,
  async fn() {
    const fx = await pkiFixtures();
    const c = fx.certs;
    const srv = await startEngineServer();
    const dir = await Deno.makeTempDir();
    try {
      const port = srv.port("ssl", "mtls");
      const chain = `${dir}/inter.pem`;
      await Deno.writeTextFile(chain, c.inter.pem);
      const common = [
        "-connect",
        `127.0.0.1:${port}`,
        "-CAfile",
        c.root.certPath,
        "-cert_chain",
        chain,
      ];
      const ok = await sClientMqtt([
        ...common,
        "-cert",
        c.device1.certPath,
        "-key",
        c.device1.keyPath,
      ]);
      assert.ok(ok.connack, ok.text);
      for (
        const [name, alert] of [
          ["leafRsa", /alert unknown ca/],
          ["expired", /alert certificate expired/],
          ["device3", /alert certificate revoked/],
        ] as const
      ) {
        const r = await sClientMqtt([
          ...common,
          "-cert",
          c[name].certPath,
          "-key",
          c[name].keyPath,
        ], { send: false });
        assert.match(r.text, alert, `${name}: ${r.text}`);
      }
      const none = await sClientMqtt(common, { send: false });
      assert.match(none.text, /alert handshake failure/);
      for (
        const alert of [
          "unknown_ca",
          "certificate_expired",
          "certificate_revoked",
        ]
      ) {
        assert.ok(
          srv.lines.some((l) =>
            l.includes("tls.handshake_failed") && l.includes(alert)
          ),
          alert,
        );
      }
    } finally {
      await srv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "postern TLS engine: a client certificate without its private key is refused (decrypt_error)",
  async fn() {
    const fx = await pkiFixtures();
    const c = fx.certs;
    const srv = await startEngineServer();
    try {
      const inter = certificatesOf(c.inter.pem);
      const trustAnchors = certificatesOf(c.root.pem);
      const good = await certifiedKey(c.device1.certPath, c.device1.keyPath);
      const ok = await connectTlsClient(srv.port("ssl", "mtls"), {
        trustAnchors,
        certificate: { chain: [...good.chain, ...inter], key: good.key },
      });
      assert.equal(ok.result.ok, true);
      await ok.stream.write(CONNECT);
      const buf = new Uint8Array(16);
      const n = await ok.stream.read(buf);
      assert.deepEqual(buf.subarray(0, n ?? 0), CONNACK);
      ok.stream.close();
      const bad = await mismatchedCertifiedKey(
        c.device1.certPath,
        c.device2.keyPath,
      );
      const refused = await connectTlsClient(srv.port("ssl", "mtls"), {
        trustAnchors,
        certificate: { chain: [...bad.chain, ...inter], key: bad.key },
      });
      assert.equal(refused.result.ok, false);
      assert.deepEqual(
        !refused.result.ok && refused.result.closed.alert,
        { description: 51, name: "decrypt_error", received: true },
      );
    } finally {
      await srv.close();
    }
  },
});

Deno.test({
  name:
    "postern TLS engine: mosquitto_pub --psk delivers to mosquitto_sub --psk",
  ignore: PUB === undefined || SUB === undefined,
  async fn() {
    const srv = await startEngineServer();
    try {
      const args = [
        "-h",
        "127.0.0.1",
        "-p",
        String(srv.port("ssl", "default")),
        "--psk",
        PSK_HEX,
        "--psk-identity",
        "device-1",
      ];
      const sub = spawn(SUB!, [
        ...args,
        "-t",
        "psk/#",
        "-v",
        "-C",
        "1",
        "-W",
        "10",
      ]);
      try {
        for (let i = 0; i < 50; i++) {
          if (srv.lines.some((l) => l.includes("mqtt.client_connected"))) break;
          await delay(100);
        }
        await delay(200);
        const pub = await run(PUB!, [
          ...args,
          "-t",
          "psk/t",
          "-m",
          "over-psk",
          "-q",
          "1",
        ]);
        assert.equal(pub.code, 0, pub.stderr);
        const out = await sub.result;
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout.trim(), "psk/t over-psk");
      } finally {
        sub.kill();
        await sub.result.catch(() => {});
      }
      assert.ok(
        srv.lines.some((l) =>
          l.includes("tls.established") && l.includes("psk:device-1")
        ),
      );
    } finally {
      await srv.close();
    }
  },
});

Deno.test({
  name:
    "postern TLS engine: protocol_version for TLS 1.3-only and 1.1-only clients, no_renegotiation",
  ignore: OPENSSL === undefined,
  async fn() {
    const srv = await startEngineServer();
    try {
      const port = srv.port("ssl", "default");
      for (const flag of ["-tls1_3", "-tls1_1"]) {
        const child = await run(OPENSSL!, [
          "s_client",
          flag,
          "-connect",
          `127.0.0.1:${port}`,
          "-psk",
          PSK_HEX,
        ]);
        assert.match(child.stdout + child.stderr, /alert protocol version/);
      }
      assert.equal(
        srv.lines.filter((l) =>
          l.includes("tls.handshake_failed") && l.includes("protocol_version")
        ).length,
        2,
      );
      const client = spawnSClient("-tls1_2", [
        "-connect",
        `127.0.0.1:${port}`,
        "-psk",
        PSK_HEX,
        "-psk_identity",
        "device-1",
        "-cipher",
        "PSK-AES128-GCM-SHA256",
        "-msg",
      ]);
      try {
        assert.ok(await client.readUntil("Verify return code"), client.stdout);
        await client.write("R\n");
        assert.ok(
          await client.readUntil((out) =>
            /Alert \[length 0002\], warning no_renegotiation/.test(out)
          ),
          client.stdout,
        );
      } finally {
        await client.stop();
      }
    } finally {
      await srv.close();
    }
  },
});

Deno.test("postern TLS engine: reads a PROXY protocol header before the handshake", async () => {
  const fx = await pkiFixtures();
  const srv = await startEngineServer();
  try {
    const conn = await connectTlsClient(srv.port("ssl", "proxied"), {
      trustAnchors: certificatesOf(fx.certs.root.pem),
    }, {
      prefix: new TextEncoder().encode(
        "PROXY TCP4 198.51.100.7 192.0.2.1 40000 8883\r\n",
      ),
    });
    assert.equal(conn.result.ok, true);
    await conn.stream.write(CONNECT);
    const buf = new Uint8Array(16);
    const n = await conn.stream.read(buf);
    assert.deepEqual(buf.subarray(0, n ?? 0), CONNACK);
    conn.stream.close();
    assert.ok(
      srv.lines.some((l) =>
        l.includes("tls.established") && l.includes("198.51.100.7:40000")
      ),
    );
  } finally {
    await srv.close();
  }
});
