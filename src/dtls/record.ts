/**
 * The DTLS 1.2 record header codec (RFC 6347 §4.1) and its Connection ID
 * form (RFC 9146 §4), and the splitting of a datagram into records.
 *
 * ```text
 * struct {                              struct {   // RFC 9146, type tls12_cid
 *   ContentType type;                     ContentType special_type = tls12_cid;
 *   ProtocolVersion version;              ProtocolVersion version;
 *   uint16 epoch;                         uint16 epoch;
 *   uint48 sequence_number;               uint48 sequence_number;
 *   uint16 length;                        opaque cid[cid_length];   // no length byte
 *   opaque fragment[length];              uint16 length;
 * } DTLSPlaintext / DTLSCiphertext;       opaque enc_content[length];
 *                                       } DTLSCiphertext;
 * ```
 *
 * A datagram may carry several records (RFC 6347 §4.1.1). Invalid records
 * are silently discarded (RFC 6347 §4.1.2.7), so {@link decodeDatagram}
 * never throws: it returns the records it could read and how many it
 * dropped. Record protection, replay checks and epoch handling are the
 * caller's (see `record_protection.ts` and `replay_window.ts`).
 *
 * @module
 */

import { ByteReader, DecodeError } from "../bytes/mod.ts";
import { ContentType } from "../tls/content_type.ts";
import { dtlsSequence } from "../tls/record_protection.ts";

/**
 * DTLS 1.2 on the wire (RFC 6347 §4.1: the 1's complement of 1.2).
 *
 * @example
 * ```ts
 * import { DTLS_1_2 } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DTLS_1_2, 0xfefd);
 * ```
 */
export const DTLS_1_2 = 0xfefd;

/**
 * DTLS 1.0 on the wire. RFC 6347 §4.1 lets a client send its first
 * ClientHello in a record with this version, so the decoder accepts it;
 * the handshake layer decides where it is allowed.
 *
 * @example
 * ```ts
 * import { DTLS_1_0 } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DTLS_1_0, 0xfeff);
 * ```
 */
export const DTLS_1_0 = 0xfeff;

/**
 * Bytes of a DTLS record header without connection ID.
 *
 * @example
 * ```ts
 * import { DTLS_RECORD_HEADER_LENGTH } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DTLS_RECORD_HEADER_LENGTH, 13);
 * ```
 */
export const DTLS_RECORD_HEADER_LENGTH = 13;

/**
 * Largest record fragment accepted: `2^14 + 2048`, the DTLSCiphertext
 * bound of RFC 6347 §4.1 / RFC 5246 §6.2.3. Longer records are dropped.
 *
 * @example
 * ```ts
 * import { MAX_RECORD_FRAGMENT_LENGTH } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_RECORD_FRAGMENT_LENGTH, 18432);
 * ```
 */
export const MAX_RECORD_FRAGMENT_LENGTH: number = 16384 + 2048;

/** Largest sequence number, 2^48 - 1 (RFC 6347 §4.1). */
const MAX_SEQUENCE = 2 ** 48 - 1;

/**
 * One DTLS record as it is on the wire (fragment still protected).
 *
 * @example
 * ```ts
 * import { type DtlsRecord, encodeRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const r: DtlsRecord = { type: 21, version: 0xfefd, epoch: 0, sequenceNumber: 3, fragment: new Uint8Array([2, 40]) };
 * assert.equal(encodeRecord(r).length, 15);
 * ```
 */
export interface DtlsRecord {
  /** Content type; `tls12_cid` (25) for RFC 9146 records. */
  readonly type: number;
  /** Record version, {@link DTLS_1_2} or {@link DTLS_1_0}. */
  readonly version: number;
  /** Epoch, 0..65535. */
  readonly epoch: number;
  /** Sequence number within the epoch, 0..2^48-1. */
  readonly sequenceNumber: number;
  /** The connection ID, present exactly when `type` is `tls12_cid`. */
  readonly cid?: Uint8Array;
  /**
   * The record fragment. Decoded records hold a view into the datagram, not
   * a copy: copy it before the datagram buffer is reused.
   */
  readonly fragment: Uint8Array;
}

/**
 * Options of {@link decodeDatagram}.
 *
 * @example
 * ```ts
 * import { decodeDatagram, type DecodeDatagramOptions } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const options: DecodeDatagramOptions = { cidLength: 4 };
 * assert.equal(decodeDatagram(new Uint8Array(), options).records.length, 0);
 * ```
 */
export interface DecodeDatagramOptions {
  /**
   * Length of the connection ID this endpoint asked its peer to send
   * (RFC 9146 §3). The CID has no length byte on the wire, so without this a
   * `tls12_cid` record cannot be parsed and is dropped.
   */
  readonly cidLength?: number;
}

/**
 * What {@link decodeDatagram} found in one datagram.
 *
 * @example
 * ```ts
 * import { decodeDatagram, type DecodedDatagram } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const out: DecodedDatagram = decodeDatagram(new Uint8Array([23, 0xfe]));
 * assert.equal(out.dropped, 1);
 * assert.equal(out.error?.what, "DTLSPlaintext.version");
 * ```
 */
export interface DecodedDatagram {
  /** The records parsed before any malformed one, in datagram order. */
  readonly records: DtlsRecord[];
  /**
   * Records discarded (RFC 6347 §4.1.2.7): 0, or 1 when parsing stopped at
   * a malformed record (whatever followed it is counted in that one).
   */
  readonly dropped: number;
  /** Why parsing stopped, for logs; present when `dropped` is 1. */
  readonly error?: DecodeError;
}

function knownType(type: number): boolean {
  return type >= ContentType.change_cipher_spec &&
    type <= ContentType.tls12_cid;
}

/**
 * Reads one record from `reader`.
 *
 * @param reader Positioned at a record header.
 * @param options `cidLength` as for {@link decodeDatagram}.
 * @returns The record; its fragment is a view into the reader's bytes.
 * @throws {DecodeError} for a truncated, over-long or invalid record.
 *
 * @example
 * ```ts
 * import { decodeRecord, encodeRecord } from "./record.ts";
 * import { ByteReader } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 5, fragment: new Uint8Array([9]) });
 * const r = new ByteReader(bytes);
 * assert.equal(decodeRecord(r).sequenceNumber, 5);
 * assert.equal(r.remaining, 0);
 * ```
 */
export function decodeRecord(
  reader: ByteReader,
  options: DecodeDatagramOptions = {},
): DtlsRecord {
  const start = reader.absolutePosition;
  const type = reader.uint8("DTLSPlaintext.type");
  if (!knownType(type)) {
    throw new DecodeError(
      "DTLSPlaintext.type",
      start,
      `unknown content type ${type}`,
    );
  }
  const version = reader.uint16("DTLSPlaintext.version");
  // RFC 6347 §4.1: 1.2 records, and 1.0 for the first ClientHello
  if (version !== DTLS_1_2 && version !== DTLS_1_0) {
    throw new DecodeError(
      "DTLSPlaintext.version",
      start + 1,
      `unsupported version 0x${version.toString(16)}`,
    );
  }
  const epoch = reader.uint16("DTLSPlaintext.epoch");
  const sequenceNumber = reader.uint48("DTLSPlaintext.sequence_number");
  let cid: Uint8Array | undefined;
  if (type === ContentType.tls12_cid) {
    // RFC 9146 §4: the CID length is known to the receiver, not sent
    const cidLength = options.cidLength;
    if (cidLength === undefined || cidLength === 0) {
      throw new DecodeError(
        "DTLSCiphertext.cid",
        start,
        "tls12_cid record without a negotiated connection ID",
      );
    }
    cid = reader.take(cidLength, "DTLSCiphertext.cid");
  }
  const length = reader.uint16("DTLSPlaintext.length");
  // RFC 6347 §4.1 / RFC 5246 §6.2.3: at most 2^14 + 2048
  if (length > MAX_RECORD_FRAGMENT_LENGTH) {
    throw new DecodeError(
      "DTLSPlaintext.length",
      reader.absolutePosition - 2,
      `${length} exceeds ${MAX_RECORD_FRAGMENT_LENGTH}`,
    );
  }
  const fragment = reader.take(length, "DTLSPlaintext.fragment");
  return cid === undefined
    ? { type, version, epoch, sequenceNumber, fragment }
    : { type, version, epoch, sequenceNumber, cid, fragment };
}

/**
 * Splits a datagram into its records. Never throws: parsing stops at the
 * first malformed record (truncated, over-long, unknown type or version, a
 * `tls12_cid` record without `cidLength`) and the records before it are
 * returned, with `dropped: 1` so that the caller can count discards
 * (RFC 6347 §4.1.2.7).
 *
 * @param datagram One UDP payload.
 * @param options `cidLength` when a connection ID was negotiated.
 *
 * @example Two records, then garbage
 * ```ts
 * import { decodeDatagram, encodeRecord } from "./record.ts";
 * import { concatBytes } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const rec = (seq: number) =>
 *   encodeRecord({ type: 22, version: 0xfefd, epoch: 0, sequenceNumber: seq, fragment: new Uint8Array(3) });
 * const { records, dropped } = decodeDatagram(concatBytes(rec(0), rec(1), new Uint8Array([22, 1])));
 * assert.deepEqual(records.map((r) => r.sequenceNumber), [0, 1]);
 * assert.equal(dropped, 1);
 * ```
 */
export function decodeDatagram(
  datagram: Uint8Array,
  options: DecodeDatagramOptions = {},
): DecodedDatagram {
  const records: DtlsRecord[] = [];
  const reader = new ByteReader(datagram);
  while (reader.anyLeft()) {
    try {
      records.push(decodeRecord(reader, options));
    } catch (e) {
      if (e instanceof DecodeError) return { records, dropped: 1, error: e };
      throw e;
    }
  }
  return { records, dropped: 0 };
}

/**
 * Encodes one record: header (with the CID when present) and fragment.
 *
 * @param record The record; `cid` must be present exactly when `type` is
 *   `tls12_cid`.
 * @returns The record bytes.
 * @throws {RangeError} for out-of-range fields or a fragment longer than
 *   {@link MAX_RECORD_FRAGMENT_LENGTH}; {@link TypeError} for a CID that
 *   does not match the type.
 *
 * @example A Connection ID record
 * ```ts
 * import { decodeDatagram, encodeRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const cid = new Uint8Array([0xaa, 0xbb]);
 * const bytes = encodeRecord({ type: 25, version: 0xfefd, epoch: 1, sequenceNumber: 2, cid, fragment: new Uint8Array(4) });
 * assert.equal(bytes.length, 13 + 2 + 4);
 * assert.deepEqual(decodeDatagram(bytes, { cidLength: 2 }).records[0]?.cid, cid);
 * ```
 */
export function encodeRecord(record: DtlsRecord): Uint8Array {
  const isCid = record.type === ContentType.tls12_cid;
  if (isCid !== (record.cid !== undefined)) {
    throw new TypeError(
      "Cannot encode a DTLS record: a connection ID goes with type tls12_cid and only there",
    );
  }
  if (
    !Number.isInteger(record.sequenceNumber) || record.sequenceNumber < 0 ||
    record.sequenceNumber > MAX_SEQUENCE
  ) {
    throw new RangeError(
      `Cannot encode a DTLS record: sequence number ${record.sequenceNumber} is not a 48-bit value`,
    );
  }
  if (record.fragment.length > MAX_RECORD_FRAGMENT_LENGTH) {
    throw new RangeError(
      `Cannot encode a DTLS record of ${record.fragment.length} bytes: at most ${MAX_RECORD_FRAGMENT_LENGTH} allowed`,
    );
  }
  if (
    !Number.isInteger(record.epoch) || record.epoch < 0 || record.epoch > 0xffff
  ) {
    throw new RangeError(
      `Cannot encode a DTLS record: epoch ${record.epoch} is not a 16-bit value`,
    );
  }
  if (
    !Number.isInteger(record.type) || record.type < 0 || record.type > 0xff ||
    !Number.isInteger(record.version) || record.version < 0 ||
    record.version > 0xffff
  ) {
    throw new RangeError(
      `Cannot encode a DTLS record: bad type ${record.type} or version ${record.version}`,
    );
  }
  const cid = record.cid;
  const cidLength = cid?.length ?? 0;
  // RFC 9146 §3: a zero-length CID means no tls12_cid records; cid<0..255>
  if (cid !== undefined && (cidLength === 0 || cidLength > 255)) {
    throw new RangeError(
      `Cannot encode a DTLS record: connection ID of ${cidLength} bytes`,
    );
  }
  const header = DTLS_RECORD_HEADER_LENGTH + cidLength;
  const out = new Uint8Array(header + record.fragment.length);
  out[0] = record.type;
  out[1] = record.version >>> 8;
  out[2] = record.version & 0xff;
  out[3] = record.epoch >>> 8;
  out[4] = record.epoch & 0xff;
  const high = Math.floor(record.sequenceNumber / 2 ** 32);
  const low = record.sequenceNumber >>> 0;
  out[5] = high >>> 8;
  out[6] = high & 0xff;
  out[7] = low >>> 24;
  out[8] = (low >>> 16) & 0xff;
  out[9] = (low >>> 8) & 0xff;
  out[10] = low & 0xff;
  if (cid !== undefined) out.set(cid, 11);
  out[header - 2] = record.fragment.length >>> 8;
  out[header - 1] = record.fragment.length & 0xff;
  out.set(record.fragment, header);
  return out;
}

/**
 * The 8-byte `epoch || sequence_number` of a record, as record protection
 * takes it (RFC 6347 §4.1.2.1).
 *
 * @example
 * ```ts
 * import { recordSequence } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const seq = recordSequence({ epoch: 2, sequenceNumber: 1 });
 * assert.deepEqual(seq, new Uint8Array([0, 2, 0, 0, 0, 0, 0, 1]));
 * ```
 */
export function recordSequence(
  record: Pick<DtlsRecord, "epoch" | "sequenceNumber">,
): Uint8Array {
  return dtlsSequence(record.epoch, record.sequenceNumber);
}

/**
 * Packs encoded records into as few datagrams as possible, keeping their
 * order, each at most `maxDatagramSize` bytes (RFC 6347 §4.1.1: records do
 * not span datagrams; several may share one). A record larger than the
 * limit travels alone in a datagram of its own.
 *
 * @param records Encoded records, in sending order.
 * @param maxDatagramSize The UDP payload budget (PMTU minus IP/UDP headers).
 * @returns The datagrams.
 *
 * @example
 * ```ts
 * import { packDatagrams } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const d = packDatagrams([new Uint8Array(600), new Uint8Array(600), new Uint8Array(600)], 1232);
 * assert.deepEqual(d.map((x) => x.length), [1200, 600]);
 * ```
 */
export function packDatagrams(
  records: readonly Uint8Array[],
  maxDatagramSize: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return;
    if (batch.length === 1) {
      out.push(batch[0]!);
      batch = [];
      size = 0;
      return;
    }
    const d = new Uint8Array(size);
    let off = 0;
    for (const r of batch) {
      d.set(r, off);
      off += r.length;
    }
    out.push(d);
    batch = [];
    size = 0;
  };
  for (const r of records) {
    if (size + r.length > maxDatagramSize) flush();
    batch.push(r);
    size += r.length;
  }
  flush();
  return out;
}
