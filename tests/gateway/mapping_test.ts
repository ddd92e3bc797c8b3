import assert from "node:assert/strict";
import { CoapGateway } from "../../src/gateway/mapping.ts";
import { GatewayAuth } from "../../src/gateway/auth.ts";
import { BrokerBridge } from "../../src/gateway/broker_bridge.ts";
import { CoapServer } from "../../src/coap/server.ts";
import { Router } from "../../src/coap/router.ts";
import {
  type CoapMessage,
  decodeMessage,
  encodeMessage,
} from "../../src/coap/message.ts";
import {
  OptionNumber,
  pathOptions,
  uintOption,
  uintValue,
} from "../../src/coap/options.ts";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { encodeBlock } from "../../src/coap/block.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";
import { type CredentialStore, MemoryStore } from "../../src/auth/mod.ts";

const TEXT = new TextDecoder();
const tick = () => new Promise((r) => setTimeout(r, 20));

interface Rig {
  server: CoapServer;
  gw: CoapGateway;
  broker: Broker;
  driver: MqttDriver;
  /** Every message the bridge saw, as `topic payload`. */
  seen: string[];
  close(): Promise<void>;
}

function rig(
  store?: CredentialStore,
  allowAnonymous = true,
): Rig {
  const broker = new Broker({ sysInterval: 0 });
  const driver = new MqttDriver(broker);
  const ref: { gw?: CoapGateway } = {};
  const seen: string[] = [];
  const bridge = new BrokerBridge({ broker, driver }, {
    onMessage: (m) => {
      seen.push(`${m.topic} ${TEXT.decode(m.payload)}`);
      ref.gw?.deliver(0, m.topic, m.payload);
    },
    clock: () => 0,
  });
  const gw = new CoapGateway({
    publish: (now, m) => {
      const n = broker.publish(now, m);
      driver.pump();
      return n;
    },
    retained: (t) => bridge.retained(t),
  }, {
    clock: () => 0,
    ...(store ? { auth: new GatewayAuth(store, { allowAnonymous }) } : {}),
  });
  ref.gw = gw;
  const server = new CoapServer(gw.routes(new Router()));
  gw.attach({
    notify: (now, path, peer) => server.notify(now, path, peer),
  });
  return {
    server,
    gw,
    broker,
    driver,
    seen,
    async close() {
      bridge.close();
      driver.close();
      await tick();
    },
  };
}

let nextId = 1;

/** Sends a CON request and returns the (piggybacked) response. */
async function request(
  server: CoapServer,
  code: number,
  path: string,
  extra: {
    payload?: string;
    observe?: boolean;
    peer?: string;
    identity?: unknown;
  } = {},
): Promise<CoapMessage> {
  const [p, q] = path.split("?");
  const options = [...pathOptions(p!, q === undefined ? [] : q.split("&"))];
  if (extra.observe) options.push(uintOption(OptionNumber.OBSERVE, 0));
  const id = nextId++;
  server.handleDatagram(
    0,
    encodeMessage({
      type: 0,
      code,
      messageId: id,
      token: new Uint8Array([id & 0xff, id >> 8]),
      options,
      payload: new TextEncoder().encode(extra.payload ?? ""),
    }),
    extra.peer ?? "c",
    extra.identity,
  );
  await tick();
  server.handleTimeout(0);
  const out = server.pollTransmit();
  assert.ok(out !== undefined, `no answer to ${path}`);
  return decodeMessage(out.bytes);
}

/** Notifications sent since the last call, by peer. */
function drain(server: CoapServer): { to: string; m: CoapMessage }[] {
  server.handleTimeout(0);
  const out = [];
  for (let o = server.pollTransmit(); o; o = server.pollTransmit()) {
    out.push({ to: o.to, m: decodeMessage(o.bytes) });
  }
  return out;
}

Deno.test("CoapGateway publishes, answers retained GETs and notifies observers", async () => {
  const r = rig();
  try {
    const { server, gw, broker, driver } = r;
    assert.equal(
      (await request(server, 2, "/ps/a/b", { payload: "x" })).code,
      0x44,
    );
    assert.equal((await request(server, 1, "/ps/a/none")).code, 0x84);
    assert.equal((await request(server, 1, "/ps/a/+")).code, 0x80);
    assert.equal(
      (await request(server, 3, "/ps/r/1?retain=true", { payload: "kept" }))
        .code,
      0x44,
    );
    await tick();
    const got = await request(server, 1, "/ps/r/1");
    assert.equal(got.code, 0x45);
    assert.equal(TEXT.decode(got.payload), "kept");

    const reg = await request(server, 1, "/ps/s/+", { observe: true });
    assert.equal(reg.code, 0x45);
    assert.deepEqual(gw.observedFilters, ["s/+"]);
    broker.publish(0, {
      topic: "s/9",
      payload: new TextEncoder().encode("hi"),
      qos: 0,
      retain: false,
    });
    driver.pump();
    await tick();
    const [note] = drain(server);
    assert.equal(note?.m.code, 0x45);
    assert.equal(TEXT.decode(note!.m.payload), "hi");
  } finally {
    await r.close();
  }
});

Deno.test("device API: token telemetry and attributes reach devices/{device}/..., unknown token is 4.01, ACL denial 4.03", async () => {
  const store = new MemoryStore();
  const { token } = await store.addToken("D");
  const { token: other } = await store.addToken("E");
  await store.setAcl("E", [
    { permission: "deny", action: "publish", topic: "devices/E/telemetry" },
    { permission: "allow", action: "all", topic: "#" },
  ]);
  const r = rig(store);
  try {
    const { server } = r;
    assert.equal(
      (await request(server, 2, `/api/v1/${token}/telemetry`, {
        payload: '{"t":21}',
      })).code,
      0x44,
    );
    assert.equal(
      (await request(server, 2, `/api/v1/${token}/attributes`, {
        payload: '{"fw":"1.2"}',
      })).code,
      0x44,
    );
    await tick();
    assert.deepEqual(r.seen, [
      'devices/D/telemetry {"t":21}',
      'devices/D/attributes {"fw":"1.2"}',
    ]);
    const attrs = await request(server, 1, `/api/v1/${token}/attributes`);
    assert.equal(TEXT.decode(attrs.payload), '{"fw":"1.2"}');

    const unknown = await request(server, 2, "/api/v1/not-a-token/telemetry", {
      payload: "1",
    });
    assert.equal(unknown.code, 0x81);
    const denied = await request(server, 2, `/api/v1/${other}/telemetry`, {
      payload: "1",
    });
    assert.equal(denied.code, 0x83);
    const { token: wild } = await store.addToken("a+b");
    assert.equal(
      (await request(server, 1, `/api/v1/${wild}/rpc`, { observe: true }))
        .code,
      0x83,
    );
    // tokenless paths need a DTLS identity
    assert.equal(
      (await request(server, 2, "/api/v1/telemetry", { payload: "1" })).code,
      0x81,
    );
    await tick();
    assert.equal(r.seen.length, 2);
  } finally {
    await r.close();
    await store.close();
  }
});

Deno.test("device API: RPC requests reach the observing device only, its answer is published on rpc/response/{id}", async () => {
  const store = new MemoryStore();
  await store.addPsk("D", new Uint8Array(16));
  await store.addPsk("E", new Uint8Array(16));
  const r = rig(store);
  try {
    const { server, broker, driver } = r;
    const d = { peer: "d", identity: { kind: "psk", identity: "D" } };
    const e = { peer: "e", identity: { kind: "psk", identity: "E" } };
    const regD = await request(server, 1, "/api/v1/rpc", {
      observe: true,
      ...d,
    });
    assert.equal(regD.code, 0x45);
    assert.ok(uintValue(regD.options, OptionNumber.OBSERVE) !== undefined);
    assert.equal(
      (await request(server, 1, "/api/v1/rpc", { observe: true, ...e })).code,
      0x45,
    );
    broker.publish(0, {
      topic: "devices/D/rpc/request/7",
      payload: new TextEncoder().encode(
        '{"method":"setGpio","params":{"pin":23}}',
      ),
      qos: 1,
      retain: false,
    });
    driver.pump();
    await tick();
    const notes = drain(server);
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.to, "d");
    assert.equal(
      TEXT.decode(notes[0]!.m.payload),
      '{"id":7,"method":"setGpio","params":{"pin":23}}',
    );
    assert.equal(
      uintValue(notes[0]!.m.options, OptionNumber.CONTENT_FORMAT),
      50,
    );

    const answer = await request(server, 2, "/api/v1/rpc/7", {
      payload: '{"ok":true}',
      ...d,
    });
    assert.equal(answer.code, 0x44);
    await tick();
    assert.ok(
      r.seen.includes('devices/D/rpc/response/7 {"ok":true}'),
      r.seen.join("\n"),
    );

    // an unknown PSK identity (removed since the handshake) is 4.01
    await store.removePsk("E");
    const gone = await request(server, 2, "/api/v1/telemetry", {
      payload: "1",
      ...e,
    });
    assert.equal(gone.code, 0x81);
  } finally {
    await r.close();
    await store.close();
  }
});

Deno.test("/ps: anonymous only with allow_anonymous; identities publish under their ACL", async () => {
  const store = new MemoryStore();
  await store.addPsk("sensor", new Uint8Array(16));
  await store.setAcl("sensor", [
    { permission: "allow", action: "publish", topic: "sensors/%u" },
    { permission: "allow", action: "subscribe", topic: "sensors/#" },
  ]);
  const closed = rig(store, false);
  try {
    const anon = await request(closed.server, 2, "/ps/a", { payload: "1" });
    assert.equal(anon.code, 0x81);
    const id = { identity: { kind: "psk", identity: "sensor" } };
    assert.equal(
      (await request(closed.server, 2, "/ps/sensors/sensor", {
        payload: "1",
        ...id,
      })).code,
      0x44,
    );
    assert.equal(
      (await request(closed.server, 2, "/ps/other", { payload: "1", ...id }))
        .code,
      0x83,
    );
    assert.equal(
      (await request(closed.server, 1, "/ps/#", { observe: true, ...id }))
        .code,
      0x83,
    );
    assert.equal(
      (await request(closed.server, 1, "/ps/sensors/#", {
        observe: true,
        ...id,
      })).code,
      0x45,
    );
    assert.equal(closed.server.observerCount, 1);
  } finally {
    await closed.close();
  }
  const open = rig(store, true);
  try {
    assert.equal(
      (await request(open.server, 2, "/ps/a", { payload: "1" })).code,
      0x44,
    );
  } finally {
    await open.close();
    await store.close();
  }
});

Deno.test("an observation ends when its credential is removed: the next notification is 4.01", async () => {
  const store = new MemoryStore();
  const { token } = await store.addToken("D");
  const r = rig(store);
  try {
    const { server, broker, driver } = r;
    assert.equal(
      (await request(server, 1, `/api/v1/${token}/attributes`, {
        observe: true,
      })).code,
      0x45,
    );
    assert.equal(server.observerCount, 1);
    await store.removeToken(token);
    broker.publish(0, {
      topic: "devices/D/attributes",
      payload: new TextEncoder().encode("{}"),
      qos: 0,
      retain: false,
    });
    driver.pump();
    await tick();
    const [note] = drain(server);
    assert.equal(note?.m.code, 0x81);
    assert.equal(server.observerCount, 0);
  } finally {
    await r.close();
    await store.close();
  }
});

Deno.test("a notification too large for one datagram: its Block2 follow-up is served from the notified message", async () => {
  const r = rig();
  try {
    const { server, broker, driver } = r;
    assert.equal(
      (await request(server, 1, "/ps/big/#", { observe: true, peer: "p" }))
        .code,
      0x45,
    );
    const body = new Uint8Array(1500).map((_, i) => i % 251);
    broker.publish(0, { topic: "big/x", payload: body, qos: 0, retain: false });
    driver.pump();
    await tick();
    const [note] = drain(server);
    assert.ok(note !== undefined);
    const block2 = note.m.options.find((o) => o.number === OptionNumber.BLOCK2);
    assert.ok(block2 !== undefined, "first block carries Block2");
    const etag = note.m.options.find((o) => o.number === OptionNumber.ETAG);
    assert.ok(etag !== undefined);
    const id = nextId++;
    server.handleDatagram(
      0,
      encodeMessage({
        type: 0,
        code: 1,
        messageId: id,
        token: new Uint8Array([id]),
        options: [...pathOptions("/ps/big/#"), {
          number: OptionNumber.BLOCK2,
          value: encodeBlock({ num: 1, more: false, szx: 6 }),
        }],
        payload: new Uint8Array(),
      }),
      "p",
    );
    await tick();
    const [rest] = drain(server);
    assert.equal(rest?.m.code, 0x45);
    assert.deepEqual(
      new Uint8Array([...note.m.payload, ...rest!.m.payload]),
      body,
    );
    assert.deepEqual(
      rest!.m.options.find((o) => o.number === OptionNumber.ETAG)?.value,
      etag.value,
    );
  } finally {
    await r.close();
  }
});
