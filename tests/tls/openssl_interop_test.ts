// Live interop with the installed OpenSSL: its ClientHellos (DTLS over a
// Deno UDP socket, TLS over a Deno TCP listener) decode and re-encode to
// the same bytes, and fresh s_client ↔ s_server handshakes pass the same
// checks as the stored fixtures (messages, master secret, key block,
// Finished, signatures). A missing openssl skips these tests locally and
// fails them in CI (CI=true).
import assert from "node:assert/strict";
import { cipherSuiteByName } from "../../src/tls/cipher_suites.ts";
import {
  decodeClientHello,
  decodeHandshakeHeaderTls,
  encodeClientHello,
} from "../../src/tls/messages/mod.ts";
import { findExtension } from "../../src/tls/extensions/mod.ts";
import { captureAllScenarios, interopTest, within } from "./_openssl.ts";
import {
  checkFinished,
  checkPskMasterSecret,
  checkScenario,
  checkSignatures,
  roundTripAll,
} from "./_golden.ts";

function spawnClient(args: string[]): Deno.ChildProcess {
  return new Deno.Command("openssl", {
    args: ["s_client", ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  await child.stdin.close().catch(() => {});
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  await child.status;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | u16(b, o + 1);
}

interopTest(
  "decodeClientHello() round-trips the first ClientHello of openssl s_client -dtls1_2",
  async () => {
    const sock = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    const port = (sock.addr as Deno.NetAddr).port;
    const client = spawnClient([
      "-dtls1_2",
      "-connect",
      `127.0.0.1:${port}`,
      "-psk",
      "0102",
      "-psk_identity",
      "x",
      "-cipher",
      "PSK-AES128-CCM8",
    ]);
    try {
      const [datagram] = await within(
        sock.receive(),
        10_000,
        "DTLS ClientHello",
      );
      // RFC 6347 §4.1: type, version, epoch u16, sequence_number u48, length u16.
      assert.equal(datagram[0], 22);
      assert.equal(u16(datagram, 3), 0);
      const recordLength = u16(datagram, 11);
      const fragment = datagram.subarray(13, 13 + recordLength);
      // RFC 6347 §4.2.2: msg_type, length u24, message_seq u16,
      // fragment_offset u24, fragment_length u24.
      assert.equal(fragment[0], 1);
      const length = u24(fragment, 1);
      assert.equal(u16(fragment, 4), 0);
      assert.equal(u24(fragment, 6), 0);
      assert.equal(u24(fragment, 9), length);
      const body = fragment.subarray(12, 12 + length);

      const hello = decodeClientHello(body, { dtls: true });
      assert.equal(hello.version, 0xfefd);
      assert.deepEqual(hello.cookie, new Uint8Array(0));
      assert.ok(hello.cipherSuites.includes(0xc0a8));
      assert.ok(findExtension(hello.extensions, "extended_master_secret"));
      assert.deepEqual(encodeClientHello(hello, { dtls: true }), body);
    } finally {
      await stop(client);
      sock.close();
    }
  },
);

interopTest(
  "decodeClientHello() round-trips the ClientHello of openssl s_client over TCP",
  async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const client = spawnClient([
      "-tls1_2",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "broker.example",
      "-cipher",
      "ECDHE-ECDSA-AES128-GCM-SHA256:PSK-AES128-CCM8",
      "-psk",
      "0102",
    ]);
    const conn = await within(listener.accept(), 10_000, "TCP connect");
    try {
      let stream = new Uint8Array(0);
      const buf = new Uint8Array(4096);
      const complete = () =>
        stream.length >= 5 && stream.length >= 5 + u16(stream, 3);
      while (!complete()) {
        const n = await within(conn.read(buf), 10_000, "TLS ClientHello");
        if (n === null) {
          throw new Error("openssl closed before its ClientHello");
        }
        const next = new Uint8Array(stream.length + n);
        next.set(stream);
        next.set(buf.subarray(0, n), stream.length);
        stream = next;
      }
      // RFC 5246 §6.2.1: type, version, length; then the 4-byte handshake header.
      assert.equal(stream[0], 22);
      const record = stream.subarray(5, 5 + u16(stream, 3));
      const header = decodeHandshakeHeaderTls(record);
      assert.equal(header.msgType, 1);
      const body = record.subarray(4, 4 + header.length);
      assert.equal(body.length, header.length);

      const hello = decodeClientHello(body, { dtls: false });
      assert.equal(hello.version, 0x0303);
      assert.equal(hello.cookie, undefined);
      assert.deepEqual(hello.cipherSuites.slice(0, 2), [0xc02b, 0xc0a8]);
      assert.deepEqual(findExtension(hello.extensions, "server_name"), {
        type: "server_name",
        hostName: "broker.example",
      });
      assert.ok(
        findExtension(hello.extensions, "supported_groups")?.groups.includes(
          23,
        ),
      );
      assert.deepEqual(encodeClientHello(hello, { dtls: false }), body);
    } finally {
      conn.close();
      listener.close();
      await stop(client);
    }
  },
);

interopTest(
  "live openssl handshakes decode, re-encode and match the key schedule",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "postern-tls-interop-" });
    try {
      for (const h of await captureAllScenarios(dir)) {
        const f = { ...h, cipherSuite: cipherSuiteByName(h.suite)! };
        checkScenario(f, roundTripAll(f));
        if (f.psk !== undefined && f.suite.startsWith("PSK-")) {
          checkPskMasterSecret(f);
        }
        checkFinished(f);
        await checkSignatures(f);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
