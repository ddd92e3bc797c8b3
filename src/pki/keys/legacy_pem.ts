/**
 * Legacy ("traditional") encrypted PEM as OpenSSL writes it with
 * `openssl ec -aes128`, `openssl rsa -aes256 -traditional` or `-des3`
 * (RFC 1421 §4.6.1.1 `Proc-Type`, §4.6.1.3 `DEK-Info`; OpenSSL
 * `PEM_do_header`):
 *
 * ```
 * -----BEGIN EC PRIVATE KEY-----
 * Proc-Type: 4,ENCRYPTED
 * DEK-Info: AES-128-CBC,<IV in hex>
 *
 * <base64 of the CBC ciphertext of the DER key, PKCS#7 padded>
 * -----END EC PRIVATE KEY-----
 * ```
 *
 * The key is OpenSSL's `EVP_BytesToKey` with MD5, one iteration, the
 * password's UTF-8 bytes and the first 8 bytes of the IV as salt. The
 * derivation is weak (one MD5 per block); this module only reads such files
 * so that existing operator keys keep working.
 *
 * @module
 */

import { md5 } from "@noble/hashes/legacy.js";
import { concatBytes, DecodeError, decodeHex } from "../../bytes/mod.ts";
import { aesCbcDecrypt, desEde3CbcDecrypt } from "../../crypto/mod.ts";
import { removePadding } from "../pbe.ts";
import { KeyError } from "./errors.ts";

interface LegacyCipher {
  readonly keyLength: number;
  readonly blockLength: number;
  readonly decrypt: (
    key: Uint8Array,
    iv: Uint8Array,
    data: Uint8Array,
  ) => Uint8Array;
}

const CIPHERS: Readonly<Record<string, LegacyCipher>> = {
  "AES-128-CBC": { keyLength: 16, blockLength: 16, decrypt: aesCbcDecrypt },
  "AES-192-CBC": { keyLength: 24, blockLength: 16, decrypt: aesCbcDecrypt },
  "AES-256-CBC": { keyLength: 32, blockLength: 16, decrypt: aesCbcDecrypt },
  "DES-EDE3-CBC": {
    keyLength: 24,
    blockLength: 8,
    decrypt: desEde3CbcDecrypt,
  },
};

/**
 * OpenSSL's `EVP_BytesToKey` with MD5 and one iteration:
 * D_1 = MD5(password || salt), D_i = MD5(D_{i-1} || password || salt), key =
 * the first `length` bytes of D_1 || D_2 || ….
 *
 * @param password The password bytes.
 * @param salt 8 bytes (the start of the PEM IV).
 * @param length Key length in bytes.
 * @returns The key.
 *
 * @example Matches `openssl enc -aes-128-cbc -pass pass:pw -S 0001020304050607 -md md5 -P`
 * ```ts
 * import { evpBytesToKey } from "./legacy_pem.ts";
 * import { decodeHex, encodeHex } from "../../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = evpBytesToKey(new TextEncoder().encode("pw"), decodeHex("0001020304050607"), 16);
 * assert.equal(encodeHex(key), "a55f79aa00e8dd0e7d3ce26ed40d7cd3");
 * ```
 */
export function evpBytesToKey(
  password: Uint8Array,
  salt: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  let prev = new Uint8Array(0);
  for (let pos = 0; pos < length; pos += 16) {
    prev = md5(concatBytes(prev, password, salt));
    out.set(prev.subarray(0, Math.min(16, length - pos)), pos);
  }
  return out;
}

/**
 * Whether PEM headers mark the block as legacy-encrypted.
 *
 * @param headers The block's RFC 1421 headers.
 * @returns `true` when `Proc-Type` is present.
 *
 * @example
 * ```ts
 * import { isLegacyEncrypted } from "./legacy_pem.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLegacyEncrypted({ "Proc-Type": "4,ENCRYPTED" }), true);
 * assert.equal(isLegacyEncrypted({}), false);
 * ```
 */
export function isLegacyEncrypted(
  headers: Readonly<Record<string, string>>,
): boolean {
  return headers["Proc-Type"] !== undefined;
}

/**
 * Decrypts the body of a legacy encrypted PEM block and removes the padding.
 * The caller must parse the result and treat a parse failure as a wrong
 * password (see `decodeDecrypted()`).
 *
 * @param headers The block's headers (`Proc-Type`, `DEK-Info`).
 * @param body The base64-decoded body.
 * @param password The password.
 * @returns The DER key.
 * @throws {KeyError} `wrong_password` on bad padding, `unsupported` for
 * other ciphers, `malformed` for bad headers or a ragged body.
 *
 * @example
 * ```ts
 * import { decryptLegacyPem } from "./legacy_pem.ts";
 * import { KeyError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = { "Proc-Type": "4,ENCRYPTED", "DEK-Info": "CAMELLIA-128-CBC,00000000000000000000000000000000" };
 * assert.throws(() => decryptLegacyPem(headers, new Uint8Array(16), "pw"), (e) => e instanceof KeyError && e.code === "unsupported");
 * ```
 */
export function decryptLegacyPem(
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  password: string,
): Uint8Array {
  const procType = (headers["Proc-Type"] ?? "").replace(/\s+/g, "");
  if (procType !== "4,ENCRYPTED") {
    throw new KeyError(
      "unsupported",
      `Cannot load PEM key: Proc-Type "${procType}" is not supported`,
    );
  }
  const dekInfo = headers["DEK-Info"];
  const m = dekInfo === undefined
    ? null
    : /^([A-Za-z0-9-]+)\s*,\s*([0-9A-Fa-f]*)$/.exec(dekInfo.trim());
  if (!m) {
    throw new KeyError(
      "malformed",
      "Cannot load PEM key: DEK-Info header is missing or malformed",
    );
  }
  const name = (m[1] as string).toUpperCase();
  const cipher = CIPHERS[name];
  if (!cipher) {
    throw new KeyError(
      "unsupported",
      `Cannot load PEM key: cipher ${name} is not supported`,
    );
  }
  const ivHex = m[2] as string;
  if (ivHex.length !== cipher.blockLength * 2) {
    throw new KeyError(
      "malformed",
      `Cannot load PEM key: DEK-Info IV must be ${cipher.blockLength} bytes`,
    );
  }
  let iv: Uint8Array;
  try {
    iv = decodeHex(ivHex);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new KeyError("malformed", "Cannot load PEM key: bad DEK-Info IV", {
      cause: err,
    });
  }
  if (body.length === 0 || body.length % cipher.blockLength !== 0) {
    throw new KeyError(
      "malformed",
      `Cannot load PEM key: encrypted body is not a whole number of ${cipher.blockLength}-byte blocks`,
    );
  }
  const utf8 = new TextEncoder().encode(password);
  const key = evpBytesToKey(utf8, iv.subarray(0, 8), cipher.keyLength);
  return removePadding(cipher.decrypt(key, iv, body), cipher.blockLength);
}
