/**
 * Password hashing for username/password authentication.
 *
 * Security:
 * - PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), a 16-byte random salt per user,
 *   {@link DEFAULT_PBKDF2_ITERATIONS} iterations unless configured, a
 *   32-byte derived key. The iteration count is part of the stored string,
 *   so raising the default later only affects new hashes.
 * - Stored as `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt and hash in
 *   lowercase hex.
 * - Derivation runs in WebCrypto (`crypto.subtle.deriveBits`), which works
 *   off the event loop: a login does not stall the broker's other
 *   sessions. It gives the same bytes as `src/crypto` `pbkdf2`.
 * - The derived key is compared with `constantTimeEqual`.
 * - {@link PasswordHasher.verifyUnknown} spends the same work as a real
 *   verification, so that the time of a refusal does not tell whether the
 *   user exists.
 * - Passwords are bytes (MQTT passwords are binary): strings are UTF-8
 *   encoded without normalization. They are never stored or logged.
 *
 * @module
 */

import { constantTimeEqual, encodeHex } from "../bytes/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import { AuthError } from "./errors.ts";

/**
 * Iterations used for new hashes unless configured. OWASP's current advice
 * for PBKDF2-HMAC-SHA256 is higher (600 000); 100 000 keeps a login near
 * 25 ms on a desktop core and a few hundred on small edge devices.
 *
 * @example
 * ```ts
 * import { DEFAULT_PBKDF2_ITERATIONS } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(DEFAULT_PBKDF2_ITERATIONS >= 100_000);
 * ```
 */
export const DEFAULT_PBKDF2_ITERATIONS = 100_000;

/** The highest iteration count a stored hash may ask for (a corrupted store must not stall logins). */
const MAX_ITERATIONS = 10_000_000;
const SALT_LENGTH = 16;
const HASH_LENGTH = 32;
const SCHEME = "pbkdf2-sha256";
const MAX_PASSWORD_BYTES = 4096;

/**
 * A parsed `pbkdf2-sha256$iterations$salt$hash` string.
 *
 * @example
 * ```ts
 * import type { PasswordHash } from "./password.ts";
 *
 * const parsed: PasswordHash = { iterations: 1, salt: new Uint8Array(16), hash: new Uint8Array(32) };
 * ```
 */
export interface PasswordHash {
  /** PBKDF2 iteration count. */
  readonly iterations: number;
  /** The per-user salt. */
  readonly salt: Uint8Array;
  /** The derived key. */
  readonly hash: Uint8Array;
}

/**
 * Reads a stored password hash.
 *
 * @param encoded `pbkdf2-sha256$ITERATIONS$SALT$HASH`.
 * @returns Its parts.
 * @throws {AuthError} `invalid_hash` when malformed.
 *
 * @example
 * ```ts
 * import { parsePasswordHash } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parsePasswordHash(`pbkdf2-sha256$1000$${"00".repeat(16)}$${"ab".repeat(32)}`);
 * assert.equal(parsed.iterations, 1000);
 * assert.equal(parsed.hash.length, 32);
 * ```
 */
export function parsePasswordHash(encoded: string): PasswordHash {
  const parts = encoded.split("$");
  const [scheme, iterText, saltHex, hashHex] = parts;
  const bad = (detail: string) =>
    new AuthError("invalid_hash", `Invalid password hash: ${detail}`);
  if (parts.length !== 4 || scheme !== SCHEME) {
    throw bad(`expected ${SCHEME}$iterations$salt$hash`);
  }
  if (!/^[1-9][0-9]{0,7}$/.test(iterText!)) {
    throw bad("iteration count is not a positive integer");
  }
  const iterations = Number(iterText);
  if (iterations > MAX_ITERATIONS) {
    throw bad(`iteration count is above ${MAX_ITERATIONS}`);
  }
  const salt = strictHex(saltHex!);
  const hash = strictHex(hashHex!);
  if (salt === undefined || salt.length < 8) {
    throw bad("salt is not at least 8 bytes of hex");
  }
  if (hash === undefined || hash.length !== HASH_LENGTH) {
    throw bad(`hash is not ${HASH_LENGTH} bytes of hex`);
  }
  return { iterations, salt, hash };
}

function strictHex(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Options of {@link PasswordHasher}.
 *
 * @example
 * ```ts
 * import type { PasswordHasherOptions } from "./password.ts";
 *
 * const fast: PasswordHasherOptions = { iterations: 1000 };
 * ```
 */
export interface PasswordHasherOptions {
  /** Iterations for new hashes (default {@link DEFAULT_PBKDF2_ITERATIONS}). */
  iterations?: number;
  /** The comparison of derived keys (default `constantTimeEqual`; tests wrap it). */
  equal?: (a: Uint8Array, b: Uint8Array) => boolean;
}

/**
 * Hashes and verifies passwords.
 *
 * @example
 * ```ts
 * import { PasswordHasher } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * const hasher = new PasswordHasher({ iterations: 1000 });
 * const stored = await hasher.hash("hunter2");
 * assert.match(stored, /^pbkdf2-sha256\$1000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
 * assert.equal(await hasher.verify(stored, "hunter2"), true);
 * assert.equal(await hasher.verify(stored, "hunter3"), false);
 * assert.equal(await hasher.verifyUnknown("hunter2"), false);
 * ```
 */
export class PasswordHasher {
  /** Iterations for new hashes. */
  readonly iterations: number;
  #equal: (a: Uint8Array, b: Uint8Array) => boolean;
  #dummy: PasswordHash;

  /**
   * Makes a hasher.
   *
   * @param options Iterations and comparison.
   * @throws {RangeError} for an iteration count outside 1 to 10 000 000.
   */
  constructor(options: PasswordHasherOptions = {}) {
    const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
    if (
      !Number.isSafeInteger(iterations) || iterations < 1 ||
      iterations > MAX_ITERATIONS
    ) {
      throw new RangeError(
        `Cannot hash passwords: iteration count ${iterations} is not from 1 to ${MAX_ITERATIONS}`,
      );
    }
    this.iterations = iterations;
    this.#equal = options.equal ?? constantTimeEqual;
    this.#dummy = {
      iterations,
      salt: randomBytes(SALT_LENGTH),
      hash: randomBytes(HASH_LENGTH),
    };
  }

  /**
   * Hashes a password with a fresh salt.
   *
   * @param password The password.
   * @returns `pbkdf2-sha256$ITERATIONS$SALT$HASH`.
   * @throws {AuthError} `invalid_password` for an empty password or one
   * over 4096 bytes.
   */
  async hash(password: string | Uint8Array): Promise<string> {
    const bytes = passwordBytes(password);
    const salt = randomBytes(SALT_LENGTH);
    const hash = await derive(bytes, salt, this.iterations);
    return `${SCHEME}$${this.iterations}$${encodeHex(salt)}$${encodeHex(hash)}`;
  }

  /**
   * Checks a password against a stored hash; a malformed hash or password
   * is a mismatch.
   *
   * @param encoded The stored hash.
   * @param password The password offered.
   * @returns Whether it matches.
   */
  async verify(
    encoded: string,
    password: string | Uint8Array,
  ): Promise<boolean> {
    let parsed: PasswordHash | undefined;
    try {
      parsed = parsePasswordHash(encoded);
    } catch {
      parsed = undefined;
    }
    const ok = await this.#check(parsed ?? this.#dummy, password);
    return ok && parsed !== undefined;
  }

  /**
   * Spends the work of a verification and returns false: the answer for an
   * unknown user.
   *
   * @param password The password offered.
   * @returns `false`.
   */
  async verifyUnknown(password: string | Uint8Array): Promise<boolean> {
    await this.#check(this.#dummy, password);
    return false;
  }

  async #check(
    parsed: PasswordHash,
    password: string | Uint8Array,
  ): Promise<boolean> {
    let bytes: Uint8Array;
    let valid = true;
    try {
      bytes = passwordBytes(password);
    } catch {
      bytes = new Uint8Array(1);
      valid = false;
    }
    const derived = await derive(bytes, parsed.salt, parsed.iterations);
    return this.#equal(derived, parsed.hash) && valid;
  }
}

function passwordBytes(password: string | Uint8Array): Uint8Array {
  const bytes = typeof password === "string"
    ? new TextEncoder().encode(password)
    : password;
  if (bytes.length === 0) {
    throw new AuthError("invalid_password", "Invalid password: empty");
  }
  if (bytes.length > MAX_PASSWORD_BYTES) {
    throw new AuthError(
      "invalid_password",
      `Invalid password: longer than ${MAX_PASSWORD_BYTES} bytes`,
    );
  }
  return bytes;
}

async function derive(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(salt), iterations },
    key,
    HASH_LENGTH * 8,
  );
  return new Uint8Array(bits);
}
