/**
 * The TLS 1.2 key schedule (RFC 5246 §8.1, §6.3, §7.4.9), the extended
 * master secret (RFC 7627 §4) and the PSK premaster secrets (RFC 4279 §2,
 * RFC 5489 §2).
 *
 * ```text
 * premaster (PSK)       = uint16 N, N zero bytes, uint16 N, psk
 * premaster (ECDHE_PSK) = uint16 len(Z), Z, uint16 len(psk), psk
 * master_secret  = PRF(premaster, "master secret", client_random + server_random)[0..47]
 *                = PRF(premaster, "extended master secret", session_hash)[0..47]   (EMS)
 * key_block      = PRF(master_secret, "key expansion", server_random + client_random)
 *                = client_write_MAC_key | server_write_MAC_key |
 *                  client_write_key | server_write_key |
 *                  client_write_IV | server_write_IV
 * verify_data    = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]
 * ```
 *
 * The PRF hash is the suite's (`prfHash`); lengths come from the suite
 * record and nowhere else.
 *
 * @module
 */

import { ByteWriter, concatBytes } from "../bytes/mod.ts";
import { tlsPrf } from "../crypto/mod.ts";
import type { CipherSuite } from "./cipher_suites.ts";
import { RANDOM_LENGTH } from "./messages/_common.ts";
import { VERIFY_DATA_LENGTH } from "./messages/finished.ts";

/**
 * Bytes of the master secret (RFC 5246 §8.1).
 *
 * @example
 * ```ts
 * import { MASTER_SECRET_LENGTH } from "./key_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MASTER_SECRET_LENGTH, 48);
 * ```
 */
export const MASTER_SECRET_LENGTH = 48;

/** The suite fields the PRF-based derivations read. */
export type PrfSuite = Pick<CipherSuite, "prfHash">;

/** The suite fields {@link keyBlock} reads. */
export type KeyBlockSuite = Pick<
  CipherSuite,
  "prfHash" | "encKeyLength" | "macKeyLength" | "fixedIvLength"
>;

/** The record keys of both directions, cut from the key block. */
export interface KeyBlock {
  /** client_write_MAC_key (empty for AEAD suites). */
  readonly clientMacKey: Uint8Array;
  /** server_write_MAC_key (empty for AEAD suites). */
  readonly serverMacKey: Uint8Array;
  /** client_write_key. */
  readonly clientWriteKey: Uint8Array;
  /** server_write_key. */
  readonly serverWriteKey: Uint8Array;
  /** client_write_IV: the AEAD salt (4 bytes), empty for CBC. */
  readonly clientWriteIv: Uint8Array;
  /** server_write_IV: the AEAD salt (4 bytes), empty for CBC. */
  readonly serverWriteIv: Uint8Array;
}

/** One direction's keys, in the shape the record protection takes. */
export interface DirectionKeys {
  /** `*_write_key`. */
  readonly key: Uint8Array;
  /** `*_write_IV`. */
  readonly iv: Uint8Array;
  /** `*_write_MAC_key`. */
  readonly macKey: Uint8Array;
}

/** The two Finished labels (RFC 5246 §7.4.9). */
export type FinishedLabel = "client finished" | "server finished";

function checkRandoms(clientRandom: Uint8Array, serverRandom: Uint8Array) {
  if (
    clientRandom.length !== RANDOM_LENGTH ||
    serverRandom.length !== RANDOM_LENGTH
  ) {
    throw new RangeError(
      `Cannot derive keys: randoms must be ${RANDOM_LENGTH} bytes`,
    );
  }
}

/**
 * The premaster secret of a plain PSK key exchange (RFC 4279 §2): "uint16
 * N, N zero octets, uint16 N, psk", with N the PSK length.
 *
 * @throws {RangeError} for an empty PSK or one over 65535 bytes.
 *
 * @example
 * ```ts
 * import { pskPremasterSecret } from "./key_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   pskPremasterSecret(new Uint8Array([1, 2])),
 *   new Uint8Array([0, 2, 0, 0, 0, 2, 1, 2]),
 * );
 * ```
 */
export function pskPremasterSecret(psk: Uint8Array): Uint8Array {
  if (psk.length === 0) {
    throw new RangeError("Cannot build PSK premaster secret: empty PSK");
  }
  return ecdhePskPremasterSecret(new Uint8Array(psk.length), psk);
}

/**
 * The premaster secret of an ECDHE_PSK key exchange (RFC 5489 §2): the
 * RFC 4279 §2 layout with the ECDH shared secret Z as "other_secret":
 * `uint16 len(Z), Z, uint16 len(psk), psk`.
 *
 * @param ecdheSecret The ECDH shared secret (x-coordinate, RFC 8422 §5.10).
 * @param psk The pre-shared key.
 * @throws {RangeError} for an empty PSK or a part over 65535 bytes.
 *
 * @example
 * ```ts
 * import { ecdhePskPremasterSecret } from "./key_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   ecdhePskPremasterSecret(new Uint8Array([9, 9]), new Uint8Array([1])),
 *   new Uint8Array([0, 2, 9, 9, 0, 1, 1]),
 * );
 * ```
 */
export function ecdhePskPremasterSecret(
  ecdheSecret: Uint8Array,
  psk: Uint8Array,
): Uint8Array {
  if (psk.length === 0) {
    throw new RangeError("Cannot build PSK premaster secret: empty PSK");
  }
  const w = new ByteWriter(4 + ecdheSecret.length + psk.length);
  w.vector16((v) => v.bytes(ecdheSecret));
  w.vector16((v) => v.bytes(psk));
  return w.finish();
}

/**
 * The master secret without the extended master secret extension
 * (RFC 5246 §8.1).
 *
 * @throws {RangeError} if a random is not 32 bytes.
 *
 * @example
 * ```ts
 * import { masterSecret } from "./key_schedule.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const ms = masterSecret(suite, new Uint8Array(8), new Uint8Array(32), new Uint8Array(32));
 * assert.equal(ms.length, 48);
 * ```
 */
export function masterSecret(
  suite: PrfSuite,
  premaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  checkRandoms(clientRandom, serverRandom);
  return tlsPrf(
    suite.prfHash,
    premaster,
    "master secret",
    concatBytes(clientRandom, serverRandom),
    MASTER_SECRET_LENGTH,
  );
}

/**
 * The extended master secret (RFC 7627 §4), bound to the session hash:
 * the transcript hash up to and including ClientKeyExchange
 * (`Transcript.sessionHash()`).
 *
 * @example
 * ```ts
 * import { extendedMasterSecret } from "./key_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const ms = extendedMasterSecret({ prfHash: "SHA-384" }, new Uint8Array(8), new Uint8Array(48));
 * assert.equal(ms.length, 48);
 * ```
 */
export function extendedMasterSecret(
  suite: PrfSuite,
  premaster: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return tlsPrf(
    suite.prfHash,
    premaster,
    "extended master secret",
    sessionHash,
    MASTER_SECRET_LENGTH,
  );
}

/**
 * Expands the master secret into the record keys (RFC 5246 §6.3); the seed
 * puts the server random first.
 *
 * @throws {RangeError} if a random is not 32 bytes.
 *
 * @example
 * ```ts
 * import { keyBlock } from "./key_schedule.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")!;
 * const keys = keyBlock(suite, new Uint8Array(48), new Uint8Array(32), new Uint8Array(32));
 * assert.equal(keys.clientWriteKey.length, 16);
 * assert.equal(keys.serverWriteIv.length, 4);
 * assert.equal(keys.clientMacKey.length, 0);
 * ```
 */
export function keyBlock(
  suite: KeyBlockSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): KeyBlock {
  checkRandoms(clientRandom, serverRandom);
  const mac = suite.macKeyLength;
  const enc = suite.encKeyLength;
  const iv = suite.fixedIvLength;
  const block = tlsPrf(
    suite.prfHash,
    master,
    "key expansion",
    concatBytes(serverRandom, clientRandom),
    2 * (mac + enc + iv),
  );
  let offset = 0;
  const cut = (n: number): Uint8Array => {
    const part = block.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  return {
    clientMacKey: cut(mac),
    serverMacKey: cut(mac),
    clientWriteKey: cut(enc),
    serverWriteKey: cut(enc),
    clientWriteIv: cut(iv),
    serverWriteIv: cut(iv),
  };
}

/**
 * The Finished verify_data (RFC 5246 §7.4.9): 12 bytes for every suite
 * postern implements.
 *
 * @param suite The negotiated suite (its PRF hash).
 * @param master The master secret.
 * @param label `"client finished"` or `"server finished"`.
 * @param handshakeHash The transcript hash of every message before this Finished.
 *
 * @example
 * ```ts
 * import { verifyData } from "./key_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const vd = verifyData({ prfHash: "SHA-256" }, new Uint8Array(48), "client finished", new Uint8Array(32));
 * assert.equal(vd.length, 12);
 * ```
 */
export function verifyData(
  suite: PrfSuite,
  master: Uint8Array,
  label: FinishedLabel,
  handshakeHash: Uint8Array,
): Uint8Array {
  return tlsPrf(
    suite.prfHash,
    master,
    label,
    handshakeHash,
    VERIFY_DATA_LENGTH,
  );
}

/**
 * The keys one side writes with: the client's for records the client sends
 * (and the server reads), the server's for the other direction.
 *
 * @example
 * ```ts
 * import { directionKeys, keyBlock } from "./key_schedule.ts";
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const block = keyBlock(suite, new Uint8Array(48), new Uint8Array(32), new Uint8Array(32));
 * assert.deepEqual(directionKeys(block, "server").key, block.serverWriteKey);
 * ```
 */
export function directionKeys(
  block: KeyBlock,
  writer: "client" | "server",
): DirectionKeys {
  return writer === "client"
    ? {
      key: block.clientWriteKey,
      iv: block.clientWriteIv,
      macKey: block.clientMacKey,
    }
    : {
      key: block.serverWriteKey,
      iv: block.serverWriteIv,
      macKey: block.serverMacKey,
    };
}
