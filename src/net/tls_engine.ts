/**
 * MQTT over TLS on postern's own TLS 1.2 engine (`src/tls/stream`): a
 * plain TCP listener (Nagle off) whose connections are secured by a
 * sans-IO {@link TlsConnection} in the server role, then served by the
 * same {@link MqttDriver} as every other listener. `tls_path.ts` in
 * `src/config` decides when an `ssl` listener runs here (TLS-PSK, OCSP
 * stapling, or `ssl_options.tls_engine = postern`).
 *
 * What it does that Deno's TLS listeners cannot:
 * - TLS-PSK (RFC 4279, RFC 5489): identities and keys from the credential
 *   store (the PSK init file is imported at start), looked up during the
 *   handshake as CoAP over DTLS does; the MQTT connection then carries the
 *   PSK identity ({@link PskPeerIdentity}) and authenticates as it;
 * - `ssl_options.ciphers` (OpenSSL names) selects and orders the suites:
 *   PSK-AES128-GCM-SHA256, PSK-AES256-GCM-SHA384, PSK-AES128-CBC-SHA256,
 *   PSK-AES256-CBC-SHA384, ECDHE-PSK-AES128-CBC-SHA256 and the
 *   ECDHE-ECDSA / ECDHE-RSA AES-GCM suites (plus the CCM suites); names
 *   postern does not implement are skipped with a warning at start;
 * - client certificates from `verify`, `cacertfile` plus the store's
 *   trusted CAs (re-read before each handshake), `fail_if_no_peer_cert`,
 *   `skip_validity_check_for_client_cert` and, with `enable_crl_check`,
 *   `crlfile` or else the CRLs of the certificates' distribution points
 *   ({@link CrlCache}), checked by postern's PKI code; a failure is the
 *   alert `alertForValidationFailure` chooses (unknown_ca,
 *   certificate_expired, certificate_revoked, bad_certificate). A
 *   distribution point's CRL the handshake did not have yet is waited for
 *   after it (at most the cache's timeout) and a chain it revokes is closed;
 * - the certificate, key, CAs and CRL file follow their files
 *   ({@link CredentialReloader}): the next handshakes use the new ones,
 *   live connections go on, except those a new CRL revokes, which are
 *   closed (`tls.client_certificate_revoked`);
 * - session resumption by session ID (RFC 5246 §7.3) from the listener's
 *   bounded, expiring session cache ({@link ListenerSessions},
 *   `ssl_options.reuse_sessions`), which forgets the sessions of a revoked
 *   credential or chain;
 * - the PROXY protocol header, read before the handshake;
 * - the handshake runs under `ssl_options.handshake_timeout`.
 *
 * Every handshake failure is logged at warn level with the alert sent or
 * received (`tls.handshake_failed`), e.g. `protocol_version` for a client
 * that offers only TLS 1.3 or 1.0.
 *
 * @module
 */

import {
  isPskSuiteName,
  type ListenerConfig,
  type PosternConfig,
  type TlsCredentials,
} from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import type { CredentialStore } from "../auth/mod.ts";
import type { PeerIdentity as MqttPeerIdentity } from "../mqtt/broker/mod.ts";
import { cipherSuiteByName } from "../tls/cipher_suites.ts";
import { TlsConnection } from "../tls/stream/connection.ts";
import type {
  EstablishedSession,
  PeerIdentity,
  ServerHandshakeConfig,
} from "../tls/handshake/types.ts";
import type { ResumableSession, SessionCache } from "../tls/session_cache.ts";
import type { ByteStream } from "./byte_stream.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import type { CertificatePeerIdentity, PskPeerIdentity } from "./mqtt_auth.ts";
import {
  type SecuredStream,
  serveStreamListener,
  type StreamListenerOptions,
} from "./stream_listener.ts";
import { readListenerCredentials } from "./tls_listener.ts";
import { TlsEngineStream } from "./tls_engine_stream.ts";
import {
  type CredentialReloader,
  followCredentials,
} from "./credential_reloader.ts";
import {
  type CrlCache,
  pathToAnchor,
  VerifiedConnections,
} from "./crl_cache.ts";
import type { ListenerSessions } from "./listener_sessions.ts";

/**
 * Builds the server handshake configuration of an `ssl` listener on
 * postern's engine: certificate and key, suites from `ssl_options.ciphers`
 * (unknown names dropped with a warning), PSK lookup from the store when
 * `psk_authentication` is enabled, client authentication when
 * `verify = verify_peer`.
 *
 * @param config The whole configuration.
 * @param cfg The listener.
 * @param options The credential store, a logger, and optionally the
 *   listener's credentials following their files (each handshake reads
 *   the certificate, key, CAs and CRLs in force), its CRL cache (with
 *   `enable_crl_check`: its file CRLs and the CRLs fetched so far) and the
 *   session cache to resume from ({@link ListenerSessions.cache}).
 * @returns The configuration, shared by every handshake of the listener.
 * @throws {Error} when the credentials cannot be loaded or no configured
 *   suite is one postern implements.
 *
 * @example A PSK-only listener
 * ```ts
 * import { engineHandshakeConfig } from "./tls_engine.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const config = { ...defaultConfig(), psk: { enabled: true, separator: ":", chunkSize: 50 } };
 * const ssl = defaultListener("ssl", "default");
 * const cfg = { ...ssl, tls: { ...ssl.tls!, ciphers: ["PSK-AES128-GCM-SHA256", "NOT-A-SUITE"] } };
 * const store = new MemoryStore();
 * const lines: string[] = [];
 * const hs = await engineHandshakeConfig(config, cfg, { store, logger: new Logger({ sink: (l) => lines.push(l) }) });
 * assert.deepEqual(hs.cipherSuites, ["PSK-AES128-GCM-SHA256"]);
 * assert.ok(lines.some((l) => l.includes("tls.ciphers_unsupported")));
 * await store.close();
 * ```
 */
export async function engineHandshakeConfig(
  config: PosternConfig,
  cfg: ListenerConfig,
  options: {
    store: CredentialStore;
    logger: Logger;
    credentials?: CredentialReloader<TlsCredentials>;
    crls?: CrlCache;
    sessionCache?: SessionCache<ResumableSession>;
  },
): Promise<ServerHandshakeConfig> {
  const { store, logger, crls } = options;
  const tls = cfg.tls;
  if (tls === undefined) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} has no TLS options`,
    );
  }
  const known = tls.ciphers.filter((n) => cipherSuiteByName(n) !== undefined);
  const unknown = tls.ciphers.filter((n) => cipherSuiteByName(n) === undefined);
  if (unknown.length > 0) {
    logger.warn("tls.ciphers_unsupported", {
      listener: `${cfg.family}/${cfg.name}`,
      ciphers: unknown.join(":"),
      reason: "postern's TLS engine does not implement them",
    });
  }
  if (tls.ciphers.length > 0 && known.length === 0) {
    throw new Error(
      `Listener ${cfg.family}/${cfg.name}: none of ssl_options.ciphers (${
        tls.ciphers.join(":")
      }) is a suite postern's TLS engine implements`,
    );
  }
  // as in EMQX, PSK is offered only where PSK suites are listed (tls_path.ts)
  const psk = config.psk.enabled && known.some(isPskSuiteName);
  const base: ServerHandshakeConfig = {
    cipherSuites: known.length > 0 ? known : ENGINE_DEFAULT_SUITES,
    ...(psk ? { psk: (identity: string) => store.lookupPsk(identity) } : {}),
    ...(options.sessionCache ? { sessionCache: options.sessionCache } : {}),
  };
  const hasCertificate = tls.credentialsType === "KEYSTORE"
    ? tls.keyStoreFile !== undefined
    : tls.certFile !== undefined;
  if (!hasCertificate) return base;
  const fixed = options.credentials === undefined
    ? await readListenerCredentials(config, cfg)
    : undefined;
  const current = () => options.credentials?.current ?? fixed!;
  if (tls.verify !== "verify_peer") return followCredentials(base, current);
  let storeCas = await store.trustedCas();
  const result = followCredentials(base, current, {
    storeCas: () => storeCas,
    ...(crls ? { crls } : {}),
    skipValidityCheck: tls.skipValidityCheckForClientCert,
    failIfNoPeerCert: tls.failIfNoPeerCert,
  });
  return Object.defineProperty(result, TRUST_REFRESH, {
    enumerable: true,
    value: async () => {
      storeCas = await store.trustedCas();
    },
  });
}

/**
 * Re-reads the store's trusted CAs of a configuration built by
 * {@link engineHandshakeConfig} (absent on others): {@link secureWithEngine}
 * runs it before each handshake of a `verify_peer` listener, so a CA added
 * with `postern cert` (or removed) counts from the next connection on. A
 * property (not a side table), so that a copy made with the property
 * descriptors (`withStapler`) keeps it.
 */
const TRUST_REFRESH: unique symbol = Symbol("postern.trustRefresh");

/**
 * The suites of postern's TLS engine when `ssl_options.ciphers` is empty,
 * in preference order: the forward-secret certificate suites (PSK needs
 * its suites named in `ssl_options.ciphers`, see `tls_path.ts`).
 *
 * @example
 * ```ts
 * import { ENGINE_DEFAULT_SUITES } from "./tls_engine.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ENGINE_DEFAULT_SUITES[0], "ECDHE-ECDSA-AES128-GCM-SHA256");
 * ```
 */
export const ENGINE_DEFAULT_SUITES: readonly string[] = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
];

/**
 * The broker's view of a TLS peer identity: a PSK identity
 * ({@link PskPeerIdentity}) or a verified chain
 * ({@link CertificatePeerIdentity}).
 *
 * @param identity What the handshake proved.
 * @returns The identity the MQTT connection carries.
 *
 * @example
 * ```ts
 * import { mqttPeerIdentity } from "./tls_engine.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(mqttPeerIdentity({ kind: "psk", identity: "device-1" }), { pskIdentity: "device-1" });
 * ```
 */
export function mqttPeerIdentity(
  identity: PeerIdentity,
): PskPeerIdentity | CertificatePeerIdentity {
  if (identity.kind === "psk") return { pskIdentity: identity.identity };
  return {
    chain: identity.chain,
    certificate: { subject: identity.subject },
  };
}

/**
 * Options of {@link listenMqttTlsEngine} and {@link secureWithEngine}.
 *
 * @example
 * ```ts
 * import type { TlsEngineListenerOptions } from "./tls_engine.ts";
 *
 * type Hs = TlsEngineListenerOptions["handshake"];
 * ```
 */
export interface TlsEngineListenerOptions {
  /** The driver that serves the connections. */
  driver: MqttDriver;
  /** The listener's logger. */
  logger: Logger;
  /** The server handshake configuration ({@link engineHandshakeConfig}). */
  handshake: ServerHandshakeConfig;
  /**
   * The credentials `handshake` reads, following their files: on a reload
   * the CRL cache takes the new CRL file and the live connections it
   * revokes are closed.
   */
  credentials?: CredentialReloader<TlsCredentials>;
  /**
   * Revocation lists (`enable_crl_check`), the same cache `handshake`
   * reads: a chain is checked again once its distribution points' CRLs
   * are fetched (waited for at most the cache's timeout).
   */
  crls?: CrlCache;
  /**
   * The listener's resumable sessions, the cache `handshake` resumes from:
   * told of each peer (for revocation), and of chains a CRL revokes.
   */
  sessions?: ListenerSessions;
}

/**
 * Runs the server handshake on one raw connection under the listener's
 * handshake timeout and logs how it ended.
 *
 * @param stream The raw stream (after any PROXY header).
 * @param options Handshake configuration, timeout, logger, client address.
 * @returns The application stream and the peer identity, or `undefined`
 *   (the connection is closed) when the handshake failed.
 *
 * @example
 * ```ts
 * import { secureWithEngine } from "./tls_engine.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const garbage = [new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")];
 * const written: Uint8Array[] = [];
 * const secured = await secureWithEngine({
 *   read: (b) => { const c = garbage.shift(); if (!c) return Promise.resolve(null); b.set(c); return Promise.resolve(c.length); },
 *   write: (d) => (written.push(d.slice()), Promise.resolve(d.length)),
 *   close: () => {},
 * }, { handshake: { psk: () => undefined }, timeoutMs: 1000, logger: new Logger({ sink: () => {} }), remoteAddress: "192.0.2.1:5000" });
 * assert.equal(secured, undefined);
 * assert.deepEqual(written[0], new Uint8Array([21, 3, 3, 0, 2, 2, 70])); // fatal protocol_version
 * ```
 */
export async function secureWithEngine(
  stream: ByteStream,
  options: {
    handshake: ServerHandshakeConfig;
    timeoutMs: number;
    logger: Logger;
    remoteAddress: string;
    /** Told of the session of each completed handshake. */
    onEstablished?: (session: EstablishedSession) => void;
  },
): Promise<SecuredStream | undefined> {
  const { logger, remoteAddress } = options;
  await (options.handshake as {
    [TRUST_REFRESH]?: () => Promise<void>;
  })[TRUST_REFRESH]?.();
  const tls = new TlsConnection({
    role: "server",
    server: options.handshake,
    handshakeTimeoutMs: options.timeoutMs,
  });
  const secured = new TlsEngineStream(stream, tls);
  let result;
  try {
    result = await secured.handshake();
  } catch (err) {
    logger.debug("tls.handshake_failed", { remote: remoteAddress, error: err });
    secured.close();
    return undefined;
  }
  if (!result.ok) {
    const { alert, reason } = result.closed;
    if (alert === undefined) {
      logger.debug("tls.handshake_failed", { remote: remoteAddress, reason });
    } else {
      logger.warn("tls.handshake_failed", {
        remote: remoteAddress,
        alert: alert.name,
        sent: !alert.received,
        reason,
      });
    }
    return undefined;
  }
  options.onEstablished?.(result.session);
  const identity = result.session.identity;
  logger.debug("tls.established", {
    remote: remoteAddress,
    suite: result.session.suite.openssl,
    ...(result.session.resumed === true ? { resumed: true } : {}),
    ...(identity === undefined ? {} : {
      identity: identity.kind === "psk"
        ? `psk:${identity.identity}`
        : `x509:${identity.subject}`,
    }),
  });
  return identity === undefined ? { stream: secured } : {
    stream: secured,
    identity: mqttPeerIdentity(identity) as MqttPeerIdentity,
  };
}

/**
 * Binds an MQTT over TLS listener on postern's engine.
 *
 * @param cfg The `ssl` listener (host, port, PROXY protocol, handshake timeout).
 * @param options Driver, logger, handshake configuration.
 * @returns The running listener.
 *
 * @example
 * ```ts
 * import { listenMqttTlsEngine } from "./tls_engine.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = listenMqttTlsEngine(
 *   { ...defaultListener("ssl", "default"), host: "127.0.0.1", port: 0 },
 *   { driver, logger: new Logger({ sink: () => {} }), handshake: { psk: () => undefined } },
 * );
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * driver.close();
 * ```
 */
export function listenMqttTlsEngine(
  cfg: ListenerConfig,
  options: TlsEngineListenerOptions,
): Listener {
  const { driver, logger } = options;
  const socket = Deno.listen({ hostname: cfg.host, port: cfg.port });
  const securer = engineSecurer(cfg, options);
  const listener = serveStreamListener(socket, cfg, {
    driver,
    transport: "tls",
    logger,
    secure: securer.secure,
  });
  return {
    ...listener,
    close() {
      securer.close();
      return listener.close();
    },
  };
}

/**
 * What secures each raw connection of a listener on postern's engine (an
 * `ssl` listener, or a `wss` one before its WebSocket upgrade): the
 * handshake ({@link secureWithEngine}), then, for a client certificate,
 * the revocation follow-up: a CRL of the certificate's distribution points
 * fetched after the handshake, and every CRL reload, close the connections
 * whose chain they revoke and forget the chain's sessions. Each peer is
 * told to {@link ListenerSessions.identify}.
 *
 * @param cfg The listener (handshake timeout, name for logs).
 * @param options Logger, handshake configuration, and the credentials,
 *   CRL cache and sessions that go with it.
 * @returns `secure` for the stream listener, and `close` to stop following
 *   reloads.
 *
 * @example
 * ```ts
 * import { engineSecurer } from "./tls_engine.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 *
 * const securer = engineSecurer(defaultListener("wss", "default"), {
 *   logger: new Logger({ sink: () => {} }),
 *   handshake: { psk: () => undefined },
 * });
 * securer.close();
 * ```
 */
export function engineSecurer(
  cfg: ListenerConfig,
  options: Omit<TlsEngineListenerOptions, "driver">,
): {
  secure: NonNullable<StreamListenerOptions["secure"]>;
  close: () => void;
} {
  const { logger, handshake, crls, sessions } = options;
  const timeoutMs = cfg.tls?.handshakeTimeoutMs ?? 15_000;
  const anchors = () => handshake.clientAuth?.trustAnchors ?? [];
  const verified = new VerifiedConnections<ByteStream>({
    listener: `${cfg.family}/${cfg.name}`,
    logger,
    end: (stream, path) => {
      stream.close();
      sessions?.forgetCertificate(path[0]?.fingerprintSha256);
    },
  });
  const unsubscribe = options.credentials?.onReload((creds) => {
    crls?.setFileCrls(creds.crls);
    const all = crls?.crls ?? creds.crls;
    void verified.endRevoked(all).then(() =>
      sessions?.forgetRevoked(all, anchors())
    );
  });
  return {
    close: () => unsubscribe?.(),
    secure: async (stream, remoteAddress) => {
      const secured = await secureWithEngine(stream, {
        handshake,
        timeoutMs,
        logger,
        remoteAddress,
        ...(sessions === undefined ? {} : {
          onEstablished: (session: EstablishedSession) => {
            if (session.identity === undefined) return;
            void sessions.identify(session.identity).catch((err) =>
              logger.warn("tls.identity_failed", { error: err })
            );
          },
        }),
      });
      // the identity mqttPeerIdentity() made: a certificate's carries its chain
      const chain =
        (secured?.identity as Partial<CertificatePeerIdentity> | undefined)
          ?.chain ?? [];
      if (secured === undefined || chain.length === 0) return secured;
      const tracked = untilClosed(
        secured.stream,
        () => verified.delete(tracked),
      );
      verified.add(tracked, pathToAnchor(chain, anchors()), remoteAddress);
      if (crls !== undefined) {
        // CRLs of distribution points the handshake did not have yet
        const fetched = await crls.crlsFor(chain);
        if (await verified.endRevoked(fetched, tracked) > 0) return undefined;
      }
      return { ...secured, stream: tracked };
    },
  };
}

/** `stream`, calling `onClose` once when it ends or is closed. */
function untilClosed(stream: ByteStream, onClose: () => void): ByteStream {
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    onClose();
  };
  return {
    async read(buffer) {
      try {
        const n = await stream.read(buffer);
        if (n === null) end();
        return n;
      } catch (err) {
        end();
        throw err;
      }
    },
    write: (data) => stream.write(data),
    close() {
      end();
      stream.close();
    },
  };
}
