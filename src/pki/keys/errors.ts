/**
 * The error postern's key and keystore readers throw for anything an operator
 * has to fix: a wrong or missing password, an unsupported algorithm, a
 * damaged file, a file without a key, or a key that does not belong to the
 * certificate.
 *
 * @module
 */

/** Machine-readable reason for a {@link KeyError}. */
export type KeyErrorCode =
  /** The password did not decrypt the key or keystore (bad padding, bad MAC or garbage content). */
  | "wrong_password"
  /** The key or keystore is encrypted and no password was given. */
  | "password_required"
  /** A well-formed file uses an algorithm, curve or version postern does not implement. */
  | "unsupported"
  /** The input is not a valid encoding (the `cause` is usually a `DecodeError`). */
  | "malformed"
  /** The input holds no private key at all (for example only certificates). */
  | "no_key"
  /** The private key does not belong to the certificate it is paired with. */
  | "mismatch";

/**
 * A private key or keystore could not be loaded.
 *
 * @example Tell a wrong password from a broken file
 * ```ts
 * import { KeyError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new KeyError("wrong_password", "Cannot decrypt private key: wrong password");
 * assert.ok(err instanceof Error);
 * assert.equal(err.code, "wrong_password");
 * ```
 */
export class KeyError extends Error {
  /** Why the key could not be loaded. */
  readonly code: KeyErrorCode;

  /**
   * @param code Machine-readable reason.
   * @param message Sentence-case description of what failed.
   * @param options Standard error options (`cause`).
   */
  constructor(code: KeyErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyError";
    this.code = code;
  }
}
