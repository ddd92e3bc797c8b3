/**
 * EMQX's CoAP gateway "connection mode": a device without a DTLS identity
 * logs in once over plain CoAP and sends the token it gets with every
 * `/ps` request, so that requests act as a user from the credential store.
 *
 * | CoAP request                                                | answer |
 * | ----------------------------------------------------------- | ------ |
 * | `POST /mqtt/connection?clientid=c&username=u&password=p`    | 2.01 Created, the token as payload; 4.01 for wrong credentials; 4.00 without `clientid` |
 * | `PUT /mqtt/connection?clientid=c&token=t` (heartbeat)       | 2.04 Changed; 4.01 for an unknown or expired token |
 * | `DELETE /mqtt/connection?clientid=c&token=t`                | 2.02 Deleted; 4.01 likewise |
 * | `/ps/{topic}?clientid=c&token=t&...`                        | as the connection's user (ACL 4.03); 4.01 for a bad token |
 *
 * The credentials are checked as for an MQTT CONNECT
 * ({@link GatewayAuth.login}): user name and password, a user name alone is
 * an access token, none is anonymous where `mqtt.allow_anonymous` allows.
 * A connection is bound to its client identifier (the ACL's `%c`); a new
 * connection with the same `clientid` replaces the old one and its token.
 *
 * Tokens are 128 random bits (hex), compared in constant time. The table
 * is bounded (`maxConnections`): a new `clientid` past it gets 5.03.
 *
 * `connection_required` (`gateway.coap.connection_required`,
 * `COAP_CONNECTION_REQUIRED`; default false): when true, a `/ps` request
 * without a valid token is refused with 4.01 even where anonymous access
 * is on; requests that carry a DTLS identity (PSK or certificate) are
 * identified by it as before.
 *
 * `heartbeat` (`gateway.coap.heartbeat`, `COAP_HEARTBEAT`; default 30 s):
 * the shared sweeper ({@link CoapConnections.sweepTarget}) checks the
 * connections every heartbeat interval and ends those idle for a whole
 * interval (as EMQX's keepalive does: an idle connection lives between one
 * and two intervals). Any request with the token counts as activity.
 * Removing or revoking the credential a connection logged in with ends it
 * ({@link CoapConnections.revoke}, fed by the server's revocation service).
 * Observations made through a connection end at their next notification
 * once it is gone (the notification is checked like a request: 4.01).
 *
 * Sans-IO: time comes in as `now`, randomness through an injected source.
 *
 * @module
 */

import { constantTimeEqual } from "../bytes/constant_time.ts";
import { encodeHex } from "../bytes/hex.ts";
import { Code } from "../coap/codes.ts";
import { CoapError } from "../coap/errors.ts";
import type { CoapRequest, CoapResponse, Router } from "../coap/router.ts";
import { randomBytes as cryptoRandomBytes } from "../crypto/random.ts";
import { type CredentialChange, isAffectedBy } from "../auth/mod.ts";
import { IdleIndex, type SweepTarget } from "../sessions/mod.ts";
import type { GatewayAuth, Requester } from "./auth.ts";
import { parseQuery } from "./query.ts";

/** EMQX's default `gateway.coap.heartbeat`, ms. */
export const DEFAULT_HEARTBEAT_MS = 30_000;

/** Random bytes per token (128 bits). */
const TOKEN_BYTES = 16;

const ENCODER = new TextEncoder();

/**
 * Options of {@link CoapConnections}.
 *
 * @example
 * ```ts
 * import type { ConnectionModeOptions } from "./connection_mode.ts";
 *
 * const options: ConnectionModeOptions = { required: true, heartbeatMs: 30_000 };
 * ```
 */
export interface ConnectionModeOptions {
  /** Refuse `/ps` requests without a valid token (default false). */
  readonly required?: boolean;
  /** Idle time after which a connection ends, ms (default 30 000). */
  readonly heartbeatMs?: number;
  /** Connections held at most; more are refused with 5.03 (default 100 000). */
  readonly maxConnections?: number;
  /** Source of token randomness (default: the system's CSPRNG). */
  readonly randomBytes?: (n: number) => Uint8Array;
}

interface Connection {
  readonly clientId: string;
  readonly token: Uint8Array;
  readonly who: Requester;
}

/**
 * The live connections of connection mode, by client identifier.
 *
 * @example Create, use, heartbeat, close
 * ```ts
 * import { CoapConnections } from "./connection_mode.ts";
 * import { CoapError } from "../coap/errors.ts";
 * import assert from "node:assert/strict";
 *
 * const connections = new CoapConnections({ heartbeatMs: 30_000 });
 * const token = connections.open(0, { subject: "alice", anonymous: false }, "c1");
 * const who = connections.identify(1000, new Map([["clientid", "c1"], ["token", token]]));
 * assert.deepEqual(who, { subject: "alice", anonymous: false, clientId: "c1" });
 * assert.throws(
 *   () => connections.identify(1000, new Map([["clientid", "c1"], ["token", "0".repeat(32)]])),
 *   (e) => e instanceof CoapError && e.code === 0x81,
 * );
 * connections.heartbeat(2000, "c1", token);
 * connections.close("c1", token);
 * assert.equal(connections.size, 0);
 * ```
 */
export class CoapConnections {
  readonly #required: boolean;
  readonly #heartbeatMs: number;
  readonly #randomBytes: (n: number) => Uint8Array;
  readonly #maxConnections: number;
  readonly #connections = new Map<string, Connection>();
  readonly #idle = new IdleIndex<string>();

  /**
   * @param options Whether tokens are required, heartbeat, randomness.
   * @throws {RangeError} for a heartbeat that is not a positive integer.
   */
  constructor(options: ConnectionModeOptions = {}) {
    this.#required = options.required ?? false;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (!Number.isSafeInteger(this.#heartbeatMs) || this.#heartbeatMs <= 0) {
      throw new RangeError(
        `Cannot use a heartbeat of ${this.#heartbeatMs} ms`,
      );
    }
    this.#randomBytes = options.randomBytes ?? cryptoRandomBytes;
    this.#maxConnections = options.maxConnections ?? 100_000;
  }

  /** Whether `/ps` needs a connection (`connection_required`). */
  get required(): boolean {
    return this.#required;
  }

  /** The heartbeat interval, ms. */
  get heartbeatMs(): number {
    return this.#heartbeatMs;
  }

  /** Live connections. */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * Opens a connection for an authenticated requester, replacing any with
   * the same client identifier.
   *
   * @param now Current time, ms.
   * @param who Who logged in.
   * @param clientId The `clientid`.
   * @returns The new token.
   * @throws {CoapError} 5.03 when the table is full (a new `clientid`).
   */
  open(now: number, who: Requester, clientId: string): string {
    if (
      this.#connections.size >= this.#maxConnections &&
      !this.#connections.has(clientId)
    ) {
      throw new CoapError(
        Code.SERVICE_UNAVAILABLE,
        "Too many connections, try again later",
      );
    }
    const token = encodeHex(this.#randomBytes(TOKEN_BYTES));
    this.#connections.set(clientId, {
      clientId,
      token: ENCODER.encode(token),
      who: { ...who, clientId },
    });
    this.#idle.touch(clientId, now);
    return token;
  }

  /**
   * Keeps a connection alive.
   *
   * @param now Current time, ms.
   * @param clientId The `clientid`.
   * @param token Its token.
   * @throws {CoapError} 4.01 for an unknown connection or a wrong token.
   */
  heartbeat(now: number, clientId: string, token: string): void {
    this.#find(clientId, token);
    this.#idle.touch(clientId, now);
  }

  /**
   * Ends a connection.
   *
   * @param clientId The `clientid`.
   * @param token Its token.
   * @throws {CoapError} 4.01 for an unknown connection or a wrong token.
   */
  close(clientId: string, token: string): void {
    this.#find(clientId, token);
    this.#connections.delete(clientId);
    this.#idle.delete(clientId);
  }

  /**
   * The requester a request's `clientid` and `token` query items name.
   *
   * @param now Current time, ms.
   * @param query The request's query items.
   * @param options Whether the request counts as activity (default true;
   *   a notification does not).
   * @returns The connection's requester, or `undefined` when the query
   *   carries no token.
   * @throws {CoapError} 4.01 for a token without a connection, or a wrong
   *   one.
   */
  identify(
    now: number,
    query: ReadonlyMap<string, string>,
    options: { readonly touch?: boolean } = {},
  ): Requester | undefined {
    const token = query.get("token");
    if (token === undefined) return undefined;
    const connection = this.#find(query.get("clientid") ?? "", token);
    if (options.touch ?? true) this.#idle.touch(connection.clientId, now);
    return connection.who;
  }

  /**
   * Ends the connections that logged in with a credential a change removes
   * or revokes (`isAffectedBy`, as for MQTT connections and DTLS sessions).
   *
   * @param change A credential store change.
   * @returns How many ended.
   *
   * @example
   * ```ts
   * import { CoapConnections } from "./connection_mode.ts";
   * import assert from "node:assert/strict";
   *
   * const connections = new CoapConnections();
   * const identity = { subject: "alice", kind: "password", credentialId: "alice" } as const;
   * connections.open(0, { subject: "alice", anonymous: false, identity }, "c1");
   * assert.equal(connections.revoke({ kind: "user", id: "alice", op: "removed" }), 1);
   * assert.equal(connections.size, 0);
   * ```
   */
  revoke(change: CredentialChange): number {
    let n = 0;
    for (const [clientId, c] of [...this.#connections]) {
      if (c.who.identity === undefined) continue;
      if (!isAffectedBy(c.who.identity, change)) continue;
      this.#connections.delete(clientId);
      this.#idle.delete(clientId);
      n++;
    }
    return n;
  }

  /**
   * Ends the connections idle for a heartbeat interval at `now`.
   *
   * @param now Current time, ms.
   * @returns How many ended.
   */
  sweep(now: number): number {
    const idle = this.#idle.takeIdle(now, this.#heartbeatMs);
    for (const clientId of idle) this.#connections.delete(clientId);
    return idle.length;
  }

  /**
   * The sweep target for the server's one sweeper: every heartbeat
   * interval, {@link CoapConnections.sweep}.
   *
   * @param name Target name (default `coap/connections`).
   * @returns The target.
   *
   * @example
   * ```ts
   * import { CoapConnections } from "./connection_mode.ts";
   * import { SessionSweeper } from "../sessions/mod.ts";
   * import assert from "node:assert/strict";
   *
   * const connections = new CoapConnections({ heartbeatMs: 1000 });
   * connections.open(0, { subject: "*", anonymous: true }, "c1");
   * const sweeper = new SessionSweeper();
   * sweeper.register(connections.sweepTarget(), 0);
   * assert.equal(sweeper.handleTimeout(1000)[0]?.removed, 1);
   * ```
   */
  sweepTarget(name = "coap/connections"): SweepTarget {
    return {
      name,
      intervalMs: this.#heartbeatMs,
      sweep: (now) => this.sweep(now),
      size: () => this.size,
    };
  }

  #find(clientId: string, token: string): Connection {
    const connection = this.#connections.get(clientId);
    const presented = ENCODER.encode(token);
    // Compared even when the connection is unknown, against a token of the
    // same length, so that timing says nothing about which client ids exist.
    const expected = connection?.token ?? new Uint8Array(presented.length);
    if (
      !constantTimeEqual(presented, expected) || connection === undefined
    ) {
      throw new CoapError(
        Code.UNAUTHORIZED,
        "Unknown connection or token (create one with POST /mqtt/connection)",
      );
    }
    return connection;
  }
}

/**
 * Options of {@link connectionRoutes}.
 *
 * @example
 * ```ts
 * import type { ConnectionRoutesOptions } from "./connection_mode.ts";
 * import { CoapConnections } from "./connection_mode.ts";
 * import { GatewayAuth } from "./auth.ts";
 *
 * const o: ConnectionRoutesOptions = { connections: new CoapConnections(), auth: new GatewayAuth(), clock: () => 0 };
 * ```
 */
export interface ConnectionRoutesOptions {
  /** The connection table. */
  readonly connections: CoapConnections;
  /** Checks the credentials of `POST`. */
  readonly auth: GatewayAuth;
  /** Current time, ms. */
  readonly clock: () => number;
}

/**
 * Adds `POST`, `PUT` and `DELETE /mqtt/connection` to a router.
 *
 * @param router The router.
 * @param options Connections, credential checks, clock.
 * @returns The router.
 *
 * @example Log in and get a token
 * ```ts
 * import { CoapConnections, connectionRoutes } from "./connection_mode.ts";
 * import { GatewayAuth } from "./auth.ts";
 * import { Router } from "../coap/router.ts";
 * import { MemoryStore } from "../auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * await store.addUser("alice", "s3cret");
 * const connections = new CoapConnections();
 * const router = connectionRoutes(new Router(), { connections, auth: new GatewayAuth(store), clock: () => 0 });
 * const m = router.match("POST", ["mqtt", "connection"]);
 * assert.ok(m.kind === "found");
 * const res = await m.handler({ method: "POST", path: ["mqtt", "connection"], query: ["clientid=c1", "username=alice", "password=s3cret"], params: {}, payload: new Uint8Array(), options: [], peer: "p" });
 * assert.equal(res.code, 0x41);
 * assert.equal(connections.size, 1);
 * await store.close();
 * ```
 */
export function connectionRoutes(
  router: Router,
  options: ConnectionRoutesOptions,
): Router {
  const { connections, auth, clock } = options;
  return router
    .add("POST", "/mqtt/connection", async (req) => {
      const query = parseQuery(req.query);
      const clientId = requireClientId(query);
      const who = await auth.login(
        query.get("username"),
        query.get("password"),
      );
      return {
        code: Code.CREATED,
        payload: connections.open(clock(), who, clientId),
      };
    })
    .add("PUT", "/mqtt/connection", (req) => {
      const query = parseQuery(req.query);
      connections.heartbeat(clock(), requireClientId(query), tokenOf(query));
      return { code: Code.CHANGED } satisfies CoapResponse;
    })
    .add("DELETE", "/mqtt/connection", (req) => {
      const query = parseQuery(req.query);
      connections.close(requireClientId(query), tokenOf(query));
      return { code: Code.DELETED } satisfies CoapResponse;
    });
}

/**
 * Who a `/ps` request is: the connection its `clientid` and `token` name;
 * else, when connections are not required or the transport identifies the
 * device (DTLS), what {@link GatewayAuth.identify} says.
 *
 * @param req The request.
 * @param options Connections, credential checks, clock.
 * @returns The requester.
 * @throws {CoapError} 4.01 for a bad token, a missing one where required,
 *   or what `identify` refuses.
 *
 * @example
 * ```ts
 * import { CoapConnections, identifyPubSub } from "./connection_mode.ts";
 * import { GatewayAuth } from "./auth.ts";
 * import { CoapError } from "../coap/errors.ts";
 * import assert from "node:assert/strict";
 *
 * const connections = new CoapConnections({ required: true });
 * const options = { connections, auth: new GatewayAuth(), clock: () => 0 };
 * const req = { method: "POST", path: ["ps", "t"], query: [], params: {}, payload: new Uint8Array(), options: [], peer: "p" } as const;
 * await assert.rejects(identifyPubSub(req, options), (e) => e instanceof CoapError && e.code === 0x81);
 * ```
 */
export async function identifyPubSub(
  req: CoapRequest,
  options: ConnectionRoutesOptions,
): Promise<Requester> {
  const { connections, auth, clock } = options;
  const who = connections.identify(clock(), parseQuery(req.query), {
    touch: req.notification !== true,
  });
  if (who !== undefined) return who;
  if (connections.required && !auth.hasTransportCredential(req)) {
    throw new CoapError(
      Code.UNAUTHORIZED,
      "A connection is required: POST /mqtt/connection, then send clientid and token",
    );
  }
  return await auth.identify(req, {});
}

function requireClientId(query: ReadonlyMap<string, string>): string {
  const clientId = query.get("clientid");
  if (clientId === undefined || clientId === "") {
    throw new CoapError(Code.BAD_REQUEST, "clientid is required");
  }
  return clientId;
}

function tokenOf(query: ReadonlyMap<string, string>): string {
  const token = query.get("token");
  if (token === undefined) {
    throw new CoapError(Code.UNAUTHORIZED, "token is required");
  }
  return token;
}
