/**
 * Datagrams captured from `openssl s_client -dtls1_2 -connect 127.0.0.1:PORT
 * -psk 0102 -psk_identity x -cipher PSK-AES128-CCM8` (OpenSSL 3.0.22) by a
 * Deno UDP socket: its first ClientHello, and its second one after a
 * HelloVerifyRequest whose cookie was 32 bytes of 0xab. The live test in
 * `openssl_interop_test.ts` captures fresh ones; these keep the codec tests
 * independent of an installed openssl.
 *
 * @module
 */

/** ClientHello 1: record version 0xfeff, epoch 0, seq 0, message_seq 0. */
export const OPENSSL_CLIENT_HELLO_1 =
  "16feff00000000000000000074010000680000000000000068fefd8833639642e69e070d3a" +
  "6acdf8d00396fec26f3afd8c1647234a293699181d6700000004c0a800ff0100003a0023" +
  "00000016000000170000000d002a0028040305030603080708080809080a080b08040805" +
  "0806040105010601030303010302040205020602";

/** ClientHello 2: seq 1, message_seq 1, cookie 0xab × 32. */
export const OPENSSL_CLIENT_HELLO_2 =
  "16feff00000000000000010094010000880001000000000088fefd8833639642e69e070d3a" +
  "6acdf8d00396fec26f3afd8c1647234a293699181d670020abababababababababababab" +
  "abababababababababababababababababababab0004c0a800ff0100003a002300000016" +
  "000000170000000d002a0028040305030603080708080809080a080b0804080508060401" +
  "05010601030303010302040205020602";

/**
 * The fields of a DTLS ClientHello body (RFC 6347 §4.2.1) a test needs:
 * parsed here so tests do not depend on the messages module.
 */
export interface ClientHelloFields {
  readonly version: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cookie: Uint8Array;
  readonly cipherSuites: number[];
  readonly compressionMethods: Uint8Array;
  /** version || random || session_id || cipher_suites || compression_methods. */
  readonly binding: Uint8Array;
}

/** Parses the start of a ClientHello body (extensions ignored). */
export function parseClientHello(body: Uint8Array): ClientHelloFields {
  let o = 0;
  const version = (body[o]! << 8) | body[o + 1]!;
  o += 2;
  const random = body.slice(o, o + 32);
  o += 32;
  const sessionId = body.slice(o + 1, o + 1 + body[o]!);
  o += 1 + sessionId.length;
  const sidEnd = o;
  const cookie = body.slice(o + 1, o + 1 + body[o]!);
  o += 1 + cookie.length;
  const csStart = o;
  const csLength = (body[o]! << 8) | body[o + 1]!;
  const cipherSuites: number[] = [];
  for (let i = 0; i < csLength; i += 2) {
    cipherSuites.push((body[o + 2 + i]! << 8) | body[o + 3 + i]!);
  }
  o += 2 + csLength;
  const compressionMethods = body.slice(o + 1, o + 1 + body[o]!);
  o += 1 + compressionMethods.length;
  const binding = new Uint8Array(sidEnd + (o - csStart));
  binding.set(body.subarray(0, sidEnd), 0);
  binding.set(body.subarray(csStart, o), sidEnd);
  return {
    version,
    random,
    sessionId,
    cookie,
    cipherSuites,
    compressionMethods,
    binding,
  };
}
