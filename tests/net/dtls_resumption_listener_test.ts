/**
 * Session resumption on the `dtls` listener that `postern serve` builds:
 * PSK and two-way certificate sessions resume, and a credential removed or
 * revoked in the store (by another store handle, as `postern psk rm` /
 * `postern cert revoke` would) leaves no session behind to resume.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { certsCommand } from "../../cli/certs.ts";
import { KvStore } from "../../src/auth/mod.ts";
import { connectDtls } from "../../src/net/udp.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import type {
  ClientHandshakeConfig,
  EstablishedSession,
} from "../../src/tls/handshake/types.ts";

const PSK = new Uint8Array(16).fill(0x5a);

async function once(
  port: number,
  client: ClientHandshakeConfig,
): Promise<EstablishedSession> {
  const conn = await connectDtls({
    hostname: "127.0.0.1",
    port,
    client,
    handshakeTimeoutMs: 5000,
  });
  const session = conn.session;
  await conn.close();
  return session;
}

Deno.test("dtls listener resumes PSK and certificate sessions until their credential is revoked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-dtls-resume-" });
  const log = console.log;
  console.log = () => {};
  await certsCommand(["init", "--dir", `${dir}/certs`]);
  console.log = log;
  const seed = await KvStore.openDataDir(`${dir}/data`, { watch: false });
  await seed.addPsk("device-1", PSK);
  await seed.close();
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      data_dir: `${dir}/data`,
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
        dtls: {
          default: {
            bind: "127.0.0.1:0",
            dtls_options: {
              certfile: `${dir}/certs/server.pem`,
              keyfile: `${dir}/certs/server_key.pem`,
              cacertfile: `${dir}/certs/ca.pem`,
            },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors, []);
  const server = await startServer(config, {
    logger: new Logger({ sink: () => {} }),
  });
  const store = await KvStore.openDataDir(`${dir}/data`, { watch: false });
  try {
    const port = server.listeners.find((l) => l.family === "dtls")!.address
      .port;
    const read = (f: string) => Deno.readTextFileSync(`${dir}/certs/${f}`);
    const psk: ClientHandshakeConfig = {
      psk: { identity: "device-1", key: PSK },
    };
    const x509: ClientHandshakeConfig = {
      trustAnchors: parseCertificatePem(read("ca.pem")),
      certificate: {
        chain: parseCertificatePem(read("client.pem")),
        key: loadPrivateKey(read("client_key.pem")),
      },
    };
    const pskSession = (await once(port, psk)).resumable;
    const certSession = (await once(port, x509)).resumable;
    assert.ok(pskSession !== undefined && certSession !== undefined);
    assert.equal(
      (await once(port, { ...psk, session: pskSession })).resumed,
      true,
    );
    const resumedCert = await once(port, { ...x509, session: certSession });
    assert.equal(resumedCert.resumed, true);
    assert.equal(
      resumedCert.identity?.kind,
      "x509",
      "the server's certificate",
    );

    await store.removePsk("device-1");
    await store.revokeCertificate({ cn: "device-1" });
    await new Promise((r) => setTimeout(r, 1500));
    // the PSK session is gone: the full handshake then fails on the identity
    await assert.rejects(once(port, { ...psk, session: pskSession }));
    // the certificate session is gone from the cache
    const after = await once(port, { ...x509, session: certSession });
    assert.notEqual(after.resumed, true);
  } finally {
    await store.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
