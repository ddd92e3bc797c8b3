/**
 * TLS-PSK load benchmark: postern's own TLS 1.2 engine (an `ssl` listener
 * with `psk_authentication` and `ciphers: PSK-AES128-GCM-SHA256`) beside
 * Mosquitto's `psk_file` listener, each broker in its own process, in the
 * same run, loopback only. One load generator drives both with the same
 * client: postern's TLS engine in the client role (`TlsEngineStream`),
 * PSK-AES128-GCM-SHA256, raw MQTT frames.
 *
 * Figures:
 * - handshakes per second: TCP connect + TLS-PSK handshake + MQTT
 *   CONNECT/CONNACK, then close, 8 concurrent;
 * - server CPU per handshake: the broker process's user + system time
 *   (`/proc/<pid>/stat`, 10 ms ticks) over the run divided by the count
 *   (the brokers run in their own processes, so `Deno.cpuUsage` of this
 *   process would measure the client);
 * - QoS 0 throughput, 1 publisher → 1 subscriber, 64 B payloads.
 *
 * Every loop is bounded in count and time.
 *
 *   deno run -A bench/tls_engine_load.ts [--quick]
 *   deno run -A bench/tls_engine_load.ts --server-flags="--cpu-prof --cpu-prof-dir=/tmp/p"
 *   deno run -A bench/tls_engine_load.ts --only=handshakes --brokers=postern --handshakes=3000
 *
 * @module
 */

import { decodeHex } from "../src/bytes/mod.ts";
import { encodePacket } from "../src/mqtt/mod.ts";
import { TlsConnection } from "../src/tls/stream/connection.ts";
import { TlsEngineStream } from "../src/net/tls_engine_stream.ts";
import {
  drain,
  freePort,
  mqttConnect,
  MqttPacketScanner,
  mqttPublishes,
  spawnServer,
  writeMosquittoConf,
} from "./_load_client.ts";

const QUICK = Deno.args.includes("--quick");
/** Extra `deno run` flags for postern's process, e.g. `--cpu-prof`. */
const SERVER_FLAGS = Deno.args.find((a) => a.startsWith("--server-flags="))
  ?.slice("--server-flags=".length).split(" ").filter((f) => f) ?? [];
/** `--only=handshakes` skips the QoS 0 phase (a profile of the connects). */
const ONLY_HANDSHAKES = Deno.args.includes("--only=handshakes");
/** `--brokers=postern` (or `mosquitto`) runs only the brokers named. */
const BROKERS = Deno.args.find((a) => a.startsWith("--brokers="))
  ?.slice("--brokers=".length).split(",") ?? ["postern", "mosquitto"];
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const KEY_HEX = "8c7011223344556677889900aabbccdd";
const KEY = decodeHex(KEY_HEX);
const SUITE = "PSK-AES128-GCM-SHA256";
const HANDSHAKES = Number(
  Deno.args.find((a) => a.startsWith("--handshakes="))?.slice(13) ??
    (QUICK ? 200 : 1000),
);
const CONCURRENCY = 8;
const MESSAGES = QUICK ? 20_000 : 100_000;
const STEP_TIMEOUT_MS = 60_000;

interface Broker {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

async function spawnBroker(
  name: string,
  cmd: string,
  args: string[],
  port: number,
): Promise<Broker> {
  return { name, port, ...await spawnServer(cmd, args, [port]) };
}

async function startPostern(dir: string): Promise<Broker> {
  const port = freePort();
  const config = `${dir}/postern.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
        ssl: {
          default: {
            bind: `127.0.0.1:${port}`,
            ssl_options: { ciphers: [SUITE] },
          },
        },
      },
      data_dir: `${dir}/data`,
      log: { level: "warn" },
    }),
  );
  return await spawnBroker(
    "postern",
    Deno.execPath(),
    [
      "run",
      "-A",
      "--unstable-kv",
      ...SERVER_FLAGS,
      MAIN,
      "serve",
      "--config",
      config,
    ],
    port,
  );
}

async function startMosquitto(dir: string): Promise<Broker> {
  const port = freePort();
  const conf = `${dir}/mosquitto.conf`;
  await writeMosquittoConf(conf, [
    `listener ${port} 127.0.0.1`,
    "psk_hint hint",
    `psk_file ${dir}/psk.txt`,
  ]);
  return await spawnBroker("mosquitto", "mosquitto", ["-c", conf], port);
}

/** User + system CPU of a process in ms (Linux `/proc/<pid>/stat`). */
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based), in clock ticks of 10 ms
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A PSK client over postern's TLS engine with one reused read buffer. */
async function openClient(
  port: number,
  clientId: string,
): Promise<TlsEngineStream> {
  const raw = await Deno.connect({ hostname: "127.0.0.1", port });
  raw.setNoDelay(true);
  const stream = new TlsEngineStream(
    raw,
    new TlsConnection({
      role: "client",
      client: {
        psk: { identity: "device-1", key: KEY },
        cipherSuites: [SUITE],
      },
    }),
  );
  const result = await stream.handshake();
  if (!result.ok) {
    throw new Error(`Handshake failed: ${result.closed.reason}`);
  }
  await stream.write(mqttConnect(clientId));
  const buf = new Uint8Array(64);
  let got = 0;
  while (got < 4) {
    const n = await stream.read(buf.subarray(got));
    if (n === null) throw new Error("Closed before CONNACK");
    got += n;
  }
  if (buf[0] !== 0x20 || buf[3] !== 0) throw new Error("CONNACK refused");
  return stream;
}

async function handshakes(
  broker: Broker,
): Promise<{ perSecond: number; cpuPerHandshakeMs: number }> {
  const cpu0 = cpuMs(broker.pid);
  const start = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let next = 0;
  let done = 0;
  async function worker(w: number): Promise<void> {
    while (next < HANDSHAKES && Date.now() < deadline) {
      const i = next++;
      const c = await openClient(broker.port, `h${w}-${i}`);
      c.close();
      done++;
    }
  }
  await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, w) => worker(w)),
  );
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 200));
  const cpu = cpuMs(broker.pid) - cpu0;
  return { perSecond: done / seconds, cpuPerHandshakeMs: cpu / done };
}

async function qos0(broker: Broker): Promise<number> {
  const topic = `bench/${crypto.randomUUID().slice(0, 8)}`;
  const sub = await openClient(broker.port, `s-${topic}`);
  await sub.write(encodePacket({
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: topic, qos: 0 }],
  }, 4));
  const buf = new Uint8Array(256 * 1024);
  const scanner = new MqttPacketScanner();
  let received = 0;
  let subacked = false;
  const reading = (async () => {
    while (received < MESSAGES) {
      const n = await sub.read(buf);
      if (n === null) return;
      scanner.scan(buf.subarray(0, n), (header) => {
        if (header >> 4 === 3) received++;
        else subacked = true;
      });
    }
  })();
  const until = Date.now() + 5000;
  while (!subacked && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const pub = await openClient(broker.port, `p-${topic}`);
  const BATCH = 100;
  const batch = mqttPublishes({
    topic,
    payload: new Uint8Array(64).fill(0x61),
    qos: 0,
    count: BATCH,
  });
  const start = performance.now();
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (let sent = 0; sent < MESSAGES && Date.now() < deadline;) {
    await pub.write(batch);
    sent += BATCH;
    // stay within the brokers' per-client queues (nothing is dropped)
    while (sent - received > 2000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await drain(() => received, MESSAGES, deadline);
  const seconds = (performance.now() - start) / 1000;
  pub.close();
  sub.close();
  await Promise.race([reading, new Promise((r) => setTimeout(r, 1000))]);
  return received / seconds;
}

const dir = await Deno.makeTempDir({ prefix: "postern-tls-bench-" });
await Deno.writeTextFile(`${dir}/psk.txt`, `device-1:${KEY_HEX}\n`);
// Mosquitto started as root drops to its own user: let it read the files
await Deno.chmod(dir, 0o755);
const rows: string[] = [];
try {
  const starts = { postern: startPostern, mosquitto: startMosquitto };
  for (const [name, start] of Object.entries(starts)) {
    if (!BROKERS.includes(name)) continue;
    const broker = await start(dir);
    try {
      const h = await handshakes(broker);
      const rate = ONLY_HANDSHAKES ? "–" : (await qos0(broker)).toFixed(0);
      rows.push(
        `| ${broker.name} | ${h.perSecond.toFixed(0)} | ${
          h.cpuPerHandshakeMs.toFixed(2)
        } | ${rate} |`,
      );
    } finally {
      await broker.stop();
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(
  `TLS-PSK (${SUITE}), ${HANDSHAKES} handshakes at ${CONCURRENCY} concurrent, QoS 0 1→1 64 B x ${MESSAGES}`,
);
console.log(
  "| broker | handshakes/s | server CPU ms/handshake | QoS 0 msg/s |",
);
console.log("|---|---|---|---|");
for (const r of rows) console.log(r);
