/**
 * `openssl s_client` and `openssl s_server` as interop peers of postern's
 * TLS 1.2 and DTLS 1.2 code on 127.0.0.1. Every wait is bounded: a peer
 * that does not print what a test waits for is killed after the limit.
 * Availability (and the `CI=true` rule) is in `openssl.ts`.
 *
 * @module
 */

/** The protocol flag both tools take. */
export type OpensslProtocol = "-dtls1_2" | "-tls1_2";

/**
 * A port that was free on 127.0.0.1 a moment ago, for a peer that must be
 * told its port (`s_server -accept`).
 *
 * @example
 * ```ts
 * import { freePort } from "./openssl_peers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(freePort("udp") > 0);
 * ```
 */
export function freePort(transport: "tcp" | "udp"): number {
  const socket = transport === "tcp"
    ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
    : Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/**
 * Ends a child process (SIGTERM unless told otherwise) and waits for it.
 *
 * @example
 * ```ts
 * import { stopProcess } from "./openssl_peers.ts";
 *
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * await stopProcess(child);
 * ```
 */
export async function stopProcess(
  child: Deno.ChildProcess,
  signal: Deno.Signal = "SIGTERM",
): Promise<void> {
  try {
    child.kill(signal);
  } catch {
    // already exited
  }
  await child.status;
}

/**
 * One `s_client` run that sends `line`, lets the session run `settleMs`,
 * closes its input and returns its stdout followed by its stderr (the
 * handshake summary and errors).
 *
 * @param protocol `-dtls1_2` or `-tls1_2`.
 * @param args Everything else (`-connect`, `-psk`, `-cipher`, …).
 * @param options What to send, how long to wait, and the kill limit.
 * @returns stdout + stderr.
 *
 * @example
 * ```ts ignore
 * import { sClientSession } from "./openssl_peers.ts";
 *
 * const out = await sClientSession("-dtls1_2", ["-connect", "127.0.0.1:5684"]);
 * ```
 */
export async function sClientSession(
  protocol: OpensslProtocol,
  args: string[],
  options: { line?: string; settleMs?: number; limitMs?: number } = {},
): Promise<string> {
  const { text } = await sClientExchange(protocol, args, {
    writes: [{ afterMs: 0, data: options.line ?? "hello\n" }],
    ...options,
  });
  return text;
}

/**
 * One `s_client` run that writes each of `writes` after its delay, lets
 * the session run `settleMs` more, closes its input and returns its raw
 * stdout (binary application data) and stdout followed by stderr as text.
 * The process is killed after `limitMs` (default 10 s).
 *
 * @example
 * ```ts ignore
 * import { sClientExchange } from "./openssl_peers.ts";
 *
 * const { stdout } = await sClientExchange("-tls1_2", ["-ign_eof", "-connect", "127.0.0.1:8883"], {
 *   writes: [{ afterMs: 300, data: new Uint8Array([0xc0, 0]) }],
 * });
 * ```
 */
export async function sClientExchange(
  protocol: OpensslProtocol,
  args: string[],
  options: {
    writes?: { afterMs: number; data: string | Uint8Array }[];
    settleMs?: number;
    limitMs?: number;
  } = {},
): Promise<{ stdout: Uint8Array; text: string }> {
  const child = new Deno.Command("openssl", {
    args: ["s_client", protocol, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(
    () => stopProcess(child, "SIGKILL"),
    options.limitMs ?? 10_000,
  );
  const writer = child.stdin.getWriter();
  for (const { afterMs, data } of options.writes ?? []) {
    if (afterMs > 0) await new Promise((r) => setTimeout(r, afterMs));
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    await writer.write(bytes)
      .catch(() => {}); // it may have ended already; its output tells why
  }
  await new Promise((r) => setTimeout(r, options.settleMs ?? 500));
  await writer.close().catch(() => {});
  const out = await child.output();
  clearTimeout(kill);
  const decoder = new TextDecoder();
  return {
    stdout: out.stdout,
    text: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

/** A running `s_client` or `s_server` that a test talks to. */
export interface OpensslPeer {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** What it printed on stdout so far. */
  readonly stdout: string;
  /** Writes `text` to its stdin. */
  write(text: string): Promise<void>;
  /**
   * Reads stdout until `until` (a substring, or a test of all stdout)
   * holds; kills the peer after `limitMs`.
   *
   * @returns Whether it held before stdout ended.
   */
  readUntil(
    until: string | ((stdout: string) => boolean),
    limitMs?: number,
  ): Promise<boolean>;
  /** Kills the peer, waits for it and returns its stderr. */
  stop(): Promise<string>;
}

/**
 * Spawns `openssl s_client PROTOCOL ARGS` for a conversation over its stdin
 * and stdout (add `-quiet` to see only application data).
 *
 * @example
 * ```ts ignore
 * import { spawnSClient } from "./openssl_peers.ts";
 *
 * const client = spawnSClient("-dtls1_2", ["-quiet", "-connect", "127.0.0.1:5684"]);
 * await client.write("ping\n");
 * await client.readUntil("pong");
 * await client.stop();
 * ```
 */
export function spawnSClient(
  protocol: OpensslProtocol,
  args: string[],
): OpensslPeer {
  return peerOf(["s_client", protocol, ...args]);
}

/**
 * Starts `openssl s_server PROTOCOL -accept PORT ARGS` on a free port and
 * resolves once it prints `ACCEPT`.
 *
 * @example
 * ```ts ignore
 * import { startSServer } from "./openssl_peers.ts";
 *
 * const server = await startSServer("-dtls1_2", ["-psk", "0102", "-nocert"]);
 * console.log(server.port);
 * await server.stop();
 * ```
 */
export async function startSServer(
  protocol: OpensslProtocol,
  args: string[],
): Promise<OpensslPeer & { readonly port: number }> {
  const port = freePort(protocol === "-dtls1_2" ? "udp" : "tcp");
  const peer = peerOf(["s_server", protocol, "-accept", String(port), ...args]);
  if (!await peer.readUntil("ACCEPT")) {
    throw new Error(`openssl s_server did not start: ${await peer.stop()}`);
  }
  return Object.assign(peer, { port });
}

function peerOf(args: string[]): OpensslPeer {
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  const decoder = new TextDecoder();
  let out = "";
  return {
    child,
    get stdout() {
      return out;
    },
    async write(text) {
      await writer.write(new TextEncoder().encode(text));
    },
    async readUntil(until, limitMs = 10_000) {
      const holds = typeof until === "string"
        ? () => out.includes(until)
        : () => until(out);
      const kill = setTimeout(() => stopProcess(child, "SIGKILL"), limitMs);
      try {
        while (!holds()) {
          const { value, done } = await reader.read();
          if (done) return false;
          out += decoder.decode(value, { stream: true });
        }
        return true;
      } finally {
        clearTimeout(kill);
      }
    },
    async stop() {
      await stopProcess(child, "SIGKILL");
      reader.releaseLock();
      writer.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.stdin.close().catch(() => {});
      return await new Response(child.stderr).text();
    },
  };
}
