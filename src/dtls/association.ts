/**
 * One DTLS 1.2 association (RFC 6347) as a sans-IO core (quinn-proto
 * shape): `handleInput(now, datagram)`, `handleTimeout(now)`,
 * `pollTransmit()`, `pollEvent()`, `nextTimeout()`, plus `send(data)` and
 * `close()`. It owns the record layer of one peer — epochs, per-epoch
 * replay windows (RFC 6347 §4.1.2.6), record protection, handshake
 * fragmentation and reassembly, flight retransmission (RFC 6347 §4.2.4) —
 * and drives a handshake machine from `src/tls/handshake/`.
 *
 * Rules implemented here:
 * - Records that fail to decrypt, are replayed, come from an unknown epoch
 *   or do not parse are dropped silently (RFC 6347 §4.1.2.7). Records of the
 *   next epoch that arrive before the ChangeCipherSpec are buffered (at most
 *   {@link MAX_BUFFERED_RECORDS}) and processed after it (RFC 6347 §4.1).
 * - A flight is kept as one unit; the timer retransmits it (1 s doubling to
 *   60 s, 7 times) until the peer's next flight has arrived whole (our
 *   next flight is ready, or the handshake is established). The last
 *   flight of the handshake has no timer: it is sent again only when the
 *   peer repeats the last message of its own last flight (RFC 6347 §4.2.4).
 * - A handshake has an overall deadline, {@link AssociationOptions.handshakeTimeoutMs}
 *   (default twice the flight timer's whole retransmission budget, 366 s
 *   with the RFC 6347 defaults), counted from its first datagram. The
 *   flight timer alone does not bound it: a server stops its timer as soon
 *   as the client's flight 5 starts arriving, and a flight 5 whose Finished
 *   never authenticates (a wrong PSK, tampering) is dropped silently, so
 *   without the deadline such an association would hold a handshake slot
 *   until the inactivity sweep.
 * - Every handshake failure becomes a fatal alert chosen by `alertFor`;
 *   an unknown exception becomes internal_error. Nothing escapes
 *   `handleInput`. What TLS does alike (handshake actions, queued data,
 *   alerts, renegotiation refused, failures) is {@link HandshakeDriver}'s.
 * - What the hellos agreed for the record layer (`recordLayer`) applies
 *   from the flight after the ServerHello: with RFC 9146 connection IDs,
 *   records under the negotiated keys carry the peer's CID (`tls12_cid`)
 *   and records to us must carry ours; handshake fragments and records
 *   stay within max_fragment_length (RFC 6066 §4) and the peer's
 *   record_size_limit (RFC 8449), application data being split to fit;
 *   an authenticated record over our bound is record_overflow.
 * - An abbreviated handshake swaps the flights: the server's flight waits
 *   for the client's final one, so on establishment whichever side did not
 *   send the final flight drops its own and stops its timer.
 * - Renegotiation is refused: a new ClientHello on an established server
 *   association is answered with a no_renegotiation warning (RFC 5746 §4.4).
 *   A ClientHello in epoch 0 from a rebooted client is the endpoint's
 *   business (RFC 6347 §4.2.8, see `endpoint.ts`).
 *
 * `handleInput` is async only because handshake crypto is (WebCrypto);
 * inputs are processed strictly one after another, whether or not the
 * caller awaits.
 *
 * @example An in-memory PSK handshake
 * ```ts
 * import { DtlsAssociation } from "./association.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(16).fill(3);
 * const server = new DtlsAssociation({ role: "server", server: { psk: () => key } });
 * const client = new DtlsAssociation({ role: "client", client: { psk: { identity: "dev", key } } });
 * client.start(0);
 * for (let i = 0; i < 10 && !(client.established && server.established); i++) {
 *   for (let d; (d = client.pollTransmit()) !== undefined;) await server.handleInput(0, d);
 *   for (let d; (d = server.pollTransmit()) !== undefined;) await client.handleInput(0, d);
 * }
 * client.send(new TextEncoder().encode("hi"));
 * await server.handleInput(0, client.pollTransmit()!);
 * server.pollEvent(); // established
 * const ev = server.pollEvent();
 * assert.equal(ev?.kind, "data");
 * ```
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../tls/alert.ts";
import type { CipherSuite } from "../tls/cipher_suites.ts";
import { ContentType } from "../tls/content_type.ts";
import { dtlsSequence, type RecordKeys } from "../tls/record_protection.ts";
import { LazyRecordProtection } from "../tls/lazy_record_protection.ts";
import { ServerHandshake } from "../tls/handshake/server.ts";
import {
  type ClosedEvent,
  type DriverOptions,
  type EstablishedEvent,
  HandshakeDriver,
} from "../tls/handshake/driver.ts";
import type {
  HandshakeAction,
  PeerIdentity,
  RecordLayerAgreement,
} from "../tls/handshake/types.ts";
import {
  receivePlaintextLimit,
  sendPlaintextLimit,
} from "../tls/extensions/record_size_limit_negotiation.ts";
import { constantTimeEqual as sameBytes } from "../bytes/mod.ts";
import {
  decodeDatagram,
  DTLS_1_2,
  type DtlsRecord,
  encodeRecord,
  packDatagrams,
} from "./record.ts";
import { ReplayWindow } from "./replay_window.ts";
import {
  decodeHandshakeFragments,
  encodeHandshakeMessage,
  HANDSHAKE_HEADER_LENGTH,
  maxHandshakeFragmentBody,
} from "./fragment.ts";
import { Reassembler } from "./reassembly.ts";
import {
  Flight,
  type FlightEntry,
  FlightTimer,
  type FlightTimerOptions,
} from "./flight_timer.ts";

/** Records of the next epoch kept until its ChangeCipherSpec arrives. */
export const MAX_BUFFERED_RECORDS = 16;
const DTLS_LAYER = { dtls: true } as const;

/**
 * What an association reports.
 *
 * @example
 * ```ts
 * import type { AssociationEvent } from "./association.ts";
 * const e: AssociationEvent = { kind: "closed", reason: "close_notify" };
 * ```
 */
export type AssociationEvent =
  | EstablishedEvent
  | {
    readonly kind: "data";
    readonly data: Uint8Array;
    readonly identity: PeerIdentity | undefined;
  }
  | ClosedEvent;

/**
 * Options of one association.
 *
 * @example
 * ```ts
 * import type { AssociationOptions } from "./association.ts";
 * const o: AssociationOptions = { role: "server", server: { psk: () => undefined }, mtu: 1280 };
 * ```
 */
export interface AssociationOptions extends DriverOptions {
  /** Path MTU in bytes (IP packet); default 1280 (RFC 8200 minimum). */
  readonly mtu?: number;
  /** Flight retransmission timer settings. */
  readonly timer?: FlightTimerOptions;
  /**
   * Most time a handshake may take from its first datagram, ms; default
   * twice the flight timer's retransmission budget (366 000 ms with the
   * defaults: 1 + 2 + … + 32 + 60 + 60 s, twice).
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * Server after a stateless cookie exchange: the ClientHello's
   * `message_seq` (our first `message_seq` mirrors it, as OpenSSL does) and
   * record sequence number (our epoch-0 records continue from it, RFC 6347
   * §4.2.1).
   */
  readonly initial?: {
    readonly messageSeq: number;
    readonly recordSeq: number;
  };
  /**
   * RFC 9146: the connection ID this side wants on the records it receives
   * (a client may offer an empty one: it sends the server's CID but wants
   * none); `undefined` negotiates no connection ID.
   */
  readonly connectionId?: Uint8Array;
}

interface WriteState {
  protection: LazyRecordProtection | undefined;
  seq: number;
}

interface ReadState {
  readonly epoch: number;
  readonly protection: LazyRecordProtection | undefined;
  readonly replay: ReplayWindow;
}

/**
 * One DTLS association (client or server role).
 *
 * @example
 * ```ts
 * import { DtlsAssociation } from "./association.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new DtlsAssociation({ role: "client", client: { psk: { identity: "x", key: new Uint8Array(16) } } });
 * a.start(0);
 * assert.ok(a.pollTransmit()!.length > 13);
 * assert.equal(a.nextTimeout(), 1000);
 * ```
 */
export class DtlsAssociation extends HandshakeDriver<AssociationEvent> {
  readonly #mtu: number;
  #maxFragmentBody: number;
  readonly #ownCid: Uint8Array | undefined;
  #agreement: RecordLayerAgreement | undefined;
  #peerCid: Uint8Array | undefined;
  #newestEpoch = 0;
  #newestSeq = -1;
  #newerRecords = 0;
  readonly #reassembler: Reassembler;
  readonly #timer: FlightTimer;
  #sendMessageSeq: number;
  readonly #write: WriteState[] = [];
  #writeEpoch = 0;
  #read: ReadState;
  #nextRead: LazyRecordProtection | undefined;
  #buffered: DtlsRecord[] = [];
  #ccsPending = false;
  #building: FlightEntry[] = [];
  #flight: Flight | undefined;
  #flightFinal = false;
  #peerLastSeq = -1;
  #lastDeliveredSeq = -1;
  #out: Uint8Array[] = [];
  #queue: Promise<void> = Promise.resolve();
  #lastActivity = 0;
  #clientRandom: Uint8Array | undefined;
  readonly #handshakeTimeout: number;
  #handshakeDeadline: number | undefined;

  /** @param options Role, handshake configuration, MTU. */
  constructor(options: AssociationOptions) {
    super(
      options,
      options.connectionId === undefined
        ? DTLS_LAYER
        : { dtls: true, connectionId: options.connectionId },
    );
    this.#mtu = options.mtu ?? 1280;
    this.#maxFragmentBody = maxHandshakeFragmentBody({ mtu: this.#mtu });
    const initial = options.initial;
    this.#sendMessageSeq = initial?.messageSeq ?? 0;
    this.#reassembler = new Reassembler({
      initialMessageSeq: initial?.messageSeq ?? 0,
    });
    this.#timer = new FlightTimer(options.timer);
    this.#handshakeTimeout = options.handshakeTimeoutMs ??
      2 * retransmissionBudget(options.timer ?? {});
    this.#write[0] = { protection: undefined, seq: initial?.recordSeq ?? 0 };
    this.#read = {
      epoch: 0,
      protection: undefined,
      replay: new ReplayWindow(),
    };
    this.#ownCid = options.connectionId;
  }

  protected override noun(): string {
    return "DTLS association";
  }

  /** Time of the last authenticated or handshake input. */
  get lastActivity(): number {
    return this.#lastActivity;
  }

  /** The client random of this association's handshake, once known. */
  get clientRandom(): Uint8Array | undefined {
    if (this.#clientRandom !== undefined) return this.#clientRandom;
    const m = this.machine;
    return m instanceof ServerHandshake ? m.clientRandom() : undefined;
  }

  /** Retransmissions of the current flight so far. */
  get retransmissions(): number {
    return this.#timer.retransmissions;
  }

  /** What the hellos agreed for the record layer, once known. */
  get recordLayer(): RecordLayerAgreement | undefined {
    return this.#agreement;
  }

  /**
   * Authenticated records so far that were newer than every earlier one:
   * only such a record may move a connection ID peer to a new address
   * (RFC 9146 §6).
   */
  get newerRecords(): number {
    return this.#newerRecords;
  }

  /** The largest application data one record carries to the peer. */
  get maxRecordPlaintext(): number {
    return this.#agreement === undefined
      ? 16384
      : sendPlaintextLimit(this.#agreement, true);
  }

  /**
   * Client role: sends flight 1.
   *
   * @param now Current time in ms.
   */
  start(now: number): void {
    if (this.role !== "client") {
      throw new TypeError("Cannot start a server association");
    }
    this.#lastActivity = now;
    this.#handshakeDeadline ??= now + this.#handshakeTimeout;
    this.startClient(now);
  }

  /**
   * Feeds one datagram. Resolves when it (and all earlier inputs) are
   * processed; never rejects.
   *
   * @param now Current time in ms.
   * @param datagram The UDP payload.
   */
  handleInput(now: number, datagram: Uint8Array): Promise<void> {
    this.#queue = this.#queue.then(() => this.#process(now, datagram));
    return this.#queue;
  }

  /**
   * Runs timers whose deadline passed.
   *
   * @param now Current time in ms.
   */
  handleTimeout(now: number): void {
    if (this.closed) return;
    if (
      !this.established && this.#handshakeDeadline !== undefined &&
      now >= this.#handshakeDeadline
    ) {
      this.finish({ kind: "closed", reason: "handshake timed out" });
      return;
    }
    switch (this.#timer.onTimeout(now)) {
      case "retransmit":
        this.#transmitFlight();
        return;
      case "give_up":
        this.finish({ kind: "closed", reason: "handshake timed out" });
        return;
      case "wait":
        return;
    }
  }

  /** The next datagram to send, if any. */
  pollTransmit(): Uint8Array | undefined {
    const d = this.#out.shift();
    // a drained queue gives its grown backing store back (idle memory)
    if (this.#out.length === 0 && d !== undefined) this.#out = [];
    return d;
  }

  /** When `handleTimeout` wants to run next. */
  nextTimeout(): number | undefined {
    if (this.closed) return undefined;
    const flight = this.#timer.nextDeadline();
    const overall = this.established ? undefined : this.#handshakeDeadline;
    if (flight === undefined) return overall;
    return overall === undefined ? flight : Math.min(flight, overall);
  }

  /** Ends the association without sending anything (endpoint eviction). */
  abandon(reason: string): void {
    if (this.closed) return;
    this.finish({ kind: "closed", reason });
  }

  async #process(now: number, datagram: Uint8Array): Promise<void> {
    if (this.closed) return;
    this.#handshakeDeadline ??= now + this.#handshakeTimeout;
    try {
      const own = this.#ownCid;
      const { records } = decodeDatagram(
        datagram,
        own !== undefined && own.length > 0 ? { cidLength: own.length } : {},
      );
      for (const record of records) {
        if (this.closed) return;
        await this.#record(now, record);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  async #record(now: number, record: DtlsRecord): Promise<void> {
    const read = this.#read;
    if (record.epoch === read.epoch + 1) {
      // RFC 6347 §4.1: keep next-epoch records until the epoch changes
      if (this.#buffered.length < MAX_BUFFERED_RECORDS) {
        this.#buffered.push(record);
      }
      return;
    }
    if (record.epoch !== read.epoch) {
      // an old epoch: only handshake retransmissions matter (RFC 6347 §4.2.4)
      if (
        record.epoch === read.epoch - 1 && record.epoch === 0 &&
        record.type === ContentType.handshake
      ) {
        this.#retransmitCheck(now, record.fragment, false);
      }
      return;
    }
    if (read.epoch > 0 && !read.replay.check(record.sequenceNumber)) return;
    let type = record.type;
    let plain = record.fragment;
    const cid = this.#agreement?.connectionId;
    if (read.protection === undefined) {
      if (record.cid !== undefined) return;
    } else if (cid !== undefined && cid.length > 0) {
      // RFC 9146 §4: protected records carry the CID this side asked for
      if (record.cid === undefined || !sameBytes(record.cid, cid)) return;
      const inner = read.protection.open(
        recordSeq(record),
        record.type,
        record.version,
        record.fragment,
        { cid },
      );
      if (inner === undefined) return;
      type = inner.type;
      plain = inner.content;
    } else {
      if (record.cid !== undefined) return;
      const opened = read.protection.open(
        recordSeq(record),
        record.type,
        record.version,
        record.fragment,
      );
      if (opened === undefined) return; // RFC 6347 §4.1.2.7: drop silently
      plain = opened;
    }
    if (read.epoch > 0) {
      read.replay.mark(record.sequenceNumber);
      this.#noteNewest(record);
    }
    this.#lastActivity = now;
    const authenticated = read.protection !== undefined;
    // RFC 6066 §4 / RFC 8449 §4: a record past the agreed bound
    if (
      authenticated && this.#agreement !== undefined &&
      plain.length > receivePlaintextLimit(this.#agreement, true)
    ) {
      throw new TlsAlertError(
        AlertDescription.record_overflow,
        `Record of ${plain.length} bytes exceeds the negotiated limit`,
      );
    }
    switch (type) {
      case ContentType.handshake:
        await this.#handshake(now, plain, authenticated);
        return;
      case ContentType.change_cipher_spec:
        if (plain.length !== 1 || plain[0] !== 1) {
          if (authenticated) {
            throw new TlsAlertError(
              AlertDescription.decode_error,
              "Malformed ChangeCipherSpec",
            );
          }
          return;
        }
        this.#ccsPending = true;
        await this.#maybeChangeCipherSpec(now);
        return;
      case ContentType.alert:
        this.alert(plain, authenticated);
        return;
      case ContentType.application_data:
        // RFC 6347 §4.1: application data only under negotiated keys
        if (!authenticated || !this.established) return;
        // the peer finished its handshake, so it has our final flight: no
        // retransmission of it can be asked for any more (RFC 6347 §4.2.4)
        this.#flight = undefined;
        this.emit({
          kind: "data",
          data: plain,
          identity: this.session?.identity,
        });
        return;
      default:
        return;
    }
  }

  #retransmitCheck(now: number, fragment: Uint8Array, _auth: boolean): void {
    let frags;
    try {
      frags = decodeHandshakeFragments(fragment);
    } catch {
      return;
    }
    for (const f of frags) {
      if (
        f.messageSeq === this.#peerLastSeq &&
        f.fragmentOffset + f.body.length === f.length
      ) {
        this.#peerRetransmitted(now);
      }
    }
  }

  #peerRetransmitted(now: number): void {
    // RFC 6347 §4.2.4: the peer repeated its last flight; ours was lost
    if (this.#flight !== undefined) {
      this.#transmitFlight();
      if (this.#timer.armed) this.#timer.rearm(now);
    }
  }

  async #handshake(
    now: number,
    plain: Uint8Array,
    authenticated: boolean,
  ): Promise<void> {
    let frags;
    try {
      frags = decodeHandshakeFragments(plain);
    } catch (err) {
      if (authenticated) throw err;
      return; // unauthenticated garbage: drop (RFC 6347 §4.1.2.7)
    }
    for (const f of frags) {
      for (const ev of this.#reassembler.push(f)) {
        if (this.closed) return;
        switch (ev.kind) {
          case "message":
            await this.#message(
              now,
              ev.msgType,
              ev.messageSeq,
              ev.body,
              ev.message,
            );
            break;
          case "retransmitted":
            if (ev.endsMessage && ev.messageSeq === this.#peerLastSeq) {
              this.#peerRetransmitted(now);
            }
            break;
          case "dropped":
            break;
        }
      }
    }
  }

  async #message(
    now: number,
    type: number,
    seq: number,
    body: Uint8Array,
    framed: Uint8Array,
  ): Promise<void> {
    // RFC 6347 §4.2.4: only the peer's *whole* next flight ends WAITING, so
    // the timer keeps running while it arrives (our next flight_end re-arms
    // it). Stopping at its first message would deadlock when the rest of a
    // final flight (ChangeCipherSpec + Finished) is lost: the peer has no
    // timer for its last flight and we would never ask again.
    this.#lastDeliveredSeq = seq;
    await this.handshakeMessage(now, { kind: "message", type, body, framed });
    if (this.#ccsPending) await this.#maybeChangeCipherSpec(now);
  }

  async #maybeChangeCipherSpec(now: number): Promise<void> {
    if (!this.#ccsPending || !this.machine.expectsChangeCipherSpec) return;
    if (this.#nextRead === undefined) return;
    this.#ccsPending = false;
    await this.changeCipherSpec(now);
    this.#read = {
      epoch: this.#read.epoch + 1,
      protection: this.#nextRead,
      replay: new ReplayWindow(),
    };
    this.#nextRead = undefined;
    if (this.#buffered.length === 0) return;
    const buffered = this.#buffered;
    this.#buffered = [];
    for (const r of buffered) {
      if (this.closed) return;
      await this.#record(now, r);
    }
  }

  protected override frame(type: number, body: Uint8Array): Uint8Array {
    return encodeHandshakeMessage(type, this.#sendMessageSeq++, body);
  }

  protected override handled(): void {
    if (this.#agreement === undefined) this.#adopt(this.machine.recordLayer);
  }

  /**
   * Takes up what the hellos agreed for the record layer, before the
   * flight that follows is built: the peer's CID on later records, and
   * fragments and records within the negotiated sizes (RFC 6066 §4
   * applies from the ServerHello on).
   */
  #adopt(agreement: RecordLayerAgreement | undefined): void {
    if (agreement === undefined) return;
    this.#agreement = agreement;
    const peer = agreement.peerConnectionId;
    this.#peerCid = peer !== undefined && peer.length > 0 ? peer : undefined;
    this.#maxFragmentBody = Math.max(
      1,
      Math.min(
        maxHandshakeFragmentBody({
          mtu: this.#mtu,
          cidLength: this.#peerCid === undefined ? 0 : this.#peerCid.length + 1,
        }),
        sendPlaintextLimit(agreement, true) - HANDSHAKE_HEADER_LENGTH,
      ),
    );
  }

  /** RFC 9146 §6: counts authenticated records newer than every earlier one. */
  #noteNewest(record: DtlsRecord): void {
    if (
      record.epoch > this.#newestEpoch ||
      (record.epoch === this.#newestEpoch &&
        record.sequenceNumber > this.#newestSeq)
    ) {
      this.#newestEpoch = record.epoch;
      this.#newestSeq = record.sequenceNumber;
      this.#newerRecords++;
    }
  }

  protected override writeMessage(
    message: HandshakeAction & { readonly kind: "message" },
  ): void {
    this.#building.push({
      kind: "handshake",
      epoch: this.#writeEpoch,
      msgType: message.type,
      messageSeq: (message.framed[4]! << 8) | message.framed[5]!,
      body: message.framed.subarray(HANDSHAKE_HEADER_LENGTH),
      framed: message.framed,
    });
  }

  protected override writeChangeCipherSpec(
    suite: CipherSuite,
    keys: RecordKeys,
  ): void {
    this.#building.push({
      kind: "change_cipher_spec",
      epoch: this.#writeEpoch,
    });
    this.#writeEpoch++;
    this.#write[this.#writeEpoch] = {
      protection: new LazyRecordProtection(suite, keys),
      seq: 0,
    };
  }

  protected override nextReadKeys(suite: CipherSuite, keys: RecordKeys): void {
    this.#nextRead = new LazyRecordProtection(suite, keys);
  }

  protected override endFlight(now: number, final: boolean): void {
    this.#flight = new Flight(this.#building.slice()); // exact size: kept while idle
    this.#flightFinal = final;
    this.#building = [];
    this.#peerLastSeq = this.#lastDeliveredSeq;
    this.#transmitFlight();
    this.#timer.stop(now);
    if (!final) this.#timer.start(now);
  }

  protected override onEstablished(now: number): void {
    this.#clientRandom = this.clientRandom;
    // the peer's last flight completed ours (the client of a full
    // handshake, the server of an abbreviated one); a final flight of
    // our own stays for when the peer repeats its flight
    if (!this.#flightFinal) {
      this.#flight = undefined;
      this.#timer.stop(now);
    }
  }

  protected override onWarning(): void {
    // RFC 5246 §7.2: warnings other than close_notify change nothing
  }

  #transmitFlight(): void {
    const flight = this.#flight;
    if (flight === undefined) return;
    const records: Uint8Array[] = [];
    for (const r of flight.records(this.#maxFragmentBody)) {
      records.push(this.#protect(r.epoch, r.type, r.fragment));
    }
    this.#out.push(...packDatagrams(records, this.#mtu - 48));
  }

  #protect(epoch: number, type: number, fragment: Uint8Array): Uint8Array {
    const state = this.#write[epoch]!;
    const seq = state.seq++;
    const cid = this.#peerCid;
    if (cid !== undefined && state.protection !== undefined) {
      // RFC 9146 §4: records under the negotiated keys carry the peer's CID
      return encodeRecord({
        type: ContentType.tls12_cid,
        version: DTLS_1_2,
        epoch,
        sequenceNumber: seq,
        cid,
        fragment: state.protection.seal(
          dtlsSequence(epoch, seq, SEQ),
          type,
          DTLS_1_2,
          fragment,
          { cid },
        ),
      });
    }
    const payload = state.protection === undefined
      ? fragment
      : state.protection.seal(
        dtlsSequence(epoch, seq, SEQ),
        type,
        DTLS_1_2,
        fragment,
      );
    return encodeRecord({
      type,
      version: DTLS_1_2,
      epoch,
      sequenceNumber: seq,
      fragment: payload,
    });
  }

  protected override writeRecords(type: number, data: Uint8Array): void {
    const limit = this.#agreement === undefined
      ? data.length
      : sendPlaintextLimit(this.#agreement, this.#writeEpoch > 0);
    if (data.length <= limit) {
      this.#out.push(this.#protect(this.#writeEpoch, type, data));
      return;
    }
    // RFC 6066 §4 / RFC 8449 §4: records within the peer's bound
    for (let at = 0; at < data.length; at += limit) {
      this.#out.push(
        this.#protect(this.#writeEpoch, type, data.subarray(at, at + limit)),
      );
    }
  }

  protected override release(): void {
    for (const w of this.#write) w?.protection?.release();
    this.#read.protection?.release();
    this.#nextRead?.release();
    this.#timer.stop();
    this.#flight = undefined;
    this.#buffered = [];
  }
}

/** Time from a flight's first transmission until the timer gives up. */
function retransmissionBudget(o: FlightTimerOptions): number {
  const max = o.maxTimeoutMs ?? 60_000;
  let t = o.initialTimeoutMs ?? 1000;
  let total = 0;
  for (let i = 0; i <= (o.maxRetransmissions ?? 7); i++) {
    total += t;
    t = Math.min(2 * t, max);
  }
  return total;
}

/** The record sequence numbers sealed and opened with: they copy it. */
const SEQ = new Uint8Array(8);

function recordSeq(r: DtlsRecord): Uint8Array {
  return dtlsSequence(r.epoch, r.sequenceNumber, SEQ);
}
