/**
 * MQTT over WebSocket and secure WebSocket on `Deno.serve`
 * (`LISTENER_WS_*`, 8084, and `LISTENER_WSS_*`, 8085).
 *
 * - One HTTP path (`path`, default `/mqtt`) upgrades; any other path gets
 *   404, and a request to the path that is not a WebSocket upgrade gets 400.
 * - Subprotocol `mqtt` (MQTT 3.1.1 / 5.0) or `mqttv3.1` is echoed; a client
 *   that offers neither is still served, without a subprotocol.
 * - MQTT travels in binary messages; a text message closes the connection
 *   (1003, [MQTT-6.0.0-1]).
 * - Backpressure: a write waits while the socket's `bufferedAmount` is above
 *   a bound, so the driver's watermarks apply as on TCP.
 * - `max_connections` and `access_rules` refuse an upgrade with 503 / 403.
 * - `proxy_protocol`: not supported. `Deno.serve` owns the socket and hands
 *   postern parsed requests, never the bytes before them, so a PROXY header
 *   cannot be read. `config check` and `serve` report the combination as a
 *   configuration error, and this function refuses it.
 *
 * @module
 */

import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import { Admission } from "./admission.ts";
import type { ByteStream } from "./byte_stream.ts";
import type { MqttDriver } from "./mqtt_driver.ts";

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
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  #offset = 0;
  #ended = false;
  #wake: (() => void) | undefined;

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
      this.#chunks.push(new Uint8Array(e.data as ArrayBuffer));
      this.#notify();
    };
    ws.onclose = () => this.#end();
    ws.onerror = () => this.#end();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Reads received bytes into `buffer`; `null` once the socket closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#head >= this.#chunks.length) {
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wake = r));
    }
    const chunk = this.#chunks[this.#head] as Uint8Array;
    const n = Math.min(buffer.length, chunk.length - this.#offset);
    buffer.set(chunk.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    if (this.#offset === chunk.length) {
      this.#offset = 0;
      this.#head++;
      if (this.#head === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#head = 0;
      }
    }
    return n;
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
