/**
 * The CoAP ↔ MQTT gateway. Two sets of resources, identical over CoAP and
 * CoAPS:
 *
 * EMQX's CoAP gateway, "pub/sub", connectionless or in connection mode
 * (`connection_mode.ts`: `/mqtt/connection`, then `clientid` and `token`
 * in the query of every request):
 *
 * | CoAP request                        | MQTT                               |
 * | ----------------------------------- | ---------------------------------- |
 * | `POST`/`PUT /ps/{topic}?qos=1&retain=true` | publish → 2.04 Changed      |
 * | `GET /ps/{topic}`                   | retained message → 2.05 (or 4.04)  |
 * | `GET /ps/{filter}` with Observe 0   | subscribe: each match → notification |
 *
 * and ThingsBoard's CoAP device API (`device_api.ts`) on
 * `devices/{device}/...` topics.
 *
 * Topic levels are Uri-Path segments, so `+` and `#` are sent
 * percent-encoded (`/ps/a/%2B`, `/ps/%23`). Every request is identified and
 * checked against the store's ACL by {@link GatewayAuth} before it
 * publishes, reads or subscribes: a publish goes into the broker as the
 * requester's subject, under the rules MQTT clients of that subject meet.
 *
 * Observations: each (endpoint, observed path) is one subscription with a
 * topic filter and the last message that matched it. {@link
 * CoapGateway.deliver} notifies the observers of that path at that
 * endpoint only, so every device observing `/api/v1/rpc` gets its own RPC
 * requests; the notification handler answers with the subscription's last
 * message, and a Block2 follow-up of a large notification is served from
 * it too. A subscription that no CoAP server still observes is dropped at
 * the next message that matches it.
 *
 * Sans-IO: time comes from the injected clock; messages arrive through
 * {@link CoapGateway.deliver}, and notifications leave through the attached
 * {@link NotifySink}s (one per CoAP server: UDP, DTLS).
 *
 * @module
 */

import { Code } from "../coap/codes.ts";
import { CoapError } from "../coap/errors.ts";
import { decodeBlock } from "../coap/block.ts";
import { OptionNumber, optionValues, uintValue } from "../coap/options.ts";
import type { CoapRequest, CoapResponse, Router } from "../coap/router.ts";
import type { PeerId } from "../coap/message_layer.ts";
import type { InternalPublish } from "../mqtt/broker/mod.ts";
import { topicMatches, validateTopicFilter } from "../mqtt/topic.ts";
import { GatewayAuth, type Requester } from "./auth.ts";
import {
  CoapConnections,
  connectionRoutes,
  type ConnectionRoutesOptions,
  identifyPubSub,
} from "./connection_mode.ts";
import { deviceApiRoutes } from "./device_api.ts";
import { parseQuery } from "./query.ts";

export { parseQuery } from "./query.ts";

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
  /** Notifies the observers of `path` (at `peer` only, if given); returns how many. */
  notify(now: number, path: string, peer?: PeerId): number;
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
  /** Prefix of the pub/sub resources (default `ps`). */
  readonly prefix?: string;
  /** Identification and ACLs (default: open, everyone anonymous). */
  readonly auth?: GatewayAuth;
  /** Connection mode's table (default: not required, 30 s heartbeat). */
  readonly connections?: CoapConnections;
}

/**
 * A message that matched a subscription.
 *
 * @example
 * ```ts
 * import type { Delivered } from "./mapping.ts";
 *
 * const d: Delivered = { topic: "a/b", payload: new Uint8Array([1]) };
 * ```
 */
export interface Delivered {
  /** Its topic. */
  readonly topic: string;
  /** Its payload. */
  readonly payload: Uint8Array;
}

interface Subscription {
  readonly peer: PeerId;
  readonly path: string;
  readonly filter: string;
  last: Delivered | undefined;
}

/**
 * What a GET handler is asked to do.
 *
 * @example
 * ```ts
 * import type { GetKind } from "./mapping.ts";
 *
 * const kind: GetKind = "observe";
 * ```
 */
export type GetKind = "read" | "observe" | "notification";

/**
 * The gateway: resources, publishing and observations.
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
  readonly #auth: GatewayAuth;
  readonly #connections: ConnectionRoutesOptions;
  readonly #sinks = new Set<NotifySink>();
  /** Subscriptions by `peer \n path`. */
  readonly #subscriptions = new Map<string, Subscription>();
  /** Subscriptions without wildcards, by topic. */
  readonly #exact = new Map<string, Set<Subscription>>();
  /** Subscriptions with wildcards. */
  readonly #wild = new Set<Subscription>();

  /**
   * @param broker Publishing and retained lookups.
   * @param options Clock, prefix and authorization.
   */
  constructor(broker: GatewayBroker, options: CoapGatewayOptions) {
    this.#broker = broker;
    this.#clock = options.clock;
    this.#prefix = options.prefix ?? "ps";
    this.#auth = options.auth ?? new GatewayAuth();
    this.#connections = {
      connections: options.connections ?? new CoapConnections(),
      auth: this.#auth,
      clock: this.#clock,
    };
  }

  /** Identification and ACL checks. */
  get auth(): GatewayAuth {
    return this.#auth;
  }

  /** Connection mode's connections (`/mqtt/connection`). */
  get connections(): CoapConnections {
    return this.#connections.connections;
  }

  /** Topic filters with (possibly) live observers. */
  get observedFilters(): string[] {
    return [...new Set([...this.#subscriptions.values()].map((s) => s.filter))];
  }

  /** Subscriptions held (one per endpoint and observed path). */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /**
   * Adds the `/{prefix}/...`, `/mqtt/connection` and `/api/v1/...`
   * resources to a router.
   *
   * @param router The router.
   * @returns The router.
   */
  routes(router: Router): Router {
    const pattern = `/${this.#prefix}/*`;
    const publish = (req: CoapRequest) => this.#psPublish(req);
    router
      .add("POST", pattern, publish, { rt: "core.ps", obs: true })
      .add("PUT", pattern, publish)
      .add("GET", pattern, (req) => this.#psGet(req));
    connectionRoutes(router, this.#connections);
    return deviceApiRoutes(router, this);
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
    const matched = [...this.#exact.get(topic) ?? []];
    for (const s of this.#wild) {
      if (topicMatches(s.filter, topic)) matched.push(s);
    }
    let total = 0;
    for (const s of matched) {
      s.last = { topic, payload };
      let n = 0;
      for (const sink of this.#sinks) n += sink.notify(now, s.path, s.peer);
      if (n === 0) this.#unsubscribe(s);
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

  /**
   * Publishes for a requester after its ACL allows it.
   *
   * @param who The requester.
   * @param message What to publish.
   * @throws {CoapError} 4.03 when refused, 4.00 for an invalid topic.
   */
  async publish(who: Requester, message: InternalPublish): Promise<void> {
    if (message.topic === "") {
      throw new CoapError(Code.BAD_REQUEST, "The topic is empty");
    }
    await this.#auth.authorize(who, "publish", message.topic);
    try {
      this.#broker.publish(this.#clock(), message);
    } catch (e) {
      if (e instanceof TypeError) {
        throw new CoapError(Code.BAD_REQUEST, e.message);
      }
      throw e;
    }
  }

  /**
   * What a GET asks for: a notification refresh, an Observe registration,
   * or a plain read.
   *
   * @param req The request.
   * @returns The kind.
   */
  getKind(req: CoapRequest): GetKind {
    if (req.notification) return "notification";
    return uintValue(req.options, OptionNumber.OBSERVE) === 0 &&
        !isLaterBlock(req)
      ? "observe"
      : "read";
  }

  /**
   * Subscribes the requester's endpoint, for the observed path, to a topic
   * filter once its ACL allows it.
   *
   * @param req The GET with Observe 0.
   * @param who The requester.
   * @param filter The topic filter.
   * @throws {CoapError} 4.00 for an invalid filter, 4.03 when refused.
   */
  async subscribe(
    req: CoapRequest,
    who: Requester,
    filter: string,
  ): Promise<void> {
    const problem = validateTopicFilter(filter);
    if (filter === "" || problem !== undefined) {
      throw new CoapError(
        Code.BAD_REQUEST,
        `Invalid topic filter: ${problem ?? "it is empty"}`,
      );
    }
    await this.#auth.authorize(who, "subscribe", filter);
    const key = subscriptionKey(req);
    const old = this.#subscriptions.get(key);
    if (old !== undefined && old.filter === filter) return;
    if (old !== undefined) this.#unsubscribe(old);
    const s: Subscription = {
      peer: req.peer,
      path: `/${req.path.join("/")}`,
      filter,
      last: undefined,
    };
    this.#subscriptions.set(key, s);
    if (/[+#]/.test(filter)) this.#wild.add(s);
    else {
      let set = this.#exact.get(filter);
      if (set === undefined) this.#exact.set(filter, set = new Set());
      set.add(s);
    }
  }

  /**
   * The last message of the subscription a notification (or the Block2
   * follow-up of one) belongs to.
   *
   * @param req The notification refresh or block request.
   * @returns The message, if one matched since the registration.
   */
  lastDelivered(req: CoapRequest): Delivered | undefined {
    return this.#subscriptions.get(subscriptionKey(req))?.last;
  }

  /**
   * Forgets every subscription of an endpoint (its session ended).
   *
   * @param peer The endpoint.
   * @returns How many were dropped.
   */
  forgetPeer(peer: PeerId): number {
    let n = 0;
    for (const s of [...this.#subscriptions.values()]) {
      if (s.peer !== peer) continue;
      this.#unsubscribe(s);
      n++;
    }
    return n;
  }

  #unsubscribe(s: Subscription): void {
    this.#subscriptions.delete(`${s.peer}\n${s.path}`);
    this.#wild.delete(s);
    const set = this.#exact.get(s.filter);
    set?.delete(s);
    if (set?.size === 0) this.#exact.delete(s.filter);
  }

  async #psPublish(req: CoapRequest): Promise<CoapResponse> {
    const topic = req.params["*"] ?? "";
    const query = parseQuery(req.query);
    const qos = query.get("qos") ?? "0";
    if (qos !== "0" && qos !== "1" && qos !== "2") {
      return { code: Code.BAD_REQUEST, payload: "qos must be 0, 1 or 2" };
    }
    const who = await identifyPubSub(req, this.#connections);
    await this.publish(who, {
      topic,
      payload: req.payload.slice(),
      qos: Number(qos) as 0 | 1 | 2,
      retain: query.get("retain") === "true",
    });
    return { code: Code.CHANGED };
  }

  async #psGet(req: CoapRequest): Promise<CoapResponse> {
    const filter = req.params["*"] ?? "";
    const who = await identifyPubSub(req, this.#connections);
    switch (this.getKind(req)) {
      case "notification": {
        await this.#auth.authorize(who, "subscribe", filter);
        return {
          code: Code.CONTENT,
          payload: this.lastDelivered(req)?.payload ?? "",
        };
      }
      case "observe": {
        await this.subscribe(req, who, filter);
        const retained = /[+#]/.test(filter)
          ? undefined
          : this.#broker.retained(filter);
        return { code: Code.CONTENT, payload: retained ?? "" };
      }
      case "read": {
        const last = isLaterBlock(req) ? this.lastDelivered(req) : undefined;
        if (last !== undefined) {
          await this.#auth.authorize(who, "subscribe", filter);
          return { code: Code.CONTENT, payload: last.payload };
        }
        if (filter === "" || /[+#]/.test(filter)) {
          return { code: Code.BAD_REQUEST, payload: "GET needs a topic name" };
        }
        await this.#auth.authorize(who, "subscribe", filter);
        return this.retainedResponse(filter);
      }
    }
  }
}

function subscriptionKey(req: CoapRequest): string {
  return `${req.peer}\n/${req.path.join("/")}`;
}

/** A Block2 request past the first block (RFC 7959 §2.4). */
function isLaterBlock(req: CoapRequest): boolean {
  const raw = optionValues(req.options, OptionNumber.BLOCK2)[0];
  if (raw === undefined) return false;
  try {
    return decodeBlock(raw).num > 0;
  } catch {
    return false;
  }
}
