/**
 * The DTLS 1.2 record layer pieces (RFC 6347, RFC 7925 profile, RFC 9146
 * Connection ID), all sans-IO: the record header codec and datagram
 * splitting, the anti-replay window, handshake fragmentation and
 * reassembly, flights with their retransmission timer, and stateless
 * HelloVerifyRequest cookies; and on top of them one association
 * ({@link DtlsAssociation}, client or server) and the server endpoint
 * ({@link DtlsServerEndpoint}: stateless cookies, association table,
 * inactivity sweep). Record payload protection, shared with TLS, lives in
 * `src/tls/record_protection.ts`.
 *
 * @example Receive path of one datagram (epoch 0, unprotected handshake)
 * ```ts
 * import {
 *   decodeDatagram,
 *   decodeHandshakeFragments,
 *   encodeRecord,
 *   fragmentHandshake,
 *   Reassembler,
 *   ReplayWindow,
 * } from "./mod.ts";
 * import { concatBytes } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array(300).fill(7);
 * const datagram = concatBytes(...fragmentHandshake(1, 0, body, 128).map((fragment, i) =>
 *   encodeRecord({ type: 22, version: 0xfefd, epoch: 0, sequenceNumber: i, fragment })
 * ));
 * const replay = new ReplayWindow();
 * const reassembler = new Reassembler();
 * const messages = [];
 * for (const record of decodeDatagram(datagram).records) {
 *   if (!replay.check(record.sequenceNumber)) continue;
 *   replay.mark(record.sequenceNumber); // epoch 0: nothing to authenticate
 *   for (const fragment of decodeHandshakeFragments(record.fragment)) {
 *     for (const event of reassembler.push(fragment)) {
 *       if (event.kind === "message") messages.push(event);
 *     }
 *   }
 * }
 * assert.equal(messages.length, 1);
 * assert.deepEqual(messages[0]?.body, body);
 * ```
 *
 * @module
 */

export {
  decodeDatagram,
  type DecodeDatagramOptions,
  type DecodedDatagram,
  decodeRecord,
  DTLS_1_0,
  DTLS_1_2,
  DTLS_RECORD_HEADER_LENGTH,
  type DtlsRecord,
  encodeRecord,
  MAX_RECORD_FRAGMENT_LENGTH,
  packDatagrams,
  recordSequence,
} from "./record.ts";
export { ReplayWindow } from "./replay_window.ts";
export {
  decodeHandshakeFragment,
  decodeHandshakeFragments,
  DEFAULT_MAX_FRAGMENT_BODY,
  encodeHandshakeFragment,
  encodeHandshakeMessage,
  fragmentHandshake,
  type FragmentSizeOptions,
  HANDSHAKE_HEADER_LENGTH,
  type HandshakeFragment,
  maxHandshakeFragmentBody,
  WORST_RECORD_OVERHEAD,
} from "./fragment.ts";
export {
  type DropReason,
  Reassembler,
  type ReassemblerOptions,
  type ReassemblyEvent,
} from "./reassembly.ts";
export {
  Flight,
  type FlightEntry,
  type FlightRecord,
  FlightTimer,
  type FlightTimerOptions,
  type TimeoutAction,
} from "./flight_timer.ts";
export {
  CookieJar,
  type CookieJarOptions,
  type PeerAddress,
} from "./cookie.ts";
export {
  type AssociationEvent,
  type AssociationOptions,
  DtlsAssociation,
  MAX_BUFFERED_RECORDS,
} from "./association.ts";
export {
  type DtlsEndpointConfig,
  DtlsServerEndpoint,
  type EndpointEvent,
  type EndpointTransmit,
} from "./endpoint.ts";
