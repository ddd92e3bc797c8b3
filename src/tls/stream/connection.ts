/**
 * One TLS 1.2 connection over a byte stream (RFC 5246) as a sans-IO core,
 * in the shape of the DTLS association (`src/dtls/association.ts`):
 * `start(now)`, `handleInput(now, bytes)`, `handleTimeout(now)`,
 * `pollTransmit()`, `pollEvent()`, `nextTimeout()`, plus `send(data)`,
 * `close()` and `endOfStream()`. It owns the stream record layer — 5-byte
 * headers ({@link TlsRecordDecoder}), handshake messages coalesced into and
 * split across records ({@link HandshakeReader}), ChangeCipherSpec, alerts,
 * the 64-bit sequence numbers of each direction and record protection
 * (`record_protection.ts`) — and drives the handshake machine of
 * `src/tls/handshake/` that DTLS uses too, with 4-byte handshake headers.
 *
 * Rules implemented here (where TLS differs from DTLS, TLS is strict: a
 * byte stream has no loss or reordering to forgive):
 * - a record that fails to authenticate ends the connection with a fatal
 *   `bad_record_mac` (RFC 5246 §7.2.2), never saying which check failed;
 * - a record over 2^14 plaintext bytes (2^14 + 2048 protected) is
 *   `record_overflow`; an unknown content type, application data before
 *   the handshake completed, a ChangeCipherSpec out of place or inside a
 *   split handshake message are `unexpected_message` (RFC 5246 §6.2.1,
 *   §7.1); a zero-length handshake or alert record is `decode_error`;
 * - after the first handshake message every record must carry version
 *   TLS 1.2 (`protocol_version`);
 * - records sent carry at most 2^14 plaintext bytes, or what
 *   max_fragment_length (RFC 6066 §4) or record_size_limit (RFC 8449)
 *   agreed;
 * - renegotiation is refused: a ClientHello (server) or HelloRequest
 *   (client) on an established connection gets a `no_renegotiation`
 *   warning (RFC 5746 §4.4, §4.2);
 * - close_notify is answered with close_notify (RFC 5246 §7.2.1); a
 *   received fatal alert ends the connection without an answer; other
 *   warnings are reported and ignored;
 * - the handshake has a deadline ({@link TlsConnectionOptions.handshakeTimeoutMs})
 *   from `start`; when it passes the connection closes;
 * - every failure becomes a fatal alert chosen by `alertFor` (an unknown
 *   exception is `internal_error`); nothing escapes `handleInput`.
 *
 * What DTLS does alike (handshake actions, queued data, alerts,
 * renegotiation refused, failures) is {@link HandshakeDriver}'s.
 *
 * `handleInput` is async only because handshake crypto and the PSK lookup
 * are; inputs are processed strictly in order whether or not the caller
 * awaits. Record protection is synchronous.
 *
 * @example An in-memory PSK handshake and one message
 * ```ts
 * import { TlsConnection } from "./connection.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(16).fill(3);
 * const server = new TlsConnection({ role: "server", server: { psk: () => key } });
 * const client = new TlsConnection({ role: "client", client: { psk: { identity: "dev", key } } });
 * server.start(0);
 * client.start(0);
 * for (let i = 0; i < 4; i++) {
 *   const c = client.pollTransmit();
 *   if (c) await server.handleInput(0, c);
 *   const s = server.pollTransmit();
 *   if (s) await client.handleInput(0, s);
 * }
 * assert.equal(server.pollEvent()?.kind, "established");
 * client.send(new TextEncoder().encode("hi"));
 * await server.handleInput(0, client.pollTransmit()!);
 * const ev = server.pollEvent();
 * assert.equal(ev?.kind === "data" && new TextDecoder().decode(ev.data), "hi");
 * ```
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { CipherSuite } from "../cipher_suites.ts";
import { ContentType } from "../content_type.ts";
import { encodeHandshakeTls } from "../messages/handshake_header.ts";
import {
  createRecordProtection,
  MAX_PLAINTEXT_LENGTH,
  type RecordKeys,
  type RecordProtection,
  tlsSequence,
} from "../record_protection.ts";
import {
  type ClosedEvent,
  type DriverOptions,
  type EstablishedEvent,
  HandshakeDriver,
} from "../handshake/driver.ts";
import type { HandshakeAction } from "../handshake/types.ts";
import { encodeTlsRecord, type TlsRecord, TlsRecordDecoder } from "./record.ts";
import { HandshakeReader } from "./handshake_reader.ts";

/** TLS 1.2 on the wire. */
const TLS_1_2 = 0x0303;
const TLS_LAYER = { dtls: false } as const;

/**
 * What a TLS connection reports.
 *
 * @example
 * ```ts
 * import type { TlsConnectionEvent } from "./connection.ts";
 * const e: TlsConnectionEvent = { kind: "closed", reason: "peer closed" };
 * ```
 */
export type TlsConnectionEvent =
  | EstablishedEvent
  | { readonly kind: "data"; readonly data: Uint8Array }
  | {
    /** A warning alert from the peer other than close_notify (ignored). */
    readonly kind: "alert";
    readonly description: number;
    readonly name: string;
  }
  | ClosedEvent;

/**
 * Options of one connection.
 *
 * @example
 * ```ts
 * import type { TlsConnectionOptions } from "./connection.ts";
 * const o: TlsConnectionOptions = { role: "server", server: { psk: () => undefined }, handshakeTimeoutMs: 5000 };
 * ```
 */
export interface TlsConnectionOptions extends DriverOptions {
  /** Most time the handshake may take from `start`, ms (default 15 000, EMQX's `handshake_timeout`). */
  readonly handshakeTimeoutMs?: number;
}

interface Direction {
  protection: RecordProtection | undefined;
  seq: number;
}

/**
 * One TLS 1.2 connection (client or server role).
 *
 * @example
 * ```ts
 * import { TlsConnection } from "./connection.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new TlsConnection({ role: "client", client: { psk: { identity: "x", key: new Uint8Array(16) } } });
 * c.start(0);
 * const hello = c.pollTransmit()!;
 * assert.equal(hello[0], 22); // a handshake record
 * assert.equal(c.nextTimeout(), 15_000);
 * ```
 */
export class TlsConnection extends HandshakeDriver<TlsConnectionEvent> {
  readonly #decoder = new TlsRecordDecoder();
  readonly #reader = new HandshakeReader();
  readonly #handshakeTimeout: number;
  #deadline: number | undefined;
  #read: Direction = { protection: undefined, seq: 0 };
  #write: Direction = { protection: undefined, seq: 0 };
  #nextRead: RecordProtection | undefined;
  #handshakeOut: Uint8Array[] = [];
  #out: Uint8Array[] = [];
  #queue: Promise<void> = Promise.resolve();
  #strictVersion = false;

  /** @param options Role, handshake configuration, handshake timeout. */
  constructor(options: TlsConnectionOptions) {
    super(options, TLS_LAYER);
    this.#handshakeTimeout = options.handshakeTimeoutMs ?? 15_000;
  }

  protected override noun(): string {
    return "TLS connection";
  }

  /**
   * Starts the handshake clock; the client role also sends its ClientHello.
   *
   * @param now Current time in ms.
   */
  start(now: number): void {
    if (this.#deadline !== undefined) {
      throw new TypeError("Cannot start a TLS connection twice");
    }
    this.#deadline = now + this.#handshakeTimeout;
    try {
      this.startClient(now);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Feeds bytes read from the stream (copied: the caller may reuse its
   * buffer). Resolves when they and all earlier inputs are processed;
   * never rejects.
   *
   * @param now Current time in ms.
   * @param bytes What the stream delivered.
   */
  handleInput(now: number, bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice();
    this.#queue = this.#queue.then(() => this.#process(now, copy));
    return this.#queue;
  }

  /**
   * Runs the handshake deadline.
   *
   * @param now Current time in ms.
   */
  handleTimeout(now: number): void {
    if (this.closed || this.established) return;
    if (this.#deadline !== undefined && now >= this.#deadline) {
      this.finish({ kind: "closed", reason: "handshake timed out" });
    }
  }

  /** When `handleTimeout` wants to run next. */
  nextTimeout(): number | undefined {
    return this.closed || this.established ? undefined : this.#deadline;
  }

  /** Everything to write to the stream since the last call, as one buffer. */
  pollTransmit(): Uint8Array | undefined {
    const out = this.#out;
    if (out.length === 0) return undefined;
    this.#out = [];
    if (out.length === 1) return out[0];
    let length = 0;
    for (const b of out) length += b.length;
    const all = new Uint8Array(length);
    let off = 0;
    for (const b of out) {
      all.set(b, off);
      off += b.length;
    }
    return all;
  }

  /** The stream ended (TCP FIN or reset) without a close_notify. */
  endOfStream(): void {
    this.#queue = this.#queue.then(() => {
      if (this.closed) return;
      this.finish({
        kind: "closed",
        reason: this.established
          ? "stream ended without close_notify"
          : "stream ended during the handshake",
      });
    });
  }

  async #process(now: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    try {
      this.#decoder.push(bytes);
      for (let r = this.#decoder.next(); r; r = this.#decoder.next()) {
        await this.#record(now, r);
        if (this.closed) return;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  async #record(now: number, record: TlsRecord): Promise<void> {
    if (this.#strictVersion && record.version !== TLS_1_2) {
      throw new TlsAlertError(
        AlertDescription.protocol_version,
        `Record version 0x${
          record.version.toString(16)
        } after TLS 1.2 was agreed`,
      );
    }
    const read = this.#read;
    let plain = record.fragment;
    if (read.protection !== undefined) {
      const opened = read.protection.open(
        tlsSequence(read.seq),
        record.type,
        record.version,
        record.fragment,
      );
      if (opened === undefined) {
        throw new TlsAlertError(
          AlertDescription.bad_record_mac,
          "Record does not authenticate",
        );
      }
      plain = opened;
    } else if (plain.length > MAX_PLAINTEXT_LENGTH) {
      throw new TlsAlertError(
        AlertDescription.record_overflow,
        `Plaintext record of ${plain.length} bytes`,
      );
    }
    read.seq++;
    switch (record.type) {
      case ContentType.handshake:
        if (plain.length === 0) {
          throw new TlsAlertError(
            AlertDescription.decode_error,
            "Empty handshake record",
          );
        }
        for (const m of this.#reader.push(plain)) {
          await this.handshakeMessage(now, { kind: "message", ...m });
          if (this.closed) return;
        }
        return;
      case ContentType.change_cipher_spec:
        await this.#changeCipherSpec(now, plain);
        return;
      case ContentType.alert:
        this.alert(plain, true);
        return;
      case ContentType.application_data:
        if (!this.established) {
          throw new TlsAlertError(
            AlertDescription.unexpected_message,
            "Application data before the handshake completed",
          );
        }
        if (plain.length > 0) this.emit({ kind: "data", data: plain });
        return;
    }
  }

  protected override frame(type: number, body: Uint8Array): Uint8Array {
    return encodeHandshakeTls(type, body);
  }

  protected override handled(): void {
    this.#strictVersion = true;
  }

  async #changeCipherSpec(now: number, plain: Uint8Array): Promise<void> {
    if (plain.length !== 1 || plain[0] !== 1) {
      throw new TlsAlertError(
        AlertDescription.decode_error,
        "Malformed ChangeCipherSpec",
      );
    }
    // RFC 5246 §7.1: the CCS must come between whole handshake messages,
    // after the keys exist, where the handshake expects it
    if (
      this.#reader.pending || this.established ||
      !this.machine.expectsChangeCipherSpec || this.#nextRead === undefined
    ) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        "ChangeCipherSpec out of place",
      );
    }
    await this.changeCipherSpec(now);
    this.#read = { protection: this.#nextRead, seq: 0 };
    this.#nextRead = undefined;
  }

  protected override onWarning(description: number, name: string): void {
    this.emit({ kind: "alert", description, name });
  }

  protected override writeMessage(
    message: HandshakeAction & { readonly kind: "message" },
  ): void {
    this.#handshakeOut.push(message.framed);
  }

  protected override writeChangeCipherSpec(
    suite: CipherSuite,
    keys: RecordKeys,
  ): void {
    this.#flushHandshake();
    this.#sendRecord(ContentType.change_cipher_spec, CCS);
    this.#write = { protection: createRecordProtection(suite, keys), seq: 0 };
  }

  protected override nextReadKeys(suite: CipherSuite, keys: RecordKeys): void {
    this.#nextRead = createRecordProtection(suite, keys);
  }

  protected override endFlight(): void {
    this.#flushHandshake();
  }

  protected override onEstablished(): void {
    this.#flushHandshake();
  }

  /** Coalesces the pending handshake messages into as few records as fit. */
  #flushHandshake(): void {
    const parts = this.#handshakeOut;
    if (parts.length === 0) return;
    this.#handshakeOut = [];
    let length = 0;
    for (const p of parts) length += p.length;
    const all = new Uint8Array(length);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    this.writeRecords(ContentType.handshake, all);
  }

  protected override writeRecords(type: number, data: Uint8Array): void {
    const limit = this.#fragmentLimit();
    for (let off = 0; off < data.length; off += limit) {
      this.#sendRecord(
        type,
        data.subarray(off, Math.min(off + limit, data.length)),
      );
    }
  }

  /**
   * Largest plaintext per record sent: 2^14, or less as the hellos agreed
   * (RFC 6066 §4 max_fragment_length for every record once agreed, RFC 8449
   * record_size_limit for protected records).
   */
  #fragmentLimit(): number {
    const agreed = this.machine.recordLayer;
    let limit = MAX_PLAINTEXT_LENGTH;
    if (agreed?.maxFragmentLength !== undefined) {
      limit = Math.min(limit, agreed.maxFragmentLength);
    }
    if (
      this.#write.protection !== undefined &&
      agreed?.peerRecordSizeLimit !== undefined
    ) {
      limit = Math.min(limit, agreed.peerRecordSizeLimit);
    }
    return Math.max(limit, 64);
  }

  #sendRecord(type: number, plain: Uint8Array): void {
    const write = this.#write;
    const fragment = write.protection === undefined
      ? plain
      : write.protection.seal(tlsSequence(write.seq), type, TLS_1_2, plain);
    write.seq++;
    this.#out.push(encodeTlsRecord({ type, version: TLS_1_2, fragment }));
  }

  protected override release(): void {
    this.#handshakeOut = [];
    this.#nextRead = undefined;
  }
}

const CCS = new Uint8Array([1]);
