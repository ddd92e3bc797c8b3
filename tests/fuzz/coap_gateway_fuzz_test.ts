/**
 * Seeded fuzzing of the gateway: a CoAP server with the `/ps` and
 * `/api/v1` resources, connection mode's `/mqtt/connection` and
 * `clientid`/`token` queries, and the store's authorization, fed mutated gateway
 * requests from random endpoints and identities while MQTT messages arrive;
 * and the CLI's URI parser and the RPC notification builder fed random
 * text.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CoapServer } from "../../src/coap/server.ts";
import { Router } from "../../src/coap/router.ts";
import { decodeMessage, encodeMessage } from "../../src/coap/message.ts";
import {
  OptionNumber,
  pathOptions,
  uintOption,
} from "../../src/coap/options.ts";
import { CoapGateway } from "../../src/gateway/mapping.ts";
import { GatewayAuth } from "../../src/gateway/auth.ts";
import { CoapConnections } from "../../src/gateway/connection_mode.ts";
import { parseQuery } from "../../src/gateway/query.ts";
import { CoapError } from "../../src/coap/errors.ts";
import { rpcNotification } from "../../src/gateway/device_api.ts";
import { MemoryStore } from "../../src/auth/mod.ts";
import { parseCoapUri } from "../../cli/coap.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

Deno.test("fuzz: gateway server fed mutated requests stays bounded and never fails a handler", async () => {
  const store = new MemoryStore();
  const { token } = await store.addToken("D");
  await store.addPsk("P", new Uint8Array(16));
  await store.setAcl("P", [
    { permission: "allow", action: "all", topic: "devices/P/#" },
    { permission: "allow", action: "subscribe", topic: "s/#" },
  ]);
  await store.addUser("U", "pw");
  const connections = new CoapConnections();
  const live = connections.open(0, { subject: "D", anonymous: false }, "c1");
  const gateway = new CoapGateway({
    publish: () => 1,
    retained: () => undefined,
  }, {
    clock: () => 0,
    auth: new GatewayAuth(store, { allowAnonymous: true }),
    connections,
  });
  const server = new CoapServer(gateway.routes(new Router()), {
    observe: { maxObservers: 100 },
    transmission: { maxRemembered: 2000 },
    separateResponseAfterMs: 0,
  });
  gateway.attach({
    notify: (now, path, peer) => server.notify(now, path, peer),
  });
  const paths = [
    "/ps/s/a",
    "/ps/s/#",
    "/ps/s/+/x",
    `/api/v1/${token}/telemetry`,
    `/api/v1/${token}/attributes`,
    `/api/v1/${token}/rpc`,
    `/api/v1/${token}/rpc/7`,
    "/api/v1/telemetry",
    "/api/v1/rpc",
    "/api/v1/rpc/9",
    `/ps/s/a?clientid=c1&token=${live}`,
    `/ps/s/#?clientid=c1&token=${live}&qos=1`,
    "/ps/s/a?clientid=c1&token=00",
    "/mqtt/connection?clientid=c2&username=U&password=pw",
    "/mqtt/connection?clientid=c3",
    `/mqtt/connection?clientid=c1&token=${live}`,
  ];
  const corpus = paths.flatMap((uri, i) =>
    [1, 2, 3, 4].map((code) => {
      const [p, q] = uri.split("?") as [string, string | undefined];
      const path = pathOptions(p, q === undefined ? [] : q.split("&"));
      return encodeMessage({
        type: 0,
        code,
        messageId: i * 4 + code,
        token: new Uint8Array([i, code]),
        options: code === 1
          ? [...path, uintOption(OptionNumber.OBSERVE, 0)]
          : path,
        payload: new TextEncoder().encode('{"a":1}'),
      });
    })
  );
  const identities = [
    undefined,
    { kind: "psk", identity: "P" },
    { kind: "psk", identity: "nobody" },
    { kind: "x509", chain: [] },
    "junk",
  ];
  const rng = new SeededRandom(4242);
  let now = 0;
  for (let i = 0; i < 5000; i++) {
    now += rng.int(20);
    const input = rng.int(5) === 0
      ? rng.bytes(rng.int(40))
      : mutate(rng.pick(corpus), rng);
    server.handleDatagram(now, input, `p${rng.int(50)}`, rng.pick(identities));
    if (rng.int(20) === 0) {
      gateway.deliver(
        now,
        rng.pick(["s/a", "devices/P/rpc/request/3", "devices/D/attributes"]),
        rng.bytes(rng.int(30)),
      );
    }
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0));
    server.handleTimeout(now);
    for (let o = server.pollTransmit(); o; o = server.pollTransmit()) {
      decodeMessage(o.bytes);
    }
    for (let e = server.pollEvent(); e; e = server.pollEvent()) {
      assert.notEqual(
        e.type,
        "handler-error",
        String(e.type === "handler-error" && e.error),
      );
    }
  }
  assert.ok(server.observerCount <= 100);
  assert.ok(gateway.subscriptionCount <= 50 * paths.length);
  await store.close();
});

Deno.test("fuzz: connection-mode queries give a requester, nothing, or a CoapError 4.01 only", () => {
  const connections = new CoapConnections({ heartbeatMs: 1000 });
  const token = connections.open(0, { subject: "U", anonymous: false }, "c1");
  const seeds = [
    `clientid=c1&token=${token}`,
    "clientid=c1&username=U&password=pw=x",
    `token=${token}&clientid=`,
    "qos=1&retain=true",
  ].map((t) => new TextEncoder().encode(t));
  const rng = new SeededRandom(99);
  let hits = 0;
  for (let i = 0; i < 5000; i++) {
    const text = new TextDecoder().decode(mutate(rng.pick(seeds), rng));
    const query = parseQuery(text.split("&"));
    try {
      if (connections.identify(i % 1000, query) !== undefined) hits++;
    } catch (e) {
      assert.ok(e instanceof CoapError && e.code === 0x81, String(e));
    }
  }
  assert.ok(hits > 0);
  assert.equal(connections.size, 1);
});

Deno.test("fuzz: parseCoapUri throws TypeError only; rpcNotification always gives JSON with the id", () => {
  const rng = new SeededRandom(7);
  const seeds = [
    "coap://127.0.0.1:5683/ps/a/%23?qos=1",
    "coaps://[::1]/api/v1/rpc/7",
    "coap://h/%ZZ",
  ];
  for (let i = 0; i < 3000; i++) {
    const text = new TextDecoder().decode(
      mutate(new TextEncoder().encode(rng.pick(seeds)), rng),
    );
    try {
      parseCoapUri(text);
    } catch (e) {
      assert.ok(e instanceof TypeError, String(e));
    }
    const payload = rng.bytes(rng.int(30));
    const body = JSON.parse(new TextDecoder().decode(
      rpcNotification({
        topic: `devices/D/rpc/request/${rng.int(100)}`,
        payload,
      }),
    ));
    assert.ok("id" in body);
  }
});
