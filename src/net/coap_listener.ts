/**
 * The `coap` listener of the composition root (`COAP_*`, 5683): CoAP over
 * plain UDP serving `/.well-known/core` and the MQTT gateway resources
 * (`/ps/{topic}` and `/api/v1/...`, see `src/gateway/mapping.ts` and
 * `device_api.ts`). The gateway is one shared service per server
 * ({@link coapGateway}): it publishes into the server's MQTT broker and
 * receives its messages through an in-process subscription (no MQTT
 * client, so it works with `mqtt.allow_anonymous` off), so the `coap` and
 * `dtls` listeners and every MQTT transport see each other. Requests are
 * identified and authorized from the server's credential store
 * (`src/gateway/auth.ts`; anonymous requests as `mqtt.allow_anonymous`
 * says; connection mode's `/mqtt/connection` tokens as `gateway.coap`
 * says, `src/gateway/connection_mode.ts`), and each listener's observers
 * and the connections are swept by the server's one sweeper
 * ({@link observerSweepTarget}, `coap/connections`); removing a credential
 * ends the connections that logged in with it.
 *
 * @module
 */

import { Router } from "../coap/router.ts";
import type {
  ListenerFactory,
  ServerContext,
  SharedService,
} from "../server.ts";
import { BrokerBridge } from "../gateway/broker_bridge.ts";
import { CoapGateway } from "../gateway/mapping.ts";
import { GatewayAuth } from "../gateway/auth.ts";
import { CoapConnections } from "../gateway/connection_mode.ts";
import type { ListenerConfig } from "../config/mod.ts";
import type { CoapServer } from "../coap/server.ts";
import type { SweepTarget } from "../sessions/mod.ts";
import { credentialService } from "./credential_service.ts";
import { mqttService } from "./mqtt_listeners.ts";
import { serveCoapUdp } from "./coap_udp.ts";
import { sweeperService } from "./sweeper_service.ts";
import { revocationService } from "./revocation.ts";

const GATEWAY_SERVICE = "coap-gateway";

/**
 * The shared CoAP ↔ MQTT gateway with its broker bridge.
 *
 * @example
 * ```ts
 * import type { GatewayService } from "./coap_listener.ts";
 *
 * const close = (s: GatewayService) => s.close();
 * ```
 */
export interface GatewayService extends SharedService {
  /** The mapping. */
  readonly gateway: CoapGateway;
}

/**
 * The server's CoAP gateway, created on first use (it starts the MQTT
 * service if needed).
 *
 * @param ctx The server context.
 * @returns The shared gateway service.
 *
 * @example
 * ```ts
 * import { coapGateway } from "./coap_listener.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: { ...defaultConfig(), dataDir: dir }, logger, services };
 * assert.equal(await coapGateway(ctx), await coapGateway(ctx));
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function coapGateway(ctx: ServerContext): Promise<GatewayService> {
  const services = ctx.services;
  if (services === undefined) {
    throw new TypeError("The server context has no service registry");
  }
  return services.get(GATEWAY_SERVICE, async () => {
    const mqtt = await mqttService(ctx);
    const store = await credentialService(ctx);
    const auth = new GatewayAuth(store, {
      allowAnonymous: ctx.config.mqtt.allowAnonymous,
      peerCertAsUsername: ctx.config.mqtt.peerCertAsUsername,
    });
    const ref: { gateway?: CoapGateway } = {};
    const bridge = new BrokerBridge(mqtt, {
      onMessage: (m) => ref.gateway?.deliver(Date.now(), m.topic, m.payload),
    });
    const connections = new CoapConnections({
      required: ctx.config.coapGateway.connectionRequired,
      heartbeatMs: ctx.config.coapGateway.heartbeatMs,
    });
    const sweeper = await sweeperService(ctx);
    const connectionSweep = connections.sweepTarget();
    sweeper.register(connectionSweep);
    const unrevoke = (await revocationService(ctx)).register({
      name: "coap/connections",
      apply: (change) => connections.revoke(change),
    });
    const gateway = new CoapGateway({
      publish: (now, m) => {
        const n = mqtt.broker.publish(now, m);
        mqtt.driver.pump();
        return n;
      },
      retained: (topic) => bridge.retained(topic),
    }, { clock: Date.now, auth, connections });
    ref.gateway = gateway;
    return {
      gateway,
      close: () => {
        sweeper.unregister(connectionSweep.name);
        unrevoke();
        bridge.close();
        return Promise.resolve();
      },
    };
  });
}

/**
 * A router with the gateway resources (and `/.well-known/core`, added by
 * the CoAP server).
 *
 * @param gateway The gateway.
 * @returns A new router.
 *
 * @example
 * ```ts
 * import { gatewayRouter } from "./coap_listener.ts";
 * import { CoapGateway } from "../gateway/mapping.ts";
 * import assert from "node:assert/strict";
 *
 * const gw = new CoapGateway({ publish: () => 0, retained: () => undefined }, { clock: () => 0 });
 * assert.ok(gatewayRouter(gw).has("/ps/*"));
 * ```
 */
export function gatewayRouter(gateway: CoapGateway): Router {
  return gateway.routes(new Router());
}

/**
 * CoAP over UDP (`COAP_*`, 5683) with the MQTT gateway.
 *
 * @example
 * ```ts
 * import { coapListenerFactory } from "./coap_listener.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const listener = await coapListenerFactory(
 *   { ...defaultListener("coap", "default"), host: "127.0.0.1", port: 0 },
 *   { config: { ...defaultConfig(), dataDir: dir }, logger, services },
 * );
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const coapListenerFactory: ListenerFactory = async (cfg, ctx) => {
  const { gateway } = await coapGateway(ctx);
  const server = serveCoapUdp(gatewayRouter(gateway), {
    hostname: cfg.host,
    port: cfg.port,
  });
  const detach = gateway.attach({
    notify: (_now, path, peer) => server.notify(path, peer),
  });
  const sweeper = await sweeperService(ctx);
  const target = observerSweepTarget(
    `coap/${cfg.name}`,
    server.core,
    cfg,
    () => server.flush(),
  );
  sweeper.register(target);
  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: cfg.host, port: server.port },
    close: async () => {
      detach();
      sweeper.unregister(target.name);
      await server.close();
    },
  };
};

/**
 * The sweep target of a CoAP server's observers, for the server's one
 * sweeper: every `TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT` (30 min) an
 * observer silent for `TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT` (24 h;
 * the listener's `dtlsSessions`, else these defaults) is probed with a CON
 * notification, and removed when it does not answer
 * (`CoapServer.sweepObservers`). The sweeper logs each sweep's count as
 * `sweep.done`.
 *
 * @param name Target name, e.g. `coap/default`.
 * @param server The CoAP server.
 * @param cfg The listener (for its session timeouts).
 * @param onSwept Called after each sweep (send the probes).
 * @returns The target.
 *
 * @example
 * ```ts
 * import { observerSweepTarget } from "./coap_listener.ts";
 * import { CoapServer } from "../coap/server.ts";
 * import { Router } from "../coap/router.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const target = observerSweepTarget("coap/default", new CoapServer(new Router()), defaultListener("coap", "default"));
 * assert.equal(target.intervalMs, 1_800_000);
 * assert.equal(target.sweep(Date.now()), 0);
 * ```
 */
export function observerSweepTarget(
  name: string,
  server: CoapServer,
  cfg: ListenerConfig,
  onSwept: () => void = () => {},
): SweepTarget {
  const idleMs = cfg.dtlsSessions?.inactivityTimeoutMs ?? 86_400_000;
  return {
    name,
    intervalMs: cfg.dtlsSessions?.reportTimeoutMs ?? 1_800_000,
    sweep(now) {
      const removed = server.sweepObservers(now, idleMs);
      onSwept();
      return removed;
    },
    size: () => server.observerCount,
  };
}
