/**
 * The order of incoming handshake messages, as data (in the manner of
 * Californium Scandium's `HandshakeState[]` tables), and one checker.
 *
 * Full handshake (RFC 5246 §7.3 figure 1, RFC 6347 §4.2.4; `*` optional or
 * situation-dependent):
 *
 * ```text
 * Client                                          Server
 * ClientHello                  -------->
 *                              <--------   HelloVerifyRequest (DTLS, cookie)
 * ClientHello (with cookie)    -------->
 *                                                 ServerHello
 *                                                Certificate*
 *                                          CertificateStatus*
 *                                          ServerKeyExchange*
 *                                         CertificateRequest*
 *                              <--------      ServerHelloDone
 * Certificate*
 * ClientKeyExchange
 * CertificateVerify*
 * [ChangeCipherSpec]
 * Finished                     -------->
 *                                          [ChangeCipherSpec]
 *                              <--------             Finished
 * ```
 *
 * Abbreviated (resumed) handshake (RFC 5246 §7.3 figure 2): the server
 * answers ServerHello, [ChangeCipherSpec], Finished; the client then sends
 * [ChangeCipherSpec], Finished.
 *
 * Per key exchange: certificate suites send Certificate and a signed
 * ServerKeyExchange and may ask for a client certificate; PSK sends a
 * ServerKeyExchange only to carry an identity hint (RFC 4279 §2); ECDHE_PSK
 * always sends one (RFC 5489 §2); neither PSK form has certificates.
 *
 * A flow lists what one side *receives*. The client only learns the key
 * exchange and whether the server resumed from the ServerHello, and the
 * server decides both after the ClientHello: each side starts a flow
 * {@link startOrder} `{ after: ... }` the hello once it knows. What the
 * tables cannot say is left to the state machine: CertificateVerify is
 * required exactly when the client's Certificate was not empty (RFC 5246
 * §7.4.8), and a HelloRequest (RFC 5246 §7.4.1.1) is handled before this
 * check.
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "./alert.ts";
import type { KeyExchange } from "./cipher_suites.ts";
import { HandshakeType, handshakeTypeName } from "./handshake_type.ts";

/** A ChangeCipherSpec record in a flow (a record type of its own, RFC 5246 §7.1). */
export const CHANGE_CIPHER_SPEC = "change_cipher_spec";

/** One incoming message: a handshake type, or ChangeCipherSpec. */
export type IncomingMessage = HandshakeType | typeof CHANGE_CIPHER_SPEC;

/** One step of a flow. */
export interface OrderStep {
  readonly message: IncomingMessage;
  /** The message may be absent; the next step may come instead. */
  readonly optional: boolean;
  /** The step only exists in DTLS. */
  readonly dtlsOnly?: boolean;
}

/** Which side of the handshake a flow is for. */
export type HandshakeRole = "client" | "server";

/** What selects a flow. */
export interface FlowKey {
  /** The side that receives these messages. */
  readonly role: HandshakeRole;
  /** Key exchange of the negotiated suite. */
  readonly kx: KeyExchange;
  /**
   * Server: whether it sends a CertificateRequest (ignored for PSK suites,
   * which have no certificates). Client: no effect, CertificateRequest is
   * always optional because the server decides.
   */
  readonly clientAuth: boolean;
  /** An abbreviated handshake resuming a session. */
  readonly resumption: boolean;
  /** DTLS: the client may receive a HelloVerifyRequest first. */
  readonly dtls: boolean;
}

/**
 * Every incoming-message sequence, by name. `optional` marks messages that
 * may be absent; `dtlsOnly` steps are dropped for TLS.
 *
 * @example
 * ```ts
 * import { HANDSHAKE_FLOWS } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   HANDSHAKE_FLOWS.serverResumption.map((s) => s.message),
 *   [1, "change_cipher_spec", 20],
 * );
 * ```
 */
export const HANDSHAKE_FLOWS = {
  /** Server, full handshake, no client certificate (any key exchange). */
  serverFull: [
    { message: HandshakeType.client_hello, optional: false },
    { message: HandshakeType.client_key_exchange, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Server, full handshake after a CertificateRequest (RFC 5246 §7.4.6, §7.4.8). */
  serverFullClientAuth: [
    { message: HandshakeType.client_hello, optional: false },
    { message: HandshakeType.certificate, optional: false },
    { message: HandshakeType.client_key_exchange, optional: false },
    { message: HandshakeType.certificate_verify, optional: true },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Server, abbreviated handshake: it sent ServerHello, CCS and Finished. */
  serverResumption: [
    { message: HandshakeType.client_hello, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Client, full PSK handshake: ServerKeyExchange only with a hint (RFC 4279 §2). */
  clientFullPsk: [
    {
      message: HandshakeType.hello_verify_request,
      optional: true,
      dtlsOnly: true,
    },
    { message: HandshakeType.server_hello, optional: false },
    { message: HandshakeType.server_key_exchange, optional: true },
    { message: HandshakeType.server_hello_done, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Client, full ECDHE_PSK handshake (RFC 5489 §2). */
  clientFullEcdhePsk: [
    {
      message: HandshakeType.hello_verify_request,
      optional: true,
      dtlsOnly: true,
    },
    { message: HandshakeType.server_hello, optional: false },
    { message: HandshakeType.server_key_exchange, optional: false },
    { message: HandshakeType.server_hello_done, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Client, full ECDHE_ECDSA / ECDHE_RSA handshake (RFC 8422 §2). */
  clientFullCertificate: [
    {
      message: HandshakeType.hello_verify_request,
      optional: true,
      dtlsOnly: true,
    },
    { message: HandshakeType.server_hello, optional: false },
    { message: HandshakeType.certificate, optional: false },
    // RFC 6066 §8: only after a status_request the server acknowledged;
    // the client machine checks that
    { message: HandshakeType.certificate_status, optional: true },
    { message: HandshakeType.server_key_exchange, optional: false },
    { message: HandshakeType.certificate_request, optional: true },
    { message: HandshakeType.server_hello_done, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
  /** Client, abbreviated handshake (RFC 5246 §7.3 figure 2). */
  clientResumption: [
    {
      message: HandshakeType.hello_verify_request,
      optional: true,
      dtlsOnly: true,
    },
    { message: HandshakeType.server_hello, optional: false },
    { message: CHANGE_CIPHER_SPEC, optional: false },
    { message: HandshakeType.finished, optional: false },
  ],
} as const satisfies Record<string, readonly OrderStep[]>;

/** The name of a flow in {@link HANDSHAKE_FLOWS}. */
export type FlowName = keyof typeof HANDSHAKE_FLOWS;

/**
 * The name of the flow for `key`, before dropping DTLS-only steps.
 *
 * @example
 * ```ts
 * import { flowName } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   flowName({ role: "server", kx: "ecdhe_ecdsa", clientAuth: true, resumption: false, dtls: true }),
 *   "serverFullClientAuth",
 * );
 * assert.equal(
 *   flowName({ role: "server", kx: "psk", clientAuth: true, resumption: false, dtls: true }),
 *   "serverFull",
 * );
 * ```
 */
export function flowName(key: FlowKey): FlowName {
  const certificates = key.kx === "ecdhe_ecdsa" || key.kx === "ecdhe_rsa";
  if (key.role === "server") {
    if (key.resumption) return "serverResumption";
    return key.clientAuth && certificates
      ? "serverFullClientAuth"
      : "serverFull";
  }
  if (key.resumption) return "clientResumption";
  if (key.kx === "psk") return "clientFullPsk";
  if (key.kx === "ecdhe_psk") return "clientFullEcdhePsk";
  return "clientFullCertificate";
}

/**
 * The expected incoming messages for `key`.
 *
 * @example
 * ```ts
 * import { handshakeOrder } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * const tls = handshakeOrder({ role: "client", kx: "psk", clientAuth: false, resumption: false, dtls: false });
 * assert.deepEqual(tls.map((s) => s.message), [2, 12, 14, "change_cipher_spec", 20]);
 * const dtls = handshakeOrder({ role: "client", kx: "psk", clientAuth: false, resumption: false, dtls: true });
 * assert.equal(dtls[0]?.message, 3);
 * ```
 */
export function handshakeOrder(key: FlowKey): readonly OrderStep[] {
  const steps: readonly OrderStep[] = HANDSHAKE_FLOWS[flowName(key)];
  return key.dtls ? steps : steps.filter((s) => s.dtlsOnly !== true);
}

/** Where a handshake is in its flow. Immutable: {@link expectNext} returns a new one. */
export interface OrderState {
  readonly steps: readonly OrderStep[];
  /** Index of the first step not yet matched. */
  readonly position: number;
}

function messageName(message: IncomingMessage): string {
  return message === CHANGE_CIPHER_SPEC
    ? CHANGE_CIPHER_SPEC
    : handshakeTypeName(message);
}

/**
 * Starts checking a flow, from its beginning or just after `after` (for a
 * side that picks the flow once a hello has been handled).
 *
 * @throws {TypeError} if `after` is not a step of the flow.
 *
 * @example
 * ```ts
 * import { HANDSHAKE_FLOWS, startOrder } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * const s = startOrder(HANDSHAKE_FLOWS.clientFullCertificate, { after: 2 });
 * assert.equal(s.position, 2);
 * ```
 */
export function startOrder(
  steps: readonly OrderStep[],
  options: { readonly after?: IncomingMessage } = {},
): OrderState {
  if (options.after === undefined) return { steps, position: 0 };
  const i = steps.findIndex((s) => s.message === options.after);
  if (i < 0) {
    throw new TypeError(
      `Cannot start a flow after ${
        messageName(options.after)
      }: not one of its steps`,
    );
  }
  return { steps, position: i + 1 };
}

/**
 * The messages acceptable next: optional steps up to and including the
 * first required one.
 *
 * @example
 * ```ts
 * import { expectedMessages, HANDSHAKE_FLOWS, startOrder } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * const s = startOrder(HANDSHAKE_FLOWS.clientFullPsk, { after: 2 });
 * assert.deepEqual(expectedMessages(s), [12, 14]);
 * ```
 */
export function expectedMessages(state: OrderState): IncomingMessage[] {
  const out: IncomingMessage[] = [];
  for (let i = state.position; i < state.steps.length; i++) {
    const step = state.steps[i] as OrderStep;
    out.push(step.message);
    if (!step.optional) break;
  }
  return out;
}

/**
 * Accepts `message` as the next incoming one, skipping optional steps it
 * passes over, and returns the advanced state.
 *
 * @throws {TlsAlertError} `unexpected_message` (RFC 5246 §7.2.2) if
 *   `message` is not acceptable here.
 *
 * @example
 * ```ts
 * import { expectNext, HANDSHAKE_FLOWS, startOrder } from "./handshake_order.ts";
 * import { HandshakeType } from "./handshake_type.ts";
 * import { TlsAlertError } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * let s = startOrder(HANDSHAKE_FLOWS.clientFullCertificate, { after: HandshakeType.server_hello });
 * s = expectNext(s, HandshakeType.certificate);
 * s = expectNext(s, HandshakeType.server_key_exchange);
 * s = expectNext(s, HandshakeType.server_hello_done);
 * assert.throws(() => expectNext(s, HandshakeType.finished), TlsAlertError);
 * ```
 */
export function expectNext(
  state: OrderState,
  message: IncomingMessage,
): OrderState {
  for (let i = state.position; i < state.steps.length; i++) {
    const step = state.steps[i] as OrderStep;
    if (step.message === message) {
      return { steps: state.steps, position: i + 1 };
    }
    if (!step.optional) break;
  }
  const expected = expectedMessages(state).map(messageName);
  throw new TlsAlertError(
    AlertDescription.unexpected_message,
    expected.length === 0
      ? `Received ${messageName(message)} after the handshake ended`
      : `Received ${messageName(message)}, expected ${expected.join(" or ")}`,
  );
}

/**
 * Whether every remaining step is optional: the flow has been completed.
 *
 * @example
 * ```ts
 * import { expectNext, HANDSHAKE_FLOWS, isOrderComplete, startOrder } from "./handshake_order.ts";
 * import assert from "node:assert/strict";
 *
 * let s = startOrder(HANDSHAKE_FLOWS.serverResumption, { after: 1 });
 * assert.equal(isOrderComplete(s), false);
 * s = expectNext(expectNext(s, "change_cipher_spec"), 20);
 * assert.equal(isOrderComplete(s), true);
 * ```
 */
export function isOrderComplete(state: OrderState): boolean {
  return state.steps.slice(state.position).every((s) => s.optional);
}
