/**
 * MQTT load benchmark: postern beside Mosquitto, driven by one load
 * generator (this script: raw Deno sockets + postern's codec), with each
 * broker in its own process (`deno run -A cli/main.ts serve --config …` and
 * `mosquitto -c …` with `set_tcp_nodelay true`), loopback only.
 *
 * Figures: messages per second for QoS 0 and 1, 1→1 and 1→100, 64 B and
 * 1 KiB, over TCP and TLS; TLS connections per second (8 concurrent); RSS
 * per idle connection. Every loop is bounded in count and time.
 *
 * `--mtls`: two-way TLS only, against postern's `verify_peer` listener
 * (`node:tls`, chain checked by postern's PKI) and Mosquitto's listener with
 * `require_certificate true` / `use_identity_as_username true`, with
 * Deno's `node:tls` client presenting the development client certificate:
 * connections per second (8 concurrent) and QoS 0 1→1 throughput.
 *
 *   deno run -A bench/mqtt_load.ts [--quick] [--mtls]
 *
 * @module
 */

import { certsCommand } from "../cli/certs.ts";
import { concatBytes } from "../src/bytes/mod.ts";
import { encodePacket, type Packet } from "../src/mqtt/mod.ts";
import type { ByteStream } from "../src/net/byte_stream.ts";
import { NodeSocketStream } from "../src/net/node_tls_listener.ts";
import nodeTls from "node:tls";
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

/** Client credentials for two-way TLS (PEM). */
interface MutualTls {
  ca: string;
  cert: string;
  key: string;
}

const QUICK = Deno.args.includes("--quick");
const IDLE_ONLY = Deno.args.includes("--idle-only");
const MTLS = Deno.args.includes("--mtls");
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const STEP_TIMEOUT_MS = 30_000;

interface Broker {
  name: string;
  tcp: number;
  tls: number;
  /** The two-way TLS listener. */
  mtls: number;
  pid: number;
  stop(): Promise<void>;
}

async function spawnBroker(
  name: string,
  cmd: string,
  args: string[],
  ports: { tcp: number; tls: number; mtls: number },
): Promise<Broker> {
  const ready = await spawnServer(cmd, args, [
    ports.tcp,
    ports.tls,
    ports.mtls,
  ]);
  return { name, ...ports, ...ready };
}

async function startPostern(dir: string, certs: string): Promise<Broker> {
  const tcp = freePort();
  const tls = freePort();
  const mtls = freePort();
  const config = `${dir}/postern.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      listeners: {
        tcp: { default: { bind: `127.0.0.1:${tcp}` } },
        ssl: {
          default: {
            bind: `127.0.0.1:${tls}`,
            ssl_options: {
              certfile: `${certs}/serverChain.pem`,
              keyfile: `${certs}/server_key.pem`,
            },
          },
          mtls: {
            bind: `127.0.0.1:${mtls}`,
            ssl_options: {
              certfile: `${certs}/serverChain.pem`,
              keyfile: `${certs}/server_key.pem`,
              cacertfile: `${certs}/ca.pem`,
              verify: "verify_peer",
              fail_if_no_peer_cert: true,
            },
          },
        },
        coap: { default: { enable: false } },
      },
      data_dir: `${dir}/data`,
      log: { level: "warn" },
    }),
  );
  return await spawnBroker(
    "postern",
    Deno.execPath(),
    ["run", "-A", MAIN, "serve", "--config", config],
    { tcp, tls, mtls },
  );
}

async function startMosquitto(dir: string, certs: string): Promise<Broker> {
  const tcp = freePort();
  const tls = freePort();
  const mtls = freePort();
  const conf = `${dir}/mosquitto.conf`;
  await writeMosquittoConf(
    conf,
    [
      `listener ${tcp} 127.0.0.1`,
      `listener ${tls} 127.0.0.1`,
      `certfile ${certs}/serverChain.pem`,
      `keyfile ${certs}/server_key.pem`,
      `listener ${mtls} 127.0.0.1`,
      `cafile ${certs}/ca.pem`,
      `certfile ${certs}/serverChain.pem`,
      `keyfile ${certs}/server_key.pem`,
      "require_certificate true",
      "use_identity_as_username true",
    ],
  );
  return await spawnBroker("mosquitto", "mosquitto", ["-c", conf], {
    tcp,
    tls,
    mtls,
  });
}

/** A raw MQTT client with one reused read buffer and a frame scanner. */
class Client {
  readonly conn: ByteStream;
  readonly #buf = new Uint8Array(256 * 1024);
  readonly #scanner = new MqttPacketScanner();
  received = 0;
  acks = 0;
  #running = false;

  constructor(conn: ByteStream) {
    this.conn = conn;
  }

  static async open(
    port: number,
    options: {
      tls?: string | undefined;
      mtls?: MutualTls | undefined;
      clientId: string;
    },
  ): Promise<Client> {
    let conn: ByteStream;
    if (options.mtls !== undefined) {
      // Deno.startTls ignores client certificates; node:tls sends them.
      const socket = nodeTls.connect({
        host: "127.0.0.1",
        port,
        servername: "localhost",
        ...options.mtls,
      });
      socket.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
      conn = new NodeSocketStream(socket);
    } else {
      const raw = await Deno.connect({ hostname: "127.0.0.1", port });
      raw.setNoDelay(true);
      conn = options.tls === undefined ? raw : await Deno.startTls(raw, {
        hostname: "localhost",
        caCerts: [options.tls],
      });
    }
    const c = new Client(conn);
    await c.write(mqttConnect(options.clientId));
    await c.#readUntil(() => c.acks >= 1);
    c.acks = 0;
    return c;
  }

  async send(packet: Packet): Promise<void> {
    await this.write(encodePacket(packet, 4));
  }

  async write(bytes: Uint8Array): Promise<void> {
    // A node:tls socket keeps the buffer until it is sent: never reuse it.
    if (this.conn instanceof NodeSocketStream) bytes = bytes.slice();
    await writeAll(this.conn, bytes);
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<void> {
    await this.send({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: topic, qos }],
    });
    await this.#readUntil(() => this.acks >= 1);
    this.acks = 0;
  }

  /** Reads in the background: counts PUBLISH, answers QoS 1 with PUBACK. */
  run(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#readUntil(() => false).catch(() => {});
  }

  async #readUntil(done: () => boolean): Promise<void> {
    while (!done()) {
      const n = await this.conn.read(this.#buf);
      if (n === null) return;
      const acks = this.#scan(this.#buf.subarray(0, n));
      if (acks.length > 0) await this.write(concatBytes(...acks));
    }
  }

  /** Counts PUBLISH and acknowledgements; returns PUBACKs to send. */
  #scan(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#scanner.scan(chunk, (header, body) => {
      if (header >> 4 !== 3) {
        this.acks++;
        return;
      }
      this.received++;
      if (((header >> 1) & 3) > 0) {
        const p = 2 + ((body[0]! << 8) | body[1]!);
        out.push(new Uint8Array([0x40, 2, body[p]!, body[p + 1]!]));
      }
    });
    return out;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed
    }
  }
}

interface Throughput {
  qos: 0 | 1;
  subscribers: number;
  size: number;
  messages: number;
}

/** TCP (`undefined`), one-way TLS (the CA, PEM) or two-way TLS. */
type Security = string | MutualTls | undefined;

function endpoint(
  broker: Broker,
  tls: Security,
): { port: number; open: { tls?: string; mtls?: MutualTls } } {
  if (tls === undefined) return { port: broker.tcp, open: {} };
  if (typeof tls === "string") return { port: broker.tls, open: { tls } };
  return { port: broker.mtls, open: { mtls: tls } };
}

/** Deliveries per second (sum over subscribers); loss is reported. */
async function throughput(
  broker: Broker,
  tls: Security,
  t: Throughput,
): Promise<{ rate: number; delivered: number; expected: number }> {
  const { port, open } = endpoint(broker, tls);
  const topic = `bench/${crypto.randomUUID().slice(0, 8)}`;
  const subs: Client[] = [];
  for (let i = 0; i < t.subscribers; i++) {
    const c = await Client.open(port, { ...open, clientId: `s${i}-${topic}` });
    await c.subscribe(topic, t.qos);
    c.run();
    subs.push(c);
  }
  const pub = await Client.open(port, { ...open, clientId: `p-${topic}` });
  pub.run();
  const payload = new Uint8Array(t.size).fill(0x61);
  const BATCH = 50;
  // 20 batches of distinct packet identifiers (1..1000); at most 500 are
  // unacknowledged at once, so an identifier is free again when reused.
  const batches: Uint8Array[] = [];
  for (let b = 0; b < 20; b++) {
    batches.push(mqttPublishes({
      topic,
      payload,
      qos: t.qos,
      count: BATCH,
      firstPacketId: b * BATCH + 1,
    }));
  }
  // How far the publisher may run ahead of the subscribers: within the
  // brokers' per-client queues (1000 messages), so nothing is dropped.
  const lead = Math.min(20_000, 500 * t.subscribers);
  const expected = t.messages * t.subscribers;
  const delivered = () => subs.reduce((n, s) => n + s.received, 0);
  const started = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (
    let sent = 0;
    sent < t.messages && Date.now() < deadline;
    sent += BATCH
  ) {
    await pub.write(batches[(sent / BATCH) % 20]!);
    // Publisher flow control: QoS 1 keeps at most 500 unacknowledged; both
    // keep within 20 000 deliveries of the slowest subscriber's progress.
    while (
      Date.now() < deadline &&
      ((t.qos === 1 && sent + BATCH - pub.acks > 500) ||
        delivered() < (sent + BATCH) * t.subscribers - lead)
    ) await new Promise((r) => setTimeout(r, 0));
  }
  await drain(delivered, expected, deadline);
  const seconds = (performance.now() - started) / 1000;
  const got = delivered();
  for (const c of [...subs, pub]) c.close();
  await new Promise((r) => setTimeout(r, 100));
  return { rate: got / seconds, delivered: got, expected };
}

async function connectRate(
  broker: Broker,
  tls: Security,
  total: number,
): Promise<number> {
  const { port, open } = endpoint(broker, tls);
  let next = 0;
  const started = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      const c = await Client.open(port, { ...open, clientId: `c${w}-${i}` });
      await c.send({ type: "disconnect" });
      c.close();
    }
  }));
  return next / ((performance.now() - started) / 1000);
}

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = status.match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) : NaN;
}

/** RSS growth per idle connected client, in bytes. */
async function idleMemory(
  broker: Broker,
  count: number,
): Promise<{ perConnection: number; connections: number }> {
  const conns: Deno.TcpConn[] = [];
  await new Promise((r) => setTimeout(r, 500));
  const before = rssKiB(broker.pid);
  const deadline = Date.now() + 60_000;
  const buf = new Uint8Array(16);
  try {
    for (let i = 0; i < count && Date.now() < deadline; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, async (_, j) => {
          const c = await Deno.connect({
            hostname: "127.0.0.1",
            port: broker.tcp,
          });
          c.setNoDelay(true);
          await c.write(mqttConnect(`idle-${i + j}`));
          await c.read(buf);
          conns.push(c);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssKiB(broker.pid);
    return {
      perConnection: ((after - before) * 1024) / conns.length,
      connections: conns.length,
    };
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function fmt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "postern-bench-" });
  const certs = `${dir}/certs`;
  await certsCommand(["init", "--dir", certs]);
  // Mosquitto started as root drops to its own user: let it read the files.
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(certs, 0o755);
  for (const f of ["serverChain.pem", "server_key.pem"]) {
    await Deno.chmod(`${certs}/${f}`, 0o644);
  }
  const ca = await Deno.readTextFile(`${certs}/ca.pem`);
  for (const f of ["ca.pem", "client.pem", "client_key.pem"]) {
    await Deno.chmod(`${certs}/${f}`, 0o644);
  }
  const mutual: MutualTls = {
    ca,
    cert: await Deno.readTextFile(`${certs}/client.pem`),
    key: await Deno.readTextFile(`${certs}/client_key.pem`),
  };
  const brokers: Broker[] = [];
  const rows: string[] = [];
  bench: try {
    brokers.push(await startMosquitto(dir, certs));
    brokers.push(await startPostern(dir, certs));
    const [mosq, post] = brokers as [Broker, Broker];
    if (MTLS) {
      rows.push("| figure | Mosquitto | postern | postern ÷ Mosquitto |");
      rows.push("| --- | ---: | ---: | ---: |");
      const n = QUICK ? 100 : 600;
      const m = await connectRate(mosq, mutual, n);
      const p = await connectRate(post, mutual, n);
      rows.push(
        `| mutual TLS connect + CONNACK, 8 concurrent, node:tls client (/s) | ${
          fmt(m)
        } | ${fmt(p)} | ${(p / m).toFixed(2)} |`,
      );
      console.error(rows.at(-1));
      for (const size of [64, 1024]) {
        const t = {
          qos: 0 as const,
          size,
          subscribers: 1,
          messages: QUICK ? 20_000 : 100_000,
        };
        const mr = await throughput(mosq, mutual, t);
        const pr = await throughput(post, mutual, t);
        rows.push(
          `| QoS 0, 1→1, ${
            size === 64 ? "64 B" : "1 KiB"
          }, mutual TLS (msg/s delivered) | ${fmt(mr.rate)} | ${
            fmt(pr.rate)
          } | ${(pr.rate / mr.rate).toFixed(2)} |`,
        );
        console.error(rows.at(-1));
      }
      console.log(rows.join("\n"));
      break bench;
    }
    const scale = QUICK ? 0.2 : 1;
    const cases: (Throughput & { tls: boolean })[] = [];
    for (const tls of [false, true]) {
      for (const qos of [0, 1] as const) {
        for (const size of [64, 1024]) {
          cases.push({
            tls,
            qos,
            size,
            subscribers: 1,
            messages: Math.round((qos === 0 ? 100_000 : 40_000) * scale),
          });
          cases.push({
            tls,
            qos,
            size,
            subscribers: 100,
            messages: Math.round((qos === 0 ? 2_000 : 1_000) * scale),
          });
        }
      }
    }
    rows.push("| figure | Mosquitto | postern | postern ÷ Mosquitto |");
    rows.push("| --- | ---: | ---: | ---: |");
    for (const c of IDLE_ONLY ? [] : cases) {
      const label = `QoS ${c.qos}, 1→${c.subscribers}, ${
        c.size === 64 ? "64 B" : "1 KiB"
      }, ${c.tls ? "TLS" : "TCP"} (msg/s delivered)`;
      const m = await throughput(mosq, c.tls ? ca : undefined, c);
      const p = await throughput(post, c.tls ? ca : undefined, c);
      const loss = (r: typeof m) =>
        r.delivered < r.expected
          ? ` (${fmt(r.delivered)}/${fmt(r.expected)})`
          : "";
      rows.push(
        `| ${label} | ${fmt(m.rate)}${loss(m)} | ${fmt(p.rate)}${loss(p)} | ${
          (p.rate / m.rate).toFixed(2)
        } |`,
      );
      console.error(rows.at(-1));
    }
    for (const tls of IDLE_ONLY ? [] : [false, true]) {
      const n = QUICK ? 200 : tls ? 1000 : 3000;
      const m = await connectRate(mosq, tls ? ca : undefined, n);
      const p = await connectRate(post, tls ? ca : undefined, n);
      rows.push(
        `| ${tls ? "TLS" : "TCP"} connect + CONNACK, 8 concurrent (/s) | ${
          fmt(m)
        } | ${fmt(p)} | ${(p / m).toFixed(2)} |`,
      );
      console.error(rows.at(-1));
    }
    const idle = QUICK ? 1000 : 10_000;
    const mi = await idleMemory(mosq, idle);
    const pi = await idleMemory(post, idle);
    rows.push(
      `| RSS per idle connection (${fmt(pi.connections)} clients) | ${
        fmt(mi.perConnection)
      } B | ${fmt(pi.perConnection)} B | ${
        (pi.perConnection / mi.perConnection).toFixed(2)
      } |`,
    );
    console.error(rows.at(-1));
    console.log(rows.join("\n"));
  } finally {
    for (const b of brokers) await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
