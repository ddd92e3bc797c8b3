/**
 * Authenticated encryption with associated data (RFC 5116), synchronous so
 * that the DTLS record layer stays synchronous.
 *
 * - {@link aesGcm}: AES-GCM (NIST SP 800-38D) on Deno's `node:crypto`,
 *   3× faster than `@noble/ciphers` on 1 KiB records.
 * - {@link aesCcm}: AES-CCM (RFC 3610, SP 800-38C), built here on persistent
 *   `node:crypto` AES-ECB and AES-CBC objects because no library on this
 *   platform has CCM.
 *
 * A failed authentication is not an exception: `open()` returns `undefined`
 * for a wrong tag, a modified ciphertext or AAD, and for input shorter than
 * the tag. Exceptions are reserved for misuse (bad key or nonce length).
 *
 * @module
 */

/**
 * One AEAD key, ready to seal and open records. Nonces are the caller's
 * responsibility and must never repeat under one key.
 *
 * @example Seal and open a record
 * ```ts
 * import { aesGcm } from "./aead.ts";
 * import assert from "node:assert/strict";
 *
 * const aead = aesGcm(new Uint8Array(16));
 * const nonce = new Uint8Array(12);
 * const aad = new Uint8Array([23, 0xfe, 0xfd]);
 * const sealed = aead.seal(nonce, new Uint8Array([1, 2, 3]), aad);
 * assert.equal(sealed.length, 3 + aead.tagLength);
 * assert.deepEqual(aead.open(nonce, sealed, aad), new Uint8Array([1, 2, 3]));
 * assert.equal(aead.open(nonce, sealed, new Uint8Array(3)), undefined);
 * ```
 */
export interface Aead {
  /** Key length in bytes. */
  readonly keyLength: number;
  /** Tag length in bytes, appended to every ciphertext. */
  readonly tagLength: number;
  /**
   * Encrypts and authenticates.
   *
   * @param nonce The per-record nonce (12 bytes in TLS and DTLS).
   * @param plaintext The data to encrypt.
   * @param aad Additional data that is authenticated but not encrypted.
   * @returns `ciphertext || tag`.
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Authenticates and decrypts.
   *
   * @param nonce The nonce `sealed` was made with.
   * @param sealed `ciphertext || tag`.
   * @param aad The additional data `sealed` was made with.
   * @returns The plaintext, or `undefined` if authentication failed or
   *   `sealed` is shorter than the tag. Never throws for those.
   */
  open(
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | undefined;
}

export { aesGcm } from "./gcm.ts";
export { aesCcm, type CcmTagLength } from "./ccm.ts";
