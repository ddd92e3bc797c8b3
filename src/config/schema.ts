/**
 * The normalized configuration of postern and its defaults.
 *
 * Both configuration sources (the ThingsBoard/TBMQ environment variables and
 * the EMQX-shaped JSON file, see ARCHITECTURE.md "Configuration contract")
 * are turned into one {@link PosternConfig}: a flat list of listeners, each
 * with its family, name, address and options, plus the global settings.
 * Environment listeners are the listener named `default` of their family
 * (`LISTENER_SSL_*` is `listeners.ssl.default`).
 *
 * @module
 */

import type { AccessRule } from "./access_rules.ts";
import type { LogFormat, LogLevel } from "../log/logger.ts";
import type { PeerCertAsUsername } from "../auth/identity.ts";

/**
 * The listener families, in start order: MQTT over TCP, TLS, WebSocket and
 * secure WebSocket, then CoAP over UDP and DTLS.
 *
 * @example
 * ```ts
 * import { LISTENER_FAMILIES } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(LISTENER_FAMILIES, ["tcp", "ssl", "ws", "wss", "coap", "dtls"]);
 * ```
 */
export const LISTENER_FAMILIES = [
  "tcp",
  "ssl",
  "ws",
  "wss",
  "coap",
  "dtls",
] as const;

/**
 * A listener family: the key under `listeners` in the config file.
 *
 * @example
 * ```ts
 * import type { ListenerFamily } from "./schema.ts";
 *
 * const family: ListenerFamily = "dtls";
 * ```
 */
export type ListenerFamily = (typeof LISTENER_FAMILIES)[number];

/**
 * Whether a value is a listener family name.
 *
 * @param value Any string.
 * @returns `true` for `tcp`, `ssl`, `ws`, `wss`, `coap` and `dtls`.
 *
 * @example
 * ```ts
 * import { isListenerFamily } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isListenerFamily("wss"));
 * assert.ok(!isListenerFamily("quic"));
 * ```
 */
export function isListenerFamily(value: string): value is ListenerFamily {
  return (LISTENER_FAMILIES as readonly string[]).includes(value);
}

/**
 * The transport protocol a listener binds: two listeners conflict only when
 * they bind the same port on the same transport.
 *
 * @example
 * ```ts
 * import { type Transport, transportOf } from "./schema.ts";
 *
 * const t: Transport = transportOf("coap");
 * ```
 */
export type Transport = "tcp" | "udp";

/**
 * The transport of a family: `coap` and `dtls` use UDP, the MQTT families TCP.
 *
 * @param family The listener family.
 * @returns `"udp"` or `"tcp"`.
 *
 * @example
 * ```ts
 * import { transportOf } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(transportOf("dtls"), "udp");
 * assert.equal(transportOf("wss"), "tcp");
 * ```
 */
export function transportOf(family: ListenerFamily): Transport {
  return family === "coap" || family === "dtls" ? "udp" : "tcp";
}

/**
 * Whether listeners of a family terminate TLS or DTLS and so carry
 * {@link TlsOptions}.
 *
 * @param family The listener family.
 * @returns `true` for `ssl`, `wss` and `dtls`.
 *
 * @example
 * ```ts
 * import { isSecureFamily } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSecureFamily("ssl"));
 * assert.ok(!isSecureFamily("coap"));
 * ```
 */
export function isSecureFamily(family: ListenerFamily): boolean {
  return family === "ssl" || family === "wss" || family === "dtls";
}

/**
 * A human name for a family, for log lines and hints.
 *
 * @param family The listener family.
 * @returns Such as `"MQTT over TLS"`.
 *
 * @example
 * ```ts
 * import { describeFamily } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeFamily("dtls"), "CoAP over DTLS");
 * ```
 */
export function describeFamily(family: ListenerFamily): string {
  return FAMILY_NAMES[family];
}

const FAMILY_NAMES: Readonly<Record<ListenerFamily, string>> = {
  tcp: "MQTT over TCP",
  ssl: "MQTT over TLS",
  ws: "MQTT over WebSocket",
  wss: "MQTT over secure WebSocket",
  coap: "CoAP over UDP",
  dtls: "CoAP over DTLS",
};

/**
 * Default port of each family (ThingsBoard / TBMQ defaults).
 *
 * @example
 * ```ts
 * import { DEFAULT_PORTS } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_PORTS.ssl, 8883);
 * ```
 */
export const DEFAULT_PORTS: Readonly<Record<ListenerFamily, number>> = {
  tcp: 1883,
  ssl: 8883,
  ws: 8084,
  wss: 8085,
  coap: 5683,
  dtls: 5684,
};

/**
 * Where the embedded default expects its development certificates, made by
 * `postern certs init` (or on the first `serve` with no configuration).
 *
 * @example
 * ```ts
 * import { DEV_CERTIFICATES } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEV_CERTIFICATES.certFile, "certs/server.pem");
 * ```
 */
export const DEV_CERTIFICATES = {
  /** Directory holding the development CA, server and client certificates. */
  dir: "certs",
  /** Server certificate chain. */
  certFile: "certs/server.pem",
  /** Server private key. */
  keyFile: "certs/server_key.pem",
  /** Development CA certificate (trust anchor for clients and devices). */
  caCertFile: "certs/ca.pem",
} as const;

/**
 * Where the server's certificate and key come from (`*_CREDENTIALS_TYPE`).
 *
 * @example
 * ```ts
 * import type { CredentialsType } from "./schema.ts";
 *
 * const type: CredentialsType = "KEYSTORE";
 * ```
 */
export type CredentialsType = "PEM" | "KEYSTORE";

/**
 * Client certificate policy (EMQX `verify`).
 *
 * @example
 * ```ts
 * import type { VerifyMode } from "./schema.ts";
 *
 * const verify: VerifyMode = "verify_peer";
 * ```
 */
export type VerifyMode = "verify_none" | "verify_peer";

/**
 * Which TLS implementation serves an `ssl` or `wss` listener
 * (`ssl_options.tls_engine`, `LISTENER_SSL_TLS_ENGINE`): `auto` lets
 * postern choose (see `tls_path.ts`), `postern` forces its own TLS 1.2
 * engine (`ssl` only), `native` forces Deno's built-in TLS
 * (`Deno.listenTls`, or `node:tls` when client certificates are verified).
 *
 * @example
 * ```ts
 * import type { TlsEngine } from "./schema.ts";
 *
 * const engine: TlsEngine = "postern";
 * ```
 */
export type TlsEngine = "auto" | "postern" | "native";

/**
 * A protocol version a TLS or DTLS listener offers (EMQX `versions`).
 *
 * @example
 * ```ts
 * import type { TlsVersion } from "./schema.ts";
 *
 * const versions: TlsVersion[] = ["tlsv1.2", "tlsv1.3"];
 * ```
 */
export type TlsVersion = "tlsv1.2" | "tlsv1.3" | "dtlsv1.2";

/**
 * Log line format and level, shared with the logger (`src/log`).
 *
 * @example
 * ```ts
 * import type { LogFormat, LogLevel } from "./schema.ts";
 *
 * const log: { format: LogFormat; level: LogLevel } = { format: "json", level: "info" };
 * ```
 */
export type { LogFormat, LogLevel } from "../log/logger.ts";

/**
 * OCSP stapling of a TLS listener (EMQX `ssl_options.ocsp`). Stapling runs on
 * postern's own TLS 1.2 engine.
 *
 * @example
 * ```ts
 * import { defaultTlsOptions } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultTlsOptions("ssl").ocsp.refreshIntervalMs, 300_000);
 * ```
 */
export interface OcspOptions {
  /** Staple an OCSP response to the server certificate (`enable_ocsp_stapling`). */
  enableOcspStapling: boolean;
  /** OCSP responder to fetch responses from (`responder_url`). */
  responderUrl?: string;
  /** PEM file of the server certificate's issuer (`issuer_pem`). */
  issuerPemFile?: string;
  /** Milliseconds between response refreshes (`refresh_interval`, default 5m). */
  refreshIntervalMs: number;
  /** Timeout of one responder request in ms (`refresh_http_timeout`, default 15s). */
  refreshHttpTimeoutMs: number;
}

/**
 * TLS or DTLS options of a secure listener (`ssl`, `wss`, `dtls`).
 * File paths are relative to the working directory.
 *
 * @example
 * ```ts
 * import { defaultTlsOptions } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const tls = defaultTlsOptions("dtls");
 * assert.deepEqual(tls.versions, ["dtlsv1.2"]);
 * assert.equal(tls.verify, "verify_none");
 * ```
 */
export interface TlsOptions {
  /**
   * PEM files or a PKCS#12 key store (`*_CREDENTIALS_TYPE`,
   * `ssl_options.credentials_type`). Default `PEM`.
   */
  credentialsType: CredentialsType;
  /**
   * Server certificate or chain, PEM; may also hold the key (`*_PEM_CERT`,
   * `ssl_options.certfile`).
   */
  certFile?: string;
  /** Server private key, PEM (`*_PEM_KEY`, `ssl_options.keyfile`). */
  keyFile?: string;
  /** Password of an encrypted PEM key (`*_PEM_KEY_PASSWORD`, `ssl_options.password`). */
  keyPassword?: string;
  /** Key store type (`*_KEY_STORE_TYPE`, `ssl_options.keystore.type`); only `PKCS12`. */
  keyStoreType: "PKCS12";
  /** Key store file (`*_KEY_STORE`, `ssl_options.keystore.file`). */
  keyStoreFile?: string;
  /** Key store password (`*_KEY_STORE_PASSWORD`, `ssl_options.keystore.password`). */
  keyStorePassword?: string;
  /** Password of the key inside the key store (`*_KEY_PASSWORD`, `ssl_options.keystore.key_password`). */
  keyStoreKeyPassword?: string;
  /** Trusted CAs for client certificates, PEM (`*_CA_CERT`, `ssl_options.cacertfile`). */
  caCertFile?: string;
  /** Whether to ask for a client certificate (`*_VERIFY`, `ssl_options.verify`). */
  verify: VerifyMode;
  /**
   * With `verify_peer`, refuse clients without a certificate
   * (`*_FAIL_IF_NO_PEER_CERT`, `ssl_options.fail_if_no_peer_cert`).
   */
  failIfNoPeerCert: boolean;
  /**
   * Accept expired and not-yet-valid client certificates
   * (`MQTT_SSL_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`,
   * `TB_COAP_X509_DTLS_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`,
   * `ssl_options.skip_validity_check_for_client_cert`).
   */
  skipValidityCheckForClientCert: boolean;
  /**
   * Versions offered (`ssl_options.versions`; `LISTENER_SSL_PROTOCOL` gives
   * the lowest). TLS listeners: `tlsv1.2`, `tlsv1.3`; DTLS: `dtlsv1.2`.
   */
  versions: TlsVersion[];
  /** Cipher suites by OpenSSL name, in preference order; empty means the built-in default. */
  ciphers: string[];
  /** Handshake timeout in ms (`ssl_options.handshake_timeout`, default 15s). */
  handshakeTimeoutMs: number;
  /** Which TLS implementation serves the listener (`ssl_options.tls_engine`, default `auto`). */
  tlsEngine: TlsEngine;
  /**
   * Resume sessions by session ID (RFC 5246 §7.3) from the listener's
   * bounded, expiring session cache (`ssl_options.reuse_sessions`,
   * `dtls_options.reuse_sessions`, default true). Postern's TLS engine and
   * the DTLS listener only; Deno's TLS servers resume by themselves.
   */
  reuseSessions: boolean;
  /** OCSP stapling. */
  ocsp: OcspOptions;
  /** Check client certificates against a CRL (`ssl_options.enable_crl_check`). */
  enableCrlCheck: boolean;
  /** The CRL file, PEM or DER (`ssl_options.crlfile`); required by `enableCrlCheck`. */
  crlFile?: string;
}

/**
 * DTLS session sweeping of a `dtls` listener.
 *
 * @example
 * ```ts
 * import { defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultListener("dtls", "default").dtlsSessions?.inactivityTimeoutMs, 86_400_000);
 * ```
 */
export interface DtlsSessionOptions {
  /**
   * Milliseconds a DTLS session may stay idle
   * (`TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT`,
   * `session_inactivity_timeout`; default 24h).
   */
  inactivityTimeoutMs: number;
  /**
   * Milliseconds between inactivity sweeps
   * (`TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT`, `session_report_timeout`;
   * default 30m).
   */
  reportTimeoutMs: number;
}

/**
 * One listener in normalized form.
 *
 * @example
 * ```ts
 * import { defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const l = defaultListener("ws", "default");
 * assert.equal(l.port, 8084);
 * assert.equal(l.path, "/mqtt");
 * assert.equal(l.tls, undefined);
 * ```
 */
export interface ListenerConfig {
  /** Protocol family: the key under `listeners` in the file. */
  family: ListenerFamily;
  /** Listener name: the key under `listeners.<family>`; `default` for the environment's. */
  name: string;
  /** Whether to start it (`*_ENABLED`, `enable`). */
  enabled: boolean;
  /** Address to bind, IPv6 without brackets (`*_BIND_ADDRESS`, host part of `bind`). */
  host: string;
  /** Port to bind, 0 for a free one (`*_BIND_PORT`, port part of `bind`). */
  port: number;
  /** Client address rules, first match wins, no match allows (`access_rules`). */
  accessRules: AccessRule[];
  /** Most concurrent connections; `Infinity` for no limit (`max_connections`). */
  maxConnections: number;
  /** Expect a PROXY protocol v1/v2 header first (`proxy_protocol`; TCP families only). */
  proxyProtocol: boolean;
  /** Milliseconds to wait for the PROXY header (`proxy_protocol_timeout`, default 3s). */
  proxyProtocolTimeoutMs: number;
  /** HTTP path of the MQTT WebSocket endpoint (`ws`, `wss`; `websocket.mqtt_path`, default `/mqtt`). */
  path?: string;
  /** TLS or DTLS options (`ssl`, `wss`, `dtls`; `ssl_options` / `dtls_options`). */
  tls?: TlsOptions;
  /** DTLS session sweeping (`dtls` only). */
  dtlsSessions?: DtlsSessionOptions;
}

/**
 * PSK identities imported at start (`PSK_AUTHENTICATION_*`,
 * `psk_authentication`).
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultConfig().psk.separator, ":");
 * ```
 */
export interface PskAuthenticationConfig {
  /** Import the init file at start (`PSK_AUTHENTICATION_ENABLED`, `enable`). */
  enabled: boolean;
  /** File of `identity<separator>secret` lines (`_INIT_FILE`, `init_file`). */
  initFile?: string;
  /** Separator between identity and secret (`_SEPARATOR`, `separator`; default `:`). */
  separator: string;
  /** Identities written to the store per batch (`_CHUNK_SIZE`, `chunk_size`; default 50). */
  chunkSize: number;
}

/**
 * MQTT settings shared by every MQTT listener (`MQTT_*`, `mqtt`).
 *
 * `allowAnonymous` (`MQTT_ALLOW_ANONYMOUS`, `mqtt.allow_anonymous`; default
 * `true`): whether a client that sends no user name and presents no client
 * certificate may connect. Such a client is the ACL subject `*`: only the
 * rules stored for `*` apply to it (none stored: everything is allowed).
 * The default keeps the embedded first start usable with the
 * `mosquitto_sub` commands `serve` prints; set it to `false` once devices
 * have tokens, passwords or certificates, and anonymous CONNECTs are
 * refused with CONNACK 0x87 Not authorized (5.0) / 0x05 (3.1.1).
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultConfig().mqtt, { allowAnonymous: true, peerCertAsUsername: "cn" });
 * assert.equal(defaultConfig({ embedded: true }).mqtt.allowAnonymous, true);
 * ```
 */
export interface MqttConfig {
  /** Accept clients without credentials (`MQTT_ALLOW_ANONYMOUS`, `allow_anonymous`; default true). */
  allowAnonymous: boolean;
  /**
   * How long an MQTT 3.1.1 session with `clean_session = false` outlives
   * its connection, ms (`mqtt.session_expiry_interval`, as EMQX names it;
   * absent: forever). 5.0 clients ask for their own Session Expiry Interval.
   */
  sessionExpiryMs?: number;
  /**
   * The part of a verified client certificate that becomes the MQTT user
   * name and ACL subject when no store rule names the certificate
   * (`MQTT_PEER_CERT_AS_USERNAME`, `mqtt.peer_cert_as_username` as EMQX
   * names it; default `cn`): `cn` (Mosquitto `use_identity_as_username`),
   * `dn` (Mosquitto `use_subject_as_username`), `san` (the first
   * subjectAltName), `fingerprint` (SHA-256, lowercase hex) or `disabled`
   * (only store rules name certificates; others get CONNACK 0x87 / 0x05).
   * It replaces a user name the CONNECT carries.
   */
  peerCertAsUsername: PeerCertAsUsername;
}

/**
 * EMQX's CoAP gateway settings (`gateway.coap`; `COAP_*`), shared by the
 * `coap` and `dtls` listeners; see `src/gateway/connection_mode.ts`.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultConfig().coapGateway, { connectionRequired: false, heartbeatMs: 30_000 });
 * ```
 */
export interface CoapGatewayConfig {
  /**
   * Refuse `/ps` requests without a connection token (4.01), unless the
   * DTLS session identifies the device (`COAP_CONNECTION_REQUIRED`,
   * `gateway.coap.connection_required`; default false).
   */
  connectionRequired: boolean;
  /**
   * A connection idle this long ends (`COAP_HEARTBEAT`, ms or a duration
   * such as `30s`; `gateway.coap.heartbeat`; default 30 s).
   */
  heartbeatMs: number;
}

/**
 * Log settings (`POSTERN_LOG_FORMAT`, `POSTERN_LOG_LEVEL`, `log`; the
 * `--log-format` flag wins).
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultConfig().log, { format: "text", level: "info" });
 * ```
 */
export interface LogConfig {
  /** `text` (default) or `json`, one line per event. */
  format: LogFormat;
  /** Lowest level written (default `info`). */
  level: LogLevel;
}

/**
 * The whole configuration, normalized.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const enabled = config.listeners.filter((l) => l.enabled).map((l) => l.family);
 * assert.deepEqual(enabled, ["tcp", "coap"]);
 * assert.equal(config.dataDir, "./data");
 * ```
 */
export interface PosternConfig {
  /** Every listener, enabled or not: the `default` of each family first, then the file's others. */
  listeners: ListenerConfig[];
  /** PSK identity import. */
  psk: PskAuthenticationConfig;
  /** MQTT settings of every MQTT listener. */
  mqtt: MqttConfig;
  /** CoAP gateway settings of the `coap` and `dtls` listeners. */
  coapGateway: CoapGatewayConfig;
  /** Directory of the embedded store (`POSTERN_DATA_DIR`, `data_dir`, `--data-dir`; default `./data`). */
  dataDir: string;
  /** Log settings. */
  log: LogConfig;
  /**
   * The embedded default is in force (nothing configured at all): the TLS
   * and DTLS listeners use the development certificates of
   * {@link DEV_CERTIFICATES}, which `serve` creates on first start.
   */
  devCertificates: boolean;
}

/**
 * Default TLS options of a secure family.
 *
 * @param family `ssl`, `wss` or `dtls`; decides the default versions.
 * @returns Fresh options.
 *
 * @example
 * ```ts
 * import { defaultTlsOptions } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultTlsOptions("ssl").versions, ["tlsv1.2", "tlsv1.3"]);
 * ```
 */
export function defaultTlsOptions(family: ListenerFamily): TlsOptions {
  return {
    credentialsType: "PEM",
    keyStoreType: "PKCS12",
    verify: "verify_none",
    failIfNoPeerCert: false,
    skipValidityCheckForClientCert: false,
    versions: family === "dtls" ? ["dtlsv1.2"] : ["tlsv1.2", "tlsv1.3"],
    ciphers: [],
    handshakeTimeoutMs: 15_000,
    tlsEngine: "auto",
    reuseSessions: true,
    ocsp: {
      enableOcspStapling: false,
      refreshIntervalMs: 300_000,
      refreshHttpTimeoutMs: 15_000,
    },
    enableCrlCheck: false,
  };
}

/**
 * A listener of the given family with every default, disabled unless it is
 * the `default` TCP or CoAP listener (the table in ARCHITECTURE.md).
 *
 * @param family The listener family.
 * @param name The listener name.
 * @returns A fresh listener.
 *
 * @example
 * ```ts
 * import { defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultListener("tcp", "default").enabled, true);
 * assert.equal(defaultListener("tcp", "other").enabled, false);
 * assert.equal(defaultListener("ssl", "default").enabled, false);
 * ```
 */
export function defaultListener(
  family: ListenerFamily,
  name: string,
): ListenerConfig {
  const listener: ListenerConfig = {
    family,
    name,
    enabled: name === "default" && (family === "tcp" || family === "coap"),
    host: "0.0.0.0",
    port: DEFAULT_PORTS[family],
    accessRules: [{ action: "allow", source: "all" }],
    maxConnections: Number.POSITIVE_INFINITY,
    proxyProtocol: false,
    proxyProtocolTimeoutMs: 3000,
  };
  if (family === "ws" || family === "wss") listener.path = "/mqtt";
  if (isSecureFamily(family)) listener.tls = defaultTlsOptions(family);
  if (family === "dtls") {
    listener.dtlsSessions = {
      inactivityTimeoutMs: 86_400_000,
      reportTimeoutMs: 1_800_000,
    };
  }
  return listener;
}

/**
 * Options of {@link defaultConfig}.
 *
 * @example
 * ```ts
 * import { defaultConfig, type DefaultConfigOptions } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const options: DefaultConfigOptions = { embedded: true };
 * assert.ok(defaultConfig(options).devCertificates);
 * ```
 */
export interface DefaultConfigOptions {
  /**
   * Build the embedded default used when nothing is configured: the table's
   * defaults plus TLS on 8883 and DTLS on 5684 with development certificates.
   */
  embedded?: boolean;
}

/**
 * The defaults of the configuration table, or the embedded default.
 *
 * @param options Whether to build the embedded default.
 * @returns A fresh configuration.
 *
 * @example The embedded default turns on TLS and DTLS with dev certificates
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig({ embedded: true });
 * assert.equal(config.devCertificates, true);
 * const ssl = config.listeners.find((l) => l.family === "ssl")!;
 * assert.equal(ssl.enabled, true);
 * assert.equal(ssl.tls?.certFile, "certs/server.pem");
 * ```
 */
export function defaultConfig(
  options: DefaultConfigOptions = {},
): PosternConfig {
  const embedded = options.embedded ?? false;
  const listeners = LISTENER_FAMILIES.map((f) => defaultListener(f, "default"));
  if (embedded) {
    for (const listener of listeners) {
      const tls = listener.tls;
      if (
        tls === undefined ||
        (listener.family !== "ssl" && listener.family !== "dtls")
      ) continue;
      listener.enabled = true;
      tls.certFile = DEV_CERTIFICATES.certFile;
      tls.keyFile = DEV_CERTIFICATES.keyFile;
      tls.caCertFile = DEV_CERTIFICATES.caCertFile;
      // As with COAP_DTLS_CA_CERT: ask devices for a certificate, but let
      // PSK and token devices connect without one.
      if (listener.family === "dtls") tls.verify = "verify_peer";
    }
  }
  return {
    listeners,
    psk: { enabled: false, separator: ":", chunkSize: 50 },
    mqtt: { allowAnonymous: true, peerCertAsUsername: "cn" },
    coapGateway: { connectionRequired: false, heartbeatMs: 30_000 },
    dataDir: "./data",
    log: { format: "text", level: "info" },
    devCertificates: embedded,
  };
}

/**
 * The identifier of a listener in log lines and messages: `family/name`.
 *
 * @param listener The listener (or anything with a family and name).
 * @returns Such as `ssl/default`.
 *
 * @example
 * ```ts
 * import { listenerId } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(listenerId({ family: "ssl", name: "default" }), "ssl/default");
 * ```
 */
export function listenerId(
  listener: { readonly family: ListenerFamily; readonly name: string },
): string {
  return `${listener.family}/${listener.name}`;
}
