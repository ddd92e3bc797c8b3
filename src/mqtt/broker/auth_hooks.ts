/**
 * Authentication and authorization hooks of the broker (aedes-style
 * `authenticate` / `authorizePublish` / `authorizeSubscribe`).
 *
 * - `authenticate` may be asynchronous (a credential store lookup). A plain
 *   value is used at once (the synchronous fast path); a promise parks the
 *   connection: its later input is buffered and the broker emits an
 *   `auth_pending` event whose `settled` promise the adapter awaits before
 *   calling `broker.resume(now)`, which applies the result. The core itself
 *   never awaits.
 * - `authorizePublish` and `authorizeSubscribe` are synchronous: they run on
 *   every PUBLISH and SUBSCRIBE and are expected to be in-memory ACL checks.
 *
 * Refusals map to reason codes: bad credentials → CONNACK 0x86 (5.0) / 0x04
 * (3.1.1); not authorized → 0x87 / 0x05. A transport that refused the
 * client's certificate (a {@link PeerIdentity} with `refusal`) gets its
 * refusal at CONNECT before any hook runs; publish denied → PUBACK or PUBREC
 * 0x87 in 5.0, silently dropped but acknowledged in 3.1.1 (as Mosquitto);
 * subscribe denied → SUBACK 0x87 (5.0) / 0x80 (3.1.1).
 *
 * @module
 */

import type { MqttVersion } from "../packet/types.ts";

/** The transport a connection arrived on. */
export type Transport = "tcp" | "tls" | "ws" | "wss";

/** What the transport established about the peer (TLS client certificate). */
export interface PeerIdentity {
  /** A user name derived by the adapter (e.g. certificate CN mapping). */
  username?: string;
  /** The verified client certificate, as the TLS layer described it. */
  certificate?: {
    /** Subject distinguished name. */
    subject?: string;
    /** Common name. */
    commonName?: string;
    /** SHA-256 fingerprint, lower-case hex. */
    fingerprint?: string;
  };
  /**
   * Set when the transport refused the client certificate (untrusted,
   * expired, revoked, or missing where required): the CONNECT is refused
   * with this reason whatever it carries.
   */
  refusal?: {
    /** The CONNACK it becomes (0x86 / 0x04 or 0x87 / 0x05). */
    readonly reason: "bad_credentials" | "not_authorized";
    /** The transport's reason (`expired`, `unknown_ca`, `revoked`, `no_certificate`...). */
    readonly cause: string;
  };
}

/** The input of {@link AuthHooks.authenticate}. */
export interface AuthContext {
  /** The connection, as `Broker.openConnection` numbered it. */
  connection: number;
  /** Client identifier (after assignment for an empty one). */
  clientId: string;
  /** User name from the CONNECT. */
  username: string | undefined;
  /** Password from the CONNECT. */
  password: Uint8Array | undefined;
  /** Peer address as the adapter reported it. */
  remoteAddress: string;
  /** Transport identity (client certificate), if any. */
  identity: PeerIdentity | undefined;
  /** Protocol level of the CONNECT. */
  protocolVersion: MqttVersion;
}

/** The client an authorization is asked for (`%c` of ACL rules). */
export interface AuthorizeContext {
  /** Client identifier of the connection (of the session, for a will). */
  clientId: string;
}

/** The answer of {@link AuthHooks.authenticate}. */
export type AuthResult =
  | { ok: true; subject: string }
  | { ok: false; reason: "bad_credentials" | "not_authorized" };

/**
 * The hooks a broker consults; every one is optional.
 *
 * @example
 * ```ts
 * import type { AuthHooks } from "./auth_hooks.ts";
 * import assert from "node:assert/strict";
 *
 * const hooks: AuthHooks = {
 *   authenticate: (ctx) =>
 *     ctx.username === "u" ? { ok: true, subject: "u" } : { ok: false, reason: "bad_credentials" },
 *   authorizePublish: (_subject, topic) => !topic.startsWith("secret/"),
 * };
 * assert.equal(hooks.authorizePublish?.("u", "secret/x", { clientId: "c" }), false);
 * ```
 */
export interface AuthHooks {
  /** Checks a CONNECT's credentials; may return a promise. */
  authenticate?(ctx: AuthContext): AuthResult | Promise<AuthResult>;
  /** Whether `subject` may publish to `topic` (a will too). */
  authorizePublish?(
    subject: string,
    topic: string,
    client: AuthorizeContext,
  ): boolean;
  /** Whether `subject` may subscribe to `filter` (as sent, `$share/...` included). */
  authorizeSubscribe?(
    subject: string,
    filter: string,
    client: AuthorizeContext,
  ): boolean;
}
