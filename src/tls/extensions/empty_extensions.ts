/**
 * The flag extensions whose extension_data is always empty:
 * `extended_master_secret` (RFC 7627 §5.1) and `encrypt_then_mac`
 * (RFC 7366 §2; parsed so that it is recognised, never negotiated: postern
 * does not answer it, so CBC suites stay MAC-then-encrypt).
 *
 * @module
 */

import { DecodeError } from "../../bytes/mod.ts";

/** `extended_master_secret`: both sides derive the master secret from the session hash. */
export interface ExtendedMasterSecretExtension {
  readonly type: "extended_master_secret";
}

/** `encrypt_then_mac`: the client would like encrypt-then-MAC for CBC suites. */
export interface EncryptThenMacExtension {
  readonly type: "encrypt_then_mac";
}

/**
 * Decodes the empty extension_data of a flag extension.
 *
 * @param data The extension_data.
 * @param type Which flag extension this is.
 * @throws {DecodeError} if `data` is not empty (RFC 7627 §5.1, RFC 7366 §2).
 *
 * @example
 * ```ts
 * import { decodeEmptyExtension } from "./empty_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeEmptyExtension(new Uint8Array(0), "extended_master_secret"),
 *   { type: "extended_master_secret" },
 * );
 * assert.throws(() => decodeEmptyExtension(new Uint8Array(1), "encrypt_then_mac"));
 * ```
 */
export function decodeEmptyExtension<
  T extends "extended_master_secret" | "encrypt_then_mac",
>(data: Uint8Array, type: T): { readonly type: T } {
  if (data.length !== 0) {
    throw new DecodeError(type, 0, `${data.length} bytes, expected none`);
  }
  return { type };
}
