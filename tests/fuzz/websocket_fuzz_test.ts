/**
 * Seeded mutation fuzzing of the WebSocket frame decoder and the HTTP
 * upgrade parser: any exception other than `WebSocketError` fails, whole and
 * split feeds agree, and nothing is buffered past the bounds.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkUpgrade,
  encodeClientFrame,
  HttpRequestDecoder,
  WebSocketError,
  type WebSocketEvent,
  WebSocketFrameDecoder,
} from "../../src/net/websocket_codec.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const ITERATIONS = 20_000;
const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const enc = new TextEncoder();

function frames(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const FRAME_CORPUS: Uint8Array[] = [
  encodeClientFrame(2, new Uint8Array([0x10, 0x0c, 0, 4]), MASK),
  encodeClientFrame(2, new Uint8Array(300).fill(7), MASK),
  encodeClientFrame(2, new Uint8Array(70_000).fill(1), MASK),
  frames(
    encodeClientFrame(2, new Uint8Array([1, 2]), MASK, false),
    encodeClientFrame(9, enc.encode("ping"), MASK),
    encodeClientFrame(0, new Uint8Array([3]), MASK),
  ),
  encodeClientFrame(1, enc.encode("text ü"), MASK),
  encodeClientFrame(8, new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65]), MASK),
  encodeClientFrame(10, new Uint8Array(0), MASK),
];

function decodeAll(
  bytes: Uint8Array,
  cuts: number[],
): { events: WebSocketEvent[]; error?: WebSocketError } {
  const d = new WebSocketFrameDecoder(100_000);
  const events: WebSocketEvent[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...d.feed(bytes.subarray(at, cut))); // must not throw
    at = cut;
  }
  const last = events.at(-1);
  if (last?.kind !== "error") return { events };
  assert.ok(last.error instanceof WebSocketError);
  assert.ok(last.error.closeCode !== undefined && last.error.closeCode >= 1000);
  return { events: events.slice(0, -1), error: last.error };
}

Deno.test("WebSocketFrameDecoder: mutated frames give messages or WebSocketError, whole or split", () => {
  const rng = new SeededRandom(6455);
  let errors = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const base = rng.pick(FRAME_CORPUS);
    const input = rng.int(10) === 0
      ? rng.bytes(rng.int(40))
      : mutate(base, rng);
    const whole = decodeAll(input, []);
    const cuts: number[] = [];
    for (let c = 0; c < 3 && input.length > 1; c++) {
      cuts.push(1 + rng.int(input.length - 1));
    }
    cuts.sort((a, b) => a - b);
    const split = decodeAll(input, cuts);
    assert.equal(
      split.error?.closeCode,
      whole.error?.closeCode,
      `iteration ${i}`,
    );
    assert.deepEqual(split.events, whole.events, `iteration ${i}`);
    if (whole.error) errors++;
  }
  assert.ok(errors > ITERATIONS / 10, `only ${errors} rejected`);
});

const HEAD = enc.encode(
  "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:8084\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
);

Deno.test("HttpRequestDecoder and checkUpgrade: mutated requests give an upgrade or WebSocketError with an HTTP status", () => {
  const rng = new SeededRandom(9112);
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = rng.int(10) === 0
      ? rng.bytes(rng.int(200))
      : mutate(HEAD, rng);
    const d = new HttpRequestDecoder(1024);
    let at = 0;
    try {
      while (at < input.length) {
        const n = 1 + rng.int(input.length - at);
        const got = d.feed(input.subarray(at, at + n));
        at += n;
        if (got !== undefined) {
          checkUpgrade(got.head, { path: "/mqtt", subprotocols: ["mqtt"] });
          accepted++;
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      assert.ok(
        err.status !== undefined && err.status >= 400 && err.status < 600,
      );
    }
  }
  assert.ok(accepted > 0 && accepted < ITERATIONS);
});

Deno.test("HttpRequestDecoder refuses an endless head with 431 and bounded memory", () => {
  const d = new HttpRequestDecoder(1024);
  const line = enc.encode("X-A: aaaaaaaaaaaaaaaaaaaaaaa\r\n");
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) d.feed(line);
  }, (e: unknown) => e instanceof WebSocketError && e.status === 431);
});
