/**
 * Negotiation of DTLS 1.2 connection IDs (RFC 9146 §3). The codec of the
 * `connection_id` extension is in `opaque_extensions.ts`.
 *
 * Each side sends the CID it wants to *receive*: a client offers one
 * (possibly empty: "I will send yours but want none"), and a server that
 * supports CIDs answers with its own only when the client offered. Once
 * negotiated, records of the epochs after the handshake sent to a peer
 * whose CID is not empty are `tls12_cid` records carrying that CID
 * (RFC 9146 §4). A server must not send the extension unasked, so a client
 * refuses an unsolicited one with `unsupported_extension` (RFC 5246
 * §7.4.1.4).
 *
 * @example
 * ```ts
 * import { clientConnectionIds, serverConnectionIds } from "./connection_id.ts";
 * import assert from "node:assert/strict";
 *
 * const own = new Uint8Array([1, 2, 3, 4]);
 * const s = serverConnectionIds([{ type: "connection_id", cid: new Uint8Array(0) }], own);
 * assert.deepEqual(s?.reply, { type: "connection_id", cid: own });
 * const c = clientConnectionIds(new Uint8Array(0), [s!.reply]);
 * assert.deepEqual(c?.peerConnectionId, own);
 * ```
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import { type Extensions, findExtension } from "./extensions.ts";
import type { ConnectionIdExtension } from "./opaque_extensions.ts";

/**
 * Negotiated connection IDs: `connectionId` is received, `peerConnectionId`
 * is sent. Either may be empty (no CID in that direction).
 *
 * @example
 * ```ts
 * import type { ConnectionIds } from "./connection_id.ts";
 * const ids: ConnectionIds = { connectionId: new Uint8Array(4), peerConnectionId: new Uint8Array(0) };
 * ```
 */
export interface ConnectionIds {
  readonly connectionId: Uint8Array;
  readonly peerConnectionId: Uint8Array;
}

/**
 * Server side: the reply and the agreement, or `undefined` when either side
 * does not use connection IDs.
 *
 * @param clientExtensions The ClientHello's extensions.
 * @param own The CID this server wants to receive; `undefined` when it
 *   does not support connection IDs.
 *
 * @example
 * ```ts
 * import { serverConnectionIds } from "./connection_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(serverConnectionIds([], new Uint8Array([1])), undefined);
 * ```
 */
export function serverConnectionIds(
  clientExtensions: Extensions,
  own: Uint8Array | undefined,
): (ConnectionIds & { readonly reply: ConnectionIdExtension }) | undefined {
  const offer = findExtension(clientExtensions, "connection_id");
  if (offer === undefined || own === undefined) return undefined;
  return {
    connectionId: own,
    peerConnectionId: offer.cid,
    reply: { type: "connection_id", cid: own },
  };
}

/**
 * Client side: the agreement from the ServerHello, or `undefined` when the
 * server did not take up the offer.
 *
 * @param offered The CID the client offered, `undefined` if it did not.
 * @param serverExtensions The ServerHello's extensions.
 * @throws {TlsAlertError} `unsupported_extension` for an unsolicited reply.
 *
 * @example
 * ```ts
 * import { clientConnectionIds } from "./connection_id.ts";
 * import { TlsAlertError } from "../alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clientConnectionIds(new Uint8Array(0), []), undefined);
 * assert.throws(
 *   () => clientConnectionIds(undefined, [{ type: "connection_id", cid: new Uint8Array(1) }]),
 *   TlsAlertError,
 * );
 * ```
 */
export function clientConnectionIds(
  offered: Uint8Array | undefined,
  serverExtensions: Extensions,
): ConnectionIds | undefined {
  const reply = findExtension(serverExtensions, "connection_id");
  if (reply === undefined) return undefined;
  if (offered === undefined) {
    throw new TlsAlertError(
      AlertDescription.unsupported_extension,
      "ServerHello carries connection_id, which was not offered",
    );
  }
  return { connectionId: offered, peerConnectionId: reply.cid };
}
