/**
 * The `dtls` listener of the composition root (`COAP_DTLS_*`, 5684): a DTLS
 * 1.2 server endpoint on a UDP socket, with PSK identities from the
 * credential store (PSK init file imported at start), the server
 * certificate and client-certificate trust from the listener's TLS options,
 * and its sessions swept by the server's one sweeper. Removing or revoking
 * the credential a peer authenticated with (PSK identity, certificate rule,
 * CA) closes its association with close_notify (see `revocation.ts`).
 *
 * Application data is CoAP (RFC 7252 §9): it goes into a CoAP server core
 * with the same routes as the `coap` listener (`/.well-known/core` and the
 * MQTT gateway), with the peer's DTLS identity passed as `identity`, and
 * the responses go back over the association.
 *
 * @module
 */

import type { ListenerConfig } from "../config/mod.ts";
import type { ListenerFactory, ServerContext } from "../server.ts";
import type {
  PeerIdentity,
  ServerHandshakeConfig,
} from "../tls/handshake/types.ts";
import type { EndpointEvent } from "../dtls/endpoint.ts";
import type { PeerAddress } from "../dtls/cookie.ts";
import {
  type CredentialStore,
  type Identity,
  summarizeCertificate,
} from "../auth/mod.ts";
import { listenDtls } from "./udp.ts";
import { credentialService } from "./credential_service.ts";
import { IdentityTable, revocationService } from "./revocation.ts";
import { sweeperService } from "./sweeper_service.ts";
import { readListenerCredentials } from "./tls_listener.ts";
import { CoapServer } from "../coap/server.ts";
import { coapGateway, gatewayRouter } from "./coap_listener.ts";

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
): Promise<ServerHandshakeConfig> {
  const store = await credentialService(ctx);
  const tls = cfg.tls;
  let certificate: ServerHandshakeConfig["certificate"];
  let clientAuth: ServerHandshakeConfig["clientAuth"];
  if (hasServerCredentials(cfg)) {
    const creds = await readListenerCredentials(ctx.config, cfg);
    certificate = { chain: creds.chain, key: creds.key };
    if (creds.trustAnchors.length > 0) {
      clientAuth = {
        trustAnchors: creds.trustAnchors,
        crls: creds.crls,
        skipValidityCheck: tls?.skipValidityCheckForClientCert ?? false,
        failIfNoPeerCert: tls?.failIfNoPeerCert ?? false,
      };
    }
  }
  return {
    psk: (identity) => store.lookupPsk(identity),
    ...(certificate ? { certificate } : {}),
    ...(clientAuth ? { clientAuth } : {}),
    ...(tls && tls.ciphers.length > 0 ? { cipherSuites: tls.ciphers } : {}),
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
  const handshake = await handshakeConfig(cfg, ctx);
  const store = await credentialService(ctx);
  const revocation = await revocationService(ctx);
  const logger = ctx.logger;
  const name = `dtls/${cfg.name}`;
  const peers = new Map<string, PeerAddress>();
  const identities = new IdentityTable<string>();
  function track(e: EndpointEvent): void {
    const key = `${e.peer.hostname}|${e.peer.port}`;
    if (e.event.kind === "established" && e.event.identity !== undefined) {
      peers.set(key, e.peer);
      void identityOf(store, e.event.identity).then(
        (identity) => {
          if (peers.get(key) === e.peer) identities.set(key, identity);
        },
        (err) => logger.warn("dtls.identity_failed", { error: err }),
      );
    } else if (e.event.kind === "closed") {
      peers.delete(key);
      identities.delete(key);
    }
  }
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
      const key = `${peer.hostname}|${peer.port}`;
      logger.debug("dtls.data", {
        peer: `${peer.hostname}:${peer.port}`,
        bytes: data.length,
        identity: describeIdentity(identity),
      });
      addresses.set(key, peer);
      coap.handleDatagram(Date.now(), data, key, identity);
      pump.flush();
    },
    onEvent: (event) => {
      track(event);
      if (event.event.kind === "closed") {
        addresses.delete(`${event.peer.hostname}|${event.peer.port}`);
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
    notify(now, path) {
      const n = coap.notify(now, path);
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
  return {
    family: cfg.family,
    name: cfg.name,
    address: { host: server.addr.hostname, port: server.addr.port },
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      detach();
      unregister();
      sweeper.unregister(name);
      await server.close();
    },
  };
};

/**
 * The store identity of a DTLS peer, for revocation: a PSK identity is its
 * own credential; a certificate is what the store maps it to, or else its
 * fingerprint (so that revoking it, its CN or SAN, or removing a CA ends
 * the association).
 */
async function identityOf(
  store: CredentialStore,
  peer: PeerIdentity,
): Promise<Identity> {
  if (peer.kind === "psk") {
    return { subject: peer.identity, kind: "psk", credentialId: peer.identity };
  }
  const leaf = peer.chain[0];
  if (leaf === undefined) {
    return { subject: peer.subject, kind: "x509", credentialId: "" };
  }
  const mapped = await store.identifyCertificate(leaf);
  if (mapped !== undefined) return mapped;
  const certificate = summarizeCertificate(leaf);
  return {
    subject: peer.subject,
    kind: "x509",
    credentialId: `fingerprint:${certificate.fingerprint}`,
    certificate,
  };
}

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
    default:
      break;
  }
}
