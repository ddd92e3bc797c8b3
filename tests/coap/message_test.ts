import assert from "node:assert/strict";
import {
  type CoapMessage,
  decodeMessage,
  encodeMessage,
} from "../../src/coap/message.ts";
import { MessageLayer } from "../../src/coap/message_layer.ts";
import { DecodeError } from "../../src/bytes/mod.ts";
import { hex } from "./_support.ts";

const te = new TextEncoder();
const empty = new Uint8Array();

interface Fixture {
  name: string;
  bytes: string;
  message: CoapMessage;
}

const fixtures: Fixture[] = [
  {
    name: "RFC 7252 Fig. 16 CON GET /temperature",
    bytes: "4001 7d34 bb 74656d7065726174757265",
    message: {
      type: 0,
      code: 1,
      messageId: 0x7d34,
      token: empty,
      options: [{ number: 11, value: te.encode("temperature") }],
      payload: empty,
    },
  },
  {
    name: "RFC 7252 Fig. 16 piggybacked 2.05 '22.3 C'",
    bytes: "6045 7d34 ff 32322e332043",
    message: {
      type: 2,
      code: 0x45,
      messageId: 0x7d34,
      token: empty,
      options: [],
      payload: te.encode("22.3 C"),
    },
  },
  {
    name: "RFC 7252 Fig. 17 with token 0x71",
    bytes: "4101 7d34 71 bb 74656d7065726174757265",
    message: {
      type: 0,
      code: 1,
      messageId: 0x7d34,
      token: new Uint8Array([0x71]),
      options: [{ number: 11, value: te.encode("temperature") }],
      payload: empty,
    },
  },
  {
    name: "RFC 7252 §4.1 empty RST",
    bytes: "7000 7d34",
    message: {
      type: 3,
      code: 0,
      messageId: 0x7d34,
      token: empty,
      options: [],
      payload: empty,
    },
  },
  {
    name: "libcoap 4.3.1 coap-client-notls -m get /x (captured)",
    bytes: "4101597c0172ea134178",
    message: {
      type: 0,
      code: 1,
      messageId: 0x597c,
      token: new Uint8Array([1]),
      options: [
        { number: 7, value: hex("ea13") },
        { number: 11, value: te.encode("x") },
      ],
      payload: empty,
    },
  },
  {
    name: "libcoap 4.3.1 -m put -e hello /a/b?q=1 (captured)",
    bytes: "4103f0c70172ea134161016243713d31ff68656c6c6f",
    message: {
      type: 0,
      code: 3,
      messageId: 0xf0c7,
      token: new Uint8Array([1]),
      options: [
        { number: 7, value: hex("ea13") },
        { number: 11, value: te.encode("a") },
        { number: 11, value: te.encode("b") },
        { number: 15, value: te.encode("q=1") },
      ],
      payload: te.encode("hello"),
    },
  },
  {
    name: "extended delta 13 (Size1) and 14 (option 2000), extended length 13",
    bytes: "4202 0001 abcd d1 2f 10 e1 0687 1a 0d 1a " + "78".repeat(39),
    message: {
      type: 0,
      code: 2,
      messageId: 1,
      token: hex("abcd"),
      options: [
        { number: 60, value: hex("10") },
        { number: 2000, value: hex("1a") },
        { number: 2000, value: te.encode("x".repeat(39)) },
      ],
      payload: empty,
    },
  },
];

for (const f of fixtures) {
  const bytes = hex(f.bytes);
  Deno.test(`decodeMessage() parses ${f.name}`, () => {
    assert.deepEqual(decodeMessage(bytes), f.message);
  });
  Deno.test(`encodeMessage() generates ${f.name}`, () => {
    assert.deepEqual(encodeMessage(f.message), bytes);
  });
  Deno.test(`encodeMessage() mirrors ${f.name}`, () => {
    assert.deepEqual(decodeMessage(encodeMessage(f.message)), f.message);
  });
  Deno.test(`MessageLayer.receive() deduplicates ${f.name}`, () => {
    const layer = new MessageLayer<string>({ random: () => 0 });
    const m = decodeMessage(bytes);
    const first = layer.receive(0, "p", m);
    const second = layer.receive(1, "p", m);
    if (m.type === 0 || m.type === 1) {
      assert.equal(first.kind, "new");
      assert.equal(second.kind, "duplicate");
      // After EXCHANGE_LIFETIME (or NON_LIFETIME) the ID is forgotten.
      assert.equal(layer.receive(247_001, "p", m).kind, "new");
    } else {
      assert.equal(first.kind, m.type === 2 ? "ack" : "reset");
      assert.equal(second.kind, first.kind);
    }
  });
}

const malformed: Array<[string, string]> = [
  ["fewer than 4 bytes", "4001 7d"],
  ["version 2", "8001 7d34"],
  ["token length 9", "4901 7d34 000000000000000000"],
  ["truncated token", "4201 7d34 00"],
  ["empty message with a token", "4100 7d34 01"],
  ["empty message with a payload marker", "4000 7d34 ff"],
  ["payload marker then nothing", "4001 7d34 ff"],
  ["option delta nibble 15", "4001 7d34 f1 00"],
  ["option length nibble 15", "4001 7d34 1f 00"],
  ["truncated option value", "4001 7d34 b5 7465"],
  ["truncated extended delta", "4001 7d34 d0"],
];
for (const [what, bytes] of malformed) {
  Deno.test(`decodeMessage() rejects ${what}`, () => {
    assert.throws(() => decodeMessage(hex(bytes)), DecodeError);
  });
}

Deno.test("encodeMessage() sorts options stably and rejects long tokens", () => {
  const m = encodeMessage({
    type: 0,
    code: 1,
    messageId: 1,
    token: empty,
    options: [
      { number: 15, value: te.encode("q") },
      { number: 11, value: te.encode("a") },
      { number: 11, value: te.encode("b") },
    ],
    payload: empty,
  });
  assert.deepEqual(
    decodeMessage(m).options.map((o) => new TextDecoder().decode(o.value)),
    ["a", "b", "q"],
  );
  assert.throws(
    () =>
      encodeMessage({
        type: 0,
        code: 1,
        messageId: 1,
        token: new Uint8Array(9),
        options: [],
        payload: empty,
      }),
    RangeError,
  );
});
