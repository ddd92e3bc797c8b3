import assert from "node:assert/strict";
import { CoapGateway } from "../../src/gateway/mapping.ts";
import { GatewayAuth } from "../../src/gateway/auth.ts";
import { CoapConnections } from "../../src/gateway/connection_mode.ts";
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
} from "../../src/coap/options.ts";
import { MemoryStore } from "../../src/auth/mod.ts";
import { SessionSweeper } from "../../src/sessions/mod.ts";

const TEXT = new TextDecoder();
const tick = () => new Promise((r) => setTimeout(r, 10));

interface Rig {
  store: MemoryStore;
  server: CoapServer;
  gw: CoapGateway;
  connections: CoapConnections;
  /** `subject topic payload` of every publish the broker got. */
  published: string[];
  clock: { now: number };
  close(): Promise<void>;
}

async function rig(
  options: { required?: boolean; allowAnonymous?: boolean } = {},
): Promise<Rig> {
  const store = new MemoryStore();
  await store.addUser("alice", "s3cret");
  const { token } = await store.addToken("thermo");
  await store.setAcl("alice", [
    { permission: "allow", action: "all", topic: "u/alice/#" },
    { permission: "allow", action: "publish", topic: "c/%c" },
  ]);
  await store.setAcl("thermo", [
    { permission: "allow", action: "all", topic: "#" },
  ]);
  await store.addPsk("P", new Uint8Array(16));
  const clock = { now: 0 };
  const published: string[] = [];
  const connections = new CoapConnections({
    required: options.required ?? false,
    heartbeatMs: 1000,
  });
  const gw = new CoapGateway({
    publish: (_now, m) => (published.push(
      `${m.topic} ${TEXT.decode(m.payload)}`,
    ),
      1),
    retained: () => undefined,
  }, {
    clock: () => clock.now,
    auth: new GatewayAuth(store, {
      allowAnonymous: options.allowAnonymous ?? true,
    }),
    connections,
  });
  const server = new CoapServer(gw.routes(new Router()));
  gw.attach({ notify: (now, path, peer) => server.notify(now, path, peer) });
  tokens.thermo = token;
  return {
    store,
    server,
    gw,
    connections,
    published,
    clock,
    close: () => store.close(),
  };
}

const tokens: Record<string, string> = {};
let nextId = 1;

async function request(
  r: Rig,
  code: number,
  uri: string,
  extra: { payload?: string; observe?: boolean; identity?: unknown } = {},
): Promise<CoapMessage> {
  const [p, q] = uri.split("?");
  const options = [...pathOptions(p!, q === undefined ? [] : q.split("&"))];
  if (extra.observe) options.push(uintOption(OptionNumber.OBSERVE, 0));
  const id = nextId++;
  r.server.handleDatagram(
    r.clock.now,
    encodeMessage({
      type: 0,
      code,
      messageId: id,
      token: new Uint8Array([id & 0xff, id >> 8]),
      options,
      payload: new TextEncoder().encode(extra.payload ?? ""),
    }),
    "peer",
    extra.identity,
  );
  // Password checks hash: wait (bounded) for the handler to answer.
  for (let i = 0; i < 300; i++) {
    await tick();
    r.server.handleTimeout(r.clock.now);
    const out = r.server.pollTransmit();
    if (out !== undefined) return decodeMessage(out.bytes);
  }
  assert.fail(`no answer to ${uri}`);
}

const POST = 2, PUT = 3, DELETE = 4, GET = 1;

async function connect(r: Rig, query: string): Promise<string> {
  const res = await request(r, POST, `/mqtt/connection?${query}`);
  assert.equal(res.code, 0x41, TEXT.decode(res.payload));
  return TEXT.decode(res.payload);
}

Deno.test("POST /mqtt/connection: 2.01 with a random token for good credentials, 4.01 for bad ones, 4.00 without clientid", async () => {
  const r = await rig({ allowAnonymous: false });
  try {
    const token = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.equal(r.connections.size, 1);
    const wrong = await request(
      r,
      POST,
      "/mqtt/connection?clientid=c1&username=alice&password=nope",
    );
    assert.equal(wrong.code, 0x81);
    assert.equal(
      (await request(
        r,
        POST,
        "/mqtt/connection?clientid=c2&username=bob&password=x",
      ))
        .code,
      0x81,
    );
    assert.equal(
      (await request(r, POST, "/mqtt/connection?clientid=c3")).code,
      0x81,
      "anonymous refused when allow_anonymous is off",
    );
    assert.equal(
      (await request(
        r,
        POST,
        "/mqtt/connection?username=alice&password=s3cret",
      ))
        .code,
      0x80,
    );
    // A user name without a password is an access token, as for MQTT.
    await connect(r, `clientid=t1&username=${tokens.thermo}`);
    assert.equal(r.connections.size, 2);
  } finally {
    await r.close();
  }
});

Deno.test("tokens are distinct 128-bit values; a new connection with the same clientid replaces the old token", () => {
  const connections = new CoapConnections();
  const who = { subject: "alice", anonymous: false };
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(connections.open(0, who, `c${i}`));
  assert.equal(seen.size, 200);
  const first = connections.open(0, who, "same");
  const second = connections.open(0, who, "same");
  assert.throws(
    () => connections.heartbeat(0, "same", first),
    (e: unknown) => (e as { code?: number }).code === 0x81,
  );
  connections.heartbeat(0, "same", second);
});

Deno.test("the connection table is bounded: a new clientid past maxConnections is 5.03, an existing one may reconnect", () => {
  const connections = new CoapConnections({ maxConnections: 2 });
  const who = { subject: "*", anonymous: true };
  connections.open(0, who, "a");
  connections.open(0, who, "b");
  assert.throws(
    () => connections.open(0, who, "c"),
    (e: unknown) => (e as { code?: number }).code === 0xa3,
  );
  connections.open(0, who, "a");
  assert.equal(connections.size, 2);
});

Deno.test("/ps with clientid and token acts as the connection's user: ACL from the store, %c is the clientid, 4.03 on denial", async () => {
  const r = await rig({ allowAnonymous: false });
  try {
    const token = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    const as = `clientid=c1&token=${token}`;
    assert.equal(
      (await request(r, PUT, `/ps/u/alice/t?${as}`, { payload: "21" })).code,
      0x44,
    );
    assert.equal(
      (await request(r, POST, `/ps/c/c1?${as}&qos=1`, { payload: "x" })).code,
      0x44,
    );
    assert.equal(
      (await request(r, POST, `/ps/u/bob/t?${as}`, { payload: "no" })).code,
      0x83,
    );
    assert.equal(
      (await request(r, POST, `/ps/c/other?${as}`, { payload: "no" })).code,
      0x83,
    );
    assert.deepEqual(r.published, ["u/alice/t 21", "c/c1 x"]);
    // Anonymous access is off: without the token the same request is 4.01.
    assert.equal(
      (await request(r, POST, "/ps/u/alice/t", { payload: "no" })).code,
      0x81,
    );
  } finally {
    await r.close();
  }
});

Deno.test("/ps with a bad token, another client's token or a token without clientid is 4.01", async () => {
  const r = await rig();
  try {
    const token = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    await connect(r, "clientid=c2&username=alice&password=s3cret");
    for (
      const q of [
        `clientid=c1&token=${"0".repeat(32)}`,
        `clientid=c2&token=${token}`,
        `token=${token}`,
        `clientid=c1&token=`,
        `clientid=nobody&token=${token}`,
      ]
    ) {
      const res = await request(r, POST, `/ps/u/alice/t?${q}`, {
        payload: "x",
      });
      assert.equal(res.code, 0x81, q);
    }
    assert.deepEqual(r.published, []);
  } finally {
    await r.close();
  }
});

Deno.test("PUT /mqtt/connection is a heartbeat (2.04), DELETE closes (2.02); the token is then 4.01", async () => {
  const r = await rig();
  try {
    const token = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    const as = `clientid=c1&token=${token}`;
    assert.equal((await request(r, PUT, `/mqtt/connection?${as}`)).code, 0x44);
    assert.equal(
      (await request(r, PUT, `/mqtt/connection?clientid=c1&token=bad`)).code,
      0x81,
    );
    assert.equal(
      (await request(r, PUT, `/mqtt/connection?token=${token}`)).code,
      0x80,
    );
    assert.equal(
      (await request(r, DELETE, `/mqtt/connection?${as}`)).code,
      0x42,
    );
    assert.equal(r.connections.size, 0);
    assert.equal(
      (await request(r, DELETE, `/mqtt/connection?${as}`)).code,
      0x81,
    );
    assert.equal(
      (await request(r, POST, `/ps/u/alice/t?${as}`, { payload: "x" })).code,
      0x81,
    );
  } finally {
    await r.close();
  }
});

Deno.test("connection_required: /ps without a token is 4.01 even with anonymous access; a token or a DTLS identity passes", async () => {
  const r = await rig({ required: true, allowAnonymous: true });
  try {
    assert.equal(
      (await request(r, POST, "/ps/a", { payload: "x" })).code,
      0x81,
    );
    assert.equal((await request(r, GET, "/ps/a")).code, 0x81);
    assert.equal(
      (await request(r, POST, "/ps/a?clientid=c1", { payload: "x" })).code,
      0x81,
    );
    const token = await connect(r, "clientid=anon");
    assert.equal(
      (await request(r, POST, `/ps/a?clientid=anon&token=${token}`, {
        payload: "anon",
      })).code,
      0x44,
    );
    assert.equal(
      (await request(r, POST, "/ps/a", {
        payload: "psk",
        identity: { kind: "psk", identity: "P" },
      })).code,
      0x44,
    );
    assert.deepEqual(r.published, ["a anon", "a psk"]);
  } finally {
    await r.close();
  }
});

Deno.test("idle connections end on the shared sweeper after one to two heartbeat intervals; requests with the token keep them alive", async () => {
  const r = await rig();
  try {
    const sweeper = new SessionSweeper();
    sweeper.register(r.connections.sweepTarget(), 0);
    const busy = await connect(
      r,
      "clientid=busy&username=alice&password=s3cret",
    );
    const idle = await connect(
      r,
      "clientid=idle&username=alice&password=s3cret",
    );
    for (const now of [600, 1200, 1800, 2400]) {
      r.clock.now = now;
      assert.equal(
        (await request(r, POST, `/ps/u/alice/b?clientid=busy&token=${busy}`, {
          payload: String(now),
        })).code,
        0x44,
      );
      sweeper.handleTimeout(now);
    }
    assert.deepEqual(sweeper.totals(), { "coap/connections": 1 });
    assert.equal(
      (await request(r, PUT, `/mqtt/connection?clientid=idle&token=${idle}`))
        .code,
      0x81,
    );
    // Sweeps ran at 1200 and 2400 (the idle one went at 1200); the busy one,
    // last active at 2400, goes at the sweep of 3400.
    assert.deepEqual(sweeper.handleTimeout(3399), []);
    assert.equal(sweeper.handleTimeout(3400)[0]?.removed, 1);
    assert.equal(r.connections.size, 0);
  } finally {
    await r.close();
  }
});

Deno.test("an observation made with a token ends at its next notification once the connection is closed", async () => {
  const r = await rig();
  try {
    const token = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    const as = `clientid=c1&token=${token}`;
    const reg = await request(r, GET, `/ps/u/alice/o?${as}`, { observe: true });
    assert.equal(reg.code, 0x45);
    assert.equal(r.server.observerCount, 1);
    r.gw.deliver(0, "u/alice/o", new TextEncoder().encode("one"));
    await tick();
    r.server.handleTimeout(0);
    const note = r.server.pollTransmit();
    assert.equal(TEXT.decode(decodeMessage(note!.bytes).payload), "one");
    assert.equal(
      (await request(r, DELETE, `/mqtt/connection?${as}`)).code,
      0x42,
    );
    r.gw.deliver(0, "u/alice/o", new TextEncoder().encode("two"));
    await tick();
    r.server.handleTimeout(0);
    const end = r.server.pollTransmit();
    assert.equal(decodeMessage(end!.bytes).code, 0x81);
    assert.equal(r.server.observerCount, 0);
  } finally {
    await r.close();
  }
});

Deno.test("removing the user a connection logged in with ends the connection (store change feed → revoke)", async () => {
  const r = await rig();
  try {
    const stop = r.store.onChange((c) => r.connections.revoke(c));
    const alice = await connect(
      r,
      "clientid=c1&username=alice&password=s3cret",
    );
    const anon = await connect(r, "clientid=c2");
    await r.store.removeUser("alice");
    await tick();
    stop();
    assert.equal(r.connections.size, 1);
    assert.equal(
      (await request(r, POST, `/ps/u/alice/t?clientid=c1&token=${alice}`, {
        payload: "x",
      })).code,
      0x81,
    );
    assert.equal(
      (await request(r, PUT, `/mqtt/connection?clientid=c2&token=${anon}`))
        .code,
      0x44,
    );
  } finally {
    await r.close();
  }
});
