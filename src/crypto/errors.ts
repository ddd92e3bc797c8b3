/**
 * The error thrown by `src/crypto` for misuse and invalid input.
 *
 * Authentication failures are not errors: {@link Aead.open} returns
 * `undefined` and `verifySignature()` returns `false`, so that a forged record
 * or signature is an ordinary branch and never an exception path.
 *
 * @module
 */

/**
 * Machine-readable reason for a {@link CryptoError}.
 *
 * @example
 * ```ts
 * import { CryptoError, type CryptoErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const code: CryptoErrorCode = "bad_key";
 * assert.equal(new CryptoError(code, "Cannot sign: no key").code, "bad_key");
 * ```
 */
export type CryptoErrorCode =
  /** A public point is not on the curve, is the identity or has the wrong encoding. */
  | "invalid_point"
  /** A key has the wrong length or type, or does not fit the requested scheme. */
  | "bad_key"
  /** A nonce, IV, tag length or similar parameter is outside what the algorithm allows. */
  | "bad_parameter"
  /** A key agreement produced an all-zero shared secret (RFC 7748 §6.1). */
  | "zero_shared_secret"
  /** The platform refused an operation that should have worked. */
  | "operation_failed";

/**
 * A cryptographic operation was called with input it cannot accept.
 *
 * @example Tell a bad peer key from other failures
 * ```ts
 * import { CryptoError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new CryptoError("invalid_point", "Cannot derive a secret: peer point is not on P-256");
 * assert.ok(err instanceof Error);
 * assert.equal(err.code, "invalid_point");
 * ```
 */
export class CryptoError extends Error {
  /** Why the operation was refused. */
  readonly code: CryptoErrorCode;

  /**
   * Creates the error.
   *
   * @param code Machine-readable reason.
   * @param message Sentence-case description of the operation that failed.
   * @param options Standard error options (`cause`).
   */
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CryptoError";
    this.code = code;
  }
}
