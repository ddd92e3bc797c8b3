/**
 * Revocation: removing or revoking a credential ends, within a second, the
 * live sessions that authenticated with it, on every protocol.
 *
 * The server's one {@link RevocationService} listens to the credential
 * store's changes (from this process or any other on the same data
 * directory: `postern psk rm`, `token rm`, `user rm`, `certs revoke`) and
 * hands each to every registered {@link RevocationTarget}:
 * - the MQTT target ({@link mqttRevocationTarget}) disconnects the
 *   connections whose identity `isAffectedBy` the change (5.0 clients get
 *   DISCONNECT 0x98 Administrative action first) and re-reads ACLs on `acl`
 *   changes;
 * - each DTLS listener closes, with close_notify, the associations whose
 *   peer identity is affected, found through an {@link IdentityTable}.
 *
 * @module
 */

import {
  type CredentialChange,
  type CredentialStore,
  type Identity,
  isAffectedBy,
} from "../auth/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ServerContext, SharedService } from "../server.ts";
import { credentialService } from "./credential_service.ts";
import type { MqttAuth } from "./mqtt_auth.ts";
import type { MqttService } from "./mqtt_service.ts";

const KEY = "revocation";

/**
 * Something that holds sessions and ends those a change revokes.
 *
 * @example
 * ```ts
 * import type { RevocationTarget } from "./revocation.ts";
 *
 * const target: RevocationTarget = { name: "test", apply: () => 0 };
 * ```
 */
export interface RevocationTarget {
  /** For log lines: `mqtt`, `dtls/default`. */
  readonly name: string;
  /** Ends the sessions `change` revokes; returns how many it ended. */
  apply(change: CredentialChange): number | Promise<number>;
}

/**
 * Hands every change of a credential store to its registered targets.
 *
 * @example
 * ```ts
 * import { RevocationService } from "./revocation.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const service = new RevocationService(store, new Logger({ sink: () => {} }));
 * const seen: string[] = [];
 * service.register({ name: "t", apply: (c) => (seen.push(`${c.kind}:${c.id}:${c.op}`), 0) });
 * await store.addPsk("d1", new Uint8Array(16));
 * await store.removePsk("d1");
 * assert.deepEqual(seen, ["psk:d1:added", "psk:d1:removed"]);
 * await service.close();
 * await store.close();
 * ```
 */
export class RevocationService implements SharedService {
  readonly #targets = new Set<RevocationTarget>();
  readonly #logger: Logger;
  readonly #stop: () => void;

  /**
   * @param store The store whose changes to follow.
   * @param logger Where revocations are logged.
   */
  constructor(store: CredentialStore, logger: Logger) {
    this.#logger = logger;
    this.#stop = store.onChange((change) => this.#dispatch(change));
  }

  #dispatch(change: CredentialChange): void {
    for (const target of [...this.#targets]) {
      let result: number | Promise<number>;
      try {
        result = target.apply(change);
      } catch (err) {
        this.#failed(target, change, err);
        continue;
      }
      Promise.resolve(result).then(
        (closed) => {
          if (closed > 0) {
            this.#logger.info("credentials.revoked_sessions", {
              target: target.name,
              kind: change.kind,
              id: change.id,
              op: change.op,
              closed,
            });
          }
        },
        (err) => this.#failed(target, change, err),
      );
    }
  }

  #failed(
    target: RevocationTarget,
    change: CredentialChange,
    err: unknown,
  ): void {
    this.#logger.error("credentials.revocation_failed", {
      target: target.name,
      kind: change.kind,
      id: change.id,
      error: err,
    });
  }

  /**
   * Adds a target.
   *
   * @param target It gets every change from now on.
   * @returns The function that removes it.
   */
  register(target: RevocationTarget): () => void {
    this.#targets.add(target);
    return () => this.#targets.delete(target);
  }

  /** Stops following the store. */
  close(): Promise<void> {
    this.#stop();
    this.#targets.clear();
    return Promise.resolve();
  }
}

/**
 * The server's revocation service, created on first use on the server's
 * credential store.
 *
 * @param ctx The server context.
 * @returns The shared service.
 *
 * @example
 * ```ts
 * import { revocationService } from "./revocation.ts";
 * import { defaultConfig } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import { ServiceRegistry } from "../server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const logger = new Logger({ sink: () => {} });
 * const services = new ServiceRegistry(logger);
 * const ctx = { config: { ...defaultConfig(), dataDir: dir }, logger, services };
 * assert.equal(await revocationService(ctx), await revocationService(ctx));
 * await services.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function revocationService(
  ctx: ServerContext,
): Promise<RevocationService> {
  const services = ctx.services;
  if (services === undefined) {
    throw new TypeError("The server context has no service registry");
  }
  return services.get(KEY, async (logger) => {
    const store = await credentialService(ctx);
    return new RevocationService(store, logger);
  });
}

/**
 * The MQTT side: disconnects the connections a change revokes (DISCONNECT
 * 0x98 for 5.0) and re-reads the ACLs an `acl` change touches.
 *
 * @param service The broker and its driver.
 * @param auth The hooks that authenticated its connections.
 * @returns The target.
 *
 * @example
 * ```ts
 * import { mqttRevocationTarget } from "./revocation.ts";
 * import { MqttAuth } from "./mqtt_auth.ts";
 * import { MqttService } from "./mqtt_service.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const auth = new MqttAuth(new MemoryStore());
 * const service = await MqttService.start(new Logger({ sink: () => {} }), { broker: { sysInterval: 0, auth } });
 * const target = mqttRevocationTarget(service, auth);
 * assert.equal(await target.apply({ kind: "psk", id: "d1", op: "removed" }), 0);
 * await service.close();
 * ```
 */
export function mqttRevocationTarget(
  service: MqttService,
  auth: MqttAuth,
): RevocationTarget {
  return {
    name: "mqtt",
    async apply(change) {
      if (change.kind === "acl") {
        await auth.refreshAcl(change.id);
        return 0;
      }
      let closed = 0;
      const now = Date.now();
      for (const id of auth.revoke(change)) {
        if (service.broker.disconnect(now, id, 0x98)) closed++;
        auth.forget(id);
      }
      if (closed > 0) service.driver.pump();
      return closed;
    },
  };
}

/**
 * Sessions by key with the identity each authenticated with, for a
 * transport that closes them itself (a DTLS listener by peer address).
 *
 * @example
 * ```ts
 * import { IdentityTable } from "./revocation.ts";
 * import assert from "node:assert/strict";
 *
 * const table = new IdentityTable<string>();
 * table.set("10.0.0.7|5684", { subject: "d1", kind: "psk", credentialId: "d1" });
 * assert.deepEqual(table.affectedBy({ kind: "psk", id: "d1", op: "removed" }), ["10.0.0.7|5684"]);
 * assert.deepEqual(table.affectedBy({ kind: "psk", id: "d1", op: "added" }), []);
 * table.delete("10.0.0.7|5684");
 * assert.equal(table.size, 0);
 * ```
 */
export class IdentityTable<K> {
  readonly #entries = new Map<K, Identity>();

  /** Sessions held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records the identity of a session.
   *
   * @param key The session.
   * @param identity How it authenticated.
   */
  set(key: K, identity: Identity): void {
    this.#entries.set(key, identity);
  }

  /**
   * The identity of a session.
   *
   * @param key The session.
   * @returns Its identity, if recorded.
   */
  get(key: K): Identity | undefined {
    return this.#entries.get(key);
  }

  /**
   * Forgets a session.
   *
   * @param key The session.
   */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /**
   * The sessions a change ends.
   *
   * @param change A change from the store.
   * @returns Their keys.
   */
  affectedBy(change: CredentialChange): K[] {
    const out: K[] = [];
    for (const [key, identity] of this.#entries) {
      if (isAffectedBy(identity, change)) out.push(key);
    }
    return out;
  }
}
