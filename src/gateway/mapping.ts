/**
 * The CoAP ↔ MQTT mapping of EMQX's CoAP gateway, "pub/sub" mode:
 *
 * | CoAP request                        | MQTT                               |
 * | ----------------------------------- | ---------------------------------- |
 * | `POST`/`PUT /ps/{topic}?qos=1&retain=true` | publish → 2.04 Changed      |
 * | `GET /ps/{topic}`                   | retained message → 2.05 (or 4.04)  |
 * | `GET /ps/{filter}` with Observe 0   | subscribe: each match → notification |
 *
 * Topic levels are Uri-Path segments, so `+` and `#` are sent
 * percent-encoded (`/ps/a/%2B`, `/ps/%23`). Sans-IO: time comes from the
 * injected clock; messages arrive through {@link CoapGateway.deliver}, and
 * notifications leave through the attached {@link NotifySink}s (one per
 * CoAP server: UDP, DTLS).
 *
 * @module
 */

import { Code } from "../coap/codes.ts";
import { OptionNumber, uintValue } from "../coap/options.ts";
import type { CoapRequest, CoapResponse, Router } from "../coap/router.ts";
import type { InternalPublish } from "../mqtt/broker/mod.ts";
import { topicMatches, validateTopicFilter } from "../mqtt/topic.ts";

/**
 * What the gateway needs of the broker.
 *
 * @example
 * ```ts
 * import type { GatewayBroker } from "./mapping.ts";
 *
 * const broker: GatewayBroker = { publish: () => 0, retained: () => undefined };
 * ```
 */
export interface GatewayBroker {
  /** Publishes a message (throws TypeError for an invalid topic). */
  publish(now: number, message: InternalPublish): number;
  /** The retained payload of a topic, if any. */
  retained(topic: string): Uint8Array | undefined;
}

/**
 * A CoAP server that can notify observers (`CoapServer.notify` plus
 * sending).
 *
 * @example
 * ```ts
 * import type { NotifySink } from "./mapping.ts";
 *
 * const sink: NotifySink = { notify: () => 0 };
 * ```
 */
export interface NotifySink {
  /** Notifies the observers of `path`; returns how many. */
  notify(now: number, path: string): number;
}

/**
 * Options of {@link CoapGateway}.
 *
 * @example
 * ```ts
 * import type { CoapGatewayOptions } from "./mapping.ts";
 *
 * const o: CoapGatewayOptions = { clock: () => 0 };
 * ```
 */
export interface CoapGatewayOptions {
  /** Current time in ms, for publishes made by request handlers. */
  readonly clock: () => number;
  /** Prefix of the resources (default `ps`). */
  readonly prefix?: string;
}

/**
 * The pub/sub resources.
 *
 * @example Publish, retained GET, observe
 * ```ts
 * import { CoapGateway } from "./mapping.ts";
 * import { Router } from "../coap/router.ts";
 * import assert from "node:assert/strict";
 *
 * const retained = new Map<string, Uint8Array>();
 * const published: string[] = [];
 * const gw = new CoapGateway({
 *   publish: (_now, m) => (published.push(`${m.topic}:${m.qos}`), m.retain && retained.set(m.topic, m.payload), 1),
 *   retained: (t) => retained.get(t),
 * }, { clock: () => 0 });
 * const router = gw.routes(new Router());
 * const m = router.match("PUT", ["ps", "a", "b"]);
 * assert.ok(m.kind === "found");
 * const res = await m.handler({ method: "PUT", path: ["ps", "a", "b"], query: ["qos=1", "retain=true"], params: m.params, payload: new Uint8Array([1]), options: [], peer: "p" });
 * assert.equal(res.code, 0x44);
 * assert.deepEqual(published, ["a/b:1"]);
 * assert.deepEqual(gw.retainedResponse("a/b").payload, new Uint8Array([1]));
 * ```
 */
export class CoapGateway {
  readonly #broker: GatewayBroker;
  readonly #clock: () => number;
  readonly #prefix: string;
  readonly #sinks = new Set<NotifySink>();
  /** Observed filters, with the latest matching message. */
  readonly #filters = new Map<string, Uint8Array | undefined>();

  /**
   * @param broker Publishing and retained lookups.
   * @param options Clock and prefix.
   */
  constructor(broker: GatewayBroker, options: CoapGatewayOptions) {
    this.#broker = broker;
    this.#clock = options.clock;
    this.#prefix = options.prefix ?? "ps";
  }

  /** Filters with (possibly) live observers. */
  get observedFilters(): string[] {
    return [...this.#filters.keys()];
  }

  /**
   * Adds the `/{prefix}/...` resources to a router.
   *
   * @param router The router.
   * @returns The router.
   */
  routes(router: Router): Router {
    const pattern = `/${this.#prefix}/*`;
    const publish = (req: CoapRequest) => this.#publish(req);
    return router
      .add("POST", pattern, publish, { rt: "core.ps", obs: true })
      .add("PUT", pattern, publish)
      .add("GET", pattern, (req) => this.#get(req));
  }

  /**
   * Registers a CoAP server to notify.
   *
   * @param sink The server.
   * @returns A function that removes it.
   */
  attach(sink: NotifySink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /**
   * Hands an MQTT message to the observers whose filter matches its topic.
   *
   * @param now Current time, ms.
   * @param topic The topic name.
   * @param payload The payload.
   * @returns How many observers were notified.
   */
  deliver(now: number, topic: string, payload: Uint8Array): number {
    let total = 0;
    for (const filter of [...this.#filters.keys()]) {
      if (!topicMatches(filter, topic)) continue;
      this.#filters.set(filter, payload);
      let n = 0;
      for (const sink of this.#sinks) {
        n += sink.notify(now, `/${this.#prefix}/${filter}`);
      }
      if (n === 0) this.#filters.delete(filter);
      total += n;
    }
    return total;
  }

  /**
   * The answer to a plain GET of a topic: its retained message.
   *
   * @param topic The topic name.
   * @returns 2.05 with the payload, or 4.04.
   */
  retainedResponse(topic: string): CoapResponse {
    const payload = this.#broker.retained(topic);
    return payload === undefined
      ? { code: Code.NOT_FOUND, payload: "No retained message" }
      : { code: Code.CONTENT, payload };
  }

  #publish(req: CoapRequest): CoapResponse {
    const topic = req.params["*"] ?? "";
    const query = parseQuery(req.query);
    const qos = query.get("qos") ?? "0";
    if (qos !== "0" && qos !== "1" && qos !== "2") {
      return { code: Code.BAD_REQUEST, payload: "qos must be 0, 1 or 2" };
    }
    const retain = query.get("retain") === "true";
    try {
      this.#broker.publish(this.#clock(), {
        topic,
        payload: req.payload.slice(),
        qos: Number(qos) as 0 | 1 | 2,
        retain,
      });
    } catch (e) {
      if (e instanceof TypeError) {
        return { code: Code.BAD_REQUEST, payload: e.message };
      }
      throw e;
    }
    return { code: Code.CHANGED };
  }

  #get(req: CoapRequest): CoapResponse {
    const filter = req.params["*"] ?? "";
    if (req.notification) {
      return { code: Code.CONTENT, payload: this.#filters.get(filter) ?? "" };
    }
    if (uintValue(req.options, OptionNumber.OBSERVE) === 0) {
      const problem = validateTopicFilter(filter);
      if (filter === "" || problem !== undefined) {
        return {
          code: Code.BAD_REQUEST,
          payload: `Invalid topic filter: ${problem ?? "it is empty"}`,
        };
      }
      if (!this.#filters.has(filter)) this.#filters.set(filter, undefined);
      const retained = /[+#]/.test(filter)
        ? undefined
        : this.#broker.retained(filter);
      return { code: Code.CONTENT, payload: retained ?? "" };
    }
    if (filter === "" || /[+#]/.test(filter)) {
      return { code: Code.BAD_REQUEST, payload: "GET needs a topic name" };
    }
    return this.retainedResponse(filter);
  }
}

function parseQuery(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const i = item.indexOf("=");
    if (i < 0) out.set(item, "");
    else out.set(item.slice(0, i), item.slice(i + 1));
  }
  return out;
}
