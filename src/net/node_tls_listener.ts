/**
 * MQTT over two-way TLS on Deno's `node:tls` (an `ssl` listener with
 * `verify_peer`): the server asks for a client certificate and postern's
 * own PKI code decides trust, validity, revocation and identity.
 *
 * Each accepted `node:net` socket (Nagle off) is admitted (`max_connections`,
 * `access_rules`), may first carry a PROXY protocol v1/v2 header (read from
 * the plain socket, then the TLS server socket is layered over it), and runs
 * the TLS 1.2 / 1.3 handshake (`versions`) under `handshake_timeout` with
 * `requestCert: true` and `rejectUnauthorized: false`. The presented chain
 * (`getPeerCertificate(true)`: DER in `.raw`, issuers through
 * `issuerCertificate`) is then validated with `validateChain` against the
 * listener's CAs (`ssl_options.cacertfile` / `LISTENER_SSL_CA_CERT`) and the
 * store's trusted CAs (`postern cert ca add`) — or, for a leaf pinned by a
 * store fingerprint rule that no trusted CA issued, against itself (a
 * self-signed device certificate registered by its hash, as ThingsBoard
 * does) — for the `clientAuth` purpose,
 * skipping the leaf's validity period with
 * `skip_validity_check_for_client_cert`
 * (`MQTT_SSL_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`), and with
 * `enable_crl_check` against `crlfile`, or without one against the CRLs of
 * the certificates' distribution points ({@link CrlCache}).
 *
 * The outcome travels to the broker as a {@link CertificatePeerIdentity}:
 * - a valid chain: the verified path; `MqttAuth` maps it to a subject
 *   (store rules, then `mqtt.peer_cert_as_username`);
 * - an invalid chain (untrusted CA, expired, revoked, bad signature...):
 *   a `bad_credentials` refusal, CONNACK 0x86 (5.0) / 0x04 (3.1.1);
 * - no certificate with `fail_if_no_peer_cert`: a `not_authorized` refusal,
 *   CONNACK 0x87 / 0x05; without it the client goes on as a client without
 *   a certificate (user name, token, or anonymous).
 *
 * A refused client still completes the TLS handshake, so that it reads a
 * CONNACK with the reason instead of a bare TLS alert; the refusal is
 * logged once (`tls.client_certificate_refused`, with the reason and the
 * certificate's subject) and the broker closes the connection after the
 * CONNACK.
 *
 * The server certificate, key, CAs and CRL file follow their files
 * ({@link CredentialReloader}): a new secure context serves the next
 * handshakes, live connections keep theirs, except that a connection whose
 * client chain the new CRL file revokes is closed
 * (`tls.client_certificate_revoked`).
 *
 * Deno's `node:tls` does not take an encrypted PKCS#8 key nor honour `crl`;
 * keys are decrypted by `loadTlsCredentials` and revocation is checked here.
 * `ciphers` are not honoured by Deno's `node:tls` (rustls' suites), and are
 * logged as ignored.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import type { ListenerConfig, TlsCredentials } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener, ServerContext } from "../server.ts";
import {
  type Certificate,
  parseCertificate,
  validateChain,
  type ValidationResult,
} from "../pki/mod.ts";
import { certificateUsername, type PeerCertAsUsername } from "../auth/mod.ts";
import { Admission } from "./admission.ts";
import type { ByteStream } from "./byte_stream.ts";
import {
  type CredentialReloader,
  listenerCredentialReloader,
} from "./credential_reloader.ts";
import { credentialService } from "./credential_service.ts";
import { CrlCache, VerifiedConnections } from "./crl_cache.ts";
import type { CertificatePeerIdentity } from "./mqtt_auth.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import { type ProxyEndpoint, ProxyHeaderDecoder } from "./proxy_protocol.ts";
import { ReceiveQueue } from "./receive_queue.ts";

/**
 * What decides whether a client certificate chain is accepted.
 *
 * @example
 * ```ts
 * import type { ClientCertificatePolicy } from "./node_tls_listener.ts";
 *
 * const policy: ClientCertificatePolicy = {
 *   trustAnchors: [], failIfNoPeerCert: true, skipValidityCheck: false,
 * };
 * ```
 */
export interface ClientCertificatePolicy {
  /** The listener's CAs (`cacertfile`). */
  readonly trustAnchors: readonly Certificate[];
  /** The store's trusted CAs, read at each check. */
  readonly storeCas?: () => Promise<readonly Certificate[]>;
  /**
   * Whether a leaf is pinned by its SHA-256 fingerprint (a store rule
   * `postern cert allow --fingerprint`): a pinned leaf no trusted CA issued
   * is its own trust anchor, as ThingsBoard's X.509 device credentials
   * (a self-signed device certificate registered by its hash).
   */
  readonly pinned?: (leaf: Certificate) => Promise<boolean>;
  /** Refuse a client without a certificate. */
  readonly failIfNoPeerCert: boolean;
  /** Accept an expired or not-yet-valid leaf. */
  readonly skipValidityCheck: boolean;
  /** Revocation lists (`enable_crl_check`); none: no revocation check. */
  readonly crls?: CrlCache;
  /** The user name given to the broker for an accepted certificate (default `cn`). */
  readonly peerCertAsUsername?: PeerCertAsUsername;
  /** Clock in ms (default `Date.now`). */
  readonly clock?: () => number;
}

/**
 * The outcome of {@link checkClientCertificate}: the identity to hand the
 * broker (`undefined` for a client without a certificate that may go on),
 * and for a refusal, the validation result to log.
 *
 * @example
 * ```ts
 * import type { ClientCertificateCheck } from "./node_tls_listener.ts";
 *
 * const none: ClientCertificateCheck = { identity: undefined };
 * ```
 */
export interface ClientCertificateCheck {
  /** What the broker is told. */
  readonly identity: CertificatePeerIdentity | undefined;
  /** Why it was refused, for the log line. */
  readonly message?: string;
  /** Validation warnings (stale or unusable CRLs), for the log. */
  readonly warnings?: readonly string[];
}

/**
 * Decides on a client certificate chain as a `verify_peer` listener does.
 *
 * @param chain The certificates the client sent, leaf first (DER or parsed).
 * @param policy Trust anchors, validity, revocation, identity.
 * @returns The identity, or a refusal inside it.
 *
 * @example No certificate where one is required
 * ```ts
 * import { checkClientCertificate } from "./node_tls_listener.ts";
 * import assert from "node:assert/strict";
 *
 * const check = await checkClientCertificate([], {
 *   trustAnchors: [], failIfNoPeerCert: true, skipValidityCheck: false,
 * });
 * assert.deepEqual(check.identity?.refusal, { reason: "not_authorized", cause: "no_certificate" });
 * ```
 */
export async function checkClientCertificate(
  chain: readonly (Uint8Array | Certificate)[],
  policy: ClientCertificatePolicy,
): Promise<ClientCertificateCheck> {
  if (chain.length === 0) {
    if (!policy.failIfNoPeerCert) return { identity: undefined };
    return refused("not_authorized", {
      cause: "no_certificate",
      message: "The client sent no certificate",
    });
  }
  let certs: Certificate[];
  try {
    certs = chain.map((c) => c instanceof Uint8Array ? parseCertificate(c) : c);
  } catch (err) {
    return refused("bad_credentials", {
      cause: "unparsable",
      message: `Cannot parse the client certificate: ${
        err instanceof Error ? err.message : String(err)
      }`,
    });
  }
  const storeCas = policy.storeCas ? await policy.storeCas() : [];
  const crls = policy.crls ? await policy.crls.crlsFor(certs) : undefined;
  const options = {
    now: (policy.clock ?? Date.now)(),
    purpose: "clientAuth" as const,
    skipValidityCheck: policy.skipValidityCheck,
    crls,
  };
  let result: ValidationResult = await validateChain(certs, {
    trustAnchors: [...policy.trustAnchors, ...storeCas],
    ...options,
  });
  const leaf0 = certs[0] as Certificate;
  if (
    !result.ok && result.reason === "unknown_ca" &&
    policy.pinned !== undefined && await policy.pinned(leaf0)
  ) {
    result = await validateChain([leaf0], {
      trustAnchors: [leaf0],
      ...options,
    });
  }
  const warnings = result.warnings.map((w) => w.message);
  if (!result.ok) {
    return refused("bad_credentials", {
      cause: result.reason,
      message: result.message,
      subject: certs[0]?.subject.toString(),
      warnings,
    });
  }
  const leaf = result.path[0] as Certificate;
  const username = certificateUsername(leaf, policy.peerCertAsUsername ?? "cn");
  const commonName = leaf.subject.commonName;
  return {
    identity: {
      chain: result.path,
      ...(username === undefined ? {} : { username }),
      certificate: {
        subject: leaf.subject.toString(),
        ...(commonName === undefined ? {} : { commonName }),
        fingerprint: leaf.fingerprintSha256,
      },
    },
    warnings,
  };
}

function refused(
  reason: "bad_credentials" | "not_authorized",
  details: {
    cause: string;
    message: string;
    subject?: string | undefined;
    warnings?: string[];
  },
): ClientCertificateCheck {
  return {
    identity: {
      chain: [],
      refusal: { reason, cause: details.cause },
      ...(details.subject === undefined
        ? {}
        : { certificate: { subject: details.subject } }),
    },
    message: details.message,
    warnings: details.warnings ?? [],
  };
}

/**
 * The DER chain a `node:tls` socket's peer presented, leaf first, from
 * `getPeerCertificate(true)`; empty when it sent none.
 *
 * @param socket A server-side TLS socket after its handshake.
 * @returns The DER certificates.
 *
 * @example
 * ```ts
 * import { peerChainDer } from "./node_tls_listener.ts";
 * import type tls from "node:tls";
 * import assert from "node:assert/strict";
 *
 * const socket = { getPeerCertificate: () => ({}) } as unknown as tls.TLSSocket;
 * assert.deepEqual(peerChainDer(socket), []);
 * ```
 */
export function peerChainDer(socket: tls.TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket
    .getPeerCertificate(true);
  const seen = new Set<unknown>();
  while (cert !== undefined && cert.raw !== undefined && !seen.has(cert)) {
    seen.add(cert);
    if (out.length >= 10) break;
    out.push(new Uint8Array(cert.raw));
    const next: tls.DetailedPeerCertificate | undefined =
      cert.issuerCertificate;
    if (next === cert) break;
    cert = next;
  }
  return out;
}

/**
 * A `node:net` / `node:tls` socket as a {@link ByteStream}: received chunks
 * queue until read (the socket pauses above `highWatermark` queued bytes);
 * a write resolves at once unless the socket is backed up, then on
 * `drain`. `close` ends the socket after what was written is flushed.
 *
 * @example
 * ```ts
 * import { NodeSocketStream } from "./node_tls_listener.ts";
 * import net from "node:net";
 * import assert from "node:assert/strict";
 *
 * const server = net.createServer((s) => s.end("hi"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as net.AddressInfo;
 * const socket = net.connect(port, "127.0.0.1");
 * const stream = new NodeSocketStream(socket);
 * const buf = new Uint8Array(8);
 * const n = await stream.read(buf);
 * assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "hi");
 * stream.close();
 * await new Promise((r) => server.close(r));
 * ```
 */
export class NodeSocketStream implements ByteStream {
  readonly #socket: net.Socket;
  readonly #high: number;
  readonly #received = new ReceiveQueue();
  #paused = false;
  #ended = false;
  #drain: (() => void) | undefined;

  /**
   * @param socket A connected socket.
   * @param options `highWatermark`: queued bytes above which the socket is
   *   paused (default 256 KiB).
   */
  constructor(socket: net.Socket, options: { highWatermark?: number } = {}) {
    this.#socket = socket;
    this.#high = options.highWatermark ?? 256 * 1024;
    socket.on("data", (chunk: Uint8Array) => {
      this.#received.push(chunk);
      if (this.#received.queued > this.#high && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
    });
    const end = () => {
      this.#ended = true;
      this.#received.end();
      const drain = this.#drain;
      this.#drain = undefined;
      drain?.();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
    socket.on("drain", () => {
      const drain = this.#drain;
      this.#drain = undefined;
      drain?.();
    });
  }

  /** Reads received bytes into `buffer`; `null` once the socket ended. */
  async read(buffer: Uint8Array): Promise<number | null> {
    const n = await this.#received.read(buffer);
    if (this.#paused && this.#received.queued < this.#high / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
    return n;
  }

  /** Writes `data`; waits for `drain` when the socket is backed up. */
  async write(data: Uint8Array): Promise<number> {
    const socket = this.#socket;
    if (this.#ended || socket.destroyed || !socket.writable) {
      throw new Deno.errors.BrokenPipe("The socket is closed");
    }
    if (!socket.write(data)) {
      await new Promise<void>((r) => (this.#drain = r));
      if (socket.destroyed) {
        throw new Deno.errors.BrokenPipe("The socket closed while writing");
      }
    }
    return data.length;
  }

  /** Ends the socket once written bytes are flushed (destroyed after 5 s at most). */
  close(): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.once("close", () => clearTimeout(timer));
  }
}

/**
 * Options of {@link listenMqttNodeTls}.
 *
 * @example
 * ```ts
 * import type { NodeTlsListenerOptions } from "./node_tls_listener.ts";
 *
 * type Mode = NodeTlsListenerOptions["peerCertAsUsername"];
 * ```
 */
export interface NodeTlsListenerOptions {
  /** The driver that serves the connections. */
  driver: MqttDriver;
  /** The listener's logger. */
  logger: Logger;
  /** The server's credentials, following their files. */
  credentials: CredentialReloader<TlsCredentials>;
  /** The store's trusted CAs. */
  storeCas?: () => Promise<readonly Certificate[]>;
  /** Leaves pinned by fingerprint in the store (see {@link ClientCertificatePolicy}). */
  pinned?: (leaf: Certificate) => Promise<boolean>;
  /** Revocation lists, with `enable_crl_check`. */
  crls?: CrlCache;
  /** The user name given to the broker for an accepted certificate (default `cn`). */
  peerCertAsUsername?: PeerCertAsUsername;
}

type NodeTlsVersion = "TLSv1.2" | "TLSv1.3";

function versionRange(
  cfg: ListenerConfig,
): { minVersion: NodeTlsVersion; maxVersion: NodeTlsVersion } {
  const versions = cfg.tls?.versions ?? ["tlsv1.2", "tlsv1.3"];
  return {
    minVersion: versions.includes("tlsv1.2") ? "TLSv1.2" : "TLSv1.3",
    maxVersion: versions.includes("tlsv1.3") ? "TLSv1.3" : "TLSv1.2",
  };
}

function secureContextOf(
  cfg: ListenerConfig,
  creds: TlsCredentials,
): tls.SecureContext {
  return tls.createSecureContext({
    cert: creds.chainPem,
    key: creds.keyPem,
    ...versionRange(cfg),
  });
}

/**
 * Binds an MQTT over two-way TLS listener on `node:tls`.
 *
 * @param cfg The `ssl` listener (`verify_peer`).
 * @param options Driver, logger, credentials, store CAs, CRLs.
 * @returns The running listener.
 *
 * @example With the development certificates
 * ```ts
 * import { listenMqttNodeTls } from "./node_tls_listener.ts";
 * import { readListenerCredentials } from "./tls_listener.ts";
 * import { CredentialReloader } from "./credential_reloader.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { certsCommand } from "../../cli/certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await certsCommand(["init", "--dir", dir]);
 * const ssl = defaultListener("ssl", "default");
 * const cfg = {
 *   ...ssl, host: "127.0.0.1", port: 0,
 *   tls: { ...ssl.tls!, verify: "verify_peer" as const, certFile: `${dir}/serverChain.pem`, keyFile: `${dir}/server_key.pem`, caCertFile: `${dir}/ca.pem` },
 * };
 * const credentials = await CredentialReloader.start({
 *   name: "ssl/default", files: [], watch: false, sighup: false,
 *   load: () => readListenerCredentials(defaultConfig(), cfg),
 * });
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = await listenMqttNodeTls(cfg, { driver, logger: new Logger({ sink: () => {} }), credentials });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * credentials.close();
 * driver.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listenMqttNodeTls(
  cfg: ListenerConfig,
  options: NodeTlsListenerOptions,
): Promise<Listener> {
  const { driver, logger, credentials } = options;
  const tlsOptions = cfg.tls;
  if (tlsOptions === undefined) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} has no TLS options`,
    );
  }
  if (tlsOptions.ciphers.length > 0) {
    logger.warn("tls.ciphers_ignored", {
      ciphers: tlsOptions.ciphers.join(":"),
      reason: "Deno's node:tls uses its built-in cipher suites",
    });
  }
  const name = `${cfg.family}/${cfg.name}`;
  let context = secureContextOf(cfg, credentials.current);
  let policy = policyOf(credentials.current);
  const unsubscribe = credentials.onReload((creds) => {
    try {
      context = secureContextOf(cfg, creds);
      policy = policyOf(creds);
      if (options.crls !== undefined) {
        options.crls.setFileCrls(creds.crls);
        void verified.endRevoked(creds.crls);
      }
    } catch (err) {
      logger.warn("tls.reload_failed", {
        listener: name,
        error: err instanceof Error ? err.message : String(err),
        kept: "the credentials in force",
      });
    }
  });

  function policyOf(creds: TlsCredentials): ClientCertificatePolicy {
    return {
      trustAnchors: creds.trustAnchors,
      ...(options.storeCas ? { storeCas: options.storeCas } : {}),
      ...(options.pinned ? { pinned: options.pinned } : {}),
      failIfNoPeerCert: tlsOptions!.failIfNoPeerCert,
      skipValidityCheck: tlsOptions!.skipValidityCheckForClientCert,
      ...(options.crls ? { crls: options.crls } : {}),
      ...(options.peerCertAsUsername
        ? { peerCertAsUsername: options.peerCertAsUsername }
        : {}),
    };
  }

  const admission = new Admission(cfg, logger);
  const live = new Map<net.Socket, Promise<void>>();
  /** Connections served with a verified client chain. */
  const verified = new VerifiedConnections<net.Socket>({
    listener: name,
    logger,
    end: (raw) => raw.destroy(),
  });
  let closed = false;
  const timeoutMs = tlsOptions.handshakeTimeoutMs;

  async function handle(raw: net.Socket): Promise<void> {
    let remote = `${raw.remoteAddress}:${raw.remotePort}`;
    if (cfg.proxyProtocol) {
      const source = await readProxyHeader(raw, {
        timeoutMs: cfg.proxyProtocolTimeoutMs,
        logger,
        remote,
      });
      if (source === undefined || closed) return void raw.destroy();
      if (source !== null) {
        if (!admission.permits(source.hostname)) return void raw.destroy();
        logger.debug("proxy_protocol.client", {
          remote: `${source.hostname}:${source.port}`,
          proxy: remote,
        });
        remote = `${source.hostname}:${source.port}`;
      }
    }
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      requestCert: true,
      rejectUnauthorized: false,
      secureContext: context,
    });
    socket.setNoDelay(true);
    const secured = await handshake(socket, { timeoutMs, logger, remote });
    if (!secured || closed) return void socket.destroy();
    const check = await checkClientCertificate(
      peerChainDer(socket),
      policy,
    );
    for (const w of check.warnings ?? []) {
      logger.warn("tls.crl_warning", { listener: name, remote, warning: w });
    }
    const identity = check.identity;
    if (identity?.refusal !== undefined) {
      logger.warn("tls.client_certificate_refused", {
        listener: name,
        remote,
        reason: identity.refusal.cause,
        message: check.message ?? "",
        ...(identity.certificate?.subject === undefined
          ? {}
          : { subject: identity.certificate.subject }),
      });
    } else if (identity !== undefined) {
      logger.debug("tls.client_certificate_accepted", {
        listener: name,
        remote,
        subject: identity.certificate?.subject ?? "",
        protocol: socket.getProtocol() ?? "",
      });
    }
    if (closed) return void socket.destroy();
    if (identity !== undefined && identity.refusal === undefined) {
      verified.add(raw, identity.chain, remote);
    }
    await driver.serve(new NodeSocketStream(socket), {
      remoteAddress: remote,
      transport: "tls",
      ...(identity === undefined ? {} : { identity }),
    });
  }

  const server = net.createServer((raw) => {
    raw.setNoDelay(true);
    raw.on("error", () => {});
    const host = raw.remoteAddress ?? "";
    const admitted = cfg.proxyProtocol
      ? admission.reserve(host)
      : admission.admit(host);
    if (closed || !admitted) {
      raw.destroy();
      return;
    }
    const done = handle(raw)
      .catch((err) => {
        logger.debug("connection.failed", {
          remote: `${raw.remoteAddress}:${raw.remotePort}`,
          error: err,
        });
        raw.destroy();
      })
      .finally(() => {
        admission.release();
        live.delete(raw);
        verified.delete(raw);
      });
    live.set(raw, done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on(
    "error",
    (err) => logger.warn("listener.accept_failed", { error: err }),
  );
  const addr = server.address() as net.AddressInfo;
  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: addr.address, port: addr.port },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      // server.close() calls back only once every connection ended: end
      // them first, or a client that stays connected holds close() forever
      const stopped = new Promise<void>((r) => server.close(() => r()));
      const pending = [...live];
      for (const [raw] of pending) raw.destroy();
      await Promise.all([stopped, ...pending.map(([, done]) => done)]);
    },
  };
}

/** Waits for the TLS handshake under a timeout; whether it succeeded. */
function handshake(
  socket: tls.TLSSocket,
  options: { timeoutMs: number; logger: Logger; remote: string },
): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean, event?: string, fields?: object) => {
      clearTimeout(timer);
      socket.off("secure", onSecure);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (event !== undefined) {
        options.logger.debug(event, { remote: options.remote, ...fields });
      }
      resolve(ok);
    };
    const onSecure = () => finish(true);
    const onError = (err: Error) =>
      finish(false, "tls.handshake_failed", { error: err.message });
    const onClose = () =>
      finish(false, "tls.handshake_failed", { error: "closed by peer" });
    const timer = setTimeout(
      () =>
        finish(false, "tls.handshake_timeout", {
          timeoutMs: options.timeoutMs,
        }),
      options.timeoutMs,
    );
    socket.once("secure", onSecure);
    socket.once("error", onError);
    socket.once("close", onClose);
    socket.on("error", () => {});
  });
}

/**
 * Reads a PROXY v1/v2 header from a plain socket (not flowing) and puts the bytes
 * after it back; resolves to the client (`null` for LOCAL/UNKNOWN) or
 * `undefined` when the header is missing, malformed or late (logged).
 */
function readProxyHeader(
  raw: net.Socket,
  options: { timeoutMs: number; logger: Logger; remote: string },
): Promise<ProxyEndpoint | null | undefined> {
  const { logger, remote, timeoutMs } = options;
  const decoder = new ProxyHeaderDecoder();
  return new Promise((resolve) => {
    const finish = (result: ProxyEndpoint | null | undefined) => {
      clearTimeout(timer);
      raw.off("readable", onReadable);
      raw.off("close", onClose);
      resolve(result);
    };
    const onReadable = () => {
      for (let chunk = raw.read(); chunk !== null; chunk = raw.read()) {
        let done;
        try {
          done = decoder.feed(new Uint8Array(chunk));
        } catch (err) {
          logger.warn("proxy_protocol.malformed", {
            remote,
            error: err instanceof Error ? err.message : String(err),
          });
          return finish(undefined);
        }
        if (done !== undefined) {
          if (done.rest.length > 0) raw.unshift(done.rest);
          return finish(done.header.source ?? null);
        }
      }
    };
    const onClose = () => {
      logger.debug("proxy_protocol.closed_before_header", {
        remote,
        received: decoder.buffered,
      });
      finish(undefined);
    };
    const timer = setTimeout(() => {
      logger.warn("proxy_protocol.timeout", { remote, timeoutMs });
      finish(undefined);
    }, timeoutMs);
    raw.on("readable", onReadable);
    raw.once("close", onClose);
  });
}

/**
 * Starts a `verify_peer` `ssl` listener from the configuration: credentials
 * that follow their files, the credential store's CAs, and with
 * `enable_crl_check` a {@link CrlCache} over `crlfile` and the
 * distribution points. Closing the listener stops all of them.
 *
 * @param cfg The `ssl` listener.
 * @param ctx The server context (configuration, logger, services).
 * @param driver The MQTT driver of the server's MQTT service.
 * @returns The running listener.
 *
 * @example
 * ```ts
 * import { startMqttNodeTls } from "./node_tls_listener.ts";
 *
 * const start: typeof startMqttNodeTls = startMqttNodeTls;
 * ```
 */
export async function startMqttNodeTls(
  cfg: ListenerConfig,
  ctx: ServerContext,
  driver: MqttDriver,
): Promise<Listener> {
  const logger = ctx.logger;
  const store = await credentialService(ctx);
  const credentials = await listenerCredentialReloader(ctx.config, cfg, {
    logger,
  });
  const crls = cfg.tls?.enableCrlCheck
    ? new CrlCache({
      fileCrls: credentials.current.crls,
      fetchDistributionPoints: cfg.tls.crlFile === undefined,
      logger,
    })
    : undefined;
  try {
    const listener = await listenMqttNodeTls(cfg, {
      driver,
      logger,
      credentials,
      storeCas: () => store.trustedCas(),
      pinned: async (leaf) =>
        (await store.identifyCertificate(leaf))?.credentialId ===
          `fingerprint:${leaf.fingerprintSha256}`,
      ...(crls ? { crls } : {}),
      peerCertAsUsername: ctx.config.mqtt.peerCertAsUsername,
    });
    return {
      ...listener,
      async close() {
        await listener.close();
        credentials.close();
        crls?.close();
      },
    };
  } catch (err) {
    credentials.close();
    crls?.close();
    throw err;
  }
}
