/**
 * PKCS#12 keystores (RFC 7292) for `LISTENER_SSL_CREDENTIALS_TYPE=KEYSTORE`:
 * the private key and certificate chain from what `openssl pkcs12 -export`
 * writes (OpenSSL 3 default and `-legacy`) and what Java's keytool writes.
 *
 * ```
 * PFX ::= SEQUENCE {
 *   version   INTEGER {v3(3)},
 *   authSafe  ContentInfo,            -- data: OCTET STRING (AuthenticatedSafe)
 *   macData   MacData OPTIONAL }
 * MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING,
 *                        iterations INTEGER DEFAULT 1 }
 * AuthenticatedSafe ::= SEQUENCE OF ContentInfo  -- data or encryptedData
 * SafeContents ::= SEQUENCE OF SafeBag
 * SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OF OPTIONAL }
 * ```
 *
 * Supported protection: the MAC over the AuthenticatedSafe (RFC 7292 §5.1,
 * HMAC keyed by the PKCS#12 KDF with ID 3 — OpenSSL 3 uses SHA-256, `-legacy`
 * SHA-1); shrouded key bags and encryptedData with PBES2 (OpenSSL 3's
 * default: PBKDF2-HMAC-SHA256 + AES-256-CBC) or the PKCS#12 PBE schemes
 * (`-legacy`: PBE-SHA1-3DES keys, PBE-SHA1-RC2-40 certificates). Public-key
 * integrity and privacy modes (signedData, envelopedData) and PBMAC1
 * (RFC 9579) are reported as `unsupported`.
 *
 * Passwords: the MAC and PKCS#12 PBE use the BMPString form, PBES2 the UTF-8
 * bytes (see `pbe.ts`). For the empty password OpenSSL first tries "no
 * password" (no bytes at all) and then the empty BMPString; so does
 * {@link readPkcs12}, and it also accepts non-ASCII passwords written by
 * OpenSSL before 1.1.0.
 *
 * Decisions and security notes:
 * - The MAC is checked before anything is decrypted, with a constant-time
 *   comparison; a MAC that fails under every password form is
 *   `KeyError` `wrong_password`.
 * - A file without a MAC (`openssl pkcs12 -nomac`) is accepted and reported
 *   with `macVerified: false`, unless `requireMac` is set. Its encrypted
 *   parts are still authenticated only by padding and structure checks.
 * - Iteration counts (MAC, PBKDF2, PKCS#12 KDF) above 10 000 000 are refused
 *   as `unsupported`, and so is a file whose derivations (every MAC attempt,
 *   encryptedData and key bag) add up to more; nested SafeContents are
 *   limited to {@link MAX_SAFE_CONTENTS_DEPTH} levels. The PKCS#12 KDF runs
 *   at about 4 µs per iteration, so the bound is roughly 40 s of CPU.
 * - BER input (indefinite lengths, chunked OCTET STRINGs, as some non-OpenSSL
 *   producers write) is normalised to DER first; OpenSSL writes DER.
 * - Only the first private key is returned; certificates come leaf first
 *   (the one whose `localKeyId` equals the key's), then the rest in file
 *   order.
 *
 * @module
 */

import { constantTimeEqual, DecodeError } from "../bytes/mod.ts";
import {
  CryptoError,
  type HashAlgorithm,
  hashLength,
  hmac,
  type PrivateKey,
} from "../crypto/mod.ts";
import { berToDer } from "./asn1/ber.ts";
import { type DerElement, DerReader, stringValue, Tag } from "./asn1/mod.ts";
import { completePrivateKey } from "./keys/_complete.ts";
import {
  decodeDecrypted,
  decodeEncryptedPrivateKeyInfo,
  decryptPrivateKeyInfo,
} from "./keys/encrypted_pkcs8.ts";
import { KeyError } from "./keys/errors.ts";
import { decodePrivateKeyInfo } from "./keys/pkcs8.ts";
import { OID } from "./oids.ts";
import {
  decodePbeAlgorithm,
  MAX_PBE_ITERATIONS,
  pbeDecrypt,
  type PbeParameters,
  type PbePassword,
  pkcs12Kdf,
  pkcs12PasswordCandidates,
} from "./pbe.ts";

/**
 * Deepest nesting of `safeContentsBag`s accepted.
 *
 * @example
 * ```ts
 * import { MAX_SAFE_CONTENTS_DEPTH } from "./pkcs12.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_SAFE_CONTENTS_DEPTH, 4);
 * ```
 */
export const MAX_SAFE_CONTENTS_DEPTH = 4;

const MAC_HASHES: Readonly<Record<string, HashAlgorithm>> = {
  [OID.sha1]: "SHA-1",
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
};

/** PBMAC1 (RFC 9579, RFC 8018 §7.1). */
const PBMAC1 = "1.2.840.113549.1.5.14";
const SIGNED_DATA = "1.2.840.113549.1.7.2";
const ENVELOPED_DATA = "1.2.840.113549.1.7.3";

/** What a PKCS#12 file holds. */
export interface Pkcs12Contents {
  /** The first private key, if any. */
  readonly key?: PrivateKey;
  /** The key bag's friendlyName attribute (keytool's alias). */
  readonly keyFriendlyName?: string;
  /** Certificates (DER), leaf first: the one matching the key's localKeyId, then file order. */
  readonly certificates: Uint8Array[];
  /** The friendlyName of each entry of `certificates`, if it has one. */
  readonly certificateFriendlyNames: (string | undefined)[];
  /** Whether a MAC was present and verified; `false` only for files without a MAC. */
  readonly macVerified: boolean;
}

/** Options for {@link readPkcs12}. */
export interface ReadPkcs12Options {
  /** Refuse files without a MAC (`KeyError` `malformed`). Default `false`. */
  readonly requireMac?: boolean;
}

interface Bag {
  readonly friendlyName?: string;
  readonly localKeyId?: Uint8Array;
}

/**
 * The iterations one file may spend on key derivation in total (MAC
 * attempts, every encryptedData and the key bag), so that a hostile file
 * cannot multiply the per-derivation bound by repeating encrypted parts.
 */
class IterationBudget {
  #left = MAX_PBE_ITERATIONS;

  spend(iterations: number): void {
    this.#left -= iterations;
    if (this.#left < 0) {
      throw new KeyError(
        "unsupported",
        `Cannot read PKCS#12 file: key derivation needs more than ${MAX_PBE_ITERATIONS} iterations in total`,
      );
    }
  }

  spendOn(params: PbeParameters): void {
    // PKCS#12 PBE derives the key and the IV separately.
    this.spend(
      params.scheme === "pkcs12" ? 2 * params.iterations : params.iterations,
    );
  }
}

interface Context {
  readonly pw: PbePassword;
  readonly found: Collected;
  readonly budget: IterationBudget;
}

interface Collected {
  key?: { readonly key: PrivateKey } & Bag;
  readonly certs: ({ readonly der: Uint8Array } & Bag)[];
}

/**
 * Reads the private key and certificates from a PKCS#12 file.
 *
 * @param der The file's bytes (DER, or BER).
 * @param password The password ("" for none).
 * @param options Whether a MAC is required.
 * @returns The key, certificates and whether the MAC was verified.
 * @throws {KeyError} `wrong_password` (MAC or decryption failure),
 * `unsupported`, `malformed`.
 *
 * @example Not a PKCS#12 file
 * ```ts
 * import { readPkcs12 } from "./pkcs12.ts";
 * import { KeyError } from "./keys/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => readPkcs12(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]), "pw"),
 *   (e) => e instanceof KeyError && e.code === "malformed",
 * );
 * ```
 */
export function readPkcs12(
  der: Uint8Array,
  password: string,
  options: ReadPkcs12Options = {},
): Pkcs12Contents {
  try {
    return read(der, password, options);
  } catch (err) {
    if (err instanceof DecodeError || err instanceof CryptoError) {
      throw new KeyError(
        "malformed",
        `Cannot read PKCS#12 file: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

function read(
  der: Uint8Array,
  password: string,
  options: ReadPkcs12Options,
): Pkcs12Contents {
  // RFC 7292 §4: PFX
  const outer = new DerReader(berToDer(der));
  const pfx = outer.sequence("PFX");
  const version = pfx.read(Tag.INTEGER, "PFX.version");
  if (version.value.length !== 1 || version.value[0] !== 3) {
    throw new KeyError(
      "unsupported",
      "Cannot read PKCS#12 file: version is not 3",
    );
  }
  const authSafe = readContentInfo(pfx, "PFX.authSafe");
  if (authSafe.type !== OID.data) {
    throw new KeyError(
      "unsupported",
      authSafe.type === SIGNED_DATA
        ? "Cannot read PKCS#12 file: public-key integrity mode is not supported"
        : `Cannot read PKCS#12 file: authSafe content type ${authSafe.type} is not supported`,
    );
  }
  const authSafeBytes = dataContent(authSafe.content, "PFX.authSafe");
  const macData = pfx.anyLeft() ? pfx.sequence("PFX.macData") : undefined;
  pfx.expectEnd("PFX");
  outer.expectEnd("PKCS#12 file");

  const candidates = pkcs12PasswordCandidates(password);
  const budget = new IterationBudget();
  if (macData) {
    const pw = verifyMac(macData, authSafeBytes, { candidates, budget });
    return { ...collect(authSafeBytes, pw, budget), macVerified: true };
  }
  if (options.requireMac) {
    throw new KeyError(
      "malformed",
      "Cannot read PKCS#12 file: it has no integrity MAC",
    );
  }
  // No MAC: try the password forms in the order OpenSSL would use them for
  // decryption (the standard form first).
  const ordered = password === "" ? [...candidates].reverse() : candidates;
  let first: unknown;
  for (const pw of ordered) {
    try {
      return { ...collect(authSafeBytes, pw, budget), macVerified: false };
    } catch (err) {
      if (!(err instanceof KeyError && err.code === "wrong_password")) {
        throw err;
      }
      first ??= err;
    }
  }
  throw first;
}

/** RFC 7292 §5.1: HMAC over the AuthenticatedSafe with a PKCS#12-KDF key (ID 3). */
function verifyMac(
  macData: DerReader,
  data: Uint8Array,
  { candidates, budget }: {
    candidates: PbePassword[];
    budget: IterationBudget;
  },
): PbePassword {
  const digestInfo = macData.sequence("MacData.mac");
  const alg = digestInfo.sequence("DigestInfo.digestAlgorithm");
  const oid = alg.oid("digestAlgorithm.algorithm");
  const hash = MAC_HASHES[oid];
  if (!hash) {
    throw new KeyError(
      "unsupported",
      oid === PBMAC1
        ? "Cannot read PKCS#12 file: PBMAC1 integrity is not supported"
        : `Cannot read PKCS#12 file: MAC digest ${oid} is not supported`,
    );
  }
  if (alg.anyLeft()) alg.null("digestAlgorithm.parameters");
  alg.expectEnd("DigestInfo.digestAlgorithm");
  const expected = digestInfo.octetString("DigestInfo.digest");
  digestInfo.expectEnd("DigestInfo");
  const salt = macData.octetString("MacData.macSalt");
  let iterations = 1;
  if (macData.anyLeft()) {
    const el = macData.read(Tag.INTEGER, "MacData.iterations");
    if (el.value.length > 5) {
      throw new KeyError(
        "unsupported",
        `Cannot read PKCS#12 file: MAC iteration count exceeds ${MAX_PBE_ITERATIONS}`,
      );
    }
    iterations = Number(new DerReader(el.raw, el.offset).integer());
  }
  macData.expectEnd("MacData");
  if (expected.length !== hashLength(hash)) {
    throw new KeyError(
      "malformed",
      `Cannot read PKCS#12 file: MAC is ${expected.length} bytes, expected ${
        hashLength(hash)
      }`,
    );
  }
  // Charge every attempt up front: the empty and non-ASCII passwords cost
  // two derivations.
  budget.spend(iterations * candidates.length);
  for (const pw of candidates) {
    const key = pkcs12Kdf(
      hash,
      pw.bmp,
      salt,
      3,
      iterations,
      hashLength(hash),
    );
    if (constantTimeEqual(hmac(hash, key, data), expected)) return pw;
  }
  throw new KeyError(
    "wrong_password",
    "Cannot read PKCS#12 file: wrong password or damaged file (MAC verification failed)",
  );
}

interface ContentInfo {
  readonly type: string;
  /** The element inside `content [0] EXPLICIT`. */
  readonly content: DerElement;
}

/** RFC 5652 §3: ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY } */
function readContentInfo(r: DerReader, what: string): ContentInfo {
  const el = r.read(Tag.SEQUENCE, what);
  const ci = DerReader.of(el);
  const type = ci.oid(`${what}.contentType`);
  const explicit = ci.context(0, `${what}.content`);
  if (!explicit) {
    throw new DecodeError(what, el.offset, "ContentInfo without content");
  }
  const content = explicit.next(`${what}.content`);
  explicit.expectEnd(`${what}.content`);
  ci.expectEnd(what);
  return { type, content };
}

function dataContent(el: DerElement, what: string): Uint8Array {
  if (el.tag !== Tag.OCTET_STRING) {
    throw new DecodeError(
      what,
      el.offset,
      "data content is not an OCTET STRING",
    );
  }
  return el.value;
}

function collect(
  authSafeBytes: Uint8Array,
  pw: PbePassword,
  budget: IterationBudget,
): Omit<Pkcs12Contents, "macVerified"> {
  const found: Collected = { certs: [] };
  const ctx: Context = { pw, found, budget };
  // RFC 7292 §4.1: AuthenticatedSafe ::= SEQUENCE OF ContentInfo
  const outer = new DerReader(berToDer(authSafeBytes));
  const list = outer.sequence("AuthenticatedSafe");
  outer.expectEnd("AuthenticatedSafe");
  while (list.anyLeft()) {
    const ci = readContentInfo(list, "AuthenticatedSafe.ContentInfo");
    switch (ci.type) {
      case OID.data:
        readSafeContents(
          berToDer(dataContent(ci.content, "data")),
          ctx,
          0,
        );
        break;
      case OID.encryptedData: {
        const plain = decryptEncryptedData(ci.content, ctx);
        // The right password yields SafeContents; anything else is garbage.
        decodeDecrypted(
          plain,
          (bytes) => readSafeContents(berToDer(bytes), ctx, 0),
        );
        break;
      }
      case ENVELOPED_DATA:
        throw new KeyError(
          "unsupported",
          "Cannot read PKCS#12 file: public-key privacy mode (envelopedData) is not supported",
        );
      default:
        throw new KeyError(
          "unsupported",
          `Cannot read PKCS#12 file: content type ${ci.type} is not supported`,
        );
    }
  }
  return arrange(found);
}

/**
 * RFC 5652 §8: EncryptedData ::= SEQUENCE { version, encryptedContentInfo,
 * unprotectedAttrs [1] IMPLICIT OPTIONAL }; EncryptedContentInfo ::=
 * SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0]
 * IMPLICIT OCTET STRING OPTIONAL }.
 */
function decryptEncryptedData(el: DerElement, ctx: Context): Uint8Array {
  if (el.tag !== Tag.SEQUENCE) {
    throw new DecodeError("EncryptedData", el.offset, "not a SEQUENCE");
  }
  const ed = DerReader.of(el);
  ed.read(Tag.INTEGER, "EncryptedData.version");
  const eci = ed.sequence("EncryptedData.encryptedContentInfo");
  ed.optional(0xa1, "EncryptedData.unprotectedAttrs");
  ed.expectEnd("EncryptedData");
  const type = eci.oid("EncryptedContentInfo.contentType");
  if (type !== OID.data) {
    throw new KeyError(
      "unsupported",
      `Cannot read PKCS#12 file: encrypted content type ${type} is not supported`,
    );
  }
  const algEl = eci.next("EncryptedContentInfo.contentEncryptionAlgorithm");
  const params = decodePbeAlgorithm(algEl.raw, algEl.offset);
  let ciphertext: Uint8Array;
  const content = eci.next("EncryptedContentInfo.encryptedContent");
  if (content.tag === 0x80) {
    ciphertext = content.value;
  } else if (content.tag === 0xa0) {
    // BER: a constructed [0] IMPLICIT OCTET STRING made of segments.
    const segs = DerReader.of(content);
    const parts: Uint8Array[] = [];
    while (segs.anyLeft()) parts.push(segs.octetString("encryptedContent"));
    ciphertext = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      ciphertext.set(p, off);
      off += p.length;
    }
  } else {
    throw new DecodeError(
      "EncryptedContentInfo.encryptedContent",
      content.offset,
      "not [0] IMPLICIT OCTET STRING",
    );
  }
  eci.expectEnd("EncryptedContentInfo");
  ctx.budget.spendOn(params);
  return pbeDecrypt(params, ctx.pw, ciphertext);
}

/** RFC 7292 §4.2: SafeContents ::= SEQUENCE OF SafeBag */
function readSafeContents(
  bytes: Uint8Array,
  ctx: Context,
  depth: number,
): void {
  const { found } = ctx;
  if (depth > MAX_SAFE_CONTENTS_DEPTH) {
    throw new KeyError(
      "malformed",
      "Cannot read PKCS#12 file: SafeContents nested too deeply",
    );
  }
  const outer = new DerReader(bytes);
  const list = outer.sequence("SafeContents");
  outer.expectEnd("SafeContents");
  while (list.anyLeft()) {
    const bagEl = list.read(Tag.SEQUENCE, "SafeBag");
    const bag = DerReader.of(bagEl);
    const bagId = bag.oid("SafeBag.bagId");
    const valueWrap = bag.context(0, "SafeBag.bagValue");
    if (!valueWrap) {
      throw new DecodeError("SafeBag", bagEl.offset, "missing bagValue");
    }
    const value = valueWrap.next("SafeBag.bagValue");
    valueWrap.expectEnd("SafeBag.bagValue");
    const attrs = bag.anyLeft()
      ? readAttributes(bag.set("SafeBag.bagAttributes"))
      : {};
    bag.expectEnd("SafeBag");
    switch (bagId) {
      case OID.keyBag:
        // §4.2.1: KeyBag ::= PrivateKeyInfo
        found.key ??= {
          key: completePrivateKey(decodePrivateKeyInfo(value.raw)),
          ...attrs,
        };
        break;
      case OID.pkcs8ShroudedKeyBag:
        // §4.2.2: PKCS8ShroudedKeyBag ::= EncryptedPrivateKeyInfo
        if (!found.key) {
          const info = decodeEncryptedPrivateKeyInfo(value.raw);
          ctx.budget.spendOn(info.algorithm);
          found.key = {
            key: completePrivateKey(decryptPrivateKeyInfo(value.raw, ctx.pw)),
            ...attrs,
          };
        }
        break;
      case OID.certBag: {
        // §4.2.3: CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT }
        if (value.tag !== Tag.SEQUENCE) {
          throw new DecodeError("CertBag", value.offset, "not a SEQUENCE");
        }
        const cb = DerReader.of(value);
        const certId = cb.oid("CertBag.certId");
        const cv = cb.context(0, "CertBag.certValue");
        if (!cv) throw new DecodeError("CertBag", value.offset, "no certValue");
        const cert = cv.octetString("CertBag.certValue");
        cv.expectEnd("CertBag.certValue");
        cb.expectEnd("CertBag");
        // Only x509Certificate; SDSI certificates are skipped.
        if (certId === OID.x509Certificate) {
          found.certs.push({ der: cert.slice(), ...attrs });
        }
        break;
      }
      case OID.safeContentsBag:
        // §4.2.6: a nested SafeContents.
        readSafeContents(value.raw, ctx, depth + 1);
        break;
      default:
        // crlBag, secretBag and unknown bags carry nothing postern uses.
        break;
    }
  }
}

/** PKCS12Attribute ::= SEQUENCE { attrId, attrValues SET OF } (RFC 7292 §4.2, RFC 2985). */
function readAttributes(set: DerReader): Bag {
  let friendlyName: string | undefined;
  let localKeyId: Uint8Array | undefined;
  while (set.anyLeft()) {
    const attr = set.sequence("PKCS12Attribute");
    const id = attr.oid("PKCS12Attribute.attrId");
    const values = attr.set("PKCS12Attribute.attrValues");
    attr.expectEnd("PKCS12Attribute");
    if (id === OID.friendlyName && values.anyLeft()) {
      // RFC 2985 §5.5.1: BMPString; other string types are read too.
      friendlyName = stringValue(values.next("friendlyName"), "friendlyName");
    } else if (id === OID.localKeyId && values.anyLeft()) {
      localKeyId = values.octetString("localKeyId");
    }
  }
  return {
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    ...(localKeyId !== undefined ? { localKeyId } : {}),
  };
}

function arrange(found: Collected): Omit<Pkcs12Contents, "macVerified"> {
  const certs = [...found.certs];
  const keyId = found.key?.localKeyId;
  if (keyId !== undefined) {
    const i = certs.findIndex((c) =>
      c.localKeyId !== undefined && constantTimeEqual(c.localKeyId, keyId)
    );
    if (i > 0) certs.unshift(...certs.splice(i, 1));
  }
  return {
    ...(found.key ? { key: found.key.key } : {}),
    ...(found.key?.friendlyName !== undefined
      ? { keyFriendlyName: found.key.friendlyName }
      : {}),
    certificates: certs.map((c) => c.der),
    certificateFriendlyNames: certs.map((c) => c.friendlyName),
  };
}
