/**
 * Handshake messages from TLS handshake records (RFC 5246 §6.2.1, §7.4):
 * a record may hold several messages, and one message may span several
 * records. {@link HandshakeReader} joins the plaintext of consecutive
 * handshake records and returns whole messages with their 4-byte header
 * (the transcript form).
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import { TLS_HANDSHAKE_HEADER_LENGTH } from "../messages/handshake_header.ts";

/**
 * Largest handshake message body accepted (a Certificate with a long
 * chain is the biggest; OpenSSL's default limit is about 100 KiB).
 *
 * @example
 * ```ts
 * import { MAX_HANDSHAKE_MESSAGE_LENGTH } from "./handshake_reader.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_HANDSHAKE_MESSAGE_LENGTH, 131072);
 * ```
 */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 128 * 1024;

/**
 * One whole handshake message.
 *
 * @example
 * ```ts
 * import type { StreamHandshakeMessage } from "./handshake_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const m: StreamHandshakeMessage = { type: 14, body: new Uint8Array(0), framed: new Uint8Array([14, 0, 0, 0]) };
 * assert.equal(m.framed.length, 4);
 * ```
 */
export interface StreamHandshakeMessage {
  /** HandshakeType. */
  readonly type: number;
  /** The body. */
  readonly body: Uint8Array;
  /** Header and body, as the transcript takes it. */
  readonly framed: Uint8Array;
}

/**
 * Reassembles handshake messages from record fragments.
 *
 * @example A message split over two records, then two in one record
 * ```ts
 * import { HandshakeReader } from "./handshake_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new HandshakeReader();
 * assert.deepEqual(r.push(new Uint8Array([20, 0, 0, 2, 7])), []);
 * assert.equal(r.pending, true);
 * assert.equal(r.push(new Uint8Array([8]))[0]?.body.length, 2);
 * assert.equal(r.push(new Uint8Array([14, 0, 0, 0, 14, 0, 0, 0])).length, 2);
 * assert.equal(r.pending, false);
 * ```
 */
export class HandshakeReader {
  #buffer = new Uint8Array(0);

  /** Whether part of a message is waiting for its next record. */
  get pending(): boolean {
    return this.#buffer.length > 0;
  }

  /**
   * Adds one handshake record's plaintext.
   *
   * @param fragment The plaintext.
   * @returns The messages it completed, in order.
   * @throws {TlsAlertError} `decode_error` for a message longer than
   *   {@link MAX_HANDSHAKE_MESSAGE_LENGTH}.
   */
  push(fragment: Uint8Array): StreamHandshakeMessage[] {
    let data = fragment;
    if (this.#buffer.length > 0) {
      data = new Uint8Array(this.#buffer.length + fragment.length);
      data.set(this.#buffer);
      data.set(fragment, this.#buffer.length);
    }
    const out: StreamHandshakeMessage[] = [];
    let off = 0;
    while (data.length - off >= TLS_HANDSHAKE_HEADER_LENGTH) {
      const length = (data[off + 1]! << 16) | (data[off + 2]! << 8) |
        data[off + 3]!;
      if (length > MAX_HANDSHAKE_MESSAGE_LENGTH) {
        throw new TlsAlertError(
          AlertDescription.decode_error,
          `Handshake message of ${length} bytes exceeds ${MAX_HANDSHAKE_MESSAGE_LENGTH}`,
        );
      }
      const end = off + TLS_HANDSHAKE_HEADER_LENGTH + length;
      if (end > data.length) break;
      const framed = data.slice(off, end);
      out.push({
        type: framed[0]!,
        body: framed.subarray(TLS_HANDSHAKE_HEADER_LENGTH),
        framed,
      });
      off = end;
    }
    this.#buffer = data.slice(off);
    return out;
  }
}
