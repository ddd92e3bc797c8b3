/**
 * Ephemeral elliptic-curve Diffie-Hellman for (D)TLS 1.2 ECDHE (RFC 8422):
 * secp256r1 (SEC 1 §3.3.1, NIST P-256) and X25519 (RFC 7748 §5, §6.1).
 *
 * The shared secret runs on WebCrypto for both groups, which
 * `bench/crypto_bench.ts` measured at 4.6× (P-256) and 4.2× (X25519)
 * `@noble/curves`' rate. WebCrypto does not check that a P-256 peer point is
 * on the curve (Deno 2.9 imports off-curve points), so every P-256 peer
 * point is validated first (`isValidEcPoint`, SEC 1 §3.2.2.1); without
 * that, an invalid-curve attack could recover the private key. An own
 * variable-base multiplication on `src/crypto/p256.ts`'s arithmetic would
 * need 256 doublings (≈ 2 600 modular products, ≈ 0.3 ms), no faster than
 * WebCrypto's `deriveBits`.
 *
 * A P-256 key pair is made by `src/crypto/p256.ts` (a uniform scalar and
 * its public point on a precomputed base-point table, blinded, with the
 * same operation sequence for every scalar) and handed to WebCrypto as a
 * PKCS#8 key without its public point, which WebCrypto imports without
 * computing anything. Deno's WebCrypto computes the public point only in
 * `exportKey`, with a generic scalar multiplication: `generateKey` +
 * `exportKey` cost 0.44–0.56 ms against 0.23–0.25 ms with noble's
 * fixed-base multiplication and less with `p256.ts` (`bench/README.md`,
 * DTLS section).
 *
 * @module
 */

import { p256 } from "@noble/curves/nist.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { bufferSource } from "./_node.ts";
import { isValidEcPoint } from "./ec_keys.ts";
import { p256KeyPair, p256PublicKey } from "./p256.ts";
import { CryptoError } from "./errors.ts";

/**
 * Key-exchange groups (RFC 8422 §5.1.1 `NamedCurve`: secp256r1, x25519).
 *
 * @example
 * ```ts
 * import { type EcdhGroup, generateEcdhKeyPair } from "./ecdh.ts";
 * import assert from "node:assert/strict";
 *
 * const group: EcdhGroup = "X25519";
 * assert.equal((await generateEcdhKeyPair(group)).publicKey.length, 32);
 * ```
 */
export type EcdhGroup = "P-256" | "X25519";

/**
 * One side of an ECDH exchange: a private key that never leaves WebCrypto
 * and its public value in wire form.
 *
 * @example Both sides derive the same secret
 * ```ts
 * import { generateEcdhKeyPair } from "./ecdh.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await generateEcdhKeyPair("X25519");
 * const b = await generateEcdhKeyPair("X25519");
 * assert.deepEqual(await a.deriveSharedSecret(b.publicKey), await b.deriveSharedSecret(a.publicKey));
 * ```
 */
export interface EcdhKeyPair {
  /** The group the key pair belongs to. */
  readonly group: EcdhGroup;
  /** P-256: uncompressed point, 65 bytes (RFC 8422 §5.4.1); X25519: 32 bytes. */
  readonly publicKey: Uint8Array;
  /**
   * Computes the shared secret with a peer's public value.
   *
   * @param peerPublic The peer's public value in the same wire form.
   * @returns The premaster secret: the x-coordinate (32 bytes) for P-256
   *   (RFC 8422 §5.10), the 32-byte X25519 output for X25519.
   * @throws {CryptoError} `invalid_point` for a malformed or off-curve peer
   *   value, `zero_shared_secret` for an all-zero X25519 result
   *   (RFC 7748 §6.1, RFC 8422 §5.11).
   */
  deriveSharedSecret(peerPublic: Uint8Array): Promise<Uint8Array>;
}

const subtle = crypto.subtle;

function algorithm(group: EcdhGroup): EcKeyImportParams | Algorithm {
  return group === "P-256"
    ? { name: "ECDH", namedCurve: "P-256" }
    : { name: "X25519" };
}

class WebCryptoEcdhKeyPair implements EcdhKeyPair {
  readonly group: EcdhGroup;
  readonly publicKey: Uint8Array;
  readonly #privateKey: CryptoKey;

  constructor(group: EcdhGroup, publicKey: Uint8Array, privateKey: CryptoKey) {
    this.group = group;
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
  }

  async deriveSharedSecret(peerPublic: Uint8Array): Promise<Uint8Array> {
    const group = this.group;
    if (group === "P-256") {
      if (!isValidEcPoint("P-256", peerPublic)) {
        throw new CryptoError(
          "invalid_point",
          "Cannot derive ECDH secret: peer point is not an uncompressed P-256 point",
        );
      }
    } else if (peerPublic.length !== 32) {
      throw new CryptoError(
        "invalid_point",
        `Cannot derive X25519 secret: peer value is ${peerPublic.length} bytes, expected 32`,
      );
    }
    let secret: Uint8Array;
    try {
      const peer = await subtle.importKey(
        "raw",
        bufferSource(peerPublic),
        algorithm(group),
        false,
        [],
      );
      secret = new Uint8Array(
        await subtle.deriveBits(
          { name: group === "P-256" ? "ECDH" : "X25519", public: peer },
          this.#privateKey,
          256,
        ),
      );
    } catch (err) {
      // Deno refuses X25519 low-order points itself (OperationError);
      // report them as RFC 7748 §6.1 all-zero results.
      throw group === "X25519"
        ? new CryptoError(
          "zero_shared_secret",
          "Cannot derive X25519 secret: peer value is a low-order point",
          { cause: err },
        )
        : new CryptoError(
          "invalid_point",
          "Cannot derive ECDH secret: peer point was refused",
          { cause: err },
        );
    }
    if (group === "X25519" && secret.every((b) => b === 0)) {
      throw new CryptoError(
        "zero_shared_secret",
        "Cannot derive X25519 secret: result is all zeros",
      );
    }
    return secret;
  }
}

function checkGroup(group: EcdhGroup): void {
  if (group !== "P-256" && group !== "X25519") {
    throw new CryptoError(
      "bad_key",
      `Cannot use ECDH group ${
        String(group)
      }: only P-256 and X25519 are supported`,
    );
  }
}

/**
 * Generates an ephemeral key pair for `group`.
 *
 * @param group `P-256` or `X25519`.
 * @returns The key pair; its private key cannot be exported.
 *
 * @example
 * ```ts
 * import { generateEcdhKeyPair } from "./ecdh.ts";
 * import assert from "node:assert/strict";
 *
 * const kp = await generateEcdhKeyPair("P-256");
 * assert.equal(kp.publicKey.length, 65);
 * assert.equal(kp.publicKey[0], 4);
 * ```
 */
export async function generateEcdhKeyPair(
  group: EcdhGroup,
): Promise<EcdhKeyPair> {
  checkGroup(group);
  if (group === "P-256") {
    const { d, point: pub } = p256KeyPair();
    const der = p256Pkcs8(d);
    d.fill(0);
    try {
      const key = await subtle.importKey(
        "pkcs8",
        der,
        algorithm(group),
        false,
        [
          "deriveBits",
        ],
      );
      return new WebCryptoEcdhKeyPair(group, pub, key);
    } finally {
      der.fill(0);
    }
  }
  const pair = await subtle.generateKey(algorithm(group), false, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const pub = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return new WebCryptoEcdhKeyPair(group, pub, pair.privateKey);
}

// RFC 5208 PrivateKeyInfo { version 0, { id-ecPublicKey, prime256v1 },
// RFC 5915 ECPrivateKey { version 1, privateKey d } }, the public key left out
const P256_PKCS8_PREFIX = new Uint8Array([
  0x30,
  0x41,
  0x02,
  0x01,
  0x00,
  0x30,
  0x13,
  0x06,
  0x07,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x02,
  0x01,
  0x06,
  0x08,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x03,
  0x01,
  0x07,
  0x04,
  0x27,
  0x30,
  0x25,
  0x02,
  0x01,
  0x01,
  0x04,
  0x20,
]);

function p256Pkcs8(d: Uint8Array): Uint8Array<ArrayBuffer> {
  const der = new Uint8Array(P256_PKCS8_PREFIX.length + 32);
  der.set(P256_PKCS8_PREFIX, 0);
  der.set(d, P256_PKCS8_PREFIX.length);
  return der;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, "");
}

/**
 * Builds a key pair from a known private key, for test vectors and
 * interoperability checks. Production code should use
 * {@link generateEcdhKeyPair}.
 *
 * @param group `P-256` or `X25519`.
 * @param privateKey P-256: the 32-byte big-endian scalar; X25519: the
 *   32-byte scalar before clamping (RFC 7748 §5).
 * @returns The key pair.
 * @throws {CryptoError} `bad_key` for a wrong-length or out-of-range key.
 *
 * @example RFC 7748 §6.1 Alice's public key
 * ```ts
 * import { ecdhKeyPairFromPrivate } from "./ecdh.ts";
 * import { decodeHex, encodeHex } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const alice = await ecdhKeyPairFromPrivate(
 *   "X25519",
 *   decodeHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
 * );
 * assert.equal(encodeHex(alice.publicKey), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
 * ```
 */
export async function ecdhKeyPairFromPrivate(
  group: EcdhGroup,
  privateKey: Uint8Array,
): Promise<EcdhKeyPair> {
  checkGroup(group);
  if (privateKey.length !== 32) {
    throw new CryptoError(
      "bad_key",
      `Cannot import ${group} private key: ${privateKey.length} bytes, expected 32`,
    );
  }
  let pub: Uint8Array;
  let jwk: JsonWebKey;
  if (group === "P-256") {
    if (!p256.utils.isValidSecretKey(privateKey)) {
      throw new CryptoError(
        "bad_key",
        "Cannot import P-256 private key: scalar is not in [1, n-1]",
      );
    }
    pub = p256PublicKey(privateKey);
    jwk = {
      kty: "EC",
      crv: "P-256",
      d: base64url(privateKey),
      x: base64url(pub.subarray(1, 33)),
      y: base64url(pub.subarray(33)),
    };
  } else {
    pub = x25519.getPublicKey(privateKey);
    jwk = {
      kty: "OKP",
      crv: "X25519",
      d: base64url(privateKey),
      x: base64url(pub),
    };
  }
  let key: CryptoKey;
  try {
    key = await subtle.importKey("jwk", jwk, algorithm(group), false, [
      "deriveBits",
    ]);
  } catch (err) {
    throw new CryptoError(
      "bad_key",
      `Cannot import ${group} private key: refused by WebCrypto`,
      { cause: err },
    );
  }
  return new WebCryptoEcdhKeyPair(group, pub, key);
}

/**
 * Options of an {@link EcdhKeyPool}.
 *
 * @example
 * ```ts
 * import type { EcdhKeyPoolOptions } from "./ecdh.ts";
 * const o: EcdhKeyPoolOptions = { maxSpares: 16 };
 * ```
 */
export interface EcdhKeyPoolOptions {
  /** Most spare key pairs held; default 64. */
  readonly maxSpares?: number;
}

/**
 * Ephemeral ECDH key pairs generated ahead of use, so that generation
 * leaves a handshake's critical path: a server takes a spare when a
 * ClientHello arrives (its public value must be signed at once) and
 * generates the next one while a WebCrypto derivation of the same
 * handshake is in flight ({@link EcdhKeyPool.refill}), where the two run
 * on WebCrypto's worker threads side by side. Each pair is handed out once
 * and then forgotten: nothing is reused (RFC 8422 §2 ephemeral keys).
 *
 * No background work: a refill runs only when awaited, so no operation is
 * left pending between calls.
 *
 * @example
 * ```ts
 * import { EcdhKeyPool } from "./ecdh.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = new EcdhKeyPool("P-256", { maxSpares: 4 });
 * await pool.refill(2);
 * assert.equal(pool.spares, 2);
 * const a = await pool.take();
 * const b = await pool.take();
 * assert.equal(pool.spares, 0);
 * assert.notDeepEqual(a.publicKey, b.publicKey);
 * assert.equal((await pool.take()).publicKey.length, 65); // generated on demand
 * ```
 */
export class EcdhKeyPool {
  readonly group: EcdhGroup;
  readonly #max: number;
  readonly #spares: EcdhKeyPair[] = [];

  /**
   * @param group The group of every pair.
   * @param options Bounds.
   */
  constructor(group: EcdhGroup, options: EcdhKeyPoolOptions = {}) {
    checkGroup(group);
    this.group = group;
    this.#max = options.maxSpares ?? 64;
    if (!Number.isInteger(this.#max) || this.#max < 0) {
      throw new RangeError(
        `Cannot create an ECDH key pool of ${this.#max} spares: need a non-negative integer`,
      );
    }
  }

  /** Spare pairs ready to be taken. */
  get spares(): number {
    return this.#spares.length;
  }

  /**
   * A fresh key pair: a spare when one is ready, else a new one.
   *
   * @returns A key pair nobody else has received.
   */
  take(): Promise<EcdhKeyPair> {
    const spare = this.#spares.pop();
    return spare === undefined
      ? generateEcdhKeyPair(this.group)
      : Promise.resolve(spare);
  }

  /**
   * Generates up to `count` spares, all in flight at once, without going
   * over the bound. Never rejects: a failed generation only leaves the pool
   * shorter ({@link EcdhKeyPool.take} then generates on demand).
   *
   * @param count How many to add; default 1.
   */
  async refill(count = 1): Promise<void> {
    const n = Math.min(count, this.#max - this.#spares.length);
    if (n <= 0) return;
    const made = await Promise.allSettled(
      Array.from({ length: n }, () => generateEcdhKeyPair(this.group)),
    );
    for (const r of made) {
      if (r.status === "fulfilled" && this.#spares.length < this.#max) {
        this.#spares.push(r.value);
      }
    }
  }
}
