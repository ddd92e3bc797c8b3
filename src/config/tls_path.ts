/**
 * The one place that decides which TLS implementation serves an `ssl` or
 * `wss` listener, and why (the reason goes into the listener's start log
 * line, into `config check` and into the validation messages):
 *
 * | engine | serves | when (`ssl_options.tls_engine = auto`) |
 * | --- | --- | --- |
 * | `postern` | postern's own TLS 1.2 engine over raw TCP (`src/tls/stream`, `src/net/tls_engine.ts`) | the listener is configured for TLS-PSK, or OCSP stapling is on |
 * | `node` | Deno's `node:tls` server (`src/net/node_tls_listener.ts`) | `verify = verify_peer` (client certificates) |
 * | `native` | `Deno.listenTls` (`ssl`; `wss` with postern's own WebSocket server) | otherwise: one-way TLS 1.2/1.3 |
 *
 * A listener is configured for TLS-PSK when `psk_authentication.enable` is
 * true **and** its `ssl_options.ciphers` names at least one PSK suite
 * (`PSK-…`, `ECDHE-PSK-…`). As in EMQX, PSK suites are never offered on a
 * TLS listener unless listed, so turning PSK on for CoAP/DTLS devices does
 * not move the MQTT listeners off Deno's TLS (and off TLS 1.3).
 *
 * `tls_engine = postern` forces postern's engine (on `wss` with postern's
 * own WebSocket server, `src/net/websocket_server.ts`, as on `native`);
 * `native` forces Deno's own TLS
 * (`node:tls` when client certificates are verified). postern's engine
 * speaks TLS 1.2 only, reads the PROXY protocol header itself, and serves
 * PSK, ECDHE-ECDSA and ECDHE-RSA suites with or without client
 * certificates.
 *
 * @module
 */

import type { ListenerConfig, PosternConfig } from "./schema.ts";

/**
 * A TLS implementation a listener can run on.
 *
 * @example
 * ```ts
 * import type { TlsPathEngine } from "./tls_path.ts";
 *
 * const engine: TlsPathEngine = "node";
 * ```
 */
export type TlsPathEngine = "postern" | "node" | "native";

/**
 * The engine chosen for a listener and the reason, for the log.
 *
 * @example
 * ```ts
 * import type { TlsPath } from "./tls_path.ts";
 *
 * const path: TlsPath = { engine: "native", reason: "one-way TLS" };
 * ```
 */
export interface TlsPath {
  readonly engine: TlsPathEngine;
  readonly reason: string;
}

/**
 * Whether an OpenSSL or IANA cipher suite name is a PSK suite.
 *
 * @param name The name.
 * @returns Whether it has a PSK key exchange.
 *
 * @example
 * ```ts
 * import { isPskSuiteName } from "./tls_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPskSuiteName("ECDHE-PSK-AES128-CBC-SHA256"), true);
 * assert.equal(isPskSuiteName("TLS_PSK_WITH_AES_128_GCM_SHA256"), true);
 * assert.equal(isPskSuiteName("ECDHE-ECDSA-AES128-GCM-SHA256"), false);
 * ```
 */
export function isPskSuiteName(name: string): boolean {
  return /(^|[-_])PSK([-_]|$)/i.test(name);
}

/**
 * Whether TLS-PSK is configured for a listener: `psk_authentication.enable`
 * and at least one PSK suite in its `ssl_options.ciphers`.
 *
 * @param config The whole configuration.
 * @param listener The listener.
 * @returns Whether its handshakes look PSK identities up in the store.
 *
 * @example
 * ```ts
 * import { pskConfigured } from "./tls_path.ts";
 * import { defaultConfig, defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * config.psk.enabled = true;
 * const ssl = defaultListener("ssl", "default");
 * assert.equal(pskConfigured(config, ssl), false);
 * ssl.tls!.ciphers = ["PSK-AES128-GCM-SHA256"];
 * assert.equal(pskConfigured(config, ssl), true);
 * ```
 */
export function pskConfigured(
  config: { readonly psk: Pick<PosternConfig["psk"], "enabled"> },
  listener: ListenerConfig,
): boolean {
  return config.psk.enabled &&
    (listener.tls?.ciphers.some(isPskSuiteName) ?? false);
}

/**
 * Whether a listener serves PSK clients only and so needs no server
 * certificate: a `dtls` listener with `psk_authentication` enabled, or an
 * `ssl` listener whose every configured suite is a PSK suite.
 *
 * @param config The whole configuration (for `psk_authentication`).
 * @param listener The listener.
 * @returns Whether a missing server certificate is fine.
 *
 * @example
 * ```ts
 * import { pskOnlyListener } from "./tls_path.ts";
 * import { defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const ssl = defaultListener("ssl", "default");
 * ssl.tls!.ciphers = ["PSK-AES128-GCM-SHA256"];
 * assert.equal(pskOnlyListener({ psk: { enabled: true } }, ssl), true);
 * assert.equal(pskOnlyListener({ psk: { enabled: false } }, ssl), false);
 * ```
 */
export function pskOnlyListener(
  config: { readonly psk: Pick<PosternConfig["psk"], "enabled"> },
  listener: ListenerConfig,
): boolean {
  const ciphers = listener.tls?.ciphers ?? [];
  return config.psk.enabled &&
    (listener.family === "dtls" ||
      (listener.family === "ssl" && ciphers.length > 0 &&
        ciphers.every(isPskSuiteName)));
}

/**
 * Chooses the TLS implementation of an `ssl` or `wss` listener.
 *
 * @param config The whole configuration (for `psk_authentication`).
 * @param listener The listener.
 * @returns The engine and why.
 *
 * @example
 * ```ts
 * import { tlsPathFor } from "./tls_path.ts";
 * import { defaultConfig, defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const ssl = defaultListener("ssl", "default");
 * assert.equal(tlsPathFor(config, ssl).engine, "native");
 * ssl.tls!.verify = "verify_peer";
 * assert.equal(tlsPathFor(config, ssl).engine, "node");
 * ssl.tls!.tlsEngine = "postern";
 * assert.deepEqual(tlsPathFor(config, ssl), { engine: "postern", reason: "ssl_options.tls_engine is postern" });
 * ```
 */
export function tlsPathFor(
  config: { readonly psk: Pick<PosternConfig["psk"], "enabled"> },
  listener: ListenerConfig,
): TlsPath {
  const tls = listener.tls;
  const verifyPeer = tls?.verify === "verify_peer";
  if (tls === undefined) return { engine: "native", reason: "no TLS options" };
  if (tls.tlsEngine === "postern") {
    return { engine: "postern", reason: "ssl_options.tls_engine is postern" };
  }
  if (tls.tlsEngine === "native") {
    return verifyPeer
      ? {
        engine: "node",
        reason:
          "ssl_options.tls_engine is native and verify_peer asks for client certificates",
      }
      : { engine: "native", reason: "ssl_options.tls_engine is native" };
  }
  if (
    listener.proxyProtocol && tls.versions.includes("tlsv1.2") &&
    !(verifyPeer && listener.family === "ssl")
  ) {
    return {
      engine: "postern",
      reason: "proxy_protocol: the PROXY header comes before the TLS handshake",
    };
  }
  if (listener.family === "wss") {
    return {
      engine: "native",
      reason: "secure WebSocket runs on Deno.listenTls",
    };
  }
  if (pskConfigured(config, listener)) {
    return {
      engine: "postern",
      reason:
        "TLS-PSK is configured (psk_authentication.enable and PSK suites in ssl_options.ciphers)",
    };
  }
  if (tls.ocsp.enableOcspStapling) {
    return { engine: "postern", reason: "OCSP stapling is enabled" };
  }
  if (verifyPeer) {
    return {
      engine: "node",
      reason: "verify_peer asks for client certificates",
    };
  }
  return { engine: "native", reason: "one-way TLS" };
}
