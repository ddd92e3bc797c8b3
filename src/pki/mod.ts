/**
 * PKI toolkit: ASN.1 DER, PEM, X.509 parsing and path validation, CRLs, OCSP,
 * private keys (plain and encrypted), PKCS#12 keystores and certificate
 * issuing.
 *
 * @module
 */

export * from "./asn1/mod.ts";
export * from "./x509/mod.ts";
export * from "./keys/mod.ts";
export { decodePem, encodePem, type PemBlock } from "./pem.ts";
export { OID } from "./oids.ts";
export {
  type CertificateIssuer,
  issueCertificate,
  type IssueCertificateOptions,
  randomSerial,
  subjectKeyIdentifier,
} from "./issue.ts";
export {
  Crl,
  findCrlFor,
  findCrlsFor,
  parseCrl,
  parseCrlPem,
  verifyCrlSignature,
} from "./crl.ts";
export {
  type DecodedSpki,
  decodeSpki,
  encodeSpki,
  type SupportedSpki,
  type UnsupportedSpki,
} from "./spki.ts";
export {
  decodeName,
  DistinguishedName,
  encodeName,
  type NameEntry,
} from "./name.ts";
export {
  decodeSignatureAlgorithm,
  encodeSignatureAlgorithm,
  type SignatureAlgorithm,
  signatureAlgorithmName,
} from "./algorithm.ts";
export { type Pkcs12Contents, readPkcs12 } from "./pkcs12.ts";
export {
  type BasicOcspResponse,
  type CertId,
  certIdFor,
  type CertStatus,
  decodeOcspResponse,
  encodeCertId,
  encodeOcspRequest,
  OcspError,
  type OcspErrorCode,
  type OcspResponse,
  OcspResponseStatus,
  type OcspResponseStatusName,
  type ResponderId,
  type SingleResponse,
  type VerifiedOcspStatus,
  type VerifyOcspOptions,
  verifyOcspResponse,
} from "./ocsp.ts";
