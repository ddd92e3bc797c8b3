/**
 * Session resumption by session ID (RFC 5246 §7.3 figure 2) in the shared
 * handshake machines, driven message by message over the TLS framing (the
 * DTLS association tests in `tests/dtls/resumption_test.ts` cover the
 * record layer): the server issues an ID and caches the session, resumes it
 * with ServerHello + ChangeCipherSpec + Finished, applies RFC 7627 §5.3,
 * refuses a session whose PSK was removed or changed, and forgets a session
 * after a fatal alert (RFC 5246 §7.2.2). The client offers the session it
 * was given and checks the server's answer. The last test runs the same
 * cache under the TLS-over-TCP engine (`src/tls/stream`).
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
  decodeServerHello,
  encodeClientHello,
  encodeFinished,
  encodeHandshakeTls,
  encodeServerHello,
} from "../../../src/tls/messages/mod.ts";
import type { Extension } from "../../../src/tls/extensions/extensions.ts";
import { HandshakeType } from "../../../src/tls/handshake_type.ts";
import { AlertDescription, TlsAlertError } from "../../../src/tls/alert.ts";
import {
  type ResumableSession,
  SessionCache,
} from "../../../src/tls/session_cache.ts";
import { cipherSuiteByName } from "../../../src/tls/cipher_suites.ts";
import { TlsConnection } from "../../../src/tls/stream/connection.ts";

const KEY = new Uint8Array(16).fill(7);
const layer = { dtls: false, frame: encodeHandshakeTls };
const CCS: HandshakeInput = { kind: "change_cipher_spec" };

function msg(type: number, body: Uint8Array): HandshakeInput {
  return {
    kind: "message",
    type,
    body,
    framed: encodeHandshakeTls(type, body),
  };
}

function inputs(actions: readonly HandshakeAction[]): HandshakeInput[] {
  const out: HandshakeInput[] = [];
  for (const a of actions) {
    if (a.kind === "message") out.push(a);
    if (a.kind === "change_cipher_spec") out.push(CCS);
  }
  return out;
}

function established(actions: readonly HandshakeAction[]) {
  const e = actions.find((a) => a.kind === "established");
  return e?.kind === "established" ? e.session : undefined;
}

interface Run {
  server: EstablishedSession;
  client: EstablishedSession;
  /** Message types the client received, in order (CCS as 20). */
  toClient: number[];
}

/** Runs both machines to the end (bounded) and returns what they agreed. */
async function handshake(
  s: ServerHandshakeConfig,
  c: ClientHandshakeConfig,
  now = 0,
): Promise<Run> {
  const server = new ServerHandshake(s, layer);
  const client = new ClientHandshake(c, layer);
  let toServer = inputs(client.start());
  let ss: EstablishedSession | undefined;
  let cs: EstablishedSession | undefined;
  const toClient: number[] = [];
  for (let i = 0; i < 6 && (ss === undefined || cs === undefined); i++) {
    const sa: HandshakeAction[] = [];
    for (const input of toServer) sa.push(...await server.handle(now, input));
    ss ??= established(sa);
    const back = inputs(sa);
    toClient.push(...back.map((b) => b.kind === "message" ? b.type : 20));
    const ca: HandshakeAction[] = [];
    for (const input of back) ca.push(...await client.handle(now, input));
    cs ??= established(ca);
    toServer = inputs(ca);
  }
  assert.ok(ss !== undefined && cs !== undefined, "both sides established");
  return { server: ss, client: cs, toClient };
}

function pskServer(
  cache: SessionCache<ResumableSession>,
  psk: () => Uint8Array | undefined = () => KEY,
): ServerHandshakeConfig {
  return { psk, sessionCache: cache };
}

const pskClient = (session?: ResumableSession): ClientHandshakeConfig => ({
  psk: { identity: "dev", key: KEY },
  ...(session ? { session } : {}),
});

Deno.test("ServerHandshake issues a session ID and resumes it with ServerHello, ChangeCipherSpec, Finished", async () => {
  const cache = new SessionCache<ResumableSession>();
  const full = await handshake(pskServer(cache), pskClient());
  assert.equal(full.server.resumed, undefined);
  const session = full.client.resumable;
  assert.ok(session !== undefined, "client keeps a resumable session");
  assert.equal(session.id.length, 32);
  assert.equal(cache.size, 1);
  assert.deepEqual(full.server.resumable?.masterSecret, session.masterSecret);

  const again = await handshake(pskServer(cache), pskClient(session));
  assert.equal(again.server.resumed, true);
  assert.equal(again.client.resumed, true);
  assert.deepEqual(again.toClient, [HandshakeType.server_hello, 20, 20]);
  assert.deepEqual(again.server.identity, { kind: "psk", identity: "dev" });
  assert.equal(
    again.client.resumable,
    session,
    "the same session resumes again",
  );
  assert.equal(cache.size, 1);
});

Deno.test("ClientHandshake falls back to a full handshake when the server does not know the session", async () => {
  const cache = new SessionCache<ResumableSession>();
  const full = await handshake(pskServer(cache), pskClient());
  const other = await handshake(
    pskServer(new SessionCache()),
    pskClient(full.client.resumable),
  );
  assert.equal(other.client.resumed, undefined);
  assert.ok(other.toClient.includes(HandshakeType.server_hello_done));
  assert.notDeepEqual(other.client.resumable?.id, full.client.resumable?.id);
});

Deno.test("ServerHandshake does not resume after its lifetime or without a cache", async () => {
  const cache = new SessionCache<ResumableSession>({ lifetimeMs: 1000 });
  const full = await handshake(pskServer(cache), pskClient(), 0);
  const late = await handshake(
    pskServer(cache),
    pskClient(full.client.resumable),
    1000,
  );
  assert.equal(late.server.resumed, undefined);
  const none = await handshake(
    { psk: () => KEY },
    pskClient(full.client.resumable),
  );
  assert.equal(none.server.resumed, undefined);
  assert.equal(
    none.client.resumable,
    undefined,
    "no session ID without a cache",
  );
});

Deno.test("ServerHandshake does not resume a session whose PSK identity was removed or re-keyed", async () => {
  const cache = new SessionCache<ResumableSession>();
  let key: Uint8Array | undefined = KEY;
  const full = await handshake(pskServer(cache, () => key), pskClient());
  // removed: no resumption, the full handshake then fails on the identity
  key = undefined;
  const server = new ServerHandshake(pskServer(cache, () => key), layer);
  const client = new ClientHandshake(pskClient(full.client.resumable), layer);
  const flight2 = inputs(await server.handle(0, inputs(client.start())[0]!));
  assert.ok(
    flight2.some((m) => m.kind === "message" && m.type === 14),
    "a full handshake (ServerHelloDone)",
  );
  assert.equal(cache.size, 0, "the cache entry is gone");
  // re-keyed: a full handshake with the new key
  key = new Uint8Array(16).fill(8);
  const full2 = await handshake(pskServer(cache, () => KEY), pskClient());
  key = new Uint8Array(16).fill(9);
  const rekeyed = await handshake(
    pskServer(cache, () => key),
    {
      psk: { identity: "dev", key: key },
      session: full2.client.resumable!,
    },
  );
  assert.equal(rekeyed.server.resumed, undefined);
  assert.equal(rekeyed.client.resumed, undefined);
});

Deno.test("ServerHandshake does not resume when the client no longer offers the session's suite", async () => {
  const cache = new SessionCache<ResumableSession>();
  const full = await handshake(
    {
      ...pskServer(cache),
      cipherSuites: ["PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256"],
    },
    { ...pskClient(), cipherSuites: ["PSK-AES128-CCM8"] },
  );
  const other = await handshake(
    {
      ...pskServer(cache),
      cipherSuites: ["PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256"],
    },
    {
      ...pskClient(full.client.resumable),
      cipherSuites: ["PSK-AES128-GCM-SHA256"],
    },
  );
  assert.equal(other.server.resumed, undefined);
  assert.equal(other.server.suite.name, "TLS_PSK_WITH_AES_128_GCM_SHA256");
});

// --- RFC 7627 §5.3 ----------------------------------------------------------

function session(ems: boolean, id = 5): ResumableSession {
  return {
    id: new Uint8Array(32).fill(id),
    suite: cipherSuiteByName("PSK-AES128-CCM8")!,
    masterSecret: new Uint8Array(48).fill(3),
    extendedMasterSecret: ems,
    identity: { kind: "psk", identity: "dev" },
    psk: KEY,
  };
}

function resumingHello(
  id: Uint8Array,
  extensions: Extension[],
): HandshakeInput {
  return msg(
    HandshakeType.client_hello,
    encodeClientHello({
      version: 0x0303,
      random: new Uint8Array(32).fill(1),
      sessionId: id,
      cipherSuites: [0xc0a8],
      compressionMethods: [0],
      extensions,
    }, { dtls: false }),
  );
}

Deno.test("ServerHandshake aborts resuming an extended-master-secret session offered without the extension (RFC 7627 §5.3)", async () => {
  const cache = new SessionCache<ResumableSession>();
  cache.put(0, session(true).id, session(true));
  const server = new ServerHandshake(pskServer(cache), layer);
  await assert.rejects(
    server.handle(0, resumingHello(session(true).id, [])),
    (err: unknown) =>
      err instanceof TlsAlertError &&
      err.description === AlertDescription.handshake_failure,
  );
});

Deno.test("ServerHandshake never resumes a session without extended master secret (RFC 7627 §5.3)", async () => {
  for (const offerEms of [true, false]) {
    const cache = new SessionCache<ResumableSession>();
    cache.put(0, session(false).id, session(false));
    const server = new ServerHandshake(pskServer(cache), layer);
    const out = await server.handle(
      0,
      resumingHello(
        session(false).id,
        offerEms ? [{ type: "extended_master_secret" }] : [],
      ),
    );
    const hello = out.find((a) => a.kind === "message" && a.type === 2);
    assert.ok(hello?.kind === "message");
    assert.notDeepEqual(
      decodeServerHello(hello.body).sessionId,
      session(false).id,
    );
    assert.ok(
      out.some((a) => a.kind === "message" && a.type === 14),
      "full handshake",
    );
  }
});

Deno.test("ClientHandshake aborts when a resumed ServerHello drops extended master secret or changes the suite", async () => {
  const s = session(true);
  for (
    const [suite, extensions, alert] of [
      [0xc0a8, [], AlertDescription.handshake_failure],
      [
        0xc0a4,
        [{ type: "extended_master_secret" }],
        AlertDescription.illegal_parameter,
      ],
    ] as const
  ) {
    const client = new ClientHandshake({
      psk: { identity: "dev", key: KEY },
      cipherSuites: ["PSK-AES128-CCM8", "PSK-AES128-CCM"],
      session: s,
    }, layer);
    const [hello] = inputs(client.start());
    assert.ok(hello?.kind === "message");
    const sh = encodeServerHello({
      version: 0x0303,
      random: new Uint8Array(32).fill(2),
      sessionId: s.id,
      cipherSuite: suite,
      compressionMethod: 0,
      extensions: [...extensions],
    });
    await assert.rejects(
      client.handle(0, msg(HandshakeType.server_hello, sh)),
      (err: unknown) =>
        err instanceof TlsAlertError && err.description === alert,
    );
  }
});

Deno.test("ClientHandshake offers only extended-master-secret sessions of a configured suite and identity", () => {
  const offered = (c: ClientHandshakeConfig) => {
    const [hello] = inputs(new ClientHandshake(c, layer).start());
    assert.ok(hello?.kind === "message");
    // ClientHello: version 2, random 32, session_id<0..32>
    return hello.body[34];
  };
  const base = { psk: { identity: "dev", key: KEY } };
  assert.equal(offered({ ...base, session: session(true) }), 32);
  assert.equal(offered({ ...base, session: session(false) }), 0);
  assert.equal(
    offered({ psk: { identity: "other", key: KEY }, session: session(true) }),
    0,
  );
  assert.equal(
    offered({
      ...base,
      cipherSuites: ["PSK-AES128-GCM-SHA256"],
      session: session(true),
    }),
    0,
  );
});

Deno.test("ServerHandshake forgets a resumed session whose Finished fails (RFC 5246 §7.2.2)", async () => {
  const cache = new SessionCache<ResumableSession>();
  const s = session(true);
  cache.put(0, s.id, s);
  const server = new ServerHandshake(pskServer(cache), layer);
  const out = await server.handle(
    0,
    resumingHello(s.id, [{ type: "extended_master_secret" }]),
  );
  assert.deepEqual(
    out.map((a) => a.kind),
    ["message", "keys", "change_cipher_spec", "message", "flight_end"],
  );
  assert.equal(server.state, "ExpectChangeCipherSpec");
  await server.handle(0, CCS);
  await assert.rejects(
    server.handle(
      0,
      msg(
        HandshakeType.finished,
        encodeFinished({ verifyData: new Uint8Array(12) }),
      ),
    ),
    (err: unknown) =>
      err instanceof TlsAlertError &&
      err.description === AlertDescription.decrypt_error,
  );
  assert.equal(cache.size, 0);
});

// --- over the TLS stream record layer ----------------------------------------

Deno.test("TlsConnection (TLS over TCP) resumes a session from the shared cache", async () => {
  const cache = new SessionCache<ResumableSession>();
  const run = async (session?: ResumableSession) => {
    const server = new TlsConnection({
      role: "server",
      server: { psk: () => KEY, sessionCache: cache },
    });
    const client = new TlsConnection({
      role: "client",
      client: pskClient(session),
    });
    server.start(0);
    client.start(0);
    for (let i = 0; i < 6; i++) {
      for (let c; (c = client.pollTransmit()) !== undefined;) {
        await server.handleInput(0, c);
      }
      for (let s; (s = server.pollTransmit()) !== undefined;) {
        await client.handleInput(0, s);
      }
    }
    assert.ok(server.established && client.established);
    return { server: server.session!, client: client.session! };
  };
  const first = await run();
  assert.ok(first.client.resumable !== undefined);
  const again = await run(first.client.resumable);
  assert.equal(again.server.resumed, true);
  assert.equal(again.client.resumed, true);
});
