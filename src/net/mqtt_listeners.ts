/**
 * The MQTT listener factories of the composition root: `tcp`, `ssl`, `ws`
 * and `wss`. All of them serve through the server's one
 * {@link MqttService}, created on first use from the context's service
 * registry and closed with the server. Its broker authenticates and
 * authorizes through the server's credential store ({@link MqttAuth};
 * anonymous clients as `mqtt.allow_anonymous` says), and a revoked
 * credential disconnects the connections that used it.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type {
  ListenerFactories,
  ListenerFactory,
  ServerContext,
} from "../server.ts";
import { credentialService } from "./credential_service.ts";
import { MqttAuth } from "./mqtt_auth.ts";
import { MqttService } from "./mqtt_service.ts";
import { mqttRevocationTarget, revocationService } from "./revocation.ts";
import { serveStreamListener } from "./stream_listener.ts";
import { sweeperService } from "./sweeper_service.ts";
import { startMqttSsl, startMqttWss } from "./tls_path.ts";
import { serveMqttWebSocket } from "./websocket_listener.ts";

/** Key of the MQTT service in a {@link ServiceRegistry}. */
const MQTT_SERVICE = "mqtt";

/**
 * The server's MQTT service, created on first use.
 *
 * @param ctx The server context.
 * @returns The shared service.
 *
 * @example
 * ```ts
 * import { mqttService } from "./mqtt_listeners.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: { ...defaultConfig(), dataDir: dir }, logger, services };
 * assert.equal(await mqttService(ctx), await mqttService(ctx));
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function mqttService(ctx: ServerContext): Promise<MqttService> {
  const services = ctx.services;
  if (services === undefined) {
    throw new TypeError("The server context has no service registry");
  }
  return services.get(MQTT_SERVICE, (logger) => startService(ctx, logger));
}

async function startService(
  ctx: ServerContext,
  logger: Logger,
): Promise<MqttService> {
  const store = await credentialService(ctx);
  const revocation = await revocationService(ctx);
  const allowAnonymous = ctx.config.mqtt.allowAnonymous;
  const sessionExpiryMs = ctx.config.mqtt.sessionExpiryMs;
  const started: { service?: MqttService } = {};
  const auth = new MqttAuth(store, {
    allowAnonymous,
    peerCertAsUsername: ctx.config.mqtt.peerCertAsUsername,
    isLive: (id) => started.service?.broker.hasConnection(id) ?? true,
  });
  const service = await MqttService.start(logger, {
    dataDir: ctx.config.dataDir,
    broker: {
      auth,
      allowAnonymous,
      ...(sessionExpiryMs === undefined
        ? {}
        : { limits: { persistentSessionExpiry: sessionExpiryMs / 1000 } }),
    },
    sweeper: await sweeperService(ctx),
  });
  started.service = service;
  revocation.register(mqttRevocationTarget(service, auth));
  return service;
}

/**
 * MQTT over TCP (`LISTENER_TCP_*`, 1883).
 *
 * @example
 * ```ts
 * import { mqttTcpFactory } from "./mqtt_listeners.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const listener = await mqttTcpFactory(
 *   { ...defaultListener("tcp", "default"), host: "127.0.0.1", port: 0 },
 *   { config: { ...defaultConfig(), dataDir: dir }, logger, services },
 * );
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const mqttTcpFactory: ListenerFactory = async (cfg, ctx) => {
  const service = await mqttService(ctx);
  const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
  return serveStreamListener(socket, cfg, {
    driver: service.driver,
    transport: "tcp",
    logger: ctx.logger,
  });
};

/**
 * MQTT over TLS (`LISTENER_SSL_*` / `MQTT_SSL_*`, 8883), on the engine
 * `tls_path.ts` chooses: postern's own TLS engine for TLS-PSK, OCSP
 * stapling or `tls_engine = postern`; `node:tls` with client certificates
 * for `verify_peer`; else `Deno.listenTls`.
 *
 * @example
 * ```ts
 * import { mqttTlsFactory } from "./mqtt_listeners.ts";
 * import type { ListenerFactory } from "../server.ts";
 *
 * const factory: ListenerFactory = mqttTlsFactory;
 * ```
 */
export const mqttTlsFactory: ListenerFactory = async (cfg, ctx) =>
  await startMqttSsl(cfg, ctx, (await mqttService(ctx)).driver);

/**
 * MQTT over WebSocket (`LISTENER_WS_*`, 8084, path `/mqtt`).
 *
 * @example
 * ```ts
 * import { mqttWsFactory } from "./mqtt_listeners.ts";
 * import type { ListenerFactory } from "../server.ts";
 *
 * const factory: ListenerFactory = mqttWsFactory;
 * ```
 */
export const mqttWsFactory: ListenerFactory = async (cfg, ctx) => {
  const service = await mqttService(ctx);
  const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
  return serveMqttWebSocket(socket, cfg, {
    driver: service.driver,
    logger: ctx.logger,
  });
};

/**
 * MQTT over secure WebSocket (`LISTENER_WSS_*`, 8085, path `/mqtt`):
 * postern's own WebSocket server over `Deno.listenTls`, or with
 * `ssl_options.tls_engine = postern` over postern's own TLS engine (which
 * reads a PROXY header first); the certificate follows its files on both
 * (`tls_path.ts`).
 *
 * @example
 * ```ts
 * import { mqttWssFactory } from "./mqtt_listeners.ts";
 * import type { ListenerFactory } from "../server.ts";
 *
 * const factory: ListenerFactory = mqttWssFactory;
 * ```
 */
export const mqttWssFactory: ListenerFactory = async (cfg, ctx) =>
  await startMqttWss(cfg, ctx, (await mqttService(ctx)).driver);

/**
 * The four MQTT factories, by listener family.
 *
 * @example
 * ```ts
 * import { mqttListenerFactories } from "./mqtt_listeners.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(Object.keys(mqttListenerFactories), ["tcp", "ssl", "ws", "wss"]);
 * ```
 */
export const mqttListenerFactories: Readonly<ListenerFactories> = {
  tcp: mqttTcpFactory,
  ssl: mqttTlsFactory,
  ws: mqttWsFactory,
  wss: mqttWssFactory,
};
