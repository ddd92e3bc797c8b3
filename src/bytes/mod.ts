/**
 * Bytes: bounds-checked reading and writing, hex and constant-time equality.
 *
 * @module
 */

export { DecodeError } from "./errors.ts";
export { ByteReader } from "./reader.ts";
export { ByteWriter, concatBytes } from "./writer.ts";
export { decodeHex, encodeHex } from "./hex.ts";
export { constantTimeEqual } from "./constant_time.ts";
export { formatIp, parseIp, parseIpv4, parseIpv6 } from "./ip_address.ts";
