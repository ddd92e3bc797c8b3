import assert from "node:assert/strict";
import { MessageLayer } from "../../src/coap/message_layer.ts";
import {
  decodeMessage,
  emptyMessage,
  encodeMessage,
} from "../../src/coap/message.ts";
import { CoapClient } from "../../src/coap/client.ts";
import { CoapServer } from "../../src/coap/server.ts";
import { Router } from "../../src/coap/router.ts";
import { Code } from "../../src/coap/codes.ts";
import { dropWhere, LossyLink } from "../support/lossy_link.ts";
import { clientCore, serverCore } from "./_support.ts";

const req = {
  code: 1,
  token: new Uint8Array([1]),
  options: [],
  payload: new Uint8Array(),
};

Deno.test("MessageLayer retransmits a CON at 2, 6, 14, 30 s and gives up at 62 s", () => {
  const layer = new MessageLayer<string>({ random: () => 0 });
  layer.sendConfirmable(0, "p", req, "t");
  const sentAt: number[] = [];
  let now = 0;
  for (;;) {
    if (layer.pollTransmit()) sentAt.push(now);
    const next = layer.nextTimeout();
    if (next === undefined) break;
    now = next;
    layer.handleTimeout(now);
  }
  assert.deepEqual(sentAt, [0, 2000, 6000, 14000, 30000]);
  assert.deepEqual(layer.pollEvent(), {
    type: "timeout",
    peer: "p",
    messageId: 0,
    tag: "t",
  });
  assert.equal(now, 62000);
});

Deno.test("MessageLayer uses ACK_RANDOM_FACTOR and configurable MAX_RETRANSMIT", () => {
  const layer = new MessageLayer<string>({
    random: () => 0.999,
    maxRetransmit: 1,
    ackTimeout: 1000,
  });
  layer.sendConfirmable(0, "p", req, "t");
  assert.equal(layer.nextTimeout(), 1499);
  layer.handleTimeout(1499);
  assert.equal(layer.nextTimeout(), 1499 + 2998);
  layer.handleTimeout(4497);
  assert.equal(layer.pollEvent()?.type, "timeout");
});

Deno.test("MessageLayer enforces NSTART 1 per peer and allocates sequential IDs", () => {
  const layer = new MessageLayer<number>({ random: () => 0.5 });
  const a = layer.sendConfirmable(0, "p", req, 1);
  const b = layer.sendConfirmable(0, "p", req, 2);
  const c = layer.sendConfirmable(0, "q", req, 3);
  assert.equal(b, (a + 1) & 0xffff);
  assert.equal(layer.pollTransmit()?.to, "p");
  assert.equal(layer.pollTransmit()?.to, "q");
  assert.equal(layer.pollTransmit(), undefined); // b waits
  const r = layer.receive(10, "p", emptyMessage(2, a));
  assert.equal(r.kind === "ack" && r.tag, 1);
  assert.equal(decodeMessage(layer.pollTransmit()!.bytes).messageId, b);
  assert.equal(c, 0x8000);
});

Deno.test("MessageLayer replays the cached reply to a duplicate CON", () => {
  const layer = new MessageLayer<string>();
  const con = decodeMessage(encodeMessage({ ...req, type: 0, messageId: 9 }));
  assert.equal(layer.receive(0, "p", con).kind, "new");
  layer.reply(
    "p",
    { ...req, type: 2, code: 0x45, messageId: 9 },
    9,
  );
  const first = layer.pollTransmit()!.bytes;
  assert.equal(layer.receive(1000, "p", con).kind, "duplicate");
  assert.deepEqual(layer.pollTransmit()!.bytes, first);
  // Same ID from another peer is a different message.
  assert.equal(layer.receive(1000, "q", con).kind, "new");
});

Deno.test("MessageLayer bounds remembered message IDs", () => {
  const layer = new MessageLayer<string>({ maxRemembered: 100 });
  for (let i = 0; i < 1000; i++) {
    layer.receive(0, `p${i}`, { ...req, type: 1, messageId: i });
  }
  assert.ok(layer.rememberedCount <= 100);
});

function pair(
  router: Router,
  filters: ReturnType<typeof dropWhere>[] = [],
  seed = 1,
  separateResponseAfterMs = 0,
) {
  const server = new CoapServer(router, {
    transmission: { random: () => 0 },
    separateResponseAfterMs,
  });
  const client = new CoapClient({ transmission: { random: () => 0 } });
  const link = new LossyLink(clientCore(client), serverCore(server), {
    latencyMs: 10,
    filters,
    seed,
  });
  return { server, client, link };
}

Deno.test("client/server: lost request is retransmitted once at 2 s; duplicate request gets the cached response", () => {
  let calls = 0;
  const router = new Router().add("POST", "/count", () => {
    calls++;
    return { code: Code.CHANGED, payload: String(calls) };
  });
  const { client, link } = pair(router, [
    dropWhere("first request", (d) => d.from === "a" && d.index === 1),
    dropWhere("first ACK", (d) => d.from === "b" && d.index === 1),
  ]);
  client.request(0, "server", { method: "POST", path: "/count" });
  link.driveBounded(100);
  const e = client.pollEvent();
  assert.equal(e?.type, "response");
  assert.equal(
    e?.type === "response" && new TextDecoder().decode(e.response.payload),
    "1",
  );
  // Sent at 0 (lost), 2000 (ACK lost), 6000 (duplicate → cached ACK).
  assert.equal(link.stats.a.sent, 3);
  assert.equal(link.stats.b.sent, 2);
  assert.equal(calls, 1);
  assert.equal(link.now, 6020);
});

Deno.test("client/server: seeded 30% loss still completes 20 CON GETs", () => {
  const router = new Router().add("GET", "/x", () => ({
    code: Code.CONTENT,
    payload: "x",
  }));
  const server = new CoapServer(router);
  const client = new CoapClient();
  const link = new LossyLink(clientCore(client), serverCore(server), {
    seed: 42,
    lossRate: 0.3,
    duplicateRate: 0.1,
  });
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < 20; i++) {
    client.request(link.now, "server", { method: "GET", path: "/x" });
    link.driveBounded(1000);
    for (let e = client.pollEvent(); e; e = client.pollEvent()) {
      if (e.type === "response") ok++;
      else failed++;
    }
  }
  assert.equal(ok + failed, 20);
  assert.ok(ok >= 18, `only ${ok} of 20 succeeded`);
});

Deno.test("server: async handler gets an empty ACK and a separate CON response", async () => {
  const router = new Router().add(
    "GET",
    "/slow",
    () => Promise.resolve({ code: Code.CONTENT, payload: "late" }),
  );
  const { server, client, link } = pair(router);
  client.request(0, "server", { method: "GET", path: "/slow" });
  link.driveBounded(10);
  assert.equal(client.pollEvent(), undefined);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(server.nextTimeout(), 10);
  link.driveBounded(10);
  const e = client.pollEvent();
  assert.equal(
    e?.type === "response" && new TextDecoder().decode(e.response.payload),
    "late",
  );
  // request, empty ACK, CON response, ACK of it.
  assert.deepEqual(
    link.trace.map((t) => `${t.from}${t.size}`),
    ["a13", "b4", "b13", "a4"],
  );
});

Deno.test("server: an async handler that settles in time is piggybacked; a slow one gets an empty ACK at the deadline", async () => {
  let release: (() => void) | undefined;
  const router = new Router()
    .add(
      "GET",
      "/quick",
      () => Promise.resolve({ code: Code.CONTENT, payload: "q" }),
    )
    .add("GET", "/slow", () =>
      new Promise((resolve) => {
        release = () => resolve({ code: Code.CONTENT, payload: "s" });
      }));
  const { server, client, link } = pair(router, [], 1, 200);
  client.request(0, "server", { method: "GET", path: "/quick" });
  link.step(); // the request reaches the server at 10 ms
  await Promise.resolve();
  link.driveBounded(10);
  assert.equal(client.pollEvent()?.type, "response");
  // request, piggybacked response.
  assert.deepEqual(link.trace.map((t) => t.from), ["a", "b"]);

  const start = link.now;
  client.request(start, "server", { method: "GET", path: "/slow" });
  link.step();
  assert.equal(server.nextTimeout(), start + 10 + 200);
  link.driveUntil(() => link.trace.length === 4);
  // the empty ACK leaves at the 200 ms deadline.
  assert.deepEqual(link.trace.slice(2).map((t) => `${t.from}${t.size}`), [
    "a13",
    "b4",
  ]);
  release!();
  await Promise.resolve();
  link.driveBounded(10);
  const slow = client.pollEvent();
  assert.equal(
    slow?.type === "response" &&
      new TextDecoder().decode(slow.response.payload),
    "s",
  );
});

Deno.test("client reports a timeout after MAX_RETRANSMIT with a dead server", () => {
  const { client, link } = pair(new Router(), [
    dropWhere("all", (d) => d.from === "a"),
  ]);
  client.request(0, "server", { method: "GET", path: "/x" });
  link.driveBounded(100);
  assert.equal(link.stats.a.sent, 5);
  assert.equal(link.now, 62000);
  const e = client.pollEvent();
  assert.equal(e?.type === "error" && e.error.name, "CoapTimeoutError");
});
