/**
 * Errors of the credential store: one class, {@link AuthError}, with a
 * machine-readable {@link AuthErrorCode}, and {@link PskFileError} for a
 * PSK init file, which also names the line at fault.
 *
 * A failed verification is not an error: `verifyPassword`, `verifyToken`,
 * `lookupPsk` and `identifyCertificate` return `undefined`. Messages never
 * contain a secret (key, password, token), only the name it belongs to.
 *
 * @module
 */

/**
 * Why an {@link AuthError} was thrown.
 *
 * @example
 * ```ts
 * import { AuthError, type AuthErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const code: AuthErrorCode = "invalid_identity";
 * assert.equal(new AuthError(code, "Invalid PSK identity").code, "invalid_identity");
 * ```
 */
export type AuthErrorCode =
  /** A PSK identity, device, user or ACL subject name is empty, too long or has control characters. */
  | "invalid_identity"
  /** A PSK secret is not 1 to 64 bytes. */
  | "invalid_key"
  /** An access token is empty, too long or has whitespace or control characters. */
  | "invalid_token"
  /** A password is empty or too long. */
  | "invalid_password"
  /** A stored password hash is not `pbkdf2-sha256$iterations$salt$hash`. */
  | "invalid_hash"
  /** A certificate rule is malformed: bad fingerprint, empty CN, regex that does not compile. */
  | "invalid_rule"
  /** A CA certificate cannot be parsed or is not a CA. */
  | "invalid_certificate"
  /** An ACL rule is malformed: bad permission, action or topic filter. */
  | "invalid_acl"
  /** A PSK init file has a bad line (see {@link PskFileError}). */
  | "invalid_psk_file"
  /** The store was used after `close()`. */
  | "closed"
  /** The backend refused or failed a read or write. */
  | "storage";

/**
 * A credential store operation was refused.
 *
 * @example Tell a bad argument from a storage failure
 * ```ts
 * import { AuthError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new AuthError("invalid_key", "Cannot add PSK: secret is empty");
 * assert.ok(err instanceof Error);
 * assert.equal(err.code, "invalid_key");
 * assert.equal(err.name, "AuthError");
 * ```
 */
export class AuthError extends Error {
  /** Why the operation was refused. */
  readonly code: AuthErrorCode;

  /**
   * Creates the error.
   *
   * @param code Machine-readable reason.
   * @param message Sentence case, no trailing period, no secret.
   * @param options Standard error options (`cause`).
   */
  constructor(code: AuthErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthError";
    this.code = code;
  }
}

/**
 * A line of a PSK init file is malformed; nothing of the file was imported.
 * `line` is 1-based; for a duplicate identity, `firstLine` is where it
 * first appeared.
 *
 * @example
 * ```ts
 * import { PskFileError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new PskFileError(3, "Secret is not hexadecimal");
 * assert.equal(err.message, "Line 3: Secret is not hexadecimal");
 * assert.equal(err.code, "invalid_psk_file");
 * assert.equal(err.line, 3);
 * const named = new PskFileError(3, "Secret is not hexadecimal", { file: "psk.txt" });
 * assert.equal(named.message, "psk.txt line 3: Secret is not hexadecimal");
 * ```
 */
export class PskFileError extends AuthError {
  /** The 1-based line at fault. */
  readonly line: number;
  /** For a duplicate identity: the line where it first appeared. */
  readonly firstLine: number | undefined;
  /** The file, when known. */
  readonly file: string | undefined;

  /**
   * Creates the error.
   *
   * @param line The 1-based line at fault.
   * @param detail What is wrong with it, sentence case.
   * @param options The first line of a duplicate, the file name.
   */
  constructor(
    line: number,
    detail: string,
    options: { firstLine?: number; file?: string } = {},
  ) {
    super(
      "invalid_psk_file",
      `${
        options.file === undefined ? "Line" : `${options.file} line`
      } ${line}: ${detail}`,
    );
    this.name = "PskFileError";
    this.line = line;
    this.firstLine = options.firstLine;
    this.file = options.file;
  }
}
