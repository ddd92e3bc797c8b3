/**
 * `$SYS/broker/...` statistics under the names Mosquitto publishes them,
 * published as retained messages every `sysInterval` seconds from
 * `handleTimeout`. Load figures are one-minute exponential moving averages
 * of per-minute rates, as Mosquitto's `load/.../1min`.
 *
 * Beside Mosquitto's topics, the server's session sweeper (`src/sessions`)
 * publishes per kind (`mqtt/keep_alive`, `mqtt/session_expiry`,
 * `dtls/<listener>`, `coap/<listener>`, ...), with the figures last fed in
 * through `Broker.setSweepFigures`:
 *
 * - `$SYS/broker/sessions/<kind>/swept`: sessions the sweeper has ended
 *   since the kind was registered;
 * - `$SYS/broker/sessions/<kind>/count`: sessions the kind's table holds
 *   (kinds whose table can tell: MQTT keep-alive counts connections with a
 *   keep alive, session expiry counts disconnected sessions waiting to
 *   expire, DTLS counts associations).
 *
 * @module
 */

import type { SweepFigures } from "../../sessions/sweeper.ts";

/** Counters the broker keeps for `$SYS` and for `Broker.stats`. */
export interface BrokerStats {
  /** Control packets received. */
  messagesReceived: number;
  /** Control packets sent. */
  messagesSent: number;
  /** PUBLISH packets received. */
  publishReceived: number;
  /** PUBLISH packets sent. */
  publishSent: number;
  /** PUBLISH deliveries dropped (queue bound, packet size, expiry, offline QoS 0). */
  publishDropped: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Bytes handed to `pollTransmit`. */
  bytesSent: number;
  /** Connections accepted by CONNACK 0 since start. */
  connectionsAccepted: number;
  /** Most clients connected at once. */
  clientsMaximum: number;
}

/**
 * A zeroed {@link BrokerStats}.
 *
 * @example
 * ```ts
 * import { newStats } from "./sys_topics.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(newStats().publishSent, 0);
 * ```
 */
export function newStats(): BrokerStats {
  return {
    messagesReceived: 0,
    messagesSent: 0,
    publishReceived: 0,
    publishSent: 0,
    publishDropped: 0,
    bytesReceived: 0,
    bytesSent: 0,
    connectionsAccepted: 0,
    clientsMaximum: 0,
  };
}

/** Gauges read from the broker at publish time. */
export interface SysGauges {
  /** Broker version string. */
  version: string;
  /** Seconds since start. */
  uptimeSeconds: number;
  /** Clients connected now. */
  connected: number;
  /** Persistent sessions without a connection. */
  disconnected: number;
  /** Subscriptions across sessions. */
  subscriptions: number;
  /** Retained messages. */
  retained: number;
}

const LOAD_KEYS = [
  ["messages/received", "messagesReceived"],
  ["messages/sent", "messagesSent"],
  ["publish/received", "publishReceived"],
  ["publish/sent", "publishSent"],
  ["bytes/received", "bytesReceived"],
  ["bytes/sent", "bytesSent"],
  ["connections", "connectionsAccepted"],
] as const;

/**
 * One-minute load averages of the counters.
 *
 * @example
 * ```ts
 * import { newStats, SysLoad } from "./sys_topics.ts";
 * import assert from "node:assert/strict";
 *
 * const load = new SysLoad();
 * const stats = newStats();
 * load.update(stats, 0);
 * stats.publishReceived = 600;
 * load.update(stats, 60_000);
 * assert.ok(load.values().get("publish/received")! > 0);
 * ```
 */
export class SysLoad {
  #last: Map<string, number> = new Map();
  #avg: Map<string, number> = new Map();
  #at: number | undefined;

  /** Folds the counters observed at `now` into the averages. */
  update(stats: BrokerStats, now: number): void {
    const dt = this.#at === undefined ? 0 : (now - this.#at) / 1000;
    for (const [name, key] of LOAD_KEYS) {
      const value = stats[key];
      const last = this.#last.get(name) ?? value;
      if (dt > 0) {
        const rate = ((value - last) / dt) * 60;
        const avg = this.#avg.get(name) ?? 0;
        this.#avg.set(name, avg + (rate - avg) * (1 - Math.exp(-dt / 60)));
      } else if (!this.#avg.has(name)) this.#avg.set(name, 0);
      this.#last.set(name, value);
    }
    this.#at = now;
  }

  /** Current averages by load name. */
  values(): Map<string, number> {
    return this.#avg;
  }
}

/**
 * The `$SYS` topics and their text values.
 *
 * @example
 * ```ts
 * import { newStats, SysLoad, sysTopics } from "./sys_topics.ts";
 * import assert from "node:assert/strict";
 *
 * const gauges = { version: "postern 0.1.0", uptimeSeconds: 5, connected: 1, disconnected: 0, subscriptions: 2, retained: 0 };
 * const topics = new Map(sysTopics(newStats(), { gauges, load: new SysLoad() }));
 * assert.equal(topics.get("$SYS/broker/uptime"), "5 seconds");
 * assert.equal(topics.get("$SYS/broker/clients/connected"), "1");
 * ```
 *
 * @example The session sweeper's figures
 * ```ts
 * import { newStats, SysLoad, sysTopics } from "./sys_topics.ts";
 * import assert from "node:assert/strict";
 *
 * const gauges = { version: "postern 0.1.0", uptimeSeconds: 5, connected: 0, disconnected: 0, subscriptions: 0, retained: 0 };
 * const sessions = new Map([["dtls/default", { swept: 3, current: 7 }]]);
 * const topics = new Map(sysTopics(newStats(), { gauges, load: new SysLoad(), sessions }));
 * assert.equal(topics.get("$SYS/broker/sessions/dtls/default/swept"), "3");
 * assert.equal(topics.get("$SYS/broker/sessions/dtls/default/count"), "7");
 * ```
 */
export function sysTopics(
  stats: BrokerStats,
  options: {
    gauges: SysGauges;
    load: SysLoad;
    /** The session sweeper's figures by kind. */
    sessions?: ReadonlyMap<string, SweepFigures>;
  },
): [topic: string, value: string][] {
  const g = options.gauges;
  const out: [string, string][] = [
    ["$SYS/broker/version", g.version],
    ["$SYS/broker/uptime", `${g.uptimeSeconds} seconds`],
    ["$SYS/broker/clients/connected", String(g.connected)],
    ["$SYS/broker/clients/active", String(g.connected)],
    ["$SYS/broker/clients/disconnected", String(g.disconnected)],
    ["$SYS/broker/clients/inactive", String(g.disconnected)],
    ["$SYS/broker/clients/total", String(g.connected + g.disconnected)],
    ["$SYS/broker/clients/maximum", String(stats.clientsMaximum)],
    ["$SYS/broker/messages/received", String(stats.messagesReceived)],
    ["$SYS/broker/messages/sent", String(stats.messagesSent)],
    ["$SYS/broker/publish/messages/received", String(stats.publishReceived)],
    ["$SYS/broker/publish/messages/sent", String(stats.publishSent)],
    ["$SYS/broker/publish/messages/dropped", String(stats.publishDropped)],
    ["$SYS/broker/bytes/received", String(stats.bytesReceived)],
    ["$SYS/broker/bytes/sent", String(stats.bytesSent)],
    ["$SYS/broker/subscriptions/count", String(g.subscriptions)],
    ["$SYS/broker/retained messages/count", String(g.retained)],
  ];
  for (const [name, avg] of options.load.values()) {
    out.push([`$SYS/broker/load/${name}/1min`, avg.toFixed(2)]);
  }
  for (const [kind, f] of options.sessions ?? []) {
    out.push([`$SYS/broker/sessions/${kind}/swept`, String(f.swept)]);
    if (f.current !== undefined) {
      out.push([`$SYS/broker/sessions/${kind}/count`, String(f.current)]);
    }
  }
  return out;
}
