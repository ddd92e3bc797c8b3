/**
 * The broker's authentication and authorization hooks, backed by the
 * credential store shared by every protocol.
 *
 * CONNECT, in this order (each credential resolved by `identifyCredential`,
 * the one resolution every protocol shares):
 * - a client certificate the transport refused (`refusal` of the peer
 *   identity: untrusted, expired, revoked, or none where one is required):
 *   refused whatever else the CONNECT carries (the broker core refuses it
 *   before calling this hook; it is checked here too for direct callers);
 * - a client certificate from the transport (a verified path in
 *   {@link CertificatePeerIdentity}), when the CONNECT has no user name or
 *   `peerCertAsUsername` is not `disabled`: `identifyCertificate` of the
 *   leaf with its issuers (store rules, TBMQ's chain CN match), else the
 *   part of the certificate `peerCertAsUsername` names (EMQX
 *   `peer_cert_as_username`; default `cn`, Mosquitto's
 *   `use_identity_as_username`), which replaces the CONNECT's user name;
 * - a TLS-PSK identity from the transport (a {@link PskPeerIdentity}) and
 *   no user name: the PSK identity is the subject while the store holds it
 *   (the handshake already proved the key from the store);
 * - user name and password: `verifyPassword`;
 * - user name without a password (or an empty one): the user name is an
 *   access token (`verifyToken`), as ThingsBoard devices send it;
 * - nothing: anonymous, when `allowAnonymous`, as the ACL subject `*`.
 *
 * Wrong credentials and a refused certificate are CONNACK 0x86 Bad user
 * name or password (5.0) / 0x04 (3.1.1); an anonymous client where none is
 * allowed, a missing required certificate and a certificate no rule or
 * mode names are 0x87 Not authorized / 0x05.
 *
 * PUBLISH and SUBSCRIBE are checked against the subject's {@link Acl},
 * fetched while the CONNECT is authenticated and kept per subject, so the
 * synchronous hooks never wait on the store; `%c` is the connection's client
 * identifier. {@link MqttAuth.refreshAcl} re-reads it after an `acl` change.
 * The {@link Identity} of every authenticated connection is kept so that a
 * revocation can find the connections it ends
 * ({@link MqttAuth.revoke}).
 *
 * @module
 */

import {
  type Acl,
  type CredentialChange,
  type CredentialStore,
  type Identity,
  isAffectedBy,
} from "../auth/mod.ts";
import type {
  AuthContext,
  AuthHooks,
  AuthorizeContext,
  AuthResult,
  PeerIdentity,
} from "../mqtt/broker/mod.ts";
import type { Certificate } from "../pki/mod.ts";
import { identifyCredential, type PeerCertAsUsername } from "../auth/mod.ts";

/** The ACL subject of anonymous clients: only the rules stored for `*` apply. */
export const ANONYMOUS_SUBJECT = "*";

const PRUNE_FLOOR = 64;
const RECENT_CHANGES = 256;

/**
 * A transport identity that carries the verified client certificate chain
 * (leaf first), for `identifyCertificate`.
 *
 * @example
 * ```ts
 * import type { CertificatePeerIdentity } from "./mqtt_auth.ts";
 *
 * const identities: CertificatePeerIdentity[] = [];
 * ```
 */
export interface CertificatePeerIdentity extends PeerIdentity {
  /**
   * The verified chain, leaf first (empty when the transport refused the
   * certificate: `refusal`, which the broker answers at CONNECT).
   */
  readonly chain: readonly Certificate[];
}

/**
 * A transport identity from a TLS-PSK handshake (postern's own TLS engine):
 * the PSK identity the store's key matched. Without a user name in the
 * CONNECT it is the subject, as Mosquitto's `use_identity_as_username`
 * does for PSK listeners.
 *
 * @example
 * ```ts
 * import type { PskPeerIdentity } from "./mqtt_auth.ts";
 *
 * const identity: PskPeerIdentity = { pskIdentity: "device-1" };
 * ```
 */
export interface PskPeerIdentity extends PeerIdentity {
  /** The PSK identity (RFC 4279 §2) the handshake authenticated. */
  readonly pskIdentity: string;
}

function pskIdentityOf(identity: PeerIdentity | undefined): string | undefined {
  return identity !== undefined && "pskIdentity" in identity &&
      typeof identity.pskIdentity === "string"
    ? identity.pskIdentity
    : undefined;
}

/**
 * Options of {@link MqttAuth}.
 *
 * @example
 * ```ts
 * import type { MqttAuthOptions } from "./mqtt_auth.ts";
 *
 * const options: MqttAuthOptions = { allowAnonymous: false };
 * ```
 */
export interface MqttAuthOptions {
  /** Accept clients without credentials as subject `*` (default true). */
  allowAnonymous?: boolean;
  /**
   * Whether the broker still has a connection; the identities of the others
   * are dropped from time to time (default: every connection is live).
   */
  isLive?: (connection: number) => boolean;
  /**
   * The part of a client certificate no store rule names that becomes the
   * subject (`mqtt.peer_cert_as_username`, default `cn`); `disabled`: such
   * a certificate is not authorized.
   */
  peerCertAsUsername?: PeerCertAsUsername;
}

interface Authenticated {
  readonly subject: string;
  readonly identity: Identity | undefined;
}

function hasChain(
  identity: PeerIdentity | undefined,
): identity is CertificatePeerIdentity {
  return identity !== undefined && "chain" in identity &&
    Array.isArray(identity.chain) && identity.chain.length > 0;
}

/**
 * {@link AuthHooks} on a {@link CredentialStore}.
 *
 * @example Token as user name, password, and an ACL refusal
 * ```ts
 * import { MqttAuth } from "./mqtt_auth.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore({ passwordIterations: 1000 });
 * const { token } = await store.addToken("thermostat");
 * await store.addUser("alice", "s3cret");
 * await store.setAcl("thermostat", [
 *   { permission: "allow", action: "publish", topic: "v1/devices/%c/telemetry" },
 * ]);
 * const auth = new MqttAuth(store, { allowAnonymous: false });
 * const base = { clientId: "t-1", remoteAddress: "::1", identity: undefined, protocolVersion: 5 } as const;
 *
 * const device = await auth.authenticate({ ...base, connection: 1, username: token, password: undefined });
 * assert.deepEqual(device, { ok: true, subject: "thermostat" });
 * assert.equal(auth.authorizePublish("thermostat", "v1/devices/t-1/telemetry", { clientId: "t-1" }), true);
 * assert.equal(auth.authorizeSubscribe("thermostat", "#", { clientId: "t-1" }), false);
 *
 * const wrong = await auth.authenticate({ ...base, connection: 2, username: "alice", password: new TextEncoder().encode("nope") });
 * assert.deepEqual(wrong, { ok: false, reason: "bad_credentials" });
 * const nobody = await auth.authenticate({ ...base, connection: 3, username: undefined, password: undefined });
 * assert.deepEqual(nobody, { ok: false, reason: "not_authorized" });
 *
 * assert.deepEqual(auth.revoke({ kind: "token", id: auth.identityOf(1)!.credentialId, op: "removed" }), [1]);
 * await store.close();
 * ```
 */
export class MqttAuth implements AuthHooks {
  readonly #store: CredentialStore;
  readonly #allowAnonymous: boolean;
  readonly #isLive: (connection: number) => boolean;
  readonly #peerCertAsUsername: PeerCertAsUsername;
  readonly #connections = new Map<number, Authenticated>();
  readonly #acls = new Map<string, Acl>();
  readonly #recent: { seq: number; change: CredentialChange }[] = [];
  #seq = 0;
  #pruneAt = PRUNE_FLOOR;

  /**
   * @param store Where credentials and ACLs are.
   * @param options Anonymous access and connection liveness.
   */
  constructor(store: CredentialStore, options: MqttAuthOptions = {}) {
    this.#store = store;
    this.#allowAnonymous = options.allowAnonymous ?? true;
    this.#isLive = options.isLive ?? (() => true);
    this.#peerCertAsUsername = options.peerCertAsUsername ?? "cn";
  }

  /** Whether clients without credentials are accepted. */
  get allowAnonymous(): boolean {
    return this.#allowAnonymous;
  }

  /**
   * Checks a CONNECT's credentials against the store and loads the
   * subject's ACL.
   *
   * @param ctx What the broker knows of the CONNECT.
   * @returns The subject, or why it is refused.
   */
  async authenticate(ctx: AuthContext): Promise<AuthResult> {
    const since = this.#seq;
    const identity = await this.#identify(ctx);
    if (identity === "bad_credentials" || identity === "not_authorized") {
      return { ok: false, reason: identity };
    }
    const subject = identity?.subject ?? ANONYMOUS_SUBJECT;
    this.#acls.set(subject, await this.#store.aclFor(subject));
    if (identity !== undefined && this.#revokedSince(since, identity)) {
      return { ok: false, reason: "bad_credentials" };
    }
    this.#remember(ctx.connection, { subject, identity });
    return { ok: true, subject };
  }

  #revokedSince(since: number, identity: Identity): boolean {
    const recent = this.#recent;
    if (recent.length > 0 && (recent[0] as { seq: number }).seq > since + 1) {
      return true;
    }
    return recent.some((r) =>
      r.seq > since && isAffectedBy(identity, r.change)
    );
  }

  async #identify(
    ctx: AuthContext,
  ): Promise<
    Identity | undefined | "bad_credentials" | "not_authorized"
  > {
    const store = this.#store;
    const refusal = ctx.identity?.refusal;
    if (refusal !== undefined) return refusal.reason;
    const mode = this.#peerCertAsUsername;
    if (
      hasChain(ctx.identity) &&
      (ctx.username === undefined || mode !== "disabled")
    ) {
      return await identifyCredential(store, {
        kind: "x509",
        chain: ctx.identity.chain,
        peerCertAsUsername: mode,
      }) ?? "not_authorized";
    }
    const psk = pskIdentityOf(ctx.identity);
    if (psk !== undefined && ctx.username === undefined) {
      return await identifyCredential(store, { kind: "psk", identity: psk }) ??
        "bad_credentials";
    }
    if (ctx.username !== undefined) {
      const found = ctx.password === undefined || ctx.password.length === 0
        ? await identifyCredential(store, {
          kind: "token",
          token: ctx.username,
        })
        : await identifyCredential(store, {
          kind: "password",
          username: ctx.username,
          password: ctx.password,
        });
      return found ?? "bad_credentials";
    }
    return this.#allowAnonymous ? undefined : "not_authorized";
  }

  #remember(connection: number, entry: Authenticated): void {
    this.#connections.set(connection, entry);
    if (this.#connections.size < this.#pruneAt) return;
    for (const id of [...this.#connections.keys()]) {
      if (!this.#isLive(id)) this.#connections.delete(id);
    }
    const live = new Set([...this.#connections.values()].map((e) => e.subject));
    for (const subject of [...this.#acls.keys()]) {
      if (!live.has(subject)) this.#acls.delete(subject);
    }
    this.#pruneAt = Math.max(PRUNE_FLOOR, this.#connections.size * 2);
  }

  /**
   * Whether `subject` may publish to `topic`; a subject whose ACL is not
   * loaded may not.
   *
   * @param subject The subject `authenticate` returned.
   * @param topic The topic name.
   * @param client The client identifier, for `%c`.
   * @returns Whether it is allowed.
   */
  authorizePublish(
    subject: string,
    topic: string,
    client: AuthorizeContext,
  ): boolean {
    const acl = this.#acls.get(subject);
    return acl !== undefined &&
      acl.allows("publish", topic, { clientId: client.clientId });
  }

  /**
   * Whether `subject` may subscribe to `filter`; a subject whose ACL is not
   * loaded may not.
   *
   * @param subject The subject `authenticate` returned.
   * @param filter The topic filter as sent.
   * @param client The client identifier, for `%c`.
   * @returns Whether it is allowed.
   */
  authorizeSubscribe(
    subject: string,
    filter: string,
    client: AuthorizeContext,
  ): boolean {
    const acl = this.#acls.get(subject);
    return acl !== undefined &&
      acl.allows("subscribe", filter, { clientId: client.clientId });
  }

  /**
   * Re-reads the ACL of a subject that has one loaded, or of every loaded
   * subject for `*` (the id of an `acl` change).
   *
   * @param subject The subject whose rules changed, or `*`.
   *
   * @example
   * ```ts
   * import { MqttAuth } from "./mqtt_auth.ts";
   * import { MemoryStore } from "../auth/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * const auth = new MqttAuth(store);
   * const ctx = { connection: 1, clientId: "c", username: undefined, password: undefined, remoteAddress: "::1", identity: undefined, protocolVersion: 4 } as const;
   * await auth.authenticate(ctx);
   * assert.equal(auth.authorizeSubscribe("*", "#", { clientId: "c" }), true);
   * await store.setAcl("*", [{ permission: "deny", action: "all", topic: "#" }]);
   * await auth.refreshAcl("*");
   * assert.equal(auth.authorizeSubscribe("*", "#", { clientId: "c" }), false);
   * await store.close();
   * ```
   */
  async refreshAcl(subject: string): Promise<void> {
    const subjects = subject === "*" ? [...this.#acls.keys()] : [subject];
    for (const s of subjects) {
      if (!this.#acls.has(s)) continue;
      const acl = await this.#store.aclFor(s);
      if (this.#acls.has(s)) this.#acls.set(s, acl);
    }
  }

  /**
   * The identity a connection authenticated with (none for anonymous).
   *
   * @param connection The broker's connection id.
   * @returns The identity.
   *
   * @example
   * ```ts
   * import { MqttAuth } from "./mqtt_auth.ts";
   * import { MemoryStore } from "../auth/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const auth = new MqttAuth(new MemoryStore());
   * assert.equal(auth.identityOf(7), undefined);
   * ```
   */
  identityOf(connection: number): Identity | undefined {
    return this.#connections.get(connection)?.identity;
  }

  /**
   * Records a change from the store and returns the connections whose
   * identity it ends (see `isAffectedBy`). A CONNECT whose credentials were
   * checked before the change and that is still being authenticated is
   * refused as well.
   *
   * @param change A change from the store.
   * @returns The connection ids to close.
   *
   * @example
   * ```ts
   * import { MqttAuth } from "./mqtt_auth.ts";
   * import { MemoryStore } from "../auth/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const auth = new MqttAuth(new MemoryStore());
   * assert.deepEqual(auth.revoke({ kind: "user", id: "alice", op: "removed" }), []);
   * ```
   */
  revoke(change: CredentialChange): number[] {
    if (change.op !== "added" && change.kind !== "acl") {
      this.#recent.push({ seq: ++this.#seq, change });
      if (this.#recent.length > RECENT_CHANGES) this.#recent.shift();
    }
    const out: number[] = [];
    for (const [id, entry] of this.#connections) {
      if (
        entry.identity !== undefined && isAffectedBy(entry.identity, change)
      ) {
        out.push(id);
      }
    }
    return out;
  }

  /**
   * Forgets a connection (it closed).
   *
   * @param connection The broker's connection id.
   *
   * @example
   * ```ts
   * import { MqttAuth } from "./mqtt_auth.ts";
   * import { MemoryStore } from "../auth/mod.ts";
   *
   * new MqttAuth(new MemoryStore()).forget(3);
   * ```
   */
  forget(connection: number): void {
    this.#connections.delete(connection);
  }
}
