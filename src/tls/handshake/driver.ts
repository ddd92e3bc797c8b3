/**
 * What a TLS connection and a DTLS association do alike around their
 * handshake machine ({@link ServerHandshake} or {@link ClientHandshake}):
 * create it from the role and its configuration, feed it messages and
 * ChangeCipherSpec, apply its {@link HandshakeAction}s, hold application
 * data until the handshake completes, refuse renegotiation, answer and
 * report alerts, turn failures into fatal alerts and close.
 *
 * {@link HandshakeDriver} is the base of `TlsConnection`
 * (`src/tls/stream/connection.ts`) and `DtlsAssociation`
 * (`src/dtls/association.ts`); each implements the record layer through a
 * few hooks (how handshake messages, ChangeCipherSpec and records are
 * written, where the next keys go, what ends a flight). The datagram rules
 * (epochs, fragments, flights, retransmission, replay, connection IDs)
 * stay in `src/dtls/`.
 *
 * Rules implemented here:
 * - the keys of a `keys` action are the next read keys at once, and the
 *   next write keys at the `change_cipher_spec` action that follows;
 * - renegotiation is refused: a ClientHello (server) or HelloRequest
 *   (client) on an established connection gets a `no_renegotiation`
 *   warning (RFC 5746 §4.4, §4.2); any other handshake message after the
 *   handshake is `unexpected_message`;
 * - close_notify is answered with close_notify (RFC 5246 §7.2.1); a fatal
 *   alert, sent or received, ends the connection and removes its session
 *   from the cache (RFC 5246 §7.2.2);
 * - every failure becomes a fatal alert chosen by `alertFor` (an unknown
 *   exception is `internal_error`), not sent when the failure was the
 *   peer's own alert.
 *
 * @example The stream connection is a driver
 * ```ts
 * import { HandshakeDriver } from "./driver.ts";
 * import { TlsConnection } from "../stream/connection.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new TlsConnection({ role: "server", server: { psk: () => undefined } });
 * assert.ok(c instanceof HandshakeDriver);
 * assert.equal(c.established, false);
 * ```
 *
 * @module
 */

import {
  AlertDescription,
  alertFor,
  AlertLevel,
  alertName,
  decodeAlert,
  encodeAlert,
  TlsAlertError,
} from "../alert.ts";
import { ContentType } from "../content_type.ts";
import { HandshakeType } from "../handshake_type.ts";
import type { CipherSuite } from "../cipher_suites.ts";
import type { RecordKeys } from "../record_protection.ts";
import { CHANGE_CIPHER_SPEC_ACTION } from "./_common.ts";
import { ClientHandshake } from "./client.ts";
import { type HandshakeLayer, ServerHandshake } from "./server.ts";
import type {
  ClientHandshakeConfig,
  EstablishedSession,
  HandshakeAction,
  HandshakeInput,
  PeerIdentity,
  ServerHandshakeConfig,
  SessionKeys,
} from "./types.ts";

/** Application data kept until the handshake completes. */
const MAX_QUEUED_APP_DATA = 64;

/**
 * Reported once, when the handshake completed.
 *
 * @example
 * ```ts
 * import type { EstablishedEvent } from "./driver.ts";
 * import { cipherSuiteByName } from "../cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const identity = { kind: "psk", identity: "dev" } as const;
 * const e: EstablishedEvent = {
 *   kind: "established",
 *   suite: suite.name,
 *   identity,
 *   session: { suite, identity, extendedMasterSecret: true },
 * };
 * assert.equal(e.session.suite, suite);
 * ```
 */
export interface EstablishedEvent {
  readonly kind: "established";
  /** IANA name of the suite. */
  readonly suite: string;
  readonly identity: PeerIdentity | undefined;
  readonly session: EstablishedSession;
}

/**
 * Reported once, when the connection ended.
 *
 * @example
 * ```ts
 * import type { ClosedEvent } from "./driver.ts";
 * const e: ClosedEvent = { kind: "closed", reason: "peer closed" };
 * ```
 */
export interface ClosedEvent {
  readonly kind: "closed";
  /** The alert sent or received, when there was one. */
  readonly alert?: {
    readonly description: number;
    readonly name: string;
    readonly received: boolean;
  };
  readonly reason: string;
}

/**
 * The role and handshake configuration a driver is created from.
 *
 * @example
 * ```ts
 * import type { DriverOptions } from "./driver.ts";
 * const o: DriverOptions = { role: "server", server: { psk: () => undefined } };
 * ```
 */
export interface DriverOptions {
  readonly role: "client" | "server";
  /** Server handshake configuration (role server). */
  readonly server?: ServerHandshakeConfig;
  /** Client handshake configuration (role client). */
  readonly client?: ClientHandshakeConfig;
}

/**
 * The record-layer-independent half of a TLS connection or DTLS
 * association; `E` is the union of its events, the record layer's (data,
 * warnings) beside {@link EstablishedEvent} and {@link ClosedEvent}.
 *
 * @example
 * ```ts
 * import { HandshakeDriver } from "./driver.ts";
 * import { DtlsAssociation } from "../../dtls/association.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new DtlsAssociation({ role: "client", client: { psk: { identity: "x", key: new Uint8Array(16) } } });
 * assert.ok(a instanceof HandshakeDriver);
 * a.close();
 * assert.equal(a.pollEvent()?.kind, "closed");
 * ```
 */
export abstract class HandshakeDriver<E extends { readonly kind: string }> {
  readonly role: "client" | "server";
  /** The handshake machine of this role. */
  protected readonly machine: ServerHandshake | ClientHandshake;
  #events: (E | EstablishedEvent | ClosedEvent)[] = [];
  #appQueue: Uint8Array[] = [];
  #pendingKeys: SessionKeys | undefined;
  #established = false;
  #closed = false;
  #session: EstablishedSession | undefined;

  /**
   * @param options Role and handshake configuration.
   * @param layer DTLS or TLS, and (DTLS) the connection ID this side wants
   *   to receive; messages are framed by {@link HandshakeDriver.frame}.
   */
  constructor(
    options: DriverOptions,
    layer: { readonly dtls: boolean; readonly connectionId?: Uint8Array },
  ) {
    this.role = options.role;
    const frame = (type: number, body: Uint8Array) => this.frame(type, body);
    const handshakeLayer: HandshakeLayer = layer.connectionId === undefined
      ? { dtls: layer.dtls, frame }
      : { dtls: layer.dtls, connectionId: layer.connectionId, frame };
    if (options.role === "server") {
      if (options.server === undefined) {
        throw new TypeError(
          `Cannot create a server ${this.noun()} without server options`,
        );
      }
      this.machine = new ServerHandshake(options.server, handshakeLayer);
    } else {
      if (options.client === undefined) {
        throw new TypeError(
          `Cannot create a client ${this.noun()} without client options`,
        );
      }
      this.machine = new ClientHandshake(options.client, handshakeLayer);
    }
  }

  /** Whether the handshake completed. */
  get established(): boolean {
    return this.#established;
  }

  /** Whether the connection ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** What the handshake agreed, once established. */
  get session(): EstablishedSession | undefined {
    return this.#session;
  }

  /** The next event, if any. */
  pollEvent(): E | EstablishedEvent | ClosedEvent | undefined {
    const e = this.#events.shift();
    // a drained queue gives its grown backing store back (idle memory)
    if (this.#events.length === 0 && e !== undefined) this.#events = [];
    return e;
  }

  /**
   * Sends application data (queued until the handshake completes).
   *
   * @param data The bytes; more than one record holds goes in several.
   * @throws {TypeError} once closed.
   * @throws {RangeError} when too much waits for the handshake.
   */
  send(data: Uint8Array): void {
    if (this.#closed) {
      throw new TypeError(`Cannot send on a closed ${this.noun()}`);
    }
    if (!this.#established) {
      if (this.#appQueue.length >= MAX_QUEUED_APP_DATA) {
        throw new RangeError(
          "Cannot queue more data before the handshake completes",
        );
      }
      this.#appQueue.push(data.slice());
      return;
    }
    this.writeRecords(ContentType.application_data, data);
  }

  /** Sends close_notify and ends the connection (RFC 5246 §7.2.1). */
  close(): void {
    if (this.#closed) return;
    this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
    this.finish({
      kind: "closed",
      alert: { description: 0, name: "close_notify", received: false },
      reason: "closed locally",
    });
  }

  /** "DTLS association", "TLS connection": for error messages. */
  protected abstract noun(): string;

  /**
   * The transcript form of an outgoing handshake message (assigns the next
   * DTLS `message_seq`).
   */
  protected abstract frame(type: number, body: Uint8Array): Uint8Array;

  /** Writes records of this content type holding `data`, split as the record layer's limits want. */
  protected abstract writeRecords(type: number, data: Uint8Array): void;

  /** Queues one handshake message of the flight being built. */
  protected abstract writeMessage(
    message: HandshakeAction & { readonly kind: "message" },
  ): void;

  /** Writes ChangeCipherSpec, then switches writing to these keys. */
  protected abstract writeChangeCipherSpec(
    suite: CipherSuite,
    keys: RecordKeys,
  ): void;

  /** Keeps these keys for reading after the peer's ChangeCipherSpec. */
  protected abstract nextReadKeys(suite: CipherSuite, keys: RecordKeys): void;

  /** The flight is complete: send it (`final`: no answer is expected). */
  protected abstract endFlight(now: number, final: boolean): void;

  /** The machine took an input; runs before its actions are applied. */
  protected abstract handled(): void;

  /** The handshake completed; runs before the event and the queued data. */
  protected abstract onEstablished(now: number): void;

  /** A warning alert other than close_notify arrived. */
  protected abstract onWarning(description: number, name: string): void;

  /** The connection ended: release what the record layer holds. */
  protected abstract release(): void;

  /** Adds an event of the record layer. */
  protected emit(event: E): void {
    this.#events.push(event);
  }

  /** Client role: applies flight 1 (the ClientHello). */
  protected startClient(now: number): void {
    const m = this.machine;
    if (m instanceof ClientHandshake) this.#apply(now, m.start());
  }

  /**
   * A whole handshake message from the peer: to the machine, or answered
   * as renegotiation once established.
   */
  protected handshakeMessage(
    now: number,
    message: HandshakeInput & { readonly kind: "message" },
  ): Promise<void> | undefined {
    if (!this.#established) return this.#feed(now, message);
    const renegotiation = this.role === "server"
      ? message.type === HandshakeType.client_hello
      : message.type === HandshakeType.hello_request;
    if (!renegotiation) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        "Handshake message after the handshake",
      );
    }
    // RFC 5746 §4.2, §4.4: refuse renegotiation with a warning
    this.sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
    return undefined;
  }

  /** The peer's ChangeCipherSpec, where the machine expects it, to the machine. */
  protected changeCipherSpec(now: number): Promise<void> {
    return this.#feed(now, CHANGE_CIPHER_SPEC_ACTION);
  }

  /**
   * An alert record: close_notify is answered, a fatal alert ends the
   * connection, a warning is reported to {@link HandshakeDriver.onWarning}.
   * An alert that does not decode is dropped when not authenticated.
   */
  protected alert(plain: Uint8Array, authenticated: boolean): void {
    let alert;
    try {
      alert = decodeAlert(plain);
    } catch (err) {
      if (!authenticated) return;
      throw err;
    }
    if (alert.description === AlertDescription.close_notify) {
      // RFC 5246 §7.2.1: answer close_notify with close_notify
      this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      this.finish({
        kind: "closed",
        alert: { description: 0, name: "close_notify", received: true },
        reason: "peer closed",
      });
      return;
    }
    const name = alertName(alert.description);
    if (alert.level === AlertLevel.fatal) {
      this.#invalidateSession();
      this.finish({
        kind: "closed",
        alert: { description: alert.description, name, received: true },
        reason: `peer sent fatal ${name}`,
      });
      return;
    }
    this.onWarning(alert.description, name);
  }

  /** Sends an alert; a failure to send it is ignored. */
  protected sendAlert(level: AlertLevel, description: AlertDescription): void {
    try {
      this.writeRecords(ContentType.alert, encodeAlert(level, description));
    } catch {
      // nothing more to do for a failing alert
    }
  }

  /** Ends the connection with the fatal alert `alertFor(err)` chooses. */
  protected fail(err: unknown): void {
    if (this.#closed) return;
    this.#invalidateSession();
    const received = err instanceof TlsAlertError && err.received;
    const description = alertFor(err);
    if (!received) this.sendAlert(AlertLevel.fatal, description);
    this.finish({
      kind: "closed",
      alert: { description, name: alertName(description), received },
      reason: err instanceof Error ? err.message : String(err),
    });
  }

  /** Marks the connection closed, releases its state and reports `event`. */
  protected finish(event: ClosedEvent): void {
    this.#closed = true;
    if (this.#appQueue.length > 0) this.#appQueue = [];
    this.#pendingKeys = undefined;
    this.release();
    this.#events.push(event);
  }

  async #feed(now: number, input: HandshakeInput): Promise<void> {
    const actions = await this.machine.handle(now, input);
    this.handled();
    this.#apply(now, actions);
  }

  #apply(now: number, actions: readonly HandshakeAction[]): void {
    const client = this.role === "client";
    for (const a of actions) {
      switch (a.kind) {
        case "message":
          this.writeMessage(a);
          break;
        case "change_cipher_spec": {
          const keys = this.#pendingKeys!;
          this.#pendingKeys = undefined;
          this.writeChangeCipherSpec(
            keys.suite,
            client ? keys.client : keys.server,
          );
          break;
        }
        case "keys":
          this.#pendingKeys = a.keys;
          this.nextReadKeys(
            a.keys.suite,
            client ? a.keys.server : a.keys.client,
          );
          break;
        case "flight_end":
          this.endFlight(now, a.final);
          break;
        case "established": {
          this.#established = true;
          this.#session = a.session;
          this.onEstablished(now);
          this.#events.push({
            kind: "established",
            suite: a.session.suite.name,
            identity: a.session.identity,
            session: a.session,
          });
          const queued = this.#appQueue;
          if (queued.length === 0) break;
          this.#appQueue = [];
          for (const d of queued) {
            this.writeRecords(ContentType.application_data, d);
          }
          break;
        }
      }
    }
  }

  /** RFC 5246 §7.2.2: a fatal alert means the session must not resume. */
  #invalidateSession(): void {
    const m = this.machine;
    if (m instanceof ServerHandshake) m.invalidateSession();
  }
}
