/**
 * The resumable sessions of one secure listener (RFC 5246 §7.3 resumption
 * by session ID), built from its configuration and kept in step with
 * revocation. The DTLS listener and the listeners on postern's TLS engine
 * (`ssl`, `wss`) use it alike:
 *
 * - a bounded, expiring {@link SessionCache} (10 000 sessions, least
 *   recently used out first) when `ssl_options.reuse_sessions` /
 *   `dtls_options.reuse_sessions` is on (the default); sessions live as
 *   long as `session_inactivity_timeout` on DTLS, 24 hours on TLS (RFC 5246
 *   §F.1.4's upper bound);
 * - removing or revoking a credential in the store (PSK identity,
 *   certificate rule, CA) forgets the sessions that authenticated with it,
 *   as the live connections that used it are ended;
 * - a CRL that revokes a chain (the reloaded `crlfile`, a distribution
 *   point's CRL) forgets that chain's sessions.
 *
 * The server handshake refuses to resume a PSK session whose identity no
 * longer maps to the same key, whatever the cache holds.
 *
 * @module
 */

import {
  type CredentialChange,
  type CredentialStore,
  type Identity,
  isAffectedBy,
  summarizeCertificate,
} from "../auth/mod.ts";
import type { ListenerConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Certificate, Crl } from "../pki/mod.ts";
import type { ServerContext } from "../server.ts";
import type { PeerIdentity } from "../tls/handshake/types.ts";
import { type ResumableSession, SessionCache } from "../tls/session_cache.ts";
import { credentialService } from "./credential_service.ts";
import { pathToAnchor, revokedCertificateIn } from "./crl_cache.ts";
import { revocationService } from "./revocation.ts";

/** RFC 5246 §F.1.4: a session ID lifetime of at most 24 hours. */
const TLS_SESSION_LIFETIME_MS = 86_400_000;

/**
 * A listener's session cache and what keeps it honest.
 *
 * @example A PSK session is forgotten when its identity is removed
 * ```ts
 * import { ListenerSessions } from "./listener_sessions.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import { cipherSuiteByName } from "../tls/cipher_suites.ts";
 * import { credentialService } from "./credential_service.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: { ...defaultConfig(), dataDir: dir }, logger, services };
 * const sessions = await ListenerSessions.start(defaultListener("ssl", "default"), ctx);
 * const identity = { kind: "psk" as const, identity: "device-1" };
 * sessions.cache!.put(0, new Uint8Array([1]), {
 *   id: new Uint8Array([1]), suite: cipherSuiteByName("PSK-AES128-GCM-SHA256")!,
 *   masterSecret: new Uint8Array(48), extendedMasterSecret: true, identity,
 * });
 * await sessions.identify(identity);
 * const store = await credentialService(ctx);
 * await store.addPsk("device-1", new Uint8Array(16));
 * await store.removePsk("device-1");
 * for (let i = 0; i < 50 && sessions.cache!.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
 * assert.equal(sessions.cache!.size, 0);
 * sessions.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ListenerSessions {
  /** The cache to hand the server handshake; absent with `reuse_sessions` off. */
  readonly cache: SessionCache<ResumableSession> | undefined;
  readonly #name: string;
  readonly #store: CredentialStore;
  readonly #logger: Logger;
  /** The store identity of each authenticated peer, for revocation. */
  readonly #identities = new WeakMap<PeerIdentity, Identity>();
  readonly #unregister: () => void;

  private constructor(
    cfg: ListenerConfig,
    parts: {
      store: CredentialStore;
      logger: Logger;
      register: (apply: (change: CredentialChange) => number) => () => void;
    },
  ) {
    this.#name = `${cfg.family}/${cfg.name}`;
    this.#store = parts.store;
    this.#logger = parts.logger;
    this.cache = cfg.tls?.reuseSessions === false
      ? undefined
      : new SessionCache(
        {
          lifetimeMs: cfg.dtlsSessions?.inactivityTimeoutMs ??
            TLS_SESSION_LIFETIME_MS,
        },
      );
    this.#unregister = parts.register((change) => {
      this.#forget(
        "credential_revoked",
        (s) =>
          s.identity !== undefined &&
          isAffectedBy(
            this.#identities.get(s.identity) ?? ownIdentity(s.identity),
            change,
          ),
      );
      // sessions are not connections: the count of ended ones stays 0
      return 0;
    });
  }

  /**
   * The session cache of `cfg`, registered with the server's revocation
   * service.
   *
   * @param cfg The listener (`tls.reuseSessions`, `dtlsSessions`).
   * @param ctx The server context.
   * @returns The listener's sessions; {@link ListenerSessions.close} it
   *   with the listener.
   */
  static async start(
    cfg: ListenerConfig,
    ctx: ServerContext,
  ): Promise<ListenerSessions> {
    const store = await credentialService(ctx);
    const revocation = await revocationService(ctx);
    const name = `${cfg.family}/${cfg.name}/sessions`;
    return new ListenerSessions(cfg, {
      store,
      logger: ctx.logger,
      register: (apply) => revocation.register({ name, apply }),
    });
  }

  /**
   * The store identity of a peer that completed a handshake (what the
   * store maps its certificate to, else its own), remembered so that
   * revoking it forgets the peer's sessions.
   *
   * @param peer What the handshake proved.
   * @returns The store identity.
   */
  async identify(peer: PeerIdentity): Promise<Identity> {
    const identity = await identityOf(this.#store, peer);
    this.#identities.set(peer, identity);
    return identity;
  }

  /**
   * Forgets the sessions of the certificate with this fingerprint (its
   * chain was revoked).
   *
   * @param fingerprintSha256 The leaf's SHA-256 fingerprint.
   */
  forgetCertificate(fingerprintSha256: string | undefined): void {
    if (fingerprintSha256 === undefined) return;
    this.#forget(
      "certificate_revoked",
      (s) =>
        s.identity?.kind === "x509" &&
        s.identity.chain[0]?.fingerprintSha256 === fingerprintSha256,
    );
  }

  /**
   * Forgets the sessions of every chain `crls` revoke.
   *
   * @param crls The revocation lists in force.
   * @param anchors The listener's trust anchors (to find each chain's path).
   */
  async forgetRevoked(
    crls: readonly Crl[],
    anchors: readonly Certificate[],
  ): Promise<void> {
    const cache = this.cache;
    if (cache === undefined) return;
    const chains = new Set<readonly Certificate[]>();
    cache.deleteWhere((s) => {
      if (s.identity?.kind === "x509") chains.add(s.identity.chain);
      return false;
    });
    const revoked = new Set<readonly Certificate[]>();
    for (const chain of chains) {
      const path = pathToAnchor(chain, anchors);
      if (await revokedCertificateIn(path, crls)) revoked.add(chain);
    }
    if (revoked.size === 0) return;
    this.#forget(
      "certificate_revoked",
      (s) => s.identity?.kind === "x509" && revoked.has(s.identity.chain),
    );
  }

  #forget(
    reason: string,
    predicate: (session: ResumableSession) => boolean,
  ): void {
    const n = this.cache?.deleteWhere(predicate) ?? 0;
    if (n > 0) {
      this.#logger.info("tls.sessions_forgotten", {
        listener: this.#name,
        sessions: n,
        reason,
      });
    }
  }

  /** Stops following revocation. */
  close(): void {
    this.#unregister();
  }
}

/**
 * The store identity of a TLS or DTLS peer, for revocation: a PSK identity
 * is its own credential; a certificate is what the store maps it to, or
 * else its fingerprint (so that revoking it, its CN or SAN, or removing a
 * CA ends what it holds).
 *
 * @param store The credential store.
 * @param peer What the handshake proved.
 * @returns The identity.
 *
 * @example
 * ```ts
 * import { identityOf } from "./listener_sessions.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const id = await identityOf(store, { kind: "psk", identity: "device-1" });
 * assert.deepEqual(id, { subject: "device-1", kind: "psk", credentialId: "device-1" });
 * await store.close();
 * ```
 */
export async function identityOf(
  store: CredentialStore,
  peer: PeerIdentity,
): Promise<Identity> {
  const leaf = peer.kind === "x509" ? peer.chain[0] : undefined;
  const mapped = leaf === undefined
    ? undefined
    : await store.identifyCertificate(leaf);
  return mapped ?? ownIdentity(peer);
}

/** The store identity a peer has by itself, before any certificate rule. */
function ownIdentity(peer: PeerIdentity): Identity {
  if (peer.kind === "psk") {
    return { subject: peer.identity, kind: "psk", credentialId: peer.identity };
  }
  const leaf = peer.chain[0];
  if (leaf === undefined) {
    return { subject: peer.subject, kind: "x509", credentialId: "" };
  }
  const certificate = summarizeCertificate(leaf);
  return {
    subject: peer.subject,
    kind: "x509",
    credentialId: `fingerprint:${certificate.fingerprint}`,
    certificate,
  };
}
