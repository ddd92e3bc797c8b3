/**
 * Private keys: PKCS#8, SEC1 and PKCS#1 codecs, encrypted PKCS#8 and legacy
 * encrypted PEM, one loader for operator-supplied key files, and key ↔
 * certificate matching.
 *
 * @module
 */

export { KeyError, type KeyErrorCode } from "./errors.ts";
export {
  decodePrivateKeyInfo,
  encodePrivateKeyPkcs8,
  type PrivateKeyInfoParts,
  privateKeyToPem,
} from "./pkcs8.ts";
export {
  decodeEcPrivateKey,
  type EcPrivateKeyParts,
  encodeEcPrivateKey,
  type EncodeEcPrivateKeyOptions,
} from "./sec1.ts";
export { decodeRsaPrivateKey, encodeRsaPrivateKey } from "./rsa.ts";
export {
  decodeDecrypted,
  decodeEncryptedPrivateKeyInfo,
  decryptPrivateKeyInfo,
  type EncryptedPrivateKeyInfo,
  encryptPrivateKeyPkcs8,
  privateKeyToEncryptedPem,
} from "./encrypted_pkcs8.ts";
export {
  decryptLegacyPem,
  evpBytesToKey,
  isLegacyEncrypted,
} from "./legacy_pem.ts";
export {
  detectPrivateKeyFormat,
  loadPrivateKey,
  parsePrivateKeyDer,
  type PrivateKeyFormat,
} from "./load.ts";
export {
  assertKeyMatchesCertificate,
  type CertificateKeyInfo,
  keyMatchesCertificate,
  keyMatchesPublicKey,
} from "./match.ts";
