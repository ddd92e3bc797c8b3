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
import { loadConfig } from "../../src/config/mod.ts";
import { startServer } from "../../src/server.ts";
import { Logger } from "../../src/log/mod.ts";
import { encodePacket } from "../../src/mqtt/mod.ts";
import { delay, findPeer, run, spawn } from "../net/_support.ts";
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

interface Running {
  port(name: string): number;
  lines: string[];
  close(): Promise<void>;
}

async function startEngineServer(): Promise<Running> {
  const fx = await pkiFixtures();
  const rsa = await rsaFixtures();
  const dir = await Deno.makeTempDir({ prefix: "postern-tls-engine-" });
  await Deno.writeTextFile(`${dir}/psk.txt`, `device-1:${PSK_HEX}\n`);
  const c = fx.certs;
  const base = {
    certfile: fx.serverChainPath,
    keyfile: c.server.keyPath,
  };
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      data_dir: `${dir}/data`,
      psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
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
    }),
  });
  assert.deepEqual(errors, []);
  const lines: string[] = [];
  const server = await startServer(config, {
    logger: new Logger({
      format: "json",
      level: "debug",
      sink: (l) => {
        if (lines.length < 20_000) lines.push(l);
      },
    }),
  });
  return {
    lines,
    port(name) {
      const l = server.listeners.find((x) =>
        x.family === "ssl" && x.name === name
      );
      assert.ok(l, `no ssl/${name} listener`);
      return l.address.port;
    },
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const CONNECT = encodePacket({
  type: "connect",
  protocolVersion: 4,
  clean: true,
  keepAlive: 30,
  clientId: "s-client",
}, 4);
const DISCONNECT = new Uint8Array([0xe0, 0]);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/** Runs s_client with an MQTT CONNECT + DISCONNECT on stdin. */
async function sClient(args: string[], stdin = true) {
  const child = new Deno.Command(OPENSSL!, {
    args: ["s_client", "-tls1_2", "-ign_eof", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill();
    } catch {
      // exited
    }
  }, 10_000);
  const w = child.stdin.getWriter();
  if (stdin) {
    await delay(300);
    await w.write(CONNECT).catch(() => {});
    await delay(200);
    await w.write(DISCONNECT).catch(() => {});
  }
  await w.close().catch(() => {});
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return { stdout: out.stdout, text };
}

const CONNACK = new Uint8Array([0x20, 0x02, 0x00, 0x00]);

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
        const r = await sClient([
          "-connect",
          `127.0.0.1:${srv.port("default")}`,
          "-cipher",
          suite,
          ...psk,
        ]);
        assert.match(r.text, new RegExp(`Cipher is ${suite}`), r.text);
        assert.ok(contains(r.stdout, CONNACK), `${suite}: no CONNACK`);
      }
      for (
        const [suite, port, ca] of [
          ...ECDSA_SUITES.map((s) =>
            [s, srv.port("default"), fx.certs.root.certPath] as const
          ),
          ...RSA_SUITES.map((s) => [s, srv.port("rsa"), rsa.caPath] as const),
        ]
      ) {
        const r = await sClient([
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
        assert.ok(contains(r.stdout, CONNACK), `${suite}: no CONNACK`);
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
      const port = srv.port("mtls");
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
      const ok = await sClient([
        ...common,
        "-cert",
        c.device1.certPath,
        "-key",
        c.device1.keyPath,
      ]);
      assert.ok(contains(ok.stdout, CONNACK), ok.text);
      for (
        const [name, alert] of [
          ["leafRsa", /alert unknown ca/],
          ["expired", /alert certificate expired/],
          ["device3", /alert certificate revoked/],
        ] as const
      ) {
        const r = await sClient([
          ...common,
          "-cert",
          c[name].certPath,
          "-key",
          c[name].keyPath,
        ], false);
        assert.match(r.text, alert, `${name}: ${r.text}`);
      }
      const none = await sClient(common, false);
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
      const ok = await connectTlsClient(srv.port("mtls"), {
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
      const refused = await connectTlsClient(srv.port("mtls"), {
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
        String(srv.port("default")),
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
      const port = srv.port("default");
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
      const child = new Deno.Command(OPENSSL!, {
        args: [
          "s_client",
          "-tls1_2",
          "-connect",
          `127.0.0.1:${port}`,
          "-psk",
          PSK_HEX,
          "-psk_identity",
          "device-1",
          "-cipher",
          "PSK-AES128-GCM-SHA256",
          "-msg",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await delay(500);
      await w.write(new TextEncoder().encode("R\n"));
      await delay(500);
      await w.close();
      const out = await child.output();
      assert.match(
        new TextDecoder().decode(out.stdout),
        /Alert \[length 0002\], warning no_renegotiation/,
      );
    } finally {
      await srv.close();
    }
  },
});

Deno.test("postern TLS engine: reads a PROXY protocol header before the handshake", async () => {
  const fx = await pkiFixtures();
  const srv = await startEngineServer();
  try {
    const conn = await connectTlsClient(srv.port("proxied"), {
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
