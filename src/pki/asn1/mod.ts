/**
 * ASN.1 DER: a strict reader and composable writer functions.
 *
 * @module
 */

export { contextTag, Tag } from "./tags.ts";
export { decodeOid, encodeOid } from "./oid.ts";
export {
  type BitString,
  bitStringValue,
  type DerElement,
  DerReader,
  integerValue,
  stringValue,
} from "./der_reader.ts";
export {
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derTime,
  derTlv,
  derUtf8String,
} from "./der_writer.ts";
export { decodeGeneralizedTime, decodeUtcTime } from "./time.ts";
export { berToDer, MAX_BER_DEPTH } from "./ber.ts";
