/**
 * Helpers for tests of the MQTT listeners: an in-process server on loopback
 * port 0 with a temporary data directory, development certificates, and
 * peer lookup (a missing peer skips locally and fails with `CI=true`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { certsCommand } from "../../cli/certs.ts";
import { type CredentialStore, KvStore } from "../../src/auth/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { type Server, startServer } from "../../src/server.ts";
import type { ListenerFamily } from "../../src/config/mod.ts";

export const IN_CI = Deno.env.get("CI") === "true";

/** Path of an installed program, or undefined (a failure in CI). */
export function findPeer(name: string): string | undefined {
  for (
    const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]
  ) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  if (IN_CI) assert.fail(`${name} is required in CI but is not installed`);
  console.warn(`skipping: ${name} is not installed`);
  return undefined;
}

let certsDir: Promise<string> | undefined;

/** Development certificates (made once per test process). */
export function devCerts(): Promise<string> {
  certsDir ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "postern-net-certs-" });
    const code = await certsCommand(["init", "--dir", dir]);
    assert.equal(code, 0);
    return dir;
  })();
  return certsDir;
}

export interface TestServer {
  server: Server;
  dataDir: string;
  certs: string;
  /** The bound port of listener `family`/`name` (default `default`). */
  port(family: ListenerFamily, name?: string): number;
  close(): Promise<void>;
  lines: string[];
}

/**
 * Starts postern in-process with the given listener families on
 * 127.0.0.1:0 (`tcp` and `coap` are off unless named); `ssl`/`wss` get
 * `serverChain.pem`, `dtls` gets `server.pem` of {@link devCerts}.
 */
export async function startTestServer(
  families: ListenerFamily[],
  options: {
    dataDir?: string;
    listener?: Record<string, unknown>;
    tls?: Record<string, unknown>;
    /** More `dtls_options` (such as `cacertfile`). */
    dtls?: Record<string, unknown>;
    /** More top-level configuration (such as `mqtt`). */
    config?: Record<string, unknown>;
    /** PSK identities (identity -> hex key), imported from an init file. */
    psk?: Record<string, string>;
    /** Fills the credential store before the server starts. */
    seed?: (store: CredentialStore) => Promise<void>;
    /** More listeners as written in the configuration file, by family and name. */
    named?: Partial<
      Record<ListenerFamily, Record<string, Record<string, unknown>>>
    >;
  } = {},
): Promise<TestServer> {
  const certs = await devCerts();
  const dataDir = options.dataDir ??
    await Deno.makeTempDir({ prefix: "postern-net-data-" });
  if (options.seed) {
    const store = await KvStore.openDataDir(dataDir);
    try {
      await options.seed(store);
    } finally {
      await store.close();
    }
  }
  const extra: Record<string, unknown> = { ...options.config };
  if (options.psk) {
    const initFile = `${dataDir}/psk.txt`;
    await Deno.writeTextFile(
      initFile,
      Object.entries(options.psk).map(([id, hex]) => `${id}:${hex}\n`)
        .join(""),
    );
    extra.psk_authentication = { enable: true, init_file: initFile };
  }
  const listeners: Record<string, unknown> = {
    tcp: { default: { enable: false } },
    coap: { default: { enable: false } },
  };
  for (const f of families) {
    const entry: Record<string, unknown> = {
      bind: "127.0.0.1:0",
      ...options.listener,
    };
    if (f === "ssl" || f === "wss") {
      entry.ssl_options = {
        certfile: `${certs}/serverChain.pem`,
        keyfile: `${certs}/server_key.pem`,
        ...options.tls,
      };
    }
    if (f === "dtls") {
      entry.dtls_options = {
        certfile: `${certs}/server.pem`,
        keyfile: `${certs}/server_key.pem`,
        ...options.dtls,
      };
    }
    listeners[f] = { default: entry };
  }
  for (const [family, entries] of Object.entries(options.named ?? {})) {
    listeners[family] = {
      ...listeners[family] as Record<string, unknown> | undefined,
      ...entries,
    };
  }
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({ ...extra, listeners, data_dir: dataDir }),
  });
  assert.deepEqual(errors, []);
  const lines: string[] = [];
  const server = await startServer(config, {
    logger: new Logger({
      format: "json",
      level: "debug",
      sink: (l) => {
        if (lines.length < 20_000) lines.push(l);
      },
    }),
  });
  return {
    server,
    dataDir,
    certs,
    lines,
    port(family, name = "default") {
      const l = server.listeners.find((x) =>
        x.family === family && x.name === name
      );
      assert.ok(l, `no ${family}/${name} listener`);
      return l.address.port;
    },
    close: () => server.close(),
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until true or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** Runs a program to completion with a time bound. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return spawn(cmd, args, timeoutMs).result;
}

/**
 * Runs a program to completion with a time bound; its standard output
 * followed by its standard error (libcoap's clients print response codes
 * and errors on stderr).
 */
export async function output(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  return r.stdout + r.stderr;
}

/** Spawns a long-running program; `result` resolves when it exits. */
export function spawn(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): {
  result: Promise<{ code: number; stdout: string; stderr: string }>;
  kill(): void;
} {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  };
  const timer = setTimeout(kill, timeoutMs);
  const result = child.output().then((out) => {
    clearTimeout(timer);
    const td = new TextDecoder();
    return {
      code: out.code,
      stdout: td.decode(out.stdout),
      stderr: td.decode(out.stderr),
    };
  });
  return { result, kill };
}
