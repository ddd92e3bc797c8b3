/**
 * The DTLS listener's credentials follow their files: a new CRL file ends
 * the association whose client certificate it revokes (close_notify,
 * `tls.client_certificate_revoked`) and refuses that certificate's next
 * handshake, while other associations go on; with `enable_crl_check` and
 * no `crlfile`, a distribution point's CRL fetched after the handshake
 * ends the association it revokes. The listener watches its files (no
 * handle on its reloader from outside), so the waits are bounded polls.
 */
import assert from "node:assert/strict";
import { defaultConfig, defaultListener } from "../../src/config/mod.ts";
import type { ListenerConfig, TlsOptions } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { ServiceRegistry } from "../../src/server.ts";
import { dtlsListenerFactory } from "../../src/net/dtls_listener.ts";
import { connectDtls } from "../../src/net/udp.ts";
import { encodePem, parseCertificate } from "../../src/pki/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import { certificatesOf, certifiedKey } from "../support/tls_client.ts";
import {
  bounded,
  deviceWithDistributionPoint,
  makeCrlRevoking,
  writeAtomically,
} from "../support/mqtt_tls.ts";
import { waitFor } from "./_support.ts";

async function start(dir: string, tlsOptions: Partial<TlsOptions>) {
  const f = await pkiFixtures();
  const base = defaultListener("dtls", "default");
  const cfg: ListenerConfig = {
    ...base,
    host: "127.0.0.1",
    port: 0,
    tls: {
      ...base.tls!,
      certFile: f.serverChainPath,
      keyFile: f.certs.server.keyPath,
      caCertFile: f.certs.root.certPath,
      ...tlsOptions,
    },
  };
  const lines: string[] = [];
  const logger = new Logger({
    format: "json",
    level: "debug",
    sink: (l) => lines.push(l),
  });
  const services = new ServiceRegistry(logger);
  const listener = await dtlsListenerFactory(cfg, {
    config: { ...defaultConfig(), dataDir: `${dir}/data` },
    logger,
    services,
  });
  return {
    f,
    lines,
    port: listener.address.port,
    async close() {
      await bounded(listener.close(), 10_000, "the listener to close");
      await services.close();
    },
  };
}

async function device(
  port: number,
  certPath: string,
  keyPath: string,
) {
  const f = await pkiFixtures();
  const key = await certifiedKey(certPath, keyPath);
  return await connectDtls({
    hostname: "127.0.0.1",
    port,
    handshakeTimeoutMs: 10_000,
    client: {
      trustAnchors: certificatesOf(f.certs.root.pem),
      certificate: {
        chain: [...key.chain, ...certificatesOf(f.certs.inter.pem)],
        key: key.key,
      },
    },
  });
}

Deno.test("DTLS listener: a new CRL file ends the association it revokes and refuses its next handshake", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-dtls-crl-" });
  const f = await pkiFixtures();
  const crlFile = `${dir}/clients.crl`;
  await Deno.copyFile(f.interCrl.path, crlFile);
  const s = await start(dir, { enableCrlCheck: true, crlFile });
  try {
    const c = f.certs;
    const revoked = await device(s.port, c.device1.certPath, c.device1.keyPath);
    const other = await device(s.port, c.device2.certPath, c.device2.keyPath);
    const crl = await makeCrlRevoking(
      `${dir}/ca`,
      f,
      parseCertificate(c.device1.der).serial,
    );
    await writeAtomically(crlFile, encodePem("X509 CRL", crl));
    await waitFor(
      () =>
        s.lines.some((l) =>
          l.includes("tls.client_certificate_revoked") &&
          l.includes("device-1")
        ),
      20_000,
      "tls.client_certificate_revoked for device-1",
    );
    assert.equal(
      await bounded(revoked.read(), 10_000, "the association to end"),
      null,
    );
    await assert.rejects(
      device(s.port, c.device1.certPath, c.device1.keyPath),
      /certificate_revoked|revoked/i,
    );
    assert.ok(
      !s.lines.some((l) =>
        l.includes("tls.client_certificate_revoked") &&
        l.includes("device-2")
      ),
    );
    await revoked.close();
    await other.close();
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DTLS listener: a distribution point's CRL fetched after the handshake ends the association it revokes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-dtls-cdp-" });
  const f = await pkiFixtures();
  let crl: Uint8Array = new Uint8Array();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(new Uint8Array(crl)),
  );
  const s = await start(dir, { enableCrlCheck: true });
  try {
    const cdp = await deviceWithDistributionPoint(dir, f, {
      cn: "cdp-dtls",
      serial: 4444,
      crlUrl: `http://127.0.0.1:${http.addr.port}/inter.crl`,
    });
    crl = await makeCrlRevoking(`${dir}/ca`, f, 4444n);
    await Deno.writeTextFile(`${dir}/cdp.crt`, cdp.certPem);
    await Deno.writeTextFile(`${dir}/cdp.key`, cdp.keyPem);
    const conn = await device(s.port, `${dir}/cdp.crt`, `${dir}/cdp.key`);
    assert.equal(
      await bounded(conn.read(), 10_000, "the association to end"),
      null,
    );
    assert.ok(
      s.lines.some((l) =>
        l.includes("tls.client_certificate_revoked") &&
        l.includes("cdp-dtls")
      ),
    );
    await assert.rejects(
      device(s.port, `${dir}/cdp.crt`, `${dir}/cdp.key`),
      /certificate_revoked|revoked/i,
    );
    await conn.close();
  } finally {
    await s.close();
    await http.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
