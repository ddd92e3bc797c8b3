/**
 * Signatures: ECDSA (FIPS 186-4 §6, SEC 1 §4.1), RSASSA-PKCS1-v1_5 and
 * RSASSA-PSS (RFC 8017 §8). Asynchronous because RSA and ECDSA verification
 * run on WebCrypto.
 *
 * Implementations, chosen by `bench/crypto_bench.ts`:
 * - ECDSA signing: deterministic k (RFC 6979 §3.2) with the scheme's hash as
 *   the HMAC-DRBG hash. P-256 with SHA-256 (the (D)TLS ServerKeyExchange
 *   case) on `src/crypto/p256.ts`, about 1.6× noble's rate; the other
 *   combinations on `@noble/curves`, about twice WebCrypto's rate.
 * - ECDSA verification: WebCrypto, with the imported `CryptoKey` cached per
 *   key object. It accepts high-S signatures, as TLS peers need; noble would
 *   need `lowS: false` (ANCHORS.md). Deno's WebCrypto fails every P-384
 *   signature over SHA-1, so that one combination is verified by noble.
 * - RSA: WebCrypto only (noble has no RSA), keys imported from JWK built from
 *   the components and cached per key object.
 *
 * `verifySignature()` never throws for a bad signature, a malformed DER
 * encoding, a key of the wrong type or a key WebCrypto refuses: it returns
 * `false`. `sign()` throws {@link CryptoError} for a key that does not fit
 * the scheme.
 *
 * @module
 */

import { ByteReader, DecodeError } from "../bytes/mod.ts";
import { bufferSource } from "./_node.ts";
import { nobleEcdsa } from "./_noble.ts";
import { CryptoError } from "./errors.ts";
import type { HashAlgorithm } from "./hash.ts";
import { p256SignSha256 } from "./p256.ts";
import {
  type EcCurve,
  ecFieldLength,
  type EcPublicKey,
  type PrivateKey,
  type PublicKey,
  type RsaPrivateKey,
  type RsaPublicKey,
} from "./keys.ts";

/**
 * A signature algorithm with its parameters. ECDSA signatures are DER
 * (`ECDSA-Sig-Value`, RFC 5480 §2.2.3 and RFC 8422 §5.4) unless the call
 * asks for `format: "raw"` (`r || s`, each the curve's field length).
 *
 * @example TLS 1.2 SignatureAndHashAlgorithm ecdsa_secp256r1_sha256
 * ```ts
 * import type { SignatureScheme } from "./signature.ts";
 * import assert from "node:assert/strict";
 *
 * const scheme: SignatureScheme = { alg: "ecdsa", hash: "SHA-256" };
 * assert.equal(scheme.alg, "ecdsa");
 * ```
 */
export type SignatureScheme =
  | { alg: "ecdsa"; hash: HashAlgorithm }
  | { alg: "rsa-pkcs1"; hash: HashAlgorithm }
  | { alg: "rsa-pss"; hash: HashAlgorithm; saltLength: number };

/**
 * A {@link SignatureScheme} plus the encoding of ECDSA signatures: `"der"`
 * (the default, X.509 and TLS) or `"raw"` (`r || s`, as in COSE and JOSE).
 * Ignored for RSA.
 *
 * @example
 * ```ts
 * import type { SignatureOptions } from "./signature.ts";
 * import assert from "node:assert/strict";
 *
 * const opts: SignatureOptions = { alg: "ecdsa", hash: "SHA-256", format: "raw" };
 * assert.equal(opts.format, "raw");
 * ```
 */
export type SignatureOptions = SignatureScheme & { format?: "der" | "raw" };

const subtle = crypto.subtle;

// Imported CryptoKeys per key object and per algorithm: importing costs
// about as much as one verification.
const keyCache = new WeakMap<object, Map<string, Promise<CryptoKey>>>();

function cachedImport(
  owner: object,
  id: string,
  load: () => Promise<CryptoKey>,
): Promise<CryptoKey> {
  let byId = keyCache.get(owner);
  if (byId === undefined) {
    byId = new Map();
    keyCache.set(owner, byId);
  }
  let key = byId.get(id);
  if (key === undefined) {
    key = load();
    byId.set(id, key);
    // A refused key must not stay cached as a rejected promise.
    key.catch(() => byId.delete(id));
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let bin = "";
  for (let i = start; i < bytes.length; i++) {
    bin += String.fromCharCode(bytes[i]!);
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function rsaAlgorithm(
  scheme: SignatureScheme,
): "RSASSA-PKCS1-v1_5" | "RSA-PSS" {
  return scheme.alg === "rsa-pss" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5";
}

function importRsaPublic(
  key: RsaPublicKey,
  scheme: SignatureScheme,
): Promise<CryptoKey> {
  const name = rsaAlgorithm(scheme);
  return cachedImport(key, `pub/${name}/${scheme.hash}`, () =>
    subtle.importKey(
      "jwk",
      { kty: "RSA", n: base64url(key.n), e: base64url(key.e), ext: true },
      { name, hash: scheme.hash },
      false,
      ["verify"],
    ));
}

function importRsaPrivate(
  key: RsaPrivateKey,
  scheme: SignatureScheme,
): Promise<CryptoKey> {
  const name = rsaAlgorithm(scheme);
  return cachedImport(
    key,
    `priv/${name}/${scheme.hash}`,
    () =>
      subtle.importKey(
        "jwk",
        {
          kty: "RSA",
          n: base64url(key.n),
          e: base64url(key.e),
          d: base64url(key.d),
          p: base64url(key.p),
          q: base64url(key.q),
          dp: base64url(key.dp),
          dq: base64url(key.dq),
          qi: base64url(key.qi),
          ext: true,
        },
        { name, hash: scheme.hash },
        false,
        ["sign"],
      ),
  );
}

function importEcPublic(key: EcPublicKey): Promise<CryptoKey> {
  return cachedImport(key, "pub/ECDSA", () =>
    subtle.importKey(
      "raw",
      bufferSource(key.point),
      { name: "ECDSA", namedCurve: key.curve },
      false,
      ["verify"],
    ));
}

function rsaParams(
  scheme: SignatureScheme,
): AlgorithmIdentifier | RsaPssParams {
  return scheme.alg === "rsa-pss"
    ? { name: "RSA-PSS", saltLength: scheme.saltLength }
    : { name: "RSASSA-PKCS1-v1_5" };
}

/**
 * Verifies `signature` over `data` with `key`.
 *
 * @param key The signer's public key; its kind must match `scheme`.
 * @param data The signed message (hashed here with `scheme.hash`).
 * @param signature DER or raw ECDSA signature, or the RSA signature octets.
 * @param scheme Algorithm, hash and, for ECDSA, the signature encoding.
 * @returns `true` only for a valid signature; `false` for an invalid or
 *   malformed signature, a key of the wrong type or a key the platform refuses.
 *
 * @example Verify a high-S ECDSA signature (RFC 6979 A.2.5, SHA-256, "sample")
 * ```ts
 * import { verifySignature } from "./signature.ts";
 * import { ecPublicFromPrivate } from "./ec_keys.ts";
 * import { decodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const d = decodeHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
 * const key = { kind: "ec", curve: "P-256", point: ecPublicFromPrivate("P-256", d) } as const;
 * const sig = decodeHex(
 *   "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
 *     "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
 * );
 * const data = new TextEncoder().encode("sample");
 * assert.equal(await verifySignature(key, data, sig, { alg: "ecdsa", hash: "SHA-256", format: "raw" }), true);
 * assert.equal(await verifySignature(key, data, sig.slice(1), { alg: "ecdsa", hash: "SHA-256", format: "raw" }), false);
 * ```
 */
export async function verifySignature(
  key: PublicKey,
  data: Uint8Array,
  signature: Uint8Array,
  scheme: SignatureOptions,
): Promise<boolean> {
  try {
    if (scheme.alg === "ecdsa") {
      if (key.kind !== "ec") return false;
      const raw = scheme.format === "raw"
        ? signature
        : ecdsaSignatureFromDer(signature, key.curve);
      if (raw.length !== 2 * ecFieldLength(key.curve)) return false;
      if (key.curve === "P-384" && scheme.hash === "SHA-1") {
        // Deno's WebCrypto rejects every valid P-384/SHA-1 signature (a hash
        // shorter than the field); such legacy certificates go to noble.
        return nobleEcdsa(key.curve, scheme.hash).verify(raw, data, key.point, {
          lowS: false,
        });
      }
      const cryptoKey = await importEcPublic(key);
      return await subtle.verify(
        { name: "ECDSA", hash: scheme.hash },
        cryptoKey,
        bufferSource(raw),
        bufferSource(data),
      );
    }
    if (key.kind !== "rsa") return false;
    const cryptoKey = await importRsaPublic(key, scheme);
    return await subtle.verify(
      rsaParams(scheme),
      cryptoKey,
      bufferSource(signature),
      bufferSource(data),
    );
  } catch {
    return false;
  }
}

/**
 * Signs `data` with `key`.
 *
 * ECDSA signatures are deterministic (RFC 6979) and are not normalised to
 * low S, so they match the RFC 6979 vectors exactly.
 *
 * @param key The private key; its kind must match `scheme`.
 * @param data The message (hashed here with `scheme.hash`).
 * @param scheme Algorithm, hash and, for ECDSA, the signature encoding.
 * @returns DER or raw ECDSA signature, or the RSA signature octets.
 * @throws {CryptoError} `bad_key` if the key does not fit the scheme or is
 *   refused by the platform.
 *
 * @example Sign and verify with P-256
 * ```ts
 * import { sign, verifySignature } from "./signature.ts";
 * import { generateEcKeyPair } from "./ec_keys.ts";
 * import { publicKeyOf } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const data = new TextEncoder().encode("hello");
 * const sig = await sign(key, data, { alg: "ecdsa", hash: "SHA-256" });
 * assert.equal(sig[0], 0x30);
 * assert.ok(await verifySignature(publicKeyOf(key), data, sig, { alg: "ecdsa", hash: "SHA-256" }));
 * ```
 */
export async function sign(
  key: PrivateKey,
  data: Uint8Array,
  scheme: SignatureOptions,
): Promise<Uint8Array> {
  if (scheme.alg === "ecdsa") {
    if (key.kind !== "ec") {
      throw new CryptoError(
        "bad_key",
        "Cannot sign with ECDSA: key is not an EC key",
      );
    }
    let raw: Uint8Array;
    try {
      raw = key.curve === "P-256" && scheme.hash === "SHA-256"
        ? p256SignSha256(key.d, data)
        : nobleEcdsa(key.curve, scheme.hash).sign(data, key.d, {
          lowS: false,
        });
    } catch (err) {
      throw new CryptoError(
        "bad_key",
        `Cannot sign with ECDSA: invalid ${key.curve} private key`,
        { cause: err },
      );
    }
    return scheme.format === "raw" ? raw : ecdsaSignatureToDer(raw);
  }
  if (key.kind !== "rsa") {
    throw new CryptoError(
      "bad_key",
      "Cannot sign with RSA: key is not an RSA key",
    );
  }
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await importRsaPrivate(key, scheme);
  } catch (err) {
    throw new CryptoError("bad_key", "Cannot sign with RSA: key was refused", {
      cause: err,
    });
  }
  return new Uint8Array(
    await subtle.sign(rsaParams(scheme), cryptoKey, bufferSource(data)),
  );
}

function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const pad = value[start]! >= 0x80 ? 1 : 0;
  const len = value.length - start + pad;
  const out = new Uint8Array(2 + len);
  out[0] = 0x02;
  out[1] = len;
  out.set(value.subarray(start), 2 + pad);
  return out;
}

/**
 * Encodes a raw `r || s` ECDSA signature as DER `ECDSA-Sig-Value`
 * (RFC 5480 §2.2.3), the form used by X.509 and TLS.
 *
 * @param raw `r || s`, both halves the same length (up to 66 bytes each).
 * @returns `SEQUENCE { INTEGER r, INTEGER s }` in minimal DER.
 * @throws {RangeError} if `raw` is empty, odd-length or too long.
 *
 * @example
 * ```ts
 * import { ecdsaSignatureFromDer, ecdsaSignatureToDer } from "./signature.ts";
 * import assert from "node:assert/strict";
 *
 * const raw = new Uint8Array(64).fill(0x80);
 * const der = ecdsaSignatureToDer(raw);
 * assert.equal(der.length, 2 + 2 * 35);
 * assert.deepEqual(ecdsaSignatureFromDer(der, "P-256"), raw);
 * ```
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) {
    throw new RangeError(
      `Cannot encode ECDSA signature: raw length ${raw.length} is not r || s`,
    );
  }
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  const bodyLen = r.length + s.length;
  const header = bodyLen < 0x80 ? [0x30, bodyLen] : [0x30, 0x81, bodyLen];
  const out = new Uint8Array(header.length + bodyLen);
  out.set(header);
  out.set(r, header.length);
  out.set(s, header.length + r.length);
  return out;
}

function readDerLength(r: ByteReader, what: string): number {
  const first = r.uint8(`${what} length`);
  if (first < 0x80) return first;
  if (first === 0x81) {
    const at = r.absolutePosition;
    const len = r.uint8(`${what} length`);
    if (len < 0x80) throw new DecodeError(what, at, "non-minimal length");
    return len;
  }
  throw new DecodeError(
    what,
    r.absolutePosition - 1,
    "unsupported length form",
  );
}

function readDerInteger(r: ByteReader, size: number, what: string): Uint8Array {
  const at = r.absolutePosition;
  if (r.uint8(what) !== 0x02) throw new DecodeError(what, at, "not an INTEGER");
  const len = readDerLength(r, what);
  const body = r.take(len, what);
  if (len === 0) throw new DecodeError(what, at, "empty INTEGER");
  if (body[0]! >= 0x80) throw new DecodeError(what, at, "negative INTEGER");
  if (len > 1 && body[0] === 0 && body[1]! < 0x80) {
    throw new DecodeError(what, at, "non-minimal INTEGER");
  }
  const value = body[0] === 0 ? body.subarray(1) : body;
  if (value.length > size) {
    throw new DecodeError(what, at, `INTEGER longer than ${size} bytes`);
  }
  const out = new Uint8Array(size);
  out.set(value, size - value.length);
  return out;
}

/**
 * Decodes a DER `ECDSA-Sig-Value` into raw `r || s` for `curve`.
 *
 * Strict DER: minimal lengths and integers, no negative values, no trailing
 * bytes. Range checks against the group order are left to verification.
 *
 * @param der The DER signature.
 * @param curve Fixes the length of each half (32 or 48 bytes).
 * @returns `r || s`.
 * @throws {DecodeError} on malformed DER or an integer too long for `curve`.
 *
 * @example
 * ```ts
 * import { ecdsaSignatureFromDer } from "./signature.ts";
 * import { DecodeError } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const raw = ecdsaSignatureFromDer(new Uint8Array([0x30, 6, 2, 1, 1, 2, 1, 2]), "P-256");
 * assert.equal(raw[31], 1);
 * assert.equal(raw[63], 2);
 * assert.throws(() => ecdsaSignatureFromDer(new Uint8Array([0x30, 6, 2, 1, 1, 2, 1]), "P-256"), DecodeError);
 * ```
 */
export function ecdsaSignatureFromDer(
  der: Uint8Array,
  curve: EcCurve,
): Uint8Array {
  const size = ecFieldLength(curve);
  const outer = new ByteReader(der);
  if (outer.uint8("ECDSA-Sig-Value") !== 0x30) {
    throw new DecodeError("ECDSA-Sig-Value", 0, "not a SEQUENCE");
  }
  const len = readDerLength(outer, "ECDSA-Sig-Value");
  const body = outer.sub(len, "ECDSA-Sig-Value");
  outer.expectEnd("ECDSA-Sig-Value");
  const out = new Uint8Array(2 * size);
  out.set(readDerInteger(body, size, "ECDSA-Sig-Value.r"), 0);
  out.set(readDerInteger(body, size, "ECDSA-Sig-Value.s"), size);
  body.expectEnd("ECDSA-Sig-Value");
  return out;
}
