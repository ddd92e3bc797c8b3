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

import { concatBytes } from "../src/bytes/mod.ts";
import { encodePacket, type Packet } from "../src/mqtt/mod.ts";
import { encodeClientFrame } from "../src/net/websocket_codec.ts";
import {
  drain,
  freePort,
  mqttConnect,
  MqttPacketScanner,
  mqttPublishes,
  spawnServer,
  writeAll,
  writeMosquittoConf,
} from "./_load_client.ts";

const QUICK = Deno.args.includes("--quick");
const SERVER = new URL("./_ws_server.ts", import.meta.url).pathname;
const MASK = new Uint8Array([1, 2, 3, 4]);
const STEP_TIMEOUT_MS = 30_000;

interface Running {
  port: number;
  stop(): Promise<void>;
}

async function spawn(
  cmd: string,
  args: string[],
  port: number,
): Promise<Running> {
  return { port, ...await spawnServer(cmd, args, [port]) };
}

/** A raw MQTT-over-WebSocket client counting PUBLISH packets received. */
class WsClient {
  readonly #conn: Deno.Conn;
  readonly #buf = new Uint8Array(256 * 1024);
  #frames = new Uint8Array(0);
  readonly #mqtt = new MqttPacketScanner();
  received = 0;
  acks = 0;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(port: number, clientId: string): Promise<WsClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    await writeAll(
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
      head = concatBytes(head, c.#buf.subarray(0, n));
      const end = new TextDecoder().decode(head).indexOf("\r\n\r\n");
      if (end >= 0) {
        c.#frames = head.slice(end + 4);
        break;
      }
    }
    await c.sendFrame(encodeClientFrame(2, mqttConnect(clientId), MASK));
    await c.readUntil(() => c.acks >= 1);
    c.acks = 0;
    return c;
  }

  send(packet: Packet): Promise<void> {
    return this.sendFrame(encodeClientFrame(2, encodePacket(packet, 4), MASK));
  }

  sendFrame(frame: Uint8Array): Promise<void> {
    return writeAll(this.#conn, frame);
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
      ? concatBytes(this.#frames, chunk)
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
    if (payloads.length === 0) return;
    this.#mqtt.scan(concatBytes(...payloads), (header) => {
      if (header >> 4 === 3) this.received++;
      else this.acks++;
    });
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // closed
    }
  }
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
  const batch = mqttPublishes({ topic, payload, qos: 0, count: BATCH });
  const frame = encodeClientFrame(2, batch, MASK);
  const started = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (let sent = 0; sent < messages && Date.now() < deadline; sent += BATCH) {
    await pub.sendFrame(frame);
    while (Date.now() < deadline && sub.received < sent + BATCH - 500) {
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  await drain(() => sub.received, messages, deadline);
  const rate = sub.received / ((performance.now() - started) / 1000);
  sub.close();
  pub.close();
  await new Promise((r) => setTimeout(r, 100));
  return rate;
}

async function mosquittoWs(dir: string): Promise<Running | undefined> {
  const port = freePort();
  const conf = `${dir}/mosquitto.conf`;
  await writeMosquittoConf(conf, [
    `listener ${port} 127.0.0.1`,
    "protocol websockets",
  ]);
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
