import assert from "node:assert/strict";
import { AlertDescription, TlsAlertError } from "../../src/tls/alert.ts";
import type { KeyExchange } from "../../src/tls/cipher_suites.ts";
import {
  CHANGE_CIPHER_SPEC,
  expectedMessages,
  expectNext,
  type FlowKey,
  HANDSHAKE_FLOWS,
  handshakeOrder,
  type IncomingMessage,
  isOrderComplete,
  type OrderState,
  startOrder,
} from "../../src/tls/handshake_order.ts";
import { HandshakeType as H } from "../../src/tls/handshake_type.ts";
import { FIXTURES, messagesOf } from "./_fixtures.ts";

const CCS = CHANGE_CIPHER_SPEC;
const KXS: KeyExchange[] = ["psk", "ecdhe_psk", "ecdhe_ecdsa", "ecdhe_rsa"];

function isUnexpected(e: unknown): boolean {
  return e instanceof TlsAlertError &&
    e.description === AlertDescription.unexpected_message;
}

/** Every required message of a flow, in order. */
function required(key: FlowKey): IncomingMessage[] {
  return handshakeOrder(key).filter((s) => !s.optional).map((s) => s.message);
}

function run(key: FlowKey, messages: IncomingMessage[]): OrderState {
  let s = startOrder(handshakeOrder(key));
  for (const m of messages) s = expectNext(s, m);
  return s;
}

const keys: FlowKey[] = [];
for (const role of ["server", "client"] as const) {
  for (const kx of KXS) {
    for (const clientAuth of [false, true]) {
      for (const resumption of [false, true]) {
        for (const dtls of [false, true]) {
          keys.push({ role, kx, clientAuth, resumption, dtls });
        }
      }
    }
  }
}

Deno.test("handshakeOrder() has the RFC 5246 §7.3 sequence for all 64 combinations", () => {
  for (const key of keys) {
    const certificates = key.kx === "ecdhe_ecdsa" || key.kx === "ecdhe_rsa";
    let expected: IncomingMessage[];
    if (key.role === "server") {
      expected = key.resumption
        ? [H.client_hello, CCS, H.finished]
        : key.clientAuth && certificates
        ? [
          H.client_hello,
          H.certificate,
          H.client_key_exchange,
          CCS,
          H.finished,
        ]
        : [H.client_hello, H.client_key_exchange, CCS, H.finished];
    } else {
      expected = key.resumption
        ? [H.server_hello, CCS, H.finished]
        : key.kx === "psk"
        ? [H.server_hello, H.server_hello_done, CCS, H.finished]
        : key.kx === "ecdhe_psk"
        ? [
          H.server_hello,
          H.server_key_exchange,
          H.server_hello_done,
          CCS,
          H.finished,
        ]
        : [
          H.server_hello,
          H.certificate,
          H.server_key_exchange,
          H.server_hello_done,
          CCS,
          H.finished,
        ];
    }
    assert.deepEqual(required(key), expected, JSON.stringify(key));
    const steps = handshakeOrder(key).map((s) => s.message);
    assert.equal(
      steps.includes(H.hello_verify_request),
      key.dtls && key.role === "client",
    );
    assert.ok(isOrderComplete(run(key, expected)), JSON.stringify(key));
  }
});

Deno.test("handshakeOrder() marks the optional messages", () => {
  const optional = (key: FlowKey) =>
    handshakeOrder(key).filter((s) => s.optional).map((s) => s.message);
  const base = { clientAuth: false, resumption: false, dtls: false };
  assert.deepEqual(optional({ ...base, role: "client", kx: "psk" }), [
    H.server_key_exchange,
  ]);
  assert.deepEqual(optional({ ...base, role: "client", kx: "ecdhe_psk" }), []);
  assert.deepEqual(optional({ ...base, role: "client", kx: "ecdhe_ecdsa" }), [
    H.certificate_status,
    H.certificate_request,
  ]);
  assert.deepEqual(
    optional({ ...base, role: "client", kx: "ecdhe_rsa", dtls: true }),
    [
      H.hello_verify_request,
      H.certificate_status,
      H.certificate_request,
    ],
  );
  assert.deepEqual(
    optional({ ...base, role: "server", kx: "ecdhe_ecdsa", clientAuth: true }),
    [
      H.certificate_verify,
    ],
  );
});

Deno.test("expectNext() throws unexpected_message for a message out of order", () => {
  const key: FlowKey = {
    role: "client",
    kx: "ecdhe_ecdsa",
    clientAuth: false,
    resumption: false,
    dtls: true,
  };
  const s = startOrder(handshakeOrder(key), { after: H.server_hello });
  assert.throws(() => expectNext(s, H.server_key_exchange), isUnexpected);
  assert.throws(() => expectNext(s, H.server_hello), isUnexpected);
  assert.throws(() => expectNext(s, CCS), isUnexpected);
  const afterCert = expectNext(s, H.certificate);
  assert.throws(
    () => expectNext(afterCert, H.certificate_request),
    isUnexpected,
  );
  assert.throws(() => expectNext(afterCert, H.certificate), isUnexpected);
});

Deno.test("expectNext() skips optional steps but not required ones", () => {
  const key: FlowKey = {
    role: "client",
    kx: "psk",
    clientAuth: false,
    resumption: false,
    dtls: true,
  };
  let s = startOrder(handshakeOrder(key));
  assert.deepEqual(expectedMessages(s), [
    H.hello_verify_request,
    H.server_hello,
  ]);
  s = expectNext(s, H.server_hello);
  assert.throws(() => expectNext(s, H.hello_verify_request), isUnexpected);
  s = expectNext(s, H.server_hello_done);
  assert.equal(isOrderComplete(s), false);
  assert.throws(() => expectNext(s, H.finished), isUnexpected);
  s = expectNext(expectNext(s, CCS), H.finished);
  assert.equal(isOrderComplete(s), true);
  assert.throws(
    () => expectNext(s, H.finished),
    (e: unknown) =>
      isUnexpected(e) && /after the handshake ended/.test((e as Error).message),
  );
});

Deno.test("expectNext() names what it expected in the error", () => {
  const s = startOrder(HANDSHAKE_FLOWS.serverFullClientAuth, {
    after: H.client_hello,
  });
  assert.throws(
    () => expectNext(s, H.client_key_exchange),
    (e: unknown) =>
      isUnexpected(e) && /expected certificate\b/.test((e as Error).message),
  );
  const afterCke = expectNext(
    expectNext(s, H.certificate),
    H.client_key_exchange,
  );
  assert.deepEqual(expectedMessages(afterCke), [H.certificate_verify, CCS]);
  assert.ok(isOrderComplete(expectNext(expectNext(afterCke, CCS), H.finished)));
});

Deno.test("startOrder() refuses to start after a message the flow does not have", () => {
  assert.throws(
    () => startOrder(HANDSHAKE_FLOWS.clientFullPsk, { after: H.certificate }),
    TypeError,
  );
});

Deno.test("handshakeOrder() accepts the messages OpenSSL sent in every captured handshake", () => {
  for (const f of FIXTURES) {
    const all = messagesOf(f);
    for (const role of ["client", "server"] as const) {
      const key: FlowKey = {
        role,
        kx: f.cipherSuite.kx,
        clientAuth: all.some((m) => m.type === H.certificate_request),
        resumption: false,
        dtls: f.dtls,
      };
      const incoming = all
        .filter((m) => m.from !== role && m.type !== H.new_session_ticket)
        .map((m) => m.type as IncomingMessage);
      // The server's flow starts at the ClientHello that carried the cookie.
      const start = role === "server" && f.dtls
        ? incoming.lastIndexOf(H.client_hello)
        : 0;
      const s = run(key, [...incoming.slice(start), CCS, H.finished]);
      assert.ok(isOrderComplete(s), `${f.name} ${role}`);
    }
  }
});
