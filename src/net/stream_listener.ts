/**
 * The accept loop shared by the MQTT stream listeners (TCP and TLS): admit
 * or refuse each connection (`max_connections`, `access_rules`), prepare it
 * (Nagle off, TLS handshake under a timeout), hand it to the
 * {@link MqttDriver}, and on close stop accepting and end every connection
 * it still serves.
 *
 * With `proxy_protocol` on, each connection must start with a PROXY v1 or v2
 * header ({@link readProxyHeader}) within `proxy_protocol_timeout`: a header
 * that never arrives closes the connection at the timeout, a malformed one
 * closes it at once (both logged at warn level with the proxy's address).
 * `max_connections` counts the connection from accept; the access rules,
 * the logs and the broker (`remoteAddress`, `$SYS`) see the client address
 * from the header. A `LOCAL` or `UNKNOWN` header keeps the proxy's address.
 * Bytes after the header are the start of the MQTT stream.
 *
 * @module
 */

import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import { Admission } from "./admission.ts";
import type { ByteStream } from "./byte_stream.ts";
import type { MqttDriver, MqttTransport } from "./mqtt_driver.ts";
import type { PeerIdentity } from "../mqtt/broker/mod.ts";
import {
  type ProxyDecoded,
  type ProxyEndpoint,
  ProxyHeaderDecoder,
  ProxyProtocolError,
} from "./proxy_protocol.ts";

/**
 * Options of {@link serveStreamListener}.
 *
 * @example
 * ```ts
 * import type { StreamListenerOptions } from "./stream_listener.ts";
 *
 * const prepare: StreamListenerOptions["prepare"] = (conn) => Promise.resolve(conn);
 * ```
 */
export interface StreamListenerOptions {
  /** The driver that serves the connections. */
  driver: MqttDriver;
  /** The transport the broker is told. */
  transport: MqttTransport;
  /** The listener's logger. */
  logger: Logger;
  /**
   * Readies an admitted connection (handshake); `undefined` or a rejection
   * drops it. Default: as is. Not allowed with `proxyProtocol` (the header
   * comes before any handshake).
   */
  prepare?: (conn: Deno.Conn) => Promise<ByteStream | undefined>;
  /**
   * Secures a connection after its PROXY header, if any: postern's own TLS
   * engine reads the raw TCP bytes, so unlike `prepare` it works behind a
   * proxy. `remoteAddress` is the client (from the header when there is
   * one). `undefined` drops the connection; the identity it returns is
   * handed to the broker.
   */
  secure?: (
    stream: ByteStream,
    remoteAddress: string,
  ) => Promise<SecuredStream | undefined>;
  /**
   * An application handshake on the stream after the PROXY header and
   * `prepare`/`secure` (the WebSocket upgrade); `undefined` or a rejection
   * drops the connection. `remoteAddress` is the client (from the header
   * when there is one).
   */
  handshake?: (
    stream: ByteStream,
    remoteAddress: string,
  ) => Promise<ByteStream | undefined>;
}

/**
 * A connection after {@link StreamListenerOptions.secure}.
 *
 * @example
 * ```ts
 * import type { SecuredStream } from "./stream_listener.ts";
 *
 * function subject(s: SecuredStream): string | undefined {
 *   return s.identity?.username;
 * }
 * ```
 */
export interface SecuredStream {
  /** The application stream. */
  readonly stream: ByteStream;
  /** What the transport proved about the client. */
  readonly identity?: PeerIdentity;
}

/**
 * Accepts from `socket` until the returned listener is closed.
 *
 * @param socket A bound Deno listener (TCP or TLS).
 * @param cfg The listener's configuration.
 * @param options Driver, transport, logger, connection preparation.
 * @returns The running listener.
 *
 * @example Plain TCP on a free port
 * ```ts
 * import { serveStreamListener } from "./stream_listener.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const socket = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const listener = serveStreamListener(socket, defaultListener("tcp", "default"), {
 *   driver,
 *   transport: "tcp",
 *   logger: new Logger({ sink: () => {} }),
 * });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * driver.close();
 * ```
 */
export function serveStreamListener(
  socket: Deno.Listener,
  cfg: ListenerConfig,
  options: StreamListenerOptions,
): Listener {
  const { driver, transport, logger } = options;
  if (cfg.proxyProtocol && options.prepare !== undefined) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} cannot read a PROXY header before its handshake`,
    );
  }
  const prepare = options.prepare ?? ((conn) => Promise.resolve(conn));
  const admission = new Admission(cfg, logger);
  const live = new Set<{ conn: Deno.Conn; done: Promise<void> }>();
  const addr = socket.addr as Deno.NetAddr;
  let closed = false;

  async function handle(conn: Deno.Conn): Promise<void> {
    const remote = conn.remoteAddr as Deno.NetAddr;
    let remoteAddress = `${remote.hostname}:${remote.port}`;
    try {
      let stream: ByteStream | undefined;
      if (cfg.proxyProtocol) {
        const proxied = await readProxyHeader(conn, {
          timeoutMs: cfg.proxyProtocolTimeoutMs,
          logger,
        });
        if (proxied === undefined || closed) {
          closeQuietly(conn);
          return;
        }
        const source = proxied.source;
        if (source !== undefined) {
          if (!admission.permits(source.hostname)) {
            closeQuietly(conn);
            return;
          }
          logger.debug("proxy_protocol.client", {
            remote: `${source.hostname}:${source.port}`,
            proxy: remoteAddress,
          });
          remoteAddress = `${source.hostname}:${source.port}`;
        }
        stream = proxied.stream;
      } else {
        stream = await prepare(conn);
      }
      let identity: PeerIdentity | undefined;
      if (stream !== undefined && options.secure !== undefined && !closed) {
        const secured = await options.secure(stream, remoteAddress);
        stream = secured?.stream;
        identity = secured?.identity;
      }
      if (stream !== undefined && options.handshake !== undefined && !closed) {
        stream = await options.handshake(stream, remoteAddress);
      }
      if (stream === undefined || closed) {
        closeQuietly(conn);
        return;
      }
      await driver.serve(stream, {
        remoteAddress,
        transport,
        ...(identity === undefined ? {} : { identity }),
      });
    } catch (err) {
      logger.debug("connection.failed", { remote: remoteAddress, error: err });
      closeQuietly(conn);
    } finally {
      admission.release();
    }
  }

  const loop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await socket.accept();
      } catch (err) {
        if (closed) return;
        if (err instanceof Deno.errors.BadResource) return;
        logger.warn("listener.accept_failed", { error: err });
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      const remote = conn.remoteAddr as Deno.NetAddr;
      const admitted = cfg.proxyProtocol
        ? admission.reserve(remote.hostname)
        : admission.admit(remote.hostname);
      if (closed || !admitted) {
        closeQuietly(conn);
        continue;
      }
      const entry = { conn, done: Promise.resolve() };
      entry.done = handle(conn).finally(() => live.delete(entry));
      live.add(entry);
    }
  })();

  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: addr.hostname, port: addr.port },
    async close() {
      if (closed) return;
      closed = true;
      closeQuietly(socket);
      await loop;
      const pending = [...live];
      for (const { conn } of pending) closeQuietly(conn);
      await Promise.all(pending.map((e) => e.done));
    },
  };
}

/**
 * A connection after its PROXY header: the stream to serve (the bytes that
 * followed the header first) and the client the header named.
 *
 * @example
 * ```ts
 * import type { ProxiedStream } from "./stream_listener.ts";
 *
 * function client(p: ProxiedStream): string | undefined {
 *   return p.source?.hostname;
 * }
 * ```
 */
export interface ProxiedStream {
  /** The application stream. */
  readonly stream: ByteStream;
  /** The real client; absent for LOCAL and UNKNOWN headers. */
  readonly source?: ProxyEndpoint;
}

/**
 * Reads a PROXY v1/v2 header from the start of `stream` under a timeout.
 * On a timeout, a malformed header or an early end, the stream is closed,
 * the reason logged (the proxy's address as `remote`), and the result is
 * `undefined`.
 *
 * @param stream The raw connection (`remoteAddr` is used for the log).
 * @param options `timeoutMs` (`proxy_protocol_timeout`) and the logger.
 * @returns The stream to serve and the client address.
 *
 * @example
 * ```ts
 * import { readProxyHeader } from "./stream_listener.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks = [new TextEncoder().encode("PROXY TCP4 192.0.2.7 192.0.2.1 5000 1883\r\n\x10")];
 * const proxied = await readProxyHeader({
 *   read: (buf) => {
 *     const c = chunks.shift();
 *     if (c === undefined) return Promise.resolve(null);
 *     buf.set(c);
 *     return Promise.resolve(c.length);
 *   },
 *   write: (d) => Promise.resolve(d.length),
 *   close: () => {},
 * }, { timeoutMs: 1000, logger: new Logger({ sink: () => {} }) });
 * assert.deepEqual(proxied?.source, { hostname: "192.0.2.7", port: 5000 });
 * const buf = new Uint8Array(4);
 * assert.equal(await proxied!.stream.read(buf), 1);
 * assert.equal(buf[0], 0x10);
 * ```
 */
export async function readProxyHeader(
  stream: ByteStream & { readonly remoteAddr?: Deno.Addr },
  options: { timeoutMs: number; logger: Logger },
): Promise<ProxiedStream | undefined> {
  const { timeoutMs, logger } = options;
  const peer = stream.remoteAddr as Deno.NetAddr | undefined;
  const remote = peer === undefined
    ? "unknown"
    : `${peer.hostname}:${peer.port}`;
  const decoder = new ProxyHeaderDecoder();
  const buffer = new Uint8Array(512);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(stream);
  }, timeoutMs);
  let done: ProxyDecoded | undefined;
  try {
    while (done === undefined) {
      const n = await stream.read(buffer);
      if (n === null || timedOut) break;
      done = decoder.feed(buffer.subarray(0, n));
    }
  } catch (err) {
    clearTimeout(timer);
    closeQuietly(stream);
    if (err instanceof ProxyProtocolError) {
      logger.warn("proxy_protocol.malformed", { remote, error: err.message });
    } else if (timedOut) {
      logger.warn("proxy_protocol.timeout", { remote, timeoutMs });
    } else {
      logger.debug("proxy_protocol.read_failed", { remote, error: err });
    }
    return undefined;
  }
  clearTimeout(timer);
  if (done === undefined) {
    closeQuietly(stream);
    if (timedOut) {
      logger.warn("proxy_protocol.timeout", { remote, timeoutMs });
    } else {
      logger.debug("proxy_protocol.closed_before_header", {
        remote,
        received: decoder.buffered,
      });
    }
    return undefined;
  }
  const { header, rest } = done;
  const served = rest.length === 0 ? stream : new PrefixedStream(rest, stream);
  return header.source === undefined
    ? { stream: served }
    : { stream: served, source: header.source };
}

/** A stream that first yields bytes read ahead of it. */
class PrefixedStream implements ByteStream {
  #prefix: Uint8Array;
  readonly #inner: ByteStream;

  constructor(prefix: Uint8Array, inner: ByteStream) {
    this.#prefix = prefix.slice();
    this.#inner = inner;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#prefix.length === 0) return this.#inner.read(buffer);
    const n = Math.min(buffer.length, this.#prefix.length);
    buffer.set(this.#prefix.subarray(0, n));
    this.#prefix = this.#prefix.subarray(n);
    return Promise.resolve(n);
  }

  write(data: Uint8Array): Promise<number> {
    return this.#inner.write(data);
  }

  close(): void {
    this.#inner.close();
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}
