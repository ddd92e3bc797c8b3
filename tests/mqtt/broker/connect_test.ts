import assert from "node:assert/strict";
import type { ConnackPacket, DisconnectPacket } from "../../../src/mqtt/mod.ts";
import { encodePacket } from "../../../src/mqtt/mod.ts";
import { Harness } from "./_harness.ts";

function connack(p: unknown): ConnackPacket {
  const c = p as ConnackPacket;
  assert.equal(c.type, "connack");
  return c;
}

for (const version of [4, 5] as const) {
  Deno.test(`CONNECT v${version}: CONNACK 0 and session present 0 for a clean start [MQTT-3.2.2-2]`, () => {
    const h = new Harness();
    const c = h.connect("c1", { version });
    const ack = connack(c.take()[0]);
    assert.equal(ack.reasonCode, 0);
    assert.equal(ack.sessionPresent, false);
    assert.equal(h.broker.connectedClients, 1);
  });

  Deno.test(`CONNECT v${version}: session present 1 on resume [MQTT-3.2.2-3]`, () => {
    const h = new Harness();
    const props = version === 5
      ? { properties: { sessionExpiryInterval: 100 } }
      : {};
    const a = h.connect("c1", { version, clean: false, ...props });
    a.drop();
    const b = h.connect("c1", { version, clean: false, ...props });
    assert.equal(connack(b.take()[0]).sessionPresent, true);
    b.drop();
    const c = h.connect("c1", { version, clean: true, ...props });
    assert.equal(connack(c.take()[0]).sessionPresent, false); // [MQTT-3.2.2-1]
  });

  Deno.test(`CONNECT v${version}: bad credentials and not authorized codes`, () => {
    const h = new Harness({
      auth: {
        authenticate: (ctx) =>
          ctx.username === "bad"
            ? { ok: false, reason: "bad_credentials" }
            : { ok: false, reason: "not_authorized" },
      },
    });
    const a = h.connect("a", { version, username: "bad" });
    assert.equal(connack(a.take()[0]).reasonCode, version === 5 ? 0x86 : 0x04);
    assert.equal(a.closed, true);
    const b = h.connect("b", { version, username: "x" });
    assert.equal(connack(b.take()[0]).reasonCode, version === 5 ? 0x87 : 0x05);
  });

  Deno.test(`CONNECT v${version}: anonymous refused when allowAnonymous is false`, () => {
    const h = new Harness({ allowAnonymous: false });
    const a = h.connect("a", { version });
    assert.equal(connack(a.take()[0]).reasonCode, version === 5 ? 0x87 : 0x05);
    const b = h.connect("b", { version, username: "u" });
    assert.equal(connack(b.take()[0]).reasonCode, 0);
  });

  Deno.test(`CONNECT v${version}: takeover closes the old connection [MQTT-3.1.4-3]`, () => {
    const h = new Harness();
    const a = h.connect("same", { version });
    a.take();
    const b = h.connect("same", { version });
    assert.equal(connack(b.take()[0]).reasonCode, 0);
    assert.equal(a.closed, true);
    const got = a.take();
    if (version === 5) {
      assert.equal((got[0] as DisconnectPacket).reasonCode, 0x8e);
    } else assert.equal(got.length, 0);
    assert.equal(h.broker.connectedClients, 1);
  });

  Deno.test(`keep-alive v${version}: closed after 1.5 × keep alive [MQTT-3.1.2-22]`, () => {
    const h = new Harness();
    const c = h.connect("k", { version, keepAlive: 10 });
    c.take();
    h.advance(14_000);
    c.send({ type: "pingreq" });
    assert.equal(c.take()[0]?.type, "pingresp");
    h.advance(14_999);
    assert.equal(c.closed, false);
    h.advance(1);
    assert.equal(c.closed, true);
    if (version === 5) {
      assert.equal((c.take()[0] as DisconnectPacket).reasonCode, 0x8d);
    }
  });

  Deno.test(`CONNECT v${version}: a second CONNECT is a protocol error [MQTT-3.1.0-2]`, () => {
    const h = new Harness();
    const c = h.connect("c", { version });
    c.take();
    c.send({
      type: "connect",
      protocolVersion: version,
      clean: true,
      keepAlive: 0,
      clientId: "c",
    });
    assert.equal(c.closed, true);
    if (version === 5) {
      assert.equal((c.take()[0] as DisconnectPacket).reasonCode, 0x82);
    }
  });

  Deno.test(`input v${version}: malformed packet closes with 0x81 in 5.0`, () => {
    const h = new Harness();
    const c = h.connect("c", { version });
    const other = h.connect("o", { version });
    c.take();
    c.raw(new Uint8Array([0x36, 0x00])); // PUBLISH QoS 3
    assert.equal(c.closed, true);
    if (version === 5) {
      assert.equal((c.take()[0] as DisconnectPacket).reasonCode, 0x81);
    }
    other.take();
    other.send({ type: "pingreq" });
    assert.equal(other.take()[0]?.type, "pingresp");
  });
}

Deno.test("CONNECT: first packet must be CONNECT [MQTT-3.1.0-1]", () => {
  const h = new Harness();
  const c = h.open();
  c.raw(new Uint8Array([0xc0, 0x00]));
  assert.equal(c.closed, true);
  assert.equal(c.take().length, 0);
});

Deno.test("CONNECT v3.1.1: empty client id with clean session 0 gets CONNACK 0x02 [MQTT-3.1.3-8]", () => {
  const h = new Harness();
  const c = h.open(4);
  // hand-made: the encoder refuses this CONNECT
  c.raw(
    new Uint8Array([
      0x10,
      0x0c,
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54,
      0x04,
      0x00,
      0x00,
      0x3c,
      0x00,
      0x00,
    ]),
  );
  assert.equal(connack(c.take()[0]).reasonCode, 0x02);
  assert.equal(c.closed, true);
});

Deno.test("CONNECT v5: empty client id gets an Assigned Client Identifier [MQTT-3.2.2-16]", () => {
  const h = new Harness();
  const c = h.connect("", { version: 5 });
  const ack = connack(c.take()[0]);
  assert.match(ack.properties?.assignedClientIdentifier ?? "", /^auto-/);
  assert.equal(ack.properties?.topicAliasMaximum, 10);
});

Deno.test("CONNECT v5: Authentication Method is refused with 0x8C", () => {
  const h = new Harness();
  const c = h.connect("c", {
    version: 5,
    properties: { authenticationMethod: "SCRAM-SHA-1" },
  });
  assert.equal(connack(c.take()[0]).reasonCode, 0x8c);
  assert.equal(c.closed, true);
});

Deno.test("CONNECT v5: AUTH without a method is a protocol error", () => {
  const h = new Harness();
  const c = h.connect("c", { version: 5 });
  c.take();
  c.send({ type: "auth", reasonCode: 0x19 });
  assert.equal((c.take()[0] as DisconnectPacket).reasonCode, 0x82);
});

Deno.test("CONNECT v5: request response information gets Response Information", () => {
  const h = new Harness();
  const c = h.connect("rr", {
    version: 5,
    properties: { requestResponseInformation: true },
  });
  assert.equal(
    connack(c.take()[0]).properties?.responseInformation,
    "response/rr",
  );
});

Deno.test("CONNECT: asynchronous authenticate parks the connection and buffers input", async () => {
  let release: (v: { ok: true; subject: string }) => void = () => {};
  const h = new Harness({
    auth: {
      authenticate: (ctx) =>
        ctx.clientId === "slow"
          ? new Promise((r) => (release = r))
          : { ok: true, subject: ctx.clientId },
    },
  });
  const other = h.connect("o", { version: 5 });
  const c = h.open(5);
  const bytes = [
    encodePacket({
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 0,
      clientId: "slow",
    }, 5),
    encodePacket({ type: "pingreq" }, 5),
  ];
  c.raw(bytes[0] as Uint8Array);
  c.raw(bytes[1] as Uint8Array);
  const pending = h.takeEvents().find((e) => e.kind === "auth_pending");
  assert.ok(pending !== undefined && pending.kind === "auth_pending");
  assert.equal(c.take().length, 0);
  other.take();
  other.send({ type: "pingreq" }); // others are not blocked
  assert.equal(other.take()[0]?.type, "pingresp");
  release({ ok: true, subject: "slow" });
  await pending.settled;
  h.broker.resume(h.now);
  h.flush();
  assert.deepEqual(c.take().map((p) => p.type), ["connack", "pingresp"]);
});

Deno.test("CONNECT: a throwing authenticate gives server unavailable", () => {
  const h = new Harness({
    auth: {
      authenticate: () => {
        throw new Error("backend down");
      },
    },
  });
  const c = h.connect("c", { version: 4 });
  assert.equal(connack(c.take()[0]).reasonCode, 0x03);
});
