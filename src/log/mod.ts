/**
 * Structured logging: one line per event, JSON or text, with secrets
 * redacted.
 *
 * @example
 * ```ts
 * import { Logger } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const log = new Logger({ format: "json", sink: (l) => lines.push(l), clock: () => 0 });
 * log.info("server.started", { listeners: 2 });
 * assert.deepEqual(JSON.parse(lines[0]!), {
 *   ts: "1970-01-01T00:00:00.000Z",
 *   level: "info",
 *   event: "server.started",
 *   listeners: 2,
 * });
 * ```
 *
 * @module
 */

export {
  formatLogLine,
  isLogFormat,
  isLogLevel,
  type LogFields,
  type LogFormat,
  Logger,
  type LoggerOptions,
  type LogLevel,
  type LogSink,
} from "./logger.ts";
export { isSecretName, redact, REDACTED } from "./redact.ts";
