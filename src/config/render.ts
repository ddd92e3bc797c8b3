/**
 * The effective configuration as JSON, as printed by `postern config check`.
 *
 * @module
 */

import { isSecretName, REDACTED } from "../log/redact.ts";
import type { PosternConfig } from "./schema.ts";

/**
 * Options of {@link renderConfig}.
 *
 * @example
 * ```ts
 * import type { RenderConfigOptions } from "./render.ts";
 *
 * const options: RenderConfigOptions = { redact: false };
 * ```
 */
export interface RenderConfigOptions {
  /**
   * Print key passwords, key store passwords and other secret-named fields
   * as `[redacted]` (default `true`).
   */
  redact?: boolean;
}

/**
 * Formats a configuration as indented JSON. An unlimited `maxConnections`
 * is written `"infinity"`, as in the file form.
 *
 * @param config The configuration.
 * @param options Whether to redact secrets.
 * @returns JSON text.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import { renderConfig } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * config.listeners[1]!.tls!.keyPassword = "hunter2";
 * const text = renderConfig(config);
 * assert.ok(!text.includes("hunter2"));
 * assert.ok(text.includes('"maxConnections": "infinity"'));
 * ```
 */
export function renderConfig(
  config: PosternConfig,
  options: RenderConfigOptions = {},
): string {
  const hide = options.redact ?? true;
  return JSON.stringify(
    config,
    (key, value: unknown) => {
      if (hide && typeof value === "string" && isSecretName(key)) {
        return REDACTED;
      }
      if (value === Number.POSITIVE_INFINITY) return "infinity";
      return value;
    },
    2,
  );
}
