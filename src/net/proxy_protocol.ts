/**
 * A sans-IO decoder of the PROXY protocol header (HAProxy "The PROXY
 * protocol", versions 1 and 2) that a load balancer writes before the
 * client's bytes, so that the broker learns the real client address.
 *
 * ```
 * v1 (text, at most 107 bytes with the CRLF, §2.1):
 *   "PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\n"
 *   "PROXY TCP6 2001:db8::7 2001:db8::1 50000 1883\r\n"
 *   "PROXY UNKNOWN ...\r\n"
 *
 * v2 (binary, §2.2):
 *   0       12        13        14       16
 *   +-------+---------+---------+--------+-----------------------+
 *   | sig   | ver|cmd | fam|tp  | len BE | addresses, then TLVs  |
 *   +-------+---------+---------+--------+-----------------------+
 *   sig = 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A
 *   ver = 2; cmd 0 LOCAL, 1 PROXY; fam 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX;
 *   tp 0 UNSPEC, 1 STREAM, 2 DGRAM. INET: 12 bytes, INET6: 36, UNIX: 216.
 * ```
 *
 * The decoder is fed bytes as they arrive ({@link ProxyHeaderDecoder.feed});
 * a header split over any number of reads decodes the same as one read. It
 * gives up as soon as the bytes cannot start a header (the first byte
 * decides between v1 and v2), so a client that speaks MQTT straight to a
 * PROXY listener is refused at once instead of at the timeout. TLVs (§2.2.7)
 * are skipped. A `LOCAL` command, `UNKNOWN` or an address family without IP
 * addresses (UNSPEC, UNIX) decode to a header without `source`: the caller
 * keeps the connection's own address, as §2.1 and §2.2 ask.
 *
 * The decoder holds no more than one header: 107 bytes for v1, 16 + 65535
 * for v2.
 *
 * @module
 */

import { DecodeError } from "../bytes/errors.ts";
import { formatIp, parseIpv4, parseIpv6 } from "../bytes/ip_address.ts";

/** The v2 signature, §2.2. */
const V2_SIGNATURE = new Uint8Array([
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
]);
/** "PROXY " */
const V1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]);
/** Longest v1 line, CRLF included (§2.1). */
const V1_MAX = 107;
/** Fixed part of a v2 header. */
const V2_FIXED = 16;

/**
 * One endpoint named by a PROXY header.
 *
 * @example
 * ```ts
 * import type { ProxyEndpoint } from "./proxy_protocol.ts";
 *
 * const client: ProxyEndpoint = { hostname: "192.0.2.7", port: 50000 };
 * ```
 */
export interface ProxyEndpoint {
  /** IPv4 dotted quad or RFC 5952 IPv6 text. */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * A decoded PROXY header.
 *
 * @example
 * ```ts
 * import type { ProxyHeader } from "./proxy_protocol.ts";
 *
 * const header: ProxyHeader = {
 *   version: 1,
 *   command: "proxy",
 *   source: { hostname: "192.0.2.7", port: 50000 },
 *   destination: { hostname: "198.51.100.1", port: 1883 },
 * };
 * ```
 */
export interface ProxyHeader {
  /** Protocol version of the header. */
  readonly version: 1 | 2;
  /** `local`: a health check by the proxy itself (v2 only). */
  readonly command: "proxy" | "local";
  /** The real client; absent for LOCAL, UNKNOWN, UNSPEC and UNIX. */
  readonly source?: ProxyEndpoint;
  /** The address the client connected to; absent with `source`. */
  readonly destination?: ProxyEndpoint;
}

/**
 * A complete header and the bytes after it, which belong to the
 * application stream.
 *
 * @example
 * ```ts
 * import type { ProxyDecoded } from "./proxy_protocol.ts";
 *
 * const done: ProxyDecoded = { header: { version: 2, command: "local" }, rest: new Uint8Array() };
 * ```
 */
export interface ProxyDecoded {
  /** The header. */
  readonly header: ProxyHeader;
  /** Bytes that followed the header in the input. */
  readonly rest: Uint8Array;
}

/**
 * A malformed PROXY header. The connection must be closed.
 *
 * @example
 * ```ts
 * import { decodeProxyHeader, ProxyProtocolError } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => decodeProxyHeader(new TextEncoder().encode("GET / HTTP/1.1\r\n")),
 *   ProxyProtocolError,
 * );
 * ```
 */
export class ProxyProtocolError extends DecodeError {
  /**
   * @param what The field being decoded.
   * @param offset Offset in the header.
   * @param detail What was wrong.
   */
  constructor(what: string, offset: number, detail: string) {
    super(what, offset, detail);
    this.name = "ProxyProtocolError";
  }
}

/**
 * Decodes a PROXY header at the start of `bytes`.
 *
 * @param bytes Everything received so far.
 * @returns The header and the bytes after it, or `undefined` when more
 *   bytes are needed.
 * @throws {ProxyProtocolError} when the bytes cannot be (the start of) a
 *   PROXY header.
 *
 * @example v1, then the first byte of an MQTT CONNECT
 * ```ts
 * import { decodeProxyHeader } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\n\x10");
 * const done = decodeProxyHeader(bytes)!;
 * assert.deepEqual(done.header.source, { hostname: "192.0.2.7", port: 50000 });
 * assert.deepEqual([...done.rest], [0x10]);
 * assert.equal(decodeProxyHeader(bytes.subarray(0, 20)), undefined);
 * ```
 */
export function decodeProxyHeader(
  bytes: Uint8Array,
): ProxyDecoded | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === V1_PREFIX[0]) return decodeV1(bytes);
  if (bytes[0] === V2_SIGNATURE[0]) return decodeV2(bytes);
  throw new ProxyProtocolError(
    "PROXY header",
    0,
    "neither a v1 nor a v2 signature",
  );
}

function expectPrefix(bytes: Uint8Array, prefix: Uint8Array, what: string) {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== prefix[i]) {
      throw new ProxyProtocolError(what, i, "signature mismatch");
    }
  }
  return bytes.length >= prefix.length;
}

function decodeV1(bytes: Uint8Array): ProxyDecoded | undefined {
  if (!expectPrefix(bytes, V1_PREFIX, "PROXY v1 signature")) return undefined;
  const limit = Math.min(bytes.length, V1_MAX - 1);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const b = bytes[i] as number;
    if (b === 0x0d) {
      if (i + 1 >= bytes.length) return undefined;
      if (bytes[i + 1] !== 0x0a) {
        throw new ProxyProtocolError("PROXY v1 line", i + 1, "CR without LF");
      }
      end = i;
      break;
    }
    if (b < 0x20 || b > 0x7e) {
      throw new ProxyProtocolError(
        "PROXY v1 line",
        i,
        "not printable US-ASCII",
      );
    }
  }
  if (end < 0) {
    if (bytes.length >= V1_MAX - 1) {
      throw new ProxyProtocolError(
        "PROXY v1 line",
        V1_MAX,
        `longer than ${V1_MAX} bytes`,
      );
    }
    return undefined;
  }
  const line = new TextDecoder().decode(bytes.subarray(V1_PREFIX.length, end));
  const rest = bytes.subarray(end + 2);
  const fields = line.split(" ");
  const proto = fields[0];
  if (proto === "UNKNOWN") {
    return { header: { version: 1, command: "proxy" }, rest };
  }
  if (proto !== "TCP4" && proto !== "TCP6") {
    throw new ProxyProtocolError(
      "PROXY v1 protocol",
      V1_PREFIX.length,
      `expected TCP4, TCP6 or UNKNOWN, got ${JSON.stringify(proto)}`,
    );
  }
  if (fields.length !== 5) {
    throw new ProxyProtocolError(
      "PROXY v1 line",
      V1_PREFIX.length,
      `expected 5 fields, got ${fields.length}`,
    );
  }
  const parse = proto === "TCP4" ? parseIpv4 : parseIpv6;
  const src = parse(fields[1] as string);
  const dst = parse(fields[2] as string);
  if (src === undefined || dst === undefined) {
    throw new ProxyProtocolError(
      "PROXY v1 address",
      V1_PREFIX.length,
      `not a valid ${proto} address pair`,
    );
  }
  return {
    header: {
      version: 1,
      command: "proxy",
      source: { hostname: formatIp(src), port: v1Port(fields[3] as string) },
      destination: {
        hostname: formatIp(dst),
        port: v1Port(fields[4] as string),
      },
    },
    rest,
  };
}

function v1Port(text: string): number {
  if (!/^(0|[1-9]\d{0,4})$/.test(text) || Number(text) > 65535) {
    throw new ProxyProtocolError(
      "PROXY v1 port",
      V1_PREFIX.length,
      `not a port number: ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

function decodeV2(bytes: Uint8Array): ProxyDecoded | undefined {
  if (!expectPrefix(bytes, V2_SIGNATURE, "PROXY v2 signature")) {
    return undefined;
  }
  if (bytes.length < V2_FIXED) return undefined;
  const verCmd = bytes[12] as number;
  const famProto = bytes[13] as number;
  if (verCmd >> 4 !== 2) {
    throw new ProxyProtocolError(
      "PROXY v2 version",
      12,
      `version ${verCmd >> 4}`,
    );
  }
  const cmd = verCmd & 0x0f;
  if (cmd > 1) {
    throw new ProxyProtocolError("PROXY v2 command", 12, `command ${cmd}`);
  }
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (family > 3 || transport > 2) {
    throw new ProxyProtocolError(
      "PROXY v2 family",
      13,
      `family ${family}, transport ${transport}`,
    );
  }
  const length = ((bytes[14] as number) << 8) | (bytes[15] as number);
  if (bytes.length < V2_FIXED + length) return undefined;
  const body = bytes.subarray(V2_FIXED, V2_FIXED + length);
  const rest = bytes.subarray(V2_FIXED + length);
  const needed = [0, 12, 36, 216][family] as number;
  if (length < needed) {
    throw new ProxyProtocolError(
      "PROXY v2 addresses",
      14,
      `length ${length} is too short for family ${family}`,
    );
  }
  if (cmd === 0) return { header: { version: 2, command: "local" }, rest };
  if (family !== 1 && family !== 2) {
    return { header: { version: 2, command: "proxy" }, rest };
  }
  const size = family === 1 ? 4 : 16;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    header: {
      version: 2,
      command: "proxy",
      source: {
        hostname: formatIp(body.slice(0, size)),
        port: view.getUint16(2 * size),
      },
      destination: {
        hostname: formatIp(body.slice(size, 2 * size)),
        port: view.getUint16(2 * size + 2),
      },
    },
    rest,
  };
}

/**
 * Accumulates reads until a PROXY header is complete.
 *
 * @example A v2 header split over two reads
 * ```ts
 * import { encodeProxyHeaderV2, ProxyHeaderDecoder } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeProxyHeaderV2({
 *   source: { hostname: "2001:db8::7", port: 40000 },
 *   destination: { hostname: "2001:db8::1", port: 1883 },
 * });
 * const decoder = new ProxyHeaderDecoder();
 * assert.equal(decoder.feed(bytes.subarray(0, 10)), undefined);
 * const done = decoder.feed(bytes.subarray(10))!;
 * assert.equal(done.header.source?.hostname, "2001:db8::7");
 * assert.equal(done.rest.length, 0);
 * ```
 */
export class ProxyHeaderDecoder {
  #buffer = new Uint8Array(0);
  #done = false;

  /** Bytes held, waiting for the rest of the header. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /**
   * Adds received bytes.
   *
   * @param chunk The next read.
   * @returns The header and the bytes after it once complete, else
   *   `undefined`.
   * @throws {ProxyProtocolError} on a malformed header.
   * @throws {TypeError} when fed after the header was complete.
   */
  feed(chunk: Uint8Array): ProxyDecoded | undefined {
    if (this.#done) {
      throw new TypeError("Cannot feed a PROXY decoder that has finished");
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const result = decodeProxyHeader(joined);
    if (result === undefined) {
      this.#buffer = joined;
      return undefined;
    }
    this.#done = true;
    this.#buffer = new Uint8Array(0);
    return result;
  }
}

/**
 * Encodes a v1 header (for tests and clients that sit behind nothing).
 *
 * @param endpoints The client and the address it connected to, both IPv4 or
 *   both IPv6; omit both for `PROXY UNKNOWN`.
 * @returns The header line with its CRLF.
 *
 * @example
 * ```ts
 * import { encodeProxyHeaderV1 } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const line = encodeProxyHeaderV1({
 *   source: { hostname: "192.0.2.7", port: 50000 },
 *   destination: { hostname: "198.51.100.1", port: 1883 },
 * });
 * assert.equal(new TextDecoder().decode(line), "PROXY TCP4 192.0.2.7 198.51.100.1 50000 1883\r\n");
 * ```
 */
export function encodeProxyHeaderV1(
  endpoints: { source?: ProxyEndpoint; destination?: ProxyEndpoint } = {},
): Uint8Array {
  const { source, destination } = endpoints;
  if (source === undefined || destination === undefined) {
    return new TextEncoder().encode("PROXY UNKNOWN\r\n");
  }
  const proto = parseIpv4(source.hostname) !== undefined ? "TCP4" : "TCP6";
  return new TextEncoder().encode(
    `PROXY ${proto} ${source.hostname} ${destination.hostname} ${source.port} ${destination.port}\r\n`,
  );
}

/**
 * Encodes a v2 header with the PROXY command over TCP, or the LOCAL command
 * when no endpoints are given.
 *
 * @param endpoints The client and the address it connected to, both IPv4 or
 *   both IPv6.
 * @param options `tlvs`: raw TLV bytes appended after the addresses.
 * @returns The header.
 * @throws {TypeError} when an address is not an IP address.
 *
 * @example
 * ```ts
 * import { decodeProxyHeader, encodeProxyHeaderV2 } from "./proxy_protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeProxyHeaderV2({
 *   source: { hostname: "192.0.2.7", port: 50000 },
 *   destination: { hostname: "198.51.100.1", port: 1883 },
 * });
 * assert.equal(bytes.length, 16 + 12);
 * assert.equal(decodeProxyHeader(bytes)?.header.source?.port, 50000);
 * ```
 */
export function encodeProxyHeaderV2(
  endpoints: { source?: ProxyEndpoint; destination?: ProxyEndpoint } = {},
  options: { tlvs?: Uint8Array } = {},
): Uint8Array {
  const { source, destination } = endpoints;
  const tlvs = options.tlvs ?? new Uint8Array(0);
  let addresses = new Uint8Array(0);
  let famProto = 0x00;
  let verCmd = 0x20;
  if (source !== undefined && destination !== undefined) {
    verCmd = 0x21;
    const src = parseIpv4(source.hostname) ?? parseIpv6(source.hostname);
    const dst = parseIpv4(destination.hostname) ??
      parseIpv6(destination.hostname);
    if (src === undefined || dst === undefined || src.length !== dst.length) {
      throw new TypeError("Cannot encode a PROXY v2 header: bad address pair");
    }
    famProto = src.length === 4 ? 0x11 : 0x21;
    addresses = new Uint8Array(2 * src.length + 4);
    addresses.set(src);
    addresses.set(dst, src.length);
    const view = new DataView(addresses.buffer);
    view.setUint16(2 * src.length, source.port);
    view.setUint16(2 * src.length + 2, destination.port);
  }
  const length = addresses.length + tlvs.length;
  if (length > 0xffff) {
    throw new TypeError("Cannot encode a PROXY v2 header: TLVs too long");
  }
  const out = new Uint8Array(V2_FIXED + length);
  out.set(V2_SIGNATURE);
  out[12] = verCmd;
  out[13] = famProto;
  out[14] = length >> 8;
  out[15] = length & 0xff;
  out.set(addresses, V2_FIXED);
  out.set(tlvs, V2_FIXED + addresses.length);
  return out;
}
