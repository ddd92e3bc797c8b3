/**
 * The `coap` listener of the composition root (`COAP_*`, 5683): CoAP over
 * plain UDP serving `/.well-known/core` and the MQTT gateway resources
 * (`/ps/{topic}`, see `src/gateway/mapping.ts`). The gateway is one shared
 * service per server ({@link coapGateway}): it publishes into the server's
 * MQTT broker and receives its messages through an internal subscriber, so
 * the `coap` and `dtls` listeners and every MQTT transport see each other.
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
import { mqttService } from "./mqtt_listeners.ts";
import { serveCoapUdp } from "./coap_udp.ts";

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
  return services.get(GATEWAY_SERVICE, async (logger) => {
    const mqtt = await mqttService(ctx);
    const ref: { gateway?: CoapGateway } = {};
    const bridge = new BrokerBridge(mqtt.driver, {
      onMessage: (m) => ref.gateway?.deliver(Date.now(), m.topic, m.payload),
    });
    const gateway = new CoapGateway({
      publish: (now, m) => mqtt.broker.publish(now, m),
      retained: (topic) => bridge.retained(topic),
    }, { clock: Date.now });
    ref.gateway = gateway;
    try {
      await bridge.ready;
    } catch (err) {
      logger.warn("coap.gateway_unsubscribed", {
        error: err,
        note: "CoAP observers and GET of retained messages will see nothing",
      });
    }
    return {
      gateway,
      close: () => Promise.resolve(bridge.close()),
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
    notify: (_now, path) => server.notify(path),
  });
  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: cfg.host, port: server.port },
    close: async () => {
      detach();
      await server.close();
    },
  };
};
