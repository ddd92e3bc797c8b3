/**
 * `postern config check [--config FILE]`: loads the configuration from the
 * environment and the file exactly as `serve` does, checks the files it
 * names, prints every problem as `path: message` and, when there is none,
 * the effective configuration as JSON with secrets redacted.
 *
 * Exit codes: 0 valid, 1 invalid, 2 bad command line.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  checkFiles,
  ConfigError,
  DEV_CERTIFICATES,
  formatIssue,
  loadConfig,
  type LoadResult,
  type ReadFile,
  renderConfig,
} from "../src/config/mod.ts";

/**
 * What a command reads and writes; every field defaults to the real process
 * (`Deno.env`, the console, `Deno.readFile`), and tests replace them.
 *
 * @example
 * ```ts
 * import type { CommandIo } from "./config_check.ts";
 *
 * const out: string[] = [];
 * const io: CommandIo = { env: {}, stdout: (t) => out.push(t), stderr: (t) => out.push(t) };
 * ```
 */
export interface CommandIo {
  /** Environment variables (default `Deno.env.toObject()`). */
  env?: Readonly<Record<string, string>>;
  /** Writes a line to standard output (default `console.log`). */
  stdout?: (text: string) => void;
  /** Writes a line to standard error (default `console.error`). */
  stderr?: (text: string) => void;
  /** Reads a text file (default `Deno.readTextFile`). */
  readTextFile?: (path: string) => Promise<string>;
  /** Reads a binary file (default `Deno.readFile`). */
  readFile?: ReadFile;
}

/**
 * The IO of a command with every default filled in.
 *
 * @param io What the caller replaced.
 * @returns Complete IO.
 *
 * @example
 * ```ts
 * import { resolveIo } from "./config_check.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(resolveIo({ env: { A: "1" } }).env, { A: "1" });
 * ```
 */
export function resolveIo(io: CommandIo): Required<CommandIo> {
  return {
    env: io.env ?? Deno.env.toObject(),
    stdout: io.stdout ?? ((t) => console.log(t)),
    stderr: io.stderr ?? ((t) => console.error(t)),
    readTextFile: io.readTextFile ?? Deno.readTextFile,
    readFile: io.readFile ?? Deno.readFile,
  };
}

/**
 * Reads the config file (if any) and loads the configuration; a file that
 * cannot be read is one more error, named by its path.
 *
 * @param io Environment and file reader.
 * @param configPath The `--config` argument.
 * @returns The loaded configuration and every problem.
 *
 * @example
 * ```ts
 * import { loadFromSources } from "./config_check.ts";
 * import assert from "node:assert/strict";
 *
 * const result = await loadFromSources(
 *   { env: {}, readTextFile: () => Promise.reject(new Deno.errors.NotFound("gone")) },
 *   "postern.json",
 * );
 * assert.equal(result.errors[0]?.path, "postern.json");
 * ```
 */
export async function loadFromSources(
  io: Pick<CommandIo, "env" | "readTextFile">,
  configPath?: string,
): Promise<LoadResult> {
  const env = io.env ?? Deno.env.toObject();
  const readTextFile = io.readTextFile ?? Deno.readTextFile;
  if (configPath === undefined) return loadConfig({ env });
  let fileText: string | undefined;
  let readError: ConfigError | undefined;
  try {
    fileText = await readTextFile(configPath);
  } catch (err) {
    const reason = err instanceof Error && err.name === "NotFound"
      ? "file not found"
      : err instanceof Error
      ? err.message
      : String(err);
    readError = new ConfigError(
      configPath,
      `Cannot read the config file: ${reason}`,
      { key: "--config", cause: err },
    );
  }
  const result = loadConfig(
    fileText === undefined
      ? { env, filePath: configPath }
      : { env, fileText, filePath: configPath },
  );
  if (readError !== undefined) result.errors.unshift(readError);
  return result;
}

const USAGE = `Usage: postern config check [--config FILE]

Loads the configuration from the environment and FILE (the environment wins),
prints every problem as "path: message", and prints the effective
configuration as JSON (secrets redacted) when it is valid.`;

/**
 * Runs `postern config check ARGS`.
 *
 * @param args The arguments after `config check`.
 * @param io Environment, output and file readers.
 * @returns The exit code: 0 valid, 1 invalid, 2 bad arguments.
 *
 * @example
 * ```ts
 * import { configCheckCommand } from "./config_check.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const err: string[] = [];
 * const code = await configCheckCommand([], {
 *   env: { COAP_BIND_PORT: "x" },
 *   stdout: (t) => out.push(t),
 *   stderr: (t) => err.push(t),
 * });
 * assert.equal(code, 1);
 * assert.deepEqual(err, ['COAP_BIND_PORT: Must be a port number, got "x"']);
 * ```
 */
export async function configCheckCommand(
  args: string[],
  io: CommandIo = {},
): Promise<number> {
  const { stdout, stderr, readFile, ...sources } = resolveIo(io);
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    stderr(
      `postern config check: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
    stderr(USAGE);
    return 2;
  }
  if (values.help) {
    stdout(USAGE);
    return 0;
  }
  const { config, errors, warnings, origins } = await loadFromSources(
    sources,
    values.config,
  );
  for (const warning of warnings) stderr(`warning: ${formatIssue(warning)}`);
  for (const error of errors) stderr(formatIssue(error));
  if (errors.length > 0) return 1;

  // With the embedded default, the development certificates are made by
  // the first `postern serve`: their absence is not an error here.
  const checked = config.devCertificates
    ? {
      ...config,
      listeners: config.listeners.map((l) => ({
        ...l,
        enabled: l.enabled && l.tls === undefined,
      })),
    }
    : config;
  const fileErrors = await checkFiles(checked, readFile, {
    origins,
    onWarning: (w) => stderr(`warning: ${formatIssue(w)}`),
  });
  for (const error of fileErrors) stderr(formatIssue(error));
  if (fileErrors.length > 0) return 1;
  if (config.devCertificates) {
    for (const file of [DEV_CERTIFICATES.certFile, DEV_CERTIFICATES.keyFile]) {
      try {
        await readFile(file);
      } catch {
        stderr(
          `warning: ${file}: Not there yet; postern serve makes the development certificates on first start`,
        );
      }
    }
  }
  stdout(renderConfig(config));
  return 0;
}
