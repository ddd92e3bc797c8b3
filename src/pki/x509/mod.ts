/**
 * X.509: certificate parsing, extensions and certification path validation.
 *
 * @example Parse a chain file and validate it
 * ```ts
 * import { parseCertificatePem, validateChain } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chain = parseCertificatePem("");
 * const result = await validateChain(chain, { trustAnchors: [], now: 0 });
 * assert.equal(result.ok, false);
 * if (!result.ok) assert.equal(result.reason, "empty_chain");
 * ```
 *
 * @module
 */

export {
  allowsPurpose,
  type Certificate,
  formatFingerprint,
  isSelfIssued,
  parseCertificate,
  parseCertificatePem,
} from "./certificate.ts";
export {
  type AuthorityInfoAccess,
  type AuthorityKeyIdentifier,
  type BasicConstraints,
  decodeAuthorityInfoAccess,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCrlDistributionPoints,
  decodeExtensions,
  decodeExtKeyUsage,
  decodeGeneralName,
  decodeGeneralNames,
  decodeKeyUsage,
  decodeSubjectKeyIdentifier,
  type Extension,
  formatIpAddress,
  type GeneralName,
  type GeneralNameType,
  HANDLED_EXTENSIONS,
  KEY_USAGES,
  KeyPurpose,
  keyPurposeName,
  type KeyUsage,
} from "./extensions.ts";
export {
  alertForValidationFailure,
  type CertificateAlert,
  validateChain,
  type ValidateOptions,
  type ValidationFailure,
  type ValidationResult,
  type ValidationWarning,
} from "./path_validation.ts";
