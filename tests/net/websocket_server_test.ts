/**
 * postern's own WebSocket server on a real TCP socket, driven by raw frames
 * written by the test: handshake answers, fragmentation, ping/pong, close
 * codes and the message size bound.
 */
import assert from "node:assert/strict";
import { defaultListener } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { encodePacket } from "../../src/mqtt/mod.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";
import { acceptWebSocket } from "../../src/net/websocket_server.ts";
import { encodeClientFrame } from "../../src/net/websocket_codec.ts";
import { serveMqttWebSocket } from "../../src/net/websocket_listener.ts";

const MASK = new Uint8Array([0xa1, 0xb2, 0xc3, 0xd4]);
const enc = new TextEncoder();

function request(extra = "", path = "/mqtt"): Uint8Array {
  return enc.encode(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Protocol: mqtt\r\n${extra}\r\n`,
  );
}

async function withListener(
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
  const listener = serveMqttWebSocket(
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    { ...defaultListener("ws", "default"), host: "127.0.0.1", port: 0 },
    { driver, logger: new Logger({ sink: () => {} }) },
  );
  try {
    await fn(listener.address.port);
  } finally {
    await listener.close();
    driver.close();
  }
}

/** Reads until `until(bytes)` or the end; bounded. */
async function readUntil(
  conn: Deno.Conn,
  until: (b: Uint8Array) => boolean,
  ms = 3000,
): Promise<{ bytes: Uint8Array; ended: boolean }> {
  let bytes = new Uint8Array(0);
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (!until(bytes)) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        return { bytes, ended: true };
      }
      if (n === null) return { bytes, ended: true };
      const next = new Uint8Array(bytes.length + n);
      next.set(bytes);
      next.set(buf.subarray(0, n), bytes.length);
      bytes = next;
    }
    return { bytes, ended: false };
  } finally {
    clearTimeout(timer);
  }
}

function headEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

async function open(
  port: number,
): Promise<{ conn: Deno.Conn; head: string; rest: Uint8Array }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(request());
  const { bytes } = await readUntil(conn, (b) => headEnd(b) >= 0);
  const end = headEnd(bytes);
  return {
    conn,
    head: new TextDecoder().decode(bytes.subarray(0, end)),
    rest: bytes.slice(end),
  };
}

const CONNECT = encodePacket({
  type: "connect",
  protocolVersion: 4,
  clean: true,
  keepAlive: 0,
  clientId: "ws-raw",
}, 4);

Deno.test("WebSocket server: 101 with the accept key and mqtt, CONNECT split over fragments and frames gets CONNACK", async () => {
  await withListener(async (port) => {
    const { conn, head } = await open(port);
    try {
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.match(
        head,
        /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/,
      );
      assert.match(head, /Sec-WebSocket-Protocol: mqtt\r\n/);
      await conn.write(
        encodeClientFrame(2, CONNECT.subarray(0, 3), MASK, false),
      );
      await conn.write(encodeClientFrame(9, enc.encode("p"), MASK)); // ping between fragments
      await conn.write(encodeClientFrame(0, CONNECT.subarray(3), MASK));
      const { bytes } = await readUntil(conn, (b) => b.length >= 3 + 6);
      assert.deepEqual([...bytes.subarray(0, 3)], [0x8a, 0x01, 0x70]); // pong "p"
      assert.deepEqual([...bytes.subarray(3, 9)], [
        0x82,
        0x04,
        0x20,
        0x02,
        0x00,
        0x00,
      ]); // CONNACK
    } finally {
      conn.close();
    }
  });
});

for (
  const [what, frame, code] of [
    [
      "a text frame closes with 1003 [MQTT-6.0.0-1]",
      encodeClientFrame(1, enc.encode("hi"), MASK),
      1003,
    ],
    [
      "an unmasked frame closes with 1002",
      new Uint8Array([0x82, 0x01, 0x00]),
      1002,
    ],
    [
      "a message over 1 MiB closes with 1009",
      encodeClientFrame(2, new Uint8Array((1 << 20) + 1), MASK),
      1009,
    ],
    [
      "a client close is echoed",
      encodeClientFrame(8, new Uint8Array([0x0f, 0xa0]), MASK),
      4000,
    ],
  ] as const
) {
  Deno.test(`WebSocket server: ${what}`, async () => {
    await withListener(async (port) => {
      const { conn } = await open(port);
      try {
        await conn.write(frame).catch(() => 0);
        const { bytes, ended } = await readUntil(conn, () => false);
        assert.ok(ended);
        assert.equal(bytes[0], 0x88);
        assert.equal(((bytes[2] as number) << 8) | (bytes[3] as number), code);
      } finally {
        try {
          conn.close();
        } catch {
          // closed by the timer
        }
      }
    });
  });
}

Deno.test("WebSocket server: bad handshakes get their HTTP status and the connection closes", async () => {
  await withListener(async (port) => {
    for (
      const [req, status] of [
        [request("", "/other"), 404],
        [enc.encode("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n"), 400],
        [
          enc.encode(
            "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
          ),
          426,
        ],
        [enc.encode("NOT HTTP\r\n\r\n"), 400],
      ] as const
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(req);
        const { bytes, ended } = await readUntil(conn, () => false);
        assert.ok(ended);
        assert.match(
          new TextDecoder().decode(bytes),
          new RegExp(`^HTTP/1\\.1 ${status} `),
        );
      } finally {
        conn.close();
      }
    }
  });
});

Deno.test("acceptWebSocket() gives up at its timeout when no request arrives", async () => {
  let closed = false;
  const pending = Promise.withResolvers<number | null>();
  const started = performance.now();
  await assert.rejects(
    acceptWebSocket({
      read: () => pending.promise,
      write: (d) => Promise.resolve(d.length),
      close: () => {
        closed = true;
        pending.resolve(null);
      },
    }, { path: "/mqtt", subprotocols: ["mqtt"], timeoutMs: 100 }),
    (e: unknown) =>
      e instanceof Error &&
      /No WebSocket handshake within 100 ms/.test(e.message),
  );
  assert.ok(closed);
  assert.ok(performance.now() - started >= 90);
});
