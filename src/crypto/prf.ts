/**
 * The TLS 1.2 pseudorandom function (RFC 5246 §5), synchronous.
 *
 * ```
 * PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 * P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
 *                        HMAC_hash(secret, A(2) + seed) + ...
 * A(0) = seed,  A(i) = HMAC_hash(secret, A(i-1))
 * ```
 *
 * The secret is keyed once ({@link HmacKey}; for SHA-256 `pSha256` in
 * `sha256.ts`, which writes every HMAC into reused buffers); every HMAC after
 * that costs two or three compression-function calls, which is what makes
 * the PRF cheap.
 *
 * @module
 */

import { HmacKey } from "./hmac.ts";
import { pSha256 } from "./sha256.ts";

const encoder = new TextEncoder();

/**
 * Expands `secret` into `length` bytes bound to `label` and `seed`.
 *
 * @param alg `SHA-256` for the RFC 5246 default, `SHA-384` for `*_SHA384` suites.
 * @param secret The PRF secret (pre-master or master secret, PSK-derived secret).
 * @param label ASCII label such as `"master secret"` or `"key expansion"`.
 * @param seed The seed (client and server random, or the handshake hash).
 * @param length Number of output bytes.
 * @returns `length` bytes.
 *
 * @example A Finished verify_data is 12 bytes
 * ```ts
 * import { tlsPrf } from "./prf.ts";
 * import assert from "node:assert/strict";
 *
 * const master = new Uint8Array(48);
 * const out = tlsPrf("SHA-256", master, "client finished", new Uint8Array(32), 12);
 * assert.equal(out.length, 12);
 * ```
 */
export function tlsPrf(
  alg: "SHA-256" | "SHA-384",
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`Cannot run PRF: invalid output length ${length}`);
  }
  const labelBytes = labelCache.get(label) ?? encodeLabel(label);
  const out = new Uint8Array(length);
  if (alg === "SHA-256") {
    pSha256(secret, labelBytes, seed, out);
    return out;
  }
  const labelSeed = new Uint8Array(labelBytes.length + seed.length);
  labelSeed.set(labelBytes);
  labelSeed.set(seed, labelBytes.length);
  const key = new HmacKey(alg, secret);
  let a: Uint8Array = labelSeed;
  for (let off = 0; off < length;) {
    a = key.mac(a);
    const block = key.mac([a, labelSeed]);
    const n = Math.min(block.length, length - off);
    out.set(n === block.length ? block : block.subarray(0, n), off);
    off += n;
  }
  return out;
}

// The handful of labels TLS uses, encoded once (and checked once).
const labelCache = new Map<string, Uint8Array>();

function encodeLabel(label: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(label)) {
    throw new TypeError("Cannot run PRF: label must be printable ASCII");
  }
  const bytes = encoder.encode(label);
  if (labelCache.size < 64) labelCache.set(label, bytes);
  return bytes;
}
