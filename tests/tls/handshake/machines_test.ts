/**
 * The server and client handshake machines driven message by message,
 * without a record layer: order (unexpected_message), CertificateVerify
 * iff a non-empty client Certificate, extended master secret iff offered,
 * renegotiation_info.
 */
import assert from "node:assert/strict";
import { ServerHandshake } from "../../../src/tls/handshake/server.ts";
import { ClientHandshake } from "../../../src/tls/handshake/client.ts";
import type {
  ClientHandshakeConfig,
  HandshakeAction,
  HandshakeInput,
  ServerHandshakeConfig,
} from "../../../src/tls/handshake/types.ts";
import {
  decodeServerHello,
  encodeClientHello,
  encodeFinished,
  encodeHandshakeTls,
  encodeServerHello,
  encodeServerHelloDone,
} from "../../../src/tls/messages/mod.ts";
import type { Extension } from "../../../src/tls/extensions/extensions.ts";
import { HandshakeType } from "../../../src/tls/handshake_type.ts";
import { AlertDescription, TlsAlertError } from "../../../src/tls/alert.ts";
import { certsCommand } from "../../../cli/certs.ts";
import { parseCertificatePem } from "../../../src/pki/mod.ts";
import { loadPrivateKey } from "../../../src/pki/keys/load.ts";

const KEY = new Uint8Array(16).fill(7);
const layer = { dtls: false, frame: encodeHandshakeTls };
const PSK_CCM8 = 0xc0a8;

function server(config: Partial<ServerHandshakeConfig> = {}) {
  return new ServerHandshake({ psk: () => KEY, ...config }, layer);
}

function client(config: ClientHandshakeConfig = {
  psk: { identity: "dev", key: KEY },
}) {
  return new ClientHandshake(config, layer);
}

function msg(type: number, body: Uint8Array): HandshakeInput {
  return {
    kind: "message",
    type,
    body,
    framed: encodeHandshakeTls(type, body),
  };
}

const CCS: HandshakeInput = { kind: "change_cipher_spec" };

/** The inputs the peer would receive from `actions` (messages and CCS). */
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
  now = 0,
): Promise<HandshakeAction[]> {
  const out: HandshakeAction[] = [];
  for (const i of list) out.push(...await m.handle(now, i));
  return out;
}

function clientHello(
  extensions: Extension[],
  cipherSuites: number[] = [PSK_CCM8],
): HandshakeInput {
  return msg(
    HandshakeType.client_hello,
    encodeClientHello({
      version: 0x0303,
      random: new Uint8Array(32).fill(1),
      sessionId: new Uint8Array(0),
      cipherSuites,
      compressionMethods: [0],
      extensions,
    }, { dtls: false }),
  );
}

async function rejects(
  p: Promise<unknown>,
  description: AlertDescription,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TlsAlertError, String(err));
    assert.equal(err.description, description, err.message);
    return true;
  });
}

function serverHelloOf(actions: readonly HandshakeAction[]) {
  const a = actions.find((x) =>
    x.kind === "message" && x.type === HandshakeType.server_hello
  );
  assert.ok(a?.kind === "message");
  return decodeServerHello(a.body);
}

// --- order ----------------------------------------------------------------

Deno.test("ServerHandshake refuses anything but a ClientHello first with unexpected_message", async () => {
  for (
    const input of [
      msg(
        HandshakeType.finished,
        encodeFinished({ verifyData: new Uint8Array(12) }),
      ),
      msg(HandshakeType.client_key_exchange, new Uint8Array([0, 1, 0x61])),
      CCS,
    ]
  ) {
    const s = server();
    await rejects(s.handle(0, input), AlertDescription.unexpected_message);
    assert.equal(s.state, "Failed");
  }
});

Deno.test("ServerHandshake refuses a second ClientHello and an early ChangeCipherSpec", async () => {
  const s = server();
  await s.handle(0, clientHello([]));
  assert.equal(s.state, "ExpectClientKeyExchange");
  await rejects(
    s.handle(0, clientHello([])),
    AlertDescription.unexpected_message,
  );
  const s2 = server();
  await s2.handle(0, clientHello([]));
  await rejects(s2.handle(0, CCS), AlertDescription.unexpected_message);
});

Deno.test("ServerHandshake refuses Finished before ChangeCipherSpec and anything after Established", async () => {
  const s = server();
  const c = client();
  const flight2 = c.start();
  const flight4 = await feedAll(s, inputs(flight2));
  const flight5 = inputs(await feedAll(c, inputs(flight4)));
  // ClientKeyExchange, ChangeCipherSpec, Finished: skip the CCS
  await s.handle(0, flight5[0]!);
  assert.equal(s.state, "ExpectChangeCipherSpec");
  await rejects(s.handle(0, flight5[2]!), AlertDescription.unexpected_message);

  const s2 = server();
  const c2 = client();
  const f4 = await feedAll(s2, inputs(c2.start()));
  const f5 = inputs(await feedAll(c2, inputs(f4)));
  await feedAll(s2, f5);
  assert.equal(s2.state, "Established");
  await rejects(s2.handle(0, f5[2]!), AlertDescription.unexpected_message);
});

Deno.test("ClientHandshake refuses messages out of order with unexpected_message", async () => {
  // ServerHelloDone before ServerHello
  const c1 = client();
  c1.start();
  await rejects(
    c1.handle(0, msg(HandshakeType.server_hello_done, encodeServerHelloDone())),
    AlertDescription.unexpected_message,
  );
  // CCS before ServerHello
  const c2 = client();
  c2.start();
  await rejects(c2.handle(0, CCS), AlertDescription.unexpected_message);
  // Finished right after ServerHello (no ServerHelloDone, no CCS)
  const s3 = server();
  const c3 = client();
  const f4 = inputs(await feedAll(s3, inputs(c3.start())));
  await c3.handle(0, f4[0]!);
  await rejects(
    c3.handle(
      0,
      msg(
        HandshakeType.finished,
        encodeFinished({ verifyData: new Uint8Array(12) }),
      ),
    ),
    AlertDescription.unexpected_message,
  );
  // a Certificate in a PSK handshake
  const s4 = server();
  const c4 = client();
  const g4 = inputs(await feedAll(s4, inputs(c4.start())));
  await c4.handle(0, g4[0]!);
  await rejects(
    c4.handle(0, msg(HandshakeType.certificate, new Uint8Array([0, 0, 0]))),
    AlertDescription.unexpected_message,
  );
});

Deno.test("ServerHandshake and ClientHandshake complete a PSK handshake message by message", async () => {
  const s = server({ pskIdentityHint: "hint" });
  const c = client();
  const f4 = inputs(await feedAll(s, inputs(c.start())));
  assert.deepEqual(
    f4.map((i) => i.kind === "message" ? i.type : "ccs"),
    [
      HandshakeType.server_hello,
      HandshakeType.server_key_exchange,
      HandshakeType.server_hello_done,
    ],
  );
  const f5 = await feedAll(c, f4);
  assert.equal(c.state, "ExpectChangeCipherSpec");
  assert.deepEqual(f5.map((a) => a.kind), [
    "message",
    "keys",
    "change_cipher_spec",
    "message",
    "flight_end",
  ]);
  const f6 = await feedAll(s, inputs(f5));
  assert.equal(s.state, "Established");
  const done = await feedAll(c, inputs(f6));
  assert.equal(c.state, "Established");
  const est = done.find((a) => a.kind === "established");
  assert.ok(est?.kind === "established");
  assert.equal(est.session.extendedMasterSecret, true);
  assert.deepEqual(est.session.identity, { kind: "psk", identity: "dev" });
});

// --- extended master secret and renegotiation_info --------------------------

Deno.test("ServerHandshake negotiates extended_master_secret iff the client offers it", async () => {
  const withEms = serverHelloOf(
    await server().handle(0, clientHello([{ type: "extended_master_secret" }])),
  );
  assert.ok(
    withEms.extensions.some((e) => e.type === "extended_master_secret"),
  );
  const without = serverHelloOf(await server().handle(0, clientHello([])));
  assert.ok(
    !without.extensions.some((e) => e.type === "extended_master_secret"),
  );
});

Deno.test("ClientHandshake uses extended master secret only when the ServerHello echoes it", async () => {
  const c = client();
  c.start();
  // a ServerHello without extensions: the classic master secret (RFC 7627 §5.2)
  const sh = msg(
    HandshakeType.server_hello,
    encodeServerHello({
      version: 0x0303,
      random: new Uint8Array(32).fill(2),
      sessionId: new Uint8Array(0),
      cipherSuite: PSK_CCM8,
      compressionMethod: 0,
      extensions: [],
    }),
  );
  await c.handle(0, sh);
  const f5 = await c.handle(
    0,
    msg(HandshakeType.server_hello_done, encodeServerHelloDone()),
  );
  const keysWithout = f5.find((a) => a.kind === "keys");
  // the same ServerHello with the extension gives other keys
  const c2 = new ClientHandshake(
    {
      psk: { identity: "dev", key: KEY },
      random: () => new Uint8Array(32).fill(3),
    },
    layer,
  );
  const c3 = new ClientHandshake(
    {
      psk: { identity: "dev", key: KEY },
      random: () => new Uint8Array(32).fill(3),
    },
    layer,
  );
  c2.start();
  c3.start();
  await c2.handle(0, sh);
  await c3.handle(
    0,
    msg(
      HandshakeType.server_hello,
      encodeServerHello({
        version: 0x0303,
        random: new Uint8Array(32).fill(2),
        sessionId: new Uint8Array(0),
        cipherSuite: PSK_CCM8,
        compressionMethod: 0,
        extensions: [{ type: "extended_master_secret" }],
      }),
    ),
  );
  const shd = msg(HandshakeType.server_hello_done, encodeServerHelloDone());
  const k2 = (await c2.handle(0, shd)).find((a) => a.kind === "keys");
  const k3 = (await c3.handle(0, shd)).find((a) => a.kind === "keys");
  assert.ok(
    keysWithout?.kind === "keys" && k2?.kind === "keys" && k3?.kind === "keys",
  );
  assert.notDeepEqual(k2.keys.client.key, k3.keys.client.key);
});

Deno.test("ServerHandshake answers renegotiation_info or the SCSV with an empty renegotiation_info", async () => {
  const ext = serverHelloOf(
    await server().handle(
      0,
      clientHello([{
        type: "renegotiation_info",
        renegotiatedConnection: new Uint8Array(0),
      }]),
    ),
  );
  const scsv = serverHelloOf(
    await server().handle(0, clientHello([], [PSK_CCM8, 0x00ff])),
  );
  const none = serverHelloOf(await server().handle(0, clientHello([])));
  for (const sh of [ext, scsv]) {
    const r = sh.extensions.find((e) => e.type === "renegotiation_info");
    assert.ok(r?.type === "renegotiation_info");
    assert.equal(r.renegotiatedConnection.length, 0);
  }
  assert.ok(!none.extensions.some((e) => e.type === "renegotiation_info"));
});

Deno.test("ServerHandshake refuses an initial ClientHello carrying renegotiation data with handshake_failure", async () => {
  await rejects(
    server().handle(
      0,
      clientHello([{
        type: "renegotiation_info",
        renegotiatedConnection: new Uint8Array(12),
      }]),
    ),
    AlertDescription.handshake_failure,
  );
});

Deno.test("ClientHandshake refuses a ServerHello carrying renegotiation data with handshake_failure", async () => {
  const c = client();
  c.start();
  await rejects(
    c.handle(
      0,
      msg(
        HandshakeType.server_hello,
        encodeServerHello({
          version: 0x0303,
          random: new Uint8Array(32),
          sessionId: new Uint8Array(0),
          cipherSuite: PSK_CCM8,
          compressionMethod: 0,
          extensions: [{
            type: "renegotiation_info",
            renegotiatedConnection: new Uint8Array(24),
          }],
        }),
      ),
    ),
    AlertDescription.handshake_failure,
  );
});

Deno.test("ClientHandshake refuses a suite it did not offer with illegal_parameter", async () => {
  const c = client();
  c.start();
  await rejects(
    c.handle(
      0,
      msg(
        HandshakeType.server_hello,
        encodeServerHello({
          version: 0x0303,
          random: new Uint8Array(32),
          sessionId: new Uint8Array(0),
          cipherSuite: 0xc0ae,
          compressionMethod: 0,
          extensions: [],
        }),
      ),
    ),
    AlertDescription.illegal_parameter,
  );
});

// --- CertificateVerify iff a non-empty client Certificate --------------------

const dir = await Deno.makeTempDir();
{
  const log = console.log;
  console.log = () => {};
  try {
    await certsCommand(["init", "--dir", dir]);
  } finally {
    console.log = log;
  }
}
const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
const ca = parseCertificatePem(read("ca.pem"));
const serverCert = {
  chain: parseCertificatePem(read("server.pem")),
  key: loadPrivateKey(read("server_key.pem")),
};
const clientCert = {
  chain: parseCertificatePem(read("client.pem")),
  key: loadPrivateKey(read("client_key.pem")),
};
await Deno.remove(dir, { recursive: true });
const NOW = Date.now();

async function certFlight5(withCert: boolean) {
  const s = new ServerHandshake({
    certificate: serverCert,
    cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"],
    clientAuth: { trustAnchors: ca },
  }, layer);
  const c = new ClientHandshake({
    trustAnchors: ca,
    cipherSuites: ["ECDHE-ECDSA-AES128-CCM8"],
    ...(withCert ? { certificate: clientCert } : {}),
  }, layer);
  const f4 = inputs(await feedAll(s, inputs(c.start())));
  assert.ok(
    f4.some((i) =>
      i.kind === "message" && i.type === HandshakeType.certificate_request
    ),
  );
  const f5 = inputs(await feedAll(c, f4, NOW));
  return { s, c, f5 };
}

Deno.test("ServerHandshake requires CertificateVerify after a non-empty client Certificate", async () => {
  const { s, f5 } = await certFlight5(true);
  const types = f5.map((i) => i.kind === "message" ? i.type : "ccs");
  assert.deepEqual(types, [
    HandshakeType.certificate,
    HandshakeType.client_key_exchange,
    HandshakeType.certificate_verify,
    "ccs",
    HandshakeType.finished,
  ]);
  await s.handle(NOW, f5[0]!);
  await s.handle(NOW, f5[1]!);
  assert.equal(s.state, "ExpectCertificateVerify");
  // skipping the CertificateVerify
  await rejects(s.handle(NOW, f5[3]!), AlertDescription.unexpected_message);
});

Deno.test("ServerHandshake accepts the full two-way flight 5 and reports the x509 identity", async () => {
  const { s, c, f5 } = await certFlight5(true);
  const f6 = await feedAll(s, f5, NOW);
  const est = f6.find((a) => a.kind === "established");
  assert.ok(est?.kind === "established");
  assert.equal(est.session.identity?.kind, "x509");
  await feedAll(c, inputs(f6), NOW);
  assert.equal(c.state, "Established");
});

Deno.test("ServerHandshake refuses a CertificateVerify after an empty client Certificate", async () => {
  const { s, f5 } = await certFlight5(false);
  const types = f5.map((i) => i.kind === "message" ? i.type : "ccs");
  assert.deepEqual(types, [
    HandshakeType.certificate,
    HandshakeType.client_key_exchange,
    "ccs",
    HandshakeType.finished,
  ]);
  await s.handle(NOW, f5[0]!);
  await s.handle(NOW, f5[1]!);
  assert.equal(s.state, "ExpectChangeCipherSpec");
  // a CertificateVerify nobody asked for
  const { f5: withCv } = await certFlight5(true);
  await rejects(s.handle(NOW, withCv[2]!), AlertDescription.unexpected_message);
});
