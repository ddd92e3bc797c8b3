import assert from "node:assert/strict";
import { MemoryStore, type PeerCertAsUsername } from "../../src/auth/mod.ts";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import {
  decodePacket,
  encodePacket,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import {
  ANONYMOUS_SUBJECT,
  type CertificatePeerIdentity,
  MqttAuth,
} from "../../src/net/mqtt_auth.ts";
import { mqttRevocationTarget } from "../../src/net/revocation.ts";
import { MqttService } from "../../src/net/mqtt_service.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  type Certificate,
  issueCertificate,
  parseCertificate,
} from "../../src/pki/mod.ts";
import { generateEcKeyPair } from "../../src/crypto/mod.ts";

const te = new TextEncoder();

interface Harness {
  store: MemoryStore;
  auth: MqttAuth;
  broker: Broker;
}

function harness(
  allowAnonymous = true,
  peerCertAsUsername: PeerCertAsUsername = "cn",
): Harness {
  const store = new MemoryStore({ passwordIterations: 1000 });
  const live: { broker?: Broker } = {};
  const auth = new MqttAuth(store, {
    allowAnonymous,
    peerCertAsUsername,
    isLive: (id) => live.broker?.hasConnection(id) ?? true,
  });
  const broker = new Broker({ auth, allowAnonymous, sysInterval: 0 });
  live.broker = broker;
  return { store, auth, broker };
}

/** Drains transmit and events; applies pending authentication. */
async function settle(broker: Broker, now = 1): Promise<Packet[][]> {
  const out: Packet[][] = [];
  for (let round = 0; round < 5; round++) {
    let pending = false;
    for (let e = broker.pollEvent(); e; e = broker.pollEvent()) {
      if (e.kind === "auth_pending") {
        pending = true;
        await e.settled;
      }
    }
    if (pending) broker.resume(now);
    for (let t = broker.pollTransmit(); t; t = broker.pollTransmit()) {
      (out[t.connection] ??= []).push(...split(t.bytes));
    }
    if (!pending) break;
  }
  return out;
}

function split(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let i = 0;
  while (i < bytes.length) {
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (;;) {
      const b = bytes[j++] as number;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    packets.push(decodePacket(bytes.subarray(i, j + len), version));
    i = j + len;
  }
  return packets;
}

let version: MqttVersion = 4;

async function connect(
  h: Harness,
  options: {
    version: MqttVersion;
    clientId: string;
    username?: string;
    password?: string;
  },
): Promise<{ id: number; connack: Packet }> {
  version = options.version;
  const id = h.broker.openConnection(0, {
    remoteAddress: "127.0.0.1:1",
    transport: "tcp",
  });
  h.broker.handleInput(
    0,
    id,
    encodePacket({
      type: "connect",
      protocolVersion: options.version,
      clean: true,
      keepAlive: 0,
      clientId: options.clientId,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined
        ? {}
        : { password: te.encode(options.password) }),
    }, options.version),
  );
  const out = await settle(h.broker);
  const connack = out[id]?.[0];
  assert.ok(connack, "no CONNACK");
  return { id, connack };
}

function connackCode(p: Packet): number {
  assert.equal(p.type, "connack");
  return p.type === "connack" ? p.reasonCode : -1;
}

for (const v of [4, 5] as const) {
  const bad = v === 5 ? 0x86 : 0x04;
  const notAuthorized = v === 5 ? 0x87 : 0x05;

  Deno.test(`MqttAuth (MQTT ${v}) accepts an access token as the user name`, async () => {
    const h = harness(false);
    const { token } = await h.store.addToken("thermostat");
    const { id, connack } = await connect(h, {
      version: v,
      clientId: "t1",
      username: token,
    });
    assert.equal(connackCode(connack), 0);
    assert.equal(h.auth.identityOf(id)?.subject, "thermostat");
    assert.equal(h.auth.identityOf(id)?.kind, "token");
    const wrong = await connect(h, {
      version: v,
      clientId: "t2",
      username: "not-a-token",
    });
    assert.equal(connackCode(wrong.connack), bad);
    await h.store.close();
  });

  Deno.test(`MqttAuth (MQTT ${v}) checks user name and password`, async () => {
    const h = harness(false);
    await h.store.addUser("alice", "s3cret!");
    const ok = await connect(h, {
      version: v,
      clientId: "a1",
      username: "alice",
      password: "s3cret!",
    });
    assert.equal(connackCode(ok.connack), 0);
    assert.equal(h.auth.identityOf(ok.id)?.kind, "password");
    const wrong = await connect(h, {
      version: v,
      clientId: "a2",
      username: "alice",
      password: "guess",
    });
    assert.equal(connackCode(wrong.connack), bad);
    const unknown = await connect(h, {
      version: v,
      clientId: "a3",
      username: "mallory",
      password: "s3cret!",
    });
    assert.equal(connackCode(unknown.connack), bad);
    await h.store.close();
  });

  Deno.test(`MqttAuth (MQTT ${v}) refuses anonymous clients unless allowed`, async () => {
    const closed = harness(false);
    const refused = await connect(closed, { version: v, clientId: "anon" });
    assert.equal(connackCode(refused.connack), notAuthorized);
    await closed.store.close();
    const open = harness(true);
    const accepted = await connect(open, { version: v, clientId: "anon" });
    assert.equal(connackCode(accepted.connack), 0);
    assert.equal(open.auth.identityOf(accepted.id), undefined);
    await open.store.close();
  });

  Deno.test(
    `MqttAuth (MQTT ${v}) refuses by ACL: SUBACK ${v === 5 ? "0x87" : "0x80"}${
      v === 5 ? ", PUBACK 0x87" : ""
    }, %c is the client id`,
    async () => {
      const h = harness(false);
      const { token } = await h.store.addToken("dev1");
      await h.store.setAcl("dev1", [
        { permission: "allow", action: "publish", topic: "up/%u/#" },
        { permission: "allow", action: "subscribe", topic: "down/%c" },
      ]);
      const { id } = await connect(h, {
        version: v,
        clientId: "c-9",
        username: token,
      });
      h.broker.handleInput(
        1,
        id,
        encodePacket({
          type: "subscribe",
          packetId: 1,
          subscriptions: [
            { topicFilter: "down/c-9", qos: 1 },
            { topicFilter: "down/other", qos: 1 },
          ],
        }, v),
      );
      h.broker.handleInput(
        1,
        id,
        encodePacket({
          type: "publish",
          topic: "up/dev1/t",
          payload: te.encode("ok"),
          qos: 1,
          packetId: 2,
          retain: false,
          dup: false,
        }, v),
      );
      h.broker.handleInput(
        1,
        id,
        encodePacket({
          type: "publish",
          topic: "up/dev2/t",
          payload: te.encode("no"),
          qos: 1,
          packetId: 3,
          retain: false,
          dup: false,
        }, v),
      );
      const packets = (await settle(h.broker))[id] ?? [];
      const suback = packets.find((p) => p.type === "suback");
      assert.ok(suback?.type === "suback");
      assert.deepEqual(suback.reasonCodes, [1, v === 5 ? 0x87 : 0x80]);
      const pubacks = packets.filter((p) => p.type === "puback");
      assert.equal(pubacks.length, 2);
      const codes = pubacks.map((p) =>
        p.type === "puback" ? (p.reasonCode ?? 0) : -1
      );
      // 3.1.1 cannot refuse a PUBLISH: acknowledged and dropped
      assert.deepEqual(codes, [v === 5 ? 0x10 : 0, v === 5 ? 0x87 : 0]); // 0x10 No matching subscribers
      await h.store.close();
    },
  );

  Deno.test(
    `mqttRevocationTarget (MQTT ${v}) disconnects a revoked user${
      v === 5 ? " with DISCONNECT 0x98" : ""
    }`,
    async () => {
      const store = new MemoryStore({ passwordIterations: 1000 });
      const auth = new MqttAuth(store, { allowAnonymous: false });
      const service = await MqttService.start(new Logger({ sink: () => {} }), {
        broker: { auth, allowAnonymous: false, sysInterval: 0 },
      });
      await store.addUser("bob", "pw");
      await store.addUser("carol", "pw");
      const bob = await connect(
        { store, auth, broker: service.broker },
        { version: v, clientId: "b", username: "bob", password: "pw" },
      );
      const carol = await connect(
        { store, auth, broker: service.broker },
        { version: v, clientId: "c", username: "carol", password: "pw" },
      );
      const target = mqttRevocationTarget(service, auth);
      assert.equal(
        await target.apply({ kind: "user", id: "bob", op: "removed" }),
        1,
      );
      // the driver took the output; check what the core decided instead
      assert.equal(service.broker.hasConnection(bob.id), false);
      assert.equal(service.broker.hasConnection(carol.id), true);
      assert.equal(auth.identityOf(bob.id), undefined);
      await service.close();
      await store.close();
    },
  );
}

Deno.test("Broker.disconnect() sends DISCONNECT 0x98 to a 5.0 client and just closes a 3.1.1 one", async () => {
  for (const v of [4, 5] as const) {
    const h = harness(true);
    const { id } = await connect(h, { version: v, clientId: "x" });
    assert.equal(h.broker.disconnect(2, id), true);
    const t = h.broker.pollTransmit();
    if (v === 5) assert.deepEqual(t?.bytes, new Uint8Array([0xe0, 0x01, 0x98]));
    else assert.equal(t, undefined);
    const kinds: string[] = [];
    for (let e = h.broker.pollEvent(); e; e = h.broker.pollEvent()) {
      kinds.push(e.kind);
    }
    assert.ok(kinds.includes("close"));
    await h.store.close();
  }
});

Deno.test("MqttAuth refuses a CONNECT whose credential is removed while it is checked", async () => {
  const h = harness(false);
  await h.store.addUser("dave", "pw");
  const pending = h.auth.authenticate({
    connection: 1,
    clientId: "d",
    username: "dave",
    password: te.encode("pw"),
    remoteAddress: "::1",
    identity: undefined,
    protocolVersion: 5,
  });
  h.auth.revoke({ kind: "user", id: "dave", op: "removed" });
  assert.deepEqual(await pending, { ok: false, reason: "bad_credentials" });
  await h.store.close();
});

Deno.test("MqttAuth.refreshAcl() applies a changed ACL to connected subjects", async () => {
  const h = harness(true);
  await h.store.addUser("erin", "pw");
  await connect(h, {
    version: 5,
    clientId: "e",
    username: "erin",
    password: "pw",
  });
  await connect(h, { version: 5, clientId: "anon" });
  const client = { clientId: "e" };
  assert.equal(h.auth.authorizePublish("erin", "a/b", client), true);
  await h.store.setAcl("erin", [
    { permission: "deny", action: "publish", topic: "a/#" },
  ]);
  await h.auth.refreshAcl("erin");
  assert.equal(h.auth.authorizePublish("erin", "a/b", client), false);
  assert.equal(h.auth.authorizePublish(ANONYMOUS_SUBJECT, "a/b", client), true);
  await h.store.setAcl("*", [
    { permission: "deny", action: "subscribe", topic: "#" },
  ]);
  await h.auth.refreshAcl("*");
  assert.equal(
    h.auth.authorizeSubscribe(ANONYMOUS_SUBJECT, "x", client),
    false,
  );
  assert.equal(h.auth.authorizePublish("nobody-loaded", "a/b", client), false);
  await h.store.close();
});

Deno.test("MqttAuth identifies a transport client certificate through the store", async () => {
  const h = harness(false, "disabled");
  const key = await generateEcKeyPair("P-256");
  const cert = parseCertificate(
    await issueCertificate({
      subject: { CN: "device-x" },
      subjectKey: key,
      now: Date.now(),
      days: 1,
    }),
  );
  const ctx = {
    connection: 4,
    clientId: "x",
    username: undefined,
    password: undefined,
    remoteAddress: "::1",
    identity: {
      chain: [cert],
      certificate: { commonName: "device-x" },
    } satisfies CertificatePeerIdentity,
    protocolVersion: 5,
  } as const;
  assert.deepEqual(await h.auth.authenticate(ctx), {
    ok: false,
    reason: "not_authorized",
  });
  await h.store.allowCertificate({ cn: "device-x" }, "device-x");
  assert.deepEqual(await h.auth.authenticate(ctx), {
    ok: true,
    subject: "device-x",
  });
  assert.equal(h.auth.identityOf(4)?.kind, "x509");
  assert.deepEqual(
    h.auth.revoke({ kind: "x509", id: "cn:device-x", op: "revoked" }),
    [4],
  );
  await h.store.close();
});

async function certChain(): Promise<Certificate[]> {
  const now = Date.now();
  const caKey = await generateEcKeyPair("P-256");
  const ca = parseCertificate(
    await issueCertificate({
      subject: { CN: "Fleet CA 7", O: "Acme" },
      subjectKey: caKey,
      now,
      days: 1,
      ca: true,
    }),
  );
  const key = await generateEcKeyPair("P-256");
  const leaf = parseCertificate(
    await issueCertificate({
      subject: { CN: "sensor-9", O: "Acme" },
      subjectKey: key,
      issuer: { name: ca.subject.raw, key: caKey },
      now,
      days: 1,
      subjectAltNames: ["urn:dev:9"],
    }),
  );
  return [leaf, ca];
}

function certContext(
  chain: readonly Certificate[],
  extra: Partial<{ username: string; password: Uint8Array }> = {},
) {
  return {
    connection: 9,
    clientId: "c9",
    username: extra.username,
    password: extra.password,
    remoteAddress: "::1",
    identity: { chain } as CertificatePeerIdentity,
    protocolVersion: 5,
  } as const;
}

Deno.test("MqttAuth takes the subject from the certificate as peer_cert_as_username says", async () => {
  const chain = await certChain();
  const leaf = chain[0]!;
  const expected: Record<PeerCertAsUsername, string | undefined> = {
    cn: "sensor-9",
    dn: "CN=sensor-9,O=Acme",
    san: "urn:dev:9",
    fingerprint: leaf.fingerprintSha256,
    disabled: undefined,
  };
  for (const [mode, subject] of Object.entries(expected)) {
    const h = harness(false, mode as PeerCertAsUsername);
    const got = await h.auth.authenticate(certContext(chain));
    assert.deepEqual(
      got,
      subject === undefined
        ? { ok: false, reason: "not_authorized" }
        : { ok: true, subject },
      mode,
    );
    await h.store.close();
  }
});

Deno.test("MqttAuth: the certificate replaces the CONNECT user name, store rules win, revocations refuse", async () => {
  const chain = await certChain();
  const h = harness(false);
  await h.store.addUser("alice", "pw");
  const withUser = certContext(chain, {
    username: "alice",
    password: new TextEncoder().encode("wrong"),
  });
  assert.deepEqual(await h.auth.authenticate(withUser), {
    ok: true,
    subject: "sensor-9",
  });
  // TBMQ: a rule on the CN of a certificate up the chain.
  await h.store.allowCertificate({ cn: "Fleet CA 7" }, "fleet-7");
  assert.deepEqual(await h.auth.authenticate(certContext(chain)), {
    ok: true,
    subject: "fleet-7",
  });
  await h.store.allowCertificate(
    { fingerprint: chain[0]!.fingerprintSha256 },
    "registered-9",
  );
  assert.deepEqual(await h.auth.authenticate(certContext(chain)), {
    ok: true,
    subject: "registered-9",
  });
  await h.store.revokeCertificate({ cnRegex: "Fleet CA .*" });
  assert.deepEqual(await h.auth.authenticate(certContext(chain)), {
    ok: false,
    reason: "not_authorized",
  });
  await h.store.close();
});

Deno.test("MqttAuth refuses what the transport refused, whatever the CONNECT carries", async () => {
  const h = harness(true);
  const { token } = await h.store.addToken("t-1");
  const refused = {
    ...certContext([]),
    username: token,
    identity: {
      chain: [],
      refusal: { reason: "bad_credentials", cause: "expired" },
    } as CertificatePeerIdentity,
  } as const;
  assert.deepEqual(await h.auth.authenticate(refused), {
    ok: false,
    reason: "bad_credentials",
  });
  await h.store.close();
});
