/**
 * MQTT over WebSocket (`LISTENER_WS_*`, 8084) on postern's own WebSocket
 * server over TCP ({@link serveMqttWebSocket}: `websocket_server.ts` through
 * the stream listener, so `proxy_protocol` works), and over secure WebSocket
 * (`LISTENER_WSS_*`, 8085) on the same server over `Deno.listenTls`
 * (`tls_listener.ts` `bindTls`: a certificate reload rebinds the socket, live
 * connections go on), or, with `ssl_options.tls_engine = postern`, over
 * postern's TLS engine (PROXY protocol too). {@link listenMqttWebSocket}
 * serves the same on `Deno.serve` (kept for comparison in `bench/`: its
 * server cannot change its certificate, and shutting it down closes its
 * WebSockets). They behave alike:
 *
 * - One HTTP path (`path`, default `/mqtt`) upgrades; any other path gets
 *   404, and a request to the path that is not a WebSocket upgrade gets 400.
 * - Subprotocol `mqtt` (MQTT 3.1.1 / 5.0) or `mqttv3.1` is echoed; a client
 *   that offers neither is still served, without a subprotocol.
 * - MQTT travels in binary messages; a text message closes the connection
 *   (1003, [MQTT-6.0.0-1]).
 * - Backpressure: on the own server a write returns when the socket took
 *   the frame; on `Deno.serve` it waits while `bufferedAmount` is above a
 *   bound. Either way the driver's watermarks apply as on TCP.
 * - `max_connections` and `access_rules`: the own server closes a refused
 *   connection at accept, as `tcp` does; `Deno.serve` answers 503.
 * - The own server answers a malformed or wrong request (bad path, method,
 *   version, key) with its HTTP status, closes a client that sends no
 *   request within 10 s, and closes with 1002/1007/1009 on a protocol
 *   violation, a bad text or close payload, or a message over 1 MiB.
 * - `proxy_protocol`: read before TLS and the HTTP request on the own server
 *   (the client address from the header is what access rules, logs and the
 *   broker see). Not on `Deno.serve`, which owns the socket and hands
 *   postern parsed requests, never the bytes before them: `config check` and
 *   `serve` report it as a configuration error there, and
 *   {@link listenMqttWebSocket} refuses it.
 *
 * @module
 */

import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import { Admission } from "./admission.ts";
import type { ByteStream } from "./byte_stream.ts";
import { ReceiveQueue } from "./receive_queue.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import {
  serveStreamListener,
  type StreamListenerOptions,
} from "./stream_listener.ts";
import { WebSocketError } from "./websocket_codec.ts";
import { acceptWebSocket } from "./websocket_server.ts";

const PROXY_REASON =
  "Deno.serve owns the socket and gives no bytes before the HTTP request";

/** Subprotocols accepted, in preference order. */
const SUBPROTOCOLS = ["mqtt", "mqttv3.1"];

/**
 * A WebSocket carrying binary MQTT as a {@link ByteStream}.
 *
 * @example Over a socket pair made by Deno.serve
 * ```ts
 * import { WebSocketByteStream } from "./websocket_listener.ts";
 * import assert from "node:assert/strict";
 *
 * const got = Promise.withResolvers<number[]>();
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
 *   const { socket, response } = Deno.upgradeWebSocket(req);
 *   const stream = new WebSocketByteStream(socket);
 *   const buf = new Uint8Array(16);
 *   stream.read(buf).then((n) => { got.resolve([...buf.subarray(0, n ?? 0)]); stream.close(); });
 *   return response;
 * });
 * const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * ws.onopen = () => ws.send(new Uint8Array([1, 2, 3]));
 * const closed = new Promise((r) => (ws.onclose = r));
 * assert.deepEqual(await got.promise, [1, 2, 3]);
 * await closed;
 * await server.shutdown();
 * ```
 */
export class WebSocketByteStream implements ByteStream {
  readonly #ws: WebSocket;
  readonly #maxBuffered: number;
  readonly #received = new ReceiveQueue();

  /**
   * @param ws A server-side WebSocket (open or opening).
   * @param options `maxBuffered`: bytes in `bufferedAmount` above which a
   *   write waits (default 256 KiB).
   */
  constructor(ws: WebSocket, options: { maxBuffered?: number } = {}) {
    this.#ws = ws;
    this.#maxBuffered = options.maxBuffered ?? 256 * 1024;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === "string") {
        this.#end();
        try {
          ws.close(1003, "MQTT needs binary frames");
        } catch {
          // Already closing.
        }
        return;
      }
      this.#received.push(new Uint8Array(e.data as ArrayBuffer));
    };
    ws.onclose = () => this.#end();
    ws.onerror = () => this.#end();
  }

  #end(): void {
    this.#received.end();
  }

  /** Reads received bytes into `buffer`; `null` once the socket closed. */
  read(buffer: Uint8Array): Promise<number | null> {
    return this.#received.read(buffer);
  }

  /** Sends `data` as one binary message, then waits while the socket is backed up. */
  async write(data: Uint8Array): Promise<number> {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) {
      throw new Deno.errors.BrokenPipe("WebSocket is not open");
    }
    ws.send(data);
    let wait = 1;
    while (ws.bufferedAmount > this.#maxBuffered) {
      if (ws.readyState !== WebSocket.OPEN) {
        throw new Deno.errors.BrokenPipe("WebSocket closed while writing");
      }
      await new Promise((r) => setTimeout(r, wait));
      if (wait < 20) wait *= 2;
    }
    return data.length;
  }

  /** Closes the socket. */
  close(): void {
    this.#end();
    const ws = this.#ws;
    if (
      ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING
    ) {
      try {
        ws.close(1000);
      } catch {
        // Already closing.
      }
    }
  }
}

/**
 * Options of {@link listenMqttWebSocket}.
 *
 * @example
 * ```ts
 * import type { MqttWebSocketListenerOptions } from "./websocket_listener.ts";
 *
 * const tls: MqttWebSocketListenerOptions["credentials"] = undefined;
 * ```
 */
export interface MqttWebSocketListenerOptions {
  /** The driver that serves the connections. */
  driver: MqttDriver;
  /** The listener's logger. */
  logger: Logger;
  /** Certificate chain and key for `wss`; absent for `ws`. */
  credentials?: { chainPem: string; keyPem: string } | undefined;
}

/**
 * Binds an MQTT over (secure) WebSocket listener.
 *
 * @param cfg The `ws` or `wss` listener (host, port, path).
 * @param options Driver, logger, credentials for `wss`.
 * @returns The running listener.
 *
 * @example
 * ```ts
 * import { listenMqttWebSocket } from "./websocket_listener.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = listenMqttWebSocket(
 *   { ...defaultListener("ws", "default"), host: "127.0.0.1", port: 0 },
 *   { driver, logger: new Logger({ sink: () => {} }) },
 * );
 * const res = await fetch(`http://127.0.0.1:${listener.address.port}/other`);
 * await res.body?.cancel();
 * assert.equal(res.status, 404);
 * await listener.close();
 * driver.close();
 * ```
 */
export function listenMqttWebSocket(
  cfg: ListenerConfig,
  options: MqttWebSocketListenerOptions,
): Listener {
  const { driver, logger, credentials } = options;
  if (cfg.proxyProtocol) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} cannot read a PROXY protocol header: ${PROXY_REASON}`,
    );
  }
  const path = cfg.path ?? "/mqtt";
  const transport = credentials === undefined ? "ws" : "wss";
  const admission = new Admission(cfg, logger);
  const live = new Set<{ stream: WebSocketByteStream; done: Promise<void> }>();
  let closed = false;

  function handler(
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response {
    const url = new URL(req.url);
    if (url.pathname !== path) {
      return new Response("Not found\n", { status: 404 });
    }
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade\n", { status: 400 });
    }
    const remote = info.remoteAddr;
    if (closed || !admission.admit(remote.hostname)) {
      return new Response("Unavailable\n", { status: 503 });
    }
    const offered = (req.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim()).filter((p) => p.length > 0);
    const protocol = SUBPROTOCOLS.find((p) => offered.includes(p));
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(
        req,
        protocol === undefined ? {} : { protocol },
      );
    } catch (err) {
      admission.release();
      logger.debug("websocket.upgrade_failed", { error: err });
      return new Response("Bad WebSocket upgrade\n", { status: 400 });
    }
    const stream = new WebSocketByteStream(upgraded.socket);
    const entry = { stream, done: Promise.resolve() };
    entry.done = driver.serve(stream, {
      remoteAddress: `${remote.hostname}:${remote.port}`,
      transport,
    }).catch((err) => {
      logger.debug("connection.failed", { error: err });
    }).finally(() => {
      admission.release();
      live.delete(entry);
    });
    live.add(entry);
    return upgraded.response;
  }

  const server = Deno.serve({
    hostname: cfg.host,
    port: cfg.port,
    onListen: () => {},
    onError: (err) => {
      logger.warn("websocket.request_failed", { error: err });
      return new Response("Internal error\n", { status: 500 });
    },
    ...(credentials === undefined
      ? {}
      : { cert: credentials.chainPem, key: credentials.keyPem }),
  }, handler);

  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: server.addr.hostname, port: server.addr.port },
    async close() {
      if (closed) return;
      closed = true;
      const pending = [...live];
      for (const { stream } of pending) stream.close();
      await Promise.all(pending.map((e) => e.done));
      await server.shutdown();
    },
  };
}

/** How long a client may take to send its HTTP upgrade request, ms. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Serves MQTT over WebSocket on a bound TCP listener with postern's own
 * WebSocket server: PROXY header (when `proxy_protocol` is on), access
 * rules and `max_connections` as on `tcp`, then the HTTP upgrade on `path`.
 * With `secure` (postern's TLS engine, `tls_engine.ts`) or `prepare`
 * (`Deno.listenTls`'s handshake, `bindTls`) it is secure WebSocket: TLS
 * runs after the PROXY header (engine only) and before the upgrade.
 *
 * @param socket A bound `Deno.listen` socket.
 * @param cfg The `ws` or `wss` listener (path, limits, PROXY protocol).
 * @param options Driver, logger, and `secure` or `prepare` for `wss`.
 * @returns The running listener.
 *
 * @example
 * ```ts
 * import { serveMqttWebSocket } from "./websocket_listener.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = serveMqttWebSocket(
 *   Deno.listen({ hostname: "127.0.0.1", port: 0 }),
 *   defaultListener("ws", "default"),
 *   { driver, logger: new Logger({ sink: () => {} }) },
 * );
 * const res = await fetch(`http://127.0.0.1:${listener.address.port}/other`);
 * await res.body?.cancel();
 * assert.equal(res.status, 404);
 * await listener.close();
 * driver.close();
 * ```
 */
export function serveMqttWebSocket(
  socket: Deno.Listener,
  cfg: ListenerConfig,
  options: Omit<MqttWebSocketListenerOptions, "credentials"> & {
    secure?: StreamListenerOptions["secure"];
    prepare?: StreamListenerOptions["prepare"];
  },
): Listener {
  const { driver, logger, secure, prepare } = options;
  const path = cfg.path ?? "/mqtt";
  return serveStreamListener(socket, cfg, {
    driver,
    transport: secure === undefined && prepare === undefined ? "ws" : "wss",
    logger,
    ...(secure === undefined ? {} : { secure }),
    ...(prepare === undefined ? {} : { prepare }),
    handshake: async (stream, remote) => {
      try {
        const ws = await acceptWebSocket(stream, {
          path,
          subprotocols: SUBPROTOCOLS,
          timeoutMs: HANDSHAKE_TIMEOUT_MS,
        });
        return ws.stream;
      } catch (err) {
        if (!(err instanceof WebSocketError)) throw err;
        logger.debug("websocket.upgrade_failed", {
          remote,
          status: err.status,
          error: err.message,
        });
        return undefined;
      }
    },
  });
}
