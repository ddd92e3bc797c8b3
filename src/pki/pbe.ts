/**
 * Password-based encryption shared by encrypted PKCS#8 keys and PKCS#12
 * keystores:
 *
 * - PBES2 with PBKDF2 (RFC 8018 §6.2, §5.2, §A.2, §A.4, §B.2): what OpenSSL 3
 *   writes by default (PBKDF2-HMAC-SHA256, AES-256-CBC), plus AES-128/192,
 *   DES-EDE3-CBC and the hmacWithSHA1 PRF that applies when `prf` is absent.
 * - The PKCS#12 PBE schemes (RFC 7292 Appendix C) over the PKCS#12 key
 *   derivation function (RFC 7292 Appendix B.2): pbeWithSHAAnd3-KeyTripleDES-CBC,
 *   2-KeyTripleDES-CBC, 128-bit and 40-bit RC2-CBC, as `openssl pkcs12
 *   -legacy` and old Java keystores write.
 *
 * Passwords. PKCS#12 PBE and the PKCS#12 MAC feed the KDF a BMPString:
 * UTF-16BE followed by two zero bytes (RFC 7292 §B.1). PBES2 — including
 * PBES2 inside a PKCS#12 file — takes the password's UTF-8 bytes, as OpenSSL
 * does. {@link PbePassword} carries both forms so each scheme picks its own.
 *
 * Security notes:
 * - Iteration counts are bounded by {@link MAX_PBE_ITERATIONS}: a hostile file
 *   with a huge count is refused as `unsupported` instead of hanging the
 *   process.
 * - A padding failure after decryption means a wrong password (or a damaged
 *   file) and is reported as `KeyError` `wrong_password`. About 1 in 256 wrong
 *   passwords still yields valid padding, so callers must also check that the
 *   plaintext parses as the structure they expect and report
 *   `wrong_password` when it does not.
 *
 * @module
 */

import { concatBytes } from "../bytes/mod.ts";
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  desEde3CbcDecrypt,
  desEde3CbcEncrypt,
  digest,
  type HashAlgorithm,
  hashBlockLength,
  hashLength,
  pbkdf2,
  randomBytes,
  rc2CbcDecrypt,
  rc2CbcEncrypt,
} from "../crypto/mod.ts";
import {
  derInteger,
  derNull,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  Tag,
} from "./asn1/mod.ts";
import { KeyError } from "./keys/errors.ts";
import { OID } from "./oids.ts";

/**
 * Largest PBKDF2 or PKCS#12 KDF iteration count accepted. OpenSSL writes
 * 2048; real files rarely exceed a few hundred thousand.
 *
 * @example
 * ```ts
 * import { MAX_PBE_ITERATIONS } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PBE_ITERATIONS, 10_000_000);
 * ```
 */
export const MAX_PBE_ITERATIONS = 10_000_000;

/** Block ciphers used by password-based encryption of keys. */
export type PbeCipher =
  | "aes-128-cbc"
  | "aes-192-cbc"
  | "aes-256-cbc"
  | "des-ede3-cbc"
  | "des-ede-cbc"
  | "rc2-128-cbc"
  | "rc2-40-cbc";

/** PBES2 with PBKDF2 (RFC 8018 §6.2, §A.2, §A.4). */
export interface Pbes2Parameters {
  readonly scheme: "pbes2";
  /** The PBKDF2 PRF's hash (HMAC-`prf`); SHA-1 when the encoding omits it. */
  readonly prf: HashAlgorithm;
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly cipher: PbeCipher;
  readonly iv: Uint8Array;
}

/** A PKCS#12 PBE scheme (RFC 7292 Appendix C), always over SHA-1. */
export interface Pkcs12PbeParameters {
  readonly scheme: "pkcs12";
  readonly cipher: PbeCipher;
  readonly salt: Uint8Array;
  readonly iterations: number;
}

/** Parameters of one password-based encryption. */
export type PbeParameters = Pbes2Parameters | Pkcs12PbeParameters;

/**
 * A password in the two byte forms the schemes use.
 */
export interface PbePassword {
  /** For PBES2 / PBKDF2 (and legacy PEM): the UTF-8 bytes. */
  readonly utf8: Uint8Array;
  /** For the PKCS#12 KDF: BMPString with a two-byte zero terminator. */
  readonly bmp: Uint8Array;
}

interface CipherInfo {
  readonly keyLength: number;
  readonly blockLength: number;
}

const CIPHERS: Record<PbeCipher, CipherInfo> = {
  "aes-128-cbc": { keyLength: 16, blockLength: 16 },
  "aes-192-cbc": { keyLength: 24, blockLength: 16 },
  "aes-256-cbc": { keyLength: 32, blockLength: 16 },
  "des-ede3-cbc": { keyLength: 24, blockLength: 8 },
  "des-ede-cbc": { keyLength: 16, blockLength: 8 },
  "rc2-128-cbc": { keyLength: 16, blockLength: 8 },
  "rc2-40-cbc": { keyLength: 5, blockLength: 8 },
};

const PBES2_CIPHER_OIDS: Readonly<Record<string, PbeCipher>> = {
  [OID.aes128Cbc]: "aes-128-cbc",
  [OID.aes192Cbc]: "aes-192-cbc",
  [OID.aes256Cbc]: "aes-256-cbc",
  [OID.desEde3Cbc]: "des-ede3-cbc",
};

const PKCS12_PBE_OIDS: Readonly<Record<string, PbeCipher>> = {
  [OID.pbeWithSha1And3KeyTripleDesCbc]: "des-ede3-cbc",
  [OID.pbeWithSha1And2KeyTripleDesCbc]: "des-ede-cbc",
  [OID.pbeWithSha1And128BitRc2Cbc]: "rc2-128-cbc",
  [OID.pbeWithSha1And40BitRc2Cbc]: "rc2-40-cbc",
};

const PRF_OIDS: Readonly<Record<string, HashAlgorithm>> = {
  [OID.hmacWithSha1]: "SHA-1",
  [OID.hmacWithSha256]: "SHA-256",
  [OID.hmacWithSha384]: "SHA-384",
  [OID.hmacWithSha512]: "SHA-512",
};

function oidOf<T extends string>(
  table: Readonly<Record<string, T>>,
  value: T,
): string {
  for (const [oid, v] of Object.entries(table)) if (v === value) return oid;
  throw new RangeError(`Cannot encode PBE parameters: no OID for ${value}`);
}

/**
 * BMPString form of a password for the PKCS#12 KDF (RFC 7292 §B.1): UTF-16
 * big-endian code units followed by two zero bytes. The empty password is
 * just the terminator.
 *
 * @param password The password.
 * @returns The encoded password.
 *
 * @example
 * ```ts
 * import { bmpPassword } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(bmpPassword("ab"), new Uint8Array([0, 0x61, 0, 0x62, 0, 0]));
 * assert.deepEqual(bmpPassword(""), new Uint8Array([0, 0]));
 * ```
 */
export function bmpPassword(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

/**
 * Both byte forms of `password`.
 *
 * @param password The password as typed.
 * @returns UTF-8 and BMPString forms.
 *
 * @example
 * ```ts
 * import { pbePassword } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const pw = pbePassword("é");
 * assert.deepEqual(pw.utf8, new Uint8Array([0xc3, 0xa9]));
 * assert.deepEqual(pw.bmp, new Uint8Array([0, 0xe9, 0, 0]));
 * ```
 */
export function pbePassword(password: string): PbePassword {
  return {
    utf8: new TextEncoder().encode(password),
    bmp: bmpPassword(password),
  };
}

/**
 * The password forms OpenSSL tries when reading a PKCS#12 file, in its
 * order (`apps/pkcs12.c`):
 *
 * - for the empty password, first "no password" (an empty byte string, no
 *   BMP terminator), then the empty BMPString `00 00`;
 * - the proper BMPString of the password;
 * - for a non-ASCII password, the form OpenSSL before 1.1.0 wrote, which
 *   widened each UTF-8 byte to 16 bits.
 *
 * @param password The password as typed.
 * @returns Candidates to try against the MAC, most likely first.
 *
 * @example
 * ```ts
 * import { pkcs12PasswordCandidates } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(pkcs12PasswordCandidates("").length, 2);
 * assert.equal(pkcs12PasswordCandidates("secret").length, 1);
 * assert.equal(pkcs12PasswordCandidates("pässwort").length, 2);
 * ```
 */
export function pkcs12PasswordCandidates(password: string): PbePassword[] {
  const standard = pbePassword(password);
  if (password === "") {
    return [{ utf8: standard.utf8, bmp: new Uint8Array(0) }, standard];
  }
  const out = [standard];
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(password)) {
    const bytes = standard.utf8;
    const bmp = new Uint8Array(bytes.length * 2 + 2);
    for (let i = 0; i < bytes.length; i++) {
      bmp[2 * i + 1] = bytes[i] as number;
    }
    out.push({ utf8: standard.utf8, bmp });
  }
  return out;
}

function checkIterations(n: number, what: string): number {
  if (n < 1) {
    throw new KeyError("malformed", `Cannot use ${what}: iteration count ${n}`);
  }
  if (n > MAX_PBE_ITERATIONS) {
    throw new KeyError(
      "unsupported",
      `Cannot use ${what}: iteration count ${n} exceeds ${MAX_PBE_ITERATIONS}`,
    );
  }
  return n;
}

function readIterations(r: DerReader, what: string): number {
  const el = r.read(Tag.INTEGER, `${what}.iterationCount`);
  // Anything longer than 4 content bytes is far beyond the bound anyway.
  if (el.value.length > 5) {
    throw new KeyError(
      "unsupported",
      `Cannot use ${what}: iteration count exceeds ${MAX_PBE_ITERATIONS}`,
    );
  }
  return checkIterations(
    Number(new DerReader(el.raw, el.offset).integer(`${what}.iterationCount`)),
    what,
  );
}

/**
 * Derives key material with the PKCS#12 KDF (RFC 7292 Appendix B.2).
 *
 * @param hash The hash function H (SHA-1 for the PBE schemes; the MAC's
 * hash for the MAC key).
 * @param password The BMPString password (see {@link bmpPassword}).
 * @param salt The salt.
 * @param id 1 for key material, 2 for an IV, 3 for a MAC key.
 * @param iterations The iteration count r.
 * @param length Bytes of output.
 * @returns The derived bytes.
 *
 * @example The classic PKCS#12 KDF vector (password "smeg", SHA-1, key ID 1)
 * ```ts
 * import { bmpPassword, pkcs12Kdf } from "./pbe.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = pkcs12Kdf("SHA-1", bmpPassword("smeg"), decodeHex("0a58cf64530d823f"), 1, 1, 24);
 * assert.equal(encodeHex(key), "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3");
 * ```
 */
export function pkcs12Kdf(
  hash: HashAlgorithm,
  password: Uint8Array,
  salt: Uint8Array,
  id: number,
  iterations: number,
  length: number,
): Uint8Array {
  checkIterations(iterations, "PKCS#12 key derivation");
  const u = hashLength(hash);
  const v = hashBlockLength(hash);
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) {
      out[i] = src[i % src.length] as number;
    }
    return out;
  };
  const d = new Uint8Array(v).fill(id);
  const i = concatBytes(fill(salt), fill(password));
  const out = new Uint8Array(length);
  for (let pos = 0; pos < length; pos += u) {
    let a = digest(hash, concatBytes(d, i));
    for (let r = 1; r < iterations; r++) a = digest(hash, a);
    out.set(a.subarray(0, Math.min(u, length - pos)), pos);
    if (pos + u >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v), with B = A repeated to v bytes.
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        carry += (i[j + k] as number) + (a[k % u] as number);
        i[j + k] = carry & 0xff;
        carry >>= 8;
      }
    }
  }
  return out;
}

/**
 * Decodes a password-based encryption AlgorithmIdentifier: PBES2
 * (RFC 8018 §A.4) or a PKCS#12 PBE scheme (RFC 7292 Appendix C).
 *
 * @param der The AlgorithmIdentifier's DER encoding.
 * @param offset Offset of `der` in the outer input, for error messages.
 * @returns The parameters.
 * @throws {DecodeError} on malformed DER.
 * @throws {KeyError} `unsupported` for other schemes, ciphers or PRFs, and
 * for iteration counts above {@link MAX_PBE_ITERATIONS}.
 *
 * @example
 * ```ts
 * import { decodePbeAlgorithm, encodePbeAlgorithm } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const params = {
 *   scheme: "pbes2", prf: "SHA-256", cipher: "aes-256-cbc", iterations: 2048,
 *   salt: new Uint8Array(16), iv: new Uint8Array(16),
 * } as const;
 * assert.deepEqual(decodePbeAlgorithm(encodePbeAlgorithm(params)), params);
 * ```
 */
export function decodePbeAlgorithm(der: Uint8Array, offset = 0): PbeParameters {
  const outer = new DerReader(der, offset);
  const alg = outer.sequence("AlgorithmIdentifier");
  const oid = alg.oid("AlgorithmIdentifier.algorithm");
  let result: PbeParameters;
  const pkcs12Cipher = PKCS12_PBE_OIDS[oid];
  if (pkcs12Cipher) {
    // RFC 7292 Appendix C: pkcs-12PbeParams ::= SEQUENCE { salt, iterations }
    const p = alg.sequence("pkcs-12PbeParams");
    const salt = p.octetString("pkcs-12PbeParams.salt");
    const iterations = readIterations(p, "pkcs-12PbeParams");
    p.expectEnd("pkcs-12PbeParams");
    result = { scheme: "pkcs12", cipher: pkcs12Cipher, salt, iterations };
  } else if (oid === OID.pbes2) {
    result = decodePbes2Params(alg);
  } else {
    throw new KeyError(
      "unsupported",
      `Cannot decrypt: encryption scheme ${oid} is not supported`,
    );
  }
  alg.expectEnd("AlgorithmIdentifier");
  outer.expectEnd("AlgorithmIdentifier");
  return result;
}

function decodePbes2Params(alg: DerReader): Pbes2Parameters {
  // RFC 8018 §A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }
  const p = alg.sequence("PBES2-params");
  const kdf = p.sequence("PBES2-params.keyDerivationFunc");
  const kdfOid = kdf.oid("keyDerivationFunc.algorithm");
  if (kdfOid !== OID.pbkdf2) {
    throw new KeyError(
      "unsupported",
      `Cannot decrypt: key derivation function ${kdfOid} is not supported (only PBKDF2)`,
    );
  }
  // RFC 8018 §A.2: PBKDF2-params ::= SEQUENCE { salt CHOICE { specified
  // OCTET STRING, otherSource AlgorithmIdentifier }, iterationCount,
  // keyLength OPTIONAL, prf DEFAULT algid-hmacWithSHA1 }
  const kp = kdf.sequence("PBKDF2-params");
  if (kp.peekTag() !== Tag.OCTET_STRING) {
    throw new KeyError(
      "unsupported",
      "Cannot decrypt: PBKDF2 salt from otherSource is not supported",
    );
  }
  const salt = kp.octetString("PBKDF2-params.salt");
  const iterations = readIterations(kp, "PBKDF2-params");
  let keyLength: number | undefined;
  if (kp.peekTag() === Tag.INTEGER) {
    keyLength = kp.smallInteger("PBKDF2-params.keyLength");
  }
  let prf: HashAlgorithm = "SHA-1";
  if (kp.anyLeft()) {
    const pa = kp.sequence("PBKDF2-params.prf");
    const prfOid = pa.oid("prf.algorithm");
    const found = PRF_OIDS[prfOid];
    if (!found) {
      throw new KeyError(
        "unsupported",
        `Cannot decrypt: PBKDF2 PRF ${prfOid} is not supported`,
      );
    }
    prf = found;
    if (pa.anyLeft()) pa.null("prf.parameters");
    pa.expectEnd("prf");
  }
  kp.expectEnd("PBKDF2-params");
  kdf.expectEnd("keyDerivationFunc");

  const enc = p.sequence("PBES2-params.encryptionScheme");
  const encOid = enc.oid("encryptionScheme.algorithm");
  const cipher = PBES2_CIPHER_OIDS[encOid];
  if (!cipher) {
    throw new KeyError(
      "unsupported",
      `Cannot decrypt: PBES2 cipher ${encOid} is not supported`,
    );
  }
  const iv = enc.octetString("encryptionScheme.iv");
  const info = CIPHERS[cipher];
  if (iv.length !== info.blockLength) {
    throw new KeyError(
      "malformed",
      `Cannot decrypt: ${cipher} IV is ${iv.length} bytes, expected ${info.blockLength}`,
    );
  }
  if (keyLength !== undefined && keyLength !== info.keyLength) {
    throw new KeyError(
      "malformed",
      `Cannot decrypt: PBKDF2 keyLength ${keyLength} does not fit ${cipher}`,
    );
  }
  enc.expectEnd("encryptionScheme");
  p.expectEnd("PBES2-params");
  return { scheme: "pbes2", prf, salt, iterations, cipher, iv };
}

/**
 * Encodes PBE parameters as an AlgorithmIdentifier, as OpenSSL 3 writes
 * them (PBKDF2 without keyLength; the PRF omitted when it is hmacWithSHA1).
 *
 * @param params The parameters.
 * @returns The DER encoding.
 *
 * @example
 * ```ts
 * import { encodePbeAlgorithm } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const der = encodePbeAlgorithm({ scheme: "pkcs12", cipher: "des-ede3-cbc", salt: new Uint8Array(8), iterations: 2048 });
 * assert.equal(der[0], 0x30);
 * ```
 */
export function encodePbeAlgorithm(params: PbeParameters): Uint8Array {
  if (params.scheme === "pkcs12") {
    return derSequence([
      derOid(oidOf(PKCS12_PBE_OIDS, params.cipher)),
      derSequence([
        derOctetString(params.salt),
        derInteger(params.iterations),
      ]),
    ]);
  }
  const kdfParams = [
    derOctetString(params.salt),
    derInteger(params.iterations),
  ];
  if (params.prf !== "SHA-1") {
    kdfParams.push(
      derSequence([derOid(oidOf(PRF_OIDS, params.prf)), derNull()]),
    );
  }
  return derSequence([
    derOid(OID.pbes2),
    derSequence([
      derSequence([derOid(OID.pbkdf2), derSequence(kdfParams)]),
      derSequence([
        derOid(oidOf(PBES2_CIPHER_OIDS, params.cipher)),
        derOctetString(params.iv),
      ]),
    ]),
  ]);
}

/** Options for {@link pbes2Parameters}. */
export interface Pbes2Options {
  /** PBKDF2 iterations; default 2048 (OpenSSL 3's default). */
  readonly iterations?: number;
  /** Default `aes-256-cbc`. */
  readonly cipher?: "aes-128-cbc" | "aes-192-cbc" | "aes-256-cbc";
  /** Default `SHA-256`. */
  readonly prf?: HashAlgorithm;
}

/**
 * Fresh PBES2 parameters with a random 16-byte salt and IV, by default as
 * OpenSSL 3 chooses them: PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC.
 *
 * @param options Overrides.
 * @returns New parameters.
 *
 * @example
 * ```ts
 * import { pbes2Parameters } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const p = pbes2Parameters();
 * assert.equal(p.iterations, 2048);
 * assert.equal(p.cipher, "aes-256-cbc");
 * ```
 */
export function pbes2Parameters(options: Pbes2Options = {}): Pbes2Parameters {
  const iterations = checkIterations(
    options.iterations ?? 2048,
    "PBES2 encryption",
  );
  return {
    scheme: "pbes2",
    prf: options.prf ?? "SHA-256",
    salt: randomBytes(16),
    iterations,
    cipher: options.cipher ?? "aes-256-cbc",
    iv: randomBytes(16),
  };
}

function deriveKeyIv(
  params: PbeParameters,
  password: PbePassword,
): { key: Uint8Array; iv: Uint8Array } {
  const info = CIPHERS[params.cipher];
  checkIterations(params.iterations, "password-based encryption");
  if (params.scheme === "pbes2") {
    // RFC 8018 §6.2.2 step 3: DK = PBKDF2(P, S, c, dkLen)
    const key = pbkdf2(
      params.prf,
      password.utf8,
      params.salt,
      params.iterations,
      info.keyLength,
    );
    return { key, iv: params.iv };
  }
  // RFC 7292 Appendix B.2 with ID 1 (key) and ID 2 (IV), SHA-1.
  const key = pkcs12Kdf(
    "SHA-1",
    password.bmp,
    params.salt,
    1,
    params.iterations,
    info.keyLength,
  );
  const iv = pkcs12Kdf(
    "SHA-1",
    password.bmp,
    params.salt,
    2,
    params.iterations,
    info.blockLength,
  );
  return { key, iv };
}

function cbc(
  cipher: PbeCipher,
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  encrypt: boolean,
): Uint8Array {
  switch (cipher) {
    case "aes-128-cbc":
    case "aes-192-cbc":
    case "aes-256-cbc":
      return encrypt
        ? aesCbcEncrypt(key, iv, data)
        : aesCbcDecrypt(key, iv, data);
    case "des-ede-cbc":
    case "des-ede3-cbc": {
      // Two-key triple DES is K1 || K2 || K1.
      const k = key.length === 16 ? concatBytes(key, key.subarray(0, 8)) : key;
      return encrypt
        ? desEde3CbcEncrypt(k, iv, data)
        : desEde3CbcDecrypt(k, iv, data);
    }
    case "rc2-128-cbc":
    case "rc2-40-cbc": {
      const bits = key.length * 8;
      return encrypt
        ? rc2CbcEncrypt(key, iv, data, bits)
        : rc2CbcDecrypt(key, iv, data, bits);
    }
  }
}

/**
 * Removes PKCS#7 padding (RFC 8018 §6.1.1 step 4, RFC 5652 §6.3).
 *
 * @param data Decrypted data, a whole number of blocks.
 * @param blockLength The cipher's block length.
 * @returns The data without padding.
 * @throws {KeyError} `wrong_password` when the padding is not valid.
 *
 * @example
 * ```ts
 * import { removePadding } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(removePadding(new Uint8Array([9, 7, 7, 7, 7, 7, 7, 7]), 8), new Uint8Array([9]));
 * assert.throws(() => removePadding(new Uint8Array([9, 7, 7, 7, 7, 7, 7, 2]), 8));
 * ```
 */
export function removePadding(
  data: Uint8Array,
  blockLength: number,
): Uint8Array {
  const n = data.length === 0 ? 0 : data[data.length - 1] as number;
  let bad = n === 0 || n > blockLength || n > data.length ? 1 : 0;
  for (let i = 1; i <= blockLength && i <= data.length; i++) {
    bad |= i <= n && data[data.length - i] !== n ? 1 : 0;
  }
  if (bad) {
    throw new KeyError(
      "wrong_password",
      "Cannot decrypt: wrong password (padding check failed)",
    );
  }
  return data.subarray(0, data.length - n);
}

/**
 * Decrypts data encrypted under a password and removes the padding.
 *
 * @param params Scheme parameters from {@link decodePbeAlgorithm}.
 * @param password The password (see {@link pbePassword}).
 * @param ciphertext The encrypted data.
 * @returns The plaintext. With a wrong password this is garbage in about
 * 1 of 256 cases: parse it and treat a parse failure as a wrong password.
 * @throws {KeyError} `wrong_password` on bad padding, `malformed` when the
 * ciphertext is not a whole number of blocks.
 *
 * @example
 * ```ts
 * import { pbeDecrypt, pbeEncrypt, pbePassword, pbes2Parameters } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const params = pbes2Parameters({ iterations: 10 });
 * const ct = pbeEncrypt(params, pbePassword("pw"), new Uint8Array([1, 2, 3]));
 * assert.deepEqual(pbeDecrypt(params, pbePassword("pw"), ct), new Uint8Array([1, 2, 3]));
 * ```
 */
export function pbeDecrypt(
  params: PbeParameters,
  password: PbePassword,
  ciphertext: Uint8Array,
): Uint8Array {
  const info = CIPHERS[params.cipher];
  if (ciphertext.length === 0 || ciphertext.length % info.blockLength !== 0) {
    throw new KeyError(
      "malformed",
      `Cannot decrypt: ciphertext length ${ciphertext.length} is not a whole number of ${info.blockLength}-byte blocks`,
    );
  }
  const { key, iv } = deriveKeyIv(params, password);
  const plain = cbc(params.cipher, key, iv, ciphertext, false);
  return removePadding(plain, info.blockLength);
}

/**
 * Pads (PKCS#7) and encrypts data under a password.
 *
 * @param params Scheme parameters, e.g. from {@link pbes2Parameters}.
 * @param password The password (see {@link pbePassword}).
 * @param plaintext The data.
 * @returns The ciphertext.
 *
 * @example
 * ```ts
 * import { pbeEncrypt, pbePassword } from "./pbe.ts";
 * import assert from "node:assert/strict";
 *
 * const params = { scheme: "pkcs12", cipher: "des-ede3-cbc", salt: new Uint8Array(8), iterations: 1 } as const;
 * assert.equal(pbeEncrypt(params, pbePassword("pw"), new Uint8Array(8)).length, 16);
 * ```
 */
export function pbeEncrypt(
  params: PbeParameters,
  password: PbePassword,
  plaintext: Uint8Array,
): Uint8Array {
  const info = CIPHERS[params.cipher];
  const n = info.blockLength - (plaintext.length % info.blockLength);
  const padded = new Uint8Array(plaintext.length + n).fill(n);
  padded.set(plaintext);
  const { key, iv } = deriveKeyIv(params, password);
  return cbc(params.cipher, key, iv, padded, true);
}
