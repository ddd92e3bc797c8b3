/**
 * The TLS 1.2 / DTLS 1.2 client handshake as Expect-states (rustls
 * `client/tls12.rs`), record-layer agnostic like the server machine
 * (`server.ts`, which carries the RFC 6347 §4.2.4 flight diagram).
 *
 * States: `ExpectServerHello` (DTLS: a HelloVerifyRequest restarts the
 * transcript and resends the ClientHello with the cookie, RFC 6347 §4.2.1
 * and §4.2.6), `ExpectCertificate`, `ExpectServerKeyExchange`,
 * `ExpectServerHelloDone` (CertificateRequest allowed), then flight 5,
 * `ExpectChangeCipherSpec`, `ExpectFinished`, `Established`. Every message
 * after the ServerHello is checked against the order table of
 * `handshake_order.ts` first.
 *
 * With `session` the ClientHello offers that session's ID; a ServerHello
 * that echoes it resumes (RFC 5246 §7.3 figure 2: `ExpectChangeCipherSpec`,
 * `ExpectFinished`, then the client's ChangeCipherSpec and Finished), and
 * must keep the session's suite and extended master secret (RFC 7627 §5.3).
 * An established full handshake reports the server's session as
 * `resumable`.
 *
 * The server certificate is validated against the configured trust anchors
 * with purpose serverAuth (no host name check: DTLS devices address servers
 * by IP and the operator pins the CA); the ServerKeyExchange signature is
 * checked over `client_random || server_random || params` (RFC 8422 §5.4).
 * With `requestOcspStaple` the ClientHello carries `status_request`; a
 * CertificateStatus is accepted only after the ServerHello acknowledged it
 * (RFC 6066 §8), and its OCSP response is handed out unverified as
 * `EstablishedSession.ocspResponse`.
 *
 * @example Start a PSK handshake
 * ```ts
 * import { ClientHandshake } from "./client.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hs = new ClientHandshake({ psk: { identity: "dev", key: new Uint8Array(16) } }, { dtls: false, frame: encodeHandshakeTls });
 * const actions = hs.start();
 * assert.equal(actions[0]!.kind, "message");
 * assert.equal(hs.state, "ExpectServerHello");
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
  type ClientKeyExchange,
  decodeHandshakeMessage,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeClientKeyExchange,
  type ServerEcdhParams,
} from "../messages/mod.ts";
import type { Extension } from "../extensions/extensions.ts";
import { findExtension } from "../extensions/extensions.ts";
import {
  chooseSignatureScheme,
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
  type ClientHandshakeConfig,
  DEFAULT_CIPHER_SUITES,
  type HandshakeAction,
  type HandshakeInput,
  type PeerIdentity,
  type RecordLayerAgreement,
} from "./types.ts";
import type { ResumableSession } from "../session_cache.ts";
import { clientConnectionIds } from "../extensions/connection_id.ts";
import {
  clientRecordLimitOffer,
  clientRecordLimits,
} from "../extensions/record_size_limit_negotiation.ts";
import { constantTimeEqual } from "../../bytes/mod.ts";
import type { HandshakeLayer } from "./server.ts";
import { generateEcdhKeyPair, randomBytes, sign } from "../../crypto/mod.ts";
import type { Certificate } from "../../pki/mod.ts";

/**
 * Names of the client states.
 *
 * @example
 * ```ts
 * import type { ClientStateName } from "./client.ts";
 * const s: ClientStateName = "ExpectServerHello";
 * ```
 */
export type ClientStateName =
  | "Start"
  | "ExpectServerHello"
  | "ExpectCertificate"
  | "ExpectServerKeyExchange"
  | "ExpectServerHelloDone"
  | "ExpectChangeCipherSpec"
  | "ExpectFinished"
  | "Established"
  | "Failed";

const OFFERED_SCHEMES: readonly number[] = SUPPORTED_SIGNATURE_SCHEMES;

const MAX_HELLO_VERIFY_REQUESTS = 4;

/**
 * The client handshake machine.
 *
 * @example
 * ```ts
 * import { ClientHandshake } from "./client.ts";
 * import { encodeHandshakeTls } from "../messages/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new ClientHandshake({}, { dtls: true, frame: encodeHandshakeTls }), TypeError);
 * ```
 */
export class ClientHandshake {
  readonly #config: ClientHandshakeConfig;
  readonly #layer: HandshakeLayer;
  readonly #suites: readonly CipherSuite[];
  readonly #transcript = new Transcript();
  readonly #random: (n: number) => Uint8Array;
  readonly #clientRandom: Uint8Array;
  #state: ClientStateName = "Start";
  #order: OrderState | undefined;
  #hvrCount = 0;
  #suite: CipherSuite | undefined;
  #serverRandom: Uint8Array | undefined;
  #ems = false;
  #serverChain: Certificate[] = [];
  #params: ServerEcdhParams | undefined;
  #certificateRequest: readonly number[] | undefined;
  #master: Uint8Array | undefined;
  readonly #offered: ResumableSession | undefined;
  #resumed: ResumableSession | undefined;
  #sessionId: Uint8Array = new Uint8Array(0);
  #recordLayer: RecordLayerAgreement | undefined;
  #stapleAcknowledged = false;
  #ocspResponse: Uint8Array | undefined;

  /**
   * @param config Credentials and preferences.
   * @param layer The record layer's framing.
   */
  constructor(config: ClientHandshakeConfig, layer: HandshakeLayer) {
    this.#config = config;
    this.#layer = layer;
    const certOk = config.trustAnchors !== undefined ||
      config.insecureSkipVerify === true;
    this.#suites = resolveSuites(config.cipherSuites ?? DEFAULT_CIPHER_SUITES)
      .filter((s) =>
        s.kx === "ecdhe_ecdsa" || s.kx === "ecdhe_rsa"
          ? certOk
          : config.psk !== undefined
      );
    if (this.#suites.length === 0) {
      throw new TypeError(
        "Cannot start a client handshake: no cipher suite fits the credentials",
      );
    }
    this.#random = config.random ?? randomBytes;
    this.#clientRandom = this.#random(32);
    this.#offered = this.#offerable(config.session);
  }

  /** What the hellos agreed for the record layer, once the ServerHello arrived. */
  get recordLayer(): RecordLayerAgreement | undefined {
    return this.#recordLayer;
  }

  /**
   * The session worth offering: extended master secret only (RFC 7627
   * §5.3), a suite still offered, and for PSK the same identity.
   */
  #offerable(
    session: ResumableSession | undefined,
  ): ResumableSession | undefined {
    if (session === undefined || !session.extendedMasterSecret) {
      return undefined;
    }
    if (!this.#suites.some((s) => s.id === session.suite.id)) return undefined;
    const kx = session.suite.kx;
    if (kx === "psk" || kx === "ecdhe_psk") {
      const id = session.identity;
      if (id?.kind !== "psk" || id.identity !== this.#config.psk?.identity) {
        return undefined;
      }
    }
    return session;
  }

  /** The current state's name. */
  get state(): ClientStateName {
    return this.#state;
  }

  /** Whether a ChangeCipherSpec is the next expected input. */
  get expectsChangeCipherSpec(): boolean {
    return this.#state === "ExpectChangeCipherSpec";
  }

  /**
   * Builds flight 1 (the ClientHello).
   *
   * @returns The actions of flight 1.
   */
  start(): HandshakeAction[] {
    if (this.#state !== "Start") {
      throw new TypeError("Cannot start a client handshake twice");
    }
    this.#state = "ExpectServerHello";
    return this.#hello(undefined);
  }

  /** Whether the ClientHello carries status_request (RFC 6066 §8). */
  #requestsStaple(): boolean {
    return this.#config.requestOcspStaple === true &&
      this.#suites.some((s) => s.kx === "ecdhe_ecdsa" || s.kx === "ecdhe_rsa");
  }

  #hello(cookie: Uint8Array | undefined): HandshakeAction[] {
    const ecc = this.#suites.some((s) => s.kx !== "psk");
    const extensions: Extension[] = [
      { type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) },
      { type: "extended_master_secret" },
    ];
    if (ecc) {
      extensions.push(
        { type: "supported_groups", groups: SUPPORTED_GROUPS },
        { type: "ec_point_formats", formats: [0] },
        { type: "signature_algorithms", schemes: OFFERED_SCHEMES },
      );
    }
    if (this.#requestsStaple()) {
      extensions.push({
        type: "status_request",
        request: {
          kind: "ocsp",
          responderIds: [],
          requestExtensions: new Uint8Array(0),
        },
      });
    }
    extensions.push(...clientRecordLimitOffer(this.#config));
    if (this.#layer.dtls && this.#layer.connectionId !== undefined) {
      extensions.push({ type: "connection_id", cid: this.#layer.connectionId });
    }
    const body = encodeClientHello({
      version: this.#layer.dtls ? DTLS12 : TLS12,
      random: this.#clientRandom,
      sessionId: this.#offered?.id ?? new Uint8Array(0),
      ...(this.#layer.dtls ? { cookie: cookie ?? new Uint8Array(0) } : {}),
      cipherSuites: this.#suites.map((s) => s.id),
      compressionMethods: [0],
      extensions,
    }, { dtls: this.#layer.dtls });
    const hello = messageAction(this.#layer, HandshakeType.client_hello, body);
    this.#transcript.add(hello.framed);
    return [hello, FLIGHT_END];
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
      this.#state = "Failed";
      throw err;
    }
  }

  async #handle(
    now: number,
    input: HandshakeInput,
  ): Promise<HandshakeAction[]> {
    const name = input.kind === "message"
      ? handshakeTypeName(input.type)
      : CHANGE_CIPHER_SPEC;
    const state = this.#state;
    if (state === "ExpectServerHello") {
      return this.#onHello(input);
    }
    if (this.#order === undefined) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        `Received ${name} in ${state}`,
      );
    }
    this.#order = expectNext(
      this.#order,
      input.kind === "message" ? input.type as never : CHANGE_CIPHER_SPEC,
    );
    if (input.kind === "change_cipher_spec") {
      if (state !== "ExpectChangeCipherSpec") {
        throw new TlsAlertError(
          AlertDescription.unexpected_message,
          `Received ChangeCipherSpec in ${state}`,
        );
      }
      this.#state = "ExpectFinished";
      return [];
    }
    const suite = this.#suite!;
    const msg = decodeHandshakeMessage(input.type, input.body, {
      dtls: this.#layer.dtls,
      kx: suite.kx,
    });
    switch (msg.type) {
      case HandshakeType.certificate: {
        this.#transcript.add(input.framed);
        this.#serverChain = await this.#checkServerCertificate(
          now,
          msg.body.certificates,
        );
        this.#state = "ExpectServerKeyExchange";
        return [];
      }
      case HandshakeType.certificate_status:
        // RFC 6066 §8: only after the ServerHello acknowledged status_request
        if (!this.#stapleAcknowledged) break;
        this.#transcript.add(input.framed);
        this.#ocspResponse = msg.body.ocspResponse;
        return [];
      case HandshakeType.server_key_exchange: {
        const ske = msg.body;
        if (ske.form === "ecdhe") {
          const leaf = this.#serverChain[0];
          if (leaf !== undefined) {
            await checkPeerSignature(
              leaf.publicKey!,
              signedParamsData(
                this.#clientRandom,
                this.#serverRandom!,
                ske.params,
              ),
              ske.signature,
              { offered: OFFERED_SCHEMES, what: "ServerKeyExchange" },
            );
          }
        }
        if (ske.form !== "psk") {
          if (!SUPPORTED_GROUPS.includes(ske.params.namedCurve)) {
            throw new TlsAlertError(
              AlertDescription.illegal_parameter,
              `Server chose group ${ske.params.namedCurve}, not offered`,
            );
          }
          this.#params = ske.params;
        }
        this.#transcript.add(input.framed);
        this.#state = "ExpectServerHelloDone";
        return [];
      }
      case HandshakeType.certificate_request:
        this.#transcript.add(input.framed);
        this.#certificateRequest = msg.body.signatureAlgorithms;
        return [];
      case HandshakeType.server_hello_done:
        this.#transcript.add(input.framed);
        return await this.#flight5();
      case HandshakeType.finished: {
        if (state !== "ExpectFinished") break;
        checkFinished(
          verifyData(
            suite,
            this.#master!,
            "server finished",
            this.#transcript.hash(),
          ),
          msg.body.verifyData,
        );
        if (this.#resumed !== undefined) {
          this.#transcript.add(input.framed);
          return this.#resumedFinished(this.#resumed);
        }
        // free the transcript's messages: nothing reads them any more
        this.#transcript.reset();
        this.#state = "Established";
        const identity: PeerIdentity | undefined = this.#serverChain.length > 0
          ? x509Identity(this.#serverChain)
          : this.#config.psk !== undefined
          ? { kind: "psk", identity: this.#config.psk.identity }
          : undefined;
        const resumable: ResumableSession | undefined =
          this.#sessionId.length === 0 ? undefined : {
            id: this.#sessionId,
            suite,
            masterSecret: this.#master!,
            extendedMasterSecret: this.#ems,
            identity,
          };
        return [{
          kind: "established",
          session: {
            suite,
            identity,
            extendedMasterSecret: this.#ems,
            ...(resumable === undefined ? {} : { resumable }),
            ...(this.#ocspResponse === undefined
              ? {}
              : { ocspResponse: this.#ocspResponse }),
          },
        }];
      }
      default:
        break;
    }
    throw new TlsAlertError(
      AlertDescription.unexpected_message,
      `Received ${name} in ${state}`,
    );
  }

  #onHello(input: HandshakeInput): HandshakeAction[] {
    if (input.kind === "change_cipher_spec") {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        "Received ChangeCipherSpec before ServerHello",
      );
    }
    const msg = decodeHandshakeMessage(input.type, input.body, {
      dtls: this.#layer.dtls,
    });
    if (msg.type === HandshakeType.hello_verify_request) {
      // RFC 6347 §4.2.1: resend the ClientHello with the cookie; the first
      // ClientHello and the HelloVerifyRequest leave the transcript (§4.2.6)
      if (++this.#hvrCount > MAX_HELLO_VERIFY_REQUESTS) {
        throw new TlsAlertError(
          AlertDescription.unexpected_message,
          "Too many HelloVerifyRequests",
        );
      }
      this.#transcript.reset();
      return this.#hello(msg.body.cookie);
    }
    if (msg.type !== HandshakeType.server_hello) {
      throw new TlsAlertError(
        AlertDescription.unexpected_message,
        `Received ${handshakeTypeName(input.type)}, expected ServerHello`,
      );
    }
    const hello = msg.body;
    if (hello.version !== (this.#layer.dtls ? DTLS12 : TLS12)) {
      throw new TlsAlertError(
        AlertDescription.protocol_version,
        `Server chose version 0x${hello.version.toString(16)}`,
      );
    }
    const suite = this.#suites.find((s) => s.id === hello.cipherSuite);
    if (suite === undefined) {
      throw new TlsAlertError(
        AlertDescription.illegal_parameter,
        `Server chose cipher suite 0x${
          hello.cipherSuite.toString(16)
        }, not offered`,
      );
    }
    const reneg = findExtension(hello.extensions, "renegotiation_info");
    if (reneg !== undefined && reneg.renegotiatedConnection.length !== 0) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "ServerHello carries renegotiation data",
      );
    }
    this.#suite = suite;
    this.#serverRandom = hello.random;
    this.#ems = findExtension(hello.extensions, "extended_master_secret") !==
      undefined;
    this.#stapleAcknowledged =
      findExtension(hello.extensions, "status_request") !== undefined;
    // RFC 5246 §7.4.1.4: no extension the client did not offer
    if (this.#stapleAcknowledged && !this.#requestsStaple()) {
      throw new TlsAlertError(
        AlertDescription.unsupported_extension,
        "ServerHello acknowledges status_request, which was not offered",
      );
    }
    const cids = clientConnectionIds(
      this.#layer.dtls ? this.#layer.connectionId : undefined,
      hello.extensions,
    );
    this.#recordLayer = {
      ...clientRecordLimits(this.#config, hello.extensions),
      ...(cids ?? {}),
    };
    this.#transcript.setHash(suite.prfHash);
    this.#transcript.add(input.framed);
    this.#sessionId = hello.sessionId;
    const offered = this.#offered;
    if (
      offered !== undefined && hello.sessionId.length > 0 &&
      constantTimeEqual(hello.sessionId, offered.id)
    ) {
      return this.#resume(suite, offered);
    }
    this.#order = flowAfterHello("client", suite.kx, {
      dtls: this.#layer.dtls,
    });
    this.#state = suite.kx === "ecdhe_ecdsa" || suite.kx === "ecdhe_rsa"
      ? "ExpectCertificate"
      : suite.kx === "ecdhe_psk"
      ? "ExpectServerKeyExchange"
      : "ExpectServerHelloDone";
    return [];
  }

  /**
   * The server resumed the offered session (RFC 5246 §7.3 figure 2): keys
   * from its master secret and the new randoms; the server's
   * ChangeCipherSpec and Finished come next.
   */
  #resume(suite: CipherSuite, session: ResumableSession): HandshakeAction[] {
    if (suite.id !== session.suite.id) {
      throw new TlsAlertError(
        AlertDescription.illegal_parameter,
        "Server resumed the session with another cipher suite",
      );
    }
    // RFC 7627 §5.3: the resumed ServerHello must keep the session's EMS
    if (this.#ems !== session.extendedMasterSecret) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "Server resumed the session without extended master secret",
      );
    }
    this.#resumed = session;
    this.#master = session.masterSecret;
    this.#order = flowAfterHello("client", suite.kx, {
      dtls: this.#layer.dtls,
      resumption: true,
    });
    this.#state = "ExpectChangeCipherSpec";
    return [{
      kind: "keys",
      keys: keysFromMaster(suite, session.masterSecret, {
        client: this.#clientRandom,
        server: this.#serverRandom!,
      }),
    }];
  }

  /** The client's last flight of an abbreviated handshake, after the server's Finished. */
  #resumedFinished(session: ResumableSession): HandshakeAction[] {
    const finished = messageAction(
      this.#layer,
      HandshakeType.finished,
      finishedBody(
        session.suite,
        session.masterSecret,
        "client finished",
        this.#transcript,
      ),
    );
    this.#transcript.reset();
    this.#state = "Established";
    return lastFlight(finished, {
      suite: session.suite,
      identity: session.identity,
      extendedMasterSecret: true,
      resumed: true,
      resumable: session,
    });
  }

  #send(out: HandshakeAction[], type: number, body: Uint8Array): void {
    const message = messageAction(this.#layer, type, body);
    this.#transcript.add(message.framed);
    out.push(message);
  }

  async #flight5(): Promise<HandshakeAction[]> {
    const suite = this.#suite!;
    const out: HandshakeAction[] = [];
    const cert = this.#config.certificate;
    const requested = this.#certificateRequest;
    let signScheme: number | undefined;
    if (requested !== undefined) {
      // RFC 5246 §7.4.6: answer a CertificateRequest, possibly empty
      signScheme = cert === undefined
        ? undefined
        : chooseSignatureScheme(requested, cert.key);
      this.#send(
        out,
        HandshakeType.certificate,
        encodeCertificate({
          certificates: signScheme === undefined
            ? []
            : cert!.chain.map((c) => c.der),
        }),
      );
    }
    let ecdhe: Uint8Array | undefined;
    let publicKey: Uint8Array | undefined;
    if (suite.kx !== "psk") {
      const params = this.#params;
      if (params === undefined) {
        throw new TlsAlertError(
          AlertDescription.unexpected_message,
          "No ServerKeyExchange before ServerHelloDone",
        );
      }
      const pair = await generateEcdhKeyPair(ecdhGroup(params.namedCurve)!);
      publicKey = pair.publicKey;
      ecdhe = await ecdhShared(() => pair.deriveSharedSecret(params.publicKey));
    }
    const psk = this.#config.psk;
    const identity = encodeIdentity(psk?.identity ?? "");
    let cke: ClientKeyExchange;
    switch (suite.kx) {
      case "psk":
        cke = { form: "psk", identity };
        break;
      case "ecdhe_psk":
        cke = { form: "ecdhe_psk", identity, publicKey: publicKey! };
        break;
      default:
        cke = { form: "ecdhe", publicKey: publicKey! };
    }
    this.#send(
      out,
      HandshakeType.client_key_exchange,
      encodeClientKeyExchange(cke),
    );
    const { master, keys } = deriveKeys(
      suite,
      premaster(suite, psk?.key, ecdhe),
      { client: this.#clientRandom, server: this.#serverRandom! },
      this.#ems ? this.#transcript.sessionHash() : undefined,
    );
    this.#master = master;
    if (signScheme !== undefined) {
      // RFC 5246 §7.4.8: proof of possession over the transcript so far
      const signature = await sign(
        cert!.key,
        this.#transcript.bytes(),
        toCryptoScheme(signScheme)!,
      );
      this.#send(
        out,
        HandshakeType.certificate_verify,
        encodeCertificateVerify({ scheme: signScheme, signature }),
      );
    }
    out.push({ kind: "keys", keys }, CHANGE_CIPHER_SPEC_ACTION);
    this.#send(
      out,
      HandshakeType.finished,
      finishedBody(suite, master, "client finished", this.#transcript),
    );
    out.push(FLIGHT_END);
    this.#state = "ExpectChangeCipherSpec";
    return out;
  }

  async #checkServerCertificate(
    now: number,
    ders: readonly Uint8Array[],
  ): Promise<Certificate[]> {
    if (ders.length === 0) {
      throw new TlsAlertError(
        AlertDescription.handshake_failure,
        "Server sent no certificate",
      );
    }
    const chain = parsePeerChain(ders, "Server");
    // RFC 8422 §5.3 / RFC 5246 §7.4.2: the key type the suite names
    const kind = this.#suite?.kx === "ecdhe_rsa" ? "rsa" : "ec";
    if (chain[0]!.publicKey?.kind !== kind) {
      throw new TlsAlertError(
        AlertDescription.unsupported_certificate,
        `Server certificate key is not ${kind === "ec" ? "ECDSA" : "RSA"}`,
      );
    }
    if (this.#config.insecureSkipVerify === true) return chain;
    await validatePeerChain(chain, {
      trustAnchors: this.#config.trustAnchors ?? [],
      now,
      purpose: "serverAuth",
      skipValidityCheck: this.#config.skipValidityCheck === true,
    });
    return chain;
  }
}
