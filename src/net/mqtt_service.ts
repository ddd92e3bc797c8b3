/**
 * The one MQTT broker of a server: a `Broker` core, the {@link MqttDriver}
 * that runs it over sockets, and its Deno KV session store under
 * `POSTERN_DATA_DIR` (`mqtt.kv`). Every MQTT listener (TCP, TLS, WebSocket)
 * serves its connections through the same service, so a client on one
 * transport receives what a client on another publishes.
 *
 * Keep-alive and session expiry run on a {@link SweeperService} (the
 * server's one sweeper when given, else one of the service's own), as the
 * kinds `mqtt/keep_alive` and `mqtt/session_expiry`; the sweeper's figures
 * of every kind go to the broker for `$SYS/broker/sessions/...`.
 *
 * Start: open the store, load it, `broker.restore(snapshot)`. Close: end
 * every connection (wills are published), hand the last changes to the
 * store, wait until they are written, close the store.
 *
 * @module
 */

import { Broker, type BrokerOptions } from "../mqtt/broker/mod.ts";
import type { SessionStore } from "../mqtt/broker/mod.ts";
import { KvSessionStore } from "../mqtt/kv_session_store.ts";
import type { Logger } from "../log/mod.ts";
import { MqttDriver, type MqttDriverOptions } from "./mqtt_driver.ts";
import { SweeperService } from "./sweeper_service.ts";

/**
 * Options of {@link MqttService.start}.
 *
 * @example
 * ```ts
 * import type { MqttServiceOptions } from "./mqtt_service.ts";
 *
 * const options: MqttServiceOptions = { dataDir: "./data", broker: { sysInterval: 0 } };
 * ```
 */
export interface MqttServiceOptions {
  /** Directory of the KV file; absent: sessions live in memory only. */
  dataDir?: string;
  /** Broker options (the store is set by the service). */
  broker?: Omit<BrokerOptions, "store">;
  /** Driver options (the logger is set by the service). */
  driver?: Omit<MqttDriverOptions, "logger">;
  /** Clock in ms (default `Date.now`). */
  clock?: () => number;
  /** The sweeper to run keep-alive and session expiry on (default: own). */
  sweeper?: SweeperService;
  /** Interval of the keep-alive sweep, ms (default 1000). */
  keepAliveSweepMs?: number;
  /** Interval of the session-expiry sweep, ms (default 1000). */
  sessionSweepMs?: number;
}

/**
 * A running broker with its driver and store.
 *
 * @example In memory
 * ```ts
 * import { MqttService } from "./mqtt_service.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const service = await MqttService.start(new Logger({ sink: () => {} }), { broker: { sysInterval: 0 } });
 * assert.equal(service.broker.connectionCount, 0);
 * await service.close();
 * ```
 */
export class MqttService {
  /** The broker core. */
  readonly broker: Broker;
  /** The driver every listener hands its connections to. */
  readonly driver: MqttDriver;
  readonly #store: KvSessionStore | undefined;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #sweeper: SweeperService;
  readonly #ownSweeper: boolean;
  readonly #sweepNames: string[];
  readonly #stopFigures: () => void;
  #closing: Promise<void> | undefined;

  private constructor(
    parts: {
      broker: Broker;
      driver: MqttDriver;
      store: KvSessionStore | undefined;
    },
    options: {
      clock: () => number;
      logger: Logger;
      options: MqttServiceOptions;
    },
  ) {
    this.broker = parts.broker;
    this.driver = parts.driver;
    this.#store = parts.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    const given = options.options.sweeper;
    this.#ownSweeper = given === undefined;
    this.#sweeper = given ??
      new SweeperService(options.logger, options.clock);
    const targets = this.broker.sweepTargets({
      keepAliveMs: options.options.keepAliveSweepMs ?? 1000,
      sessionsMs: options.options.sessionSweepMs ?? 1000,
      afterSweep: () => this.driver.pump(),
    });
    for (const t of targets) this.#sweeper.register(t);
    this.#sweepNames = targets.map((t) => t.name);
    this.#stopFigures = this.#sweeper.onFigures((f) =>
      this.broker.setSweepFigures(f)
    );
  }

  /**
   * Opens the store, restores what it held and starts the broker.
   *
   * @param logger Where the service logs.
   * @param options Data directory, broker and driver options.
   * @returns The service.
   */
  static async start(
    logger: Logger,
    options: MqttServiceOptions = {},
  ): Promise<MqttService> {
    const clock = options.clock ?? Date.now;
    let store: KvSessionStore | undefined;
    if (options.dataDir !== undefined) {
      await Deno.mkdir(options.dataDir, { recursive: true });
      const path = `${options.dataDir}/mqtt.kv`;
      store = await KvSessionStore.open(path);
      try {
        const snapshot = await store.load();
        const broker = new Broker({ ...options.broker, store });
        broker.restore(snapshot, clock());
        logger.info("mqtt.store_loaded", {
          path,
          sessions: snapshot.sessions.length,
          retained: snapshot.retained.length,
        });
        return MqttService.#build(broker, store, { logger, clock, options });
      } catch (err) {
        store.close();
        throw err;
      }
    }
    const broker = new Broker({ ...options.broker });
    return MqttService.#build(broker, undefined, { logger, clock, options });
  }

  static #build(
    broker: Broker,
    store: KvSessionStore | undefined,
    ctx: { logger: Logger; clock: () => number; options: MqttServiceOptions },
  ): MqttService {
    const driver = new MqttDriver(broker, {
      ...ctx.options.driver,
      logger: ctx.logger,
      clock: ctx.clock,
    });
    driver.pump();
    return new MqttService({ broker, driver, store }, ctx);
  }

  /** The session store, when persistent. */
  get store(): SessionStore | undefined {
    return this.#store;
  }

  /** Ends every connection, writes pending state and closes the store. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopFigures();
      for (const name of this.#sweepNames) this.#sweeper.unregister(name);
      if (this.#ownSweeper) await this.#sweeper.close();
      this.driver.close();
      const store = this.#store;
      if (store === undefined) return;
      try {
        for (let i = 0; i < 3; i++) {
          await store.settled();
          await Promise.resolve();
          this.broker.flushStore(this.#clock());
        }
        await store.settled();
        for (let e = this.broker.pollEvent(); e; e = this.broker.pollEvent()) {
          if (e.kind === "store_error") {
            this.#logger.error("mqtt.store_error", { error: e.error });
          }
        }
      } finally {
        store.close();
      }
    })();
    return this.#closing;
  }
}
