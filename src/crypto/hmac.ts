/**
 * HMAC (RFC 2104), synchronous.
 *
 * Two backends, chosen by input size from `bench/crypto_bench.ts`: Deno's
 * `node:crypto` `createHmac` has a fixed cost of about 10 µs per call but
 * hashes fast, the JavaScript ones have almost no fixed cost. Below
 * {@link HMAC_NATIVE_THRESHOLD} bytes JavaScript wins (1.9× at 32 bytes), above
 * it `node:crypto` does (2.7× at 4 KiB). In JavaScript, SHA-256 runs on the
 * allocation-free {@link HmacSha256} (2.2× `@noble/hashes` at 77 bytes, where
 * the TLS PRF lives), the other hashes on `@noble/hashes`.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { fromBuffer, nodeHashName } from "./_node.ts";
import { nobleHash } from "./_noble.ts";
import type { HashAlgorithm } from "./hash.ts";
import { HmacSha256 } from "./sha256.ts";

/**
 * Input length (bytes) above which HMAC is computed by `node:crypto`
 * instead of `@noble/hashes`.
 *
 * @example
 * ```ts
 * import { HMAC_NATIVE_THRESHOLD } from "./hmac.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(HMAC_NATIVE_THRESHOLD >= 64);
 * ```
 */
export const HMAC_NATIVE_THRESHOLD = 640;

/**
 * Computes HMAC-`alg`(`key`, `data`).
 *
 * @param alg The underlying hash.
 * @param key The MAC key, any length (RFC 2104 §2 hashes keys longer than a block).
 * @param data The message.
 * @returns The full-length MAC; truncate it yourself where a protocol says so.
 *
 * @example RFC 4231 test case 2
 * ```ts
 * import { hmac } from "./hmac.ts";
 * import { encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const enc = new TextEncoder();
 * const mac = hmac("SHA-256", enc.encode("Jefe"), enc.encode("what do ya want for nothing?"));
 * assert.equal(encodeHex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
 * ```
 */
export function hmac(
  alg: HashAlgorithm,
  key: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  if (data.length > HMAC_NATIVE_THRESHOLD) {
    return fromBuffer(createHmac(nodeHashName(alg), key).update(data).digest());
  }
  if (alg === "SHA-256") return new HmacSha256(key).mac([data]);
  return nobleHmac(nobleHash(alg), key, data);
}

type NobleHmacState = ReturnType<typeof nobleHmac.create>;

/**
 * An HMAC key whose inner and outer pads are hashed once, for computing many
 * MACs under one key: the TLS PRF's P_hash (RFC 5246 §5), record MACs and
 * cookie MACs. Keying twice per MAC is half the cost for short inputs.
 *
 * @example
 * ```ts
 * import { HmacKey, hmac } from "./hmac.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(32).fill(7);
 * const mac = new HmacKey("SHA-256", key);
 * const a = new Uint8Array([1, 2]);
 * const b = new Uint8Array([3]);
 * assert.deepEqual(mac.mac([a, b]), hmac("SHA-256", key, new Uint8Array([1, 2, 3])));
 * assert.equal(mac.length, 32);
 * ```
 */
export class HmacKey {
  readonly #alg: HashAlgorithm;
  readonly #key: Uint8Array;
  readonly #state: NobleHmacState | HmacSha256;

  /**
   * Hashes the key's inner and outer pads (RFC 2104 §2 steps 1–2) once.
   *
   * @param alg The underlying hash.
   * @param key The MAC key; copied.
   */
  constructor(alg: HashAlgorithm, key: Uint8Array) {
    this.#alg = alg;
    this.#key = key.slice();
    this.#state = alg === "SHA-256"
      ? new HmacSha256(this.#key)
      : nobleHmac.create(nobleHash(alg), this.#key);
  }

  /** MAC length in bytes. */
  get length(): number {
    const s = this.#state;
    return s instanceof HmacSha256 ? 32 : s.outputLen;
  }

  /**
   * MAC of `data`, or of the concatenation of the parts if an array is given.
   *
   * @param data The message, or its parts in order.
   */
  mac(data: Uint8Array | readonly Uint8Array[]): Uint8Array {
    const parts = data instanceof Uint8Array ? [data] : data;
    let total = 0;
    for (const p of parts) total += p.length;
    if (total > HMAC_NATIVE_THRESHOLD) {
      const h = createHmac(nodeHashName(this.#alg), this.#key);
      for (const p of parts) h.update(p);
      return fromBuffer(h.digest());
    }
    const s = this.#state;
    if (s instanceof HmacSha256) return s.mac(parts);
    const h = s.clone();
    for (const p of parts) h.update(p);
    return h.digest();
  }
}
