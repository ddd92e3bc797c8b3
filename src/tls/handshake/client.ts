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
 * The server certificate is validated against the configured trust anchors
 * with purpose serverAuth (no host name check: DTLS devices address servers
 * by IP and the operator pins the CA); the ServerKeyExchange signature is
 * checked over `client_random || server_random || params` (RFC 8422 §5.4).
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
  handshakeOrder,
  type OrderState,
  startOrder,
} from "../handshake_order.ts";
import {
  type ClientKeyExchange,
  decodeHandshakeMessage,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeClientKeyExchange,
  encodeFinished,
  type ServerEcdhParams,
} from "../messages/mod.ts";
import type { Extension } from "../extensions/extensions.ts";
import { findExtension } from "../extensions/extensions.ts";
import {
  chooseSignatureScheme,
  SignatureScheme,
  signedParamsData,
  toCryptoScheme,
  verificationScheme,
} from "../signature_schemes.ts";
import { Transcript } from "../transcript.ts";
import { verifyData } from "../key_schedule.ts";
import {
  checkFinished,
  deriveKeys,
  DTLS12,
  ecdhGroup,
  ecdhShared,
  premaster,
  resolveSuites,
  SUPPORTED_GROUPS,
  TLS12,
} from "./_common.ts";
import {
  type ClientHandshakeConfig,
  DEFAULT_CIPHER_SUITES,
  type HandshakeAction,
  type HandshakeInput,
  type PeerIdentity,
} from "./types.ts";
import type { HandshakeLayer } from "./server.ts";
import {
  generateEcdhKeyPair,
  randomBytes,
  sign,
  verifySignature,
} from "../../crypto/mod.ts";
import {
  alertForValidationFailure,
  type Certificate,
  parseCertificate,
  validateChain,
} from "../../pki/mod.ts";

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

const OFFERED_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
];

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
        s.kx === "ecdhe_ecdsa" ? certOk : config.psk !== undefined
      );
    if (this.#suites.length === 0) {
      throw new TypeError(
        "Cannot start a client handshake: no cipher suite fits the credentials",
      );
    }
    this.#random = config.random ?? randomBytes;
    this.#clientRandom = this.#random(32);
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
    const body = encodeClientHello({
      version: this.#layer.dtls ? DTLS12 : TLS12,
      random: this.#clientRandom,
      sessionId: new Uint8Array(0),
      ...(this.#layer.dtls ? { cookie: cookie ?? new Uint8Array(0) } : {}),
      cipherSuites: this.#suites.map((s) => s.id),
      compressionMethods: [0],
      extensions,
    }, { dtls: this.#layer.dtls });
    const framed = this.#layer.frame(HandshakeType.client_hello, body);
    this.#transcript.add(framed);
    return [
      { kind: "message", type: HandshakeType.client_hello, body, framed },
      { kind: "flight_end", final: false },
    ];
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
      case HandshakeType.server_key_exchange: {
        const ske = msg.body;
        if (ske.form === "ecdhe") {
          const leaf = this.#serverChain[0];
          if (leaf !== undefined) {
            const key = leaf.publicKey!;
            const scheme = verificationScheme(ske.signature.scheme, key, {
              offered: OFFERED_SCHEMES,
            });
            const ok = await verifySignature(
              key,
              signedParamsData(
                this.#clientRandom,
                this.#serverRandom!,
                ske.params,
              ),
              ske.signature.signature,
              scheme,
            );
            if (!ok) {
              throw new TlsAlertError(
                AlertDescription.decrypt_error,
                "ServerKeyExchange signature does not verify",
              );
            }
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
        // free the transcript's messages: nothing reads them any more
        this.#transcript.reset();
        this.#state = "Established";
        const identity: PeerIdentity | undefined = this.#serverChain.length > 0
          ? {
            kind: "x509",
            chain: this.#serverChain,
            subject: this.#serverChain[0]!.subject.toString(),
          }
          : this.#config.psk !== undefined
          ? { kind: "psk", identity: this.#config.psk.identity }
          : undefined;
        return [{
          kind: "established",
          session: { suite, identity, extendedMasterSecret: this.#ems },
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
    this.#transcript.setHash(suite.prfHash);
    this.#transcript.add(input.framed);
    this.#order = startOrder(
      handshakeOrder({
        role: "client",
        kx: suite.kx,
        dtls: this.#layer.dtls,
        resumption: false,
        clientAuth: false,
      }),
      { after: HandshakeType.server_hello },
    );
    this.#state = suite.kx === "ecdhe_ecdsa"
      ? "ExpectCertificate"
      : suite.kx === "ecdhe_psk"
      ? "ExpectServerKeyExchange"
      : "ExpectServerHelloDone";
    return [];
  }

  async #flight5(): Promise<HandshakeAction[]> {
    const suite = this.#suite!;
    const out: HandshakeAction[] = [];
    const send = (type: number, body: Uint8Array) => {
      const framed = this.#layer.frame(type, body);
      this.#transcript.add(framed);
      out.push({ kind: "message", type, body, framed });
    };
    const cert = this.#config.certificate;
    const requested = this.#certificateRequest;
    let signScheme: number | undefined;
    if (requested !== undefined) {
      // RFC 5246 §7.4.6: answer a CertificateRequest, possibly empty
      signScheme = cert === undefined
        ? undefined
        : chooseSignatureScheme(requested, cert.key);
      send(
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
    const identity = new TextEncoder().encode(psk?.identity ?? "");
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
    send(HandshakeType.client_key_exchange, encodeClientKeyExchange(cke));
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
      send(
        HandshakeType.certificate_verify,
        encodeCertificateVerify({ scheme: signScheme, signature }),
      );
    }
    out.push({ kind: "keys", keys }, { kind: "change_cipher_spec" });
    send(
      HandshakeType.finished,
      encodeFinished({
        verifyData: verifyData(
          suite,
          master,
          "client finished",
          this.#transcript.hash(),
        ),
      }),
    );
    out.push({ kind: "flight_end", final: false });
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
    let chain: Certificate[];
    try {
      chain = ders.map((d) => parseCertificate(d));
    } catch (err) {
      throw new TlsAlertError(
        AlertDescription.bad_certificate,
        "Server certificate does not parse",
        { cause: err },
      );
    }
    if (chain[0]!.publicKey?.kind !== "ec") {
      throw new TlsAlertError(
        AlertDescription.unsupported_certificate,
        "Server certificate key is not ECDSA",
      );
    }
    if (this.#config.insecureSkipVerify === true) return chain;
    const result = await validateChain(chain, {
      trustAnchors: this.#config.trustAnchors ?? [],
      now,
      purpose: "serverAuth",
      skipValidityCheck: this.#config.skipValidityCheck === true,
    });
    if (!result.ok) {
      throw new TlsAlertError(
        AlertDescription[alertForValidationFailure(result.reason)],
        result.message,
      );
    }
    return chain;
  }
}
