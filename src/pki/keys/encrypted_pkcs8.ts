/**
 * Encrypted PKCS#8 (RFC 5958 §3, RFC 5208 §6), the body of
 * `-----BEGIN ENCRYPTED PRIVATE KEY-----`:
 *
 * ```
 * EncryptedPrivateKeyInfo ::= SEQUENCE {
 *   encryptionAlgorithm  EncryptionAlgorithmIdentifier,
 *   encryptedData        EncryptedData }   -- OCTET STRING
 * ```
 *
 * The encryption is PBES2 (RFC 8018 §6.2) as `openssl pkcs8 -topk8` and
 * `openssl pkey -aes256` write it, or a PKCS#12 PBE scheme (RFC 7292
 * Appendix C) in old files (`openssl pkcs8 -v1 PBE-SHA1-3DES`). See
 * `../pbe.ts` for the schemes, passwords and the iteration bound.
 *
 * A wrong password is reported as `KeyError` `wrong_password` both when the
 * padding check fails and when the decrypted bytes do not parse as a
 * `PrivateKeyInfo`, so a lucky padding byte never yields a garbage key.
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import type { PrivateKey } from "../../crypto/mod.ts";
import { derOctetString, DerReader, derSequence } from "../asn1/mod.ts";
import {
  decodePbeAlgorithm,
  encodePbeAlgorithm,
  pbeDecrypt,
  pbeEncrypt,
  type PbeParameters,
  type PbePassword,
  pbePassword,
  type Pbes2Options,
  pbes2Parameters,
} from "../pbe.ts";
import { encodePem } from "../pem.ts";
import { KeyError } from "./errors.ts";
import {
  decodePrivateKeyInfo,
  encodePrivateKeyPkcs8,
  type PrivateKeyInfoParts,
} from "./pkcs8.ts";

/** A decoded `EncryptedPrivateKeyInfo`. */
export interface EncryptedPrivateKeyInfo {
  /** How the key was encrypted. */
  readonly algorithm: PbeParameters;
  /** The encrypted `PrivateKeyInfo`. */
  readonly encryptedData: Uint8Array;
}

/**
 * Decodes an `EncryptedPrivateKeyInfo` without decrypting it.
 *
 * @param der The DER encoding.
 * @returns The scheme parameters and ciphertext.
 * @throws {DecodeError} on malformed DER.
 * @throws {KeyError} `unsupported` for unknown schemes.
 *
 * @example
 * ```ts
 * import { decodeEncryptedPrivateKeyInfo, encryptPrivateKeyPkcs8 } from "./encrypted_pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * const info = decodeEncryptedPrivateKeyInfo(encryptPrivateKeyPkcs8(key, "pw", { iterations: 10 }));
 * assert.equal(info.algorithm.scheme, "pbes2");
 * ```
 */
export function decodeEncryptedPrivateKeyInfo(
  der: Uint8Array,
): EncryptedPrivateKeyInfo {
  const outer = new DerReader(der);
  const r = outer.sequence("EncryptedPrivateKeyInfo");
  const alg = r.next("EncryptedPrivateKeyInfo.encryptionAlgorithm");
  const algorithm = decodePbeAlgorithm(alg.raw, alg.offset);
  const encryptedData = r.octetString("EncryptedPrivateKeyInfo.encryptedData");
  r.expectEnd("EncryptedPrivateKeyInfo");
  outer.expectEnd("encrypted PKCS#8 private key");
  return { algorithm, encryptedData };
}

/**
 * Decrypts an `EncryptedPrivateKeyInfo` and decodes the `PrivateKeyInfo`
 * inside.
 *
 * @param der The DER encoding.
 * @param password The password, as a string or in both byte forms.
 * @returns The key's fields (see `parsePrivateKeyDer()` for a checked key).
 * @throws {KeyError} `wrong_password` when the padding or the decrypted
 * structure is wrong; `unsupported`; `malformed`.
 * @throws {DecodeError} when the outer structure is malformed.
 *
 * @example
 * ```ts
 * import { decryptPrivateKeyInfo, encryptPrivateKeyPkcs8 } from "./encrypted_pkcs8.ts";
 * import { KeyError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * const der = encryptPrivateKeyPkcs8(key, "right", { iterations: 10 });
 * assert.deepEqual(decryptPrivateKeyInfo(der, "right").d, key.d);
 * assert.throws(() => decryptPrivateKeyInfo(der, "wrong"), (e) => e instanceof KeyError && e.code === "wrong_password");
 * ```
 */
export function decryptPrivateKeyInfo(
  der: Uint8Array,
  password: string | PbePassword,
): PrivateKeyInfoParts {
  const info = decodeEncryptedPrivateKeyInfo(der);
  const pw = typeof password === "string" ? pbePassword(password) : password;
  const plain = pbeDecrypt(info.algorithm, pw, info.encryptedData);
  return decodeDecrypted(plain, decodePrivateKeyInfo);
}

/**
 * Runs `decode` over decrypted bytes and reports a failure to parse as a
 * wrong password: with the right password the plaintext is the structure
 * the sender encrypted, so garbage that happened to have valid padding
 * (about 1 wrong password in 256) is caught here.
 *
 * @param plain Decrypted bytes, padding removed.
 * @param decode The decoder for the expected structure.
 * @returns What `decode` returns.
 * @throws {KeyError} `wrong_password` when `decode` throws a `DecodeError`
 * or a `KeyError` `malformed`; other errors pass through.
 *
 * @example
 * ```ts
 * import { decodeDecrypted } from "./encrypted_pkcs8.ts";
 * import { decodeRsaPrivateKey } from "./rsa.ts";
 * import { KeyError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => decodeDecrypted(new Uint8Array([0x30, 0x00]), decodeRsaPrivateKey),
 *   (e) => e instanceof KeyError && e.code === "wrong_password",
 * );
 * ```
 */
export function decodeDecrypted<T>(
  plain: Uint8Array,
  decode: (der: Uint8Array) => T,
): T {
  try {
    return decode(plain);
  } catch (err) {
    if (
      err instanceof DecodeError ||
      (err instanceof KeyError && err.code === "malformed")
    ) {
      throw new KeyError(
        "wrong_password",
        "Cannot decrypt private key: wrong password (decrypted data is not a key)",
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Encrypts a private key as PKCS#8 `EncryptedPrivateKeyInfo` with PBES2, by
 * default as OpenSSL 3 does: PBKDF2-HMAC-SHA256, 2048 iterations,
 * AES-256-CBC, random 16-byte salt and IV.
 *
 * @param key The key.
 * @param password The password (UTF-8 is fed to PBKDF2).
 * @param options Iterations, cipher and PRF.
 * @returns The DER encoding.
 *
 * @example
 * ```ts
 * import { encryptPrivateKeyPkcs8 } from "./encrypted_pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * assert.equal(encryptPrivateKeyPkcs8(key, "pw")[0], 0x30);
 * ```
 */
export function encryptPrivateKeyPkcs8(
  key: PrivateKey,
  password: string,
  options: Pbes2Options = {},
): Uint8Array {
  const params = pbes2Parameters(options);
  const encrypted = pbeEncrypt(
    params,
    pbePassword(password),
    encodePrivateKeyPkcs8(key),
  );
  return derSequence([encodePbeAlgorithm(params), derOctetString(encrypted)]);
}

/**
 * Encrypts a private key as a `-----BEGIN ENCRYPTED PRIVATE KEY-----` PEM
 * block (RFC 7468 §11); see {@link encryptPrivateKeyPkcs8}.
 *
 * @param key The key.
 * @param password The password.
 * @param options Iterations, cipher and PRF.
 * @returns PEM text.
 *
 * @example
 * ```ts
 * import { privateKeyToEncryptedPem } from "./encrypted_pkcs8.ts";
 * import assert from "node:assert/strict";
 *
 * const key = { kind: "ec", curve: "P-256", d: new Uint8Array(32).fill(1), point: new Uint8Array(65).fill(4) } as const;
 * assert.match(privateKeyToEncryptedPem(key, "pw", { iterations: 10 }), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
 * ```
 */
export function privateKeyToEncryptedPem(
  key: PrivateKey,
  password: string,
  options: Pbes2Options = {},
): string {
  return encodePem(
    "ENCRYPTED PRIVATE KEY",
    encryptPrivateKeyPkcs8(key, password, options),
  );
}
