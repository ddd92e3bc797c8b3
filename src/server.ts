/**
 * The composition root: builds the listeners the configuration enables.
 *
 * Each protocol listener plugs in as a {@link ListenerFactory} for its
 * family in {@link listenerFactories}: MQTT over TCP, TLS and (secure)
 * WebSocket are there (`src/net/mqtt_listeners.ts`); CoAP over UDP and DTLS
 * plug in the same way. A family without a factory is reported
 * (`listener.unavailable`, "not implemented in this build") and skipped.
 * Services shared by several listeners (the one MQTT broker) live in the
 * context's {@link ServiceRegistry}, created on first use and closed after
 * the listeners.
 *
 * {@link startServer}:
 * 1. with the embedded default, makes the development certificates (an
 *    injected `ensureDevCertificates`), and skips the TLS and DTLS listeners
 *    with a warning if they still cannot be read;
 * 2. checks every file the configuration names (`checkFiles`), throwing a
 *    {@link ConfigValidationError} with every problem;
 * 3. starts each enabled listener in order, logging `listener.started` with
 *    its real address; if one fails (port in use) the others are closed and
 *    a {@link ConfigError} naming the listener, its port and its `bind` key
 *    (or variable) is thrown.
 *
 * @module
 */

import {
  checkFiles,
  ConfigError,
  ConfigOrigins,
  ConfigValidationError,
  describeFamily,
  DEV_CERTIFICATES,
  type ListenerConfig,
  type ListenerFamily,
  listenerField,
  listenerId,
  type PosternConfig,
  type ReadFile,
  type TlsFileChecker,
} from "./config/mod.ts";
import type { Logger } from "./log/mod.ts";
import { mqttListenerFactories } from "./net/mqtt_listeners.ts";
import { dtlsListenerFactory } from "./net/dtls_listener.ts";
import { coapListenerFactory } from "./net/coap_listener.ts";

/**
 * Where a listener is bound.
 *
 * @example
 * ```ts
 * import { formatAddress, type ListenerAddress } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const address: ListenerAddress = { host: "::", port: 8883 };
 * assert.equal(formatAddress(address), "[::]:8883");
 * ```
 */
export interface ListenerAddress {
  /** Bound IP address or host name (IPv6 without brackets). */
  readonly host: string;
  /** Bound port: the real one when 0 was asked for. */
  readonly port: number;
}

/**
 * A running listener, as returned by its factory.
 *
 * @example A listener that holds nothing
 * ```ts
 * import type { Listener } from "./server.ts";
 *
 * let open = true;
 * const listener: Listener = {
 *   family: "tcp",
 *   name: "default",
 *   address: { host: "127.0.0.1", port: 1883 },
 *   close: () => {
 *     open = false;
 *     return Promise.resolve();
 *   },
 * };
 * await listener.close();
 * ```
 */
export interface Listener {
  /** Its family. */
  readonly family: ListenerFamily;
  /** Its name. */
  readonly name: string;
  /** Where it is bound. */
  readonly address: ListenerAddress;
  /** Stops accepting and ends its connections. */
  close(): Promise<void>;
}

/**
 * What a factory gets besides its listener's configuration.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config/mod.ts";
 * import { Logger } from "./log/mod.ts";
 * import type { ServerContext } from "./server.ts";
 *
 * const ctx: ServerContext = { config: defaultConfig(), logger: new Logger() };
 * ```
 */
export interface ServerContext {
  /** The whole configuration. */
  readonly config: PosternConfig;
  /** A logger whose lines carry the listener (`listener=ssl/default`). */
  readonly logger: Logger;
  /** Services shared by listeners (always set by {@link startServer}). */
  readonly services?: ServiceRegistry;
}

/**
 * Something several listeners share, closed after them.
 *
 * @example
 * ```ts
 * import type { SharedService } from "./server.ts";
 *
 * const none: SharedService = { close: () => Promise.resolve() };
 * ```
 */
export interface SharedService {
  /** Releases it; called once, after every listener closed. */
  close(): Promise<void>;
}

/**
 * Services shared by listeners, by key: created on first use, closed last
 * created first.
 *
 * @example
 * ```ts
 * import { ServiceRegistry } from "./server.ts";
 * import { Logger } from "./log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const services = new ServiceRegistry(new Logger({ sink: () => {} }));
 * let made = 0;
 * const create = () => Promise.resolve({ n: ++made, close: () => Promise.resolve() });
 * const a = await services.get("x", create);
 * assert.equal(a, await services.get("x", create));
 * assert.equal(made, 1);
 * await services.close();
 * ```
 */
export class ServiceRegistry {
  readonly #logger: Logger;
  readonly #entries = new Map<string, Promise<SharedService>>();

  /** @param logger The server's logger; services get a child with `service=KEY`. */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * The service under `key`, made by `create` the first time.
   *
   * @param key Its name.
   * @param create Makes it, given a logger for it.
   * @returns The service.
   */
  get<T extends SharedService>(
    key: string,
    create: (logger: Logger) => Promise<T>,
  ): Promise<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = create(this.#logger.child({ service: key }));
      this.#entries.set(key, entry);
      entry.catch(() => this.#entries.delete(key));
    }
    return entry as Promise<T>;
  }

  /** Closes every service, last created first; never rejects. */
  async close(): Promise<void> {
    const entries = [...this.#entries].reverse();
    this.#entries.clear();
    for (const [key, entry] of entries) {
      try {
        await (await entry).close();
      } catch (err) {
        this.#logger.error("service.close_failed", {
          service: key,
          error: err,
        });
      }
    }
  }
}

/**
 * Binds and starts one listener of a family; rejects if it cannot (the
 * error, such as `Deno.errors.AddrInUse`, is reported with the listener).
 *
 * @example
 * ```ts
 * import type { ListenerFactory } from "./server.ts";
 *
 * const tcp: ListenerFactory = (cfg) => {
 *   const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
 *   return Promise.resolve({
 *     family: cfg.family,
 *     name: cfg.name,
 *     address: { host: socket.addr.hostname, port: socket.addr.port },
 *     close: () => Promise.resolve(socket.close()),
 *   });
 * };
 * ```
 */
export type ListenerFactory = (
  cfg: ListenerConfig,
  ctx: ServerContext,
) => Promise<Listener>;

/**
 * A factory per family.
 *
 * @example
 * ```ts
 * import type { ListenerFactories } from "./server.ts";
 *
 * const none: ListenerFactories = {};
 * ```
 */
export type ListenerFactories = Partial<
  Record<ListenerFamily, ListenerFactory>
>;

/**
 * The listener factories of this build: MQTT over TCP, TLS, WebSocket and
 * secure WebSocket, and CoAP (with the MQTT gateway) over UDP and DTLS.
 *
 * @example
 * ```ts
 * import { listenerFactories } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof listenerFactories.tcp, "function");
 * assert.equal(typeof listenerFactories.dtls, "function");
 * assert.equal(typeof listenerFactories.coap, "function");
 * ```
 */
export const listenerFactories: Readonly<ListenerFactories> = {
  ...mqttListenerFactories,
  coap: coapListenerFactory,
  dtls: dtlsListenerFactory,
};

/**
 * Makes the development CA, server and client certificates in `dir` unless
 * they exist (`ensureDevCertificates` of `cli/certs.ts`).
 *
 * @example
 * ```ts
 * import type { EnsureDevCertificates } from "./server.ts";
 *
 * const alreadyThere: EnsureDevCertificates = () => Promise.resolve({ created: false });
 * ```
 */
export type EnsureDevCertificates = (
  dir: string,
) => Promise<{ created: boolean }>;

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * import { Logger } from "./log/mod.ts";
 * import type { StartServerOptions } from "./server.ts";
 *
 * const options: StartServerOptions = {
 *   logger: new Logger(),
 *   factories: {},
 *   readFile: () => Promise.resolve(new Uint8Array()),
 * };
 * ```
 */
export interface StartServerOptions {
  /** Where lines go. */
  logger: Logger;
  /** Factories to use instead of {@link listenerFactories}. */
  factories?: ListenerFactories;
  /**
   * Makes the development certificates when the embedded default is in
   * force; without it they must already exist, or the TLS and DTLS
   * listeners are skipped.
   */
  ensureDevCertificates?: EnsureDevCertificates;
  /** Reads files for the file checks (default `Deno.readFile`). */
  readFile?: ReadFile;
  /** Where values came from (from `loadConfig`), to name the right key in errors. */
  origins?: ConfigOrigins;
  /** File checkers to use instead of the default ones. */
  checkers?: readonly TlsFileChecker[];
}

/**
 * The running server.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config/mod.ts";
 * import { Logger } from "./log/mod.ts";
 * import { type Server, startServer } from "./server.ts";
 *
 * const config = defaultConfig();
 * config.dataDir = await Deno.makeTempDir();
 * config.listeners = config.listeners.map((l) => ({ ...l, host: "127.0.0.1", port: 0 }));
 * const server: Server = await startServer(config, {
 *   logger: new Logger({ sink: () => {} }),
 *   readFile: () => Promise.reject(new Deno.errors.NotFound("no certificates")),
 * });
 * await server.close();
 * ```
 */
export interface Server {
  /** Listeners that started, in start order. */
  readonly listeners: readonly Listener[];
  /** Enabled listeners that were not started (no factory, or no certificates). */
  readonly unavailable: readonly ListenerConfig[];
  /** Closes every listener, last started first; safe to call again. */
  close(): Promise<void>;
}

/**
 * Formats an address as `host:port`, IPv6 in brackets.
 *
 * @param address Host and port.
 * @returns Such as `0.0.0.0:1883` or `[::1]:5684`.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAddress({ host: "0.0.0.0", port: 1883 }), "0.0.0.0:1883");
 * assert.equal(formatAddress({ host: "::1", port: 5684 }), "[::1]:5684");
 * ```
 */
export function formatAddress(address: ListenerAddress): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/**
 * Starts every enabled listener that has a factory.
 *
 * @param config A configuration without errors (from `loadConfig`).
 * @param options Logger, factories, certificate maker, file reader, origins.
 * @returns The running server.
 * @throws {ConfigValidationError} When files named by the configuration
 *   cannot be used; it carries every problem.
 * @throws {ConfigError} When a listener cannot start; `path` is its `bind`
 *   key or port variable. The listeners already started are closed.
 *
 * @example Start a listener from a fake factory
 * ```ts
 * import { loadConfig } from "./config/mod.ts";
 * import { Logger } from "./log/mod.ts";
 * import { startServer } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const { config } = loadConfig({
 *   env: {},
 *   fileText: '{"listeners": {"tcp": {"default": {"bind": "127.0.0.1:0"}}, "coap": {"default": {"enable": false}}}}',
 * });
 * const lines: string[] = [];
 * const server = await startServer(config, {
 *   logger: new Logger({ sink: (l) => lines.push(l) }),
 *   factories: {
 *     // A real factory binds cfg.host and cfg.port and reports the bound port.
 *     tcp: (cfg) =>
 *       Promise.resolve({
 *         family: cfg.family,
 *         name: cfg.name,
 *         address: { host: cfg.host, port: 40000 },
 *         close: () => Promise.resolve(),
 *       }),
 *   },
 * });
 * assert.equal(server.listeners.length, 1);
 * assert.ok(lines.some((l) => l.includes("listener.started") && l.includes("port=40000")));
 * await server.close();
 * ```
 */
export async function startServer(
  config: PosternConfig,
  options: StartServerOptions,
): Promise<Server> {
  const { logger } = options;
  const factories = options.factories ?? listenerFactories;
  const origins = options.origins ?? new ConfigOrigins();
  const readFile = options.readFile ?? Deno.readFile;
  const unavailable: ListenerConfig[] = [];
  let enabled = config.listeners.filter((l) => l.enabled);

  if (config.devCertificates) {
    const ready = await prepareDevCertificates(readFile, {
      logger,
      ...(options.ensureDevCertificates === undefined
        ? {}
        : { ensure: options.ensureDevCertificates }),
    });
    if (!ready) {
      for (const listener of enabled.filter((l) => l.tls !== undefined)) {
        logger.warn("listener.unavailable", {
          ...describe(listener),
          reason:
            `development certificates missing in ${DEV_CERTIFICATES.dir}/ (run postern certs init)`,
        });
        unavailable.push(listener);
      }
      enabled = enabled.filter((l) => l.tls === undefined);
    }
  }

  const checked = {
    ...config,
    listeners: config.listeners.map((l) => ({
      ...l,
      enabled: enabled.includes(l),
    })),
  };
  const fileErrors = await checkFiles(checked, readFile, {
    origins,
    onWarning: (w) =>
      logger.warn("config.warning", { path: w.path, message: w.message }),
    ...(options.checkers === undefined ? {} : { checkers: options.checkers }),
  });
  if (fileErrors.length > 0) throw new ConfigValidationError(fileErrors);

  const started: Listener[] = [];
  const services = new ServiceRegistry(logger);
  for (const cfg of enabled) {
    const factory = factories[cfg.family];
    if (factory === undefined) {
      logger.warn("listener.unavailable", {
        ...describe(cfg),
        reason: `${
          describeFamily(cfg.family)
        } is not implemented in this build`,
      });
      unavailable.push(cfg);
      continue;
    }
    const id = listenerId(cfg);
    try {
      const listener = await factory(cfg, {
        config,
        logger: logger.child({ listener: id }),
        services,
      });
      started.push(listener);
      logger.info("listener.started", {
        listener: id,
        family: cfg.family,
        name: cfg.name,
        host: listener.address.host,
        port: listener.address.port,
      });
    } catch (err) {
      const where = formatAddress(cfg);
      logger.error("listener.failed", {
        ...describe(cfg),
        error: err,
      });
      await closeAll(started, logger);
      await services.close();
      throw new ConfigError(
        origins.sourceOf(listenerField(cfg, "port")),
        `Cannot start listener ${id} on ${where}: ${describeStartError(err)}`,
        { cause: err },
      );
    }
  }
  logger.info("server.started", {
    listeners: started.length,
    unavailable: unavailable.length,
  });
  return new RunningServer(started, { unavailable, logger, services });
}

/** Log fields naming a configured listener. */
function describe(cfg: ListenerConfig): Record<string, unknown> {
  return {
    listener: listenerId(cfg),
    family: cfg.family,
    name: cfg.name,
    host: cfg.host,
    port: cfg.port,
  };
}

/**
 * Makes the development certificates if it can, then checks that they are
 * readable. Returns whether the TLS and DTLS listeners can use them.
 */
async function prepareDevCertificates(
  readFile: ReadFile,
  options: { logger: Logger; ensure?: EnsureDevCertificates },
): Promise<boolean> {
  const { logger, ensure } = options;
  const dir = DEV_CERTIFICATES.dir;
  if (ensure === undefined) {
    logger.warn("certs.unavailable", {
      dir,
      reason: "making development certificates is not available in this build",
    });
  } else {
    try {
      const { created } = await ensure(dir);
      logger.info(created ? "certs.created" : "certs.found", { dir });
    } catch (err) {
      logger.error("certs.failed", { dir, error: err });
    }
  }
  for (
    const file of [
      DEV_CERTIFICATES.certFile,
      DEV_CERTIFICATES.keyFile,
      DEV_CERTIFICATES.caCertFile,
    ]
  ) {
    try {
      await readFile(file);
    } catch {
      return false;
    }
  }
  return true;
}

/** A short reason for a failed listener start. */
function describeStartError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  switch (err.name) {
    case "AddrInUse":
      return "address already in use";
    case "AddrNotAvailable":
      return "address not available on this host";
    case "PermissionDenied":
    case "NotCapable":
      return `permission denied (${err.message})`;
  }
  return err.message;
}

/** Closes listeners, last first, logging each; never rejects. */
async function closeAll(listeners: Listener[], logger: Logger): Promise<void> {
  while (listeners.length > 0) {
    const listener = listeners.pop() as Listener;
    const fields = {
      listener: listenerId(listener),
      family: listener.family,
      name: listener.name,
    };
    try {
      await listener.close();
      logger.info("listener.stopped", fields);
    } catch (err) {
      logger.error("listener.close_failed", { ...fields, error: err });
    }
  }
}

/** The {@link Server} returned by {@link startServer}. */
class RunningServer implements Server {
  readonly #listeners: Listener[];
  readonly #unavailable: readonly ListenerConfig[];
  readonly #logger: Logger;
  readonly #services: ServiceRegistry;
  #closing: Promise<void> | undefined;

  constructor(
    listeners: Listener[],
    options: {
      unavailable: readonly ListenerConfig[];
      logger: Logger;
      services: ServiceRegistry;
    },
  ) {
    this.#listeners = listeners;
    this.#unavailable = options.unavailable;
    this.#logger = options.logger;
    this.#services = options.services;
  }

  get listeners(): readonly Listener[] {
    return [...this.#listeners];
  }

  get unavailable(): readonly ListenerConfig[] {
    return this.#unavailable;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await closeAll([...this.#listeners], this.#logger);
      await this.#services.close();
      this.#logger.info("server.stopped", {});
    })();
    return this.#closing;
  }
}
