/**
 * The credential store shared by every protocol: access tokens,
 * username/password, X.509 identities and trusted CAs, PSK identities
 * (with the EMQX-style init-file import) and per-identity topic ACLs.
 *
 * - {@link CredentialStore} is the interface; {@link KvStore} the embedded
 *   backend on Deno KV under `POSTERN_DATA_DIR`, {@link MemoryStore} the
 *   in-memory one. A shared backend for fleets can implement the same
 *   interface.
 * - Reads are answered from memory; writes from any process reach every
 *   running instance within `pollIntervalMs`, and are reported on
 *   `changes()` / `onChange()` so that the broker closes the sessions of a
 *   removed or revoked credential ({@link isAffectedBy}).
 *
 * Security notes:
 * - Passwords: PBKDF2-HMAC-SHA256, 16-byte random salt per user, at least
 *   100 000 iterations by default, stored as
 *   `pbkdf2-sha256$iterations$salt$hash`; compared in constant time; an
 *   unknown user costs the same work as a wrong password.
 * - Access tokens are stored as their SHA-256 only; listings show a
 *   hash-derived id and at most four characters.
 * - PSK secrets are bytes in memory and in the store; listings, changes,
 *   identities and error messages never contain them, and {@link PskEntry}
 *   redacts its key when printed or serialized.
 *
 * @example Authenticate three ways, authorize by ACL
 * ```ts
 * import { MemoryStore } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore({ passwordIterations: 1000 });
 * await store.addPsk("coap-sensor", new Uint8Array(16).fill(9));
 * const { token } = await store.addToken("thermostat");
 * await store.addUser("alice", "s3cret!");
 * await store.setAcl("thermostat", [
 *   { permission: "allow", action: "publish", topic: "v1/devices/%u/telemetry" },
 * ]);
 *
 * assert.equal((await store.lookupPsk("coap-sensor"))?.length, 16);
 * const device = await store.verifyToken(token);
 * assert.equal(device?.subject, "thermostat");
 * assert.equal((await store.verifyPassword("alice", "s3cret!"))?.kind, "password");
 * assert.equal(await store.authorize("thermostat", "publish", "v1/devices/thermostat/telemetry"), true);
 * assert.equal(await store.authorize("thermostat", "subscribe", "#"), false);
 * await store.close();
 * ```
 *
 * @module
 */

export {
  Acl,
  type AclAction,
  type AclPermission,
  type AclPolicy,
  type AclRule,
  formatAclRule,
  parseAclRule,
  validateAclRule,
} from "./acl.ts";
export { AuthError, type AuthErrorCode, PskFileError } from "./errors.ts";
export { identifyCredential, type PresentedCredential } from "./credential.ts";
export {
  type CertificateMatch,
  type CertificateRule,
  certificateRuleId,
  CertificateRuleIndex,
  type CertificateSummary,
  certificateUsername,
  type IdentifyOptions,
  normalizeCertificateMatch,
  parseCertificateRuleId,
  PEER_CERT_AS_USERNAME,
  type PeerCertAsUsername,
  summarizeCertificate,
} from "./identity.ts";
export {
  CREDENTIALS_FILE,
  credentialStorePath,
  KvStore,
  type KvStoreOptions,
} from "./kv_store.ts";
export { MemoryStore } from "./memory_store.ts";
export {
  DEFAULT_PBKDF2_ITERATIONS,
  parsePasswordHash,
  type PasswordHash,
  PasswordHasher,
  type PasswordHasherOptions,
} from "./password.ts";
export {
  importPskFile,
  importPskInitFile,
  parsePskFile,
  type PskFileOptions,
} from "./psk_file.ts";
export {
  type AclEntry,
  type AuthorizeOptions,
  type ChangeOp,
  type CredentialChange,
  type CredentialKind,
  type CredentialStore,
  type Identity,
  type IdentityKind,
  type ImportOptions,
  type ImportResult,
  isAffectedBy,
  PskEntry,
  type TokenInfo,
} from "./store.ts";
export {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  StoreBase,
  type StoreOptions,
} from "./_base.ts";
