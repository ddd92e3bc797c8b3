/**
 * Who a gateway request comes from, and what it may do: the CoAP side of
 * the credential store.
 *
 * Identity, in this order:
 * - an access token in the path (`/api/v1/{token}/...`): its device
 *   (unknown token → 4.01);
 * - the DTLS session's identity (PSK identity or verified client
 *   certificate) as the transport passes it in `CoapRequest.identity`: the
 *   store identity {@link identifyCredential} gives, from the leaf alone
 *   (the DTLS layer hands over the chain as sent, not the verified path);
 *   unknown → 4.01;
 * - nothing: anonymous, the ACL subject `*`, only where the resource does
 *   not need a device and `mqtt.allow_anonymous` is on (else 4.01). Plain
 *   CoAP `/ps` requests are anonymous: they follow the same switch as
 *   anonymous MQTT clients, so a broker that refuses anonymous MQTT does not
 *   let anonymous CoAP publish either.
 *
 * Connection mode (`connection_mode.ts`) logs in with {@link
 * GatewayAuth.login}: the credentials of an MQTT CONNECT.
 *
 * Authorization: the subject's topic ACL from the store
 * (`CredentialStore.authorize`, the rules MQTT clients are checked
 * against); `%c` is the connection's `clientid` in connection mode, else
 * the subject, as connectionless CoAP has no client identifier. A
 * refusal is 4.03. Every request is checked, notifications included, so a
 * removed credential or a changed ACL ends an observation at its next
 * notification.
 *
 * @module
 */

import { Code } from "../coap/codes.ts";
import { CoapError } from "../coap/errors.ts";
import type { CoapRequest } from "../coap/router.ts";
import {
  type CredentialStore,
  identifyCredential,
  type Identity,
  type PeerCertAsUsername,
  type PresentedCredential,
} from "../auth/mod.ts";
import type { Certificate } from "../pki/mod.ts";

/** The ACL subject of anonymous requests (as for anonymous MQTT clients). */
const ANONYMOUS = "*";

/**
 * Who a request is, once identified.
 *
 * @example
 * ```ts
 * import type { Requester } from "./auth.ts";
 *
 * const device: Requester = { subject: "thermostat", anonymous: false };
 * ```
 */
export interface Requester {
  /** Device or user name; `*` when anonymous. */
  readonly subject: string;
  /** True when no credential was presented. */
  readonly anonymous: boolean;
  /** The connection's `clientid` (connection mode), the ACL's `%c`. */
  readonly clientId?: string;
  /** The store identity it logged in with (connection mode), for revocation. */
  readonly identity?: Identity;
}

/**
 * Options of {@link GatewayAuth}.
 *
 * @example
 * ```ts
 * import type { GatewayAuthOptions } from "./auth.ts";
 *
 * const options: GatewayAuthOptions = { allowAnonymous: false, peerCertAsUsername: "cn" };
 * ```
 */
export interface GatewayAuthOptions {
  /** Whether requests without a credential may use `/ps` (default true). */
  readonly allowAnonymous?: boolean;
  /** What names a certificate no store rule names (default `cn`). */
  readonly peerCertAsUsername?: PeerCertAsUsername;
}

/**
 * Identification and ACL checks of gateway requests. Without a store every
 * request is anonymous and allowed, and tokens are unknown (for tests and
 * embedding).
 *
 * @example
 * ```ts
 * import { GatewayAuth } from "./auth.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import { CoapError } from "../coap/errors.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const { token } = await store.addToken("thermostat");
 * await store.setAcl("thermostat", [{ permission: "allow", action: "publish", topic: "devices/%u/#" }]);
 * const auth = new GatewayAuth(store, { allowAnonymous: false });
 * const req = { method: "POST", path: [], query: [], params: {}, payload: new Uint8Array(), options: [], peer: "p" } as const;
 *
 * const device = await auth.identify(req, { token });
 * assert.deepEqual(device, { subject: "thermostat", anonymous: false });
 * await auth.authorize(device, "publish", "devices/thermostat/telemetry");
 * await assert.rejects(auth.authorize(device, "publish", "other"), (e) => e instanceof CoapError && e.code === 0x83);
 * await assert.rejects(auth.identify(req, {}), (e) => e instanceof CoapError && e.code === 0x81);
 * await store.close();
 * ```
 */
export class GatewayAuth {
  readonly #store: CredentialStore | undefined;
  readonly #allowAnonymous: boolean;
  readonly #peerCertAsUsername: PeerCertAsUsername;

  /**
   * @param store Credentials and ACLs; none: an open gateway.
   * @param options Anonymous access and certificate naming.
   */
  constructor(
    store?: CredentialStore,
    options: GatewayAuthOptions = {},
  ) {
    this.#store = store;
    this.#allowAnonymous = options.allowAnonymous ?? true;
    this.#peerCertAsUsername = options.peerCertAsUsername ?? "cn";
  }

  /**
   * Identifies the sender of a request.
   *
   * @param request The request (its `identity` is the transport's).
   * @param how The token from the path, and whether a device is required.
   * @returns Who it is.
   * @throws {CoapError} 4.01 for an unknown credential, or none where one
   *   is needed.
   */
  async identify(
    request: CoapRequest,
    how: { readonly token?: string; readonly device?: boolean },
  ): Promise<Requester> {
    const presented: PresentedCredential | undefined = how.token !== undefined
      ? { kind: "token", token: how.token }
      : this.#transportCredential(request.identity);
    if (presented === undefined) {
      if (how.device) {
        throw new CoapError(
          Code.UNAUTHORIZED,
          "A device identity is needed: an access token in the path or a DTLS identity",
        );
      }
      if (this.#store !== undefined && !this.#allowAnonymous) {
        throw new CoapError(Code.UNAUTHORIZED, "Anonymous access is off");
      }
      return { subject: ANONYMOUS, anonymous: true };
    }
    const identity = this.#store === undefined
      ? undefined
      : await identifyCredential(this.#store, presented);
    if (identity === undefined) {
      throw new CoapError(
        Code.UNAUTHORIZED,
        presented.kind === "token"
          ? "Unknown access token"
          : "Unknown device identity",
      );
    }
    return { subject: identity.subject, anonymous: false };
  }

  /**
   * Logs in with the credentials of an MQTT CONNECT, checked the same way
   * (`src/net/mqtt_auth.ts`): a user name and password, a user name alone
   * as an access token, or nothing: anonymous where allowed.
   *
   * @param username The user name, if any.
   * @param password The password, if any.
   * @returns Who it is.
   * @throws {CoapError} 4.01 for wrong credentials, or none where anonymous
   *   access is off.
   *
   * @example
   * ```ts
   * import { GatewayAuth } from "./auth.ts";
   * import { MemoryStore } from "../auth/mod.ts";
   * import { CoapError } from "../coap/errors.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * await store.addUser("alice", "s3cret");
   * const auth = new GatewayAuth(store, { allowAnonymous: false });
   * assert.equal((await auth.login("alice", "s3cret")).subject, "alice");
   * await assert.rejects(auth.login("alice", "wrong"), (e) => e instanceof CoapError && e.code === 0x81);
   * await assert.rejects(auth.login(undefined, undefined), (e) => e instanceof CoapError && e.code === 0x81);
   * await store.close();
   * ```
   */
  async login(
    username: string | undefined,
    password: string | undefined,
  ): Promise<Requester> {
    if (username === undefined || username === "") {
      if (this.#store !== undefined && !this.#allowAnonymous) {
        throw new CoapError(Code.UNAUTHORIZED, "Anonymous access is off");
      }
      return { subject: ANONYMOUS, anonymous: true };
    }
    const presented: PresentedCredential =
      password === undefined || password === ""
        ? { kind: "token", token: username }
        : { kind: "password", username, password };
    const identity = this.#store === undefined
      ? undefined
      : await identifyCredential(this.#store, presented);
    if (identity === undefined) {
      throw new CoapError(Code.UNAUTHORIZED, "Bad user name or password");
    }
    return { subject: identity.subject, anonymous: false, identity };
  }

  /**
   * Whether the transport identifies the sender (a DTLS PSK identity or
   * client certificate).
   *
   * @param request The request.
   * @returns True when `request.identity` is a credential.
   */
  hasTransportCredential(request: CoapRequest): boolean {
    return this.#transportCredential(request.identity) !== undefined;
  }

  /**
   * Checks the subject's ACL.
   *
   * @param who The requester.
   * @param action Publish or subscribe (reading a retained message is a
   *   subscribe).
   * @param topic Topic name or filter.
   * @throws {CoapError} 4.03 when the ACL refuses.
   */
  async authorize(
    who: Requester,
    action: "publish" | "subscribe",
    topic: string,
  ): Promise<void> {
    if (this.#store === undefined) return;
    const ok = await this.#store.authorize(who.subject, action, topic, {
      clientId: who.clientId ?? who.subject,
    });
    if (!ok) {
      throw new CoapError(
        Code.FORBIDDEN,
        `Not allowed to ${action} ${topic}`,
      );
    }
  }

  #transportCredential(identity: unknown): PresentedCredential | undefined {
    if (typeof identity !== "object" || identity === null) return undefined;
    const id = identity as {
      kind?: unknown;
      identity?: unknown;
      chain?: unknown;
    };
    if (id.kind === "psk" && typeof id.identity === "string") {
      return { kind: "psk", identity: id.identity };
    }
    if (id.kind === "x509" && Array.isArray(id.chain) && id.chain.length > 0) {
      // The leaf only: the rest is the chain as the peer sent it, not the
      // verified path, so its CNs must not name the device.
      return {
        kind: "x509",
        chain: [id.chain[0] as Certificate],
        peerCertAsUsername: this.#peerCertAsUsername,
      };
    }
    return undefined;
  }
}
