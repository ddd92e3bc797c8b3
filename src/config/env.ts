/**
 * The environment variables of the configuration contract (ARCHITECTURE.md):
 * the names ThingsBoard and TBMQ document, so their users can move over
 * unchanged. Each listener variable configures the listener named `default`
 * of its family (`LISTENER_SSL_*` is `listeners.ssl.default`); every
 * `LISTENER_SSL_*` variable may also be spelled `MQTT_SSL_*` (ThingsBoard's
 * names), the `LISTENER_SSL_*` spelling winning when both are set.
 *
 * Values: booleans are `true` or `false` in any case; ports are integers from
 * 0 to 65535; `TB_*` durations are milliseconds; an empty value counts as
 * unset. Variables without one of postern's prefixes are ignored (the
 * environment holds many); an unknown variable with one of them
 * (`LISTENER_SSL_PEM_CRET`) is a warning with a "did you mean" suggestion.
 *
 * This module reads a plain record and never touches `Deno.env`.
 *
 * @module
 */

import type { ConfigError, ConfigIssue } from "./errors.ts";
import { PatchBuilder, type PatchOp } from "./_patch.ts";
import type {
  CredentialsType,
  ListenerConfig,
  ListenerFamily,
  LogFormat,
  LogLevel,
  PosternConfig,
  TlsEngine,
  TlsOptions,
  TlsVersion,
  VerifyMode,
} from "./schema.ts";
import { didYouMean } from "./suggest.ts";
import {
  PEER_CERT_AS_USERNAME,
  type PeerCertAsUsername,
} from "../auth/identity.ts";
import { type Parsed, parseDuration, parseHost, parsePort } from "./values.ts";

/** One known variable. */
interface EnvVarSpec {
  /** Canonical name. */
  readonly name: string;
  /** Other accepted names, in order of precedence after `name`. */
  readonly aliases: readonly string[];
  /** The listener it configures (always the `default` one), if any. */
  readonly family?: ListenerFamily;
  /** Listener field or global field path. */
  readonly field: string;
  /** Whether setting it counts as configuring postern (ends the embedded default). */
  readonly configures: boolean;
  /** Parses the value and records the change or the error. */
  readonly read: (raw: string, source: string, b: PatchBuilder) => void;
}

// ---- value parsers ----

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

function envBoolean(raw: string): Parsed<boolean> {
  const v = raw.trim().toLowerCase();
  if (v === "true") return ok(true);
  if (v === "false") return ok(false);
  return fail(`Must be true or false, got ${JSON.stringify(raw)}`);
}

function envMilliseconds(raw: string): Parsed<number> {
  const v = raw.trim();
  return /^\d{1,15}$/.test(v) ? ok(Number(v)) : fail(
    `Must be a whole number of milliseconds, got ${JSON.stringify(raw)}`,
  );
}

function envPositiveInteger(raw: string): Parsed<number> {
  const v = raw.trim();
  return /^[1-9]\d{0,14}$/.test(v)
    ? ok(Number(v))
    : fail(`Must be a positive integer, got ${JSON.stringify(raw)}`);
}

/** Milliseconds, or an EMQX duration such as `30s`; more than zero. */
function envPositiveDuration(raw: string): Parsed<number> {
  const v = raw.trim();
  const r = /^\d{1,15}$/.test(v) ? ok(Number(v)) : parseDuration(v);
  if (r.ok && r.value === 0) return fail("Must be more than zero");
  return r;
}

function envText(raw: string): Parsed<string> {
  return ok(raw);
}

/** Case-insensitive choice among `values`, returning the canonical spelling. */
function envEnum<T extends string>(
  values: readonly T[],
): (raw: string) => Parsed<T> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    const hit = values.find((x) => x.toLowerCase() === v);
    return hit !== undefined ? ok(hit) : fail(
      `Must be one of ${values.join(", ")}, got ${JSON.stringify(raw)}${
        didYouMean(raw.trim(), values)
      }`,
    );
  };
}

const envCredentialsType = envEnum<CredentialsType>(["PEM", "KEYSTORE"]);
const envVerify = envEnum<VerifyMode>(["verify_none", "verify_peer"]);
const envTlsEngine = envEnum<TlsEngine>(["auto", "postern", "native"]);
const envLogFormat = envEnum<LogFormat>(["text", "json"]);
const envLogLevel = envEnum<LogLevel>(["debug", "info", "warn", "error"]);

/** `*_PROTOCOL`: the lowest TLS version offered. */
function envProtocol(raw: string): Parsed<TlsVersion[]> {
  switch (raw.trim().toLowerCase()) {
    case "tlsv1.2":
      return ok(["tlsv1.2", "tlsv1.3"]);
    case "tlsv1.3":
      return ok(["tlsv1.3"]);
    default:
      return fail(`Must be TLSv1.2 or TLSv1.3, got ${JSON.stringify(raw)}`);
  }
}

function envKeyStoreType(raw: string): Parsed<"PKCS12"> {
  const v = raw.trim().toUpperCase();
  if (v === "PKCS12") return ok("PKCS12");
  if (v === "JKS") {
    return fail(
      "JKS key stores are not supported: convert with keytool -importkeystore -deststoretype PKCS12",
    );
  }
  return fail(`Must be PKCS12, got ${JSON.stringify(raw)}`);
}

// ---- the table ----

/** A variable of the `default` listener of `family`. */
function listenerVar<T>(spec: {
  name: string;
  aliases?: readonly string[];
  family: ListenerFamily;
  field: string;
  /** Whether it ends the embedded default (default true). */
  configures?: boolean;
  parse: (raw: string) => Parsed<T>;
  apply: (listener: ListenerConfig, value: NoInfer<T>) => void;
}): EnvVarSpec {
  const target = { family: spec.family, name: "default" };
  const full = `listeners.${spec.family}.default.${spec.field}`;
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    family: spec.family,
    field: spec.field,
    configures: spec.configures ?? true,
    read: (raw, source, b) => {
      const r = spec.parse(raw);
      if (!r.ok) return b.error(source, r.error, full);
      b.listener(target, spec.field, source, (l) => spec.apply(l, r.value));
    },
  };
}

/** A TLS variable of the `default` listener of `family`. */
function tlsVar<T>(spec: {
  name: string;
  aliases?: readonly string[];
  family: ListenerFamily;
  field: string;
  parse: (raw: string) => Parsed<T>;
  apply: (tls: TlsOptions, value: NoInfer<T>) => void;
}): EnvVarSpec {
  return listenerVar({
    ...spec,
    field: `tls.${spec.field}`,
    apply: (l, v) => {
      if (l.tls) spec.apply(l.tls, v);
    },
  });
}

/** A global variable. */
function globalVar<T>(spec: {
  name: string;
  field: string;
  configures: boolean;
  parse: (raw: string) => Parsed<T>;
  apply: (config: PosternConfig, value: NoInfer<T>) => void;
}): EnvVarSpec {
  return {
    name: spec.name,
    aliases: [],
    field: spec.field,
    configures: spec.configures,
    read: (raw, source, b) => {
      const r = spec.parse(raw);
      if (!r.ok) return b.error(source, r.error, spec.field);
      b.global(spec.field, source, (c) => spec.apply(c, r.value));
    },
  };
}

/**
 * `*_ENABLED`, `*_BIND_ADDRESS`, `*_BIND_PORT`. The address and port say
 * where a listener runs, not what postern serves: alone they keep the
 * embedded default (its listeners move, its commands show the new ports).
 */
function bindVars(
  family: ListenerFamily,
  prefixes: readonly string[],
): EnvVarSpec[] {
  const [prefix, ...others] = prefixes as [string, ...string[]];
  const names = (suffix: string) => ({
    name: prefix + suffix,
    aliases: others.map((p) => p + suffix),
  });
  return [
    listenerVar({
      ...names("ENABLED"),
      family,
      field: "enabled",
      parse: envBoolean,
      apply: (l, v) => {
        l.enabled = v;
      },
    }),
    listenerVar({
      ...names("BIND_ADDRESS"),
      family,
      field: "host",
      configures: false,
      parse: parseHost,
      apply: (l, v) => {
        l.host = v;
      },
    }),
    listenerVar({
      ...names("BIND_PORT"),
      family,
      field: "port",
      configures: false,
      parse: parsePort,
      apply: (l, v) => {
        l.port = v;
      },
    }),
  ];
}

/** Credential variables shared by the SSL, WSS and DTLS listeners. */
function credentialVars(
  family: ListenerFamily,
  prefixes: readonly string[],
): EnvVarSpec[] {
  const [prefix, ...others] = prefixes as [string, ...string[]];
  const names = (suffix: string) => ({
    name: prefix + suffix,
    aliases: others.map((p) => p + suffix),
  });
  const field = <K extends keyof TlsOptions>(
    suffix: string,
    key: K,
    parse: (raw: string) => Parsed<TlsOptions[K]>,
  ): EnvVarSpec =>
    tlsVar({
      ...names(suffix),
      family,
      field: key,
      parse,
      apply: (t, v) => {
        t[key] = v;
      },
    });
  return [
    field("CREDENTIALS_TYPE", "credentialsType", envCredentialsType),
    field("PEM_CERT", "certFile", envText),
    field("PEM_KEY", "keyFile", envText),
    field("PEM_KEY_PASSWORD", "keyPassword", envText),
    field("KEY_STORE_TYPE", "keyStoreType", envKeyStoreType),
    field("KEY_STORE", "keyStoreFile", envText),
    field("KEY_STORE_PASSWORD", "keyStorePassword", envText),
    field("KEY_PASSWORD", "keyStoreKeyPassword", envText),
  ];
}

/** Every variable of an MQTT TLS listener (`ssl`, `wss`). */
function mqttTlsVars(
  family: ListenerFamily,
  prefixes: readonly string[],
): EnvVarSpec[] {
  const [prefix, ...others] = prefixes as [string, ...string[]];
  const names = (suffix: string) => ({
    name: prefix + suffix,
    aliases: others.map((p) => p + suffix),
  });
  return [
    ...bindVars(family, prefixes),
    ...credentialVars(family, prefixes),
    tlsVar({
      ...names("PROTOCOL"),
      family,
      field: "versions",
      parse: envProtocol,
      apply: (t, v) => {
        t.versions = v;
      },
    }),
    tlsVar({
      ...names("CA_CERT"),
      family,
      field: "caCertFile",
      parse: envText,
      apply: (t, v) => {
        t.caCertFile = v;
      },
    }),
    tlsVar({
      ...names("VERIFY"),
      family,
      field: "verify",
      parse: envVerify,
      apply: (t, v) => {
        t.verify = v;
      },
    }),
    tlsVar({
      ...names("TLS_ENGINE"),
      family,
      field: "tlsEngine",
      parse: envTlsEngine,
      apply: (t, v) => {
        t.tlsEngine = v;
      },
    }),
    tlsVar({
      ...names("FAIL_IF_NO_PEER_CERT"),
      family,
      field: "failIfNoPeerCert",
      parse: envBoolean,
      apply: (t, v) => {
        t.failIfNoPeerCert = v;
      },
    }),
    tlsVar({
      ...names("SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT"),
      family,
      field: "skipValidityCheckForClientCert",
      parse: envBoolean,
      apply: (t, v) => {
        t.skipValidityCheckForClientCert = v;
      },
    }),
  ];
}

/** The DTLS CA variable: sets the CA and asks devices for a certificate. */
function dtlsCaVar(): EnvVarSpec {
  const target = { family: "dtls" as const, name: "default" };
  return {
    name: "COAP_DTLS_CA_CERT",
    aliases: [],
    family: "dtls",
    field: "tls.caCertFile",
    configures: true,
    read: (raw, source, b) => {
      b.listener(target, "tls.caCertFile", source, (l) => {
        if (l.tls) l.tls.caCertFile = raw;
      });
      // "When set, the server asks for a client certificate (PSK and token
      // devices still connect)": verify_peer without fail_if_no_peer_cert.
      b.listener(target, "tls.verify", source, (l) => {
        if (l.tls) l.tls.verify = "verify_peer";
      });
    },
  };
}

const ENV_VARS: readonly EnvVarSpec[] = [
  ...bindVars("tcp", ["LISTENER_TCP_"]),
  ...mqttTlsVars("ssl", ["LISTENER_SSL_", "MQTT_SSL_"]),
  ...bindVars("ws", ["LISTENER_WS_"]),
  ...mqttTlsVars("wss", ["LISTENER_WSS_"]),
  ...bindVars("coap", ["COAP_"]),
  ...bindVars("dtls", ["COAP_DTLS_"]),
  ...credentialVars("dtls", ["COAP_DTLS_"]),
  dtlsCaVar(),
  tlsVar({
    name: "TB_COAP_X509_DTLS_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT",
    family: "dtls",
    field: "skipValidityCheckForClientCert",
    parse: envBoolean,
    apply: (t, v) => {
      t.skipValidityCheckForClientCert = v;
    },
  }),
  listenerVar({
    name: "TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT",
    family: "dtls",
    field: "dtlsSessions.inactivityTimeoutMs",
    parse: envMilliseconds,
    apply: (l, v) => {
      if (l.dtlsSessions) l.dtlsSessions.inactivityTimeoutMs = v;
    },
  }),
  listenerVar({
    name: "TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT",
    family: "dtls",
    field: "dtlsSessions.reportTimeoutMs",
    parse: envMilliseconds,
    apply: (l, v) => {
      if (l.dtlsSessions) l.dtlsSessions.reportTimeoutMs = v;
    },
  }),
  globalVar({
    name: "COAP_CONNECTION_REQUIRED",
    field: "coapGateway.connectionRequired",
    configures: true,
    parse: envBoolean,
    apply: (c, v) => {
      c.coapGateway.connectionRequired = v;
    },
  }),
  globalVar({
    name: "COAP_HEARTBEAT",
    field: "coapGateway.heartbeatMs",
    configures: true,
    parse: envPositiveDuration,
    apply: (c, v) => {
      c.coapGateway.heartbeatMs = v;
    },
  }),
  globalVar({
    name: "PSK_AUTHENTICATION_ENABLED",
    field: "psk.enabled",
    configures: true,
    parse: envBoolean,
    apply: (c, v) => {
      c.psk.enabled = v;
    },
  }),
  globalVar({
    name: "PSK_AUTHENTICATION_INIT_FILE",
    field: "psk.initFile",
    configures: true,
    parse: envText,
    apply: (c, v) => {
      c.psk.initFile = v;
    },
  }),
  globalVar({
    name: "PSK_AUTHENTICATION_SEPARATOR",
    field: "psk.separator",
    configures: true,
    parse: envText,
    apply: (c, v) => {
      c.psk.separator = v;
    },
  }),
  globalVar({
    name: "PSK_AUTHENTICATION_CHUNK_SIZE",
    field: "psk.chunkSize",
    configures: true,
    parse: envPositiveInteger,
    apply: (c, v) => {
      c.psk.chunkSize = v;
    },
  }),
  globalVar({
    name: "MQTT_PEER_CERT_AS_USERNAME",
    field: "mqtt.peerCertAsUsername",
    configures: true,
    parse: envEnum<PeerCertAsUsername>(PEER_CERT_AS_USERNAME),
    apply: (c, v) => {
      c.mqtt.peerCertAsUsername = v;
    },
  }),
  globalVar({
    name: "MQTT_ALLOW_ANONYMOUS",
    field: "mqtt.allowAnonymous",
    configures: true,
    parse: envBoolean,
    apply: (c, v) => {
      c.mqtt.allowAnonymous = v;
    },
  }),
  // Where and how postern runs, not what it serves: these do not end the
  // embedded default.
  globalVar({
    name: "POSTERN_DATA_DIR",
    field: "dataDir",
    configures: false,
    parse: envText,
    apply: (c, v) => {
      c.dataDir = v;
    },
  }),
  globalVar({
    name: "POSTERN_LOG_FORMAT",
    field: "log.format",
    configures: false,
    parse: envLogFormat,
    apply: (c, v) => {
      c.log.format = v;
    },
  }),
  globalVar({
    name: "POSTERN_LOG_LEVEL",
    field: "log.level",
    configures: false,
    parse: envLogLevel,
    apply: (c, v) => {
      c.log.level = v;
    },
  }),
];

/**
 * Every variable name postern reads, aliases included.
 *
 * @example
 * ```ts
 * import { ENV_VARIABLE_NAMES } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(ENV_VARIABLE_NAMES.includes("LISTENER_SSL_PEM_CERT"));
 * assert.ok(ENV_VARIABLE_NAMES.includes("MQTT_SSL_PEM_CERT"));
 * assert.ok(ENV_VARIABLE_NAMES.includes("TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT"));
 * ```
 */
export const ENV_VARIABLE_NAMES: readonly string[] = ENV_VARS.flatMap((
  s,
) => [s.name, ...s.aliases]);

/**
 * Prefixes of postern's variables: an unknown variable with one of these is
 * reported as a probable typo.
 *
 * @example
 * ```ts
 * import { ENV_PREFIXES } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(ENV_PREFIXES.includes("LISTENER_"));
 * ```
 */
export const ENV_PREFIXES: readonly string[] = [
  "LISTENER_",
  "MQTT_SSL_",
  "MQTT_ALLOW_",
  "COAP_",
  "TB_COAP_X509_DTLS_",
  "PSK_AUTHENTICATION_",
  "POSTERN_",
];

/**
 * What reading the environment produced.
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * const result = readEnv({ HOME: "/root" });
 * assert.equal(result.configured, false);
 * assert.equal(result.ops.length, 0);
 * ```
 */
export interface EnvReadResult {
  /** Changes to apply (opaque; applied by `loadConfig`). */
  readonly ops: readonly PatchOp[];
  /** Every invalid value, each naming its variable. */
  readonly errors: readonly ConfigError[];
  /** Unknown variables with postern's prefixes, and ignored aliases. */
  readonly warnings: readonly ConfigIssue[];
  /**
   * Whether any variable that configures what postern serves is set (all
   * but `POSTERN_DATA_DIR`, `POSTERN_LOG_*` and the listeners' bind
   * addresses and ports): then the table's defaults apply instead of the
   * embedded default.
   */
  readonly configured: boolean;
}

/**
 * Reads postern's variables from an environment record (such as
 * `Deno.env.toObject()`). Never throws.
 *
 * @param env Variable names and values.
 * @returns The changes and every problem.
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * const result = readEnv({
 *   LISTENER_SSL_BIND_PORT: "88830",
 *   LISTENER_SSL_PEM_CRET: "server.pem",
 *   PATH: "/usr/bin",
 * });
 * assert.equal(result.errors[0]?.path, "LISTENER_SSL_BIND_PORT");
 * assert.match(result.warnings[0]!.message, /did you mean "LISTENER_SSL_PEM_CERT"/);
 * assert.equal(result.configured, false); // a port alone keeps the embedded default
 * ```
 */
export function readEnv(env: Readonly<Record<string, string>>): EnvReadResult {
  const b = new PatchBuilder();
  let configured = false;
  const given = (name: string) => Object.hasOwn(env, name) && env[name] !== "";
  for (const spec of ENV_VARS) {
    const names = [spec.name, ...spec.aliases].filter(given);
    const source = names[0];
    if (source === undefined) continue;
    if (spec.configures) configured = true;
    const raw = env[source] as string;
    for (const other of names.slice(1)) {
      if (env[other] !== raw) {
        b.warn(other, `Ignored because ${source} is also set`);
      }
    }
    spec.read(raw, source, b);
  }
  const known = new Set(ENV_VARIABLE_NAMES);
  for (const name of Object.keys(env).sort()) {
    if (known.has(name) || !ENV_PREFIXES.some((p) => name.startsWith(p))) {
      continue;
    }
    b.warn(name, `Not a postern variable, ignored${didYouMean(name, known)}`);
  }
  return { ops: b.ops, errors: b.errors, warnings: b.warnings, configured };
}

/**
 * The variable that sets a field of a family's `default` listener, for
 * messages that tell an environment user what to set.
 *
 * @param family The listener family.
 * @param field The listener field, such as `port` or `tls.certFile`.
 * @returns The canonical variable name, or `undefined` when none sets it.
 *
 * @example
 * ```ts
 * import { envVariableFor } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(envVariableFor("dtls", "tls.certFile"), "COAP_DTLS_PEM_CERT");
 * assert.equal(envVariableFor("tcp", "accessRules"), undefined);
 * ```
 */
export function envVariableFor(
  family: ListenerFamily,
  field: string,
): string | undefined {
  return ENV_VARS.find((s) => s.family === family && s.field === field)?.name;
}
