/**
 * OCSP stapling (RFC 6066 §8) through the handshake machines, in memory:
 * a client that sends status_request gets the server's staple in a
 * CertificateStatus right after the Certificate; without the request, without
 * a staple or with a PSK suite there is neither an acknowledgement nor a
 * CertificateStatus; the client refuses a CertificateStatus or an
 * acknowledgement it did not ask for.
 */
import assert from "node:assert/strict";
import { ServerHandshake } from "../../../src/tls/handshake/server.ts";
import { ClientHandshake } from "../../../src/tls/handshake/client.ts";
import type {
  ClientHandshakeConfig,
  EstablishedSession,
  HandshakeAction,
  HandshakeInput,
  ServerHandshakeConfig,
} from "../../../src/tls/handshake/types.ts";
import {
  decodeCertificateStatus,
  decodeServerHello,
  encodeCertificateStatus,
  encodeHandshakeTls,
  encodeServerHello,
} from "../../../src/tls/messages/mod.ts";
import { findExtension } from "../../../src/tls/extensions/extensions.ts";
import { HandshakeType } from "../../../src/tls/handshake_type.ts";
import { AlertDescription, TlsAlertError } from "../../../src/tls/alert.ts";
import { generateEcKeyPair } from "../../../src/crypto/mod.ts";
import { issueCertificate, parseCertificate } from "../../../src/pki/mod.ts";

const layer = { dtls: false, frame: encodeHandshakeTls };
const NOW = Date.now();
const SUITE = "ECDHE-ECDSA-AES128-GCM-SHA256";
const STAPLE = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);

const caKey = await generateEcKeyPair("P-256");
const ca = parseCertificate(
  await issueCertificate({
    subject: { CN: "stapling test CA" },
    subjectKey: caKey,
    now: NOW,
    days: 1,
    ca: true,
  }),
);
const serverKey = await generateEcKeyPair("P-256");
const serverCert = parseCertificate(
  await issueCertificate({
    subject: { CN: "localhost" },
    subjectKey: serverKey,
    issuer: { name: ca.subject.raw, key: caKey },
    now: NOW,
    days: 1,
    extKeyUsage: ["serverAuth"],
    subjectAltNames: ["DNS:localhost"],
  }),
);
const certificate = { chain: [serverCert], key: serverKey };

const CCS: HandshakeInput = { kind: "change_cipher_spec" };

function inputs(actions: readonly HandshakeAction[]): HandshakeInput[] {
  const out: HandshakeInput[] = [];
  for (const a of actions) {
    if (a.kind === "message") out.push(a);
    if (a.kind === "change_cipher_spec") out.push(CCS);
  }
  return out;
}

async function feedAll(
  m: ServerHandshake | ClientHandshake,
  list: readonly HandshakeInput[],
): Promise<HandshakeAction[]> {
  const out: HandshakeAction[] = [];
  for (const i of list) out.push(...await m.handle(NOW, i));
  return out;
}

function established(actions: readonly HandshakeAction[]): EstablishedSession {
  const a = actions.find((x) => x.kind === "established");
  assert.ok(a?.kind === "established");
  return a.session;
}

/** Runs a whole handshake; returns flight 4's message types and both sessions. */
async function handshake(
  server: Partial<ServerHandshakeConfig>,
  client: Partial<ClientHandshakeConfig>,
) {
  const s = new ServerHandshake(
    { certificate, cipherSuites: [SUITE], ...server },
    layer,
  );
  const c = new ClientHandshake(
    { trustAnchors: [ca], cipherSuites: [SUITE], ...client },
    layer,
  );
  const f4 = inputs(await s.handle(NOW, inputs(c.start())[0]!));
  const f5 = await feedAll(c, f4);
  const f6 = await feedAll(s, inputs(f5));
  const done = await feedAll(c, inputs(f6));
  const hello = f4[0]!.kind === "message"
    ? decodeServerHello(f4[0]!.body)
    : undefined;
  return {
    f4,
    types: f4.map((i) => i.kind === "message" ? i.type : "ccs"),
    acknowledged: findExtension(hello!.extensions, "status_request") !==
      undefined,
    server: established(f6),
    client: established(done),
  };
}

Deno.test("ServerHandshake staples the response after Certificate and ClientHandshake exposes it", async () => {
  let asked = 0;
  const r = await handshake({
    ocspStaple: () => {
      asked++;
      return STAPLE;
    },
  }, { requestOcspStaple: true });
  assert.equal(asked, 1);
  assert.ok(r.acknowledged);
  assert.deepEqual(r.types, [
    HandshakeType.server_hello,
    HandshakeType.certificate,
    HandshakeType.certificate_status,
    HandshakeType.server_key_exchange,
    HandshakeType.server_hello_done,
  ]);
  const status = r.f4[2]!;
  assert.ok(status.kind === "message");
  assert.deepEqual(decodeCertificateStatus(status.body).ocspResponse, STAPLE);
  assert.deepEqual(r.client.ocspResponse, STAPLE);
  assert.equal(r.server.ocspResponse, undefined);
});

Deno.test("ServerHandshake sends no CertificateStatus to a client that did not ask", async () => {
  let asked = 0;
  const r = await handshake({
    ocspStaple: () => {
      asked++;
      return STAPLE;
    },
  }, {});
  assert.equal(asked, 0);
  assert.equal(r.acknowledged, false);
  assert.ok(!r.types.includes(HandshakeType.certificate_status));
  assert.equal(r.client.ocspResponse, undefined);
});

Deno.test("ServerHandshake neither acknowledges nor staples when it has no response", async () => {
  for (const server of [{}, { ocspStaple: () => undefined }]) {
    const r = await handshake(server, { requestOcspStaple: true });
    assert.equal(r.acknowledged, false);
    assert.ok(!r.types.includes(HandshakeType.certificate_status));
    assert.equal(r.client.ocspResponse, undefined);
  }
});

Deno.test("ServerHandshake staples nothing with a PSK suite", async () => {
  const key = new Uint8Array(16).fill(3);
  const s = new ServerHandshake({
    psk: () => key,
    certificate,
    ocspStaple: () => STAPLE,
  }, layer);
  const c = new ClientHandshake({
    psk: { identity: "dev", key },
    cipherSuites: ["PSK-AES128-GCM-SHA256", SUITE],
    trustAnchors: [ca],
    requestOcspStaple: true,
  }, layer);
  const f4 = await s.handle(NOW, inputs(c.start())[0]!);
  const hello = f4[0]!;
  assert.ok(hello.kind === "message");
  assert.equal(
    findExtension(decodeServerHello(hello.body).extensions, "status_request"),
    undefined,
  );
  assert.ok(
    !f4.some((a) =>
      a.kind === "message" && a.type === HandshakeType.certificate_status
    ),
  );
});

/** Flight 4 of a stapling server, with the ServerHello's extensions edited. */
async function flight4WithHello(
  edit: (hello: ReturnType<typeof decodeServerHello>) => Uint8Array,
  client: Partial<ClientHandshakeConfig>,
) {
  const s = new ServerHandshake(
    { certificate, cipherSuites: [SUITE], ocspStaple: () => STAPLE },
    layer,
  );
  const asking = new ClientHandshake(
    { trustAnchors: [ca], cipherSuites: [SUITE], requestOcspStaple: true },
    layer,
  );
  const f4 = inputs(await s.handle(NOW, inputs(asking.start())[0]!));
  const first = f4[0]!;
  assert.ok(first.kind === "message");
  const body = edit(decodeServerHello(first.body));
  f4[0] = {
    kind: "message",
    type: HandshakeType.server_hello,
    body,
    framed: encodeHandshakeTls(HandshakeType.server_hello, body),
  };
  const c = new ClientHandshake(
    { trustAnchors: [ca], cipherSuites: [SUITE], ...client },
    layer,
  );
  c.start();
  return { c, f4 };
}

async function rejects(p: Promise<unknown>, description: number) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TlsAlertError, String(err));
    assert.equal(err.description, description, err.message);
    return true;
  });
}

Deno.test("ClientHandshake refuses a CertificateStatus after a ServerHello without status_request", async () => {
  const { c, f4 } = await flight4WithHello(
    (hello) =>
      encodeServerHello({
        ...hello,
        extensions: hello.extensions.filter((e) => e.type !== "status_request"),
      }),
    { requestOcspStaple: true },
  );
  await c.handle(NOW, f4[0]!);
  await c.handle(NOW, f4[1]!);
  assert.equal(
    f4[2]!.kind === "message" ? f4[2]!.type : 0,
    HandshakeType.certificate_status,
  );
  await rejects(c.handle(NOW, f4[2]!), AlertDescription.unexpected_message);
});

Deno.test("ClientHandshake refuses a status_request acknowledgement it did not ask for", async () => {
  const { c, f4 } = await flight4WithHello(
    (hello) => encodeServerHello(hello),
    {},
  );
  await rejects(c.handle(NOW, f4[0]!), AlertDescription.unsupported_extension);
});

Deno.test("encodeCertificateStatus() and decodeCertificateStatus() round-trip and refuse other types", () => {
  const body = encodeCertificateStatus({ ocspResponse: STAPLE });
  assert.deepEqual(decodeCertificateStatus(body).ocspResponse, STAPLE);
  const other = body.slice();
  other[0] = 2;
  assert.throws(
    () => decodeCertificateStatus(other),
    (e: unknown) =>
      e instanceof TlsAlertError &&
      e.description === AlertDescription.illegal_parameter,
  );
  assert.throws(
    () => decodeCertificateStatus(new Uint8Array([1, 0, 0, 0])),
    TlsAlertError,
  );
  assert.throws(
    () => encodeCertificateStatus({ ocspResponse: new Uint8Array(0) }),
    RangeError,
  );
});
