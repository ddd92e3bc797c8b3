// Golden bytes: handshakes captured from OpenSSL 3.0 (see _openssl.ts and
// fixtures/openssl_handshakes.json) decode to what each scenario set up
// and re-encode to the same bytes (pion message_client_hello_test.go).
import assert from "node:assert/strict";
import { decodeHex } from "../../src/bytes/mod.ts";
import {
  decodeClientHello,
  encodeClientHello,
} from "../../src/tls/messages/mod.ts";
import { FIXTURES, messageOf } from "./_fixtures.ts";
import { checkScenario, roundTripAll } from "./_golden.ts";

for (const f of FIXTURES) {
  Deno.test(`decodeHandshakeMessage() round-trips every message OpenSSL sent (${f.name})`, () => {
    checkScenario(f, roundTripAll(f));
  });
}

Deno.test("decodeClientHello() reads the exact extension list of OpenSSL's DTLS ClientHello", () => {
  const f = FIXTURES.find((h) => h.name === "dtls-psk-ccm8-hvr-ems")!;
  const hello = decodeClientHello(messageOf(f, "client", 1).body, {
    dtls: true,
  });
  assert.deepEqual(hello.cipherSuites, [0xc0a8, 0x00ff]);
  assert.deepEqual(
    hello.extensions.map((e) => e.type),
    [
      "session_ticket",
      "encrypt_then_mac",
      "extended_master_secret",
      "signature_algorithms",
    ],
  );
  assert.equal(hello.sessionId.length, 0);
});

Deno.test("encodeClientHello() turns a decoded OpenSSL hello back into the same body", () => {
  // The same bytes as tests/dtls/_fixtures.ts OPENSSL_CLIENT_HELLO_2 (body
  // after the 13-byte record and 12-byte handshake headers).
  const datagram = decodeHex(
    "16feff00000000000000010094010000880001000000000088fefd8833639642e69e070d3a" +
      "6acdf8d00396fec26f3afd8c1647234a293699181d670020abababababababababababab" +
      "abababababababababababababababababababab0004c0a800ff0100003a002300000016" +
      "000000170000000d002a0028040305030603080708080809080a080b0804080508060401" +
      "05010601030303010302040205020602",
  );
  const body = datagram.subarray(25);
  const hello = decodeClientHello(body, { dtls: true });
  assert.deepEqual(hello.cookie, new Uint8Array(32).fill(0xab));
  assert.deepEqual(encodeClientHello(hello, { dtls: true }), body);
});
