/**
 * A deliberately literal AES-CCM (RFC 3610 §2.2–2.3) on `@noble/ciphers`'
 * AES, one block per call, used to cross-check `src/crypto/ccm.ts` on random
 * inputs and as the slowest candidate in `bench/crypto_bench.ts`. Not
 * constant-time and not fast: tests only.
 *
 * @module
 */

import { ecb } from "@noble/ciphers/aes.js";

function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return ecb(key, { disablePadding: true }).encrypt(block);
}

function be(value: number, size: number): number[] {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < size; i++) {
    out.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

/** RFC 3610 CCM encryption: returns `ciphertext || U`. */
export function referenceCcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  m: number,
): Uint8Array {
  const l = 15 - nonce.length;
  // §2.2 authentication: B_0, then l(a) || a padded, then m padded.
  const blocks: number[] = [
    (aad.length > 0 ? 64 : 0) + 8 * ((m - 2) / 2) + (l - 1),
    ...nonce,
    ...be(plaintext.length, l),
  ];
  if (aad.length > 0) {
    const enc = aad.length < 0xff00
      ? be(aad.length, 2)
      : [0xff, 0xfe, ...be(aad.length, 4)];
    const a = [...enc, ...aad];
    while (a.length % 16) a.push(0);
    blocks.push(...a);
  }
  const p = [...plaintext];
  while (p.length % 16) p.push(0);
  blocks.push(...p);
  let x: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < blocks.length; i += 16) {
    const b = new Uint8Array(16);
    for (let j = 0; j < 16; j++) b[j] = x[j]! ^ blocks[i + j]!;
    x = aesBlock(key, b);
  }
  const t = x.subarray(0, m);
  // §2.3 encryption: S_i = E(K, A_i), A_i = L' || nonce || i.
  const s = (i: number) =>
    aesBlock(key, new Uint8Array([l - 1, ...nonce, ...be(i, l)]));
  const out = new Uint8Array(plaintext.length + m);
  for (let i = 0; i < plaintext.length; i += 16) {
    const si = s(i / 16 + 1);
    for (let j = 0; j < 16 && i + j < plaintext.length; j++) {
      out[i + j] = plaintext[i + j]! ^ si[j]!;
    }
  }
  const s0 = s(0);
  for (let j = 0; j < m; j++) out[plaintext.length + j] = t[j]! ^ s0[j]!;
  return out;
}
