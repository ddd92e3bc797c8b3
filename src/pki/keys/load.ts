/**
 * One entry point for the private keys operators configure
 * (`LISTENER_SSL_PEM_KEY`, `_PEM_KEY_PASSWORD`): PKCS#8, encrypted PKCS#8,
 * SEC1 and PKCS#1, unencrypted or legacy-encrypted PEM, alone or in a file
 * that also holds certificates.
 *
 * Every failure is a {@link KeyError}: a `DecodeError` from the ASN.1 or
 * PEM layer becomes `malformed` (kept as `cause`), a wrong password is
 * `wrong_password` however it shows (bad padding or undecodable plaintext),
 * an encrypted key without a password is `password_required`. A password
 * given for an unencrypted key is ignored.
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";
import { CryptoError, type PrivateKey } from "../../crypto/mod.ts";
import { DerReader, Tag } from "../asn1/mod.ts";
import { decodePem, type PemBlock } from "../pem.ts";
import { completeEcPrivateKey, completePrivateKey } from "./_complete.ts";
import { decodeDecrypted, decryptPrivateKeyInfo } from "./encrypted_pkcs8.ts";
import { KeyError } from "./errors.ts";
import { decryptLegacyPem, isLegacyEncrypted } from "./legacy_pem.ts";
import { decodePrivateKeyInfo } from "./pkcs8.ts";
import { decodeRsaPrivateKey } from "./rsa.ts";
import { decodeEcPrivateKey } from "./sec1.ts";

/** The encodings a private key can come in. */
export type PrivateKeyFormat = "pkcs8" | "encrypted_pkcs8" | "sec1" | "pkcs1";

/** PEM labels of private keys (RFC 7468 §10, §11; OpenSSL's traditional labels). */
const LABELS: Readonly<Record<string, PrivateKeyFormat>> = {
  "PRIVATE KEY": "pkcs8",
  "ENCRYPTED PRIVATE KEY": "encrypted_pkcs8",
  "EC PRIVATE KEY": "sec1",
  "RSA PRIVATE KEY": "pkcs1",
};

/**
 * Loads the private key from PEM text. The text may hold other blocks
 * (certificates, OpenSSL's `EC PARAMETERS`, `Bag Attributes` lines); the
 * first private-key block is used.
 *
 * @param pemText The file's content.
 * @param password The password for an encrypted key; ignored otherwise.
 * @returns The checked key (EC point derived or verified, RSA CRT values
 * consistent).
 * @throws {KeyError} `no_key`, `password_required`, `wrong_password`,
 * `unsupported` or `malformed`.
 *
 * @example Load a key that shares a file with its certificate
 * ```ts
 * import { loadPrivateKey, privateKeyToPem } from "./mod.ts";
 * import { generateEcKeyPair } from "../../crypto/mod.ts";
 * import { encodePem } from "../pem.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const text = encodePem("CERTIFICATE", new Uint8Array([0x30, 0x00])) + privateKeyToPem(key);
 * assert.deepEqual(loadPrivateKey(text), key);
 * ```
 */
export function loadPrivateKey(pemText: string, password?: string): PrivateKey {
  return asKeyError(() => {
    const blocks = decodePem(pemText);
    const block = blocks.find((b) => LABELS[b.label] !== undefined);
    if (!block) {
      const found = blocks.map((b) => b.label);
      throw new KeyError(
        "no_key",
        found.length
          ? `Cannot load private key: no private key block in PEM text (found ${
            [...new Set(found)].join(", ")
          })`
          : "Cannot load private key: no PEM block found",
      );
    }
    return parsePemBlock(block, password);
  });
}

function parsePemBlock(block: PemBlock, password?: string): PrivateKey {
  const format = LABELS[block.label] as PrivateKeyFormat;
  if (!isLegacyEncrypted(block.headers)) {
    return parseFormat(format, block.der, password);
  }
  // RFC 1421 encryption of a traditional (or, rarely, PKCS#8) key.
  if (format === "encrypted_pkcs8") {
    throw new KeyError(
      "unsupported",
      "Cannot load private key: ENCRYPTED PRIVATE KEY with Proc-Type headers",
    );
  }
  if (password === undefined) {
    throw new KeyError(
      "password_required",
      `Cannot load private key: the ${block.label} is encrypted and no password was given`,
    );
  }
  const plain = decryptLegacyPem(block.headers, block.der, password);
  return decodeDecrypted(plain, (der) => parseFormat(format, der));
}

/**
 * Parses a DER private key in any supported format, detected from its
 * structure: PKCS#8, encrypted PKCS#8, SEC1 or PKCS#1.
 *
 * @param der The DER encoding.
 * @param password The password for an encrypted PKCS#8 key; ignored
 * otherwise.
 * @returns The checked key.
 * @throws {KeyError} `password_required`, `wrong_password`, `unsupported` or
 * `malformed`.
 *
 * @example
 * ```ts
 * import { encodePrivateKeyPkcs8, parsePrivateKeyDer } from "./mod.ts";
 * import { generateEcKeyPair } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-384");
 * assert.deepEqual(parsePrivateKeyDer(encodePrivateKeyPkcs8(key)), key);
 * ```
 */
export function parsePrivateKeyDer(
  der: Uint8Array,
  password?: string,
): PrivateKey {
  return asKeyError(() => parseFormat(detectFormat(der), der, password));
}

/**
 * Tells the encoding of a DER private key from its first fields:
 * `SEQUENCE { SEQUENCE …` is encrypted PKCS#8, `SEQUENCE { INTEGER,
 * SEQUENCE …` PKCS#8, `SEQUENCE { INTEGER, OCTET STRING …` SEC1 and
 * `SEQUENCE { INTEGER, INTEGER …` PKCS#1.
 *
 * @param der The DER encoding.
 * @returns The format.
 * @throws {DecodeError} when it is none of them.
 *
 * @example
 * ```ts
 * import { detectPrivateKeyFormat } from "./load.ts";
 * import assert from "node:assert/strict";
 *
 * // SEQUENCE { INTEGER 1, OCTET STRING … }
 * assert.equal(detectPrivateKeyFormat(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07])), "sec1");
 * ```
 */
export function detectPrivateKeyFormat(der: Uint8Array): PrivateKeyFormat {
  return detectFormat(der);
}

function detectFormat(der: Uint8Array): PrivateKeyFormat {
  const r = new DerReader(der).sequence("private key");
  const first = r.next("private key first field");
  if (first.tag === Tag.SEQUENCE) return "encrypted_pkcs8";
  if (first.tag === Tag.INTEGER) {
    switch (r.peekTag()) {
      case Tag.SEQUENCE:
        return "pkcs8";
      case Tag.OCTET_STRING:
        return "sec1";
      case Tag.INTEGER:
        return "pkcs1";
    }
  }
  throw new DecodeError(
    "private key",
    first.offset,
    "not PKCS#8, encrypted PKCS#8, SEC1 or PKCS#1",
  );
}

function parseFormat(
  format: PrivateKeyFormat,
  der: Uint8Array,
  password?: string,
): PrivateKey {
  switch (format) {
    case "pkcs8":
      return completePrivateKey(decodePrivateKeyInfo(der));
    case "encrypted_pkcs8":
      if (password === undefined) {
        throw new KeyError(
          "password_required",
          "Cannot load private key: the key is encrypted and no password was given",
        );
      }
      return completePrivateKey(decryptPrivateKeyInfo(der, password));
    case "pkcs1":
      return decodeRsaPrivateKey(der);
    case "sec1": {
      const parts = decodeEcPrivateKey(der);
      const { curve } = parts;
      if (curve === undefined) {
        throw new KeyError(
          "malformed",
          "Cannot load EC private key: it does not name its curve",
        );
      }
      return completeEcPrivateKey({ ...parts, curve });
    }
  }
}

/** Maps decoding failures at a public entry point to `KeyError` `malformed`. */
function asKeyError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError || err instanceof CryptoError) {
      throw new KeyError(
        "malformed",
        `Cannot load private key: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
