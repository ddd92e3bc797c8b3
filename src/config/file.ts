/**
 * The JSON config file (`--config FILE`), shaped like the EMQX listener
 * configuration:
 *
 * ```json
 * {
 *   "listeners": {
 *     "ssl": {
 *       "default": {
 *         "bind": "0.0.0.0:8883",
 *         "access_rules": ["deny 10.0.0.0/8", "allow all"],
 *         "ssl_options": { "certfile": "certs/server.pem", "keyfile": "certs/server_key.pem" }
 *       }
 *     }
 *   },
 *   "psk_authentication": { "enable": true, "init_file": "psk.txt" },
 *   "mqtt": { "allow_anonymous": false },
 *   "gateway": { "coap": { "connection_required": true, "heartbeat": "30s" } },
 *   "data_dir": "./data",
 *   "log": { "format": "json", "level": "info" }
 * }
 * ```
 *
 * A listener named in the file is enabled unless it says `"enable": false`.
 * Unknown keys are errors with a "did you mean" suggestion; EMQX keys that
 * postern does not use (`acceptors`, `depth`, ...) are warnings. Parsing
 * never throws: every problem becomes a {@link ConfigError} naming its JSON
 * path.
 *
 * @module
 */

import { parseAccessRule } from "./access_rules.ts";
import type { ConfigError, ConfigIssue } from "./errors.ts";
import { PatchBuilder, type PatchOp } from "./_patch.ts";
import {
  isListenerFamily,
  LISTENER_FAMILIES,
  type ListenerConfig,
  type ListenerFamily,
  type TlsOptions,
  type TlsVersion,
} from "./schema.ts";
import { didYouMean, suggest } from "./suggest.ts";
import { PEER_CERT_AS_USERNAME } from "../auth/identity.ts";
import {
  describeJson,
  parseBind,
  type Parsed,
  parseDuration,
} from "./values.ts";

/**
 * What parsing the config file produced: the changes to apply over the
 * defaults, and every problem found.
 *
 * @example
 * ```ts
 * import { parseConfigFile } from "./file.ts";
 * import assert from "node:assert/strict";
 *
 * const result = parseConfigFile('{"data_dir": "/var/lib/postern"}');
 * assert.equal(result.errors.length, 0);
 * assert.equal(result.ops.length, 1);
 * ```
 */
export interface FileParseResult {
  /** Changes to apply, in file order (opaque; applied by `loadConfig`). */
  readonly ops: readonly PatchOp[];
  /** Every error, each naming its JSON path. */
  readonly errors: readonly ConfigError[];
  /** Keys that are accepted but have no effect. */
  readonly warnings: readonly ConfigIssue[];
}

/**
 * Options of {@link parseConfigFile}.
 *
 * @example
 * ```ts
 * import { parseConfigFile, type ParseConfigFileOptions } from "./file.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ParseConfigFileOptions = { filePath: "/etc/postern.json" };
 * assert.equal(parseConfigFile("{", options).errors[0]?.path, "/etc/postern.json");
 * ```
 */
export interface ParseConfigFileOptions {
  /** The file's path, named by errors about the file as a whole. */
  filePath?: string;
}

/**
 * Parses the text of a config file. Never throws.
 *
 * @param text The file's contents.
 * @param options The file's path, for messages.
 * @returns The changes and every problem.
 *
 * @example Errors name the JSON path and suggest the key meant
 * ```ts
 * import { parseConfigFile } from "./file.ts";
 * import assert from "node:assert/strict";
 *
 * const { errors } = parseConfigFile(
 *   '{"listeners": {"tcp": {"default": {"bnd": 1883, "enable": "yes"}}}}',
 * );
 * assert.deepEqual(errors.map((e) => e.path), [
 *   "listeners.tcp.default.bnd",
 *   "listeners.tcp.default.enable",
 * ]);
 * assert.match(errors[0]!.message, /did you mean "bind"/);
 * ```
 */
export function parseConfigFile(
  text: string,
  options: ParseConfigFileOptions = {},
): FileParseResult {
  const b = new PatchBuilder();
  const filePath = options.filePath ?? "config file";
  let root: unknown;
  try {
    root = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    b.error(filePath, `Cannot parse the file as JSON: ${detail}`);
    return b;
  }
  if (!isObject(root)) {
    b.error(
      filePath,
      `The file must hold a JSON object, got ${describeJson(root)}`,
    );
    return b;
  }
  walk(b, root, "", {
    handlers: {
      listeners: (v, p) => parseListeners(b, v, p),
      psk_authentication: (v, p) => parsePsk(b, v, p),
      mqtt: (v, p) => parseMqtt(b, v, p),
      gateway: (v, p) => parseGateway(b, v, p),
      data_dir: (v, p) => {
        const r = readString(v);
        if (!r.ok) return b.error(p, r.error, "dataDir");
        b.global("dataDir", p, (c) => {
          c.dataDir = r.value;
        });
      },
      log: (v, p) => parseLog(b, v, p),
    },
  });
  return b;
}

/** Handles the value of one key at its path. */
type Handler = (value: unknown, path: string) => void;

/** What an object may contain. */
interface ObjectSpec {
  /** Known keys. */
  handlers: Record<string, Handler>;
  /** EMQX keys postern accepts and ignores with a warning. */
  ignored?: readonly string[];
  /** Keys valid elsewhere, with why not here ("is not valid for a coap listener"). */
  misplaced?: Record<string, string>;
}

/** Whether a JSON value is an object (not an array or null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Joins a path and a key. */
function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/**
 * Checks that `value` is an object and dispatches each key to its handler;
 * unknown keys are errors with a suggestion. Returns false when `value` is
 * not an object.
 */
function walk(
  b: PatchBuilder,
  value: unknown,
  path: string,
  spec: ObjectSpec,
): boolean {
  if (!isObject(value)) {
    b.error(path, `Must be an object, got ${describeJson(value)}`);
    return false;
  }
  const known = Object.keys(spec.handlers);
  const misplaced = new Map(Object.entries(spec.misplaced ?? {}));
  for (const [key, child] of Object.entries(value)) {
    const childPath = join(path, key);
    if (Object.hasOwn(spec.handlers, key)) {
      (spec.handlers[key] as Handler)(child, childPath);
    } else if (spec.ignored?.includes(key)) {
      b.warn(childPath, "Not supported by postern, ignored");
    } else if (misplaced.has(key)) {
      const hint = didYouMean(key, known);
      b.error(
        childPath,
        `Key ${JSON.stringify(key)} ${misplaced.get(key)}${hint}`,
      );
    } else {
      const hit = suggest(key, [...known, ...misplaced.keys()]);
      const hint = hit === undefined
        ? ""
        : misplaced.has(hit)
        ? `; "${hit}" ${misplaced.get(hit)} either`
        : ` (did you mean "${hit}"?)`;
      b.error(childPath, `Unknown key ${JSON.stringify(key)}${hint}`);
    }
  }
  return true;
}

// ---- value readers ----

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

function readBoolean(value: unknown): Parsed<boolean> {
  return typeof value === "boolean"
    ? ok(value)
    : fail(`Must be true or false, got ${describeJson(value)}`);
}

function readString(value: unknown): Parsed<string> {
  if (typeof value !== "string") {
    return fail(`Must be a string, got ${describeJson(value)}`);
  }
  return value.length === 0 ? fail("Must not be empty") : ok(value);
}

function readDuration(value: unknown): Parsed<number> {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0
      ? ok(value)
      : fail(`Must be a duration such as "15s" or milliseconds, got ${value}`);
  }
  if (typeof value !== "string") {
    return fail(`Must be a duration such as "15s", got ${describeJson(value)}`);
  }
  return parseDuration(value);
}

function readPositiveInteger(value: unknown): Parsed<number> {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? ok(value)
    : fail(`Must be a positive integer, got ${describeJson(value)}`);
}

function readMaxConnections(value: unknown): Parsed<number> {
  if (value === "infinity") return ok(Number.POSITIVE_INFINITY);
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? ok(value)
    : fail(
      `Must be a positive integer or "infinity", got ${describeJson(value)}`,
    );
}

function enumReader<T extends string>(
  values: readonly T[],
): (value: unknown) => Parsed<T> {
  return (value) => {
    if (
      typeof value === "string" && (values as readonly string[]).includes(value)
    ) {
      return ok(value as T);
    }
    const hint = typeof value === "string" ? didYouMean(value, values) : "";
    return fail(
      `Must be one of ${values.join(", ")}, got ${describeJson(value)}${hint}`,
    );
  };
}

function readUrl(value: unknown): Parsed<string> {
  const s = readString(value);
  if (!s.ok) return s;
  return /^https?:\/\//i.test(s.value) && URL.canParse(s.value)
    ? s
    : fail(`Must be an http or https URL, got ${describeJson(value)}`);
}

function readWebSocketPath(value: unknown): Parsed<string> {
  const s = readString(value);
  if (!s.ok) return s;
  return /^\/[\x21-\x7e]*$/.test(s.value) ? s : fail(
    `Must be an HTTP path starting with "/", got ${describeJson(value)}`,
  );
}

function readCiphers(value: unknown): Parsed<string[]> {
  let names: unknown[];
  if (typeof value === "string") {
    names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  } else if (Array.isArray(value)) {
    names = value;
  } else {
    return fail(
      `Must be an array of cipher names or a comma-separated string, got ${
        describeJson(value)
      }`,
    );
  }
  const out: string[] = [];
  for (const name of names) {
    if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name)) {
      return fail(`Must hold OpenSSL cipher names, got ${describeJson(name)}`);
    }
    out.push(name);
  }
  return ok(out);
}

function versionsReader(
  family: ListenerFamily,
): (value: unknown) => Parsed<TlsVersion[]> {
  const allowed: readonly TlsVersion[] = family === "dtls"
    ? ["dtlsv1.2"]
    : ["tlsv1.2", "tlsv1.3"];
  const one = enumReader(allowed);
  return (value) => {
    if (!Array.isArray(value) || value.length === 0) {
      return fail(
        `Must be a non-empty array of ${allowed.join(", ")}, got ${
          describeJson(value)
        }`,
      );
    }
    const out: TlsVersion[] = [];
    for (const item of value) {
      const r = one(item);
      if (!r.ok) return r;
      if (!out.includes(r.value)) out.push(r.value);
    }
    return ok(out);
  };
}

// ---- sections ----

const LISTENER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function parseListeners(b: PatchBuilder, value: unknown, path: string): void {
  if (!isObject(value)) {
    b.error(path, `Must be an object, got ${describeJson(value)}`);
    return;
  }
  for (const [family, group] of Object.entries(value)) {
    const familyPath = join(path, family);
    if (!isListenerFamily(family)) {
      b.error(
        familyPath,
        `Unknown listener type ${JSON.stringify(family)}${
          didYouMean(family, LISTENER_FAMILIES)
        }; postern has ${LISTENER_FAMILIES.join(", ")}`,
      );
      continue;
    }
    if (!isObject(group)) {
      b.error(
        familyPath,
        `Must be an object of named listeners, got ${describeJson(group)}`,
      );
      continue;
    }
    for (const [name, listener] of Object.entries(group)) {
      const listenerPath = join(familyPath, name);
      if (!LISTENER_NAME.test(name)) {
        b.error(
          listenerPath,
          "Listener name must be 1 to 64 letters, digits, - or _, starting with a letter or digit",
        );
        continue;
      }
      parseListener(b, { family, name }, listener, listenerPath);
    }
  }
}

/** Every listener key, for "not valid for this family" messages. */
const LISTENER_KEYS_BY_FAMILY: Readonly<
  Record<string, readonly ListenerFamily[]>
> = {
  proxy_protocol: ["tcp", "ssl", "ws", "wss"],
  proxy_protocol_timeout: ["tcp", "ssl", "ws", "wss"],
  ssl_options: ["ssl", "wss"],
  dtls_options: ["dtls"],
  websocket: ["ws", "wss"],
  session_inactivity_timeout: ["dtls"],
  session_report_timeout: ["dtls"],
};

const IGNORED_LISTENER_KEYS = [
  "acceptors",
  "max_conn_rate",
  "messages_rate",
  "bytes_rate",
  "zone",
  "limiter",
  "enable_authn",
  "tcp_options",
  "udp_options",
  "mountpoint",
];

function parseListener(
  b: PatchBuilder,
  target: { family: ListenerFamily; name: string },
  value: unknown,
  path: string,
): void {
  const { family } = target;
  const full = (field: string) => `listeners.${family}.${target.name}.${field}`;
  /** Reads a value and records the change, or the error. */
  function put<T>(
    value: unknown,
    at: { path: string; field: string },
    read: (value: unknown) => Parsed<T>,
    apply: (listener: ListenerConfig, value: T) => void,
  ): void {
    const r = read(value);
    if (!r.ok) return b.error(at.path, r.error, full(at.field));
    b.listener(target, at.field, at.path, (l) => apply(l, r.value));
  }
  if (!isObject(value)) {
    b.error(path, `Must be an object, got ${describeJson(value)}`);
    return;
  }
  // Naming a listener in the file enables it, as in EMQX.
  b.listener(target, "enabled", path, (l) => {
    l.enabled = true;
  });
  const handlers: Record<string, Handler> = {
    enable: (v, p) =>
      put(v, { path: p, field: "enabled" }, readBoolean, (l, x) => {
        l.enabled = x;
      }),
    bind: (v, p) => {
      const r = parseBind(v);
      if (!r.ok) {
        b.error(p, r.error, full("port"));
        b.ops.push({ kind: "invalid", field: full("host") });
        return;
      }
      b.listener(target, "host", p, (l) => {
        l.host = r.value.host;
      });
      b.listener(target, "port", p, (l) => {
        l.port = r.value.port;
      });
    },
    access_rules: (v, p) => {
      if (!Array.isArray(v)) {
        return b.error(
          p,
          `Must be an array of rules such as "allow all" or "deny 10.0.0.0/8", got ${
            describeJson(v)
          }`,
          full("accessRules"),
        );
      }
      const rules: ListenerConfig["accessRules"] = [];
      let valid = true;
      v.forEach((item, i) => {
        const itemPath = `${p}[${i}]`;
        if (typeof item !== "string") {
          valid = false;
          return b.error(
            itemPath,
            `Must be a string, got ${describeJson(item)}`,
          );
        }
        const r = parseAccessRule(item);
        if (!r.ok) {
          valid = false;
          return b.error(itemPath, r.error);
        }
        rules.push(r.value);
      });
      if (!valid) {
        return b.ops.push({ kind: "invalid", field: full("accessRules") });
      }
      b.listener(target, "accessRules", p, (l) => {
        l.accessRules = rules;
      });
    },
    max_connections: (v, p) =>
      put(
        v,
        { path: p, field: "maxConnections" },
        readMaxConnections,
        (l, x) => {
          l.maxConnections = x;
        },
      ),
  };
  if (
    family === "tcp" || family === "ssl" || family === "ws" || family === "wss"
  ) {
    handlers.proxy_protocol = (v, p) =>
      put(v, { path: p, field: "proxyProtocol" }, readBoolean, (l, x) => {
        l.proxyProtocol = x;
      });
    handlers.proxy_protocol_timeout = (v, p) =>
      put(
        v,
        { path: p, field: "proxyProtocolTimeoutMs" },
        readDuration,
        (l, x) => {
          l.proxyProtocolTimeoutMs = x;
        },
      );
  }
  if (family === "ws" || family === "wss") {
    handlers.websocket = (v, p) =>
      walk(b, v, p, {
        handlers: {
          mqtt_path: (v2, p2) =>
            put(v2, { path: p2, field: "path" }, readWebSocketPath, (l, x) => {
              l.path = x;
            }),
        },
        ignored: [
          "mqtt_piggyback",
          "compress",
          "idle_timeout",
          "max_frame_size",
          "fail_if_no_subprotocol",
          "supported_subprotocols",
          "check_origin_enable",
          "allow_origin_absence",
          "check_origins",
          "proxy_address_header",
          "proxy_port_header",
          "deflate_opts",
          "validate_utf8",
        ],
      });
  }
  if (family === "ssl" || family === "wss") {
    handlers.ssl_options = (v, p) =>
      parseTlsOptions(b, { target, value: v, path: p });
  }
  if (family === "dtls") {
    handlers.dtls_options = (v, p) =>
      parseTlsOptions(b, { target, value: v, path: p });
    handlers.session_inactivity_timeout = (v, p) =>
      put(
        v,
        { path: p, field: "dtlsSessions.inactivityTimeoutMs" },
        readDuration,
        (l, x) => {
          if (l.dtlsSessions) l.dtlsSessions.inactivityTimeoutMs = x;
        },
      );
    handlers.session_report_timeout = (v, p) =>
      put(
        v,
        { path: p, field: "dtlsSessions.reportTimeoutMs" },
        readDuration,
        (l, x) => {
          if (l.dtlsSessions) l.dtlsSessions.reportTimeoutMs = x;
        },
      );
  }
  const misplaced: Record<string, string> = {};
  for (const [key, families] of Object.entries(LISTENER_KEYS_BY_FAMILY)) {
    if (families.includes(family)) continue;
    misplaced[key] = `is not valid for a ${family} listener`;
  }
  walk(b, value, path, { handlers, ignored: IGNORED_LISTENER_KEYS, misplaced });
}

const IGNORED_TLS_KEYS = [
  "depth",
  "secure_renegotiate",
  "honor_cipher_order",
  "hibernate_after",
  "log_level",
  "user_lookup_fun",
  "gc_after_handshake",
  "partial_chain",
  "verify_peer_ext_key_usage",
  "client_renegotiation",
  "dhfile",
];

function parseTlsOptions(
  b: PatchBuilder,
  input: {
    target: { family: ListenerFamily; name: string };
    value: unknown;
    path: string;
  },
): void {
  const { target } = input;
  const full = (field: string) =>
    `listeners.${target.family}.${target.name}.tls.${field}`;
  function put<T>(
    value: unknown,
    at: { path: string; field: string },
    read: (value: unknown) => Parsed<T>,
    apply: (tls: TlsOptions, value: T) => void,
  ): void {
    const r = read(value);
    if (!r.ok) return b.error(at.path, r.error, full(at.field));
    b.listener(target, `tls.${at.field}`, at.path, (l) => {
      if (l.tls) apply(l.tls, r.value);
    });
  }
  /** A handler for a string-valued option. */
  function text(
    field: string,
    apply: (tls: TlsOptions, value: string) => void,
  ): Handler {
    return (v, p) => put(v, { path: p, field }, readString, apply);
  }
  walk(b, input.value, input.path, {
    handlers: {
      credentials_type: (v, p) =>
        put(
          v,
          { path: p, field: "credentialsType" },
          enumReader(["PEM", "KEYSTORE"] as const),
          (t, x) => {
            t.credentialsType = x;
          },
        ),
      certfile: text("certFile", (t, x) => {
        t.certFile = x;
      }),
      keyfile: text("keyFile", (t, x) => {
        t.keyFile = x;
      }),
      password: text("keyPassword", (t, x) => {
        t.keyPassword = x;
      }),
      cacertfile: text("caCertFile", (t, x) => {
        t.caCertFile = x;
      }),
      verify: (v, p) =>
        put(
          v,
          { path: p, field: "verify" },
          enumReader(["verify_none", "verify_peer"] as const),
          (t, x) => {
            t.verify = x;
          },
        ),
      fail_if_no_peer_cert: (v, p) =>
        put(v, { path: p, field: "failIfNoPeerCert" }, readBoolean, (t, x) => {
          t.failIfNoPeerCert = x;
        }),
      skip_validity_check_for_client_cert: (v, p) =>
        put(
          v,
          { path: p, field: "skipValidityCheckForClientCert" },
          readBoolean,
          (t, x) => {
            t.skipValidityCheckForClientCert = x;
          },
        ),
      versions: (v, p) =>
        put(
          v,
          { path: p, field: "versions" },
          versionsReader(target.family),
          (t, x) => {
            t.versions = x;
          },
        ),
      ciphers: (v, p) =>
        put(v, { path: p, field: "ciphers" }, readCiphers, (t, x) => {
          t.ciphers = x;
        }),
      handshake_timeout: (v, p) =>
        put(
          v,
          { path: p, field: "handshakeTimeoutMs" },
          readDuration,
          (t, x) => {
            t.handshakeTimeoutMs = x;
          },
        ),
      tls_engine: (v, p) =>
        put(
          v,
          { path: p, field: "tlsEngine" },
          enumReader(["auto", "postern", "native"] as const),
          (t, x) => {
            t.tlsEngine = x;
          },
        ),
      reuse_sessions: (v, p) =>
        put(v, { path: p, field: "reuseSessions" }, readBoolean, (t, x) => {
          t.reuseSessions = x;
        }),
      enable_crl_check: (v, p) =>
        put(v, { path: p, field: "enableCrlCheck" }, readBoolean, (t, x) => {
          t.enableCrlCheck = x;
        }),
      crlfile: text("crlFile", (t, x) => {
        t.crlFile = x;
      }),
      keystore: (v, p) =>
        walk(b, v, p, {
          handlers: {
            type: (v2, p2) =>
              put(
                v2,
                { path: p2, field: "keyStoreType" },
                keyStoreTypeReader,
                (t, x) => {
                  t.keyStoreType = x;
                },
              ),
            file: text("keyStoreFile", (t, x) => {
              t.keyStoreFile = x;
            }),
            password: text("keyStorePassword", (t, x) => {
              t.keyStorePassword = x;
            }),
            key_password: text("keyStoreKeyPassword", (t, x) => {
              t.keyStoreKeyPassword = x;
            }),
          },
        }),
      ocsp: (v, p) =>
        walk(b, v, p, {
          handlers: {
            enable_ocsp_stapling: (v2, p2) =>
              put(
                v2,
                { path: p2, field: "ocsp.enableOcspStapling" },
                readBoolean,
                (t, x) => {
                  t.ocsp.enableOcspStapling = x;
                },
              ),
            responder_url: (v2, p2) =>
              put(
                v2,
                { path: p2, field: "ocsp.responderUrl" },
                readUrl,
                (t, x) => {
                  t.ocsp.responderUrl = x;
                },
              ),
            issuer_pem: text("ocsp.issuerPemFile", (t, x) => {
              t.ocsp.issuerPemFile = x;
            }),
            refresh_interval: (v2, p2) =>
              put(
                v2,
                { path: p2, field: "ocsp.refreshIntervalMs" },
                readDuration,
                (t, x) => {
                  t.ocsp.refreshIntervalMs = x;
                },
              ),
            refresh_http_timeout: (v2, p2) =>
              put(
                v2,
                { path: p2, field: "ocsp.refreshHttpTimeoutMs" },
                readDuration,
                (t, x) => {
                  t.ocsp.refreshHttpTimeoutMs = x;
                },
              ),
          },
        }),
    },
    ignored: IGNORED_TLS_KEYS,
  });
}

/** Key store types: PKCS#12 only; JKS gets a conversion hint. */
function keyStoreTypeReader(value: unknown): Parsed<"PKCS12"> {
  if (value === "PKCS12") return ok("PKCS12");
  if (typeof value === "string" && value.toUpperCase() === "JKS") {
    return fail(
      "JKS key stores are not supported: convert with keytool -importkeystore -deststoretype PKCS12",
    );
  }
  return fail(`Must be PKCS12, got ${describeJson(value)}`);
}

function parsePsk(b: PatchBuilder, value: unknown, path: string): void {
  function put<T>(
    value: unknown,
    at: { path: string; field: string },
    read: (value: unknown) => Parsed<T>,
    apply: (
      psk: {
        enabled: boolean;
        initFile?: string;
        separator: string;
        chunkSize: number;
      },
      value: T,
    ) => void,
  ): void {
    const r = read(value);
    if (!r.ok) return b.error(at.path, r.error, `psk.${at.field}`);
    b.global(`psk.${at.field}`, at.path, (c) => apply(c.psk, r.value));
  }
  walk(b, value, path, {
    handlers: {
      enable: (v, p) =>
        put(v, { path: p, field: "enabled" }, readBoolean, (s, x) => {
          s.enabled = x;
        }),
      init_file: (v, p) =>
        put(v, { path: p, field: "initFile" }, readString, (s, x) => {
          s.initFile = x;
        }),
      separator: (v, p) =>
        put(v, { path: p, field: "separator" }, readString, (s, x) => {
          s.separator = x;
        }),
      chunk_size: (v, p) =>
        put(v, { path: p, field: "chunkSize" }, readPositiveInteger, (s, x) => {
          s.chunkSize = x;
        }),
    },
  });
}

function parseMqtt(b: PatchBuilder, value: unknown, path: string): void {
  walk(b, value, path, {
    handlers: {
      peer_cert_as_username: (v, p) => {
        const r = enumReader(PEER_CERT_AS_USERNAME)(v);
        if (!r.ok) return b.error(p, r.error, "mqtt.peerCertAsUsername");
        b.global("mqtt.peerCertAsUsername", p, (c) => {
          c.mqtt.peerCertAsUsername = r.value;
        });
      },
      allow_anonymous: (v, p) => {
        const r = readBoolean(v);
        if (!r.ok) return b.error(p, r.error, "mqtt.allowAnonymous");
        b.global("mqtt.allowAnonymous", p, (c) => {
          c.mqtt.allowAnonymous = r.value;
        });
      },
      session_expiry_interval: (v, p) => {
        const r = readDuration(v);
        if (!r.ok) return b.error(p, r.error, "mqtt.sessionExpiryMs");
        b.global("mqtt.sessionExpiryMs", p, (c) => {
          c.mqtt.sessionExpiryMs = r.value;
        });
      },
    },
  });
}

function parseGateway(b: PatchBuilder, value: unknown, path: string): void {
  walk(b, value, path, {
    handlers: {
      coap: (v, p) =>
        walk(b, v, p, {
          handlers: {
            connection_required: (v, p) => {
              const r = readBoolean(v);
              if (!r.ok) {
                return b.error(p, r.error, "coapGateway.connectionRequired");
              }
              b.global("coapGateway.connectionRequired", p, (c) => {
                c.coapGateway.connectionRequired = r.value;
              });
            },
            heartbeat: (v, p) => {
              const r = readDuration(v);
              if (!r.ok) return b.error(p, r.error, "coapGateway.heartbeatMs");
              if (r.value === 0) {
                return b.error(
                  p,
                  "Must be more than zero",
                  "coapGateway.heartbeatMs",
                );
              }
              b.global("coapGateway.heartbeatMs", p, (c) => {
                c.coapGateway.heartbeatMs = r.value;
              });
            },
          },
          ignored: [
            "enable",
            "mountpoint",
            "notify_type",
            "subscribe_qos",
            "publish_qos",
            "enable_stats",
            "idle_timeout",
          ],
        }),
    },
  });
}

function parseLog(b: PatchBuilder, value: unknown, path: string): void {
  walk(b, value, path, {
    handlers: {
      format: (v, p) => {
        const r = enumReader(["text", "json"] as const)(v);
        if (!r.ok) return b.error(p, r.error, "log.format");
        b.global("log.format", p, (c) => {
          c.log.format = r.value;
        });
      },
      level: (v, p) => {
        const r = enumReader(["debug", "info", "warn", "error"] as const)(v);
        if (!r.ok) return b.error(p, r.error, "log.level");
        b.global("log.level", p, (c) => {
          c.log.level = r.value;
        });
      },
    },
  });
}
