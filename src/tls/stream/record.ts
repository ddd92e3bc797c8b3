/**
 * The TLS 1.2 record header on a byte stream (RFC 5246 §6.2): a 5-byte
 * header, then the fragment.
 *
 * ```text
 * struct {
 *     ContentType type;           // 1 byte
 *     ProtocolVersion version;    // 2 bytes, {3, 3} for TLS 1.2
 *     uint16 length;              // at most 2^14 + 2048 (§6.2.3)
 *     opaque fragment[length];
 * } TLSCiphertext;
 * ```
 *
 * {@link TlsRecordDecoder} cuts a byte stream that arrives in arbitrary
 * chunks into whole records. It checks what the header alone tells: a
 * content type TLS 1.2 knows (else `unexpected_message`), major version 3
 * (else the stream is not TLS: `protocol_version`), and a length within
 * the ciphertext bound (else `record_overflow`, RFC 5246 §6.2.3). What a
 * fragment holds is the connection's business.
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import { ContentType } from "../content_type.ts";
import { MAX_PLAINTEXT_LENGTH } from "../record_protection.ts";

/**
 * Bytes of a TLS record header.
 *
 * @example
 * ```ts
 * import { TLS_RECORD_HEADER_LENGTH } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TLS_RECORD_HEADER_LENGTH, 5);
 * ```
 */
export const TLS_RECORD_HEADER_LENGTH = 5;

/**
 * Largest fragment of a protected record: 2^14 + 2048 (RFC 5246 §6.2.3).
 *
 * @example
 * ```ts
 * import { MAX_CIPHERTEXT_LENGTH } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_CIPHERTEXT_LENGTH, 18432);
 * ```
 */
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 2048;

/**
 * One record as read from the stream.
 *
 * @example
 * ```ts
 * import type { TlsRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const r: TlsRecord = { type: 21, version: 0x0303, fragment: new Uint8Array([1, 0]) };
 * assert.equal(r.fragment.length, 2);
 * ```
 */
export interface TlsRecord {
  /** ContentType. */
  readonly type: number;
  /** The header's ProtocolVersion. */
  readonly version: number;
  /** The fragment, protected or not. */
  readonly fragment: Uint8Array;
}

/**
 * Encodes one record.
 *
 * @param record Type, version and fragment (at most {@link MAX_CIPHERTEXT_LENGTH} bytes).
 * @returns Header and fragment.
 * @throws {RangeError} if the fragment is too long (a caller bug).
 *
 * @example
 * ```ts
 * import { encodeTlsRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeTlsRecord({ type: 21, version: 0x0303, fragment: new Uint8Array([1, 0]) }),
 *   new Uint8Array([21, 3, 3, 0, 2, 1, 0]),
 * );
 * ```
 */
export function encodeTlsRecord(record: TlsRecord): Uint8Array {
  const { type, version, fragment } = record;
  if (fragment.length > MAX_CIPHERTEXT_LENGTH) {
    throw new RangeError(
      `Cannot encode a record of ${fragment.length} bytes: the limit is ${MAX_CIPHERTEXT_LENGTH}`,
    );
  }
  const out = new Uint8Array(TLS_RECORD_HEADER_LENGTH + fragment.length);
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, TLS_RECORD_HEADER_LENGTH);
  return out;
}

const KNOWN_TYPES: ReadonlySet<number> = new Set([
  ContentType.change_cipher_spec,
  ContentType.alert,
  ContentType.handshake,
  ContentType.application_data,
]);

/**
 * Cuts a byte stream into records. Feed bytes with
 * {@link TlsRecordDecoder.push}, take records with
 * {@link TlsRecordDecoder.next} until it returns `undefined`.
 *
 * @example Two records split over three chunks
 * ```ts
 * import { TlsRecordDecoder } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const d = new TlsRecordDecoder();
 * d.push(new Uint8Array([21, 3, 3, 0]));
 * assert.equal(d.next(), undefined);
 * d.push(new Uint8Array([2, 1, 0, 23, 3, 3]));
 * assert.deepEqual(d.next(), { type: 21, version: 0x0303, fragment: new Uint8Array([1, 0]) });
 * d.push(new Uint8Array([0, 1, 9]));
 * assert.equal(d.next()?.type, 23);
 * assert.equal(d.buffered, 0);
 * ```
 */
export class TlsRecordDecoder {
  #chunks: Uint8Array[] = [];
  #length = 0;

  /** Bytes received and not yet returned as records. */
  get buffered(): number {
    return this.#length;
  }

  /**
   * Appends received bytes (kept by reference: do not reuse the buffer).
   *
   * @param bytes What the stream delivered.
   */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /**
   * The next whole record, or `undefined` until more bytes arrive.
   *
   * @returns A record.
   * @throws {TlsAlertError} `unexpected_message`, `protocol_version` or
   *   `record_overflow` for a header that cannot start a TLS 1.2 record.
   */
  next(): TlsRecord | undefined {
    if (this.#length < TLS_RECORD_HEADER_LENGTH) return undefined;
    const head = this.#peek(TLS_RECORD_HEADER_LENGTH);
    const type = head[0]!;
    const version = (head[1]! << 8) | head[2]!;
    const length = (head[3]! << 8) | head[4]!;
    if (head[1] !== 3) {
      throw new TlsAlertError(
        AlertDescription.protocol_version,
        `Record version 0x${version.toString(16)} is not TLS`,
      );
    }
    if (!KNOWN_TYPES.has(type)) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        `Record of unknown content type ${type}`,
      );
    }
    if (length > MAX_CIPHERTEXT_LENGTH) {
      throw new TlsAlertError(
        AlertDescription.record_overflow,
        `Record of ${length} bytes exceeds ${MAX_CIPHERTEXT_LENGTH}`,
      );
    }
    if (this.#length < TLS_RECORD_HEADER_LENGTH + length) return undefined;
    const whole = this.#take(TLS_RECORD_HEADER_LENGTH + length);
    return {
      type,
      version,
      fragment: whole.subarray(TLS_RECORD_HEADER_LENGTH),
    };
  }

  /** The first `n` bytes without consuming them (n ≤ buffered). */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first;
    this.#merge();
    return this.#chunks[0]!;
  }

  /** Removes and returns the first `n` bytes (n ≤ buffered). */
  #take(n: number): Uint8Array {
    let first = this.#chunks[0]!;
    if (first.length < n) {
      this.#merge();
      first = this.#chunks[0]!;
    }
    this.#length -= n;
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    this.#chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }

  #merge(): void {
    const all = new Uint8Array(this.#length);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    this.#chunks = [all];
  }
}
