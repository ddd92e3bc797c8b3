/**
 * Structured logging: one line per event, as JSON or as text.
 *
 * ```
 * {"ts":"2026-11-23T10:00:00.000Z","level":"info","event":"listener.started","family":"ssl","port":8883}
 * 2026-11-23T10:00:00.000Z INFO listener.started family=ssl port=8883
 * ```
 *
 * The sink (where lines go) and the clock are injected, so tests capture
 * lines and fix the time. Secret-named fields (`password`, `keyPassword`,
 * `psk`, `token`, ...) are always written as `[redacted]` (the rule is
 * `isSecretName` in `redact.ts`). Logging never throws.
 *
 * @module
 */

import { redact } from "./redact.ts";

/**
 * Severity of a log line, lowest first.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./logger.ts";
 *
 * const level: LogLevel = "warn";
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Line format: `json` (one object per line) or `text` (`key=value`).
 *
 * @example
 * ```ts
 * import type { LogFormat } from "./logger.ts";
 *
 * const format: LogFormat = "json";
 * ```
 */
export type LogFormat = "json" | "text";

/**
 * Fields of one event.
 *
 * @example
 * ```ts
 * import type { LogFields } from "./logger.ts";
 *
 * const fields: LogFields = { family: "ssl", port: 8883 };
 * ```
 */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where finished lines go (without a trailing newline).
 *
 * @example
 * ```ts
 * import type { LogSink } from "./logger.ts";
 *
 * const lines: string[] = [];
 * const sink: LogSink = (line) => lines.push(line);
 * ```
 */
export type LogSink = (line: string) => void;

const LEVELS: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/**
 * Whether a string is a log level.
 *
 * @param value Any string.
 * @returns `true` for `debug`, `info`, `warn` and `error`.
 *
 * @example
 * ```ts
 * import { isLogLevel } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isLogLevel("warn"));
 * assert.ok(!isLogLevel("trace"));
 * ```
 */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVELS, value);
}

/**
 * Whether a string is a log format.
 *
 * @param value Any string.
 * @returns `true` for `json` and `text`.
 *
 * @example
 * ```ts
 * import { isLogFormat } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isLogFormat("json"));
 * assert.ok(!isLogFormat("yaml"));
 * ```
 */
export function isLogFormat(value: string): value is LogFormat {
  return value === "json" || value === "text";
}

/**
 * Options of {@link Logger}.
 *
 * @example
 * ```ts
 * import { Logger, type LoggerOptions } from "./logger.ts";
 *
 * const options: LoggerOptions = { format: "json", level: "debug", sink: () => {} };
 * new Logger(options).debug("ready", {});
 * ```
 */
export interface LoggerOptions {
  /** Line format (default `text`). */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default `console.log`). */
  sink?: LogSink;
  /** Current time in ms since the epoch (default `Date.now`). */
  clock?: () => number;
  /** Fields added to every line. */
  fields?: LogFields;
}

/**
 * Formats one event as a line.
 *
 * @param record Time, level, event and fields.
 * @param format `json` or `text`.
 * @returns One line with no newline in it.
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * const record = {
 *   ts: 0,
 *   level: "info" as const,
 *   event: "listener.started",
 *   fields: { family: "ssl", port: 8883, note: "two words" },
 * };
 * assert.equal(
 *   formatLogLine(record, "text"),
 *   '1970-01-01T00:00:00.000Z INFO listener.started family=ssl port=8883 note="two words"',
 * );
 * assert.equal(
 *   formatLogLine(record, "json"),
 *   '{"ts":"1970-01-01T00:00:00.000Z","level":"info","event":"listener.started","family":"ssl","port":8883,"note":"two words"}',
 * );
 * ```
 */
export function formatLogLine(
  record: { ts: number; level: LogLevel; event: string; fields: LogFields },
  format: LogFormat,
): string {
  const date = new Date(record.ts);
  const ts = Number.isNaN(date.getTime())
    ? String(record.ts)
    : date.toISOString();
  const fields = redact(record.fields) as Record<string, unknown>;
  if (format === "json") {
    const line: Record<string, unknown> = {
      ts,
      level: record.level,
      event: record.event,
    };
    for (const [key, value] of Object.entries(fields)) {
      // Fields never overwrite ts, level and event.
      line[Object.hasOwn(line, key) ? `${key}_` : key] = value;
    }
    return JSON.stringify(line);
  }
  const parts = [ts, record.level.toUpperCase(), textValue(record.event)];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${textValue(key)}=${textValue(value)}`);
  }
  return parts.join(" ");
}

/** A value in a text line: bare when safe, else JSON. */
function textValue(value: unknown): string {
  if (typeof value === "string") {
    return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  }
  if (value === null || typeof value !== "object") return String(value);
  return JSON.stringify(value);
}

/**
 * Writes one structured line per event.
 *
 * @example Capture lines in a test
 * ```ts
 * import { Logger } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const log = new Logger({
 *   format: "text",
 *   sink: (line) => lines.push(line),
 *   clock: () => Date.UTC(2026, 10, 23, 10),
 * });
 * log.info("listener.started", { family: "ssl", port: 8883 });
 * log.debug("not.written", {});
 * log.warn("psk.imported", { identity: "dev1", psk: "secret" });
 * assert.deepEqual(lines, [
 *   "2026-11-23T10:00:00.000Z INFO listener.started family=ssl port=8883",
 *   "2026-11-23T10:00:00.000Z WARN psk.imported identity=dev1 psk=[redacted]",
 * ]);
 * ```
 */
export class Logger {
  readonly #format: LogFormat;
  readonly #level: LogLevel;
  readonly #sink: LogSink;
  readonly #clock: () => number;
  readonly #fields: LogFields;

  /** @param options Format, level, sink, clock and common fields. */
  constructor(options: LoggerOptions = {}) {
    this.#format = options.format ?? "text";
    this.#level = options.level ?? "info";
    this.#sink = options.sink ?? ((line) => console.log(line));
    this.#clock = options.clock ?? Date.now;
    this.#fields = options.fields ?? {};
  }

  /** The line format. */
  get format(): LogFormat {
    return this.#format;
  }

  /** The lowest level written. */
  get level(): LogLevel {
    return this.#level;
  }

  /**
   * Whether lines of `level` are written.
   *
   * @param level A level.
   * @returns `true` when `level` is at or above the logger's level.
   */
  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.#level];
  }

  /**
   * A logger that adds `fields` to every line (after the parent's).
   *
   * @param fields Common fields, such as the listener.
   * @returns The child logger.
   */
  child(fields: LogFields): Logger {
    return new Logger({
      format: this.#format,
      level: this.#level,
      sink: this.#sink,
      clock: this.#clock,
      fields: { ...this.#fields, ...fields },
    });
  }

  /**
   * Writes a debug line.
   *
   * @param event Dotted event name, such as `dtls.record.dropped`.
   * @param fields Event fields.
   */
  debug(event: string, fields: LogFields = {}): void {
    this.#write("debug", event, fields);
  }

  /**
   * Writes an info line.
   *
   * @param event Dotted event name, such as `listener.started`.
   * @param fields Event fields.
   */
  info(event: string, fields: LogFields = {}): void {
    this.#write("info", event, fields);
  }

  /**
   * Writes a warning line.
   *
   * @param event Dotted event name, such as `listener.unavailable`.
   * @param fields Event fields.
   */
  warn(event: string, fields: LogFields = {}): void {
    this.#write("warn", event, fields);
  }

  /**
   * Writes an error line.
   *
   * @param event Dotted event name, such as `listener.failed`.
   * @param fields Event fields.
   */
  error(event: string, fields: LogFields = {}): void {
    this.#write("error", event, fields);
  }

  #write(level: LogLevel, event: string, fields: LogFields): void {
    if (!this.enabled(level)) return;
    try {
      this.#sink(formatLogLine({
        ts: this.#clock(),
        level,
        event,
        fields: { ...this.#fields, ...fields },
      }, this.#format));
    } catch {
      // Logging must never take the process down.
    }
  }
}
