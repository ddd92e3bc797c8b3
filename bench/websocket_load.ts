/**
 * MQTT over WebSocket load: postern's own WebSocket server over TCP (what
 * `ws` listeners run) beside the `Deno.serve` WebSocket (what `wss` runs),
 * and Mosquitto's `protocol websockets` listener when it has one. Each
 * broker runs in its own process; the load generator is this script (raw
 * TCP, masked frames, postern's MQTT codec). QoS 0, 1→1, 64 B and 1 KiB.
 *
 *   deno run -A bench/websocket_load.ts [--quick]
 *
 * @module
 */

import { encodePacket, type Packet } from "../src/mqtt/mod.ts";
import { encodeClientFrame } from "../src/net/websocket_codec.ts";

const QUICK = Deno.args.includes("--quick");
const SERVER = new URL("./_ws_server.ts", import.meta.url).pathname;
const MASK = new Uint8Array([1, 2, 3, 4]);
const STEP_TIMEOUT_MS = 30_000;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitPort(port: number): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`port ${port} never opened`);
}

interface Running {
  port: number;
  stop(): Promise<void>;
}

async function spawn(
  cmd: string,
  args: string[],
  port: number,
): Promise<Running> {
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
    .spawn();
  await waitPort(port);
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A raw MQTT-over-WebSocket client counting PUBLISH packets received. */
class WsClient {
  readonly #conn: Deno.Conn;
  readonly #buf = new Uint8Array(256 * 1024);
  #frames = new Uint8Array(0);
  #mqtt = new Uint8Array(0);
  received = 0;
  acks = 0;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(port: number, clientId: string): Promise<WsClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    await write(
      conn,
      new TextEncoder().encode(
        "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
      ),
    );
    const c = new WsClient(conn);
    let head: Uint8Array = new Uint8Array(0);
    for (;;) {
      const n = await conn.read(c.#buf);
      if (n === null) throw new Error("closed during the handshake");
      head = concat([head, c.#buf.subarray(0, n)]);
      const end = new TextDecoder().decode(head).indexOf("\r\n\r\n");
      if (end >= 0) {
        c.#frames = head.slice(end + 4);
        break;
      }
    }
    await c.send({
      type: "connect",
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId,
    });
    await c.readUntil(() => c.acks >= 1);
    c.acks = 0;
    return c;
  }

  send(packet: Packet): Promise<void> {
    return write(
      this.#conn,
      encodeClientFrame(2, encodePacket(packet, 4), MASK),
    );
  }

  sendFrame(frame: Uint8Array): Promise<void> {
    return write(this.#conn, frame);
  }

  async readUntil(done: () => boolean): Promise<void> {
    while (!done()) {
      const n = await this.#conn.read(this.#buf);
      if (n === null) return;
      this.#scanFrames(this.#buf.subarray(0, n));
    }
  }

  run(): void {
    void this.readUntil(() => false).catch(() => {});
  }

  #scanFrames(chunk: Uint8Array): void {
    const data = this.#frames.length > 0
      ? concat([this.#frames, chunk])
      : chunk;
    let at = 0;
    const payloads: Uint8Array[] = [];
    for (;;) {
      if (data.length - at < 2) break;
      let len = data[at + 1]! & 0x7f;
      let off = at + 2;
      if (len === 126) {
        if (data.length - off < 2) break;
        len = (data[off]! << 8) | data[off + 1]!;
        off += 2;
      } else if (len === 127) {
        if (data.length - off < 8) break;
        len = Number(
          new DataView(data.buffer, data.byteOffset + off, 8).getBigUint64(0),
        );
        off += 8;
      }
      if (data.length - off < len) break;
      payloads.push(data.subarray(off, off + len));
      at = off + len;
    }
    this.#frames = at === data.length ? new Uint8Array(0) : data.slice(at);
    if (payloads.length > 0) this.#scanMqtt(concat(payloads));
  }

  #scanMqtt(chunk: Uint8Array): void {
    const data = this.#mqtt.length > 0 ? concat([this.#mqtt, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (data.length - at < 2) break;
      let len = 0;
      let mul = 1;
      let i = at + 1;
      let complete = false;
      for (; i < data.length && i < at + 5; i++) {
        const b = data[i]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || i + len > data.length) break;
      if (data[at]! >> 4 === 3) this.received++;
      else this.acks++;
      at = i + len;
    }
    this.#mqtt = at === data.length ? new Uint8Array(0) : data.slice(at);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // closed
    }
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** QoS 0 deliveries per second, 1→1; one WebSocket message per 50 PUBLISH. */
async function throughput(
  port: number,
  size: number,
  messages: number,
): Promise<number> {
  const topic = `bench/${crypto.randomUUID().slice(0, 8)}`;
  const sub = await WsClient.open(port, `s-${topic}`);
  await sub.send({
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: topic, qos: 0 }],
  });
  await sub.readUntil(() => sub.acks >= 1);
  sub.run();
  const pub = await WsClient.open(port, `p-${topic}`);
  pub.run();
  const payload = new Uint8Array(size).fill(0x61);
  const BATCH = 50;
  const batch = concat(
    Array.from(
      { length: BATCH },
      () =>
        encodePacket({
          type: "publish",
          topic,
          payload,
          qos: 0,
          retain: false,
          dup: false,
        }, 4),
    ),
  );
  const frame = encodeClientFrame(2, batch, MASK);
  const started = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (let sent = 0; sent < messages && Date.now() < deadline; sent += BATCH) {
    await pub.sendFrame(frame);
    while (Date.now() < deadline && sub.received < sent + BATCH - 500) {
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  let last = sub.received;
  let lastChange = Date.now();
  while (sub.received < messages && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
    if (sub.received !== last) {
      last = sub.received;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 1000) break;
  }
  const rate = sub.received / ((performance.now() - started) / 1000);
  sub.close();
  pub.close();
  await new Promise((r) => setTimeout(r, 100));
  return rate;
}

async function mosquittoWs(dir: string): Promise<Running | undefined> {
  const port = freePort();
  const conf = `${dir}/mosquitto.conf`;
  await Deno.writeTextFile(
    conf,
    [
      "allow_anonymous true",
      "set_tcp_nodelay true",
      "max_queued_messages 1000",
      `listener ${port} 127.0.0.1`,
      "protocol websockets",
      "",
    ].join("\n"),
  );
  try {
    return await spawn("mosquitto", ["-c", conf], port);
  } catch {
    return undefined;
  }
}

const dir = await Deno.makeTempDir({ prefix: "postern-ws-bench-" });
const messages = QUICK ? 20_000 : 200_000;
const rounds = QUICK ? 1 : 3;
const targets: [string, () => Promise<Running | undefined>][] = [
  ["postern ws (own server over TCP)", () => {
    const port = freePort();
    return spawn(Deno.execPath(), [
      "run",
      "-A",
      SERVER,
      "postern",
      String(port),
    ], port);
  }],
  ["postern ws on Deno.serve", () => {
    const port = freePort();
    return spawn(
      Deno.execPath(),
      ["run", "-A", SERVER, "deno", String(port)],
      port,
    );
  }],
  ["Mosquitto websockets", () => mosquittoWs(dir)],
];
const rows = [
  "| figure | server | msg/s (median of rounds) |",
  "| --- | --- | ---: |",
];
try {
  for (const [name, start] of targets) {
    const server = await start();
    if (server === undefined) {
      console.error(`${name}: not available`);
      continue;
    }
    try {
      for (const size of [64, 1024]) {
        const rates: number[] = [];
        for (let r = 0; r < rounds; r++) {
          rates.push(await throughput(server.port, size, messages));
        }
        rates.sort((a, b) => a - b);
        const median = rates[Math.floor(rates.length / 2)]!;
        rows.push(
          `| QoS 0, 1→1, ${size} B | ${name} | ${
            Math.round(median).toLocaleString("en-US")
          } |`,
        );
        console.error(rows.at(-1));
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(rows.join("\n"));
