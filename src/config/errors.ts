/**
 * Configuration errors: one value per problem, each naming the environment
 * variable or JSON key at fault, so that a start-up failure reads as a list of
 * `path: message` lines the operator can fix in one pass.
 *
 * @module
 */

/**
 * One problem (or warning) found in the configuration.
 *
 * @example Format an issue for the console
 * ```ts
 * import { type ConfigIssue, formatIssue } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const issue: ConfigIssue = {
 *   path: "listeners.ssl.default.bind",
 *   key: "bind",
 *   message: "Port must be between 0 and 65535, got 99999",
 * };
 * assert.equal(formatIssue(issue), "listeners.ssl.default.bind: Port must be between 0 and 65535, got 99999");
 * ```
 */
export interface ConfigIssue {
  /**
   * Where the problem is: an environment variable name
   * (`LISTENER_SSL_BIND_PORT`), a JSON path in the config file
   * (`listeners.ssl.default.bind`, `listeners.tcp.default.access_rules[1]`),
   * or the config file itself.
   */
  readonly path: string;
  /** The variable or key at fault: the variable name or the last key of the path. */
  readonly key: string;
  /** What is wrong, in sentence case without a trailing period. */
  readonly message: string;
}

/**
 * Options of {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { ConfigError, type ConfigErrorOptions } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ConfigErrorOptions = { key: "--config" };
 * assert.equal(new ConfigError("postern.json", "Cannot read the config file", options).key, "--config");
 * ```
 */
export interface ConfigErrorOptions {
  /** The key at fault; by default the last key of `path`. */
  key?: string;
  /** The underlying error, such as a failed `Deno.listen`. */
  cause?: unknown;
}

/**
 * A configuration value is invalid, missing, or cannot be used (for example
 * its port is already in use).
 *
 * @example Name the key at fault
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new ConfigError("listeners.tcp.default.access_rules[1]", "Invalid CIDR");
 * assert.equal(err.key, "access_rules");
 * assert.ok(err instanceof Error);
 * ```
 */
export class ConfigError extends Error implements ConfigIssue {
  /** Variable name or JSON path of the value at fault. */
  readonly path: string;
  /** The variable or key at fault. */
  readonly key: string;

  /**
   * @param path Variable name or JSON path of the value at fault.
   * @param message What is wrong, sentence case, no trailing period.
   * @param options The key (when not the last key of `path`) and the cause.
   */
  constructor(path: string, message: string, options: ConfigErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ConfigError";
    this.path = path;
    this.key = options.key ?? keyOfPath(path);
  }
}

/**
 * The configuration has one or more errors; thrown by code that cannot go on
 * (such as the server start) and carrying every error found.
 *
 * @example Carry several errors
 * ```ts
 * import { ConfigError, ConfigValidationError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new ConfigValidationError([
 *   new ConfigError("LISTENER_SSL_PEM_CERT", "Cannot read file \"x.pem\": not found"),
 * ]);
 * assert.equal(err.errors.length, 1);
 * assert.equal(err.message, "Configuration has 1 error");
 * ```
 */
export class ConfigValidationError extends Error {
  /** Every problem found. */
  readonly errors: readonly ConfigError[];

  /** @param errors Every problem found. */
  constructor(errors: readonly ConfigError[]) {
    super(
      `Configuration has ${errors.length} error${
        errors.length === 1 ? "" : "s"
      }`,
    );
    this.name = "ConfigValidationError";
    this.errors = errors;
  }
}

/**
 * The key a path names: the last dotted segment without array indexes, or
 * the whole path when it is an environment variable name.
 *
 * @param path Variable name or JSON path.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { keyOfPath } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keyOfPath("listeners.ssl.default.ssl_options.certfile"), "certfile");
 * assert.equal(keyOfPath("listeners.tcp.a.access_rules[0]"), "access_rules");
 * assert.equal(keyOfPath("COAP_BIND_PORT"), "COAP_BIND_PORT");
 * ```
 */
export function keyOfPath(path: string): string {
  const last = path.slice(path.lastIndexOf(".") + 1);
  return last.replace(/(\[\d+\])+$/, "");
}

/**
 * Formats an issue as the `path: message` line printed by the command line.
 *
 * @param issue The error or warning.
 * @returns One line.
 *
 * @example
 * ```ts
 * import { ConfigError, formatIssue } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatIssue(new ConfigError("COAP_BIND_PORT", "Must be a port number")),
 *   "COAP_BIND_PORT: Must be a port number",
 * );
 * ```
 */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}`;
}
