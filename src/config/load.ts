/**
 * Loading the configuration: defaults, then the config file, then the
 * environment (environment overrides file), then a validation pass. Every
 * problem of every stage is collected, so one run shows them all.
 *
 * With no file and none of postern's variables set, the embedded default is
 * used: the table's defaults plus TLS (8883) and DTLS (5684) listeners on
 * development certificates in `certs/` (`config.devCertificates`). Setting
 * `POSTERN_DATA_DIR`, `POSTERN_LOG_*` or listener `*_BIND_ADDRESS` /
 * `*_BIND_PORT` variables alone keeps the embedded default.
 *
 * This module does no IO: the caller reads the environment and the file.
 *
 * @module
 */

import { readEnv } from "./env.ts";
import type { ConfigError, ConfigIssue } from "./errors.ts";
import { parseConfigFile } from "./file.ts";
import { ConfigOrigins, type OriginKind } from "./origins.ts";
import type { PatchOp } from "./_patch.ts";
import {
  defaultConfig,
  defaultListener,
  type PosternConfig,
} from "./schema.ts";
import { validateConfig } from "./validate.ts";

/**
 * Inputs of {@link loadConfig}.
 *
 * @example
 * ```ts
 * import type { LoadConfigOptions } from "./load.ts";
 *
 * const options: LoadConfigOptions = {
 *   env: { LISTENER_TCP_BIND_PORT: "1884" },
 *   fileText: "{}",
 *   filePath: "postern.json",
 * };
 * ```
 */
export interface LoadConfigOptions {
  /** Environment variables, such as `Deno.env.toObject()`. */
  env: Readonly<Record<string, string>>;
  /** Text of the config file, when one is given. */
  fileText?: string;
  /** Path of the config file, named by errors about the file as a whole. */
  filePath?: string;
}

/**
 * The loaded configuration and every problem found.
 *
 * @example
 * ```ts
 * import { loadConfig, type LoadResult } from "./load.ts";
 * import assert from "node:assert/strict";
 *
 * const result: LoadResult = loadConfig({ env: {} });
 * assert.equal(result.errors.length, 0);
 * ```
 */
export interface LoadResult {
  /** The effective configuration; not usable when `errors` is not empty. */
  config: PosternConfig;
  /** Every error: postern must not start while there is one. */
  errors: ConfigError[];
  /** Unknown variables, ignored keys, settings without effect. */
  warnings: ConfigIssue[];
  /** Where each value came from, for later checks (`checkFiles`, server start). */
  origins: ConfigOrigins;
}

/**
 * Loads the configuration: defaults ← file ← environment, then validation.
 * Never throws.
 *
 * @param options The environment and the file's text.
 * @returns The configuration and every problem.
 *
 * @example Environment overrides file
 * ```ts
 * import { loadConfig } from "./load.ts";
 * import assert from "node:assert/strict";
 *
 * const { config, errors } = loadConfig({
 *   env: { LISTENER_TCP_BIND_PORT: "2883" },
 *   fileText: '{"listeners": {"tcp": {"default": {"bind": "127.0.0.1:1884"}}}}',
 * });
 * assert.deepEqual(errors, []);
 * const tcp = config.listeners.find((l) => l.family === "tcp")!;
 * assert.equal(tcp.host, "127.0.0.1");
 * assert.equal(tcp.port, 2883);
 * ```
 *
 * @example The embedded default
 * ```ts
 * import { loadConfig } from "./load.ts";
 * import assert from "node:assert/strict";
 *
 * const { config } = loadConfig({ env: { PATH: "/usr/bin" } });
 * assert.equal(config.devCertificates, true);
 * assert.deepEqual(
 *   config.listeners.filter((l) => l.enabled).map((l) => `${l.family}:${l.port}`),
 *   ["tcp:1883", "ssl:8883", "coap:5683", "dtls:5684"],
 * );
 * ```
 */
export function loadConfig(options: LoadConfigOptions): LoadResult {
  const env = readEnv(options.env);
  const file = options.fileText === undefined ? undefined : parseConfigFile(
    options.fileText,
    options.filePath === undefined ? {} : { filePath: options.filePath },
  );
  const embedded = file === undefined && !env.configured;
  const config = defaultConfig({ embedded });
  const origins = new ConfigOrigins();
  if (file !== undefined) {
    applyOps(config, { ops: file.ops, origins, kind: "file" });
  }
  applyOps(config, { ops: env.ops, origins, kind: "env" });
  const validation = validateConfig(config, origins);
  return {
    config,
    errors: [...(file?.errors ?? []), ...env.errors, ...validation.errors],
    warnings: [
      ...(file?.warnings ?? []),
      ...env.warnings,
      ...validation.warnings,
    ],
    origins,
  };
}

/** Applies one source's changes in order, recording where each came from. */
function applyOps(
  config: PosternConfig,
  input: { ops: readonly PatchOp[]; origins: ConfigOrigins; kind: OriginKind },
): void {
  const { origins, kind } = input;
  for (const op of input.ops) {
    switch (op.kind) {
      case "invalid":
        origins.markInvalid(op.field);
        break;
      case "global":
        op.apply(config);
        origins.set(op.field, op.source, kind);
        break;
      case "listener": {
        let listener = config.listeners.find((l) =>
          l.family === op.family && l.name === op.name
        );
        if (listener === undefined) {
          listener = defaultListener(op.family, op.name);
          config.listeners.push(listener);
        }
        op.apply(listener);
        origins.set(
          `listeners.${op.family}.${op.name}.${op.field}`,
          op.source,
          kind,
        );
        break;
      }
    }
  }
}
