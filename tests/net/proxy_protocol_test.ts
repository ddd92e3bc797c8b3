import assert from "node:assert/strict";
import {
  decodeProxyHeader,
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
  type ProxyDecoded,
  ProxyHeaderDecoder,
  ProxyProtocolError,
} from "../../src/net/proxy_protocol.ts";

const enc = new TextEncoder();
const V2_SIG = [
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
];

function v2(verCmd: number, famProto: number, body: number[]): Uint8Array {
  return new Uint8Array([
    ...V2_SIG,
    verCmd,
    famProto,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}

/** Feeds `bytes` one byte at a time; the result must come with the last one. */
function feedBytewise(bytes: Uint8Array): ProxyDecoded {
  const decoder = new ProxyHeaderDecoder();
  for (let i = 0; i < bytes.length - 1; i++) {
    assert.equal(decoder.feed(bytes.subarray(i, i + 1)), undefined, `at ${i}`);
  }
  const done = decoder.feed(bytes.subarray(bytes.length - 1));
  assert.ok(done);
  return done;
}

Deno.test("decodeProxyHeader() decodes v1 TCP4 and keeps the bytes after it", () => {
  const done = decodeProxyHeader(
    enc.encode("PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\nMQTT"),
  );
  assert.deepEqual(done?.header, {
    version: 1,
    command: "proxy",
    source: { hostname: "192.0.2.7", port: 50000 },
    destination: { hostname: "198.51.100.1", port: 1883 },
  });
  assert.deepEqual(new TextDecoder().decode(done?.rest), "MQTT");
});

Deno.test("decodeProxyHeader() decodes v1 TCP6 in canonical form", () => {
  const done = decodeProxyHeader(
    enc.encode("PROXY TCP6 2001:DB8:0:0:0:0:0:7 ::1 65535 0\r\n"),
  );
  assert.deepEqual(done?.header.source, {
    hostname: "2001:db8::7",
    port: 65535,
  });
  assert.deepEqual(done?.header.destination, { hostname: "::1", port: 0 });
});

Deno.test("decodeProxyHeader() decodes v1 UNKNOWN without an address", () => {
  for (
    const line of ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f::1 ::1 1 2\r\n"]
  ) {
    const done = decodeProxyHeader(enc.encode(line));
    assert.deepEqual(done?.header, { version: 1, command: "proxy" });
  }
});

Deno.test("decodeProxyHeader() accepts a 107-byte v1 line and refuses a 108-byte one", () => {
  const addr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const max = `PROXY TCP6 ${addr} ${addr} 65535 65535\r\n`;
  assert.equal(max.length, 104);
  const padded = `PROXY UNKNOWN ${"x".repeat(107 - 16)}\r\n`;
  assert.equal(padded.length, 107);
  assert.ok(decodeProxyHeader(enc.encode(padded)));
  const over = `PROXY UNKNOWN ${"x".repeat(108 - 16)}\r\n`;
  assert.throws(() => decodeProxyHeader(enc.encode(over)), ProxyProtocolError);
  assert.throws(
    () => decodeProxyHeader(enc.encode(`PROXY UNKNOWN ${"x".repeat(200)}`)),
    ProxyProtocolError,
  );
});

Deno.test("decodeProxyHeader() refuses malformed v1 lines", () => {
  for (
    const line of [
      "PROXY TCP4 192.0.2.7 198.51.100.1 50000\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883 x\r\n",
      "PROXY TCP4 192.0.2.256 198.51.100.1 1 2\r\n",
      "PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",
      "PROXY TCP6 192.0.2.7 ::1 1 2\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 65536 1\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 01 1\r\n",
      "PROXY TCP4  192.0.2.7 198.51.100.1 1 1\r\n",
      "PROXY UDP4 192.0.2.7 198.51.100.1 1 1\r\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 1 1\n",
      "PROXY TCP4 192.0.2.7 198.51.100.1 1 1\rx",
      "PROXY TCP4 192.0.2.7\x00 198.51.100.1 1 1\r\n",
      "proxy TCP4 192.0.2.7 198.51.100.1 1 1\r\n",
      "PROXYTCP4",
      "\x10\x0c\x00\x04MQTT",
    ]
  ) {
    assert.throws(
      () => decodeProxyHeader(enc.encode(line)),
      ProxyProtocolError,
      JSON.stringify(line),
    );
  }
});

Deno.test("decodeProxyHeader() needs more bytes for every strict prefix", () => {
  const headers = [
    enc.encode("PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\n"),
    encodeProxyHeaderV2({
      source: { hostname: "192.0.2.7", port: 1 },
      destination: { hostname: "192.0.2.1", port: 2 },
    }),
  ];
  for (const h of headers) {
    for (let n = 0; n < h.length; n++) {
      assert.equal(decodeProxyHeader(h.subarray(0, n)), undefined, `${n}`);
    }
  }
});

Deno.test("decodeProxyHeader() decodes v2 PROXY over IPv4 and IPv6, skipping TLVs", () => {
  const four = v2(0x21, 0x11, [
    192,
    0,
    2,
    7,
    198,
    51,
    100,
    1,
    0xc3,
    0x50,
    0x07,
    0x5b,
    0x04,
    0x00,
    0x01,
    0xff,
  ]);
  const done = decodeProxyHeader(
    new Uint8Array([...four, 0x10, 0x11]),
  );
  assert.deepEqual(done?.header, {
    version: 2,
    command: "proxy",
    source: { hostname: "192.0.2.7", port: 50000 },
    destination: { hostname: "198.51.100.1", port: 1883 },
  });
  assert.deepEqual([...done!.rest], [0x10, 0x11]);

  const six = encodeProxyHeaderV2({
    source: { hostname: "2001:db8::7", port: 40000 },
    destination: { hostname: "::1", port: 8883 },
  });
  assert.equal(six.length, 16 + 36);
  assert.equal(six[13], 0x21);
  assert.deepEqual(decodeProxyHeader(six)?.header.source, {
    hostname: "2001:db8::7",
    port: 40000,
  });
});

Deno.test("decodeProxyHeader() decodes v2 LOCAL, UNSPEC and UNIX without a source", () => {
  assert.deepEqual(decodeProxyHeader(v2(0x20, 0x00, []))?.header, {
    version: 2,
    command: "local",
  });
  assert.deepEqual(
    decodeProxyHeader(v2(0x20, 0x11, new Array(12).fill(1)))?.header,
    { version: 2, command: "local" },
  );
  assert.deepEqual(decodeProxyHeader(v2(0x21, 0x00, []))?.header, {
    version: 2,
    command: "proxy",
  });
  assert.deepEqual(
    decodeProxyHeader(v2(0x21, 0x31, new Array(216).fill(0)))?.header,
    { version: 2, command: "proxy" },
  );
});

Deno.test("decodeProxyHeader() refuses malformed v2 headers", () => {
  const cases: [string, Uint8Array][] = [
    ["version 1", v2(0x11, 0x11, new Array(12).fill(0))],
    ["version 3", v2(0x31, 0x11, new Array(12).fill(0))],
    ["command 2", v2(0x22, 0x11, new Array(12).fill(0))],
    ["family 4", v2(0x21, 0x41, new Array(12).fill(0))],
    ["transport 3", v2(0x21, 0x13, new Array(12).fill(0))],
    ["INET too short", v2(0x21, 0x11, new Array(11).fill(0))],
    ["INET6 too short", v2(0x21, 0x21, new Array(35).fill(0))],
    ["UNIX too short", v2(0x21, 0x31, new Array(215).fill(0))],
    ["bad signature", new Uint8Array([0x0d, 0x0a, 0x0d, 0x0b])],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(() => decodeProxyHeader(bytes), ProxyProtocolError, name);
  }
});

Deno.test("ProxyHeaderDecoder.feed() decodes a header fed one byte at a time", () => {
  const v1 = enc.encode("PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\n");
  assert.equal(feedBytewise(v1).header.source?.hostname, "192.0.2.7");
  const two = encodeProxyHeaderV2({
    source: { hostname: "2001:db8::7", port: 1 },
    destination: { hostname: "2001:db8::1", port: 2 },
  }, { tlvs: new Uint8Array(300) });
  const done = feedBytewise(two);
  assert.equal(done.header.source?.hostname, "2001:db8::7");
  assert.equal(done.rest.length, 0);
});

Deno.test("ProxyHeaderDecoder.feed() fails on the first impossible byte and after finishing", () => {
  const decoder = new ProxyHeaderDecoder();
  assert.equal(decoder.feed(enc.encode("PRO")), undefined);
  assert.throws(() => decoder.feed(enc.encode("Z")), ProxyProtocolError);
  const done = new ProxyHeaderDecoder();
  assert.ok(done.feed(encodeProxyHeaderV1()));
  assert.throws(() => done.feed(new Uint8Array([1])), TypeError);
});

Deno.test("encodeProxyHeaderV1() and encodeProxyHeaderV2() round-trip", () => {
  const endpoints = {
    source: { hostname: "192.0.2.7", port: 50000 },
    destination: { hostname: "198.51.100.1", port: 1883 },
  };
  assert.deepEqual(
    decodeProxyHeader(encodeProxyHeaderV1(endpoints))?.header,
    { version: 1, command: "proxy", ...endpoints },
  );
  assert.deepEqual(
    decodeProxyHeader(encodeProxyHeaderV2(endpoints))?.header,
    { version: 2, command: "proxy", ...endpoints },
  );
  assert.throws(
    () =>
      encodeProxyHeaderV2({
        source: { hostname: "192.0.2.7", port: 1 },
        destination: { hostname: "::1", port: 1 },
      }),
    TypeError,
  );
});
