/**
 * The server side of DTLS: a table of {@link DtlsAssociation}s keyed by
 * peer address, as one sans-IO core (`handleInput(now, bytes, from)`,
 * `handleTimeout`, `pollTransmit() → {bytes, to}`, `pollEvent() → {peer,
 * event}`, `nextTimeout`).
 *
 * - **Stateless cookies first** (RFC 6347 §4.2.1): a ClientHello without a
 *   valid cookie gets a HelloVerifyRequest (60 bytes, never larger than a
 *   ClientHello) and creates no state; the HelloVerifyRequest reuses the
 *   ClientHello's record sequence number. Anything else from an unknown
 *   peer is dropped silently.
 * - **Rebooted clients** (RFC 6347 §4.2.8): a ClientHello in epoch 0 with a
 *   valid cookie on an address whose association is established starts a
 *   new association that replaces the old one at once: the cookie exchange
 *   has demonstrated reachability, which §4.2.8 accepts before the old
 *   association may be destroyed. A delayed copy of the ClientHello that
 *   created the current association (same client random) is passed to it
 *   instead. The same holds for an association still handshaking: a client
 *   that starts over (new random, valid cookie) replaces it rather than
 *   waiting for its flight timer to give up.
 * - **Bounds**: at most `maxAssociations` entries (the least recently active
 *   is evicted first, via {@link IdleIndex}) and at most `maxHandshakes`
 *   handshakes in progress (further ClientHellos are dropped after the
 *   cookie check). Only input an association accepted (lastActivity moved)
 *   counts as activity: spoofed garbage from its address does not keep it
 *   alive.
 * - **Connection IDs** (RFC 9146): a client that offers the extension gets
 *   a random CID of `connectionIdLength` bytes; its `tls12_cid` records
 *   find the association by CID whatever address they come from, and the
 *   association moves to a new address only once a record under the CID,
 *   newer than any before, authenticated from there (§6); an
 *   `address_changed` event tells the application.
 * - **Inactivity**: {@link DtlsServerEndpoint.sweepTarget} is a
 *   {@link SweepTarget} that ends associations idle for
 *   `inactivityTimeoutMs` (TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT,
 *   default 86 400 000 ms), swept every `sweepIntervalMs`
 *   (TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT, default 1 800 000 ms).
 *
 * @example A client handshake through the endpoint
 * ```ts
 * import { DtlsServerEndpoint } from "./endpoint.ts";
 * import { DtlsAssociation } from "./association.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(16).fill(9);
 * const endpoint = new DtlsServerEndpoint({ handshake: { psk: () => key } });
 * const client = new DtlsAssociation({ role: "client", client: { psk: { identity: "d", key } } });
 * const peer = { hostname: "192.0.2.1", port: 40000 };
 * client.start(0);
 * for (let i = 0; i < 10 && !client.established; i++) {
 *   for (let d; (d = client.pollTransmit()) !== undefined;) await endpoint.handleInput(0, d, peer);
 *   for (let t; (t = endpoint.pollTransmit()) !== undefined;) await client.handleInput(0, t.bytes);
 * }
 * assert.ok(client.established);
 * assert.equal(endpoint.size, 1);
 * ```
 *
 * @module
 */

import { ContentType } from "../tls/content_type.ts";
import { HandshakeType } from "../tls/handshake_type.ts";
import { encodeHelloVerifyRequest } from "../tls/messages/mod.ts";
import type { ServerHandshakeConfig } from "../tls/handshake/types.ts";
import { IdleIndex } from "../sessions/idle_index.ts";
import type { SweepTarget } from "../sessions/sweeper.ts";
import { type AssociationEvent, DtlsAssociation } from "./association.ts";
import { CookieJar, type PeerAddress } from "./cookie.ts";
import { type ClientHelloView, viewClientHello } from "./client_hello_view.ts";
import { DTLS_1_0, encodeRecord } from "./record.ts";
import { encodeHandshakeMessage } from "./fragment.ts";
import type { FlightTimerOptions } from "./flight_timer.ts";
import { randomBytes } from "../crypto/mod.ts";

/**
 * Endpoint configuration.
 *
 * @example
 * ```ts
 * import type { DtlsEndpointConfig } from "./endpoint.ts";
 * const cfg: DtlsEndpointConfig = { handshake: { psk: () => undefined }, maxHandshakes: 100 };
 * ```
 */
export interface DtlsEndpointConfig {
  /** Credentials and preferences of every handshake. */
  readonly handshake: ServerHandshakeConfig;
  /** Path MTU; default 1280. */
  readonly mtu?: number;
  /** Most associations kept; default 10 000. */
  readonly maxAssociations?: number;
  /** Most handshakes in progress; default 1 000. */
  readonly maxHandshakes?: number;
  /** Idle time after which a session ends; default 86 400 000 ms. */
  readonly inactivityTimeoutMs?: number;
  /** Sweep interval; default 1 800 000 ms. */
  readonly sweepIntervalMs?: number;
  /** Cookie secret source and rotation. */
  readonly cookies?: CookieJar;
  /** Flight timer settings. */
  readonly timer?: FlightTimerOptions;
  /** Name for the sweeper; default `dtls`. */
  readonly name?: string;
  /**
   * Length of the connection IDs (RFC 9146) given to clients that offer the
   * extension, 1..32 bytes; 0 turns connection IDs off. Default 6.
   */
  readonly connectionIdLength?: number;
}

/**
 * A datagram to send.
 *
 * @example
 * ```ts
 * import type { EndpointTransmit } from "./endpoint.ts";
 * const t: EndpointTransmit = { bytes: new Uint8Array(1), to: { hostname: "::1", port: 1 } };
 * ```
 */
export interface EndpointTransmit {
  readonly bytes: Uint8Array;
  readonly to: PeerAddress;
}

/**
 * An association event with its peer.
 *
 * @example
 * ```ts
 * import type { EndpointEvent } from "./endpoint.ts";
 * const e: EndpointEvent = { peer: { hostname: "::1", port: 1 }, event: { kind: "closed", reason: "x" } };
 * ```
 */
export interface EndpointEvent {
  readonly peer: PeerAddress;
  readonly event: AssociationEvent | PeerAddressChange;
}

/**
 * A connection ID peer now sends from `peer` instead of `from`: a record
 * under its CID, newer than any before, authenticated from the new address
 * (RFC 9146 §6). Later events and sends use the new address.
 *
 * @example
 * ```ts
 * import type { EndpointEvent } from "./endpoint.ts";
 * const e: EndpointEvent = {
 *   peer: { hostname: "192.0.2.1", port: 2 },
 *   event: { kind: "address_changed", from: { hostname: "192.0.2.1", port: 1 } },
 * };
 * ```
 */
export interface PeerAddressChange {
  readonly kind: "address_changed";
  readonly from: PeerAddress;
}

interface Entry {
  peer: PeerAddress;
  /** {@link keyOf} `peer`, the entry's key in the table. */
  key: string;
  readonly association: DtlsAssociation;
  /** Hex of the connection ID given to the peer, when it asked for CIDs. */
  readonly cid?: string;
}

function hexOf(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function keyOf(peer: PeerAddress): string {
  return `${peer.hostname}|${peer.port}`;
}

/**
 * The DTLS server endpoint.
 *
 * @example
 * ```ts
 * import { DtlsServerEndpoint } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * const ep = new DtlsServerEndpoint({ handshake: { psk: () => undefined } });
 * await ep.handleInput(0, new Uint8Array([1, 2, 3]), { hostname: "192.0.2.1", port: 9 });
 * assert.equal(ep.pollTransmit(), undefined);
 * assert.equal(ep.sweepTarget().intervalMs, 1_800_000);
 * ```
 */
export class DtlsServerEndpoint {
  readonly #config: DtlsEndpointConfig;
  readonly #table = new Map<string, Entry>();
  readonly #idle = new IdleIndex<string>();
  readonly #jar: CookieJar;
  readonly #handshakes = new Set<string>();
  readonly #byCid = new Map<string, Entry>();
  readonly #cidLength: number;
  readonly #out: EndpointTransmit[] = [];
  readonly #events: EndpointEvent[] = [];
  #dropped = 0;

  /** @param config Handshake credentials and bounds. */
  constructor(config: DtlsEndpointConfig) {
    this.#config = config;
    this.#jar = config.cookies ?? new CookieJar();
    this.#cidLength = config.connectionIdLength ?? 6;
    if (
      !Number.isInteger(this.#cidLength) || this.#cidLength < 0 ||
      this.#cidLength > 32
    ) {
      throw new RangeError(
        `Cannot use connection IDs of ${this.#cidLength} bytes: use 0..32`,
      );
    }
  }

  /** Associations in the table. */
  get size(): number {
    return this.#table.size;
  }

  /** Datagrams dropped without an answer so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Handshakes in progress. */
  get handshaking(): number {
    return this.#handshakes.size;
  }

  /**
   * The association of `peer`, if any.
   *
   * @param peer The peer address.
   * @returns The association.
   */
  association(peer: PeerAddress): DtlsAssociation | undefined {
    return this.#table.get(keyOf(peer))?.association;
  }

  /**
   * Feeds one datagram from `from`. Never rejects.
   *
   * @param now Current time in ms.
   * @param bytes The UDP payload.
   * @param from The sender.
   */
  async handleInput(
    now: number,
    bytes: Uint8Array,
    from: PeerAddress,
  ): Promise<void> {
    const key = keyOf(from);
    // RFC 9146 §6: a CID record finds its association whatever the address
    const entry = this.#byConnectionId(bytes) ?? this.#table.get(key);
    const hello = viewClientHello(bytes);
    if (hello !== undefined) {
      const a = entry?.association;
      // a delayed copy of the ClientHello that created the association goes
      // to it (its reassembler drops it as a retransmission); any other
      // epoch-0 ClientHello is a new handshake: cookie first (RFC 6347
      // §4.2.1), then the replacement of §4.2.8
      if (
        a === undefined || a.closed ||
        !sameBytes(a.clientRandom, hello.random)
      ) {
        await this.#hello(now, bytes, from, key, hello);
        return;
      }
    }
    if (entry === undefined) {
      this.#dropped++;
      return;
    }
    const before = entry.association.lastActivity;
    const newer = entry.association.newerRecords;
    await entry.association.handleInput(now, bytes);
    if (
      entry.cid !== undefined && entry.association.newerRecords !== newer &&
      entry.key !== key && !entry.association.closed
    ) {
      this.#migrate(entry, from, now);
    }
    // only input the association accepted keeps it alive: spoofed garbage
    // from its address must not defeat the inactivity sweep
    if (entry.association.lastActivity !== before) {
      this.#idle.touch(entry.key, now);
    }
    this.#drain(entry);
  }

  /** The association whose connection ID a `tls12_cid` datagram names. */
  #byConnectionId(bytes: Uint8Array): Entry | undefined {
    const n = this.#cidLength;
    // RFC 9146 §4: type 25, version, epoch, sequence_number, then the CID
    if (
      n === 0 || bytes[0] !== ContentType.tls12_cid || bytes.length < 13 + n
    ) {
      return undefined;
    }
    return this.#byCid.get(hexOf(bytes.subarray(11, 11 + n)));
  }

  /**
   * Moves a connection ID peer to the address its newest authenticated
   * record came from (RFC 9146 §6). An association that held that address
   * before is ended: the address is someone else's now.
   */
  #migrate(entry: Entry, to: PeerAddress, now: number): void {
    const oldKey = entry.key;
    const newKey = keyOf(to);
    const occupant = this.#table.get(newKey);
    if (occupant !== undefined && occupant !== entry) {
      occupant.association.abandon(
        "address taken over by a connection ID peer",
      );
      this.#drain(occupant);
      this.#table.delete(newKey);
      this.#idle.delete(newKey);
      this.#handshakes.delete(newKey);
    }
    this.#table.delete(oldKey);
    this.#idle.delete(oldKey);
    if (this.#handshakes.delete(oldKey)) this.#handshakes.add(newKey);
    const from = entry.peer;
    entry.peer = to;
    entry.key = newKey;
    this.#table.set(newKey, entry);
    this.#idle.touch(newKey, now);
    this.#events.push({ peer: to, event: { kind: "address_changed", from } });
  }

  /**
   * Runs the timers that are due.
   *
   * @param now Current time in ms.
   */
  handleTimeout(now: number): void {
    for (const entry of [...this.#table.values()]) {
      const t = entry.association.nextTimeout();
      if (t !== undefined && t <= now) {
        entry.association.handleTimeout(now);
        this.#drain(entry);
      }
    }
  }

  /** The next datagram to send. */
  pollTransmit(): EndpointTransmit | undefined {
    return this.#out.shift();
  }

  /** The next event. */
  pollEvent(): EndpointEvent | undefined {
    return this.#events.shift();
  }

  /** The earliest timer deadline. */
  nextTimeout(): number | undefined {
    let next: number | undefined;
    for (const e of this.#table.values()) {
      const t = e.association.nextTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /**
   * Sends application data to an established peer.
   *
   * @param peer The peer.
   * @param data The data.
   */
  send(peer: PeerAddress, data: Uint8Array): void {
    const entry = this.#table.get(keyOf(peer));
    if (entry === undefined) {
      throw new TypeError(
        `Cannot send to ${peer.hostname}:${peer.port}: no association`,
      );
    }
    entry.association.send(data);
    this.#drain(entry);
  }

  /**
   * Closes one peer's association with close_notify.
   *
   * @param peer The peer.
   */
  close(peer: PeerAddress): void {
    const entry = this.#table.get(keyOf(peer));
    if (entry === undefined) return;
    entry.association.close();
    this.#drain(entry);
  }

  /** Closes every association with close_notify. */
  closeAll(): void {
    for (const entry of [...this.#table.values()]) {
      entry.association.close();
      this.#drain(entry);
    }
  }

  /**
   * The inactivity sweep for `src/sessions`.
   *
   * @returns A {@link SweepTarget}.
   */
  sweepTarget(): SweepTarget {
    const timeout = this.#config.inactivityTimeoutMs ?? 86_400_000;
    return {
      name: this.#config.name ?? "dtls",
      intervalMs: this.#config.sweepIntervalMs ?? 1_800_000,
      sweep: (now) => {
        let n = 0;
        for (const key of this.#idle.takeIdle(now, timeout)) {
          const entry = this.#table.get(key);
          if (entry === undefined) continue;
          entry.association.close();
          this.#drain(entry);
          n++;
        }
        return n;
      },
      size: () => this.#table.size,
    };
  }

  async #hello(
    now: number,
    bytes: Uint8Array,
    from: PeerAddress,
    key: string,
    hello: ClientHelloView,
  ): Promise<void> {
    const { binding, cookie } = hello;
    if (
      cookie.length === 0 || !this.#jar.verify(now, from, binding, cookie)
    ) {
      // RFC 6347 §4.2.1: stateless HelloVerifyRequest, version DTLS 1.0,
      // record sequence number copied from the ClientHello
      const body = encodeHelloVerifyRequest({
        serverVersion: DTLS_1_0,
        cookie: this.#jar.create(now, from, binding),
      });
      this.#out.push({
        to: from,
        bytes: encodeRecord({
          type: ContentType.handshake,
          version: DTLS_1_0,
          epoch: 0,
          sequenceNumber: hello.recordSeq,
          fragment: encodeHandshakeMessage(
            HandshakeType.hello_verify_request,
            hello.messageSeq,
            body,
          ),
        }),
      });
      return;
    }
    const old = this.#table.get(key);
    const replacesHandshake = old !== undefined && !old.association.established;
    if (
      !replacesHandshake &&
      this.handshaking >= (this.#config.maxHandshakes ?? 1000)
    ) {
      this.#dropped++;
      return;
    }
    if (old !== undefined) {
      // RFC 6347 §4.2.8: reachability shown by the cookie; replace
      old.association.abandon("replaced by a new handshake (RFC 6347 §4.2.8)");
      this.#drain(old);
    }
    while (this.#table.size >= (this.#config.maxAssociations ?? 10_000)) {
      const oldest = this.#idle.oldest();
      if (oldest === undefined) break;
      const victim = this.#table.get(oldest);
      this.#idle.delete(oldest);
      if (victim !== undefined) {
        victim.association.abandon("evicted: table full");
        this.#drain(victim);
      }
      this.#table.delete(oldest);
      this.#handshakes.delete(oldest);
    }
    // RFC 9146 §3: a connection ID only for a client that offers the extension
    const cid = this.#cidLength > 0 && hello.offersConnectionId
      ? this.#newConnectionId()
      : undefined;
    const association = new DtlsAssociation({
      role: "server",
      server: this.#config.handshake,
      ...(cid === undefined ? {} : { connectionId: cid }),
      ...(this.#config.mtu === undefined ? {} : { mtu: this.#config.mtu }),
      ...(this.#config.timer === undefined
        ? {}
        : { timer: this.#config.timer }),
      initial: { messageSeq: hello.messageSeq, recordSeq: hello.recordSeq },
    });
    const entry: Entry = cid === undefined
      ? { peer: from, key, association }
      : { peer: from, key, association, cid: hexOf(cid) };
    this.#table.set(key, entry);
    if (entry.cid !== undefined) this.#byCid.set(entry.cid, entry);
    this.#handshakes.add(key);
    this.#idle.touch(key, now);
    await association.handleInput(now, bytes);
    this.#drain(entry);
  }

  #drain(entry: Entry): void {
    const a = entry.association;
    for (let d; (d = a.pollTransmit()) !== undefined;) {
      this.#out.push({ bytes: d, to: entry.peer });
    }
    for (let e; (e = a.pollEvent()) !== undefined;) {
      this.#events.push({ peer: entry.peer, event: e });
    }
    const key = entry.key;
    if (a.closed && entry.cid !== undefined) {
      if (this.#byCid.get(entry.cid) === entry) this.#byCid.delete(entry.cid);
    }
    if (this.#table.get(key) !== entry) return;
    if (a.closed) {
      this.#table.delete(key);
      this.#idle.delete(key);
      this.#handshakes.delete(key);
    } else if (a.established) {
      this.#handshakes.delete(key);
    }
  }

  /** A fresh connection ID no live association uses. */
  #newConnectionId(): Uint8Array {
    for (;;) {
      const cid = randomBytes(this.#cidLength);
      if (!this.#byCid.has(hexOf(cid))) return cid;
    }
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
