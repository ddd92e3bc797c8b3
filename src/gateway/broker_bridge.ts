/**
 * The gateway's link to the broker: an in-process subscription, not an MQTT
 * client. Every message the broker accepts (a client's PUBLISH, a will, an
 * internal publish, `$SYS`) reaches the bridge as the broker core's
 * `published` event, drained by the driver (`MqttDriver.onPublished`), and a
 * `GET` of a retained message reads the broker's retained store
 * (`Broker.retainedMessage`).
 *
 * ```
 * Broker core ── published event ──► MqttDriver.pump ──► onMessage(topic, payload, retain)
 *      ▲                                                        │
 *      └──────────── retainedMessage(now, topic) ◄── retained(topic)
 * ```
 *
 * There is no MQTT connection, so there is nothing to authenticate, no
 * client identifier a network client could take over, and `mqtt.
 * allow_anonymous` does not matter. The bridge sees everything; what each
 * CoAP requester may see is decided by the gateway, against the store ACL
 * of that requester, at registration and at every notification
 * (`auth.ts`).
 *
 * @module
 */

import type { Message } from "../mqtt/broker/mod.ts";

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
  /** Payload (owned by the broker: do not modify). */
  readonly payload: Uint8Array;
  /** Whether it was published as retained. */
  readonly retain: boolean;
}

/**
 * What the bridge needs of the broker and its driver (an `MqttService`
 * has both).
 *
 * @example
 * ```ts
 * import type { BridgeTarget } from "./broker_bridge.ts";
 *
 * const target: BridgeTarget = {
 *   broker: { retainedMessage: () => undefined },
 *   driver: { onPublished: () => () => {} },
 * };
 * ```
 */
export interface BridgeTarget {
  /** The broker core: its retained messages. */
  readonly broker: {
    retainedMessage(now: number, topic: string): Readonly<Message> | undefined;
  };
  /** The broker's driver: the messages it accepts. */
  readonly driver: {
    onPublished(listener: (message: BridgeMessage) => void): () => void;
  };
}

/**
 * Options of {@link BrokerBridge}.
 *
 * @example
 * ```ts
 * import type { BrokerBridgeOptions } from "./broker_bridge.ts";
 *
 * const o: BrokerBridgeOptions = { onMessage: () => {}, clock: () => 0 };
 * ```
 */
export interface BrokerBridgeOptions {
  /** Called for every message the broker accepts. */
  readonly onMessage?: (message: BridgeMessage) => void;
  /** Current time in ms, for message expiry of retained messages (default `Date.now`). */
  readonly clock?: () => number;
}

/**
 * The in-process subscriber.
 *
 * @example Messages and retained lookups
 * ```ts
 * import { BrokerBridge } from "./broker_bridge.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { MqttDriver } from "../net/mqtt_driver.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker({ sysInterval: 0, allowAnonymous: false });
 * const driver = new MqttDriver(broker);
 * const seen: string[] = [];
 * const bridge = new BrokerBridge({ broker, driver }, { onMessage: (m) => seen.push(m.topic) });
 * broker.publish(0, { topic: "a/b", payload: new Uint8Array([7]), qos: 0, retain: true });
 * driver.pump();
 * assert.deepEqual(seen, ["a/b"]);
 * assert.deepEqual(bridge.retained("a/b"), new Uint8Array([7]));
 * bridge.close();
 * driver.close();
 * ```
 */
export class BrokerBridge {
  readonly #broker: BridgeTarget["broker"];
  readonly #clock: () => number;
  readonly #off: () => void;

  /**
   * Starts receiving the broker's messages.
   *
   * @param target The broker and its driver.
   * @param options Message callback and clock.
   */
  constructor(target: BridgeTarget, options: BrokerBridgeOptions = {}) {
    this.#broker = target.broker;
    this.#clock = options.clock ?? Date.now;
    const onMessage = options.onMessage;
    this.#off = onMessage === undefined
      ? () => {}
      : target.driver.onPublished((m) =>
        onMessage({ topic: m.topic, payload: m.payload, retain: m.retain })
      );
  }

  /**
   * The retained message of a topic.
   *
   * @param topic The topic name.
   * @returns Its payload, or undefined (none, or expired).
   */
  retained(topic: string): Uint8Array | undefined {
    return this.#broker.retainedMessage(this.#clock(), topic)?.payload;
  }

  /** Stops receiving messages. */
  close(): void {
    this.#off();
  }
}
