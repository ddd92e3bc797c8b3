/**
 * Starts an MQTT `ssl` or `wss` listener on the TLS implementation that
 * `tlsPathFor` (`src/config/tls_path.ts`, the one place that decides)
 * chooses, and logs the choice with its reason at start
 * (`tls.path engine=postern reason="TLS-PSK is configured …"`):
 *
 * - `postern`: postern's own TLS 1.2 engine over TCP (`tls_engine.ts`),
 *   for `wss` under postern's own WebSocket server;
 * - `node`: Deno's `node:tls` server with client certificates
 *   (`node_tls_listener.ts`);
 * - `native`: `Deno.listenTls` (`tls_listener.ts`), for `wss` under
 *   postern's own WebSocket server (`websocket_listener.ts`).
 *
 * On every path the certificate, key, CA and CRL files follow their files
 * (`credential_reloader.ts`); on postern's engine, sessions resume from the
 * listener's session cache (`listener_sessions.ts`).
 *
 * @module
 */

import { tlsPathFor } from "../config/mod.ts";
import type { ListenerConfig } from "../config/mod.ts";
import type { Listener, ServerContext } from "../server.ts";
import { credentialService } from "./credential_service.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import { startMqttNodeTls } from "./node_tls_listener.ts";
import {
  engineHandshakeConfig,
  engineSecurer,
  listenMqttTlsEngine,
  type TlsEngineListenerOptions,
} from "./tls_engine.ts";
import {
  bindTls,
  listenMqttTls,
  readListenerCredentials,
} from "./tls_listener.ts";
import { listenerStapler, withStapler } from "./ocsp_stapler.ts";
import { listenerCredentialReloader } from "./credential_reloader.ts";
import { CrlCache } from "./crl_cache.ts";
import { ListenerSessions } from "./listener_sessions.ts";
import { serveMqttWebSocket } from "./websocket_listener.ts";

/**
 * Starts an `ssl` listener on the engine its configuration calls for.
 *
 * @param cfg The listener.
 * @param ctx The server context (config, logger, services).
 * @param driver The MQTT driver every listener shares.
 * @returns The running listener.
 *
 * @example A TLS-PSK listener runs on postern's engine
 * ```ts
 * import { startMqttSsl } from "./tls_path.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const logger = new Logger({ sink: (l) => lines.push(l) });
 * const services = new ServiceRegistry(logger);
 * const config = { ...defaultConfig(), dataDir: dir, psk: { enabled: true, separator: ":", chunkSize: 50 } };
 * const ssl = defaultListener("ssl", "default");
 * const cfg = { ...ssl, host: "127.0.0.1", port: 0, tls: { ...ssl.tls!, ciphers: ["PSK-AES128-GCM-SHA256"] } };
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = await startMqttSsl(cfg, { config, logger, services }, driver);
 * assert.ok(lines.some((l) => l.includes("tls.path") && l.includes("postern")));
 * await listener.close();
 * driver.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startMqttSsl(
  cfg: ListenerConfig,
  ctx: ServerContext,
  driver: MqttDriver,
): Promise<Listener> {
  const path = tlsPathFor(ctx.config, cfg);
  ctx.logger.info("tls.path", { engine: path.engine, reason: path.reason });
  switch (path.engine) {
    case "postern":
      return await startOnEngine(
        cfg,
        ctx,
        (engine) =>
          listenMqttTlsEngine(cfg, { driver, logger: ctx.logger, ...engine }),
      );
    case "node":
      return await startMqttNodeTls(cfg, ctx, driver);
    case "native": {
      // credentials follow their files: a reload rebinds the socket
      const reloader = await listenerCredentialReloader(ctx.config, cfg, {
        logger: ctx.logger,
      });
      try {
        const listener = listenMqttTls(cfg, {
          driver,
          logger: ctx.logger,
          credentials: reloader.current,
          reloader,
        });
        return {
          ...listener,
          close: () => listener.close().finally(() => reloader.close()),
        };
      } catch (err) {
        reloader.close();
        throw err;
      }
    }
  }
}

/**
 * Starts a `wss` listener: postern's own WebSocket server over postern's
 * TLS engine when `tlsPathFor` says `postern` (`tls_engine = postern`, or a
 * PROXY header to read), else over `Deno.listenTls`. On both the
 * certificate follows its files as on `ssl`: the engine reads the
 * credentials in force at each handshake; `Deno.listenTls` cannot change
 * its certificate, so a reload binds a second socket on the same port with
 * `reusePort` and closes the old one after a second (Linux only); live
 * connections go on.
 *
 * @param cfg The listener.
 * @param ctx The server context (config, logger, services).
 * @param driver The MQTT driver every listener shares.
 * @returns The running listener.
 *
 * @example
 * ```ts
 * import { startMqttWss } from "./tls_path.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import { certsCommand } from "../../cli/certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await certsCommand(["init", "--dir", dir]);
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const wss = defaultListener("wss", "default");
 * const cfg = {
 *   ...wss, host: "127.0.0.1", port: 0,
 *   tls: { ...wss.tls!, certFile: `${dir}/serverChain.pem`, keyFile: `${dir}/server_key.pem` },
 * };
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const config = { ...defaultConfig(), dataDir: dir };
 * const listener = await startMqttWss(cfg, { config, logger, services }, driver);
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * driver.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startMqttWss(
  cfg: ListenerConfig,
  ctx: ServerContext,
  driver: MqttDriver,
): Promise<Listener> {
  const path = tlsPathFor(ctx.config, cfg);
  const logger = ctx.logger;
  logger.info("tls.path", { engine: path.engine, reason: path.reason });
  if (path.engine === "postern") {
    // own TLS engine + own WebSocket server: works behind a PROXY header
    return await startOnEngine(cfg, ctx, (engine) => {
      const securer = engineSecurer(cfg, { logger, ...engine });
      const listener = serveMqttWebSocket(
        Deno.listen({ hostname: cfg.host, port: cfg.port }),
        cfg,
        { driver, logger, secure: securer.secure },
      );
      return {
        ...listener,
        close() {
          securer.close();
          return listener.close();
        },
      };
    });
  }
  const reloader = await listenerCredentialReloader(ctx.config, cfg, {
    logger,
  });
  try {
    const tls = bindTls(cfg, {
      logger,
      credentials: reloader.current,
      reloader,
    });
    const listener = serveMqttWebSocket(tls.socket, cfg, {
      driver,
      logger,
      prepare: tls.prepare,
    });
    return {
      ...listener,
      close: () => {
        tls.close();
        return listener.close().finally(() => reloader.close());
      },
    };
  } catch (err) {
    reloader.close();
    throw err;
  }
}

/**
 * Builds what a listener on postern's engine needs — credentials that
 * follow their files, the CRL cache (`enable_crl_check`), the session
 * cache, the handshake configuration and the OCSP stapler — and starts it
 * with `listen`; closing the listener releases them.
 */
async function startOnEngine(
  cfg: ListenerConfig,
  ctx: ServerContext,
  listen: (
    engine: Omit<TlsEngineListenerOptions, "driver" | "logger">,
  ) => Listener,
): Promise<Listener> {
  const store = await credentialService(ctx);
  const tls = cfg.tls;
  const hasCertificate = tls?.credentialsType === "KEYSTORE"
    ? tls.keyStoreFile !== undefined
    : tls?.certFile !== undefined;
  // certificate, key, CAs and CRL file follow their files
  const credentials = hasCertificate
    ? await listenerCredentialReloader(ctx.config, cfg, {
      logger: ctx.logger,
    })
    : undefined;
  const crls = tls?.enableCrlCheck && credentials !== undefined
    ? new CrlCache({
      fileCrls: credentials.current.crls,
      fetchDistributionPoints: tls.crlFile === undefined,
      logger: ctx.logger,
    })
    : undefined;
  let sessions: ListenerSessions | undefined;
  const release = () => {
    credentials?.close();
    crls?.close();
    sessions?.close();
  };
  let handshake;
  try {
    sessions = await ListenerSessions.start(cfg, ctx);
    handshake = await engineHandshakeConfig(ctx.config, cfg, {
      store,
      logger: ctx.logger,
      ...(credentials ? { credentials } : {}),
      ...(crls ? { crls } : {}),
      ...(sessions.cache ? { sessionCache: sessions.cache } : {}),
    });
  } catch (err) {
    release();
    throw err;
  }
  // OCSP stapling (RFC 6066 §8) runs only on this engine
  let stapler;
  let listener;
  try {
    stapler = cfg.tls?.ocsp.enableOcspStapling
      ? listenerStapler(
        cfg,
        await readListenerCredentials(ctx.config, cfg),
        ctx.logger,
      )
      : undefined;
    listener = withStapler(
      handshake,
      stapler,
      (staple) =>
        listen({
          handshake: staple,
          sessions,
          ...(credentials ? { credentials } : {}),
          ...(crls ? { crls } : {}),
        }),
    );
  } catch (err) {
    stapler?.close();
    release();
    throw err;
  }
  return {
    ...listener,
    close: () => listener.close().finally(release),
  };
}
