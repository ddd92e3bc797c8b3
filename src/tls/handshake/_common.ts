/**
 * Helpers shared by the server and client handshake machines: suite lists,
 * the key derivation (RFC 5246 §8.1, RFC 7627 §4, RFC 4279 §2, RFC 5489 §2),
 * ECDHE groups, Finished messages and checks, the message flow after the
 * hellos, the actions of a flight, and the peer's certificate chain.
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
import type {
  EstablishedSession,
  HandshakeAction,
  PeerIdentity,
  SessionKeys,
} from "./types.ts";
import type { HandshakeLayer } from "./server.ts";
import { HandshakeType } from "../handshake_type.ts";
import {
  handshakeOrder,
  type HandshakeRole,
  type OrderState,
  startOrder,
} from "../handshake_order.ts";
import { encodeFinished } from "../messages/finished.ts";
import { verifyData } from "../key_schedule.ts";
import type { Transcript } from "../transcript.ts";
import { constantTimeEqual } from "../../bytes/mod.ts";
import {
  CryptoError,
  type EcdhGroup,
  type PublicKey,
  verifySignature,
} from "../../crypto/mod.ts";
import { verificationScheme } from "../signature_schemes.ts";
import {
  alertForValidationFailure,
  type Certificate,
  parseCertificate,
  validateChain,
  type ValidateOptions,
} from "../../pki/mod.ts";

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
const utf8Encoder = new TextEncoder();

/** RFC 4279 §5.1: identities and identity hints go out as UTF-8. */
export function encodeIdentity(identity: string): Uint8Array {
  return utf8Encoder.encode(identity);
}

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

/**
 * A ChangeCipherSpec, as a machine's action (send one here) and as its
 * input (one arrived); shared, as actions and inputs are read-only.
 */
export const CHANGE_CIPHER_SPEC_ACTION: {
  readonly kind: "change_cipher_spec";
} = Object.freeze({ kind: "change_cipher_spec" });

/** The end of a flight that expects an answer. */
export const FLIGHT_END: HandshakeAction = Object.freeze({
  kind: "flight_end",
  final: false,
});

/** The end of the handshake's last flight (RFC 6347 §4.2.4). */
export const FINAL_FLIGHT_END: HandshakeAction = Object.freeze({
  kind: "flight_end",
  final: true,
});

/** An outgoing message in its transcript form, framed by the record layer. */
export function messageAction(
  layer: HandshakeLayer,
  type: number,
  body: Uint8Array,
): HandshakeAction & { readonly kind: "message" } {
  return { kind: "message", type, body, framed: layer.frame(type, body) };
}

/** The body of this side's Finished over the transcript so far (RFC 5246 §7.4.9). */
export function finishedBody(
  suite: CipherSuite,
  master: Uint8Array,
  label: "client finished" | "server finished",
  transcript: Transcript,
): Uint8Array {
  return encodeFinished({
    verifyData: verifyData(suite, master, label, transcript.hash()),
  });
}

/**
 * The last flight of a handshake and its end: ChangeCipherSpec, Finished
 * (the server's of a full handshake, the client's of an abbreviated one,
 * RFC 5246 §7.3), then established.
 */
export function lastFlight(
  finished: HandshakeAction,
  session: EstablishedSession,
): HandshakeAction[] {
  return [
    CHANGE_CIPHER_SPEC_ACTION,
    finished,
    FINAL_FLIGHT_END,
    { kind: "established", session },
  ];
}

/**
 * The order check of the peer's messages once this side handled the
 * hellos (`role` receives them): after the ClientHello for a server, after
 * the ServerHello for a client.
 */
export function flowAfterHello(
  role: HandshakeRole,
  kx: CipherSuite["kx"],
  options: {
    readonly dtls: boolean;
    readonly resumption?: boolean;
    readonly clientAuth?: boolean;
  },
): OrderState {
  return startOrder(
    handshakeOrder({
      role,
      kx,
      dtls: options.dtls,
      resumption: options.resumption === true,
      clientAuth: options.clientAuth === true,
    }),
    {
      after: role === "server"
        ? HandshakeType.client_hello
        : HandshakeType.server_hello,
    },
  );
}

/** Parses the peer's DER chain; one that does not parse is bad_certificate. */
export function parsePeerChain(
  ders: readonly Uint8Array[],
  peer: "Client" | "Server",
): Certificate[] {
  try {
    return ders.map((d) => parseCertificate(d));
  } catch (err) {
    throw new TlsAlertError(
      AlertDescription.bad_certificate,
      `${peer} certificate does not parse`,
      { cause: err },
    );
  }
}

/** Validates the peer's chain; a failure is the alert its reason maps to. */
export async function validatePeerChain(
  chain: readonly Certificate[],
  options: ValidateOptions,
): Promise<void> {
  const result = await validateChain(chain, options);
  if (!result.ok) {
    throw new TlsAlertError(
      AlertDescription[alertForValidationFailure(result.reason)],
      result.message,
    );
  }
}

/**
 * Checks the peer's signature (RFC 8422 §5.4 ServerKeyExchange, RFC 5246
 * §7.4.8 CertificateVerify): a scheme this side offered (else
 * illegal_parameter), then the signature itself (else decrypt_error).
 */
export async function checkPeerSignature(
  key: PublicKey,
  data: Uint8Array,
  signed: { readonly scheme: number; readonly signature: Uint8Array },
  options: { readonly offered: readonly number[]; readonly what: string },
): Promise<void> {
  const scheme = verificationScheme(signed.scheme, key, {
    offered: options.offered,
  });
  if (!await verifySignature(key, data, signed.signature, scheme)) {
    throw new TlsAlertError(
      AlertDescription.decrypt_error,
      `${options.what} signature does not verify`,
    );
  }
}

/** Who a verified certificate chain names. */
export function x509Identity(chain: readonly Certificate[]): PeerIdentity {
  return { kind: "x509", chain, subject: chain[0]!.subject.toString() };
}
