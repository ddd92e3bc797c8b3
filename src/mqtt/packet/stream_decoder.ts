/**
 * An incremental MQTT packet decoder: bytes go in with `push()` in chunks of
 * any size and split anywhere, whole packets come out of `next()`.
 *
 * ```
 *  push(chunk) ──► [ buffer: consumed | pending bytes | free ] ──► next()
 *                          ▲ start          ▲ end
 * ```
 *
 * The pending bytes live in one growable buffer: `push()` appends (moving
 * the pending tail to the front, or growing, only when the free space runs
 * out), so each byte is copied a bounded number of times whatever the
 * chunking. Each packet handed out is copied out of the buffer (into pooled
 * memory, see `types.ts`), so it stays valid when the buffer is reused;
 * `push()` never keeps a reference to the caller's chunk, which may be a
 * reused read buffer.
 *
 * Checks happen as early as the bytes allow: the type byte is checked on
 * arrival (reserved type and flags, CONNECT first [MQTT-3.1.0-1], no second
 * CONNECT [MQTT-3.1.0-2]), and the packet size against `maximumPacketSize`
 * as soon as the Remaining Length is known, before the body is awaited.
 * After an error the decoder stays failed: `next()` rethrows the same
 * {@link MqttError}, `push()` drops its input and the buffer is released.
 *
 * @module
 */

import { MqttError } from "../errors.ts";
import type { MqttVersion } from "../errors.ts";
import { decodePacket } from "./codec.ts";
import { decodeConnect } from "./connect.ts";
import {
  checkHeaderFlags,
  MAX_PACKET_SIZE,
  readRemainingLength,
  varintSize,
} from "./fixed_header.ts";
import type { Packet } from "./types.ts";
import { copyBytes } from "./_alloc.ts";

const INITIAL_CAPACITY = 256;
const SHRINK_ABOVE = 1 << 20;

/** Options of {@link MqttStreamDecoder}. */
export interface StreamDecoderOptions {
  /**
   * Protocol level, when known in advance (a client knows what it sent).
   * Otherwise it is taken from the CONNECT or set with `setVersion()`.
   */
  version?: MqttVersion;
  /**
   * Largest whole packet accepted, fixed header included. Larger packets
   * fail with kind `packet_too_large` (reason 0x95) as soon as their
   * Remaining Length is read. Default: the protocol maximum, 268,435,460.
   */
  maximumPacketSize?: number;
  /**
   * Server side: the first packet must be CONNECT [MQTT-3.1.0-1] and a
   * second CONNECT is a Protocol Error [MQTT-3.1.0-2]. Default: `true` when
   * no `version` is given, `false` otherwise.
   */
  expectConnect?: boolean;
}

/**
 * Decodes a byte stream into MQTT packets, accepting any split of the
 * stream, including one byte at a time.
 *
 * @example Server side: CONNECT first, then PINGREQ, fed in pieces
 * ```ts
 * import { MqttStreamDecoder } from "./stream_decoder.ts";
 * import { decodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const decoder = new MqttStreamDecoder({ maximumPacketSize: 1024 });
 * const bytes = decodeHex("100d00044d5154540402003c000161" + "c000");
 * decoder.push(bytes.subarray(0, 3));
 * assert.equal(decoder.next(), undefined);
 * decoder.push(bytes.subarray(3));
 * const types = [...decoder].map((p) => p.type);
 * assert.deepEqual(types, ["connect", "pingreq"]);
 * assert.equal(decoder.version, 4);
 * ```
 */
export class MqttStreamDecoder {
  #buf: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  #start = 0;
  #end = 0;
  #version: MqttVersion | undefined;
  readonly #max: number;
  readonly #expectConnect: boolean;
  #sawConnect = false;
  #error: MqttError | undefined;

  /** @param options Version, maximum packet size and CONNECT rules. */
  constructor(options?: StreamDecoderOptions) {
    const max = options?.maximumPacketSize ?? MAX_PACKET_SIZE;
    if (!Number.isInteger(max) || max < 2 || max > MAX_PACKET_SIZE) {
      throw new RangeError(
        `Cannot create MqttStreamDecoder: maximumPacketSize ${max} is outside 2..${MAX_PACKET_SIZE}`,
      );
    }
    this.#max = max;
    this.#version = options?.version;
    this.#expectConnect = options?.expectConnect ??
      options?.version === undefined;
  }

  /** The protocol level in force, once known. */
  get version(): MqttVersion | undefined {
    return this.#version;
  }

  /** Bytes received and not yet handed out as packets. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** The error that stopped the decoder, if any. */
  get error(): MqttError | undefined {
    return this.#error;
  }

  /**
   * Sets the protocol level, e.g. on the client side after CONNECT was sent.
   *
   * @example
   * ```ts
   * import { MqttStreamDecoder } from "./stream_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const d = new MqttStreamDecoder({ expectConnect: false });
   * d.setVersion(5);
   * d.push(new Uint8Array([0x20, 0x03, 0x00, 0x00, 0x00]));
   * assert.deepEqual(d.next(), { type: "connack", sessionPresent: false, reasonCode: 0 });
   * ```
   */
  setVersion(version: MqttVersion): void {
    this.#version = version;
  }

  /**
   * Appends a chunk of the byte stream. The chunk is copied: the caller may
   * reuse it at once. Call `next()` until it returns `undefined` before
   * pushing more, so that the buffer holds at most one partial packet.
   *
   * @example
   * ```ts
   * import { MqttStreamDecoder } from "./stream_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const d = new MqttStreamDecoder({ version: 4 });
   * d.push(new Uint8Array([0xd0]));
   * assert.equal(d.bufferedBytes, 1);
   * ```
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    const n = chunk.length;
    if (n === 0) return;
    const pending = this.#end - this.#start;
    if (pending === 0) {
      this.#start = 0;
      this.#end = 0;
      if (this.#buf.length > SHRINK_ABOVE && n <= INITIAL_CAPACITY) {
        this.#buf = new Uint8Array(INITIAL_CAPACITY);
      }
    }
    if (this.#buf.length - this.#end < n) {
      if (this.#buf.length >= pending + n && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let size = this.#buf.length * 2;
        while (size < pending + n) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += n;
  }

  /**
   * Returns the next whole packet, or `undefined` when more bytes are needed.
   *
   * @throws {MqttError} (only) when the stream is malformed, breaks the
   * protocol or carries a packet over `maximumPacketSize`; the decoder then
   * stays failed.
   *
   * @example
   * ```ts
   * import { MqttStreamDecoder } from "./stream_decoder.ts";
   * import { MqttError } from "../errors.ts";
   * import assert from "node:assert/strict";
   *
   * const d = new MqttStreamDecoder({ version: 5, maximumPacketSize: 100 });
   * d.push(new Uint8Array([0x30, 0xff, 0x7f])); // PUBLISH of 16,386 bytes
   * assert.throws(() => d.next(), (e) => e instanceof MqttError && e.reasonCode === 0x95);
   * ```
   */
  next(): Packet | undefined {
    if (this.#error !== undefined) throw this.#error;
    try {
      return this.#next();
    } catch (e) {
      const error = e instanceof MqttError ? e : new MqttError(
        "malformed",
        "Cannot decode packet: unexpected decoder failure",
        { cause: e, protocolVersion: this.#version },
      );
      this.#error = error;
      this.#buf = new Uint8Array(0);
      this.#start = 0;
      this.#end = 0;
      throw error;
    }
  }

  #next(): Packet | undefined {
    const start = this.#start;
    const end = this.#end;
    if (start === end) return undefined;
    const buf = this.#buf;
    const byte1 = buf[start] as number;
    const type = byte1 >> 4;
    this.#checkType(type, byte1 & 0x0f);
    const rl = readRemainingLength(buf, start, end);
    if (rl < 0) return undefined;
    const total = 1 + varintSize(rl) + rl;
    if (total > this.#max) {
      throw new MqttError(
        "packet_too_large",
        `Cannot accept packet of ${total} bytes: maximum is ${this.#max}`,
        { protocolVersion: this.#version },
      );
    }
    if (end - start < total) return undefined;
    const packet = copyBytes(buf, start, start + total);
    this.#start = start + total;
    if (this.#start === end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (type === 1) {
      const connect = decodeConnect(packet);
      this.#sawConnect = true;
      this.#version = connect.protocolVersion;
      return connect;
    }
    return decodePacket(packet, this.#version as MqttVersion);
  }

  #checkType(type: number, flags: number): void {
    if (this.#expectConnect) {
      if (!this.#sawConnect && type !== 1) {
        throw new MqttError(
          "protocol",
          "Cannot accept packet: the first packet must be CONNECT",
          { protocolVersion: this.#version },
        ); // [MQTT-3.1.0-1]
      }
      if (this.#sawConnect && type === 1) {
        throw new MqttError(
          "protocol",
          "Cannot accept CONNECT: a second CONNECT on one connection",
          { protocolVersion: this.#version },
        ); // [MQTT-3.1.0-2]
      }
    }
    if (type === 1) {
      checkHeaderFlags(type, flags, undefined);
      return;
    }
    if (this.#version === undefined) {
      throw new MqttError(
        "protocol",
        "Cannot decode packet: protocol version unknown before CONNECT",
      );
    }
    checkHeaderFlags(type, flags, this.#version);
  }

  /**
   * Iterates over the whole packets available now.
   *
   * @example
   * ```ts
   * import { MqttStreamDecoder } from "./stream_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const d = new MqttStreamDecoder({ version: 4 });
   * d.push(new Uint8Array([0xd0, 0x00, 0xd0, 0x00, 0xd0]));
   * assert.equal([...d].length, 2);
   * ```
   */
  *[Symbol.iterator](): Generator<Packet, void, undefined> {
    for (let p = this.next(); p !== undefined; p = this.next()) yield p;
  }
}
