import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../../src/bytes/mod.ts";
import {
  type CoapMessage,
  decodeMessage,
  encodeMessage,
} from "../../src/coap/message.ts";
import { CoapServer } from "../../src/coap/server.ts";
import { Router } from "../../src/coap/router.ts";
import { Code } from "../../src/coap/codes.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { hex } from "../coap/_support.ts";

const corpus = [
  "4001 7d34 bb 74656d7065726174757265",
  "6045 7d34 ff 32322e332043",
  "4101597c0172ea134178",
  "4103f0c70172ea134161016243713d31ff68656c6c6f",
  "4202 0001 abcd d1 2f 10 e1 0687 1a 0d 1a 7878787878787878787878787878",
  "44010001aabbccdd 60 bb2e77656c6c2d6b6e6f776e 04 636f7265",
  "4401000201020304 b4 74696d65 61 00 d1 0a 16",
].map(hex);

Deno.test("fuzz: mutated CoAP datagrams decode or throw DecodeError only", () => {
  const rng = new SeededRandom(0xc0a9);
  for (let i = 0; i < 20_000; i++) {
    const input = mutate(rng.pick(corpus), rng);
    try {
      const m = decodeMessage(input);
      // Whatever decodes re-encodes and decodes to the same message.
      assert.deepEqual(decodeMessage(encodeMessage(m)), m);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
});

Deno.test("fuzz: encodeMessage/decodeMessage round trip (fast-check)", () => {
  const option = fc.record({
    number: fc.integer({ min: 1, max: 3000 }),
    value: fc.uint8Array({ maxLength: 300 }),
  });
  fc.assert(
    fc.property(
      fc.record({
        type: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
        code: fc.integer({ min: 1, max: 255 }),
        messageId: fc.integer({ min: 0, max: 0xffff }),
        token: fc.uint8Array({ maxLength: 8 }),
        options: fc.array(option, { maxLength: 6 }),
        payload: fc.uint8Array({ maxLength: 64 }),
      }),
      (m) => {
        const sorted: CoapMessage = {
          type: m.type,
          code: m.code,
          messageId: m.messageId,
          payload: m.payload,
          options: [...m.options].sort((a, b) => a.number - b.number)
            .map((o) => ({ number: o.number, value: o.value })),
          token: m.token,
        };
        assert.deepEqual(decodeMessage(encodeMessage(sorted)), sorted);
      },
    ),
    { numRuns: 500, seed: 7 },
  );
});

Deno.test("fuzz: server fed arbitrary datagrams answers with RST/ACK/NON only, stays bounded", () => {
  const router = new Router()
    .add("GET", "/x", () => ({ code: Code.CONTENT, payload: "x" }), {
      obs: true,
    })
    .add("PUT", "/x", (r) => ({ code: Code.CHANGED, payload: r.payload }))
    .add("POST", "/boom", () => {
      throw new Error("bug");
    });
  const server = new CoapServer(router, {
    maxBodySize: 4096,
    observe: { maxObservers: 50 },
    transmission: { maxRemembered: 2000 },
  });
  const rng = new SeededRandom(99);
  const start = performance.now();
  let now = 0;
  for (let i = 0; i < 20_000; i++) {
    now += rng.int(50);
    const input = rng.int(4) === 0
      ? rng.bytes(rng.int(40))
      : mutate(rng.pick(corpus), rng);
    server.handleDatagram(now, input, `p${rng.int(300)}`);
    if (rng.int(100) === 0) server.notify(now, "/x");
    for (let o = server.pollTransmit(); o; o = server.pollTransmit()) {
      decodeMessage(o.bytes); // everything we send is well-formed
    }
    const t = server.nextTimeout();
    if (t !== undefined && t <= now) server.handleTimeout(now);
    while (server.pollEvent()) { /* drain */ }
  }
  assert.ok(server.stateSize < 5000, `state grew to ${server.stateSize}`);
  assert.ok(server.observerCount <= 50);
  assert.ok(performance.now() - start < 20_000);
});
