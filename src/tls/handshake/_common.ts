/**
 * Helpers shared by the server and client handshake machines: suite lists,
 * the key derivation (RFC 5246 §8.1, RFC 7627 §4, RFC 4279 §2, RFC 5489 §2),
 * ECDHE groups and Finished checks.
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import { type CipherSuite, cipherSuiteByName } from "../cipher_suites.ts";
import {
  ecdhePskPremasterSecret,
  extendedMasterSecret,
  keyBlock,
  masterSecret,
  pskPremasterSecret,
} from "../key_schedule.ts";
import { NamedGroup } from "../extensions/supported_groups.ts";
import type { SessionKeys } from "./types.ts";
import { constantTimeEqual } from "../../bytes/mod.ts";
import { CryptoError, type EcdhGroup } from "../../crypto/mod.ts";

/** DTLS 1.2 on the wire (RFC 6347 §4.1). */
export const DTLS12 = 0xfefd;
/** TLS 1.2 on the wire. */
export const TLS12 = 0x0303;

/** Resolves suite names to records, without repeats; an unknown name throws. */
export function resolveSuites(names: readonly string[]): CipherSuite[] {
  const out: CipherSuite[] = [];
  for (const name of names) {
    const s = cipherSuiteByName(name);
    if (s === undefined) {
      throw new TypeError(`Cannot use cipher suite ${name}: unknown`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** Groups postern offers, preference order (RFC 7925 §4.4: secp256r1). */
export const SUPPORTED_GROUPS: readonly number[] = [
  NamedGroup.secp256r1,
  NamedGroup.x25519,
];

/** Maps a TLS NamedGroup to the crypto layer's ECDH group. */
export function ecdhGroup(group: number): EcdhGroup | undefined {
  if (group === NamedGroup.secp256r1) return "P-256";
  if (group === NamedGroup.x25519) return "X25519";
  return undefined;
}

/** The premaster secret for the suite's key exchange. */
export function premaster(
  suite: CipherSuite,
  psk: Uint8Array | undefined,
  ecdhe: Uint8Array | undefined,
): Uint8Array {
  switch (suite.kx) {
    case "psk":
      return pskPremasterSecret(psk!);
    case "ecdhe_psk":
      return ecdhePskPremasterSecret(ecdhe!, psk!);
    case "ecdhe_ecdsa":
    case "ecdhe_rsa":
      return ecdhe!;
  }
}

/** Master secret (extended when `sessionHash` is given) and the key block. */
export function deriveKeys(
  suite: CipherSuite,
  pre: Uint8Array,
  randoms: { client: Uint8Array; server: Uint8Array },
  sessionHash: Uint8Array | undefined,
): { master: Uint8Array; keys: SessionKeys } {
  const master = sessionHash === undefined
    ? masterSecret(suite, pre, randoms.client, randoms.server)
    : extendedMasterSecret(suite, pre, sessionHash);
  return { master, keys: keysFromMaster(suite, master, randoms) };
}

/** The key block of a master secret (also a resumed session's, RFC 5246 §6.3). */
export function keysFromMaster(
  suite: CipherSuite,
  master: Uint8Array,
  randoms: { client: Uint8Array; server: Uint8Array },
): SessionKeys {
  const kb = keyBlock(suite, master, randoms.client, randoms.server);
  return {
    suite,
    client: {
      key: kb.clientWriteKey,
      iv: kb.clientWriteIv,
      macKey: kb.clientMacKey,
    },
    server: {
      key: kb.serverWriteKey,
      iv: kb.serverWriteIv,
      macKey: kb.serverMacKey,
    },
  };
}

/** RFC 5246 §7.4.9: a wrong verify_data is decrypt_error; compared in constant time. */
export function checkFinished(expected: Uint8Array, got: Uint8Array): void {
  if (!constantTimeEqual(expected, got)) {
    throw new TlsAlertError(
      AlertDescription.decrypt_error,
      "Finished verify_data does not match the transcript",
    );
  }
}

/** Runs an ECDH derivation, mapping a bad peer point to illegal_parameter. */
export async function ecdhShared(
  derive: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    return await derive();
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new TlsAlertError(
        AlertDescription.illegal_parameter,
        "Peer ECDH public value is invalid",
        { cause: err },
      );
    }
    throw err;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** RFC 4279 §5.1: identities are UTF-8. */
export function decodeIdentity(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      "PSK identity is not UTF-8",
      { cause: err },
    );
  }
}
