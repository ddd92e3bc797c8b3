/**
 * The TLS 1.2 / DTLS 1.2 cipher suites postern implements, as data records
 * (RFC 5246 §6.3 key material, RFC 5288 GCM, RFC 6655 and RFC 7251 CCM,
 * RFC 5487 and RFC 5489 PSK, RFC 5289 ECDHE).
 *
 * A suite names its key exchange, its bulk cipher and the PRF hash; the record
 * layer and key schedule read the lengths from here and nowhere else.
 *
 * @module
 */

/** How the premaster secret is agreed and the server authenticated. */
export type KeyExchange = "psk" | "ecdhe_psk" | "ecdhe_ecdsa" | "ecdhe_rsa";

/** The record protection a suite uses. */
export type BulkCipher =
  | "aes-128-ccm-8"
  | "aes-128-ccm"
  | "aes-128-gcm"
  | "aes-256-gcm"
  | "aes-128-cbc"
  | "aes-256-cbc";

/** One cipher suite: wire id, names and record-protection parameters. */
export interface CipherSuite {
  /** IANA value as sent in ClientHello/ServerHello. */
  readonly id: number;
  /** IANA name, e.g. `TLS_PSK_WITH_AES_128_CCM_8`. */
  readonly name: string;
  /** OpenSSL name, as `ssl_options.ciphers` spells it. */
  readonly openssl: string;
  readonly kx: KeyExchange;
  readonly cipher: BulkCipher;
  /** Hash of the PRF (and of the MAC for CBC suites). */
  readonly prfHash: "SHA-256" | "SHA-384";
  /** Bytes of each encryption key in the key block. */
  readonly encKeyLength: number;
  /** Bytes of each MAC key in the key block (0 for AEAD suites). */
  readonly macKeyLength: number;
  /** Bytes of each implicit IV in the key block (AEAD salt: 4; CBC: 0). */
  readonly fixedIvLength: number;
  /** Bytes of the per-record explicit nonce or IV (AEAD: 8; CBC: 16). */
  readonly recordIvLength: number;
  /** Bytes of the AEAD tag, or of the HMAC for CBC suites. */
  readonly tagLength: number;
}

function aead(
  id: number,
  name: string,
  openssl: string,
  kx: KeyExchange,
  cipher: "aes-128-ccm-8" | "aes-128-ccm" | "aes-128-gcm" | "aes-256-gcm",
): CipherSuite {
  const big = cipher === "aes-256-gcm";
  return {
    id,
    name,
    openssl,
    kx,
    cipher,
    prfHash: big ? "SHA-384" : "SHA-256",
    encKeyLength: big ? 32 : 16,
    macKeyLength: 0,
    fixedIvLength: 4,
    recordIvLength: 8,
    tagLength: cipher === "aes-128-ccm-8" ? 8 : 16,
  };
}

function cbc(
  id: number,
  name: string,
  openssl: string,
  kx: KeyExchange,
  hash: "SHA-256" | "SHA-384",
): CipherSuite {
  const big = hash === "SHA-384";
  return {
    id,
    name,
    openssl,
    kx,
    cipher: big ? "aes-256-cbc" : "aes-128-cbc",
    prfHash: hash,
    encKeyLength: big ? 32 : 16,
    macKeyLength: big ? 48 : 32,
    fixedIvLength: 0,
    recordIvLength: 16,
    tagLength: big ? 48 : 32,
  };
}

/**
 * Every suite postern implements, in the server's default preference order:
 * CoAP's mandatory CCM_8 suites first (RFC 7252 §9.1.3), then the other
 * AEAD suites, then the CBC suites kept for legacy devices.
 *
 * @example
 * ```ts
 * import { CIPHER_SUITES } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CIPHER_SUITES[0]?.name, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8");
 * ```
 */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  aead(
    0xc0ae,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
    "ECDHE-ECDSA-AES128-CCM8",
    "ecdhe_ecdsa",
    "aes-128-ccm-8",
  ),
  aead(
    0xc0a8,
    "TLS_PSK_WITH_AES_128_CCM_8",
    "PSK-AES128-CCM8",
    "psk",
    "aes-128-ccm-8",
  ),
  aead(
    0xc02b,
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ecdhe_ecdsa",
    "aes-128-gcm",
  ),
  aead(
    0xc02c,
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ecdhe_ecdsa",
    "aes-256-gcm",
  ),
  aead(
    0xc0ac,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    "ECDHE-ECDSA-AES128-CCM",
    "ecdhe_ecdsa",
    "aes-128-ccm",
  ),
  aead(
    0xc02f,
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ecdhe_rsa",
    "aes-128-gcm",
  ),
  aead(
    0xc030,
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ecdhe_rsa",
    "aes-256-gcm",
  ),
  aead(
    0x00a8,
    "TLS_PSK_WITH_AES_128_GCM_SHA256",
    "PSK-AES128-GCM-SHA256",
    "psk",
    "aes-128-gcm",
  ),
  aead(
    0x00a9,
    "TLS_PSK_WITH_AES_256_GCM_SHA384",
    "PSK-AES256-GCM-SHA384",
    "psk",
    "aes-256-gcm",
  ),
  aead(
    0xc0a4,
    "TLS_PSK_WITH_AES_128_CCM",
    "PSK-AES128-CCM",
    "psk",
    "aes-128-ccm",
  ),
  cbc(
    0xc037,
    "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
    "ECDHE-PSK-AES128-CBC-SHA256",
    "ecdhe_psk",
    "SHA-256",
  ),
  cbc(
    0x00ae,
    "TLS_PSK_WITH_AES_128_CBC_SHA256",
    "PSK-AES128-CBC-SHA256",
    "psk",
    "SHA-256",
  ),
  cbc(
    0x00af,
    "TLS_PSK_WITH_AES_256_CBC_SHA384",
    "PSK-AES256-CBC-SHA384",
    "psk",
    "SHA-384",
  ),
];

const BY_ID = new Map(CIPHER_SUITES.map((s) => [s.id, s]));
const BY_NAME = new Map(
  CIPHER_SUITES.flatMap((s) => [[s.name, s], [s.openssl, s]] as const),
);

/**
 * The suite with IANA value `id`, if postern implements it.
 *
 * @example
 * ```ts
 * import { cipherSuiteById } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cipherSuiteById(0xc0a8)?.tagLength, 8);
 * assert.equal(cipherSuiteById(0x0005), undefined);
 * ```
 */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/**
 * The suite with this IANA or OpenSSL name, if postern implements it.
 *
 * @example
 * ```ts
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cipherSuiteByName("PSK-AES128-CCM8")?.id, 0xc0a8);
 * assert.equal(cipherSuiteByName("TLS_PSK_WITH_AES_128_CCM_8")?.id, 0xc0a8);
 * ```
 */
export function cipherSuiteByName(name: string): CipherSuite | undefined {
  return BY_NAME.get(name);
}
