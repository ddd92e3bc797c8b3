/**
 * ThingsBoard's CoAP device API on MQTT topics, so that an MQTT application
 * reads a CoAP device's telemetry and calls it:
 *
 * | CoAP request                                  | MQTT topic                               |
 * | --------------------------------------------- | ---------------------------------------- |
 * | `POST /api/v1/{token}/telemetry`              | publish `devices/{device}/telemetry` (QoS 1) |
 * | `POST /api/v1/{token}/attributes`             | publish `devices/{device}/attributes` (QoS 1, retained) |
 * | `GET /api/v1/{token}/attributes`              | its retained message (4.04 if none)      |
 * | `GET /api/v1/{token}/attributes`, Observe 0   | each publish on it → notification        |
 * | `GET /api/v1/{token}/rpc`, Observe 0          | each `devices/{device}/rpc/request/{id}` → notification |
 * | `POST /api/v1/{token}/rpc/{id}`               | publish `devices/{device}/rpc/response/{id}` (QoS 1) |
 *
 * The device is the one the access token belongs to (a name with `+` or `#`
 * is refused with 4.03: it would be a wildcard). Over DTLS the same
 * paths without the token (`/api/v1/telemetry` ...) take the device from
 * the session's PSK identity or certificate. A path whose third segment is
 * a resource name is the tokenless form; tokens are random strings, never
 * `telemetry`, `attributes` or `rpc`.
 *
 * An RPC request notification is JSON with the request id first, as
 * ThingsBoard sends it: `{"id":7,"method":"setGpio","params":{...}}` for a
 * JSON object request; any other payload becomes `{"id":7,"params":...}`
 * (parsed JSON, else the text).
 *
 * @module
 */

import { Code } from "../coap/codes.ts";
import { CoapError } from "../coap/errors.ts";
import { ContentFormat } from "../coap/content_format.ts";
import type { CoapRequest, CoapResponse, Router } from "../coap/router.ts";
import type { CoapGateway, Delivered } from "./mapping.ts";
import type { Requester } from "./auth.ts";

const TEXT = new TextDecoder();
const UTF8 = new TextEncoder();

/**
 * The MQTT topics of a device.
 *
 * @param device The device name.
 * @returns Its topics and filters.
 *
 * @example
 * ```ts
 * import { deviceTopics } from "./device_api.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(deviceTopics("D").rpcRequests, "devices/D/rpc/request/+");
 * assert.equal(deviceTopics("D").rpcResponse("7"), "devices/D/rpc/response/7");
 * ```
 */
export function deviceTopics(device: string): {
  telemetry: string;
  attributes: string;
  rpcRequests: string;
  rpcResponse: (id: string) => string;
} {
  const base = `devices/${device}`;
  return {
    telemetry: `${base}/telemetry`,
    attributes: `${base}/attributes`,
    rpcRequests: `${base}/rpc/request/+`,
    rpcResponse: (id) => `${base}/rpc/response/${id}`,
  };
}

/**
 * The notification a device gets for an RPC request published on
 * `devices/{device}/rpc/request/{id}`.
 *
 * @param message The MQTT message.
 * @returns The JSON body.
 *
 * @example
 * ```ts
 * import { rpcNotification } from "./device_api.ts";
 * import assert from "node:assert/strict";
 *
 * const body = rpcNotification({ topic: "devices/D/rpc/request/7", payload: new TextEncoder().encode('{"method":"reboot"}') });
 * assert.equal(new TextDecoder().decode(body), '{"id":7,"method":"reboot"}');
 * ```
 */
export function rpcNotification(message: Delivered): Uint8Array {
  const raw = message.topic.slice(message.topic.lastIndexOf("/") + 1);
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  const text = TEXT.decode(message.payload);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  const body = typeof parsed === "object" && parsed !== null &&
      !Array.isArray(parsed)
    ? { id, ...parsed as Record<string, unknown> }
    : { id, params: parsed };
  return UTF8.encode(JSON.stringify(body));
}

/**
 * Adds the device API resources to a router.
 *
 * @param router The router.
 * @param gateway The gateway that publishes and subscribes.
 * @returns The router.
 *
 * @example
 * ```ts
 * import { deviceApiRoutes } from "./device_api.ts";
 * import { CoapGateway } from "./mapping.ts";
 * import { Router } from "../coap/router.ts";
 * import assert from "node:assert/strict";
 *
 * const gw = new CoapGateway({ publish: () => 0, retained: () => undefined }, { clock: () => 0 });
 * const router = deviceApiRoutes(new Router(), gw);
 * assert.equal(router.match("POST", ["api", "v1", "T0k3n", "telemetry"]).kind, "found");
 * assert.equal(router.match("POST", ["api", "v1", "rpc", "7"]).kind, "found");
 * ```
 */
export function deviceApiRoutes(router: Router, gateway: CoapGateway): Router {
  const api = new DeviceApi(gateway);
  for (
    const [prefix, hidden] of [["/api/v1/:token", true], [
      "/api/v1",
      false,
    ]] as const
  ) {
    const info = hidden ? { hidden: true } : {};
    router
      .add("POST", `${prefix}/telemetry`, (r) => api.telemetry(r), {
        rt: "tb.telemetry",
        ...info,
      })
      .add("POST", `${prefix}/attributes`, (r) => api.postAttributes(r))
      .add("GET", `${prefix}/attributes`, (r) => api.getAttributes(r), {
        rt: "tb.attributes",
        obs: true,
        ...info,
      })
      .add("GET", `${prefix}/rpc`, (r) => api.rpc(r), {
        rt: "tb.rpc",
        obs: true,
        ...info,
      })
      .add("POST", `${prefix}/rpc/:id`, (r) => api.rpcResponse(r), info);
  }
  return router;
}

class DeviceApi {
  readonly #gateway: CoapGateway;

  constructor(gateway: CoapGateway) {
    this.#gateway = gateway;
  }

  async #device(req: CoapRequest): Promise<Requester> {
    const token = req.params.token;
    const who = await this.#gateway.auth.identify(req, {
      device: true,
      ...(token === undefined ? {} : { token }),
    });
    if (who.subject === "" || /[+#]/.test(who.subject)) {
      // A wildcard in the name would widen `devices/{device}/rpc/request/+`.
      throw new CoapError(
        Code.FORBIDDEN,
        "The device name cannot be used in an MQTT topic",
      );
    }
    return who;
  }

  async telemetry(req: CoapRequest): Promise<CoapResponse> {
    const who = await this.#device(req);
    await this.#gateway.publish(who, {
      topic: deviceTopics(who.subject).telemetry,
      payload: req.payload.slice(),
      qos: 1,
      retain: false,
    });
    return { code: Code.CHANGED };
  }

  async postAttributes(req: CoapRequest): Promise<CoapResponse> {
    const who = await this.#device(req);
    await this.#gateway.publish(who, {
      topic: deviceTopics(who.subject).attributes,
      payload: req.payload.slice(),
      qos: 1,
      retain: true,
    });
    return { code: Code.CHANGED };
  }

  async getAttributes(req: CoapRequest): Promise<CoapResponse> {
    const who = await this.#device(req);
    const topic = deviceTopics(who.subject).attributes;
    switch (this.#gateway.getKind(req)) {
      case "observe": {
        await this.#gateway.subscribe(req, who, topic);
        const retained = this.#gateway.retainedResponse(topic);
        return retained.code === Code.CONTENT
          ? retained
          : { code: Code.CONTENT, payload: "" };
      }
      case "notification":
        await this.#gateway.auth.authorize(who, "subscribe", topic);
        return {
          code: Code.CONTENT,
          payload: this.#gateway.lastDelivered(req)?.payload ?? "",
        };
      case "read": {
        await this.#gateway.auth.authorize(who, "subscribe", topic);
        const last = this.#gateway.lastDelivered(req);
        return last === undefined
          ? this.#gateway.retainedResponse(topic)
          : { code: Code.CONTENT, payload: last.payload };
      }
    }
  }

  async rpc(req: CoapRequest): Promise<CoapResponse> {
    const who = await this.#device(req);
    const filter = deviceTopics(who.subject).rpcRequests;
    switch (this.#gateway.getKind(req)) {
      case "observe":
        await this.#gateway.subscribe(req, who, filter);
        return { code: Code.CONTENT, payload: "" };
      case "notification":
      case "read": {
        await this.#gateway.auth.authorize(who, "subscribe", filter);
        const last = this.#gateway.lastDelivered(req);
        if (last === undefined) {
          if (req.notification) return { code: Code.CONTENT, payload: "" };
          throw new CoapError(
            Code.BAD_REQUEST,
            "Observe this resource to receive RPC requests",
          );
        }
        return {
          code: Code.CONTENT,
          contentFormat: ContentFormat.JSON,
          payload: rpcNotification(last),
        };
      }
    }
  }

  async rpcResponse(req: CoapRequest): Promise<CoapResponse> {
    const who = await this.#device(req);
    const id = req.params.id ?? "";
    if (id === "" || /[+#/]/.test(id)) {
      throw new CoapError(Code.BAD_REQUEST, "Invalid RPC request id");
    }
    await this.#gateway.publish(who, {
      topic: deviceTopics(who.subject).rpcResponse(id),
      payload: req.payload.slice(),
      qos: 1,
      retain: false,
    });
    return { code: Code.CHANGED };
  }
}
