/**
 * MQTT over one-way TLS on `Deno.listenTls` (`LISTENER_SSL_*`, alias
 * `MQTT_SSL_*`, and the `wss` listener's credentials).
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
 *   point it at a `tcp` listener instead.
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
  const { driver, logger, credentials } = options;
  if (cfg.proxyProtocol) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} cannot read a PROXY protocol header: ${PROXY_REASON}`,
    );
  }
  warnUnsupportedTlsOptions(cfg, logger);
  const socket = Deno.listenTls({
    hostname: cfg.host,
    port: cfg.port,
    cert: credentials.chainPem,
    key: credentials.keyPem,
  });
  const timeoutMs = cfg.tls?.handshakeTimeoutMs ?? 15_000;
  return serveStreamListener(socket, cfg, {
    driver,
    transport: "tls",
    logger,
    prepare: (conn) => handshake(conn as Deno.TlsConn, { timeoutMs, logger }),
  });
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
