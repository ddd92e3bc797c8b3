/**
 * Crypto primitives for postern: hashes, HMAC, the TLS 1.2 PRF, PBKDF2,
 * AEADs (AES-GCM, AES-CCM), raw AES-CBC, legacy 3DES and RC2, ECDSA and RSA
 * signatures, ECDH and randomness.
 *
 * Everything the DTLS record layer needs (AEAD, HMAC, PRF) is synchronous;
 * signatures and key agreement are asynchronous. Which implementation backs
 * each primitive (`node:crypto`, WebCrypto or `@noble`) was decided by
 * `bench/crypto_bench.ts`; see `bench/README.md`.
 *
 * @example Sign and verify
 * ```ts
 * import { generateEcKeyPair, publicKeyOf, sign, verifySignature } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const msg = new TextEncoder().encode("m");
 * const sig = await sign(key, msg, { alg: "ecdsa", hash: "SHA-256" });
 * assert.ok(await verifySignature(publicKeyOf(key), msg, sig, { alg: "ecdsa", hash: "SHA-256" }));
 * ```
 *
 * @module
 */

export { CryptoError, type CryptoErrorCode } from "./errors.ts";
export {
  type EcCurve,
  ecFieldLength,
  type EcPrivateKey,
  type EcPublicKey,
  type PrivateKey,
  type PublicKey,
  publicKeyOf,
  type RsaPrivateKey,
  type RsaPublicKey,
} from "./keys.ts";
export {
  digest,
  type HashAlgorithm,
  hashBlockLength,
  hashLength,
} from "./hash.ts";
export { hmac, HMAC_NATIVE_THRESHOLD, HmacKey } from "./hmac.ts";
export { tlsPrf } from "./prf.ts";
export { pbkdf2 } from "./pbkdf2.ts";
export { randomBytes } from "./random.ts";
export { type Aead, aesCcm, aesGcm, type CcmTagLength } from "./aead.ts";
export { aesCbcDecrypt, aesCbcEncrypt } from "./cbc.ts";
export { desEde3CbcDecrypt, desEde3CbcEncrypt } from "./des3.ts";
export { rc2CbcDecrypt, rc2CbcEncrypt } from "./rc2.ts";
export {
  ecPublicFromPrivate,
  generateEcKeyPair,
  isValidEcPoint,
} from "./ec_keys.ts";
export {
  type EcdhGroup,
  type EcdhKeyPair,
  ecdhKeyPairFromPrivate,
  EcdhKeyPool,
  type EcdhKeyPoolOptions,
  generateEcdhKeyPair,
} from "./ecdh.ts";
export {
  ecdsaSignatureFromDer,
  ecdsaSignatureToDer,
  sign,
  type SignatureOptions,
  type SignatureScheme,
  verifySignature,
} from "./signature.ts";
