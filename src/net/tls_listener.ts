/**
 * MQTT over one-way TLS on `Deno.listenTls` (`LISTENER_SSL_*`, alias
 * `MQTT_SSL_*`; {@link bindTls} also binds the `wss` listener, under
 * postern's own WebSocket server).
 *
 * Credentials come from `loadTlsCredentials`: a PEM certificate or chain
 * (the key in the same file or its own), an encrypted key decrypted with
 * `_PEM_KEY_PASSWORD` by postern's PKI code, or a PKCS#12 key store
 * (`LISTENER_SSL_CREDENTIALS_TYPE=KEYSTORE`).
 *
 * What `Deno.listenTls` honours, and what it does not:
 * - versions: it always offers TLS 1.2 and 1.3 and has no minimum-version
 *   option. `LISTENER_SSL_PROTOCOL=TLSv1.2` (the default) is met exactly;
 *   asking for TLS 1.3 only cannot be enforced, so the listener starts and
 *   logs `tls.version_not_enforced` at warn level;
 * - `ciphers`: ignored (rustls' default suites), logged as a warning;
 * - `verify_peer`: this listener never asks for a client certificate
 *   (two-way TLS runs on `node:tls`), logged as a warning;
 * - accepted TLS connections cannot have Nagle turned off (`Deno.TlsConn`
 *   has no `setNoDelay`); writes are batched per connection instead;
 * - the handshake runs under `tls.handshakeTimeoutMs`: a client that never
 *   finishes it is dropped and frees its `max_connections` slot;
 * - `proxy_protocol`: not supported. The PROXY header comes before the TLS
 *   handshake on the raw TCP stream, and `Deno.listenTls` starts the
 *   handshake itself; Deno has no server-side `startTls` to upgrade a plain
 *   connection after reading the header. `config check` and `serve` report
 *   the combination as a configuration error; terminate TLS at the proxy and
 *   point it at a `tcp` listener instead (or use `verify_peer`, served by
 *   `node:tls`, or postern's own TLS engine, which both read it);
 * - hot reload ({@link RebindingTlsListener}): `Deno.listenTls` cannot
 *   change its certificate, so the listener is bound with `reusePort` and a
 *   reload binds a second socket on the same address with the new
 *   certificate, then closes the old socket after a grace second.
 *   Established connections are not touched (see the class for the
 *   details of the hand-over).
 *   `reusePort` works on Linux only: elsewhere the second bind fails, the
 *   reload is refused with `tls.reload_failed` and a restart is needed.
 *   With `reusePort`, a second process of the same user may bind the same
 *   port too;
 *
 * @module
 */

import {
  filesInUse,
  type ListenerConfig,
  listenerField,
  loadTlsCredentials,
  type PosternConfig,
  type ReadFile,
  type TlsCredentials,
  type TlsFileField,
} from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import type { CredentialReloader } from "./credential_reloader.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import { serveStreamListener } from "./stream_listener.ts";

const PROXY_REASON =
  "Deno.listenTls runs the TLS handshake before the header can be read";

/**
 * Reads and loads a secure listener's credentials.
 *
 * @param config The whole configuration.
 * @param cfg The listener; it must have `tls`.
 * @param readFile Reads a file (default `Deno.readFile`).
 * @returns The credentials.
 * @throws {Error} naming every problem when they cannot be loaded.
 *
 * @example
 * ```ts
 * import { readListenerCredentials } from "./tls_listener.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const ssl = config.listeners.find((l) => l.family === "ssl")!;
 * await assert.rejects(
 *   readListenerCredentials(config, { ...ssl, tls: { ...ssl.tls!, certFile: "/nonexistent.pem" } }),
 * );
 * ```
 */
export async function readListenerCredentials(
  config: PosternConfig,
  cfg: ListenerConfig,
  readFile: ReadFile = Deno.readFile,
): Promise<TlsCredentials> {
  const tls = cfg.tls;
  if (tls === undefined) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} has no TLS options`,
    );
  }
  const files = new Map<TlsFileField, Uint8Array>();
  for (const [field, path] of filesInUse(tls)) {
    files.set(field, await readFile(path));
  }
  const result = loadTlsCredentials({
    config,
    listener: cfg,
    tls,
    files,
    pathOf: (field) => listenerField(cfg, `tls.${field}`),
  });
  if (!result.ok) {
    throw new Error(
      `Cannot load TLS credentials: ${
        result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")
      }`,
    );
  }
  return result.credentials;
}

/**
 * Logs, once at start, the TLS options `Deno.listenTls` cannot honour.
 *
 * @param cfg The listener.
 * @param logger Its logger.
 *
 * @example
 * ```ts
 * import { warnUnsupportedTlsOptions } from "./tls_listener.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const ssl = defaultListener("ssl", "default");
 * warnUnsupportedTlsOptions({ ...ssl, tls: { ...ssl.tls!, versions: ["tlsv1.3"] } }, new Logger({ sink: (l) => lines.push(l) }));
 * assert.ok(lines[0]!.includes("tls.version_not_enforced"));
 * ```
 */
export function warnUnsupportedTlsOptions(
  cfg: ListenerConfig,
  logger: Logger,
): void {
  const tls = cfg.tls;
  if (tls === undefined) return;
  if (!tls.versions.includes("tlsv1.2")) {
    logger.warn("tls.version_not_enforced", {
      asked: tls.versions.join(","),
      offered: "tlsv1.2,tlsv1.3",
      reason: "Deno.listenTls has no minimum-version option",
    });
  }
  if (tls.ciphers.length > 0) {
    logger.warn("tls.ciphers_ignored", {
      ciphers: tls.ciphers.join(":"),
      reason: "Deno.listenTls uses its built-in cipher suites",
    });
  }
  if (tls.verify === "verify_peer") {
    logger.warn("tls.client_certificates_not_requested", {
      reason: "this listener runs on Deno.listenTls (one-way TLS only)",
    });
  }
}

/**
 * Options of {@link listenMqttTls}.
 *
 * @example
 * ```ts
 * import type { MqttTlsListenerOptions } from "./tls_listener.ts";
 *
 * type Creds = MqttTlsListenerOptions["credentials"];
 * ```
 */
export interface MqttTlsListenerOptions {
  /** The driver that serves the connections. */
  driver: MqttDriver;
  /** The listener's logger. */
  logger: Logger;
  /** Server chain and decrypted key. */
  credentials: Pick<TlsCredentials, "chainPem" | "keyPem">;
  /** Follows the credential files: each reload rebinds the socket. */
  reloader?: CredentialReloader<TlsCredentials>;
  /** How long a replaced socket is still accepted from, ms (default 1 s). */
  rebindGraceMs?: number;
}

/**
 * Binds an MQTT over TLS listener.
 *
 * @param cfg The `ssl` listener (host, port, `tls.handshakeTimeoutMs`).
 * @param options Driver, logger, credentials.
 * @returns The running listener.
 *
 * @example With the development certificates
 * ```ts
 * import { listenMqttTls, readListenerCredentials } from "./tls_listener.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { certsCommand } from "../../cli/certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await certsCommand(["init", "--dir", dir]);
 * const ssl = defaultListener("ssl", "default");
 * const cfg = {
 *   ...ssl,
 *   host: "127.0.0.1",
 *   port: 0,
 *   tls: { ...ssl.tls!, certFile: `${dir}/serverChain.pem`, keyFile: `${dir}/server_key.pem` },
 * };
 * const credentials = await readListenerCredentials(defaultConfig(), cfg);
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = listenMqttTls(cfg, { driver, logger: new Logger({ sink: () => {} }), credentials });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * driver.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function listenMqttTls(
  cfg: ListenerConfig,
  options: MqttTlsListenerOptions,
): Listener {
  const { driver, logger } = options;
  const tls = bindTls(cfg, options);
  const listener = serveStreamListener(tls.socket, cfg, {
    driver,
    transport: "tls",
    logger,
    prepare: tls.prepare,
  });
  return {
    ...listener,
    close() {
      tls.close();
      return listener.close();
    },
  };
}

/**
 * Binds `Deno.listenTls` for an `ssl` or `wss` listener: with a `reloader`
 * a {@link RebindingTlsListener} that each reload rebinds (a refused rebind
 * is logged as `tls.reload_failed` and the socket in force stays), and
 * `prepare`, which runs each connection's handshake under
 * `tls.handshakeTimeoutMs`. A PROXY header cannot be read here.
 *
 * @param cfg The listener (host, port, TLS options).
 * @param options Logger, credentials, and the reloader to follow.
 * @returns The socket, `prepare` for the stream listener, and `close` to
 *   stop following reloads (the stream listener closes the socket).
 *
 * @example
 * ```ts
 * import { bindTls, readListenerCredentials } from "./tls_listener.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { certsCommand } from "../../cli/certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await certsCommand(["init", "--dir", dir]);
 * const wss = defaultListener("wss", "default");
 * const cfg = {
 *   ...wss, host: "127.0.0.1", port: 0,
 *   tls: { ...wss.tls!, certFile: `${dir}/serverChain.pem`, keyFile: `${dir}/server_key.pem` },
 * };
 * const credentials = await readListenerCredentials(defaultConfig(), cfg);
 * const tls = bindTls(cfg, { logger: new Logger({ sink: () => {} }), credentials });
 * assert.ok((tls.socket.addr as Deno.NetAddr).port > 0);
 * tls.close();
 * tls.socket.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function bindTls(
  cfg: ListenerConfig,
  options: Omit<MqttTlsListenerOptions, "driver">,
): {
  socket: Deno.TlsListener;
  prepare: (conn: Deno.Conn) => Promise<Deno.TlsConn | undefined>;
  close: () => void;
} {
  const { logger, credentials } = options;
  if (cfg.proxyProtocol) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} cannot read a PROXY protocol header: ${PROXY_REASON}`,
    );
  }
  warnUnsupportedTlsOptions(cfg, logger);
  const reloader = options.reloader;
  const socket = reloader === undefined
    ? Deno.listenTls({
      hostname: cfg.host,
      port: cfg.port,
      cert: credentials.chainPem,
      key: credentials.keyPem,
    })
    : new RebindingTlsListener({
      hostname: cfg.host,
      port: cfg.port,
      cert: credentials.chainPem,
      key: credentials.keyPem,
      ...(options.rebindGraceMs === undefined
        ? {}
        : { graceMs: options.rebindGraceMs }),
    });
  const unsubscribe = reloader?.onReload((creds) => {
    try {
      (socket as RebindingTlsListener).rebind({
        cert: creds.chainPem,
        key: creds.keyPem,
      });
    } catch (err) {
      logger.warn("tls.reload_failed", {
        listener: `${cfg.family}/${cfg.name}`,
        error: err instanceof Error ? err.message : String(err),
        kept: "the socket and certificate in force",
      });
    }
  });
  const timeoutMs = cfg.tls?.handshakeTimeoutMs ?? 15_000;
  return {
    socket,
    prepare: (conn) => handshake(conn as Deno.TlsConn, { timeoutMs, logger }),
    close: () => unsubscribe?.(),
  };
}

/**
 * A `Deno.listenTls` socket whose certificate can be replaced: bound with
 * `reusePort`, {@link RebindingTlsListener.rebind} binds a new socket on
 * the same address with the new certificate; the old socket keeps being
 * accepted from for `graceMs` (the kernel spreads new connections over both
 * meanwhile, and those it gave the old one get the old certificate), then
 * is closed. Every socket is accepted from continuously into one queue, so
 * the old socket's accept queue is empty when it closes; a client that
 * lands in it at that instant is reset (Linux 5.14+ migrates it instead
 * with `net.ipv4.tcp_migrate_req = 1`). Linux only: elsewhere `rebind`
 * throws `AddrInUse` and the old socket stays.
 *
 * @example
 * ```ts
 * import { RebindingTlsListener } from "./tls_listener.ts";
 * import { certsCommand } from "../../cli/certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await certsCommand(["init", "--dir", dir]);
 * const cert = await Deno.readTextFile(`${dir}/serverChain.pem`);
 * const key = await Deno.readTextFile(`${dir}/server_key.pem`);
 * const listener = new RebindingTlsListener({ hostname: "127.0.0.1", port: 0, cert, key, graceMs: 10 });
 * const port = listener.addr.port;
 * if (Deno.build.os === "linux") {
 *   listener.rebind({ cert, key });
 *   assert.equal(listener.addr.port, port);
 * }
 * listener.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class RebindingTlsListener implements Deno.TlsListener {
  #current: Deno.TlsListener;
  readonly #sockets = new Set<Deno.TlsListener>();
  readonly #queue: Deno.TlsConn[] = [];
  #wake: (() => void) | undefined;
  readonly #hostname: string;
  readonly #port: number;
  readonly #graceMs: number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  /**
   * @param options Address, certificate chain and key (PEM), and `graceMs`
   *   (how long a replaced socket is still accepted from; default 1 s).
   */
  constructor(
    options: {
      hostname: string;
      port: number;
      cert: string;
      key: string;
      graceMs?: number;
    },
  ) {
    const { hostname, cert, key } = options;
    // Linux may give a port-0 bind with SO_REUSEPORT a port another
    // SO_REUSEPORT socket of the same user holds: take a free port without it.
    // Another process may take the probed port before the bind: probe again.
    for (let attempt = 1;; attempt++) {
      let port = options.port;
      if (port === 0) {
        const probe = Deno.listen({ hostname, port: 0 });
        port = probe.addr.port;
        probe.close();
      }
      try {
        this.#current = Deno.listenTls({
          hostname,
          port,
          cert,
          key,
          reusePort: true,
        });
        break;
      } catch (err) {
        if (
          options.port !== 0 || attempt >= 5 ||
          !(err instanceof Deno.errors.AddrInUse)
        ) throw err;
      }
    }
    this.#hostname = hostname;
    this.#port = this.#current.addr.port;
    this.#graceMs = options.graceMs ?? 1_000;
    this.#pump(this.#current);
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#current.addr;
  }

  /**
   * Serves new connections with a new certificate; throws (and keeps the
   * old socket) when it cannot bind or the certificate is refused.
   *
   * @param credentials Chain and key, PEM.
   */
  rebind(credentials: { cert: string; key: string }): void {
    if (this.#closed) return;
    const next = Deno.listenTls({
      hostname: this.#hostname,
      port: this.#port,
      ...credentials,
      reusePort: true,
    });
    const old = this.#current;
    this.#current = next;
    this.#pump(next);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#closeSocket(old);
    }, this.#graceMs);
    this.#timers.add(timer);
  }

  #pump(socket: Deno.TlsListener): void {
    this.#sockets.add(socket);
    (async () => {
      for (;;) {
        let conn: Deno.TlsConn;
        try {
          conn = await socket.accept();
        } catch {
          this.#sockets.delete(socket);
          if (this.#sockets.size === 0) this.#notify();
          return;
        }
        if (this.#closed) {
          conn.close();
          continue;
        }
        this.#queue.push(conn);
        this.#notify();
      }
    })();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #closeSocket(socket: Deno.TlsListener): void {
    try {
      socket.close();
    } catch {
      // Already closed.
    }
  }

  /** The next connection, from any of the sockets. */
  async accept(): Promise<Deno.TlsConn> {
    for (;;) {
      const conn = this.#queue.shift();
      if (conn !== undefined) return conn;
      if (this.#closed || this.#sockets.size === 0) {
        throw new Deno.errors.BadResource("The listener is closed");
      }
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** Closes every socket; a pending `accept` rejects. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of [...this.#sockets]) this.#closeSocket(s);
    for (const c of this.#queue.splice(0)) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.TlsConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch {
        return;
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Keeps the event loop alive while accepting (the default). */
  ref(): void {
    for (const s of this.#sockets) s.ref();
  }

  /** Lets the event loop finish while accepting. */
  unref(): void {
    for (const s of this.#sockets) s.unref();
  }
}

/**
 * Runs a server handshake under a timeout; returns the connection, or
 * `undefined` (and closed) when it failed or timed out.
 */
async function handshake(
  conn: Deno.TlsConn,
  options: { timeoutMs: number; logger: Logger },
): Promise<Deno.TlsConn | undefined> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, options.timeoutMs);
  try {
    await conn.handshake();
    return conn;
  } catch (err) {
    const remote = conn.remoteAddr as Deno.NetAddr;
    options.logger.debug(
      timedOut ? "tls.handshake_timeout" : "tls.handshake_failed",
      {
        remote: `${remote.hostname}:${remote.port}`,
        ...(timedOut ? { timeoutMs: options.timeoutMs } : { error: err }),
      },
    );
    if (!timedOut) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
