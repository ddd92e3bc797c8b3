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
import { listenDtls } from "../../src/net/udp.ts";
import type { PeerAddress } from "../../src/dtls/cookie.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { loadPrivateKey } from "../../src/pki/keys/load.ts";
import { certsCommand } from "../../cli/certs.ts";

const PSK_HEX = "00112233445566778899aabbccddeeff";
const PSK = new Uint8Array(PSK_HEX.match(/../g)!.map((h) => parseInt(h, 16)));

async function hasOpenssl(): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args: ["version"] }).output())
      .success;
  } catch {
    if (Deno.env.get("CI") === "true") {
      throw new Error("openssl is required when CI=true");
    }
    return false;
  }
}

const available = await hasOpenssl();
const dir = await Deno.makeTempDir();
const log = console.log;
console.log = () => {};
await certsCommand(["init", "--dir", dir]);
console.log = log;
const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
const certificate = {
  // the chain with the CA makes the Certificate message span several records
  chain: [
    ...parseCertificatePem(read("server.pem")),
    ...parseCertificatePem(read("ca.pem")),
  ],
  key: loadPrivateKey(read("server_key.pem")),
};
await Deno.remove(dir, { recursive: true });

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
      const line = "ping";
      const child = new Deno.Command("openssl", {
        args: [
          "s_client",
          "-dtls1_2",
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
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const kill = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 10_000);
      try {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(line + "\n"));
        const reader = child.stdout.getReader();
        let out = "";
        while ((out.match(/x/g)?.length ?? 0) < 1400) {
          const { value, done } = await reader.read();
          if (done) break;
          out += new TextDecoder().decode(value);
        }
        reader.releaseLock();
        assert.equal(out.match(/x/g)?.length, 1400, "the whole echo came back");
        assert.ok(peer !== undefined);
        const association = server.endpoint.association(peer);
        assert.equal(association?.recordLayer?.maxFragmentLength, 512);
        assert.equal(association?.maxRecordPlaintext, 512);
        await writer.close().catch(() => {});
      } finally {
        clearTimeout(kill);
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
        await child.stdout.cancel().catch(() => {});
        await child.stderr.cancel().catch(() => {});
        await child.status;
        await server.close();
      }
    },
  });
}
