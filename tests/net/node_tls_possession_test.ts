/**
 * Proof of possession on the `node:tls` client-certificate path
 * (`verify_peer` `ssl` listener, `node_tls_listener.ts`): postern's own TLS
 * client presents a valid, trusted client certificate but signs
 * CertificateVerify with another key of the same type. Deno's TLS server
 * (rustls) refuses the handshake with decrypt_error, as postern's engine
 * does, and no CONNACK is ever sent; the same client with the matching key
 * gets its CONNACK (the control). The engine's
 * counterpart is in `tests/interop/tls_engine_test.ts`.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { startServer } from "../../src/server.ts";
import { Logger } from "../../src/log/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import { bounded, CONNECT } from "../support/mqtt_tls.ts";
import type { CertifiedKey } from "../../src/tls/handshake/types.ts";
import {
  certificatesOf,
  certifiedKey,
  connectTlsClient,
  mismatchedCertifiedKey,
} from "../support/tls_client.ts";

Deno.test("node:tls listener: a client certificate signed for with another key is refused, no CONNACK", async () => {
  const fx = await pkiFixtures();
  const c = fx.certs;
  const dir = await Deno.makeTempDir({ prefix: "postern-node-pop-" });
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      data_dir: `${dir}/data`,
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
        ssl: {
          default: {
            bind: "127.0.0.1:0",
            ssl_options: {
              certfile: fx.serverChainPath,
              keyfile: c.server.keyPath,
              verify: "verify_peer",
              cacertfile: c.root.certPath,
              fail_if_no_peer_cert: true,
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
      sink: (l) => lines.push(l),
    }),
  });
  try {
    assert.ok(
      lines.some((l) => l.includes('"tls.path"') && l.includes('"node"')),
    );
    const port = server.listeners.find((l) => l.family === "ssl")!.address
      .port;
    const inter = certificatesOf(c.inter.pem);
    const trustAnchors = certificatesOf(c.root.pem);
    /** Handshake, CONNECT, and the first bytes back (none when refused). */
    const attempt = async (key: CertifiedKey) => {
      const conn = await connectTlsClient(port, {
        trustAnchors,
        certificate: { chain: [...key.chain, ...inter], key: key.key },
      });
      const buf = new Uint8Array(16);
      let reply: number[] = [];
      if (conn.result.ok) {
        try {
          await conn.stream.write(CONNECT);
          const n = await bounded(conn.stream.read(buf), 5_000, "a reply");
          reply = [...buf.subarray(0, n ?? 0)];
        } catch {
          // refused: the connection ends without a reply
        }
      }
      conn.stream.close();
      return { result: conn.result, reply };
    };
    const good = await attempt(
      await certifiedKey(c.device1.certPath, c.device1.keyPath),
    );
    assert.equal(good.result.ok, true);
    assert.deepEqual(good.reply, [0x20, 0x02, 0x00, 0x00]);

    const bad = await attempt(
      await mismatchedCertifiedKey(c.device1.certPath, c.device2.keyPath),
    );
    assert.deepEqual(bad.reply, [], "no CONNACK without proof of possession");
    // rustls behind Deno's node:tls answers as postern's engine does
    assert.equal(bad.result.ok, false);
    assert.deepEqual(
      !bad.result.ok && bad.result.closed.alert,
      { description: 51, name: "decrypt_error", received: true },
    );
    assert.ok(lines.some((l) => l.includes('"tls.handshake_failed"')));
    assert.equal(
      lines.filter((l) => l.includes('"mqtt.client_connected"')).length,
      1,
      "only the control connection became an MQTT client",
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
