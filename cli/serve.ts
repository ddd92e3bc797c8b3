/**
 * `postern serve [--config FILE] [--data-dir DIR] [--log-format json|text]`:
 * loads and validates the configuration (every problem is logged and the
 * exit code is 1), makes the development certificates when the embedded
 * default is in force, starts the server, prints how to connect to each
 * listener that started, and runs until SIGINT or SIGTERM, when it closes
 * every listener and exits 0.
 *
 * Log lines go to standard output, one per event; the connection hints go
 * to standard error so that the log stays machine-readable.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  ConfigError,
  ConfigValidationError,
  DEV_CERTIFICATES,
  type PosternConfig,
} from "../src/config/mod.ts";
import { isLogFormat, Logger, type LogSink } from "../src/log/mod.ts";
import {
  type EnsureDevCertificates,
  type Listener,
  type ListenerFactories,
  type Server,
  startServer,
} from "../src/server.ts";
import { type CommandIo, loadFromSources, resolveIo } from "./config_check.ts";

/**
 * Options of {@link serveCommand}: IO plus what tests replace.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "./serve.ts";
 *
 * const options: ServeOptions = { env: {}, logSink: () => {}, signal: AbortSignal.abort() };
 * ```
 */
export interface ServeOptions extends CommandIo {
  /** Where log lines go (default standard output). */
  logSink?: LogSink;
  /** Current time in ms (default `Date.now`). */
  clock?: () => number;
  /** Listener factories instead of the build's. */
  factories?: ListenerFactories;
  /**
   * Makes the development certificates; by default `ensureDevCertificates`
   * of `cli/certs.ts`, when that module has it.
   */
  ensureDevCertificates?: EnsureDevCertificates;
  /** Stops the server when aborted, as SIGINT or SIGTERM do. */
  signal?: AbortSignal;
  /** Called once the server runs (tests). */
  onStarted?: (server: Server) => void;
}

const USAGE =
  `Usage: postern serve [--config FILE] [--data-dir DIR] [--log-format json|text]

Starts the broker. The environment variables of the configuration contract
override FILE. With no configuration at all, starts the embedded default:
MQTT on 1883, MQTT over TLS on 8883, CoAP on 5683 and CoAP over DTLS on 5684,
on development certificates made in certs/ on first start.
Stops cleanly on SIGINT or SIGTERM.`;

/**
 * Runs `postern serve ARGS` until a stop signal.
 *
 * @param args The arguments after `serve`.
 * @param options IO, factories and a stop signal.
 * @returns The exit code: 0 after a clean stop, 1 when the configuration is
 *   invalid or the server cannot start, 2 for bad arguments.
 *
 * @example Stop at once through an abort signal
 * ```ts
 * import { serveCommand } from "./serve.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const code = await serveCommand(["--data-dir", await Deno.makeTempDir()], {
 *   env: { LISTENER_TCP_BIND_ADDRESS: "127.0.0.1", LISTENER_TCP_BIND_PORT: "0", COAP_ENABLED: "false" },
 *   logSink: (line) => lines.push(line),
 *   stderr: () => {},
 *   signal: AbortSignal.abort(),
 * });
 * assert.equal(code, 0);
 * assert.ok(lines.some((l) => l.includes("server.stopped")));
 * ```
 */
export async function serveCommand(
  args: string[],
  options: ServeOptions = {},
): Promise<number> {
  const io = resolveIo(options);
  let values: {
    config?: string | undefined;
    "data-dir"?: string | undefined;
    "log-format"?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        "data-dir": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr(
      `postern serve: ${err instanceof Error ? err.message : String(err)}`,
    );
    io.stderr(USAGE);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const logFormat = values["log-format"];
  if (logFormat !== undefined && !isLogFormat(logFormat)) {
    io.stderr(
      `postern serve: --log-format must be json or text, got "${logFormat}"`,
    );
    return 2;
  }
  if (values["data-dir"] === "") {
    io.stderr("postern serve: --data-dir must not be empty");
    return 2;
  }

  const loaded = await loadFromSources(io, values.config);
  const config = loaded.config;
  if (logFormat !== undefined) config.log.format = logFormat;
  if (values["data-dir"] !== undefined) config.dataDir = values["data-dir"];
  const logger = new Logger({
    format: config.log.format,
    level: config.log.level,
    sink: options.logSink ?? ((line) => console.log(line)),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  for (const w of loaded.warnings) {
    logger.warn("config.warning", { path: w.path, message: w.message });
  }
  if (loaded.errors.length > 0) {
    return fail(logger, loaded.errors);
  }
  logger.info("config.loaded", {
    file: values.config ?? null,
    embeddedDefault: config.devCertificates,
    dataDir: config.dataDir,
  });

  const stop = stopSignal(options.signal);
  let server: Server;
  try {
    const ensure = options.ensureDevCertificates ??
      (config.devCertificates ? await loadCertificateMaker() : undefined);
    server = await startServer(config, {
      logger,
      origins: loaded.origins,
      readFile: io.readFile,
      ...(options.factories === undefined
        ? {}
        : { factories: options.factories }),
      ...(ensure === undefined ? {} : { ensureDevCertificates: ensure }),
    });
  } catch (err) {
    stop.dispose();
    if (err instanceof ConfigValidationError) return fail(logger, err.errors);
    if (err instanceof ConfigError) return fail(logger, [err]);
    logger.error("server.failed", { error: err });
    return 1;
  }
  printHints(server.listeners, { config, write: io.stderr });
  options.onStarted?.(server);
  const reason = await stop.promise;
  stop.dispose();
  logger.info("server.stopping", { reason });
  await server.close();
  return 0;
}

/** Logs every configuration error and the failure; returns exit code 1. */
function fail(
  logger: Logger,
  errors: readonly ConfigError[],
): number {
  for (const e of errors) {
    logger.error("config.invalid", { path: e.path, message: e.message });
  }
  logger.error("server.failed", {
    reason: `configuration has ${errors.length} error${
      errors.length === 1 ? "" : "s"
    }`,
  });
  return 1;
}

/** Resolves with the reason on SIGINT, SIGTERM or abort of `signal`. */
function stopSignal(
  signal: AbortSignal | undefined,
): { promise: Promise<string>; dispose(): void } {
  const { promise, resolve } = Promise.withResolvers<string>();
  const handlers: [Deno.Signal, () => void][] = [];
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => resolve(name);
    try {
      Deno.addSignalListener(name, handler);
      handlers.push([name, handler]);
    } catch {
      // SIGTERM cannot be listened to on Windows.
    }
  }
  const onAbort = () => resolve("abort");
  if (signal?.aborted) resolve("abort");
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    promise,
    dispose() {
      for (const [name, handler] of handlers.splice(0)) {
        Deno.removeSignalListener(name, handler);
      }
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * `ensureDevCertificates` from `./certs.ts`, if that module exports it
 * (the certificate work adds it); `undefined` otherwise, and the server
 * logs that it cannot make the certificates.
 */
async function loadCertificateMaker(): Promise<
  EnsureDevCertificates | undefined
> {
  try {
    const mod: Record<string, unknown> = await import("./certs.ts");
    const ensure = mod.ensureDevCertificates;
    return typeof ensure === "function"
      ? (ensure as EnsureDevCertificates)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Prints client commands for each listener that started (a subscriber and
 * a publisher for MQTT, a discovery and a gateway publish for CoAP), with
 * the ports actually bound, and says when the certificates are the
 * development ones.
 */
function printHints(
  listeners: readonly Listener[],
  options: { config: PosternConfig; write: (text: string) => void },
): void {
  const { config, write } = options;
  if (listeners.length === 0) {
    write("No listener is running (see the listener.unavailable log lines).");
    return;
  }
  const ca = config.devCertificates
    ? DEV_CERTIFICATES.caCertFile
    : "<CA of the server certificate>";
  const lines: string[] = [];
  for (const l of listeners) {
    const host = connectHost(l.address.host);
    const port = l.address.port;
    const urlHost = host.includes(":") ? `[${host}]` : host;
    switch (l.family) {
      case "tcp":
        lines.push(`mosquitto_sub -h ${host} -p ${port} -t '#' -v`);
        lines.push(`mosquitto_pub -h ${host} -p ${port} -t hello -m world`);
        break;
      case "ssl":
        lines.push(
          `mosquitto_sub -h ${host} -p ${port} --cafile ${ca} -t '#' -v`,
        );
        lines.push(
          `mosquitto_pub -h ${host} -p ${port} --cafile ${ca} -t hello -m world`,
        );
        break;
      case "ws":
        lines.push(
          `MQTT over WebSocket: ws://${urlHost}:${port}${pathOf(config, l)}`,
        );
        break;
      case "wss":
        lines.push(
          `MQTT over secure WebSocket: wss://${urlHost}:${port}${
            pathOf(config, l)
          }`,
        );
        break;
      case "coap":
        lines.push(
          `coap-client-openssl -m get coap://${urlHost}:${port}/.well-known/core`,
        );
        lines.push(
          `coap-client-openssl -m post -e world coap://${urlHost}:${port}/ps/hello`,
        );
        break;
      case "dtls":
        lines.push(
          `coap-client-openssl -m get -C ${ca} coaps://${urlHost}:${port}/.well-known/core`,
        );
        lines.push(
          `coap-client-openssl -m post -e world -C ${ca} coaps://${urlHost}:${port}/ps/hello`,
        );
        break;
    }
  }
  const text = ["Connect with:", ...lines.map((line) => `  ${line}`)];
  const secured = listeners.some((l) =>
    l.family === "ssl" || l.family === "wss" || l.family === "dtls"
  );
  if (config.devCertificates && secured) {
    text.push(
      `TLS and DTLS use the development certificates in ${DEV_CERTIFICATES.dir}/ (CA ${ca}): for development only, never in production.`,
    );
  }
  write(text.join("\n"));
}

/** The address a local client uses for a bound host. */
function connectHost(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
}

/** The WebSocket path of a listener. */
function pathOf(config: PosternConfig, l: Listener): string {
  return config.listeners.find((c) =>
    c.family === l.family && c.name === l.name
  )
    ?.path ?? "/mqtt";
}
