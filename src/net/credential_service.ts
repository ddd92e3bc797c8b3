/**
 * The server's one credential store, shared by every listener: the Deno KV
 * store under `POSTERN_DATA_DIR`, with the PSK init file
 * (`PSK_AUTHENTICATION_INIT_FILE`) imported when it opens.
 *
 * @module
 */

import { importPskInitFile, KvStore } from "../auth/mod.ts";
import type { PosternConfig } from "../config/mod.ts";
import type { ServerContext } from "../server.ts";

const KEY = "credentials";

/**
 * The server's credential store, opened (and the PSK init file imported) on
 * first use and closed with the server.
 *
 * @param ctx The server context.
 * @returns The shared store.
 *
 * @example
 * ```ts
 * import { credentialService } from "./credential_service.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: { ...defaultConfig(), dataDir: dir }, logger, services };
 * const store = await credentialService(ctx);
 * assert.equal(store, await credentialService(ctx));
 * assert.equal(await store.lookupPsk("nobody"), undefined);
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function credentialService(ctx: ServerContext): Promise<KvStore> {
  const services = ctx.services;
  if (services === undefined) {
    throw new TypeError("The server context has no service registry");
  }
  return services.get(KEY, (logger) => openStore(ctx.config, logger));
}

async function openStore(
  config: PosternConfig,
  logger: ServerContext["logger"],
): Promise<KvStore> {
  const store = await KvStore.openDataDir(config.dataDir, {
    onError: (err) => logger.error("credentials.error", { error: err }),
  });
  try {
    const result = await importPskInitFile(store, config.psk);
    if (result !== undefined) {
      logger.info("psk.imported", {
        file: config.psk.initFile,
        added: result.added,
        replaced: result.replaced,
        unchanged: result.unchanged,
      });
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
