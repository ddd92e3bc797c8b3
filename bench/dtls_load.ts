/**
 * DTLS 1.2 server figures (see the DTLS section of `bench/README.md`):
 *
 * 1. **Server CPU per full handshake, in process**: a
 *    {@link DtlsServerEndpoint} on the main thread, our client in a Web
 *    Worker (`_dtls_client_worker.ts`, its own isolate and heap, so its work
 *    and its garbage collection stay out of the server's figures), strictly
 *    taking turns. Each server turn (`handleInput` of a client flight,
 *    awaited, then `pollTransmit`) is timed with `process.cpuUsage()` (the
 *    process's CPU over every thread, so WebCrypto's worker threads and
 *    V8's GC threads count) and `performance.now()`. PSK with the cookie
 *    exchange, and ECDHE-ECDSA one-way (P-256), both AES-128-CCM_8.
 * 2. **Application records/s** through one established association, server
 *    side only: records opened (`handleInput` → `data` event) and sealed
 *    (`send` → `pollTransmit`), 64 B and 1 KiB.
 * 3. **Bytes per idle association**: 10 000 PSK associations established in
 *    one endpoint, `Deno.memoryUsage().heapUsed` delta / 10 000 after the
 *    clients are dropped and a GC (needs `--v8-flags=--expose-gc`).
 * 4. **Over UDP, server in its own process**: postern (this file with
 *    `--serve`) and libcoap's `coap-server-openssl` driven by the same
 *    client (our {@link DtlsAssociation} over `Deno.listenDatagram`, one
 *    fresh socket per full handshake, sequential, close_notify after each):
 *    wall time per handshake and the server process's CPU time per
 *    handshake from `/proc/PID/stat` (utime + stime, every thread).
 * 5. **`openssl speed`** ECDSA P-256 sign and ECDH P-256 as the ceiling.
 * 6. **Server CPU per resumed handshake** (RFC 5246 §7.3 abbreviated
 *    handshake by session ID, with the cookie exchange), in process with
 *    the client on the main thread taking turns ({@link TimedServer}),
 *    beside the full handshake measured the same way, for the ratio.
 *
 * Each figure is measured `--rounds` times (default 3) and the median is
 * printed with the spread. Loopback only; every loop is bounded.
 *
 * ```
 * deno run -A --v8-flags=--expose-gc bench/dtls_load.ts          # everything (≈ 2 min)
 * deno run -A --v8-flags=--expose-gc bench/dtls_load.ts --quick  # smaller counts
 * deno run -A bench/dtls_load.ts --only=memory                   # one part: inproc|records|memory|udp|speed|resumed
 * deno run -A bench/dtls_load.ts --only=inproc --mode=psk         # one handshake kind: psk|ecdhe
 * deno run -A bench/dtls_load.ts --only=inproc --batch=1          # only lock-step (default: 50 side by side, then 1)
 * ```
 *
 * @module
 */

import process from "node:process";
import { DtlsServerEndpoint } from "../src/dtls/endpoint.ts";
import { DtlsAssociation } from "../src/dtls/association.ts";
import { certsCommand } from "../cli/certs.ts";
import { parseCertificatePem } from "../src/pki/mod.ts";
import { loadPrivateKey } from "../src/pki/keys/load.ts";
import type {
  ClientHandshakeConfig,
  ServerHandshakeConfig,
} from "../src/tls/handshake/types.ts";
import { SessionCache } from "../src/tls/session_cache.ts";

const PSK_TEXT = "postern-bench-psk";
const PSK = new TextEncoder().encode(PSK_TEXT);
const SUITE_PSK = "PSK-AES128-CCM8";
const SUITE_ECDHE = "ECDHE-ECDSA-AES128-CCM8";

interface Credentials {
  readonly dir: string;
  readonly server: ServerHandshakeConfig;
  readonly client: ClientHandshakeConfig;
}

/** Development certificates (a fresh CA in a temporary `dir`, or `dir`'s). */
async function credentials(
  mode: "psk" | "ecdhe",
  suite?: string,
  existing?: string,
): Promise<Credentials> {
  const dir = existing ??
    await Deno.makeTempDir({ prefix: "postern-dtls-bench-" });
  if (existing === undefined) {
    const log = console.log;
    console.log = () => {};
    try {
      await certsCommand(["init", "--dir", dir]);
    } finally {
      console.log = log;
    }
  }
  const ca = parseCertificatePem(Deno.readTextFileSync(`${dir}/ca.pem`));
  const certificate = {
    chain: parseCertificatePem(Deno.readTextFileSync(`${dir}/server.pem`)),
    key: loadPrivateKey(Deno.readTextFileSync(`${dir}/server_key.pem`)),
  };
  if (mode === "psk") {
    const s = suite ?? SUITE_PSK;
    return {
      dir,
      server: { psk: () => PSK, cipherSuites: [s] },
      client: { psk: { identity: "bench", key: PSK }, cipherSuites: [s] },
    };
  }
  const s = suite ?? SUITE_ECDHE;
  return {
    dir,
    server: { certificate, cipherSuites: [s] },
    client: { trustAnchors: ca, cipherSuites: [s] },
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function summary(xs: readonly number[], digits: number): string {
  const fmt = (x: number) => x.toFixed(digits);
  return `${fmt(median(xs))} (runs: ${xs.map(fmt).join(", ")})`;
}

// ---------------------------------------------------------------------------
// 1. In-process server-only time per handshake

/**
 * Times only the endpoint's calls; the client's work is left out. `ms` is
 * wall time on the server's path; `cpuMs` is the process's CPU time (user +
 * system, every thread, so WebCrypto's worker threads count) during those
 * calls. Client and server never run at the same time here, so `cpuMs` is
 * the server's CPU.
 */
class TimedServer {
  readonly endpoint: DtlsServerEndpoint;
  ms = 0;
  cpuMs = 0;

  constructor(endpoint: DtlsServerEndpoint) {
    this.endpoint = endpoint;
  }

  async handleInput(
    now: number,
    bytes: Uint8Array,
    from: { hostname: string; port: number },
  ): Promise<void> {
    const c = process.cpuUsage();
    const t = performance.now();
    await this.endpoint.handleInput(now, bytes, from);
    this.ms += performance.now() - t;
    this.#cpu(c);
  }

  pollTransmit(): Uint8Array | undefined {
    const c = process.cpuUsage();
    const t = performance.now();
    const out = this.endpoint.pollTransmit();
    this.ms += performance.now() - t;
    this.#cpu(c);
    return out?.bytes;
  }

  #cpu(since: { user: number; system: number }): void {
    const d = process.cpuUsage(since);
    this.cpuMs += (d.user + d.system) / 1000;
  }
}

let nextPort = 1;

/** Clients handshaking side by side in the batched in-process figure. */
const BATCH = 50;

async function handshakeInMemory(
  server: TimedServer,
  client: ClientHandshakeConfig,
  now: number,
): Promise<DtlsAssociation> {
  const c = new DtlsAssociation({ role: "client", client });
  const peer = { hostname: "192.0.2.1", port: nextPort++ };
  c.start(now);
  for (let i = 0; i < 10 && !c.established; i++) {
    for (let d; (d = c.pollTransmit()) !== undefined;) {
      await server.handleInput(now, d, peer);
    }
    for (let t; (t = server.pollTransmit()) !== undefined;) {
      await c.handleInput(now, t);
    }
  }
  if (!c.established) throw new Error("Cannot finish a bench handshake");
  // a resumed client ends with its own final flight: deliver it
  for (let d; (d = c.pollTransmit()) !== undefined;) {
    await server.handleInput(now, d, peer);
  }
  return c;
}

interface ServerTime {
  /** Server CPU time per handshake, ms. */
  readonly cpuMs: number;
  /** Wall time on the server's path per handshake, ms. */
  readonly wallMs: number;
}

/** The client in a Web Worker (`_dtls_client_worker.ts`), one call at a time. */
class WorkerClient {
  readonly #worker = new Worker(
    new URL("./_dtls_client_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  #resolve: ((m: WorkerReply) => void) | undefined;

  constructor() {
    this.#worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const r = this.#resolve;
      this.#resolve = undefined;
      r?.(e.data);
    };
  }

  call(message: unknown): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#worker.postMessage(message);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

interface WorkerReply {
  readonly kind: "ready" | "output";
  readonly datagrams: Uint8Array[];
  readonly established: boolean;
}

interface WorkerBatchReply {
  readonly kind: "outputBatch";
  readonly datagrams: Uint8Array[][];
  readonly established: boolean[];
}

/**
 * `count` full handshakes side by side against `endpoint`, as a busy
 * server sees them: each server turn takes every client's flight (client
 * `i` at port `base + i`) and answers all of them before the clients run
 * again. Returns the server's CPU and wall time over all its turns.
 */
async function workerBatch(
  endpoint: DtlsServerEndpoint,
  client: WorkerClient,
  now: number,
  count: number,
): Promise<{ cpuMs: number; wallMs: number }> {
  const base = nextPort;
  nextPort += count;
  let cpuMs = 0;
  let wallMs = 0;
  let r = await client.call({
    kind: "startBatch",
    now,
    count,
  }) as unknown as WorkerBatchReply;
  for (let turn = 0; turn < 10 && !r.established.every((e) => e); turn++) {
    const back: Uint8Array[][] = Array.from({ length: count }, () => []);
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < count; i++) {
      const peer = { hostname: "192.0.2.1", port: base + i };
      for (const d of r.datagrams[i]!) await endpoint.handleInput(now, d, peer);
    }
    for (let o; (o = endpoint.pollTransmit()) !== undefined;) {
      back[o.to.port - base]!.push(o.bytes);
    }
    while (endpoint.pollEvent() !== undefined);
    wallMs += performance.now() - t;
    const d = process.cpuUsage(c);
    cpuMs += (d.user + d.system) / 1000;
    r = await client.call({
      kind: "inputBatch",
      now,
      datagrams: back,
    }) as unknown as WorkerBatchReply;
  }
  if (!r.established.every((e) => e)) {
    throw new Error("Cannot finish a batch of bench handshakes");
  }
  return { cpuMs, wallMs };
}

/**
 * One full handshake against `endpoint`; returns the server's CPU and wall
 * time, measured around each server turn (all datagrams of a client flight
 * in, everything the server answers out).
 */
async function workerHandshake(
  endpoint: DtlsServerEndpoint,
  client: WorkerClient,
  now: number,
): Promise<{ cpuMs: number; wallMs: number }> {
  const peer = { hostname: "192.0.2.1", port: nextPort++ };
  let cpuMs = 0;
  let wallMs = 0;
  let r = await client.call({ kind: "start", now });
  for (let i = 0; i < 10 && !r.established; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    for (const d of r.datagrams) await endpoint.handleInput(now, d, peer);
    const back: Uint8Array[] = [];
    for (let o; (o = endpoint.pollTransmit()) !== undefined;) {
      back.push(o.bytes);
    }
    while (endpoint.pollEvent() !== undefined);
    wallMs += performance.now() - t;
    const d = process.cpuUsage(c);
    cpuMs += (d.user + d.system) / 1000;
    r = await client.call({ kind: "input", now, datagrams: back });
  }
  if (!r.established) throw new Error("Cannot finish a bench handshake");
  return { cpuMs, wallMs };
}

async function inProcess(
  mode: "psk" | "ecdhe",
  n: number,
  rounds: number,
  batch: number,
): Promise<ServerTime[]> {
  const cred = await credentials(mode);
  const suite = mode === "psk" ? SUITE_PSK : SUITE_ECDHE;
  const client = new WorkerClient();
  await client.call({
    kind: "init",
    mode,
    suite,
    psk: PSK,
    ...(mode === "ecdhe"
      ? { caPem: Deno.readTextFileSync(`${cred.dir}/ca.pem`) }
      : {}),
  });
  const now = Date.now();
  const out: ServerTime[] = [];
  // round -1 is not counted: it warms the JIT (BigInt code needs hundreds
  // of runs to reach its optimized tier) and builds the P-256 base-point
  // table, as a server does once after start
  for (let r = -1; r < rounds; r++) {
    const endpoint = new DtlsServerEndpoint({
      handshake: cred.server,
      maxAssociations: n + 100,
      maxHandshakes: n + 100,
    });
    for (let i = 0; i < 30; i++) await workerHandshake(endpoint, client, now);
    let cpuMs = 0;
    let wallMs = 0;
    for (let i = 0; i < n; i += batch) {
      const t = batch === 1
        ? await workerHandshake(endpoint, client, now)
        : await workerBatch(endpoint, client, now, Math.min(batch, n - i));
      cpuMs += t.cpuMs;
      wallMs += t.wallMs;
    }
    if (r >= 0) out.push({ cpuMs: cpuMs / n, wallMs: wallMs / n });
  }
  client.terminate();
  await Deno.remove(cred.dir, { recursive: true });
  return out;
}

// ---------------------------------------------------------------------------
// 2. Application records through one association

async function records(
  size: number,
  n: number,
  rounds: number,
): Promise<{ open: number[]; seal: number[] }> {
  const cred = await credentials("psk");
  const now = Date.now();
  const endpoint = new DtlsServerEndpoint({ handshake: cred.server });
  const server = new TimedServer(endpoint);
  const client = await handshakeInMemory(server, cred.client, now);
  const peer = { hostname: "192.0.2.1", port: nextPort - 1 };
  while (endpoint.pollEvent() !== undefined);
  const payload = new Uint8Array(size).fill(0x61);
  const open: number[] = [];
  const seal: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const wire: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      client.send(payload);
      wire.push(client.pollTransmit()!);
    }
    let t = performance.now();
    for (const d of wire) {
      await endpoint.handleInput(now, d, peer);
      endpoint.pollEvent();
    }
    open.push(n / ((performance.now() - t) / 1000));
    t = performance.now();
    for (let i = 0; i < n; i++) {
      endpoint.send(peer, payload);
      endpoint.pollTransmit();
    }
    seal.push(n / ((performance.now() - t) / 1000));
  }
  await Deno.remove(cred.dir, { recursive: true });
  return { open, seal };
}

// ---------------------------------------------------------------------------
// 3. Idle associations in memory

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) return false;
  for (let i = 0; i < 3; i++) g();
  return true;
}

async function idleMemory(count: number): Promise<number | undefined> {
  if (!gc()) return undefined;
  const cred = await credentials("psk");
  const now = Date.now();
  const endpoint = new DtlsServerEndpoint({
    handshake: cred.server,
    maxAssociations: count + 10,
    maxHandshakes: count + 10,
  });
  const server = new TimedServer(endpoint);
  await handshakeInMemory(server, cred.client, now); // warm the caches
  while (endpoint.pollEvent() !== undefined);
  gc();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) {
    await handshakeInMemory(server, cred.client, now);
    while (endpoint.pollEvent() !== undefined);
  }
  gc();
  const after = Deno.memoryUsage().heapUsed;
  if (endpoint.size !== count + 1) {
    throw new Error(`Expected ${count + 1} associations, got ${endpoint.size}`);
  }
  await Deno.remove(cred.dir, { recursive: true });
  return (after - before) / count;
}

// ---------------------------------------------------------------------------
// 4. Over UDP: a server process, our client in this one

/** `--serve PORT MODE SUITE DIR`: the endpoint on a UDP socket, until killed. */
async function serve(
  port: number,
  mode: "psk" | "ecdhe",
  suite: string | undefined,
  dir: string | undefined,
) {
  const cred = await credentials(mode, suite, dir);
  const endpoint = new DtlsServerEndpoint({
    handshake: cred.server,
    maxAssociations: 100_000,
    maxHandshakes: 100_000,
  });
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port,
    transport: "udp",
  });
  console.log("ready");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = async () => {
    for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
      await socket.send(t.bytes, {
        transport: "udp",
        hostname: t.to.hostname,
        port: t.to.port,
      });
    }
    while (endpoint.pollEvent() !== undefined);
    if (timer !== undefined) clearTimeout(timer);
    const next = endpoint.nextTimeout();
    if (next !== undefined) {
      timer = setTimeout(() => {
        endpoint.handleTimeout(Date.now());
        flush();
      }, Math.max(0, next - Date.now()));
    }
  };
  for await (const [bytes, addr] of socket) {
    const a = addr as Deno.NetAddr;
    await endpoint.handleInput(Date.now(), bytes, {
      hostname: a.hostname,
      port: a.port,
    });
    await flush();
  }
}

async function udpHandshake(
  port: number,
  client: ClientHandshakeConfig,
): Promise<void> {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  try {
    const c = new DtlsAssociation({ role: "client", client });
    const flush = async () => {
      for (let d; (d = c.pollTransmit()) !== undefined;) {
        await socket.send(d, to);
      }
    };
    c.start(Date.now());
    await flush();
    const deadline = Date.now() + 10_000;
    const receive = () => {
      const p = socket.receive();
      p.catch(() => {}); // rejected when the socket closes
      return p;
    };
    let pending = receive();
    while (!c.established) {
      if (c.closed || Date.now() > deadline) {
        throw new Error(`Cannot finish a handshake with port ${port}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const got = await Promise.race([
        pending,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), 1000);
        }),
      ]);
      clearTimeout(timer);
      if (got === undefined) {
        c.handleTimeout(Date.now());
      } else {
        pending = receive();
        await c.handleInput(Date.now(), got[0]);
      }
      await flush();
    }
    c.close();
    await flush();
    socket.close();
  } catch (err) {
    try {
      socket.close();
    } catch {
      // already closed
    }
    throw err;
  }
}

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11], fields[12]: utime, stime (proc(5) fields 14 and 15)
  return Number(fields[11]) + Number(fields[12]);
}

const CLK_TCK = 100;

interface UdpFigure {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function udpRun(
  pid: number,
  port: number,
  client: ClientHandshakeConfig,
  n: number,
): Promise<UdpFigure> {
  for (let i = 0; i < 20; i++) await udpHandshake(port, client);
  const cpu0 = cpuTicks(pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await udpHandshake(port, client);
  const wall = performance.now() - t0;
  const cpu = (cpuTicks(pid) - cpu0) * 1000 / CLK_TCK;
  return { wallMs: wall / n, cpuMs: cpu / n };
}

async function waitForUdpPort(
  port: number,
  client: ClientHandshakeConfig,
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await udpHandshake(port, client);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Server on port ${port} never answered`);
}

function freePort(): number {
  const s = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

async function udpServer(
  which: "postern" | "libcoap",
  mode: "psk" | "ecdhe",
  suite: string,
  n: number,
  rounds: number,
): Promise<UdpFigure[] | string> {
  const cred = await credentials(mode, suite);
  let child: Deno.ChildProcess;
  let port: number;
  if (which === "postern") {
    port = freePort();
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--serve",
        String(port),
        mode,
        suite,
        cred.dir,
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } else {
    const base = freePort();
    port = base + 1;
    const args = ["-A", "127.0.0.1", "-p", String(base)];
    if (mode === "psk") args.push("-k", PSK_TEXT, "-h", "hint");
    else {
      args.push(
        "-c",
        `${cred.dir}/server.pem`,
        "-j",
        `${cred.dir}/server_key.pem`,
      );
    }
    try {
      child = new Deno.Command("coap-server-openssl", {
        args,
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (err) {
      await Deno.remove(cred.dir, { recursive: true });
      return `not run: ${(err as Error).message}`;
    }
  }
  try {
    await waitForUdpPort(port, cred.client);
    const out: UdpFigure[] = [];
    for (let r = 0; r < rounds; r++) {
      out.push(await udpRun(child.pid, port, cred.client, n));
    }
    return out;
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(cred.dir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------
// 5. openssl speed

async function opensslSpeed(): Promise<string> {
  try {
    const out = await new Deno.Command("openssl", {
      args: ["speed", "-seconds", "2", "ecdsap256", "ecdhp256"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const sign = text.match(
      /256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)/,
    );
    const ecdh = text.match(/256 bits ecdh \(nistp256\)\s+\S+s\s+([\d.]+)/);
    return `ECDSA P-256 sign ${sign?.[1] ?? "?"}/s, verify ${
      sign?.[2] ?? "?"
    }/s; ECDH P-256 derive ${ecdh?.[1] ?? "?"}/s`;
  } catch (err) {
    return `not run: ${(err as Error).message}`;
  }
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// 6. Resumed handshakes

/**
 * Server CPU and wall time per handshake, full and resumed, with one
 * session cache; each resumed handshake offers the session the warm-up
 * full handshake made.
 */
async function resumed(
  mode: "psk" | "ecdhe",
  n: number,
  rounds: number,
): Promise<{ full: ServerTime[]; resumed: ServerTime[] }> {
  const cred = await credentials(mode);
  const now = Date.now();
  const out = { full: [] as ServerTime[], resumed: [] as ServerTime[] };
  for (let r = 0; r < rounds; r++) {
    const server = new TimedServer(
      new DtlsServerEndpoint({
        handshake: { ...cred.server, sessionCache: new SessionCache() },
        maxAssociations: 2 * n + 100,
        maxHandshakes: 2 * n + 100,
      }),
    );
    const first = await handshakeInMemory(server, cred.client, now);
    const session = first.session?.resumable;
    if (session === undefined) throw new Error("No session to resume");
    const client = { ...cred.client, session };
    for (
      const [kind, config] of [["full", cred.client], [
        "resumed",
        client,
      ]] as const
    ) {
      for (let i = 0; i < 20; i++) await handshakeInMemory(server, config, now);
      server.ms = 0;
      server.cpuMs = 0;
      for (let i = 0; i < n; i++) {
        const c = await handshakeInMemory(server, config, now);
        if ((c.session?.resumed === true) !== (kind === "resumed")) {
          throw new Error(`Expected a ${kind} handshake`);
        }
      }
      out[kind].push({ cpuMs: server.cpuMs / n, wallMs: server.ms / n });
    }
  }
  await Deno.remove(cred.dir, { recursive: true });
  return out;
}

async function main(): Promise<void> {
  const args = Deno.args;
  const serveAt = args.indexOf("--serve");
  if (serveAt >= 0) {
    await serve(
      Number(args[serveAt + 1]),
      args[serveAt + 2] === "ecdhe" ? "ecdhe" : "psk",
      args[serveAt + 3],
      args[serveAt + 4],
    );
    return;
  }
  const quick = args.includes("--quick");
  const only = args.find((a) => a.startsWith("--only="))?.slice(7);
  const roundsArg = args.find((a) => a.startsWith("--rounds="))?.slice(9);
  const rounds = roundsArg === undefined ? 3 : Number(roundsArg);
  const want = (part: string) => only === undefined || only === part;
  const mode = args.find((a) => a.startsWith("--mode="))?.slice(7);
  const batchArg = args.find((a) => a.startsWith("--batch="))?.slice(8);
  const wantMode = (m: string) => mode === undefined || mode === m;
  const line = (s: string) => console.log(s);

  if (want("inproc")) {
    const report = (what: string, r: ServerTime[]) =>
      line(
        `in-process, ${what}: server CPU ${
          summary(r.map((x) => x.cpuMs), 3)
        } ms, server wall ${summary(r.map((x) => x.wallMs), 3)} ms`,
      );
    const batches = batchArg === undefined ? [BATCH, 1] : [Number(batchArg)];
    for (const batch of batches) {
      const how = batch === 1 ? "lock-step" : `${batch} side by side`;
      if (wantMode("psk")) {
        report(
          `PSK full handshake + cookie, ${how}`,
          await inProcess("psk", quick ? 300 : 2000, rounds, batch),
        );
      }
      if (wantMode("ecdhe")) {
        report(
          `ECDHE-ECDSA one-way + cookie, ${how}`,
          await inProcess("ecdhe", quick ? 100 : 300, rounds, batch),
        );
      }
    }
  }
  if (want("records")) {
    for (const size of [64, 1024]) {
      const r = await records(size, quick ? 2000 : 20_000, rounds);
      line(`records ${size} B, server open: ${summary(r.open, 0)} /s`);
      line(`records ${size} B, server seal: ${summary(r.seal, 0)} /s`);
    }
  }
  if (want("memory")) {
    const per = await idleMemory(quick ? 1000 : 10_000);
    line(
      per === undefined
        ? "idle association memory: not measured (run with --v8-flags=--expose-gc)"
        : `idle association: ${per.toFixed(0)} B of heap each (${
          quick ? "1 000" : "10 000"
        } associations)`,
    );
  }
  if (want("udp")) {
    const n = quick ? 50 : 300;
    for (const which of ["postern", "libcoap"] as const) {
      for (
        const [mode, suite] of [
          ["psk", "PSK-AES128-GCM-SHA256"],
          ["ecdhe", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        ] as const
      ) {
        const r = await udpServer(which, mode, suite, n, rounds);
        if (typeof r === "string") {
          line(`UDP ${which} ${suite}: ${r}`);
          continue;
        }
        line(
          `UDP ${which} ${suite}: wall ${
            summary(r.map((x) => x.wallMs), 3)
          } ms/handshake, server CPU ${
            summary(r.map((x) => x.cpuMs), 3)
          } ms/handshake`,
        );
      }
    }
  }
  if (want("speed")) line(`openssl speed: ${await opensslSpeed()}`);
  if (want("resumed")) {
    for (const mode of ["psk", "ecdhe"] as const) {
      const r = await resumed(mode, quick ? 200 : 1000, rounds);
      const cpu = (xs: ServerTime[]) => xs.map((x) => x.cpuMs);
      const name = mode === "psk" ? "PSK" : "ECDHE-ECDSA one-way";
      line(
        `resumed, ${name}: server CPU full ${summary(cpu(r.full), 3)} ms, ` +
          `resumed ${summary(cpu(r.resumed), 3)} ms; ` +
          `${
            (1000 / median(cpu(r.resumed))).toFixed(0)
          } resumed handshakes/s of server CPU`,
      );
    }
  }
}

await main();
