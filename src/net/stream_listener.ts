/**
 * The accept loop shared by the MQTT stream listeners (TCP and TLS): admit
 * or refuse each connection (`max_connections`, `access_rules`), prepare it
 * (Nagle off, TLS handshake under a timeout), hand it to the
 * {@link MqttDriver}, and on close stop accepting and end every connection
 * it still serves.
 *
 * @module
 */

import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import { Admission } from "./admission.ts";
import type { ByteStream } from "./byte_stream.ts";
import type { MqttDriver, MqttTransport } from "./mqtt_driver.ts";

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
   * drops it. Default: as is.
   */
  prepare?: (conn: Deno.Conn) => Promise<ByteStream | undefined>;
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
  const prepare = options.prepare ?? ((conn) => Promise.resolve(conn));
  const admission = new Admission(cfg, logger);
  const live = new Set<{ conn: Deno.Conn; done: Promise<void> }>();
  const addr = socket.addr as Deno.NetAddr;
  let closed = false;

  async function handle(conn: Deno.Conn): Promise<void> {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const remoteAddress = `${remote.hostname}:${remote.port}`;
    try {
      const stream = await prepare(conn);
      if (stream === undefined || closed) {
        closeQuietly(conn);
        return;
      }
      await driver.serve(stream, { remoteAddress, transport });
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
      if (closed || !admission.admit(remote.hostname)) {
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

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}
