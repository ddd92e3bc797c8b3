/**
 * Where each configuration value came from, so that a problem found after
 * merging (a duplicate port, a missing certificate, a port already in use)
 * names the variable or JSON key the operator actually wrote.
 *
 * Values are identified by their normalized field path:
 * `listeners.<family>.<name>.<field>` for listener fields (`port`,
 * `tls.certFile`, `tls.ocsp.responderUrl`) and the field path for global
 * ones (`dataDir`, `psk.initFile`, `log.format`).
 *
 * @module
 */

/**
 * Which source set a value last.
 *
 * @example
 * ```ts
 * import type { OriginKind } from "./origins.ts";
 *
 * const kind: OriginKind = "env";
 * ```
 */
export type OriginKind = "default" | "file" | "env";

/**
 * The normalized path of a listener field.
 *
 * @param listener The listener's family and name.
 * @param field The field, such as `port` or `tls.certFile`.
 * @returns Such as `listeners.ssl.default.tls.certFile`.
 *
 * @example
 * ```ts
 * import { listenerField } from "./origins.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(listenerField({ family: "ssl", name: "default" }, "port"), "listeners.ssl.default.port");
 * ```
 */
export function listenerField(
  listener: { readonly family: string; readonly name: string },
  field: string,
): string {
  return `listeners.${listener.family}.${listener.name}.${field}`;
}

const LISTENER_KEYS: Readonly<Record<string, string>> = {
  enabled: "enable",
  host: "bind",
  port: "bind",
  accessRules: "access_rules",
  maxConnections: "max_connections",
  proxyProtocol: "proxy_protocol",
  proxyProtocolTimeoutMs: "proxy_protocol_timeout",
  path: "websocket.mqtt_path",
  "dtlsSessions.inactivityTimeoutMs": "session_inactivity_timeout",
  "dtlsSessions.reportTimeoutMs": "session_report_timeout",
};

const TLS_KEYS: Readonly<Record<string, string>> = {
  credentialsType: "credentials_type",
  certFile: "certfile",
  keyFile: "keyfile",
  keyPassword: "password",
  keyStoreType: "keystore.type",
  keyStoreFile: "keystore.file",
  keyStorePassword: "keystore.password",
  keyStoreKeyPassword: "keystore.key_password",
  caCertFile: "cacertfile",
  verify: "verify",
  failIfNoPeerCert: "fail_if_no_peer_cert",
  skipValidityCheckForClientCert: "skip_validity_check_for_client_cert",
  versions: "versions",
  ciphers: "ciphers",
  handshakeTimeoutMs: "handshake_timeout",
  tlsEngine: "tls_engine",
  reuseSessions: "reuse_sessions",
  "ocsp.enableOcspStapling": "ocsp.enable_ocsp_stapling",
  "ocsp.responderUrl": "ocsp.responder_url",
  "ocsp.issuerPemFile": "ocsp.issuer_pem",
  "ocsp.refreshIntervalMs": "ocsp.refresh_interval",
  "ocsp.refreshHttpTimeoutMs": "ocsp.refresh_http_timeout",
  enableCrlCheck: "enable_crl_check",
  crlFile: "crlfile",
};

const GLOBAL_KEYS: Readonly<Record<string, string>> = {
  dataDir: "data_dir",
  "psk.enabled": "psk_authentication.enable",
  "psk.initFile": "psk_authentication.init_file",
  "psk.separator": "psk_authentication.separator",
  "psk.chunkSize": "psk_authentication.chunk_size",
  "mqtt.allowAnonymous": "mqtt.allow_anonymous",
  "mqtt.peerCertAsUsername": "mqtt.peer_cert_as_username",
  "mqtt.sessionExpiryMs": "mqtt.session_expiry_interval",
  "coapGateway.connectionRequired": "gateway.coap.connection_required",
  "coapGateway.heartbeatMs": "gateway.coap.heartbeat",
  "log.format": "log.format",
  "log.level": "log.level",
};

/**
 * The config file path of a normalized field: what an operator would write
 * in the JSON file to set it.
 *
 * @param field A normalized field path.
 * @returns The JSON path, or `field` itself when it has no file key.
 *
 * @example
 * ```ts
 * import { filePathOf } from "./origins.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(filePathOf("listeners.ssl.default.port"), "listeners.ssl.default.bind");
 * assert.equal(
 *   filePathOf("listeners.dtls.default.tls.certFile"),
 *   "listeners.dtls.default.dtls_options.certfile",
 * );
 * assert.equal(filePathOf("psk.initFile"), "psk_authentication.init_file");
 * ```
 */
export function filePathOf(field: string): string {
  const m = /^listeners\.([^.]+)\.([^.]+)\.(.+)$/.exec(field);
  if (m === null) {
    return Object.hasOwn(GLOBAL_KEYS, field)
      ? GLOBAL_KEYS[field] as string
      : field;
  }
  const [, family, name, rest] = m as unknown as [
    string,
    string,
    string,
    string,
  ];
  const prefix = `listeners.${family}.${name}`;
  if (rest.startsWith("tls.")) {
    const tlsField = rest.slice(4);
    const options = family === "dtls" ? "dtls_options" : "ssl_options";
    return Object.hasOwn(TLS_KEYS, tlsField)
      ? `${prefix}.${options}.${TLS_KEYS[tlsField]}`
      : field;
  }
  return Object.hasOwn(LISTENER_KEYS, rest)
    ? `${prefix}.${LISTENER_KEYS[rest]}`
    : field;
}

/**
 * The source of every configuration value set by the file or the
 * environment, and the fields whose given value was rejected.
 *
 * @example
 * ```ts
 * import { ConfigOrigins } from "./origins.ts";
 * import assert from "node:assert/strict";
 *
 * const origins = new ConfigOrigins();
 * origins.set("listeners.ssl.default.port", "LISTENER_SSL_BIND_PORT", "env");
 * assert.equal(origins.sourceOf("listeners.ssl.default.port"), "LISTENER_SSL_BIND_PORT");
 * assert.equal(origins.sourceOf("listeners.ssl.default.host"), "listeners.ssl.default.bind");
 * assert.equal(origins.kindOf("listeners.ssl.default.host"), "default");
 * ```
 */
export class ConfigOrigins {
  readonly #sources = new Map<string, { source: string; kind: OriginKind }>();
  readonly #invalid = new Set<string>();

  /**
   * Records that `source` set `field`, clearing an earlier rejection.
   *
   * @param field Normalized field path.
   * @param source Variable name or JSON path.
   * @param kind Which source.
   */
  set(field: string, source: string, kind: OriginKind): void {
    this.#sources.set(field, { source, kind });
    this.#invalid.delete(field);
  }

  /**
   * Records that the value given for `field` was rejected, so that checks
   * on the merged configuration do not report it a second time.
   *
   * @param field Normalized field path.
   */
  markInvalid(field: string): void {
    this.#invalid.add(field);
  }

  /**
   * Whether the last value given for `field` was rejected.
   *
   * @param field Normalized field path.
   * @returns `true` after {@link ConfigOrigins.markInvalid}.
   */
  isInvalid(field: string): boolean {
    return this.#invalid.has(field);
  }

  /**
   * The variable or JSON path that set `field`, or its file path when it
   * has its default value.
   *
   * @param field Normalized field path.
   * @returns A variable name or JSON path.
   */
  sourceOf(field: string): string {
    return this.#sources.get(field)?.source ?? filePathOf(field);
  }

  /**
   * Which source set `field`.
   *
   * @param field Normalized field path.
   * @returns `default` when nothing set it.
   */
  kindOf(field: string): OriginKind {
    return this.#sources.get(field)?.kind ?? "default";
  }

  /**
   * Every recorded field and its source.
   *
   * @returns Pairs of normalized field path and variable name or JSON path.
   */
  entries(): [string, string][] {
    return [...this.#sources].map(([field, { source }]) => [field, source]);
  }
}
