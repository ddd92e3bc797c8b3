/**
 * The TLS 1.2 / DTLS 1.2 server handshake as Expect-states (rustls
 * `server/tls12.rs`), record-layer agnostic: it takes whole handshake
 * messages and ChangeCipherSpec, and returns {@link HandshakeAction}s.
 * The DTLS association (`src/dtls/association.ts`) and the TLS stream
 * connection (`src/tls/stream/connection.ts`) drive it through their
 * common base, `driver.ts`. The HelloVerifyRequest exchange (flights 1–2) is
 * stateless and lives in the DTLS endpoint, before this machine exists.
 *
 * RFC 6347 §4.2.4 message flights (full handshake):
 *
 * ```text
 *  Client                                          Server
 *  ------                                          ------
 *  ClientHello             -------->                           Flight 1
 *
 *                          <-------    HelloVerifyRequest      Flight 2
 *
 *  ClientHello             -------->                           Flight 3
 *
 *                                             ServerHello    \
 *                                            Certificate*     \
 *                                      CertificateStatus*      \
 *                                      ServerKeyExchange*      Flight 4
 *                                     CertificateRequest*     /
 *                          <--------      ServerHelloDone    /
 *
 *  Certificate*                                              \
 *  ClientKeyExchange                                          \
 *  CertificateVerify*                                          Flight 5
 *  [ChangeCipherSpec]                                         /
 *  Finished                -------->                         /
 *
 *                                      [ChangeCipherSpec]    \ Flight 6
 *                          <--------             Finished    /
 * ```
 *
 * States are named for what they await: `ExpectClientHello`,
 * `ExpectCertificate`, `ExpectClientKeyExchange`, `ExpectCertificateVerify`,
 * `ExpectChangeCipherSpec`, `ExpectFinished`, then `Established`. Every
 * message is first checked against the order table of
 * `handshake_order.ts` (unexpected_message), then handled by the state.
 *
 * Negotiation: the first suite of the server's preference list that the
 * client offers and that the configured credentials can serve (PSK suites
 * need a PSK lookup; ECDHE-ECDSA needs a certificate, a shared group and an
 * ECDSA signature scheme). Extended master secret (RFC 7627) whenever the
 * client offers it; an empty renegotiation_info (RFC 5746 §3.6) when the
 * client signals it; renegotiation itself is refused by the record layer.
 * A CertificateRequest is sent when client auth is configured and the suite
 * uses certificates, so PSK devices still connect. OCSP stapling (RFC 6066
 * §8): when the client sent `status_request` and `ocspStaple()` has a
 * response, the ServerHello acknowledges it and a CertificateStatus follows
 * the Certificate.
 *
 * Resumption (RFC 5246 §7.3 figure 2): with `sessionCache` set, a full
 * handshake with extended master secret issues a 32-byte session ID and
 * caches the session when it completes; a ClientHello offering a cached ID
 * is answered with ServerHello, ChangeCipherSpec and Finished, and the
 * client's ChangeCipherSpec and Finished end it (`#resumable` says when a
 * session is not resumed, RFC 7627 §5.3 included). max_fragment_length,
 * record_size_limit and (DTLS) connection_id are agreed in both forms and
 * exposed as `recordLayer` for the record layer.
 *
 * @example PSK handshake driven by hand against the client machine
 * ```ts
 * import { ServerHandshake } from "./server.ts";
 * import { ClientHandshake } from "./client.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(16).fill(7);
 * const frame = (type: number, body: Uint8Array) => encodeHandshakeTls(type, body);
 * const server = new ServerHandshake({ psk: (id) => id === "dev" ? key : undefined }, { dtls: false, frame });
 * const client = new ClientHandshake({ psk: { identity: "dev", key } }, { dtls: false, frame });
 * let toServer = client.start();
 * let done = 0;
 * for (let i = 0; i < 4 && done < 2; i++) {
 *   const toClient = [];
 *   for (const a of toServer) {
 *     if (a.kind === "message") toClient.push(...await server.handle(0, a));
 *     if (a.kind === "change_cipher_spec") toClient.push(...await server.handle(0, a));
 *     if (a.kind === "established") done++;
 *   }
 *   toServer = [];
 *   for (const a of toClient) {
 *     if (a.kind === "message" || a.kind === "change_cipher_spec") toServer.push(...await client.handle(0, a));
 *     if (a.kind === "established") done++;
 *   }
 * }
 * assert.equal(server.state, "Established");
 * assert.equal(client.state, "Established");
 * ```
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { CipherSuite } from "../cipher_suites.ts";
import { HandshakeType, handshakeTypeName } from "../handshake_type.ts";
import {
  CHANGE_CIPHER_SPEC,
  expectNext,
  type OrderState,
} from "../handshake_order.ts";
import {
  ClientCertificateType,
  type ClientHello,
  decodeHandshakeMessage,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateStatus,
  encodeServerHello,
  encodeServerHelloDone,
  encodeServerKeyExchange,
  type ServerEcdhParams,
} from "../messages/mod.ts";
import {
  type Extension,
  findExtension,
  hasExtension,
} from "../extensions/extensions.ts";
import { ExtensionType } from "../extensions/extension_type.ts";
import { TLS_EMPTY_RENEGOTIATION_INFO_SCSV } from "../extensions/opaque_extensions.ts";
import {
  chooseSignatureScheme,
  SignatureScheme,
  signedParamsData,
  SUPPORTED_SIGNATURE_SCHEMES,
  toCryptoScheme,
} from "../signature_schemes.ts";
import { Transcript } from "../transcript.ts";
import { verifyData } from "../key_schedule.ts";
import {
  CHANGE_CIPHER_SPEC_ACTION,
  checkFinished,
  checkPeerSignature,
  decodeIdentity,
  deriveKeys,
  DTLS12,
  ecdhGroup,
  ecdhShared,
  encodeIdentity,
  finishedBody,
  FLIGHT_END,
  flowAfterHello,
  keysFromMaster,
  lastFlight,
  messageAction,
  parsePeerChain,
  premaster,
  resolveSuites,
  SUPPORTED_GROUPS,
  TLS12,
  validatePeerChain,
  x509Identity,
} from "./_common.ts";
import {
  DEFAULT_CIPHER_SUITES,
  type Framer,
  type HandshakeAction,
  type HandshakeInput,
  type PeerIdentity,
  type RecordLayerAgreement,
  type ServerHandshakeConfig,
} from "./types.ts";
import type { ResumableSession } from "../session_cache.ts";
import { serverConnectionIds } from "../extensions/connection_id.ts";
import { serverRecordLimits } from "../extensions/record_size_limit_negotiation.ts";
import { constantTimeEqual } from "../../bytes/mod.ts";
import {
  type EcdhGroup,
  type EcdhKeyPair,
  EcdhKeyPool,
  randomBytes,
  sign,
} from "../../crypto/mod.ts";
import type { Certificate } from "../../pki/mod.ts";

/**
 * The record-layer side of a handshake machine.
 *
 * @example
 * ```ts
 * import type { HandshakeLayer } from "./server.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 *
 * const layer: HandshakeLayer = { dtls: false, frame: encodeHandshakeTls };
 * ```
 */
export interface HandshakeLayer {
  /** DTLS (cookies, 12-byte headers, version 0xfefd) or TLS. */
  readonly dtls: boolean;
  /** Frames outgoing messages for the transcript (assigns message_seq). */
  readonly frame: Framer;
  /**
   * DTLS: the connection ID this record layer wants to receive (RFC 9146
   * §3), possibly empty; `undefined` when it does not do connection IDs.
   */
  readonly connectionId?: Uint8Array;
}

/**
 * Names of the server states, for logs and tests.
 *
 * @example
 * ```ts
 * import type { ServerStateName } from "./server.ts";
 * const s: ServerStateName = "ExpectClientHello";
 * ```
 */
export type ServerStateName = ServerState["name"];

interface Negotiated {
  readonly suite: CipherSuite;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly ems: boolean;
  readonly ecdh: EcdhKeyPair | undefined;
  readonly certificateRequested: boolean;
  /** Issued (full handshake) or resumed session ID; empty for none. */
  readonly sessionId: Uint8Array;
  /** The cached session an abbreviated handshake resumes. */
  readonly resumed?: ResumableSession;
}

type ServerState =
  | { readonly name: "ExpectClientHello" }
  | { readonly name: "ExpectCertificate"; readonly hs: Negotiated }
  | {
    readonly name: "ExpectClientKeyExchange";
    readonly hs: Negotiated;
    readonly clientChain: readonly Certificate[];
  }
  | {
    readonly name: "ExpectCertificateVerify";
    readonly hs: Negotiated;
    readonly clientChain: readonly Certificate[];
    readonly master: Uint8Array;
  }
  | {
    readonly name: "ExpectChangeCipherSpec";
    readonly hs: Negotiated;
    readonly master: Uint8Array;
    readonly identity: PeerIdentity | undefined;
  }
  | {
    readonly name: "ExpectFinished";
    readonly hs: Negotiated;
    readonly master: Uint8Array;
    readonly identity: PeerIdentity | undefined;
  }
  | { readonly name: "Established" }
  | { readonly name: "Failed" };

/**
 * The server handshake machine. {@link ServerHandshake.handle} is async only
 * because of WebCrypto (ECDH, ECDSA) and the PSK lookup; feed inputs one at
 * a time.
 *
 * @example
 * ```ts
 * import { ServerHandshake } from "./server.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hs = new ServerHandshake({ psk: () => undefined }, { dtls: false, frame: encodeHandshakeTls });
 * assert.equal(hs.state, "ExpectClientHello");
 * ```
 */
export class ServerHandshake {
  readonly #config: ServerHandshakeConfig;
  readonly #layer: HandshakeLayer;
  readonly #suites: readonly CipherSuite[];
  readonly #transcript = new Transcript();
  readonly #random: (n: number) => Uint8Array;
  #state: ServerState = { name: "ExpectClientHello" };
  #order: OrderState | undefined;
  #pskIdentity: string | undefined;
  #psk: Uint8Array | undefined;
  #clientRandom: Uint8Array | undefined;
  #recordLayer: RecordLayerAgreement | undefined;
  #sessionId: Uint8Array | undefined;

  /**
   * @param config Credentials and preferences.
   * @param layer The record layer's framing.
   */
  constructor(config: ServerHandshakeConfig, layer: HandshakeLayer) {
    this.#config = config;
    this.#layer = layer;
    this.#suites = resolveSuites(config.cipherSuites ?? DEFAULT_CIPHER_SUITES);
    this.#random = config.random ?? randomBytes;
  }

  /** The current state's name. */
  get state(): ServerStateName {
    return this.#state.name;
  }

  /** Whether a ChangeCipherSpec is the next expected input. */
  get expectsChangeCipherSpec(): boolean {
    return this.#state.name === "ExpectChangeCipherSpec";
  }

  /** The client random, once a ClientHello was handled. */
  clientRandom(): Uint8Array | undefined {
    return this.#clientRandom;
  }

  /** What the hellos agreed for the record layer, once the ServerHello is out. */
  get recordLayer(): RecordLayerAgreement | undefined {
    return this.#recordLayer;
  }

  /**
   * Removes this handshake's session from the cache: a fatal alert
   * invalidates the session (RFC 5246 §7.2.2).
   */
  invalidateSession(): void {
    if (this.#sessionId === undefined) return;
    this.#config.sessionCache?.delete(this.#sessionId);
  }

  /**
   * Handles one input and returns what to do.
   *
   * @param now Current time in ms (certificate validity).
   * @param input A handshake message or a ChangeCipherSpec.
   * @returns The actions, in order.
   */
  async handle(now: number, input: HandshakeInput): Promise<HandshakeAction[]> {
    try {
      return await this.#handle(now, input);
    } catch (err) {
      this.#state = { name: "Failed" };
      this.invalidateSession();
      throw err;
    }
  }

  async #handle(
    now: number,
    input: HandshakeInput,
  ): Promise<HandshakeAction[]> {
    const incoming = input.kind === "change_cipher_spec"
      ? CHANGE_CIPHER_SPEC
      : input.type;
    if (this.#state.name === "Established" || this.#state.name === "Failed") {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        `Received ${
          input.kind === "message"
            ? handshakeTypeName(input.type)
            : CHANGE_CIPHER_SPEC
        } after the handshake ended`,
      );
    }
    if (this.#order !== undefined) {
      this.#order = expectNext(this.#order, incoming as never);
    } else if (incoming !== HandshakeType.client_hello) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        "Expected ClientHello",
      );
    }
    const state = this.#state;
    if (input.kind === "change_cipher_spec") {
      if (state.name !== "ExpectChangeCipherSpec") {
        throw new TlsAlertError(
          AlertDescription.unexpected_message,
          `Received ChangeCipherSpec in ${state.name}`,
        );
      }
      this.#state = { ...state, name: "ExpectFinished" };
      return [];
    }
    const msg = decodeHandshakeMessage(input.type, input.body, {
      dtls: this.#layer.dtls,
      ...("hs" in state ? { kx: state.hs.suite.kx } : {}),
    });
    switch (state.name) {
      case "ExpectClientHello":
        if (msg.type !== HandshakeType.client_hello) break;
        this.#transcript.add(input.framed);
        return await this.#onClientHello(now, msg.body);
      case "ExpectCertificate": {
        if (msg.type !== HandshakeType.certificate) break;
        this.#transcript.add(input.framed);
        const chain = await this.#checkClientCertificate(
          now,
          msg.body.certificates,
        );
        this.#state = {
          name: "ExpectClientKeyExchange",
          hs: state.hs,
          clientChain: chain,
        };
        return [];
      }
      case "ExpectClientKeyExchange": {
        if (msg.type !== HandshakeType.client_key_exchange) break;
        const hs = state.hs;
        let ecdhe: Uint8Array | undefined;
        const cke = msg.body;
        switch (cke.form) {
          case "psk":
          case "ecdhe_psk": {
            // RFC 4279 §2: unknown identity → unknown_psk_identity
            const identity = decodeIdentity(cke.identity);
            const key = await this.#config.psk?.(identity);
            if (key === undefined || key.length === 0) {
              throw new TlsAlertError(
                AlertDescription.unknown_psk_identity,
                `Unknown PSK identity ${JSON.stringify(identity)}`,
              );
            }
            this.#pskIdentity = identity;
            this.#psk = key;
            if (cke.form === "ecdhe_psk") {
              ecdhe = await this.#deriveAndRefill(hs.ecdh!, cke.publicKey);
            }
            break;
          }
          case "ecdhe":
            ecdhe = await this.#deriveAndRefill(hs.ecdh!, cke.publicKey);
            break;
        }
        this.#transcript.add(input.framed);
        const pre = premaster(hs.suite, this.#psk, ecdhe);
        const { master, keys } = deriveKeys(
          hs.suite,
          pre,
          { client: hs.clientRandom, server: hs.serverRandom },
          hs.ems ? this.#transcript.sessionHash() : undefined,
        );
        const chain = state.clientChain;
        if (chain.length > 0) {
          this.#state = {
            name: "ExpectCertificateVerify",
            hs,
            clientChain: chain,
            master,
          };
        } else {
          this.#state = {
            name: "ExpectChangeCipherSpec",
            hs,
            master,
            identity: this.#pskIdentity === undefined
              ? undefined
              : { kind: "psk", identity: this.#pskIdentity },
          };
        }
        return [{ kind: "keys", keys }];
      }
      case "ExpectCertificateVerify": {
        if (msg.type !== HandshakeType.certificate_verify) break;
        // RFC 5246 §7.4.8: signature over all handshake messages so far
        await checkPeerSignature(
          state.clientChain[0]!.publicKey!,
          this.#transcript.bytes(),
          msg.body,
          { offered: CLIENT_SIGNATURE_SCHEMES, what: "CertificateVerify" },
        );
        this.#transcript.add(input.framed);
        this.#state = {
          name: "ExpectChangeCipherSpec",
          hs: state.hs,
          master: state.master,
          identity: x509Identity(state.clientChain),
        };
        return [];
      }
      case "ExpectFinished": {
        if (msg.type !== HandshakeType.finished) break;
        const hs = state.hs;
        checkFinished(
          verifyData(
            hs.suite,
            state.master,
            "client finished",
            this.#transcript.hash(),
          ),
          msg.body.verifyData,
        );
        if (hs.resumed !== undefined) {
          // RFC 5246 §7.3 figure 2: the client's Finished ends the
          // abbreviated handshake; the server's flight went first
          this.#transcript.reset();
          this.#state = { name: "Established" };
          return [{
            kind: "established",
            session: {
              suite: hs.suite,
              identity: hs.resumed.identity,
              extendedMasterSecret: hs.ems,
              resumed: true,
              resumable: hs.resumed,
            },
          }];
        }
        this.#transcript.add(input.framed);
        const finished = messageAction(
          this.#layer,
          HandshakeType.finished,
          finishedBody(
            hs.suite,
            state.master,
            "server finished",
            this.#transcript,
          ),
        );
        // the transcript is not needed any more: free its messages, which an
        // idle association would otherwise hold for its whole life
        this.#transcript.reset();
        const resumable = this.#cacheSession(
          now,
          hs,
          state.master,
          state.identity,
        );
        this.#psk = undefined;
        this.#state = { name: "Established" };
        return lastFlight(finished, {
          suite: hs.suite,
          identity: state.identity,
          extendedMasterSecret: hs.ems,
          ...(resumable === undefined ? {} : { resumable }),
        });
      }
      case "ExpectChangeCipherSpec":
        break;
    }
    throw new TlsAlertError(
      AlertDescription.unexpected_message,
      `Received ${handshakeTypeName(input.type)} in ${state.name}`,
    );
  }

  /**
   * The ECDH derivation with the pool's next spare generated beside it:
   * both are WebCrypto operations on worker threads, so they run side by
   * side and the spare costs the critical path nothing (see
   * {@link EcdhKeyPool}).
   */
  async #deriveAndRefill(
    ecdh: EcdhKeyPair,
    peerPublic: Uint8Array,
  ): Promise<Uint8Array> {
    const [secret] = await Promise.all([
      ecdhShared(() => ecdh.deriveSharedSecret(peerPublic)),
      ecdhPool(this.#config, ecdh.group).refill(),
    ]);
    return secret;
  }

  /** Stores a completed full handshake's session when a session ID was issued. */
  #cacheSession(
    now: number,
    hs: Negotiated,
    master: Uint8Array,
    identity: PeerIdentity | undefined,
  ): ResumableSession | undefined {
    const cache = this.#config.sessionCache;
    if (cache === undefined || hs.sessionId.length === 0) return undefined;
    const mfl = this.#recordLayer?.maxFragmentLength;
    const session: ResumableSession = {
      id: hs.sessionId,
      suite: hs.suite,
      masterSecret: master,
      extendedMasterSecret: hs.ems,
      identity,
      ...(this.#psk === undefined ? {} : { psk: this.#psk }),
      ...(mfl === undefined ? {} : { maxFragmentLength: mfl }),
    };
    cache.put(now, hs.sessionId, session);
    this.#sessionId = hs.sessionId;
    return session;
  }

  /**
   * The cached session a ClientHello may resume, or `undefined` for a full
   * handshake: known ID, suite still configured and offered, same
   * max_fragment_length, and credentials still valid (the PSK identity
   * still maps to the same key; a certificate still within its validity
   * period). RFC 7627 §5.3: a session with extended master secret offered
   * without the extension aborts the handshake; a session without it is
   * never resumed (a full handshake instead of the "SHOULD abort" when
   * neither side uses it).
   */
  async #resumable(
    now: number,
    hello: ClientHello,
    ems: boolean,
    maxFragmentLength: number | undefined,
  ): Promise<ResumableSession | undefined> {
    const cache = this.#config.sessionCache;
    if (cache === undefined || hello.sessionId.length === 0) return undefined;
    const session = cache.get(now, hello.sessionId);
    if (session === undefined) return undefined;
    if (session.extendedMasterSecret && !ems) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "ClientHello resumes an extended-master-secret session without the extension (RFC 7627 §5.3)",
      );
    }
    if (!session.extendedMasterSecret) return undefined;
    const suite = session.suite;
    if (
      !hello.cipherSuites.includes(suite.id) || !this.#suites.includes(suite) ||
      session.maxFragmentLength !== maxFragmentLength
    ) {
      return undefined;
    }
    const identity = session.identity;
    if (suite.kx === "psk" || suite.kx === "ecdhe_psk") {
      if (identity?.kind !== "psk" || session.psk === undefined) {
        return undefined;
      }
      const key = await this.#config.psk?.(identity.identity);
      if (key === undefined || !constantTimeEqual(key, session.psk)) {
        // the identity was removed or its key changed: never again
        cache.delete(session.id);
        return undefined;
      }
      return session;
    }
    if (this.#config.certificate === undefined) return undefined;
    if (identity?.kind === "x509") {
      const leaf = identity.chain[0];
      const skip = this.#config.clientAuth?.skipValidityCheck === true;
      if (leaf === undefined || (!skip && leaf.notAfter.getTime() < now)) {
        cache.delete(session.id);
        return undefined;
      }
    } else if (this.#config.clientAuth?.failIfNoPeerCert === true) {
      return undefined;
    }
    return session;
  }

  /**
   * RFC 5246 §7.3 figure 2: ServerHello with the session's ID and suite,
   * ChangeCipherSpec and Finished under keys from the cached master secret
   * and the new randoms; then the client's ChangeCipherSpec and Finished.
   */
  #resume(
    hello: ClientHello,
    session: ResumableSession,
    extensions: Extension[],
  ): HandshakeAction[] {
    const suite = session.suite;
    this.#transcript.setHash(suite.prfHash);
    const serverRandom = this.#random(32);
    extensions.push({ type: "extended_master_secret" });
    const out: HandshakeAction[] = [];
    this.#send(
      out,
      HandshakeType.server_hello,
      encodeServerHello({
        version: this.#layer.dtls ? DTLS12 : TLS12,
        random: serverRandom,
        sessionId: session.id,
        cipherSuite: suite.id,
        compressionMethod: 0,
        extensions,
      }),
    );
    const master = session.masterSecret;
    out.push(
      {
        kind: "keys",
        keys: keysFromMaster(suite, master, {
          client: hello.random,
          server: serverRandom,
        }),
      },
      CHANGE_CIPHER_SPEC_ACTION,
    );
    this.#send(
      out,
      HandshakeType.finished,
      finishedBody(suite, master, "server finished", this.#transcript),
    );
    out.push(FLIGHT_END);
    this.#order = flowAfterHello("server", suite.kx, {
      dtls: this.#layer.dtls,
      resumption: true,
    });
    this.#sessionId = session.id;
    this.#state = {
      name: "ExpectChangeCipherSpec",
      hs: {
        suite,
        clientRandom: hello.random,
        serverRandom,
        ems: true,
        ecdh: undefined,
        certificateRequested: false,
        sessionId: session.id,
        resumed: session,
      },
      master,
      identity: session.identity,
    };
    return out;
  }

  #send(out: HandshakeAction[], type: number, body: Uint8Array): void {
    const message = messageAction(this.#layer, type, body);
    this.#transcript.add(message.framed);
    out.push(message);
  }

  async #onClientHello(
    now: number,
    hello: ClientHello,
  ): Promise<HandshakeAction[]> {
    const dtls = this.#layer.dtls;
    this.#clientRandom = hello.random;
    const version = dtls ? DTLS12 : TLS12;
    // RFC 6347 §4.1 / RFC 5246 Appendix E.1: DTLS versions count down
    const tooOld = dtls ? hello.version > DTLS12 : hello.version < TLS12;
    if (tooOld) {
      throw new TlsAlertError(
        AlertDescription.protocol_version,
        `Client offers version 0x${hello.version.toString(16)}`,
      );
    }
    // RFC 8446 §4.2.1: a client that lists its versions must list TLS 1.2
    if (!dtls && !listsTls12(hello.extensions)) {
      throw new TlsAlertError(
        AlertDescription.protocol_version,
        "Client offers only versions other than TLS 1.2 (supported_versions)",
      );
    }
    // RFC 5746 §3.6: renegotiation_info must be empty in an initial hello
    const reneg = findExtension(hello.extensions, "renegotiation_info");
    if (reneg !== undefined && reneg.renegotiatedConnection.length !== 0) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "Initial ClientHello carries renegotiation data",
      );
    }
    const secureReneg = reneg !== undefined ||
      hello.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    const ems = hasExtension(
      hello.extensions,
      ExtensionType.extended_master_secret,
    );
    // RFC 8449, RFC 6066 §4 and RFC 9146 §3 apply to resumptions too
    const limits = serverRecordLimits(
      hello.extensions,
      this.#config.recordSizeLimit === undefined
        ? {}
        : { recordSizeLimit: this.#config.recordSizeLimit },
    );
    const cids = dtls
      ? serverConnectionIds(hello.extensions, this.#layer.connectionId)
      : undefined;
    this.#recordLayer = {
      ...limits.limits,
      ...(cids === undefined ? {} : {
        connectionId: cids.connectionId,
        peerConnectionId: cids.peerConnectionId,
      }),
    };
    const extensions: Extension[] = [];
    if (secureReneg) {
      extensions.push({
        type: "renegotiation_info",
        renegotiatedConnection: new Uint8Array(0),
      });
    }
    extensions.push(...limits.reply, ...(cids ? [cids.reply] : []));
    const session = await this.#resumable(
      now,
      hello,
      ems,
      limits.limits.maxFragmentLength,
    );
    if (session !== undefined) return this.#resume(hello, session, extensions);
    const groups =
      findExtension(hello.extensions, "supported_groups")?.groups ??
        // RFC 8422 §4: absent means the client supports any curve
        SUPPORTED_GROUPS;
    const sigExt = findExtension(hello.extensions, "signature_algorithms");
    // RFC 5246 §7.4.1.4.1: absent → {sha1,ecdsa} / {sha1,rsa}; we sign SHA-256 anyway
    const sigSchemes = sigExt?.schemes ??
      [
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.rsa_pkcs1_sha256,
      ];
    const group = SUPPORTED_GROUPS.find((g) => groups.includes(g));
    const cert = this.#config.certificate;
    const suite = this.#suites.find((s) => {
      if (!hello.cipherSuites.includes(s.id)) return false;
      switch (s.kx) {
        case "psk":
          return this.#config.psk !== undefined;
        case "ecdhe_psk":
          return this.#config.psk !== undefined && group !== undefined;
        case "ecdhe_ecdsa":
        case "ecdhe_rsa":
          // the suite names the certificate's key type (RFC 8422 §2.1, RFC 5246 §7.4.2)
          return cert !== undefined && group !== undefined &&
            cert.key.kind === (s.kx === "ecdhe_ecdsa" ? "ec" : "rsa") &&
            chooseSignatureScheme(sigSchemes, cert.key) !== undefined;
      }
    });
    if (suite === undefined) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "No cipher suite in common",
      );
    }
    this.#transcript.setHash(suite.prfHash);
    const serverRandom = this.#random(32);
    // RFC 5246 §7.4.1.3: a session ID makes the session resumable; only
    // extended-master-secret sessions are worth one (RFC 7627 §5.3)
    const sessionId = this.#config.sessionCache !== undefined && ems
      ? this.#random(32)
      : new Uint8Array(0);
    if (ems) extensions.push({ type: "extended_master_secret" });
    const ecc = suite.kx !== "psk";
    if (
      ecc && findExtension(hello.extensions, "ec_point_formats") !== undefined
    ) {
      // RFC 8422 §5.2: uncompressed only
      extensions.push({ type: "ec_point_formats", formats: [0] });
    }
    const staple = this.#staple(hello, suite);
    // RFC 6066 §8: an empty status_request promises a CertificateStatus
    if (staple !== undefined) extensions.push({ type: "status_request" });
    const out: HandshakeAction[] = [];
    this.#send(
      out,
      HandshakeType.server_hello,
      encodeServerHello({
        version,
        random: serverRandom,
        sessionId,
        cipherSuite: suite.id,
        compressionMethod: 0,
        extensions,
      }),
    );
    let ecdh: EcdhKeyPair | undefined;
    let params: ServerEcdhParams | undefined;
    if (ecc) {
      // a spare generated during an earlier handshake (#deriveAndRefill)
      ecdh = await ecdhPool(this.#config, ecdhGroup(group!)!).take();
      params = { namedCurve: group!, publicKey: ecdh.publicKey };
    }
    const hint = encodeIdentity(this.#config.pskIdentityHint ?? "");
    const clientAuth = this.#config.clientAuth !== undefined &&
      (suite.kx === "ecdhe_ecdsa" || suite.kx === "ecdhe_rsa");
    switch (suite.kx) {
      case "psk":
        // RFC 4279 §2: ServerKeyExchange only to carry a hint
        if (hint.length > 0) {
          this.#send(
            out,
            HandshakeType.server_key_exchange,
            encodeServerKeyExchange({ form: "psk", identityHint: hint }),
          );
        }
        break;
      case "ecdhe_psk":
        this.#send(
          out,
          HandshakeType.server_key_exchange,
          encodeServerKeyExchange({
            form: "ecdhe_psk",
            identityHint: hint,
            params: params!,
          }),
        );
        break;
      case "ecdhe_ecdsa":
      case "ecdhe_rsa": {
        this.#send(
          out,
          HandshakeType.certificate,
          encodeCertificate({ certificates: cert!.chain.map((c) => c.der) }),
        );
        if (staple !== undefined) {
          this.#send(
            out,
            HandshakeType.certificate_status,
            encodeCertificateStatus({ ocspResponse: staple }),
          );
        }
        const scheme = chooseSignatureScheme(sigSchemes, cert!.key)!;
        const signature = await sign(
          cert!.key,
          signedParamsData(hello.random, serverRandom, params!),
          toCryptoScheme(scheme)!,
        );
        this.#send(
          out,
          HandshakeType.server_key_exchange,
          encodeServerKeyExchange({
            form: "ecdhe",
            params: params!,
            signature: { scheme, signature },
          }),
        );
        if (clientAuth) {
          this.#send(
            out,
            HandshakeType.certificate_request,
            encodeCertificateRequest({
              certificateTypes: [
                ClientCertificateType.ecdsa_sign,
                ClientCertificateType.rsa_sign,
              ],
              signatureAlgorithms: CLIENT_SIGNATURE_SCHEMES,
              certificateAuthorities: this.#config.clientAuth!.trustAnchors
                .map((c) => c.subject.raw),
            }),
          );
        }
        break;
      }
    }
    this.#send(out, HandshakeType.server_hello_done, encodeServerHelloDone());
    out.push(FLIGHT_END);
    this.#order = flowAfterHello("server", suite.kx, {
      dtls: this.#layer.dtls,
      clientAuth,
    });
    const hs: Negotiated = {
      suite,
      clientRandom: hello.random,
      serverRandom,
      ems,
      ecdh,
      certificateRequested: clientAuth,
      sessionId,
    };
    this.#state = clientAuth
      ? { name: "ExpectCertificate", hs }
      : { name: "ExpectClientKeyExchange", hs, clientChain: [] };
    return out;
  }

  /**
   * The OCSP response to staple (RFC 6066 §8): only for a certificate
   * suite, a client that asked for OCSP status and a configured source
   * that has one at hand.
   */
  #staple(hello: ClientHello, suite: CipherSuite): Uint8Array | undefined {
    if (suite.kx !== "ecdhe_ecdsa" && suite.kx !== "ecdhe_rsa") {
      return undefined;
    }
    const asked = findExtension(hello.extensions, "status_request");
    if (asked?.request?.kind !== "ocsp") return undefined;
    const staple = this.#config.ocspStaple?.();
    return staple !== undefined && staple.length > 0 ? staple : undefined;
  }

  async #checkClientCertificate(
    now: number,
    ders: readonly Uint8Array[],
  ): Promise<Certificate[]> {
    const auth = this.#config.clientAuth!;
    if (ders.length === 0) {
      // RFC 5246 §7.4.6: the server may continue or send handshake_failure
      if (auth.failIfNoPeerCert === true) {
        throw new TlsAlertError(
          AlertDescription.handshake_failure,
          "Client sent no certificate",
        );
      }
      return [];
    }
    const chain = parsePeerChain(ders, "Client");
    await validatePeerChain(chain, {
      trustAnchors: auth.trustAnchors,
      now,
      purpose: "clientAuth",
      skipValidityCheck: auth.skipValidityCheck === true,
      crls: auth.crls ?? [],
    });
    if (chain[0]!.publicKey === undefined) {
      throw new TlsAlertError(
        AlertDescription.unsupported_certificate,
        "Client certificate key is neither ECDSA nor RSA",
      );
    }
    return chain;
  }
}

/**
 * Whether a ClientHello's supported_versions extension (RFC 8446 §4.2.1,
 * kept as an unknown extension) is absent or lists TLS 1.2.
 */
function listsTls12(extensions: readonly Extension[]): boolean {
  const ext = extensions.find((e) =>
    e.type === "unknown" && e.code === ExtensionType.supported_versions
  );
  if (ext === undefined || ext.type !== "unknown") return true;
  const data = ext.data;
  for (let i = 1; i + 1 < data.length && i <= data[0]!; i += 2) {
    if (data[i] === 0x03 && data[i + 1] === 0x03) return true;
  }
  return false;
}

// One pool of spare ephemeral keys per server configuration and group: the
// associations of one endpoint share the configuration object.
const ecdhPools = new WeakMap<
  ServerHandshakeConfig,
  Map<EcdhGroup, EcdhKeyPool>
>();

function ecdhPool(
  config: ServerHandshakeConfig,
  group: EcdhGroup,
): EcdhKeyPool {
  let byGroup = ecdhPools.get(config);
  if (byGroup === undefined) {
    byGroup = new Map();
    ecdhPools.set(config, byGroup);
  }
  let pool = byGroup.get(group);
  if (pool === undefined) {
    pool = new EcdhKeyPool(group, { maxSpares: 64 });
    byGroup.set(group, pool);
  }
  return pool;
}

/** Schemes accepted for client CertificateVerify (ECDSA and RSA keys). */
const CLIENT_SIGNATURE_SCHEMES: readonly number[] = SUPPORTED_SIGNATURE_SCHEMES;
