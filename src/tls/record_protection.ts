/**
 * TLS 1.2 and DTLS 1.2 record payload protection, shared by the DTLS record
 * layer and the TLS-over-TCP stream record layer: it turns a plaintext
 * fragment into a protected record fragment and back, for one direction and
 * one epoch. It knows nothing about record headers on the wire; the caller
 * passes the fields that are authenticated.
 *
 * - **AEAD** suites (AES-GCM RFC 5288 §3, AES-CCM and CCM_8 RFC 6655 §3,
 *   RFC 5246 §6.2.3.3): `fragment = nonce_explicit(8) || ciphertext || tag`,
 *   `nonce = fixed_iv(4) || nonce_explicit`, and the explicit nonce is the
 *   64-bit record sequence number (DTLS: epoch(2) || sequence_number(6)), so
 *   it never repeats under one key (RFC 9325 §7.2.1). On `open` the explicit
 *   nonce is read from the fragment, as RFC 5288 §3 requires, so peers that
 *   send random explicit nonces still interoperate.
 *   `additional_data = seq_num(8) || type || version(2) || length(2)`.
 * - **CBC** suites (RFC 5246 §6.2.3.2, MAC-then-encrypt):
 *   `fragment = IV(16) || AES-CBC(content || MAC || padding)`, with
 *   `MAC = HMAC(mac_key, seq_num || type || version || length || content)`
 *   and a fresh random IV per record (the `random` option makes it
 *   deterministic in tests).
 * - **Connection ID** (RFC 9146 §5): with `{ cid }` the protected payload is a
 *   `DTLSInnerPlaintext` (`content || real_type || zeros`) and the AEAD
 *   additional data (or the MAC prefix for CBC) is
 *   `seq_num_placeholder(8 × 0xff) || tls12_cid(25) || cid_length ||
 *   tls12_cid(25) || version(2) || epoch(2) || sequence_number(6) || cid ||
 *   length_of_DTLSInnerPlaintext(2)`; the record on the wire has type
 *   `tls12_cid`.
 *
 * `open` never throws for anything an attacker controls: a failed tag or
 * MAC, bad padding, a fragment too short for the suite's overhead, an
 * over-long plaintext or a `DTLSInnerPlaintext` without a content type all
 * give `undefined`. DTLS drops such records silently (RFC 6347 §4.1.2.7);
 * TLS turns them into `bad_record_mac` (RFC 5246 §7.2.2) — the caller
 * decides, and never says which check failed (no padding oracle).
 *
 * ## CBC decryption and Lucky Thirteen
 *
 * RFC 5246 §6.2.3.2 asks that a bad padding take as long as a good one.
 * `open` for CBC suites therefore:
 *
 * 1. checks only public quantities (fragment length, block alignment) with
 *    branches;
 * 2. checks the padding with a branch-free loop over the last
 *    `min(256, length)` bytes, whatever the padding length claims;
 * 3. on bad padding continues as if the padding were empty (one byte), as
 *    RFC 5246 recommends, so the MAC is still computed and compared;
 * 4. computes the record MAC with one backend for every length
 *    (`@noble/hashes`, not the size-switched `HmacKey`, whose change of
 *    backend at 640 bytes would itself depend on the padding length), and
 *    then runs the same hash over as many dummy blocks as the padding saved,
 *    so the number of compression-function calls is that of the longest
 *    possible content for the record's (public) length (Lucky Thirteen,
 *    AlFardan and Paterson 2013);
 * 5. compares the MAC with {@link constantTimeEqual} and combines the
 *    padding and MAC results without an early return.
 *
 * Residual risk, which JavaScript cannot remove: the JIT may compile the
 * masks into branches; the position the received MAC is read from, and
 * `subarray` offsets, depend on the padding length (cache timing for a
 * co-located attacker); the dummy blocks run on a second hash object whose
 * cost differs a little from the real one; allocation and GC add noise. A
 * remote attacker measuring over the network mainly sees the block count,
 * which is equalised. Prefer the AEAD suites; the CBC suites exist for
 * legacy devices.
 *
 * @example Seal and open a DTLS record with TLS_PSK_WITH_AES_128_CCM_8
 * ```ts
 * import { createRecordProtection, dtlsSequence } from "./record_protection.ts";
 * import { ContentType } from "./content_type.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const keys = { key: new Uint8Array(16).fill(1), iv: new Uint8Array(4).fill(2), macKey: new Uint8Array(0) };
 * const writer = createRecordProtection(suite, keys);
 * const reader = createRecordProtection(suite, keys);
 * const seq = dtlsSequence(1, 0);
 * const fragment = writer.seal(seq, ContentType.application_data, 0xfefd, new Uint8Array([1, 2, 3]));
 * assert.equal(fragment.length, 3 + writer.overhead);
 * assert.deepEqual(reader.open(seq, ContentType.application_data, 0xfefd, fragment), new Uint8Array([1, 2, 3]));
 * assert.equal(reader.open(dtlsSequence(1, 1), ContentType.application_data, 0xfefd, fragment), undefined);
 * ```
 *
 * @module
 */

import { ContentType } from "./content_type.ts";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { constantTimeEqual } from "../bytes/mod.ts";
import {
  type Aead,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCcm,
  aesGcm,
  HmacKey,
  randomBytes,
} from "../crypto/mod.ts";
import type { CipherSuite } from "./cipher_suites.ts";

/**
 * Largest plaintext fragment of one record, 2^14 bytes (RFC 5246 §6.2.1).
 *
 * @example
 * ```ts
 * import { MAX_PLAINTEXT_LENGTH } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PLAINTEXT_LENGTH, 16384);
 * ```
 */
export const MAX_PLAINTEXT_LENGTH = 16384;

/**
 * One direction's keys from the key block (RFC 5246 §6.3).
 *
 * @example
 * ```ts
 * import type { RecordKeys } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * const keys: RecordKeys = { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) };
 * assert.equal(keys.iv.length, 4);
 * ```
 */
export interface RecordKeys {
  /** `*_write_key`, `suite.encKeyLength` bytes. */
  readonly key: Uint8Array;
  /** `*_write_IV`: the AEAD salt (`suite.fixedIvLength`, 4) or empty for CBC. */
  readonly iv: Uint8Array;
  /** `*_write_MAC_key`: `suite.macKeyLength` bytes, empty for AEAD suites. */
  readonly macKey: Uint8Array;
}

/**
 * Options of {@link createRecordProtection}.
 *
 * @example
 * ```ts
 * import { createRecordProtection, type RecordProtectionOptions } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const options: RecordProtectionOptions = { random: (n) => new Uint8Array(n).fill(9) };
 * const suite = cipherSuiteByName("PSK-AES128-CBC-SHA256")!;
 * const p = createRecordProtection(suite, { key: new Uint8Array(16), iv: new Uint8Array(0), macKey: new Uint8Array(32) }, options);
 * assert.deepEqual(p.seal(new Uint8Array(8), 23, 0xfefd, new Uint8Array()).subarray(0, 16), new Uint8Array(16).fill(9));
 * ```
 */
export interface RecordProtectionOptions {
  /**
   * Source of the per-record CBC IVs (RFC 5246 §6.2.3.2: unpredictable);
   * defaults to the platform CSPRNG. Inject a seeded source only in tests.
   */
  readonly random?: (length: number) => Uint8Array;
}

/**
 * Options of a Connection ID record (RFC 9146).
 *
 * @example
 * ```ts
 * import type { CidSealOptions } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CidSealOptions = { cid: new Uint8Array([1, 2]), padding: 3 };
 * assert.equal(options.cid.length, 2);
 * ```
 */
export interface CidSealOptions {
  /** The connection ID the receiver chose; sent in the record header. */
  readonly cid: Uint8Array;
  /** Number of zero bytes to append after the real content type (default 0). */
  readonly padding?: number;
}

/**
 * Options to open a Connection ID record (RFC 9146).
 *
 * @example
 * ```ts
 * import type { CidOpenOptions } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CidOpenOptions = { cid: new Uint8Array([1, 2]) };
 * assert.equal(options.cid.length, 2);
 * ```
 */
export interface CidOpenOptions {
  /** The connection ID from the record header. */
  readonly cid: Uint8Array;
}

/**
 * The content of an opened `DTLSInnerPlaintext` (RFC 9146 §4).
 *
 * @example
 * ```ts
 * import { createRecordProtection, dtlsSequence, type InnerPlaintext } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const p = createRecordProtection(cipherSuiteByName("PSK-AES128-CCM8")!, { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) });
 * const cid = new Uint8Array([7]);
 * const seq = dtlsSequence(1, 0);
 * const f = p.seal(seq, 21, 0xfefd, new Uint8Array([1, 0]), { cid });
 * const inner: InnerPlaintext | undefined = p.open(seq, 25, 0xfefd, f, { cid });
 * assert.deepEqual(inner, { type: 21, content: new Uint8Array([1, 0]) });
 * ```
 */
export interface InnerPlaintext {
  /** The real content type. */
  readonly type: number;
  /** The content, without type byte and zero padding. */
  readonly content: Uint8Array;
}

/**
 * Protects and unprotects record fragments for one direction and one epoch.
 *
 * @example
 * ```ts
 * import { createRecordProtection, type RecordProtection, tlsSequence } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-GCM-SHA256")!;
 * const p: RecordProtection = createRecordProtection(suite, {
 *   key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0),
 * });
 * const f = p.seal(tlsSequence(0), 23, 0x0303, new Uint8Array(10));
 * assert.equal(p.open(tlsSequence(0), 23, 0x0303, f)?.length, 10);
 * ```
 */
export interface RecordProtection {
  /** The suite this protection implements. */
  readonly suite: CipherSuite;
  /**
   * Most bytes `seal` adds to a plaintext without a connection ID: explicit
   * nonce and tag for AEAD suites; IV, MAC and at most one block of padding
   * for CBC suites. A connection ID record adds one more byte (the real
   * content type) plus its zero padding.
   */
  readonly overhead: number;
  /**
   * Protects one record's plaintext.
   *
   * @param seq The 8-byte sequence number: DTLS `epoch || sequence_number`
   *   ({@link dtlsSequence}), TLS the 64-bit counter ({@link tlsSequence}).
   * @param type The record's content type (with `cid`: the real, inner type).
   * @param version The record version (0xfefd for DTLS 1.2, 0x0303 for TLS 1.2).
   * @param plaintext At most {@link MAX_PLAINTEXT_LENGTH} bytes.
   * @param options `cid` to build an RFC 9146 record (header type
   *   `tls12_cid`), and its zero `padding`.
   * @returns The record fragment to put after the header.
   * @throws {RangeError} for a bad sequence length or an over-long plaintext
   *   (caller bugs, never peer input).
   */
  seal(
    seq: Uint8Array,
    type: number,
    version: number,
    plaintext: Uint8Array,
    options?: CidSealOptions,
  ): Uint8Array;
  /**
   * Authenticates and decrypts one record fragment.
   *
   * @param seq The 8-byte sequence number from the record header.
   * @param type The content type from the record header.
   * @param version The version from the record header.
   * @param fragment The record fragment.
   * @returns The plaintext, or `undefined` if the fragment does not
   *   authenticate, has bad padding, is too short or too long. Never throws
   *   for those.
   */
  open(
    seq: Uint8Array,
    type: number,
    version: number,
    fragment: Uint8Array,
  ): Uint8Array | undefined;
  /**
   * Authenticates and decrypts one RFC 9146 record (header type `tls12_cid`).
   *
   * @param seq The 8-byte sequence number from the record header.
   * @param type The header's content type; anything but `tls12_cid` (25)
   *   gives `undefined`.
   * @param version The version from the record header.
   * @param fragment The record fragment.
   * @param options The `cid` from the record header.
   * @returns The real content type and content, or `undefined` as for the
   *   plain form, and also when the `DTLSInnerPlaintext` holds no non-zero
   *   type byte.
   */
  open(
    seq: Uint8Array,
    type: number,
    version: number,
    fragment: Uint8Array,
    options: CidOpenOptions,
  ): InnerPlaintext | undefined;
}

/**
 * The 8-byte DTLS sequence number `epoch(2) || sequence_number(6)` used for
 * the AEAD nonce, the additional data and the MAC (RFC 6347 §4.1.2.1).
 *
 * @param epoch 0..65535.
 * @param sequenceNumber 0..2^48-1.
 * @param out Where to write it (8 bytes; default a new array): a record
 *   path reuses one, since sealing and opening copy what they keep.
 * @returns `out`.
 * @throws {RangeError} if either is out of range.
 *
 * @example
 * ```ts
 * import { dtlsSequence } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(dtlsSequence(1, 0x0102), new Uint8Array([0, 1, 0, 0, 0, 0, 1, 2]));
 * const scratch = new Uint8Array(8);
 * assert.equal(dtlsSequence(2, 3, scratch), scratch);
 * ```
 */
export function dtlsSequence(
  epoch: number,
  sequenceNumber: number,
  out: Uint8Array = new Uint8Array(8),
): Uint8Array {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff) {
    throw new RangeError(`Cannot encode epoch ${epoch}: not a 16-bit value`);
  }
  if (
    !Number.isInteger(sequenceNumber) || sequenceNumber < 0 ||
    sequenceNumber > 2 ** 48 - 1
  ) {
    throw new RangeError(
      `Cannot encode sequence number ${sequenceNumber}: not a 48-bit value`,
    );
  }
  out[0] = epoch >>> 8;
  out[1] = epoch & 0xff;
  writeUint48(out, 2, sequenceNumber);
  return out;
}

/**
 * The 8-byte TLS sequence number (RFC 5246 §6.1) for counter `n`.
 *
 * @param n The record counter, a safe non-negative integer.
 * @throws {RangeError} if `n` is not a safe non-negative integer.
 *
 * @example
 * ```ts
 * import { tlsSequence } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tlsSequence(258), new Uint8Array([0, 0, 0, 0, 0, 0, 1, 2]));
 * ```
 */
export function tlsSequence(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot encode sequence number ${n}`);
  }
  const out = new Uint8Array(8);
  const high = Math.floor(n / 2 ** 32);
  const low = n >>> 0;
  out[0] = high >>> 24;
  out[1] = (high >>> 16) & 0xff;
  out[2] = (high >>> 8) & 0xff;
  out[3] = high & 0xff;
  out[4] = low >>> 24;
  out[5] = (low >>> 16) & 0xff;
  out[6] = (low >>> 8) & 0xff;
  out[7] = low & 0xff;
  return out;
}

function writeUint48(out: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / 2 ** 32);
  const low = value >>> 0;
  out[offset] = high >>> 8;
  out[offset + 1] = high & 0xff;
  out[offset + 2] = low >>> 24;
  out[offset + 3] = (low >>> 16) & 0xff;
  out[offset + 4] = (low >>> 8) & 0xff;
  out[offset + 5] = low & 0xff;
}

/**
 * Builds the authenticated header for a protected payload of `length`
 * bytes: the AEAD `additional_data`, or the part of the CBC MAC input before
 * the content. Both have the same layout (RFC 5246 §6.2.3.1 and §6.2.3.3;
 * RFC 9146 §5 and §5.1). {@link RecordProtectionBase} makes one per record
 * and passes it to the {@link RecordScheme}.
 *
 * @example
 * ```ts
 * import type { AuthHeader } from "./record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * const header: AuthHeader = { size: 2, build: (n) => new Uint8Array([n >>> 8, n & 0xff]) };
 * assert.deepEqual(header.build(300), new Uint8Array([1, 44]));
 * ```
 */
export interface AuthHeader {
  /**
   * The header with `length` in its last two bytes, valid until the next
   * `build` of any header: schemes consume it at once.
   */
  build(length: number): Uint8Array;
  /** Header length in bytes. */
  readonly size: number;
}

/** {@link plainAuthHeader}'s bytes: every seal and open runs to completion. */
const PLAIN_HEADER = new Uint8Array(13);

function plainAuthHeader(
  seq: Uint8Array,
  type: number,
  version: number,
): AuthHeader {
  return {
    size: 13,
    build(length) {
      // RFC 5246 §6.2.3.3: seq_num + type + version + length
      const h = PLAIN_HEADER;
      h.set(seq, 0);
      h[8] = type;
      h[9] = version >>> 8;
      h[10] = version & 0xff;
      h[11] = length >>> 8;
      h[12] = length & 0xff;
      return h;
    },
  };
}

function cidAuthHeader(
  seq: Uint8Array,
  version: number,
  cid: Uint8Array,
): AuthHeader {
  const size = 23 + cid.length;
  return {
    size,
    build(length) {
      // RFC 9146 §5: seq_num_placeholder + tls12_cid + cid_length +
      // tls12_cid + version + epoch + sequence_number + cid +
      // length_of_DTLSInnerPlaintext
      const h = new Uint8Array(size);
      h.fill(0xff, 0, 8);
      h[8] = ContentType.tls12_cid;
      h[9] = cid.length;
      h[10] = ContentType.tls12_cid;
      h[11] = version >>> 8;
      h[12] = version & 0xff;
      h.set(seq, 13);
      h.set(cid, 21);
      h[size - 2] = length >>> 8;
      h[size - 1] = length & 0xff;
      return h;
    },
  };
}

/**
 * The cipher-specific half of a {@link RecordProtection}: seals and opens a
 * payload under an {@link AuthHeader}; {@link RecordProtectionBase} adds the
 * checks, the header and the RFC 9146 inner plaintext. Made by
 * {@link createRecordScheme}.
 *
 * @example
 * ```ts
 * import { createRecordScheme, dtlsSequence, type RecordScheme } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const scheme: RecordScheme = createRecordScheme(suite, { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) });
 * const header = { size: 0, build: () => new Uint8Array(0) };
 * const f = scheme.seal(dtlsSequence(1, 0), header, new Uint8Array(3));
 * assert.equal(f.length, 3 + scheme.overhead);
 * assert.deepEqual(scheme.open(dtlsSequence(1, 0), header, f), new Uint8Array(3));
 * ```
 */
export interface RecordScheme {
  /** See {@link RecordProtection.overhead}. */
  readonly overhead: number;
  /** Protects `plaintext`, authenticating `header.build(length)` with it. */
  seal(seq: Uint8Array, header: AuthHeader, plaintext: Uint8Array): Uint8Array;
  /** Checks and decrypts `fragment`; `undefined` for anything wrong. */
  open(
    seq: Uint8Array,
    header: AuthHeader,
    fragment: Uint8Array,
  ): Uint8Array | undefined;
}

/** {@link AeadScheme}'s nonce: the AEADs read it before they return. */
const NONCE = new Uint8Array(12);

class AeadScheme implements RecordScheme {
  readonly overhead: number;
  readonly #aead: Aead;
  /** The 4-byte implicit nonce part as one number: no typed array to hold. */
  readonly #salt: number;

  constructor(aead: Aead, salt: Uint8Array) {
    this.#aead = aead;
    this.#salt = ((salt[0]! << 24) | (salt[1]! << 16) | (salt[2]! << 8) |
      salt[3]!) >>> 0;
    this.overhead = 8 + aead.tagLength;
  }

  #nonce(explicit: Uint8Array): Uint8Array {
    // RFC 5288 §3 / RFC 6655 §3: salt(4) || nonce_explicit(8)
    const nonce = NONCE;
    const salt = this.#salt;
    nonce[0] = salt >>> 24;
    nonce[1] = salt >>> 16;
    nonce[2] = salt >>> 8;
    nonce[3] = salt;
    nonce.set(explicit, 4);
    return nonce;
  }

  seal(seq: Uint8Array, header: AuthHeader, plaintext: Uint8Array) {
    const sealed = this.#aead.seal(
      this.#nonce(seq),
      plaintext,
      header.build(plaintext.length),
    );
    const out = new Uint8Array(8 + sealed.length);
    out.set(seq, 0); // nonce_explicit = the record's sequence number
    out.set(sealed, 8);
    return out;
  }

  open(_seq: Uint8Array, header: AuthHeader, fragment: Uint8Array) {
    if (fragment.length < this.overhead) return undefined;
    const explicit = fragment.subarray(0, 8);
    const sealed = fragment.subarray(8);
    const length = sealed.length - this.#aead.tagLength;
    if (length > 0xffff) return undefined;
    return this.#aead.open(this.#nonce(explicit), sealed, header.build(length));
  }
}

const BLOCK = 16;

class CbcScheme implements RecordScheme {
  readonly overhead: number;
  readonly #key: Uint8Array;
  readonly #macKey: HmacKey;
  /** Keyed noble HMAC state for `open`: one backend at every length. */
  readonly #verifyState: ReturnType<typeof nobleHmac.create>;
  readonly #dummyHash: CHash;
  readonly #hashBlock: number;
  /** Bytes the hash appends when it finishes: 0x80 and the length field. */
  readonly #hashTrailer: number;
  readonly #macLength: number;
  readonly #random: (length: number) => Uint8Array;
  readonly #scratch: Uint8Array;

  constructor(
    key: Uint8Array,
    macKey: Uint8Array,
    hash: "SHA-256" | "SHA-384",
    random: (length: number) => Uint8Array,
  ) {
    this.#key = key.slice();
    this.#macKey = new HmacKey(hash, macKey);
    const h: CHash = hash === "SHA-256" ? sha256 : sha384;
    this.#verifyState = nobleHmac.create(h, macKey);
    this.#dummyHash = h;
    this.#hashBlock = h.blockLen;
    this.#hashTrailer = hash === "SHA-256" ? 9 : 17;
    this.#macLength = h.outputLen;
    this.#random = random;
    // padding can save at most 256 bytes: a few blocks of dummy input
    this.#scratch = new Uint8Array(this.#hashBlock * 6);
    // IV + MAC + at most one block of padding (we pad minimally)
    this.overhead = BLOCK + this.#macLength + BLOCK;
  }

  seal(_seq: Uint8Array, header: AuthHeader, plaintext: Uint8Array) {
    const mac = this.#macKey.mac([header.build(plaintext.length), plaintext]);
    const unpadded = plaintext.length + mac.length;
    // RFC 5246 §6.2.3.2: padding_length + 1 bytes, each = padding_length
    const padLength = BLOCK - 1 - (unpadded % BLOCK);
    const body = new Uint8Array(unpadded + padLength + 1);
    body.set(plaintext, 0);
    body.set(mac, plaintext.length);
    body.fill(padLength, unpadded);
    const iv = this.#random(BLOCK);
    if (iv.length !== BLOCK) {
      throw new RangeError(
        `Cannot seal a CBC record: random source gave ${iv.length} bytes, expected ${BLOCK}`,
      );
    }
    const out = new Uint8Array(BLOCK + body.length);
    out.set(iv, 0);
    out.set(aesCbcEncrypt(this.#key, iv, body), BLOCK);
    return out;
  }

  open(_seq: Uint8Array, header: AuthHeader, fragment: Uint8Array) {
    const macLength = this.#macLength;
    // Public checks only: the fragment length is on the wire.
    const length = fragment.length - BLOCK;
    if (length < macLength + 1 || length % BLOCK !== 0) return undefined;
    const plain = aesCbcDecrypt(
      this.#key,
      fragment.subarray(0, BLOCK),
      fragment.subarray(BLOCK),
    );

    // RFC 5246 §6.2.3.2: check the padding without branching on it.
    const padLength = plain[length - 1]!;
    // the padding and its length byte must leave room for the MAC
    let bad = ((length - macLength - 1 - padLength) >> 31) & 1;
    const toCheck = Math.min(256, length);
    for (let i = 0; i < toCheck; i++) {
      const inPadding = (i - padLength - 1) >> 31; // -1 when i <= padLength
      bad |= inPadding & (plain[length - 1 - i]! ^ padLength);
    }
    const goodMask = (((bad | -bad) >> 31) ^ -1) & 0xff; // 0xff if bad === 0
    const effectivePad = padLength & goodMask; // bad padding: treat as empty
    const contentLength = length - macLength - 1 - effectivePad;

    // The MAC over the content, with the hash's compression count padded up
    // to that of the longest content this record length allows.
    const content = plain.subarray(0, contentLength);
    const state = this.#verifyState.clone();
    state.update(header.build(contentLength));
    state.update(content);
    const expected = state.digest();
    const maxContent = length - macLength - 1;
    const dummyBlocks = this.#blocks(header.size + maxContent) -
      this.#blocks(header.size + contentLength);
    this.#dummyHash.create().update(
      this.#scratch.subarray(0, dummyBlocks * this.#hashBlock),
    );

    const received = plain.subarray(contentLength, contentLength + macLength);
    const macOk = constantTimeEqual(expected, received);
    return (goodMask === 0xff) && macOk ? content : undefined;
  }

  /** Compression-function calls for an inner hash input of `n` bytes. */
  #blocks(n: number): number {
    return Math.ceil((n + this.#hashTrailer) / this.#hashBlock);
  }
}

/**
 * The suite-independent half of a {@link RecordProtection}: argument checks,
 * the authenticated header and the RFC 9146 `DTLSInnerPlaintext`, around the
 * {@link RecordScheme} a subclass hands out for each record (held for good
 * by {@link createRecordProtection}'s, built on demand by
 * `LazyRecordProtection`'s).
 *
 * @example
 * ```ts
 * import { createRecordScheme, dtlsSequence, RecordProtectionBase, type RecordScheme } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * class Counting extends RecordProtectionBase {
 *   readonly overhead: number;
 *   readonly #scheme: RecordScheme;
 *   uses = 0;
 *   constructor(scheme: RecordScheme) {
 *     super(cipherSuiteByName("PSK-AES128-CCM8")!);
 *     this.#scheme = scheme;
 *     this.overhead = scheme.overhead;
 *   }
 *   protected scheme(): RecordScheme {
 *     this.uses++;
 *     return this.#scheme;
 *   }
 * }
 * const keys = { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) };
 * const p = new Counting(createRecordScheme(cipherSuiteByName("PSK-AES128-CCM8")!, keys));
 * const f = p.seal(dtlsSequence(1, 0), 23, 0xfefd, new Uint8Array(2));
 * assert.deepEqual(p.open(dtlsSequence(1, 0), 23, 0xfefd, f), new Uint8Array(2));
 * assert.equal(p.uses, 2);
 * ```
 */
export abstract class RecordProtectionBase implements RecordProtection {
  /** See {@link RecordProtection.suite}. */
  readonly suite: CipherSuite;
  /** See {@link RecordProtection.overhead}. */
  abstract readonly overhead: number;

  /** @param suite The suite the subclass's schemes implement. */
  constructor(suite: CipherSuite) {
    this.suite = suite;
  }

  /** The scheme for the record being sealed or opened. */
  protected abstract scheme(): RecordScheme;

  /** See {@link RecordProtection.seal}. */
  seal(
    seq: Uint8Array,
    type: number,
    version: number,
    plaintext: Uint8Array,
    options?: CidSealOptions,
  ): Uint8Array {
    checkSeq(seq);
    if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
      throw new RangeError(
        `Cannot seal a record of ${plaintext.length} bytes: at most ${MAX_PLAINTEXT_LENGTH} allowed`,
      );
    }
    if (options === undefined) {
      return this.scheme().seal(
        seq,
        plainAuthHeader(seq, type, version),
        plaintext,
      );
    }
    const cid = options.cid;
    checkCid(cid);
    const padding = options.padding ?? 0;
    // RFC 9146 §4 / RFC 8446 §5.4: the inner plaintext stays within 2^14 + 1
    if (
      !Number.isInteger(padding) || padding < 0 ||
      plaintext.length + padding > MAX_PLAINTEXT_LENGTH
    ) {
      throw new RangeError(
        `Cannot seal a record with ${padding} bytes of padding after ${plaintext.length} bytes`,
      );
    }
    // RFC 9146 §4: DTLSInnerPlaintext = content || real_type || zeros
    const inner = new Uint8Array(plaintext.length + 1 + padding);
    inner.set(plaintext, 0);
    inner[plaintext.length] = type;
    return this.scheme().seal(seq, cidAuthHeader(seq, version, cid), inner);
  }

  /** See {@link RecordProtection.open}. */
  open(
    seq: Uint8Array,
    type: number,
    version: number,
    fragment: Uint8Array,
  ): Uint8Array | undefined;
  open(
    seq: Uint8Array,
    type: number,
    version: number,
    fragment: Uint8Array,
    options: CidOpenOptions,
  ): InnerPlaintext | undefined;
  open(
    seq: Uint8Array,
    type: number,
    version: number,
    fragment: Uint8Array,
    options?: CidOpenOptions,
  ): Uint8Array | InnerPlaintext | undefined {
    checkSeq(seq);
    if (options === undefined) {
      const plain = this.scheme().open(
        seq,
        plainAuthHeader(seq, type, version),
        fragment,
      );
      // RFC 5246 §6.2.3: TLSCompressed.length must not exceed 2^14 + 1024
      // (no compression here, so 2^14)
      if (plain === undefined || plain.length > MAX_PLAINTEXT_LENGTH) {
        return undefined;
      }
      return plain;
    }
    checkCid(options.cid);
    if (type !== ContentType.tls12_cid) return undefined;
    const inner = this.scheme().open(
      seq,
      cidAuthHeader(seq, version, options.cid),
      fragment,
    );
    if (inner === undefined) return undefined;
    // RFC 9146 §4: strip the zeros; the last non-zero byte is the real type.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) return undefined;
    if (end > MAX_PLAINTEXT_LENGTH) return undefined;
    return { type: inner[end]!, content: inner.subarray(0, end) };
  }
}

/** A {@link RecordProtectionBase} holding its scheme for good. */
class Protection extends RecordProtectionBase {
  readonly overhead: number;
  readonly #scheme: RecordScheme;

  constructor(suite: CipherSuite, scheme: RecordScheme) {
    super(suite);
    this.#scheme = scheme;
    this.overhead = scheme.overhead;
  }

  protected scheme(): RecordScheme {
    return this.#scheme;
  }
}

function checkSeq(seq: Uint8Array): void {
  if (seq.length !== 8) {
    throw new RangeError(
      `Cannot protect a record: sequence number is ${seq.length} bytes, expected 8`,
    );
  }
}

function checkCid(cid: Uint8Array): void {
  // RFC 9146 §3: opaque cid<0..2^8-1>
  if (cid.length > 255) {
    throw new RangeError(
      `Cannot protect a record: connection ID is ${cid.length} bytes, at most 255 allowed`,
    );
  }
}

function checkLength(what: string, got: Uint8Array, expected: number): void {
  if (got.length !== expected) {
    throw new RangeError(
      `Cannot create record protection: ${what} is ${got.length} bytes, expected ${expected}`,
    );
  }
}

/**
 * Creates the record protection of `suite` for one direction and epoch.
 *
 * @param suite The negotiated cipher suite.
 * @param keys This direction's key, IV and MAC key from the key block.
 * @param options `random` for the CBC IVs (tests only).
 * @returns A {@link RecordProtection}; create one per direction and epoch.
 * @throws {RangeError} if a key's length does not match the suite.
 *
 * @example CBC with a fixed IV source, for reproducible records in tests
 * ```ts
 * import { createRecordProtection, dtlsSequence } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CBC-SHA256")!;
 * const keys = { key: new Uint8Array(16), iv: new Uint8Array(0), macKey: new Uint8Array(32) };
 * const p = createRecordProtection(suite, keys, { random: (n) => new Uint8Array(n) });
 * const seq = dtlsSequence(1, 7);
 * const f = p.seal(seq, 23, 0xfefd, new Uint8Array(5));
 * assert.equal(f.length, 16 + 48); // IV + (5 + 32 MAC + 11 padding)
 * assert.deepEqual(p.open(seq, 23, 0xfefd, f), new Uint8Array(5));
 * ```
 */
export function createRecordProtection(
  suite: CipherSuite,
  keys: RecordKeys,
  options: RecordProtectionOptions = {},
): RecordProtection {
  return new Protection(suite, createRecordScheme(suite, keys, options));
}

/**
 * Creates the {@link RecordScheme} of `suite` for one direction and epoch:
 * what {@link createRecordProtection} wraps, for subclasses of
 * {@link RecordProtectionBase} that manage their scheme themselves.
 *
 * @param suite The negotiated cipher suite.
 * @param keys This direction's key, IV and MAC key from the key block.
 * @param options `random` for the CBC IVs (tests only).
 * @returns The scheme; it keeps copies of what it needs from `keys`.
 * @throws {RangeError} if a key's length does not match the suite.
 *
 * @example
 * ```ts
 * import { createRecordScheme } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM")!;
 * const keys = { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) };
 * assert.equal(createRecordScheme(suite, keys).overhead, 8 + 16);
 * assert.throws(() => createRecordScheme(suite, { ...keys, key: new Uint8Array(32) }), RangeError);
 * ```
 */
export function createRecordScheme(
  suite: CipherSuite,
  keys: RecordKeys,
  options: RecordProtectionOptions = {},
): RecordScheme {
  checkLength("key", keys.key, suite.encKeyLength);
  checkLength("IV", keys.iv, suite.fixedIvLength);
  checkLength("MAC key", keys.macKey, suite.macKeyLength);
  switch (suite.cipher) {
    case "aes-128-ccm-8":
      return new AeadScheme(aesCcm(keys.key, 8), keys.iv);
    case "aes-128-ccm":
      return new AeadScheme(aesCcm(keys.key, 16), keys.iv);
    case "aes-128-gcm":
    case "aes-256-gcm":
      return new AeadScheme(aesGcm(keys.key), keys.iv);
    case "aes-128-cbc":
    case "aes-256-cbc":
      return new CbcScheme(
        keys.key,
        keys.macKey,
        suite.prfHash,
        options.random ?? randomBytes,
      );
  }
}
