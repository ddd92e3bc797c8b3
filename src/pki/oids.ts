/**
 * Object identifiers used across the PKI code, in one place.
 *
 * @module
 */

/**
 * Named OIDs (dotted form) for algorithms, name attributes, extensions and
 * PKCS containers.
 *
 * @example
 * ```ts
 * import { OID } from "./oids.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(OID.ecPublicKey, "1.2.840.10045.2.1");
 * ```
 */
export const OID = {
  // Public key algorithms and curves (RFC 5480, RFC 8017)
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  secp256r1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  secp521r1: "1.3.132.0.35",
  x25519: "1.3.101.110",
  ed25519: "1.3.101.112",
  // Signature algorithms (RFC 5758, RFC 4055)
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  sha1WithRsaEncryption: "1.2.840.113549.1.1.5",
  sha256WithRsaEncryption: "1.2.840.113549.1.1.11",
  sha384WithRsaEncryption: "1.2.840.113549.1.1.12",
  sha512WithRsaEncryption: "1.2.840.113549.1.1.13",
  mgf1: "1.2.840.113549.1.1.8",
  // Hashes
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  hmacWithSha1: "1.2.840.113549.2.7",
  hmacWithSha256: "1.2.840.113549.2.9",
  hmacWithSha384: "1.2.840.113549.2.10",
  hmacWithSha512: "1.2.840.113549.2.11",
  // Name attributes (RFC 5280 §4.1.2.4)
  commonName: "2.5.4.3",
  surname: "2.5.4.4",
  serialNumber: "2.5.4.5",
  countryName: "2.5.4.6",
  localityName: "2.5.4.7",
  stateOrProvinceName: "2.5.4.8",
  streetAddress: "2.5.4.9",
  organizationName: "2.5.4.10",
  organizationalUnitName: "2.5.4.11",
  title: "2.5.4.12",
  givenName: "2.5.4.42",
  domainComponent: "0.9.2342.19200300.100.1.25",
  userId: "0.9.2342.19200300.100.1.1",
  emailAddress: "1.2.840.113549.1.9.1",
  // Certificate extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  basicConstraints: "2.5.29.19",
  crlNumber: "2.5.29.20",
  crlReason: "2.5.29.21",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  tlsFeature: "1.3.6.1.5.5.7.1.24",
  // Access methods and key purposes
  ocsp: "1.3.6.1.5.5.7.48.1",
  // OCSP (RFC 6960 §4.2.1, §4.4.1, §4.2.2.2.1; RFC 8954)
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  ocspNoCheck: "1.3.6.1.5.5.7.48.1.5",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
  caIssuers: "1.3.6.1.5.5.7.48.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  anyExtendedKeyUsage: "2.5.29.37.0",
  // PKCS#5 (RFC 8018)
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  aes128Cbc: "2.16.840.1.101.3.4.1.2",
  aes192Cbc: "2.16.840.1.101.3.4.1.22",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  desEde3Cbc: "1.2.840.113549.3.7",
  // PKCS#7 / PKCS#9 / PKCS#12 (RFC 7292)
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  extensionRequest: "1.2.840.113549.1.9.14",
  pbeWithSha1And3KeyTripleDesCbc: "1.2.840.113549.1.12.1.3",
  pbeWithSha1And2KeyTripleDesCbc: "1.2.840.113549.1.12.1.4",
  pbeWithSha1And128BitRc2Cbc: "1.2.840.113549.1.12.1.5",
  pbeWithSha1And40BitRc2Cbc: "1.2.840.113549.1.12.1.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  crlBag: "1.2.840.113549.1.12.10.1.4",
  secretBag: "1.2.840.113549.1.12.10.1.5",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
} as const;
