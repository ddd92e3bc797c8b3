/**
 * Redaction of secrets in log fields and printed configuration: a field
 * whose name is, or ends with the word, `password`, `passwd`, `secret`,
 * `key`, `keys`, `psk` or `token` (in camelCase, snake_case or kebab-case:
 * `keyPassword`, `pem_key_password`, `apiKey`, `psk`) is printed as
 * `[redacted]`. Names such as `keyFile` or `pskIdentity` are not secrets.
 *
 * @module
 */

/**
 * What a redacted value is printed as.
 *
 * @example
 * ```ts
 * import { REDACTED } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(REDACTED, "[redacted]");
 * ```
 */
export const REDACTED = "[redacted]";

const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "secret",
  "key",
  "keys",
  "psk",
  "token",
]);

/**
 * Whether a field name names a secret: its last word is one of the secret
 * words.
 *
 * @param name A field name.
 * @returns `true` when its value must not be printed.
 *
 * @example
 * ```ts
 * import { isSecretName } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSecretName("keyPassword"));
 * assert.ok(isSecretName("PEM_KEY_PASSWORD"));
 * assert.ok(isSecretName("psk"));
 * assert.ok(!isSecretName("keyFile"));
 * assert.ok(!isSecretName("pskIdentity"));
 * ```
 */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  const last = words[words.length - 1];
  return last !== undefined && SECRET_WORDS.has(last);
}

/**
 * Makes a JSON-safe copy of a value with secrets redacted: secret-named
 * fields become `[redacted]` at any depth; errors become
 * `{ name, message }`; bigints and non-finite numbers become strings; byte
 * arrays become `"<n bytes>"`; cycles and nesting past 8 levels are cut.
 *
 * @param value Any value.
 * @returns A value `JSON.stringify` handles without throwing.
 *
 * @example
 * ```ts
 * import { redact } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(redact({ user: "a", tls: { keyPassword: "hunter2" } }), {
 *   user: "a",
 *   tls: { keyPassword: "[redacted]" },
 * });
 * ```
 */
export function redact(value: unknown): unknown {
  return sanitize(value, 0, new WeakSet());
}

function sanitize(
  value: unknown,
  depth: number,
  seen: WeakSet<object>,
): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "undefined":
      return undefined;
    case "symbol":
    case "function":
      return String(value);
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return "[circular]";
  if (depth >= 8) return "[nested too deep]";
  if (obj instanceof Error) {
    const out: Record<string, unknown> = {
      name: obj.name,
      message: obj.message,
    };
    const code = (obj as { code?: unknown }).code;
    if (typeof code === "string") out.code = code;
    return out;
  }
  if (ArrayBuffer.isView(obj)) return `<${obj.byteLength} bytes>`;
  if (obj instanceof Date) {
    return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  }
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => sanitize(v, depth + 1, seen));
    if (obj instanceof Map) {
      return sanitize(Object.fromEntries(obj), depth, seen);
    }
    if (obj instanceof Set) return sanitize([...obj], depth, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = isSecretName(k) && v !== undefined && v !== null
        ? REDACTED
        : sanitize(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
