/**
 * Types shared by the TLS 1.2 / DTLS 1.2 handshake state machines
 * ({@link ServerHandshake} in `server.ts`, {@link ClientHandshake} in
 * `client.ts`): what goes in (whole handshake messages and
 * ChangeCipherSpec), what comes out (handshake actions: messages to send,
 * "ChangeCipherSpec here" markers, keys for the next epoch, end of a flight,
 * established), and the configuration both roles take.
 *
 * The machines are record-layer agnostic: the record layer hands them a
 * {@link Framer} that turns a message body into the bytes that enter the
 * transcript (for DTLS the 12-byte header with the next `message_seq`,
 * RFC 6347 §4.2.6; for TLS the 4-byte header).
 *
 * @module
 */

import type { CipherSuite } from "../cipher_suites.ts";
import type { RecordKeys } from "../record_protection.ts";
import type { ResumableSession, SessionCache } from "../session_cache.ts";
import type { PrivateKey } from "../../crypto/mod.ts";
import type { Certificate, Crl } from "../../pki/mod.ts";

/**
 * Looks up the key of a PSK identity (RFC 4279 §2); `undefined` when the
 * identity is unknown. The credential store plugs in here.
 *
 * @example
 * ```ts
 * import type { PskLookup } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const lookup: PskLookup = (id) => id === "dev" ? new Uint8Array([1]) : undefined;
 * assert.equal(lookup("nobody"), undefined);
 * ```
 */
export type PskLookup = (
  identity: string,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/**
 * Who the peer proved to be.
 *
 * @example
 * ```ts
 * import type { PeerIdentity } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const id: PeerIdentity = { kind: "psk", identity: "device-1" };
 * assert.equal(id.kind, "psk");
 * ```
 */
export type PeerIdentity =
  | { readonly kind: "psk"; readonly identity: string }
  | {
    readonly kind: "x509";
    /** Leaf first, as the peer sent it. */
    readonly chain: readonly Certificate[];
    /** The leaf's subject, formatted. */
    readonly subject: string;
  };

/**
 * Keys for both directions of the next epoch.
 *
 * @example
 * ```ts
 * import type { SessionKeys } from "./types.ts";
 * import { cipherSuiteByName } from "../cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const k = { key: new Uint8Array(16), iv: new Uint8Array(4), macKey: new Uint8Array(0) };
 * const keys: SessionKeys = { suite: cipherSuiteByName("PSK-AES128-CCM8")!, client: k, server: k };
 * assert.equal(keys.suite.tagLength, 8);
 * ```
 */
export interface SessionKeys {
  readonly suite: CipherSuite;
  readonly client: RecordKeys;
  readonly server: RecordKeys;
}

/**
 * What a completed handshake agreed.
 *
 * @example
 * ```ts
 * import type { EstablishedSession } from "./types.ts";
 * import { cipherSuiteByName } from "../cipher_suites.ts";
 * import assert from "node:assert/strict";
 *
 * const s: EstablishedSession = {
 *   suite: cipherSuiteByName("PSK-AES128-CCM8")!,
 *   identity: { kind: "psk", identity: "a" },
 *   extendedMasterSecret: true,
 * };
 * assert.equal(s.extendedMasterSecret, true);
 * ```
 */
export interface EstablishedSession {
  readonly suite: CipherSuite;
  /** The authenticated peer; `undefined` for an anonymous client (one-way). */
  readonly identity: PeerIdentity | undefined;
  /** Whether RFC 7627 extended master secret is in use. */
  readonly extendedMasterSecret: boolean;
  /** Whether this was an abbreviated handshake (RFC 5246 §7.3 figure 2). */
  readonly resumed?: boolean;
  /**
   * What a later handshake can resume, when the server issued a session ID
   * (a client passes it as {@link ClientHandshakeConfig.session}).
   */
  readonly resumable?: ResumableSession;
  /**
   * Client: the DER OCSPResponse the server stapled in a CertificateStatus
   * (RFC 6066 §8), unverified; absent when none was sent.
   */
  readonly ocspResponse?: Uint8Array;
}

/**
 * What the hellos agreed for the record layer, read from the machine's
 * `recordLayer` getter once the ServerHello has been handled (and kept for
 * the association's life).
 *
 * - RFC 9146 connection IDs: `connectionId` is the CID this side asked to
 *   receive, `peerConnectionId` the one the peer asked for; both are set
 *   (possibly empty) exactly when the extension was negotiated, and records
 *   of epochs above 0 sent to a peer with a non-empty CID are `tls12_cid`
 *   records.
 * - RFC 6066 §4 `maxFragmentLength`: the plaintext bound of every record
 *   after the ServerHello, both directions, handshake records included.
 * - RFC 8449 record size limits: protected records sent must not exceed
 *   `peerRecordSizeLimit` plaintext bytes; `recordSizeLimit` is what this
 *   side announced.
 *
 * @example
 * ```ts
 * import type { RecordLayerAgreement } from "./types.ts";
 * const a: RecordLayerAgreement = { maxFragmentLength: 512 };
 * ```
 */
export interface RecordLayerAgreement {
  readonly connectionId?: Uint8Array;
  readonly peerConnectionId?: Uint8Array;
  readonly maxFragmentLength?: number;
  readonly peerRecordSizeLimit?: number;
  readonly recordSizeLimit?: number;
}

/**
 * One output step of a handshake machine, in order.
 *
 * - `message`: send this handshake message (already in the transcript as
 *   `framed`);
 * - `change_cipher_spec`: send ChangeCipherSpec here; later messages go
 *   under the keys of the last `keys` action (the next epoch);
 * - `keys`: keys of the next epoch for both directions; the record layer
 *   reads the next epoch once the peer's ChangeCipherSpec arrived;
 * - `flight_end`: the flight is complete; `final` when no answer is expected
 *   (the last flight of the handshake, RFC 6347 §4.2.4: retransmitted only
 *   when the peer repeats its own last flight);
 * - `established`: the handshake is done.
 *
 * @example
 * ```ts
 * import type { HandshakeAction } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const a: HandshakeAction = { kind: "flight_end", final: false };
 * assert.equal(a.kind, "flight_end");
 * ```
 */
export type HandshakeAction =
  | {
    readonly kind: "message";
    readonly type: number;
    readonly body: Uint8Array;
    readonly framed: Uint8Array;
  }
  | { readonly kind: "change_cipher_spec" }
  | { readonly kind: "keys"; readonly keys: SessionKeys }
  | { readonly kind: "flight_end"; readonly final: boolean }
  | { readonly kind: "established"; readonly session: EstablishedSession };

/**
 * One input of a handshake machine: a whole handshake message (`framed` is
 * its transcript form) or a ChangeCipherSpec.
 *
 * @example
 * ```ts
 * import type { HandshakeInput } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const ccs: HandshakeInput = { kind: "change_cipher_spec" };
 * assert.equal(ccs.kind, "change_cipher_spec");
 * ```
 */
export type HandshakeInput =
  | {
    readonly kind: "message";
    readonly type: number;
    readonly body: Uint8Array;
    readonly framed: Uint8Array;
  }
  | { readonly kind: "change_cipher_spec" };

/**
 * Turns a message body into its transcript form, assigning the record
 * layer's next sequence number (DTLS `message_seq`).
 *
 * @example
 * ```ts
 * import type { Framer } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const tls: Framer = (type, body) => new Uint8Array([type, 0, 0, body.length, ...body]);
 * assert.deepEqual(tls(14, new Uint8Array(0)), new Uint8Array([14, 0, 0, 0]));
 * ```
 */
export type Framer = (type: number, body: Uint8Array) => Uint8Array;

/**
 * A certificate chain and its private key (ECDSA P-256 for ECDHE-ECDSA).
 *
 * @example
 * ```ts
 * import type { CertifiedKey } from "./types.ts";
 * const none: CertifiedKey[] = [];
 * ```
 */
export interface CertifiedKey {
  /** Leaf first. */
  readonly chain: readonly Certificate[];
  readonly key: PrivateKey;
}

/**
 * How the server checks client certificates.
 *
 * @example
 * ```ts
 * import type { ClientAuthConfig } from "./types.ts";
 * const auth: ClientAuthConfig = { trustAnchors: [], failIfNoPeerCert: true };
 * ```
 */
export interface ClientAuthConfig {
  /** Trusted CAs; a CertificateRequest is sent when this is set. */
  readonly trustAnchors: readonly Certificate[];
  readonly crls?: readonly Crl[];
  /** `TB_COAP_X509_DTLS_SKIP_VALIDITY_CHECK_FOR_CLIENT_CERT`. */
  readonly skipValidityCheck?: boolean;
  /** Refuse a client that sends an empty Certificate (handshake_failure). */
  readonly failIfNoPeerCert?: boolean;
}

/**
 * Server handshake configuration.
 *
 * @example
 * ```ts
 * import type { ServerHandshakeConfig } from "./types.ts";
 * const cfg: ServerHandshakeConfig = { psk: () => new Uint8Array(16), pskIdentityHint: "postern" };
 * ```
 */
export interface ServerHandshakeConfig {
  /** Server preference order, IANA or OpenSSL names; default {@link DEFAULT_CIPHER_SUITES}. */
  readonly cipherSuites?: readonly string[];
  /** PSK keys by identity; PSK suites are offered only when set. */
  readonly psk?: PskLookup;
  /** PSK identity hint (RFC 4279 §2), sent in ServerKeyExchange. */
  readonly pskIdentityHint?: string;
  /** Certificate for ECDHE-ECDSA suites. */
  readonly certificate?: CertifiedKey;
  /** Ask for and check client certificates (certificate suites only). */
  readonly clientAuth?: ClientAuthConfig;
  /** Random source (tests); default WebCrypto. */
  readonly random?: (length: number) => Uint8Array;
  /**
   * Issue session IDs and resume sessions from this cache (RFC 5246 §7.3);
   * no session IDs without it. Share one cache between the associations
   * of a listener.
   */
  readonly sessionCache?: SessionCache<ResumableSession>;
  /**
   * RFC 8449 record_size_limit announced to clients that send the
   * extension: the largest record plaintext accepted; default 2^14.
   */
  readonly recordSizeLimit?: number;
  /**
   * The DER OCSPResponse to staple now (RFC 6066 §8), asked for during each
   * full certificate handshake whose client sent `status_request`; it must
   * answer at once from a cache (see `src/net/ocsp_stapler.ts`).
   * `undefined`: nothing to staple.
   */
  readonly ocspStaple?: () => Uint8Array | undefined;
}

/**
 * Client handshake configuration.
 *
 * @example
 * ```ts
 * import type { ClientHandshakeConfig } from "./types.ts";
 * const cfg: ClientHandshakeConfig = { psk: { identity: "dev", key: new Uint8Array(16) } };
 * ```
 */
export interface ClientHandshakeConfig {
  /** Offered suites in preference order; default those usable with the credentials given. */
  readonly cipherSuites?: readonly string[];
  /** PSK identity and key. */
  readonly psk?: { readonly identity: string; readonly key: Uint8Array };
  /** CAs that the server certificate must chain to (purpose serverAuth). */
  readonly trustAnchors?: readonly Certificate[];
  /** Accept any server certificate (tests only). */
  readonly insecureSkipVerify?: boolean;
  /** Skip the validity period of the server certificate. */
  readonly skipValidityCheck?: boolean;
  /** Client certificate, sent when the server asks. */
  readonly certificate?: CertifiedKey;
  /** Random source (tests); default WebCrypto. */
  readonly random?: (length: number) => Uint8Array;
  /**
   * A session to offer for resumption (from an earlier connection's
   * `EstablishedSession.resumable`); offered only with extended master
   * secret (RFC 7627 §5.3) and when its suite is still configured.
   */
  readonly session?: ResumableSession;
  /** RFC 6066 §4 max_fragment_length to ask for: 512, 1024, 2048 or 4096. */
  readonly maxFragmentLength?: 512 | 1024 | 2048 | 4096;
  /** RFC 8449 record_size_limit to announce (64..16384). */
  readonly recordSizeLimit?: number;
  /**
   * Send `status_request` (RFC 6066 §8) with certificate suites: the
   * stapled response, if any, comes out as `EstablishedSession.ocspResponse`.
   */
  readonly requestOcspStaple?: boolean;
}

/**
 * Default server preference order: PSK CCM_8 first (the CoAP mandatory
 * suite, RFC 7252 §9.1.3.1), then ECDHE-ECDSA CCM_8 (RFC 7252 §9.1.3.2),
 * then CCM, GCM, ECDHE_PSK and the PSK CBC suites.
 *
 * @example
 * ```ts
 * import { DEFAULT_CIPHER_SUITES } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CIPHER_SUITES[0], "TLS_PSK_WITH_AES_128_CCM_8");
 * ```
 */
export const DEFAULT_CIPHER_SUITES: readonly string[] = [
  "TLS_PSK_WITH_AES_128_CCM_8",
  "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
  "TLS_PSK_WITH_AES_128_CCM",
  "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
  "TLS_PSK_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_PSK_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
  "TLS_PSK_WITH_AES_128_CBC_SHA256",
  "TLS_PSK_WITH_AES_256_CBC_SHA384",
];
