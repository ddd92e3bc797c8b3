/**
 * An internal MQTT subscriber of the broker, for gateways: the broker has
 * no in-process subscription API, so the bridge is an ordinary MQTT 5.0
 * client over an in-memory {@link ByteStream} served by the broker's
 * driver (`MqttDriver.serve`). It subscribes to `#` with Retain As
 * Published, so it sees every message (not `$SYS`) and keeps a mirror of
 * the retained messages for `GET` lookups.
 *
 * ```
 * driver.serve(stream) ◄── CONNECT, SUBSCRIBE # (rap) ── BrokerBridge
 *        │ PUBLISH (retain as published)                     │
 *        └──────────────────────────────► onMessage(topic, payload, retain)
 * ```
 *
 * Limits: the bridge connects anonymously, so it needs
 * `mqtt.allow_anonymous` and an anonymous ACL that allows subscribing to
 * `#`; messages reach it at QoS 0.
 *
 * @module
 */

import type { ByteStream } from "../net/byte_stream.ts";
import type { ConnectionInfo } from "../mqtt/broker/mod.ts";
import { encodePacket, MqttStreamDecoder } from "../mqtt/mod.ts";

/**
 * A message the bridge received from the broker.
 *
 * @example
 * ```ts
 * import type { BridgeMessage } from "./broker_bridge.ts";
 * import assert from "node:assert/strict";
 *
 * const m: BridgeMessage = { topic: "a/b", payload: new Uint8Array([1]), retain: false };
 * assert.equal(m.topic, "a/b");
 * ```
 */
export interface BridgeMessage {
  /** Topic name. */
  readonly topic: string;
  /** Payload. */
  readonly payload: Uint8Array;
  /** Whether it was published (or is delivered) as retained. */
  readonly retain: boolean;
}

/**
 * What the bridge needs of the broker's driver.
 *
 * @example
 * ```ts
 * import type { BridgeDriver } from "./broker_bridge.ts";
 *
 * const driver: BridgeDriver = { serve: () => Promise.resolve() };
 * ```
 */
export interface BridgeDriver {
  /** Serves one connection until it ends. */
  serve(stream: ByteStream, info: ConnectionInfo): Promise<void>;
}

/**
 * Options of {@link BrokerBridge}.
 *
 * @example
 * ```ts
 * import type { BrokerBridgeOptions } from "./broker_bridge.ts";
 *
 * const o: BrokerBridgeOptions = { clientId: "$gw", onMessage: () => {} };
 * ```
 */
export interface BrokerBridgeOptions {
  /** MQTT client identifier (default `postern-coap-gateway`). */
  readonly clientId?: string;
  /** Called for every message delivered to the bridge. */
  readonly onMessage?: (message: BridgeMessage) => void;
}

class MemoryStream implements ByteStream {
  readonly #inbound: Uint8Array[] = [];
  readonly #onWrite: (data: Uint8Array) => void;
  #waiter: (() => void) | undefined;
  #closed = false;

  constructor(onWrite: (data: Uint8Array) => void) {
    this.#onWrite = onWrite;
  }

  push(data: Uint8Array): void {
    if (this.#closed) return;
    this.#inbound.push(data);
    this.#waiter?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#inbound.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
      this.#waiter = undefined;
    }
    const head = this.#inbound[0]!;
    const n = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, n));
    if (n === head.length) this.#inbound.shift();
    else this.#inbound[0] = head.subarray(n);
    return n;
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Error("Stream closed"));
    this.#onWrite(data);
    return Promise.resolve(data.length);
  }

  close(): void {
    this.#closed = true;
    this.#waiter?.();
  }
}

/**
 * The internal subscriber.
 *
 * @example Messages and retained lookups
 * ```ts
 * import { BrokerBridge } from "./broker_bridge.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { MqttDriver } from "../net/mqtt_driver.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker({ sysInterval: 0 });
 * const driver = new MqttDriver(broker);
 * const seen: string[] = [];
 * const bridge = new BrokerBridge(driver, { onMessage: (m) => seen.push(m.topic) });
 * await bridge.ready;
 * broker.publish(0, { topic: "a/b", payload: new Uint8Array([7]), qos: 0, retain: true });
 * driver.pump();
 * await new Promise((r) => setTimeout(r, 10));
 * assert.deepEqual(seen, ["a/b"]);
 * assert.deepEqual(bridge.retained("a/b"), new Uint8Array([7]));
 * bridge.close();
 * driver.close();
 * ```
 */
export class BrokerBridge {
  readonly #stream: MemoryStream;
  readonly #decoder = new MqttStreamDecoder({ version: 5 });
  readonly #retained = new Map<string, Uint8Array>();
  readonly #onMessage: ((message: BridgeMessage) => void) | undefined;
  readonly #ready = Promise.withResolvers<void>();
  readonly #done: Promise<void>;

  /** Resolves when the subscription to `#` is acknowledged. */
  readonly ready: Promise<void>;

  /**
   * Connects to the broker through its driver and subscribes to `#`.
   *
   * @param driver The broker's driver.
   * @param options Client identifier and message callback.
   */
  constructor(driver: BridgeDriver, options: BrokerBridgeOptions = {}) {
    this.#onMessage = options.onMessage;
    this.ready = this.#ready.promise;
    this.#stream = new MemoryStream((data) => this.#receive(data));
    this.#done = driver.serve(this.#stream, {
      remoteAddress: "internal:coap-gateway",
      transport: "tcp",
    }).catch(() => {});
    void this.#done.then(() =>
      this.#ready.reject(new Error("Bridge connection closed"))
    );
    this.ready.catch(() => {});
    this.#stream.push(encodePacket({
      type: "connect",
      protocolVersion: 5,
      clean: true,
      keepAlive: 0,
      clientId: options.clientId ?? "postern-coap-gateway",
    }, 5));
  }

  /**
   * The retained message of a topic, as far as the bridge has seen.
   *
   * @param topic The topic name.
   * @returns Its payload, or undefined.
   */
  retained(topic: string): Uint8Array | undefined {
    return this.#retained.get(topic);
  }

  /** Disconnects from the broker. */
  close(): void {
    this.#stream.close();
  }

  #receive(data: Uint8Array): void {
    this.#decoder.push(data);
    for (let p = this.#decoder.next(); p; p = this.#decoder.next()) {
      switch (p.type) {
        case "connack":
          if (p.reasonCode !== 0) {
            this.#ready.reject(
              new Error(
                `Bridge connection refused: 0x${p.reasonCode.toString(16)}`,
              ),
            );
            this.close();
            break;
          }
          this.#stream.push(encodePacket({
            type: "subscribe",
            packetId: 1,
            subscriptions: [{
              topicFilter: "#",
              qos: 0,
              retainAsPublished: true,
            }],
          }, 5));
          break;
        case "suback":
          if ((p.reasonCodes[0] ?? 0x80) >= 0x80) {
            this.#ready.reject(
              new Error("Bridge subscription to # was refused"),
            );
          } else this.#ready.resolve();
          break;
        case "publish": {
          const payload = p.payload.slice();
          if (p.retain) {
            if (payload.length === 0) this.#retained.delete(p.topic);
            else this.#retained.set(p.topic, payload);
          }
          this.#onMessage?.({ topic: p.topic, payload, retain: p.retain });
          break;
        }
        default:
          break;
      }
    }
  }
}
