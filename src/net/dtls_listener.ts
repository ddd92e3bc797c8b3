/**
 * The `dtls` listener of the composition root (`COAP_DTLS_*`, 5684): a DTLS
 * 1.2 server endpoint on a UDP socket, with PSK identities from the
 * credential store (PSK init file imported at start), the server
 * certificate and client-certificate trust from the listener's TLS options,
 * OCSP stapling when `ssl_options.ocsp` enables it (`ocsp_stapler.ts`),
 * and its sessions swept by the server's one sweeper. Removing or revoking
 * the credential a peer authenticated with (PSK identity, certificate rule,
 * CA) closes its association with close_notify (see `revocation.ts`).
 * The certificate, key, CA and CRL files follow their files
 * (`credential_reloader.ts`): new handshakes use the new ones, and a new
 * CRL — the reloaded `crlfile`, or with `enable_crl_check` and no
 * `crlfile` a distribution point's CRL fetched after the handshake
 * (`crl_cache.ts`) — closes the associations whose chain it revokes.
 * Sessions resume from the listener's session cache (`listener_sessions.ts`,
 * `dtls_options.reuse_sessions`), which forgets the sessions of a revoked
 * credential or chain.
 *
 * Application data is CoAP (RFC 7252 §9): it goes into a CoAP server core
 * with the same routes as the `coap` listener (`/.well-known/core` and the
 * MQTT gateway), with the peer's DTLS identity passed as `identity`, and
 * the responses go back over the association.
 *
 * @module
 */

import type { ListenerConfig, TlsCredentials } from "../config/mod.ts";
import type { ListenerFactory, ServerContext } from "../server.ts";
import type {
  PeerIdentity,
  ServerHandshakeConfig,
} from "../tls/handshake/types.ts";
import type { EndpointEvent } from "../dtls/endpoint.ts";
import type { PeerAddress } from "../dtls/cookie.ts";
import { listenDtls } from "./udp.ts";
import { credentialService } from "./credential_service.ts";
import { ListenerSessions } from "./listener_sessions.ts";
import { IdentityTable, revocationService } from "./revocation.ts";
import { sweeperService } from "./sweeper_service.ts";
import {
  type CredentialReloader,
  followCredentials,
  listenerCredentialReloader,
} from "./credential_reloader.ts";
import { CrlCache, pathToAnchor, VerifiedConnections } from "./crl_cache.ts";
import { listenerStapler, type OcspStapler } from "./ocsp_stapler.ts";
import { CoapServer } from "../coap/server.ts";
import {
  coapGateway,
  gatewayRouter,
  observerSweepTarget,
} from "./coap_listener.ts";

function hasServerCredentials(cfg: ListenerConfig): boolean {
  const tls = cfg.tls;
  if (tls === undefined) return false;
  return tls.credentialsType === "KEYSTORE"
    ? tls.keyStoreFile !== undefined
    : tls.certFile !== undefined;
}

async function handshakeConfig(
  cfg: ListenerConfig,
  ctx: ServerContext,
  sessions: ListenerSessions,
): Promise<{
  handshake: ServerHandshakeConfig;
  stapler?: OcspStapler;
  credentials?: CredentialReloader<TlsCredentials>;
  crls?: CrlCache;
}> {
  const store = await credentialService(ctx);
  const tls = cfg.tls;
  const base: ServerHandshakeConfig = {
    psk: (identity) => store.lookupPsk(identity),
    // RFC 5246 §7.3 resumption: sessions live as long as an idle association
    ...(sessions.cache ? { sessionCache: sessions.cache } : {}),
    ...(tls && tls.ciphers.length > 0 ? { cipherSuites: tls.ciphers } : {}),
  };
  if (!hasServerCredentials(cfg)) return { handshake: base };
  // certificate, key, CAs and CRL file follow their files (new handshakes)
  const credentials = await listenerCredentialReloader(ctx.config, cfg, {
    logger: ctx.logger,
  });
  const creds = credentials.current;
  const stapler = listenerStapler(cfg, creds, ctx.logger);
  const crls = tls?.enableCrlCheck && creds.trustAnchors.length > 0
    ? new CrlCache({
      fileCrls: creds.crls,
      fetchDistributionPoints: tls.crlFile === undefined,
      logger: ctx.logger,
    })
    : undefined;
  const handshake = followCredentials(
    stapler ? { ...base, ocspStaple: () => stapler.staple() } : base,
    () => credentials.current,
    creds.trustAnchors.length > 0
      ? {
        ...(crls ? { crls } : {}),
        skipValidityCheck: tls?.skipValidityCheckForClientCert ?? false,
        failIfNoPeerCert: tls?.failIfNoPeerCert ?? false,
      }
      : undefined,
  );
  return {
    handshake,
    credentials,
    ...(stapler ? { stapler } : {}),
    ...(crls ? { crls } : {}),
  };
}

/**
 * CoAP over DTLS (`COAP_DTLS_*`, 5684).
 *
 * @example
 * ```ts
 * import { dtlsListenerFactory } from "./dtls_listener.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const base = defaultListener("dtls", "default");
 * const { certFile: _cert, keyFile: _key, ...pskOnly } = base.tls!;
 * const listener = await dtlsListenerFactory(
 *   { ...base, host: "127.0.0.1", port: 0, tls: pskOnly },
 *   { config: { ...defaultConfig(), dataDir: dir }, logger, services },
 * );
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const dtlsListenerFactory: ListenerFactory = async (cfg, ctx) => {
  const sessions = await ListenerSessions.start(cfg, ctx);
  const { handshake, stapler, credentials, crls } = await handshakeConfig(
    cfg,
    ctx,
    sessions,
  );
  const revocation = await revocationService(ctx);
  const logger = ctx.logger;
  const name = `dtls/${cfg.name}`;
  const peers = new Map<string, PeerAddress>();
  const identities = new IdentityTable<string>();
  // peers with a certificate: a new CRL (reloaded crlfile, or a distribution
  // point's fetched after the handshake) ends the associations it revokes
  const verified = new VerifiedConnections<string>({
    listener: name,
    logger,
    end: (key, path) => {
      const peer = peers.get(key);
      if (peer !== undefined) server.closePeer(peer);
      // nor may its sessions resume
      sessions.forgetCertificate(path[0]?.fingerprintSha256);
    },
  });
  const unsubscribe = credentials?.onReload((creds) => {
    crls?.setFileCrls(creds.crls);
    const all = crls?.crls ?? creds.crls;
    void verified.endRevoked(all).then(() =>
      sessions.forgetRevoked(all, handshake.clientAuth?.trustAnchors ?? [])
    );
  });
  function track(e: EndpointEvent): void {
    const key = `${e.peer.hostname}|${e.peer.port}`;
    if (e.event.kind === "established" && e.event.identity !== undefined) {
      peers.set(key, e.peer);
      const peer = e.event.identity;
      if (peer.kind === "x509" && handshake.clientAuth !== undefined) {
        verified.add(
          key,
          pathToAnchor(peer.chain, handshake.clientAuth.trustAnchors),
          `${e.peer.hostname}:${e.peer.port}`,
        );
        if (crls !== undefined) {
          void crls.crlsFor(peer.chain).then((l) =>
            verified.endRevoked(l, key)
          );
        }
      }
      void sessions.identify(peer).then(
        (identity) => {
          if (peers.get(key) === e.peer) identities.set(key, identity);
        },
        (err) => logger.warn("dtls.identity_failed", { error: err }),
      );
    } else if (e.event.kind === "closed") {
      peers.delete(key);
      identities.delete(key);
      verified.delete(key);
    } else if (e.event.kind === "address_changed") {
      // RFC 9146 §6: a connection ID peer moved; its sessions follow it
      const from = `${e.event.from.hostname}|${e.event.from.port}`;
      const identity = identities.get(from);
      if (peers.delete(from)) peers.set(key, e.peer);
      verified.rekey(from, key);
      identities.delete(from);
      if (identity !== undefined) identities.set(key, identity);
      const coapKey = coapKeys.get(from) ?? from;
      coapKeys.delete(from);
      coapKeys.set(key, coapKey);
      if (addresses.has(coapKey)) addresses.set(coapKey, e.peer);
    }
  }
  // CoAP state is keyed by the address a peer first had: a connection ID
  // peer that moves keeps its key (current address key -> that key)
  const coapKeys = new Map<string, string>();
  const coapKeyOf = (peer: PeerAddress) => {
    const key = `${peer.hostname}|${peer.port}`;
    return coapKeys.get(key) ?? key;
  };
  const { gateway } = await coapGateway(ctx);
  const addresses = new Map<string, PeerAddress>();
  const pump: { flush: () => void } = { flush: () => {} };
  const coap = new CoapServer(gatewayRouter(gateway), {
    wake: () => queueMicrotask(() => pump.flush()),
  });
  const server = listenDtls({
    hostname: cfg.host,
    port: cfg.port,
    endpoint: {
      handshake,
      name,
      ...(cfg.dtlsSessions
        ? {
          inactivityTimeoutMs: cfg.dtlsSessions.inactivityTimeoutMs,
          sweepIntervalMs: cfg.dtlsSessions.reportTimeoutMs,
        }
        : {}),
    },
    onData: (peer, data, identity) => {
      const key = coapKeyOf(peer);
      if (logger.enabled("debug")) {
        logger.debug("dtls.data", {
          peer: `${peer.hostname}:${peer.port}`,
          bytes: data.length,
          identity: describeIdentity(identity),
        });
      }
      addresses.set(key, peer);
      coap.handleDatagram(Date.now(), data, key, identity);
      pump.flush();
    },
    onEvent: (event) => {
      if (event.event.kind === "data") return; // handled in onData
      track(event);
      if (event.event.kind === "closed") {
        const key = coapKeyOf(event.peer);
        coapKeys.delete(`${event.peer.hostname}|${event.peer.port}`);
        addresses.delete(key);
        coap.forgetPeer(key);
        gateway.forgetPeer(key);
      }
      logEvent(logger, event);
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  pump.flush = () => {
    if (closed) return;
    for (let o = coap.pollTransmit(); o; o = coap.pollTransmit()) {
      const peer = addresses.get(o.to);
      if (peer !== undefined) server.send(peer, o.bytes);
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const at = coap.nextTimeout();
    if (at === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      coap.handleTimeout(Date.now());
      pump.flush();
    }, Math.max(0, at - Date.now()));
  };
  const detach = gateway.attach({
    notify(now, path, peer) {
      const n = coap.notify(now, path, peer);
      pump.flush();
      return n;
    },
  });
  const unregister = revocation.register({
    name,
    apply(change) {
      const keys = identities.affectedBy(change);
      for (const key of keys) {
        const peer = peers.get(key);
        if (peer !== undefined) server.closePeer(peer);
      }
      return keys.length;
    },
  });
  const sweeper = await sweeperService(ctx);
  sweeper.register(server.endpoint.sweepTarget());
  const observers = observerSweepTarget(
    `coap/${name}`,
    coap,
    cfg,
    () => pump.flush(),
  );
  sweeper.register(observers);
  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: server.addr.hostname, port: server.addr.port },
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      detach();
      unregister();
      sessions.close();
      sweeper.unregister(name);
      stapler?.close();
      unsubscribe?.();
      credentials?.close();
      crls?.close();
      sweeper.unregister(observers.name);
      await server.close();
    },
  };
};

function describeIdentity(
  identity: PeerIdentity | undefined,
): string | undefined {
  if (identity === undefined) return undefined;
  return identity.kind === "psk"
    ? `psk:${identity.identity}`
    : `x509:${identity.subject}`;
}

function logEvent(logger: ServerContext["logger"], e: EndpointEvent): void {
  const peer = `${e.peer.hostname}:${e.peer.port}`;
  const ev = e.event;
  switch (ev.kind) {
    case "established":
      logger.info("dtls.established", {
        peer,
        suite: ev.suite,
        identity: describeIdentity(ev.identity),
        ...(ev.session.resumed === true ? { resumed: true } : {}),
      });
      break;
    case "closed":
      if (ev.alert && ev.alert.name !== "close_notify") {
        logger.warn("dtls.failed", {
          peer,
          alert: ev.alert.name,
          sent: !ev.alert.received,
          reason: ev.reason,
        });
      } else {
        logger.info("dtls.closed", { peer, reason: ev.reason });
      }
      break;
    case "address_changed":
      logger.info("dtls.address_changed", {
        peer,
        from: `${ev.from.hostname}:${ev.from.port}`,
      });
      break;
    default:
      break;
  }
}
