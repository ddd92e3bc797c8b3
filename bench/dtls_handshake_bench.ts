/**
 * DTLS handshake cost, in memory (no sockets): a full PSK handshake with the
 * cookie exchange through the server endpoint, and an ECDHE-ECDSA one-way
 * handshake. Each iteration runs client and server; compare with OpenSSL's
 * ≈0.14 ms per ECDHE-ECDSA server handshake (ANCHORS.md). Server-only
 * times, records/s, idle memory and the libcoap comparison come from
 * `bench/dtls_load.ts` (see the DTLS section of `bench/README.md`).
 */
import { DtlsServerEndpoint } from "../src/dtls/endpoint.ts";
import { DtlsAssociation } from "../src/dtls/association.ts";
import { certsCommand } from "../cli/certs.ts";
import { parseCertificatePem } from "../src/pki/mod.ts";
import { loadPrivateKey } from "../src/pki/keys/load.ts";
import type {
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../src/tls/handshake/types.ts";

const KEY = new Uint8Array(16).fill(1);
const dir = await Deno.makeTempDir();
const log = console.log;
console.log = () => {};
await certsCommand(["init", "--dir", dir]);
console.log = log;
const ca = parseCertificatePem(Deno.readTextFileSync(`${dir}/ca.pem`));
const certificate = {
  chain: parseCertificatePem(Deno.readTextFileSync(`${dir}/server.pem`)),
  key: loadPrivateKey(Deno.readTextFileSync(`${dir}/server_key.pem`)),
};
await Deno.remove(dir, { recursive: true });

let port = 1;
async function once(
  server: ServerHandshakeConfig,
  client: ClientHandshakeConfig,
): Promise<void> {
  const endpoint = new DtlsServerEndpoint({ handshake: server });
  const c = new DtlsAssociation({ role: "client", client });
  const peer = { hostname: "192.0.2.1", port: port++ };
  const now = Date.now();
  c.start(now);
  for (let i = 0; i < 10 && !c.established; i++) {
    for (let d; (d = c.pollTransmit()) !== undefined;) {
      await endpoint.handleInput(now, d, peer);
    }
    for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
      await c.handleInput(now, t.bytes);
    }
  }
  if (!c.established) throw new Error("handshake failed");
}

Deno.bench(
  "DTLS PSK-AES128-CCM8 full handshake with cookie (client+server)",
  async () => {
    await once({ psk: () => KEY }, { psk: { identity: "d", key: KEY } });
  },
);

Deno.bench(
  "DTLS ECDHE-ECDSA-AES128-CCM8 one-way handshake with cookie (client+server)",
  async () => {
    await once(
      { certificate, cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"] },
      { trustAnchors: ca, cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"] },
    );
  },
);
