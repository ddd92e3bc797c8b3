/**
 * Starts an MQTT `ssl` listener on the TLS implementation that
 * `tlsPathFor` (`src/config/tls_path.ts`, the one place that decides)
 * chooses, and logs the choice with its reason at start
 * (`tls.path engine=postern reason="TLS-PSK is configured …"`):
 *
 * - `postern`: postern's own TLS 1.2 engine over TCP (`tls_engine.ts`);
 * - `node`: Deno's `node:tls` server with client certificates
 *   (`node_tls_listener.ts`);
 * - `native`: `Deno.listenTls` (`tls_listener.ts`).
 *
 * @module
 */

import { tlsPathFor } from "../config/mod.ts";
import type { ListenerConfig } from "../config/mod.ts";
import type { Listener, ServerContext } from "../server.ts";
import { credentialService } from "./credential_service.ts";
import type { MqttDriver } from "./mqtt_driver.ts";
import { startMqttNodeTls } from "./node_tls_listener.ts";
import { engineHandshakeConfig, listenMqttTlsEngine } from "./tls_engine.ts";
import { listenMqttTls, readListenerCredentials } from "./tls_listener.ts";
import { listenerStapler, withStapler } from "./ocsp_stapler.ts";
import { listenerCredentialReloader } from "./credential_reloader.ts";
import { CrlCache } from "./crl_cache.ts";

/**
 * Starts an `ssl` listener on the engine its configuration calls for.
 *
 * @param cfg The listener.
 * @param ctx The server context (config, logger, services).
 * @param driver The MQTT driver every listener shares.
 * @returns The running listener.
 *
 * @example A TLS-PSK listener runs on postern's engine
 * ```ts
 * import { startMqttSsl } from "./tls_path.ts";
 * import { MqttDriver } from "./mqtt_driver.ts";
 * import { Broker } from "../mqtt/broker/mod.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const logger = new Logger({ sink: (l) => lines.push(l) });
 * const services = new ServiceRegistry(logger);
 * const config = { ...defaultConfig(), dataDir: dir, psk: { enabled: true, separator: ":", chunkSize: 50 } };
 * const ssl = defaultListener("ssl", "default");
 * const cfg = { ...ssl, host: "127.0.0.1", port: 0, tls: { ...ssl.tls!, ciphers: ["PSK-AES128-GCM-SHA256"] } };
 * const driver = new MqttDriver(new Broker({ sysInterval: 0 }));
 * const listener = await startMqttSsl(cfg, { config, logger, services }, driver);
 * assert.ok(lines.some((l) => l.includes("tls.path") && l.includes("postern")));
 * await listener.close();
 * driver.close();
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startMqttSsl(
  cfg: ListenerConfig,
  ctx: ServerContext,
  driver: MqttDriver,
): Promise<Listener> {
  const path = tlsPathFor(ctx.config, cfg);
  ctx.logger.info("tls.path", { engine: path.engine, reason: path.reason });
  switch (path.engine) {
    case "postern": {
      const store = await credentialService(ctx);
      const tls = cfg.tls;
      const hasCertificate = tls?.credentialsType === "KEYSTORE"
        ? tls.keyStoreFile !== undefined
        : tls?.certFile !== undefined;
      // certificate, key, CAs and CRL file follow their files
      const credentials = hasCertificate
        ? await listenerCredentialReloader(ctx.config, cfg, {
          logger: ctx.logger,
        })
        : undefined;
      const crls = tls?.enableCrlCheck && credentials !== undefined
        ? new CrlCache({
          fileCrls: credentials.current.crls,
          fetchDistributionPoints: tls.crlFile === undefined,
          logger: ctx.logger,
        })
        : undefined;
      const release = () => {
        credentials?.close();
        crls?.close();
      };
      let handshake;
      try {
        handshake = await engineHandshakeConfig(ctx.config, cfg, {
          store,
          logger: ctx.logger,
          ...(credentials ? { credentials } : {}),
          ...(crls ? { crls } : {}),
        });
      } catch (err) {
        release();
        throw err;
      }
      // OCSP stapling (RFC 6066 §8) runs only on this engine
      const stapler = cfg.tls?.ocsp.enableOcspStapling
        ? listenerStapler(
          cfg,
          await readListenerCredentials(ctx.config, cfg),
          ctx.logger,
        )
        : undefined;
      let listener;
      try {
        listener = withStapler(
          handshake,
          stapler,
          (staple) =>
            listenMqttTlsEngine(cfg, {
              driver,
              logger: ctx.logger,
              handshake: staple,
              ...(credentials ? { credentials } : {}),
              ...(crls ? { crls } : {}),
            }),
        );
      } catch (err) {
        stapler?.close();
        release();
        throw err;
      }
      return {
        ...listener,
        close: () => listener.close().finally(release),
      };
    }
    case "node":
      return await startMqttNodeTls(cfg, ctx, driver);
    case "native": {
      // credentials follow their files: a reload rebinds the socket
      const reloader = await listenerCredentialReloader(ctx.config, cfg, {
        logger: ctx.logger,
      });
      try {
        const listener = listenMqttTls(cfg, {
          driver,
          logger: ctx.logger,
          credentials: reloader.current,
          reloader,
        });
        return {
          ...listener,
          close: () => listener.close().finally(() => reloader.close()),
        };
      } catch (err) {
        reloader.close();
        throw err;
      }
    }
  }
}
