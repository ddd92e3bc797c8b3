import assert from "node:assert/strict";
import { CoapServer } from "../../src/coap/server.ts";
import { Router } from "../../src/coap/router.ts";
import { CoapClient } from "../../src/coap/client.ts";
import { Code } from "../../src/coap/codes.ts";
import {
  type CoapMessage,
  decodeMessage,
  encodeMessage,
} from "../../src/coap/message.ts";
import {
  type CoapOption,
  OptionNumber,
  pathOptions,
  uintOption,
  uintValue,
} from "../../src/coap/options.ts";
import { blockSize, decodeBlock, encodeBlock } from "../../src/coap/block.ts";
import { parseLinkFormat } from "../../src/coap/link_format.ts";
import { dropWhere, LossyLink } from "../support/lossy_link.ts";
import { clientCore, hex, serverCore } from "./_support.ts";

const td = new TextDecoder();
const big = new Uint8Array(3000).map((_, i) => i * 7);

function router(): Router {
  let n = 0;
  return new Router()
    .add("GET", "/time", () => ({
      code: Code.CONTENT,
      payload: `t${n++}`,
      contentFormat: 0,
    }), { rt: "clock", ct: 0, obs: true, title: "Time" })
    .add("GET", "/big", () => ({ code: Code.CONTENT, payload: big }), {
      rt: "data",
    })
    .add("PUT", "/store", (r) => ({
      code: Code.CHANGED,
      payload: String(r.payload.length),
    }))
    .add("GET", "/sensors/:id", (r) => ({
      code: Code.CONTENT,
      payload: r.params.id ?? "",
    }), { rt: "temperature-c" });
}

/** Distinct message IDs: a repeated one would be answered from the dedup cache. */
let lastMessageId = 0;

function ask(
  server: CoapServer,
  options: CoapOption[],
  extra: Partial<CoapMessage> = {},
): CoapMessage | undefined {
  server.handleDatagram(
    0,
    encodeMessage({
      type: 0,
      code: 1,
      messageId: (lastMessageId++ % 65535) + 1,
      token: new Uint8Array([5]),
      options,
      payload: new Uint8Array(),
      ...extra,
    }),
    "c",
  );
  const out = server.pollTransmit();
  return out && decodeMessage(out.bytes);
}

Deno.test("server: /.well-known/core lists resources and filters by ?rt=", () => {
  const s = new CoapServer(router());
  const all = ask(s, pathOptions("/.well-known/core"))!;
  assert.equal(uintValue(all.options, OptionNumber.CONTENT_FORMAT), 40);
  const links = parseLinkFormat(td.decode(all.payload));
  assert.deepEqual(links.map((l) => l.target), [
    "/time",
    "/big",
    "/store",
    "/sensors/:id",
  ]);
  assert.equal(links[0]?.attributes.obs, true);
  const f = ask(s, pathOptions("/.well-known/core", ["rt=temp*"]))!;
  assert.equal(td.decode(f.payload), '</sensors/:id>;rt="temperature-c"');
});

Deno.test("server: routing, params, 4.04 and 4.05", () => {
  const s = new CoapServer(router());
  assert.equal(td.decode(ask(s, pathOptions("/sensors/t7"))!.payload), "t7");
  assert.equal(ask(s, pathOptions("/nope"))!.code, Code.NOT_FOUND);
  assert.equal(
    ask(s, pathOptions("/time"), { code: Code.DELETE })!.code,
    Code.METHOD_NOT_ALLOWED,
  );
  assert.equal(
    ask(s, pathOptions("/time"), { code: 0x1f })!.code,
    Code.METHOD_NOT_ALLOWED,
  );
});

Deno.test("server: unrecognized critical option → 4.02 in CON, RST for NON; elective ignored", () => {
  const s = new CoapServer(router());
  const opts = [...pathOptions("/time"), { number: 9, value: hex("01") }];
  assert.equal(ask(s, opts)!.code, Code.BAD_OPTION);
  const rst = ask(s, opts, { type: 1 })!;
  assert.equal(rst.type, 3);
  const el = [...pathOptions("/time"), { number: 10, value: hex("01") }];
  assert.equal(ask(s, el)!.code, Code.CONTENT);
  // Repeated non-repeatable critical option (§5.4.5).
  const rep = [
    ...pathOptions("/time"),
    uintOption(OptionNumber.ACCEPT, 0),
    uintOption(OptionNumber.URI_PORT, 1),
    uintOption(OptionNumber.URI_PORT, 2),
  ];
  assert.equal(ask(s, rep)!.code, Code.BAD_OPTION);
});

Deno.test("server: malformed CON → RST, malformed NON and CoAP ping handling", () => {
  const s = new CoapServer(router());
  s.handleDatagram(0, hex("4001 1234 ff"), "c");
  assert.deepEqual(s.pollTransmit()?.bytes, hex("7000 1234"));
  s.handleDatagram(0, hex("5001 1235 ff"), "c");
  assert.equal(s.pollTransmit(), undefined);
  s.handleDatagram(0, hex("4000 1236"), "c"); // ping
  assert.deepEqual(s.pollTransmit()?.bytes, hex("7000 1236"));
  s.handleDatagram(0, hex("4045 1237"), "c"); // unsolicited response
  assert.deepEqual(s.pollTransmit()?.bytes, hex("7000 1237"));
});

Deno.test("server: Block2 uses the smaller of client and server SZX, with Size2", () => {
  const s = new CoapServer(router(), { blockSize: 256 });
  const first = ask(s, pathOptions("/big"))!;
  const b = decodeBlock(
    first.options.find((o) => o.number === OptionNumber.BLOCK2)!.value,
  );
  assert.deepEqual(b, { num: 0, more: true, szx: 4 });
  assert.equal(uintValue(first.options, OptionNumber.SIZE2), 3000);
  const parts: Uint8Array[] = [];
  for (let num = 0;; num++) {
    const r = ask(s, [...pathOptions("/big"), {
      number: OptionNumber.BLOCK2,
      value: encodeBlock({ num, more: false, szx: 2 }),
    }])!;
    const blk = decodeBlock(
      r.options.find((o) => o.number === OptionNumber.BLOCK2)!.value,
    );
    assert.equal(blk.szx, 2);
    parts.push(r.payload);
    if (!blk.more) break;
  }
  assert.equal(parts.length, Math.ceil(3000 / blockSize(2)));
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), big);
});

Deno.test("server: Block1 reassembly, 2.31 Continue, 4.13 with Size1, 4.08 out of order", () => {
  const s = new CoapServer(router(), { maxBodySize: 100 });
  const put = (num: number, more: boolean, len: number) =>
    ask(s, [...pathOptions("/store"), {
      number: OptionNumber.BLOCK1,
      value: encodeBlock({ num, more, szx: 1 }),
    }], { code: Code.PUT, payload: new Uint8Array(len).fill(1) })!;
  assert.equal(put(0, true, 32).code, Code.CONTINUE);
  assert.equal(put(1, true, 32).code, Code.CONTINUE);
  const done = put(2, false, 5);
  assert.equal(done.code, Code.CHANGED);
  assert.equal(td.decode(done.payload), "69");
  assert.equal(put(3, true, 32).code, Code.REQUEST_ENTITY_INCOMPLETE);
  for (let i = 0; i < 3; i++) put(i, true, 32);
  const tooBig = put(3, true, 32);
  assert.equal(tooBig.code, Code.REQUEST_ENTITY_TOO_LARGE);
  assert.equal(uintValue(tooBig.options, OptionNumber.SIZE1), 100);
  const announced = ask(s, [
    ...pathOptions("/store"),
    uintOption(OptionNumber.SIZE1, 5000),
  ], { code: Code.PUT, payload: new Uint8Array(1) })!;
  assert.equal(announced.code, Code.REQUEST_ENTITY_TOO_LARGE);
});

function link(server: CoapServer, client: CoapClient, drop?: number[]) {
  return new LossyLink(clientCore(client), serverCore(server), {
    latencyMs: 10,
    filters: drop
      ? [dropWhere("drop", (d) => d.from === "b" && drop.includes(d.index))]
      : [],
  });
}

Deno.test("client: Block2 download and Block1 upload with SZX renegotiation", () => {
  const server = new CoapServer(router(), { blockSize: 64 });
  const client = new CoapClient({ transmission: { random: () => 0 } });
  const l = link(server, client);
  client.request(0, "server", { method: "GET", path: "/big" });
  l.driveBounded(1000);
  const e = client.pollEvent();
  assert.ok(e?.type === "response");
  assert.deepEqual(e.response.payload, big);
  const body = new Uint8Array(1000).fill(3);
  client.request(l.now, "server", {
    method: "PUT",
    path: "/store",
    payload: body,
    blockSize: 256,
  });
  l.driveBounded(1000);
  const put = client.pollEvent();
  assert.ok(put?.type === "response");
  assert.equal(put.response.code, Code.CHANGED);
  assert.equal(td.decode(put.response.payload), "1000");
});

Deno.test("observe: registration, NON notifications, CON every 3rd, deregistration by RST", () => {
  const server = new CoapServer(router(), {
    observe: { confirmEvery: 3 },
    transmission: { random: () => 0 },
  });
  const client = new CoapClient({ transmission: { random: () => 0 } });
  const l = link(server, client);
  const id = client.request(0, "server", {
    method: "GET",
    path: "/time",
    observe: true,
  });
  l.driveBounded(100);
  const first = client.pollEvent();
  assert.ok(first?.type === "response" && first.response.observe !== undefined);
  assert.equal(server.observerCount, 1);
  const types: number[] = [];
  for (let i = 0; i < 6; i++) {
    server.notify(l.now, "/time");
    const o = server.pollTransmit()!;
    types.push(decodeMessage(o.bytes).type);
    l.inject("a", o.bytes);
    l.driveBounded(100);
  }
  assert.deepEqual(types, [1, 1, 0, 1, 1, 0]);
  const notes = [];
  for (let e = client.pollEvent(); e; e = client.pollEvent()) notes.push(e);
  assert.equal(notes.length, 6);
  assert.ok(notes.every((n) => n.type === "notification" && n.id === id));
  // Re-registration with the same token keeps one observer.
  assert.equal(server.observerCount, 1);
  // A client that forgot the observation answers with RST → removed.
  const forgetful = new CoapClient({ transmission: { random: () => 0.9 } });
  const l2 = link(server, forgetful);
  server.notify(l2.now, "/time");
  l2.driveBounded(100);
  assert.equal(server.observerCount, 0);
  let removed;
  for (let e = server.pollEvent(); e; e = server.pollEvent()) removed = e;
  assert.equal(removed?.type === "observer-removed" && removed.reason, "reset");
});

Deno.test("observe: a CON notification that times out removes the observer; Observe 1 deregisters", () => {
  const server = new CoapServer(router(), {
    observe: { confirmEvery: 1 },
    transmission: { random: () => 0 },
  });
  const reg = (token: number) =>
    server.handleDatagram(
      0,
      encodeMessage({
        type: 0,
        code: 1,
        messageId: token,
        token: new Uint8Array([token]),
        options: [...pathOptions("/time"), uintOption(OptionNumber.OBSERVE, 0)],
        payload: new Uint8Array(),
      }),
      "c",
    );
  reg(1);
  reg(1); // duplicate message ID: no second registration
  reg(2);
  assert.equal(server.observerCount, 2);
  server.handleDatagram(
    1,
    encodeMessage({
      type: 0,
      code: 1,
      messageId: 77,
      token: new Uint8Array([2]),
      options: [...pathOptions("/time"), uintOption(OptionNumber.OBSERVE, 1)],
      payload: new Uint8Array(),
    }),
    "c",
  );
  assert.equal(server.observerCount, 1);
  server.notify(10, "/time");
  let now = 10;
  for (
    let t = server.nextTimeout();
    t !== undefined;
    t = server.nextTimeout()
  ) {
    now = t;
    server.handleTimeout(t);
  }
  assert.equal(now, 10 + 62000);
  assert.equal(server.observerCount, 0);
});

Deno.test("server: every Block2 block carries the representation's ETag, which changes with it", () => {
  let body = big;
  const s = new CoapServer(
    new Router().add(
      "GET",
      "/doc",
      () => ({ code: Code.CONTENT, payload: body }),
    ),
    { blockSize: 1024 },
  );
  const etagOf = (num: number) => {
    const r = ask(s, [...pathOptions("/doc"), {
      number: OptionNumber.BLOCK2,
      value: encodeBlock({ num, more: false, szx: 6 }),
    }])!;
    const tags = r.options.filter((o) => o.number === OptionNumber.ETAG);
    assert.equal(tags.length, 1);
    return [...tags[0]!.value].join(",");
  };
  const first = etagOf(0);
  assert.equal(etagOf(1), first);
  assert.equal(etagOf(2), first);
  body = big.map((b) => b ^ 1);
  assert.notEqual(etagOf(1), first);
  // a response that fits one datagram has no Block2 and no ETag
  const small = ask(s, pathOptions("/.well-known/core"))!;
  assert.equal(
    small.options.some((o) => o.number === OptionNumber.ETAG),
    false,
  );
});

Deno.test("server: the observer sweep probes idle observers with a CON and removes the silent ones; forgetPeer drops a peer's", () => {
  const server = new CoapServer(router(), {
    transmission: { random: () => 0 },
  });
  const register = (peer: string, mid: number) =>
    server.handleDatagram(
      0,
      encodeMessage({
        type: 0,
        code: 1,
        messageId: mid,
        token: new Uint8Array([mid]),
        options: [...pathOptions("/time"), uintOption(OptionNumber.OBSERVE, 0)],
        payload: new Uint8Array(),
      }),
      peer,
    );
  register("alive", 1);
  register("silent", 2);
  register("gone", 3);
  for (let o = server.pollTransmit(); o; o = server.pollTransmit());
  assert.equal(server.observerCount, 3);
  assert.equal(server.forgetPeer("gone"), 1);
  assert.equal(server.observerCount, 2);

  assert.equal(server.sweepObservers(10_000, 10_000), 0);
  const probes = [];
  for (let o = server.pollTransmit(); o; o = server.pollTransmit()) {
    probes.push({ to: o.to, m: decodeMessage(o.bytes) });
  }
  assert.deepEqual(probes.map((p) => [p.to, p.m.type]).sort(), [
    ["alive", 0],
    ["silent", 0],
  ]);
  const alive = probes.find((p) => p.to === "alive")!;
  server.handleDatagram(
    10_100,
    encodeMessage({
      type: 2,
      code: 0,
      messageId: alive.m.messageId,
      token: new Uint8Array(),
      options: [],
      payload: new Uint8Array(),
    }),
    "alive",
  );
  assert.equal(server.sweepObservers(20_000, 10_000), 1);
  assert.equal(server.observerCount, 1);
  const events = [];
  for (let e = server.pollEvent(); e; e = server.pollEvent()) events.push(e);
  assert.deepEqual(
    events.filter((e) => e.type === "observer-removed").map((e) =>
      e.type === "observer-removed" ? `${e.peer}:${e.reason}` : ""
    ),
    ["gone:closed", "silent:idle"],
  );
});
