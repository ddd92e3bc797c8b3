/**
 * max_fragment_length (RFC 6066 §4) against OpenSSL over real UDP:
 * `openssl s_client -dtls1_2 -maxfraglen 512` negotiates 512 with our
 * server, and our server's records (handshake flight, and 1400 bytes of
 * data in three records) stay within it, which OpenSSL enforces with
 * record_overflow. With `CI=true` a
 * missing openssl fails the test. (OpenSSL 3.0 has no record_size_limit,
 * RFC 8449, for TLS 1.2 / DTLS 1.2; that is covered in memory.)
 */
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import type { PeerAddress } from "../../src/dtls/cookie.ts";
import { listenDtls } from "../../src/net/udp.ts";
import { devCerts } from "../net/_support.ts";
import { opensslAvailable } from "../support/openssl.ts";
import { spawnSClient } from "../support/openssl_peers.ts";
import { certificatesOf, certifiedKey } from "../support/tls_client.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = decodeHex(PSK_HEX);

const available = await opensslAvailable();
const certs = await devCerts();
const serverKey = await certifiedKey(
  `${certs}/server.pem`,
  `${certs}/server_key.pem`,
);
const certificate = {
  // the chain with the CA makes the Certificate message span several records
  chain: [
    ...serverKey.chain,
    ...certificatesOf(await Deno.readTextFile(`${certs}/ca.pem`)),
  ],
  key: serverKey.key,
};

for (const cipher of ["PSK-AES128-CCM8", "ECDHE-ECDSA-AES128-CCM8"]) {
  Deno.test({
    name:
      `openssl s_client -maxfraglen 512 gets 512-byte records from our DTLS server (${cipher})`,
    ignore: !available,
    async fn() {
      let peer: PeerAddress | undefined;
      const server = listenDtls({
        hostname: "127.0.0.1",
        port: 0,
        endpoint: { handshake: { psk: () => PSK, certificate } },
        onEvent: (e) => {
          if (e.event.kind === "established") peer = e.peer;
        },
        // OpenSSL's DTLS refuses to write more than the fragment length at
        // once; our server answers a short line with 1400 bytes, split
        onData: (p) =>
          server.send(p, new TextEncoder().encode("x".repeat(1400))),
      });
      const client = spawnSClient("-dtls1_2", [
        "-connect",
        `127.0.0.1:${server.addr.port}`,
        "-psk",
        PSK_HEX,
        "-psk_identity",
        "device-1",
        "-cipher",
        cipher,
        "-maxfraglen",
        "512",
        "-quiet",
      ]);
      const xs = (out: string) => out.match(/x/g)?.length ?? 0;
      try {
        await client.write("ping\n");
        await client.readUntil((out) => xs(out) >= 1400);
        assert.equal(xs(client.stdout), 1400, "the whole echo came back");
        assert.ok(peer !== undefined);
        const association = server.endpoint.association(peer);
        assert.equal(association?.recordLayer?.maxFragmentLength, 512);
        assert.equal(association?.maxRecordPlaintext, 512);
      } finally {
        await client.stop();
        await server.close();
      }
    },
  });
}
