import assert from "node:assert/strict";
import {
  acceptKey,
  checkUpgrade,
  encodeClientFrame,
  encodeClose,
  encodeFrame,
  HttpRequestDecoder,
  WebSocketError,
  type WebSocketEvent,
  WebSocketFrameDecoder,
} from "../../src/net/websocket_codec.ts";

const MASK = new Uint8Array([1, 2, 3, 4]);
const enc = new TextEncoder();

function closeCodeOf(fn: () => WebSocketEvent[]): number | undefined {
  const last = fn().at(-1);
  return last?.kind === "error" ? last.error.closeCode : undefined;
}

function headers(extra: Record<string, string> = {}): Map<string, string> {
  return new Map(Object.entries({
    host: "h",
    upgrade: "websocket",
    connection: "keep-alive, Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  }));
}

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebSocketError) return e.status;
    throw e;
  }
  return undefined;
}

Deno.test("acceptKey() matches RFC 6455 §1.3", () => {
  assert.equal(
    acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("checkUpgrade() answers each bad handshake with its HTTP status", () => {
  const opts = { path: "/mqtt", subprotocols: ["mqtt", "mqttv3.1"] };
  const req =
    (h: Map<string, string>, method = "GET", target = "/mqtt") => () =>
      checkUpgrade({ method, target, headers: h }, opts);
  assert.equal(statusOf(req(headers(), "GET", "/other")), 404);
  assert.equal(statusOf(req(headers(), "POST")), 405);
  assert.equal(statusOf(req(headers({ upgrade: "h2c" }))), 400);
  assert.equal(statusOf(req(headers({ connection: "close" }))), 400);
  assert.equal(statusOf(req(headers({ "sec-websocket-version": "8" }))), 426);
  assert.equal(
    statusOf(req(headers({ "sec-websocket-key": "c2hvcnQ=" }))),
    400,
  );
  const h = headers();
  h.delete("host");
  assert.equal(statusOf(req(h)), 400);
  const ok = checkUpgrade({
    method: "GET",
    target: "/mqtt?x=1",
    headers: headers({ "sec-websocket-protocol": "mqttv3.1, mqtt" }),
  }, opts);
  assert.equal(ok.protocol, "mqtt");
  assert.equal(
    checkUpgrade({ method: "GET", target: "/mqtt", headers: headers() }, opts)
      .protocol,
    undefined,
  );
});

Deno.test("HttpRequestDecoder refuses HTTP/1.0 and malformed lines", () => {
  const feed = (t: string) => () =>
    new HttpRequestDecoder().feed(enc.encode(t));
  assert.equal(statusOf(feed("GET /mqtt HTTP/1.0\r\n\r\n")), 505);
  assert.equal(statusOf(feed("GET /mqtt\r\n\r\n")), 400);
  assert.equal(statusOf(feed("GET /mqtt HTTP/1.1\r\nno colon\r\n\r\n")), 400);
  const ok = new HttpRequestDecoder().feed(
    enc.encode("GET / HTTP/1.1\r\nA: 1\r\na: 2\r\n\r\n"),
  );
  assert.equal(ok?.head.headers.get("a"), "1, 2");
});

Deno.test("WebSocketFrameDecoder reassembles fragments with a ping in between (RFC 6455 §5.4)", () => {
  const d = new WebSocketFrameDecoder();
  const bytes = [
    encodeClientFrame(2, new Uint8Array([1, 2]), MASK, false),
    encodeClientFrame(9, enc.encode("hi"), MASK),
    encodeClientFrame(0, new Uint8Array([3]), MASK, false),
    encodeClientFrame(0, new Uint8Array([4]), MASK),
  ];
  const events = bytes.flatMap((b) => d.feed(b));
  assert.deepEqual(events.map((e) => e.kind), ["ping", "message"]);
  assert.ok(events[1]?.kind === "message");
  assert.deepEqual([...events[1].data], [1, 2, 3, 4]);
});

Deno.test("WebSocketFrameDecoder reads 16- and 64-bit lengths", () => {
  for (const n of [125, 126, 65535, 65536, 200_000]) {
    const payload = new Uint8Array(n).map((_, i) => i & 0xff);
    const [e] = new WebSocketFrameDecoder().feed(
      encodeClientFrame(2, payload, MASK),
    );
    assert.ok(e?.kind === "message" && e.data.length === n, `${n}`);
    assert.deepEqual(e.data, payload);
  }
});

Deno.test("WebSocketFrameDecoder closes with the RFC 6455 code for each violation", () => {
  const dec = (b: Uint8Array, max?: number) => () =>
    new WebSocketFrameDecoder(max).feed(b);
  assert.equal(closeCodeOf(dec(encodeFrame(2, new Uint8Array([1])))), 1002); // unmasked
  const rsv = encodeClientFrame(2, new Uint8Array([1]), MASK);
  rsv[0] = (rsv[0] as number) | 0x40;
  assert.equal(closeCodeOf(dec(rsv)), 1002);
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(3, new Uint8Array(0), MASK))),
    1002,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(0xb, new Uint8Array(0), MASK))),
    1002,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(9, new Uint8Array(126), MASK))),
    1002,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(9, new Uint8Array(1), MASK, false))),
    1002,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(0, new Uint8Array(1), MASK))),
    1002,
  );
  const twoStarts = new Uint8Array([
    ...encodeClientFrame(2, new Uint8Array(1), MASK, false),
    ...encodeClientFrame(2, new Uint8Array(1), MASK),
  ]);
  assert.equal(closeCodeOf(dec(twoStarts)), 1002);
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(2, new Uint8Array(101), MASK), 100)),
    1009,
  );
  const fragmentsTooBig = new Uint8Array([
    ...encodeClientFrame(2, new Uint8Array(60), MASK, false),
    ...encodeClientFrame(0, new Uint8Array(60), MASK),
  ]);
  assert.equal(closeCodeOf(dec(fragmentsTooBig, 100)), 1009);
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(1, new Uint8Array([0xff]), MASK))),
    1007,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(8, new Uint8Array([3]), MASK))),
    1002,
  );
  assert.equal(
    closeCodeOf(dec(encodeClientFrame(8, new Uint8Array([0x03, 0xed]), MASK))),
    1002,
  ); // 1005
  assert.equal(
    closeCodeOf(
      dec(encodeClientFrame(8, new Uint8Array([0x03, 0xe8, 0xff]), MASK)),
    ),
    1007,
  );
});

Deno.test("WebSocketFrameDecoder reports a close and ignores what follows it", () => {
  const d = new WebSocketFrameDecoder();
  const events = d.feed(
    new Uint8Array([
      ...encodeClientFrame(8, new Uint8Array([0x0f, 0xa0, 0x6f, 0x6b]), MASK),
      ...encodeClientFrame(2, new Uint8Array(1), MASK),
    ]),
  );
  assert.deepEqual(events, [{ kind: "close", code: 4000, reason: "ok" }]);
  assert.deepEqual(d.feed(encodeClientFrame(2, new Uint8Array(1), MASK)), []);
  assert.deepEqual(
    new WebSocketFrameDecoder().feed(
      encodeClientFrame(8, new Uint8Array(0), MASK),
    ),
    [{ kind: "close", code: 1005, reason: "" }],
  );
});

Deno.test("encodeFrame() and encodeClose() write unmasked server frames", () => {
  assert.deepEqual([...encodeFrame(2, new Uint8Array(126)).subarray(0, 4)], [
    0x82,
    126,
    0,
    126,
  ]);
  assert.deepEqual([...encodeFrame(2, new Uint8Array(65536)).subarray(0, 10)], [
    0x82,
    127,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
  ]);
  assert.deepEqual([...encodeClose(1003, "x")], [0x88, 3, 0x03, 0xeb, 0x78]);
});

Deno.test("WebSocketFrameDecoder delivers the messages before a violation, then the error", () => {
  const d = new WebSocketFrameDecoder();
  const events = d.feed(
    new Uint8Array([
      ...encodeClientFrame(2, new Uint8Array([1]), MASK),
      ...encodeFrame(2, new Uint8Array([2])),
    ]),
  );
  assert.deepEqual(events.map((e) => e.kind), ["message", "error"]);
  assert.deepEqual(d.feed(encodeClientFrame(2, new Uint8Array(1), MASK)), []);
});
