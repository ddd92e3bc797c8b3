/**
 * CoAP load figures (see the CoAP section of `bench/README.md`): postern
 * (`postern serve` in its own process) beside libcoap's
 * `coap-server-openssl`, driven by the same client in the same run (our
 * {@link CoapDtlsClient} / {@link CoapUdpClient}, DTLS 1.2 with a PSK):
 *
 * 1. **Requests/s over one DTLS session**: lock-step CON `GET
 *    /.well-known/core` (one outstanding request, NSTART 1), and the server
 *    process's CPU per request from `/proc/PID/stat`.
 * 2. **Requests/s over 1 000 DTLS sessions**: 1 000 PSK handshakes (16 at a
 *    time), then every session sends requests lock-step, 64 sessions in
 *    flight, round-robin.
 * 3. **Memory per observer**: 1 000 Observe registrations over plain
 *    CoAP, each from its own endpoint (UDP port), as devices are (postern on
 *    distinct `/ps/bench/{i}` topics, libcoap on `/time`); server RSS delta
 *    / 1 000 (`/proc/PID/status`) on a freshly started server,
 *    and for postern also the V8 heap delta of an in-process CoAP server
 *    with the gateway routes (10 000 observers, after a GC; needs
 *    `--v8-flags=--expose-gc`).
 *
 * Loopback only; every loop is bounded. The throughput figures are
 * measured `--rounds` times (default 3): median and spread; the memory
 * figure once, first, on freshly started servers.
 *
 * ```
 * deno run -A --v8-flags=--expose-gc bench/coap_load.ts           # ≈ 1 min
 * deno run -A --v8-flags=--expose-gc bench/coap_load.ts --quick   # smaller counts
 * deno run -A bench/coap_load.ts --quick --server-flags="--cpu-prof --cpu-prof-dir=/tmp/p"
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CoapDtlsClient } from "../src/net/coap_dtls.ts";
import { CoapUdpClient } from "../src/net/coap_udp.ts";
import { CoapServer } from "../src/coap/server.ts";
import { Router } from "../src/coap/router.ts";
import { encodeMessage } from "../src/coap/message.ts";
import { OptionNumber, pathOptions, uintOption } from "../src/coap/options.ts";
import { CoapGateway } from "../src/gateway/mapping.ts";
import { encodeHex } from "../src/bytes/mod.ts";
import { certsCommand } from "../cli/certs.ts";

const KEY_TEXT = "postern-bench-psk";
const KEY = new TextEncoder().encode(KEY_TEXT);
const IDENTITY = "bench";
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    rounds: { type: "string" },
    "server-flags": { type: "string" },
  },
});
/** Extra `deno run` flags for postern's process, e.g. `--cpu-prof`. */
const SERVER_FLAGS = flags["server-flags"]?.split(" ").filter((f) => f) ?? [];
const QUICK = flags.quick ?? false;
const ROUNDS = Number(flags.rounds ?? (QUICK ? 1 : 3));
const ONE_SESSION_REQUESTS = QUICK ? 1000 : 4000;
const SESSIONS = QUICK ? 200 : 1000;
const MANY_REQUESTS = SESSIONS * 4;
/** Observers per RSS measurement (postern's default table holds 1 024). */
const OBSERVERS = 1000;
const HEAP_OBSERVERS = 10_000;

interface Peer {
  readonly name: string;
  readonly pid: number;
  readonly coapPort: number;
  readonly dtlsPort: number;
  /** A small resource both servers have. */
  readonly path: string;
  /** The path of the i-th observer. */
  readonly observePath: (i: number) => string;
  stop(): Promise<void>;
}

function freePort(): number {
  for (;;) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    try {
      const a = Deno.listenDatagram({
        transport: "udp",
        hostname: "127.0.0.1",
        port,
      });
      const b = Deno.listenDatagram({
        transport: "udp",
        hostname: "127.0.0.1",
        port: port + 1,
      });
      a.close();
      b.close();
      return port;
    } catch {
      // taken, try another
    }
  }
}

function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb) * 1024;
}

async function waitUntilServing(port: number): Promise<void> {
  const client = new CoapUdpClient({
    transmission: { ackTimeout: 200, maxRetransmit: 0 },
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await client.request(`127.0.0.1:${port}`, {
          method: "GET",
          path: "/.well-known/core",
        });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`Nothing answers on UDP ${port}`);
  } finally {
    await client.close();
  }
}

async function startPostern(dir: string): Promise<Peer> {
  const port = freePort();
  await Deno.mkdir(dir, { recursive: true });
  await certsCommand(["init", "--dir", `${dir}/certs`]);
  await Deno.writeTextFile(`${dir}/psk.txt`, `${IDENTITY}:${encodeHex(KEY)}\n`);
  await Deno.writeTextFile(
    `${dir}/postern.json`,
    JSON.stringify({
      data_dir: `${dir}/data`,
      psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
      listeners: {
        tcp: { default: { bind: "127.0.0.1:0" } },
        coap: { default: { bind: `127.0.0.1:${port}` } },
        dtls: {
          default: {
            bind: `127.0.0.1:${port + 1}`,
            dtls_options: {
              certfile: `${dir}/certs/server.pem`,
              keyfile: `${dir}/certs/server_key.pem`,
            },
          },
        },
      },
    }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...SERVER_FLAGS,
      MAIN,
      "serve",
      "--config",
      `${dir}/postern.json`,
      "--log-format",
      "json",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitUntilServing(port);
  return {
    name: "postern",
    pid: child.pid,
    coapPort: port,
    dtlsPort: port + 1,
    path: "/.well-known/core",
    observePath: (i) => `/ps/bench/${i}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function startLibcoap(): Promise<Peer> {
  const port = freePort();
  const child = new Deno.Command("coap-server-openssl", {
    args: ["-A", "127.0.0.1", "-p", String(port), "-k", KEY_TEXT, "-h", "hint"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitUntilServing(port);
  return {
    name: "libcoap",
    pid: child.pid,
    coapPort: port,
    dtlsPort: port + 1,
    path: "/.well-known/core",
    observePath: () => "/time",
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function connect(peer: Peer): Promise<CoapDtlsClient> {
  return CoapDtlsClient.connect({
    hostname: "127.0.0.1",
    port: peer.dtlsPort,
    client: { psk: { identity: IDENTITY, key: KEY } },
    handshakeTimeoutMs: 10_000,
  });
}

async function oneSession(peer: Peer): Promise<{ rps: number; cpuUs: number }> {
  const client = await connect(peer);
  try {
    for (let i = 0; i < 200; i++) {
      await client.request({ method: "GET", path: peer.path });
    }
    const cpu0 = cpuSeconds(peer.pid);
    const t0 = performance.now();
    for (let i = 0; i < ONE_SESSION_REQUESTS; i++) {
      await client.request({ method: "GET", path: peer.path });
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(peer.pid) - cpu0;
    return {
      rps: ONE_SESSION_REQUESTS / seconds,
      cpuUs: cpu / ONE_SESSION_REQUESTS * 1e6,
    };
  } finally {
    await client.close();
  }
}

async function pool<T>(
  count: number,
  width: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

async function manySessions(
  peer: Peer,
): Promise<{ handshakesPerS: number; rps: number; cpuUs: number }> {
  const t0 = performance.now();
  const clients = await pool(SESSIONS, 16, () => connect(peer));
  const handshakesPerS = SESSIONS / ((performance.now() - t0) / 1000);
  try {
    const cpu0 = cpuSeconds(peer.pid);
    const t1 = performance.now();
    await pool(
      MANY_REQUESTS,
      64,
      (i) => clients[i % SESSIONS]!.request({ method: "GET", path: peer.path }),
    );
    const seconds = (performance.now() - t1) / 1000;
    const cpu = cpuSeconds(peer.pid) - cpu0;
    return {
      handshakesPerS,
      rps: MANY_REQUESTS / seconds,
      cpuUs: cpu / MANY_REQUESTS * 1e6,
    };
  } finally {
    await pool(SESSIONS, 64, (i) => clients[i]!.close());
  }
}

async function observerMemory(peer: Peer): Promise<number> {
  const server = `127.0.0.1:${peer.coapPort}`;
  // One endpoint (UDP port) per observer, as devices are: libcoap keeps one
  // subscription per session and resource.
  const clients = Array.from({ length: OBSERVERS }, () => new CoapUdpClient());
  try {
    await new Promise((r) => setTimeout(r, 300));
    const before = rssBytes(peer.pid);
    await pool(OBSERVERS, 32, async (i) => {
      const r = await clients[i]!.request(server, {
        method: "GET",
        path: peer.observePath(i),
        observe: true,
      }, () => {});
      if (r.observe === undefined) {
        throw new Error(`${peer.name} did not register observer ${i}`);
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    return (rssBytes(peer.pid) - before) / OBSERVERS;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function heapPerObserver(): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  const gateway = new CoapGateway({
    publish: () => 0,
    retained: () => undefined,
  }, {
    clock: () => 0,
  });
  const server = new CoapServer(gateway.routes(new Router()), {
    observe: { maxObservers: HEAP_OBSERVERS },
    separateResponseAfterMs: 0,
  });
  gateway.attach({
    notify: (now, path, peer) => server.notify(now, path, peer),
  });
  gc();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < HEAP_OBSERVERS; i++) {
    server.handleDatagram(
      0,
      encodeMessage({
        type: 0,
        code: 1,
        messageId: i & 0xffff,
        token: new Uint8Array([i >> 16, i >> 8, i]),
        options: [
          ...pathOptions(`/ps/bench/${i}`),
          uintOption(OptionNumber.OBSERVE, 0),
        ],
        payload: new Uint8Array(),
      }),
      `10.0.${i >> 8 & 0xff}.${i & 0xff}:5683`,
    );
    while (server.pollTransmit() !== undefined);
  }
  await new Promise((r) => setTimeout(r, 50));
  server.handleTimeout(0);
  while (server.pollTransmit() !== undefined);
  gc();
  const delta = Deno.memoryUsage().heapUsed - before;
  if (server.observerCount !== HEAP_OBSERVERS) {
    throw new Error(`only ${server.observerCount} observers registered`);
  }
  return delta / HEAP_OBSERVERS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function show(xs: number[], digits = 0): string {
  const f = (x: number) => x.toFixed(digits);
  return xs.length === 1
    ? f(xs[0]!)
    : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

const dir = await Deno.makeTempDir({ prefix: "postern-coap-bench-" });
try {
  const heap = await heapPerObserver();
  // Memory first, each server fresh: after the 1 000-session runs libcoap's
  // malloc arena has room for every observer.
  const memory = new Map<string, number>();
  for (const start of [() => startPostern(`${dir}/mem`), startLibcoap]) {
    const peer = await start();
    try {
      memory.set(peer.name, await observerMemory(peer));
    } finally {
      await peer.stop();
    }
  }
  const peers = [await startPostern(`${dir}/run`), await startLibcoap()];
  try {
    for (const peer of peers) {
      const one = { rps: [] as number[], cpu: [] as number[] };
      const many = {
        hs: [] as number[],
        rps: [] as number[],
        cpu: [] as number[],
      };
      for (let r = 0; r < ROUNDS; r++) {
        const o = await oneSession(peer);
        one.rps.push(o.rps);
        one.cpu.push(o.cpuUs);
        const m = await manySessions(peer);
        many.hs.push(m.handshakesPerS);
        many.rps.push(m.rps);
        many.cpu.push(m.cpuUs);
      }
      console.log(`${peer.name}:`);
      console.log(
        `  one DTLS session, lock-step GET: ${
          show(one.rps)
        } req/s, server CPU ${show(one.cpu, 1)} µs/req`,
      );
      console.log(
        `  ${SESSIONS} DTLS sessions: handshakes ${show(many.hs)} /s; GET ${
          show(many.rps)
        } req/s, server CPU ${show(many.cpu, 1)} µs/req`,
      );
      console.log(
        `  memory per observer (RSS delta / ${OBSERVERS}): ${
          memory.get(peer.name)?.toFixed(0)
        } B`,
      );
    }
  } finally {
    for (const p of peers) await p.stop();
  }
  if (heap !== undefined) {
    console.log(
      `postern in process: V8 heap per observer (gateway /ps/{topic}, ${HEAP_OBSERVERS}): ${
        heap.toFixed(0)
      } B`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
