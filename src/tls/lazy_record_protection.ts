/**
 * Record protection that holds only its key bytes while idle: the cipher
 * objects behind a {@link RecordProtection} (`node:crypto` contexts, about
 * 2.2 KiB of heap per CCM direction, see `bench/README.md`) exist only for
 * the {@link LIVE_RECORD_PROTECTIONS} most recently used protections of the
 * process. A DTLS server keeps thousands of associations that are idle most
 * of the time; each holds its keys (a few dozen bytes) and rebuilds its
 * cipher objects, in a few microseconds, when a record comes or goes after
 * a pause.
 *
 * The same keys give the same protection: rebuilding changes nothing on the
 * wire (AEAD nonces come from the record sequence numbers, CBC IVs are
 * random per record).
 *
 * @example
 * ```ts
 * import { LazyRecordProtection } from "./lazy_record_protection.ts";
 * import { dtlsSequence } from "./record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const keys = { key: new Uint8Array(16).fill(1), iv: new Uint8Array(4), macKey: new Uint8Array(0) };
 * const writer = new LazyRecordProtection(suite, keys);
 * const reader = new LazyRecordProtection(suite, keys);
 * const f = writer.seal(dtlsSequence(1, 0), 23, 0xfefd, new Uint8Array([1, 2]));
 * assert.equal(f.length, 2 + writer.overhead);
 * reader.release(); // back to key bytes only; rebuilt on the next use
 * assert.deepEqual(reader.open(dtlsSequence(1, 0), 23, 0xfefd, f), new Uint8Array([1, 2]));
 * ```
 *
 * @module
 */

import type { CipherSuite } from "./cipher_suites.ts";
import {
  type CidOpenOptions,
  type CidSealOptions,
  createRecordProtection,
  type InnerPlaintext,
  type RecordKeys,
  type RecordProtection,
} from "./record_protection.ts";

/**
 * How many {@link LazyRecordProtection}s keep their cipher objects at once
 * (the least recently used beyond it fall back to key bytes): 1 024, about
 * 2.3 MiB with CCM, enough for 512 associations exchanging records at the
 * same time without rebuilding.
 *
 * @example
 * ```ts
 * import { LIVE_RECORD_PROTECTIONS } from "./lazy_record_protection.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LIVE_RECORD_PROTECTIONS, 1024);
 * ```
 */
export const LIVE_RECORD_PROTECTIONS = 1024;

/** Protections holding cipher objects, least recently used first. */
const live = new Set<LazyRecordProtection>();

/**
 * A {@link RecordProtection} built on first use and dropped back to its key
 * bytes when it falls out of the process-wide set of the
 * {@link LIVE_RECORD_PROTECTIONS} most recently used ones.
 *
 * @example
 * ```ts
 * import { LazyRecordProtection } from "./lazy_record_protection.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-GCM-SHA256")!;
 * const p = new LazyRecordProtection(suite, { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) });
 * assert.equal(p.overhead, 24);
 * assert.throws(() => new LazyRecordProtection(suite, { key: new Uint8Array(15), iv: new Uint8Array(4), macKey: new Uint8Array(0) }), RangeError);
 * ```
 */
export class LazyRecordProtection implements RecordProtection {
  readonly suite: CipherSuite;
  /**
   * `key || iv || macKey`, one character per byte: a one-byte string takes
   * 12 bytes of heap plus its length, a `Uint8Array` with its `ArrayBuffer`
   * about 200.
   */
  readonly #material: string;
  #protection: RecordProtection | undefined;

  /**
   * Builds the protection (and checks the key lengths) now; it stays live
   * until it falls out of the most recently used set.
   *
   * @param suite The negotiated cipher suite.
   * @param keys This direction's keys; copied.
   * @throws {RangeError} if a key's length does not match the suite.
   */
  constructor(suite: CipherSuite, keys: RecordKeys) {
    this.suite = suite;
    // validates the lengths now rather than at the first record
    const protection = createRecordProtection(suite, keys);
    this.#material = String.fromCharCode(
      ...keys.key,
      ...keys.iv,
      ...keys.macKey,
    );
    this.#protection = protection;
    this.#touch();
  }

  /** See {@link RecordProtection.overhead}. */
  get overhead(): number {
    const s = this.suite;
    return s.cipher === "aes-128-cbc" || s.cipher === "aes-256-cbc"
      ? s.recordIvLength + s.macKeyLength + 16
      : s.recordIvLength + s.tagLength;
  }

  /** See {@link RecordProtection.seal}. */
  seal(
    seq: Uint8Array,
    type: number,
    version: number,
    plaintext: Uint8Array,
    options?: CidSealOptions,
  ): Uint8Array {
    return this.#live().seal(seq, type, version, plaintext, options);
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
    const p = this.#live();
    return options === undefined
      ? p.open(seq, type, version, fragment)
      : p.open(seq, type, version, fragment, options);
  }

  /** Drops the cipher objects now (the association ended or went idle). */
  release(): void {
    live.delete(this);
    this.#protection = undefined;
  }

  #live(): RecordProtection {
    let p = this.#protection;
    if (p === undefined) {
      const s = this.suite;
      const text = this.#material;
      const m = new Uint8Array(text.length);
      for (let i = 0; i < m.length; i++) m[i] = text.charCodeAt(i);
      const k = s.encKeyLength;
      const iv = s.fixedIvLength;
      p = createRecordProtection(s, {
        key: m.subarray(0, k),
        iv: m.subarray(k, k + iv),
        macKey: m.subarray(k + iv),
      });
      m.fill(0);
      this.#protection = p;
    }
    this.#touch();
    return p;
  }

  #touch(): void {
    live.delete(this);
    live.add(this);
    if (live.size > LIVE_RECORD_PROTECTIONS) {
      const oldest: LazyRecordProtection = live.values().next().value!;
      oldest.release();
    }
  }
}
