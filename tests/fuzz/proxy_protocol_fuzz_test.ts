/**
 * Seeded mutation fuzzing of the PROXY header decoder: any exception other
 * than `ProxyProtocolError` fails, whole and split feeds must agree, and
 * the buffered bytes stay within one header.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  decodeProxyHeader,
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
  ProxyHeaderDecoder,
  ProxyProtocolError,
} from "../../src/net/proxy_protocol.ts";

const ITERATIONS = 20_000;
const MAX_V2 = 16 + 0xffff;

/** xorshift32, so that a failure reproduces from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const CORPUS: Uint8Array[] = [
  encodeProxyHeaderV1({
    source: { hostname: "192.0.2.7", port: 50000 },
    destination: { hostname: "198.51.100.1", port: 1883 },
  }),
  encodeProxyHeaderV1({
    source: { hostname: "2001:db8::7", port: 1 },
    destination: { hostname: "2001:db8::1", port: 65535 },
  }),
  encodeProxyHeaderV1(),
  encodeProxyHeaderV2({
    source: { hostname: "192.0.2.7", port: 50000 },
    destination: { hostname: "198.51.100.1", port: 1883 },
  }, { tlvs: new Uint8Array([0x01, 0x00, 0x02, 0x68, 0x32]) }),
  encodeProxyHeaderV2({
    source: { hostname: "2001:db8::7", port: 40000 },
    destination: { hostname: "::1", port: 8883 },
  }),
  encodeProxyHeaderV2(),
];

function mutate(seed: Uint8Array, next: () => number): Uint8Array {
  const bytes = [...seed];
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    switch (Math.floor(next() * 5)) {
      case 0:
        if (at < bytes.length) bytes[at] = Math.floor(next() * 256);
        break;
      case 1:
        bytes.splice(at, 0, Math.floor(next() * 256));
        break;
      case 2:
        bytes.splice(at, 1);
        break;
      case 3:
        bytes.length = Math.min(bytes.length, at);
        break;
      default:
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ 0x01;
    }
  }
  return new Uint8Array(bytes);
}

type Outcome = "more" | "error" | string;

function whole(bytes: Uint8Array): Outcome {
  try {
    const done = decodeProxyHeader(bytes);
    return done === undefined
      ? "more"
      : JSON.stringify([done.header, [...done.rest]]);
  } catch (err) {
    if (err instanceof ProxyProtocolError) return "error";
    throw err;
  }
}

function split(bytes: Uint8Array, next: () => number): Outcome {
  const decoder = new ProxyHeaderDecoder();
  let off = 0;
  try {
    while (off < bytes.length) {
      const n = 1 + Math.floor(next() * 8);
      const done = decoder.feed(bytes.subarray(off, off + n));
      off += n;
      if (done !== undefined) {
        const rest = [...done.rest, ...bytes.subarray(off)];
        return JSON.stringify([done.header, rest]);
      }
      assert.ok(decoder.buffered <= MAX_V2);
    }
  } catch (err) {
    if (err instanceof ProxyProtocolError) return "error";
    throw err;
  }
  return "more";
}

Deno.test("decodeProxyHeader() throws only ProxyProtocolError on mutated headers (seeded)", () => {
  const next = rng(0x9e3779b9);
  const seen = { more: 0, error: 0, ok: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = CORPUS[i % CORPUS.length] as Uint8Array;
    const bytes = mutate(seed, next);
    const a = whole(bytes);
    const b = split(bytes, next);
    assert.equal(b, a, `iteration ${i}: ${[...bytes].join(",")}`);
    if (a === "more") seen.more++;
    else if (a === "error") seen.error++;
    else seen.ok++;
  }
  assert.ok(
    seen.more > 0 && seen.error > 0 && seen.ok > 0,
    JSON.stringify(seen),
  );
});

Deno.test("decodeProxyHeader() throws only ProxyProtocolError on random bytes (seeded)", () => {
  const next = rng(12345);
  for (let i = 0; i < ITERATIONS; i++) {
    const length = Math.floor(next() * 64);
    const bytes = new Uint8Array(length);
    for (let j = 0; j < length; j++) bytes[j] = Math.floor(next() * 256);
    if (length > 0 && next() < 0.5) bytes[0] = next() < 0.5 ? 0x50 : 0x0d;
    whole(bytes);
  }
});
