/**
 * Record protection that holds only its key bytes while idle: the objects
 * behind a {@link RecordProtection} exist only for the
 * {@link LIVE_RECORD_PROTECTIONS} most recently used protections of the
 * process. A DTLS server keeps thousands of associations that are idle most
 * of the time; each holds its keys (a few dozen bytes) and rebuilds its
 * protection when a record comes or goes after a pause.
 *
 * Still worth it with CCM on postern's own AES (`src/crypto/aes.ts`), whose
 * state is only an expanded key: a live CCM direction is still the
 * protection, its AEAD scheme, the CCM object and its round keys in an
 * `Int32Array` (with its `ArrayBuffer`), ≈ 0.75 KB of heap. With the bound
 * lifted (every protection live) an idle PSK association took 4.8 KB
 * instead of 3.3 KB (`bench/dtls_load.ts --only=memory`, 10 000
 * associations), over the 4 KiB floor. A rebuild costs ≈ 2 µs per CCM
 * direction (the key schedule; ≈ 7 µs with the `node:crypto` objects
 * before). The CBC suites' HMAC states are larger still; GCM keeps only its
 * key.
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
  createRecordScheme,
  type RecordKeys,
  RecordProtectionBase,
  type RecordScheme,
} from "./record_protection.ts";

/**
 * How many {@link LazyRecordProtection}s keep their cipher objects at once
 * (the least recently used beyond it fall back to key bytes): 1 024, about
 * 0.8 MiB with CCM, enough for 512 associations exchanging records at the
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
export class LazyRecordProtection extends RecordProtectionBase {
  /**
   * `key || iv || macKey`, one character per byte: a one-byte string takes
   * 12 bytes of heap plus its length, a `Uint8Array` with its `ArrayBuffer`
   * about 200.
   */
  readonly #material: string;
  #scheme: RecordScheme | undefined;

  /**
   * Builds the scheme (and checks the key lengths) now; it stays live until
   * it falls out of the most recently used set.
   *
   * @param suite The negotiated cipher suite.
   * @param keys This direction's keys; copied.
   * @throws {RangeError} if a key's length does not match the suite.
   */
  constructor(suite: CipherSuite, keys: RecordKeys) {
    super(suite);
    // validates the lengths now rather than at the first record
    const scheme = createRecordScheme(suite, keys);
    this.#material = String.fromCharCode(
      ...keys.key,
      ...keys.iv,
      ...keys.macKey,
    );
    this.#scheme = scheme;
    this.#touch();
  }

  /** See {@link RecordProtection.overhead}. */
  get overhead(): number {
    const s = this.suite;
    return s.cipher === "aes-128-cbc" || s.cipher === "aes-256-cbc"
      ? s.recordIvLength + s.macKeyLength + 16
      : s.recordIvLength + s.tagLength;
  }

  /** Drops the cipher state now (the association ended or went idle). */
  release(): void {
    live.delete(this);
    this.#scheme = undefined;
  }

  protected scheme(): RecordScheme {
    let scheme = this.#scheme;
    if (scheme === undefined) {
      const s = this.suite;
      const text = this.#material;
      const m = new Uint8Array(text.length);
      for (let i = 0; i < m.length; i++) m[i] = text.charCodeAt(i);
      const k = s.encKeyLength;
      const iv = s.fixedIvLength;
      scheme = createRecordScheme(s, {
        key: m.subarray(0, k),
        iv: m.subarray(k, k + iv),
        macKey: m.subarray(k + iv),
      });
      m.fill(0);
      this.#scheme = scheme;
    }
    this.#touch();
    return scheme;
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
