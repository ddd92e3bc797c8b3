/**
 * ClientKeyExchange in the forms postern's suites use:
 *
 * ```text
 * ecdhe_ecdsa, ecdhe_rsa (RFC 8422 §5.7): ECPoint ecdh_Yc;   // opaque point<1..2^8-1>
 * psk (RFC 4279 §2):       opaque psk_identity<0..2^16-1>;
 * ecdhe_psk (RFC 5489 §2): opaque psk_identity<0..2^16-1>; ECPoint ecdh_Yc;
 * ```
 *
 * As with ServerKeyExchange, the decoder is told the suite's key exchange.
 * Explicit public-value encoding is the only one defined for ECDHE
 * (RFC 8422 §5.7), so the point is always present.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { KeyExchange } from "../cipher_suites.ts";
import { keyExchangeForm } from "./server_key_exchange.ts";

/** ECDHE ClientKeyExchange: the client's ephemeral public key. */
export interface EcdheClientKeyExchange {
  readonly form: "ecdhe";
  readonly publicKey: Uint8Array;
}

/** PSK ClientKeyExchange: the identity of the pre-shared key. */
export interface PskClientKeyExchange {
  readonly form: "psk";
  readonly identity: Uint8Array;
}

/** ECDHE_PSK ClientKeyExchange: identity and ephemeral public key. */
export interface EcdhePskClientKeyExchange {
  readonly form: "ecdhe_psk";
  readonly identity: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A ClientKeyExchange body in any of its forms. */
export type ClientKeyExchange =
  | EcdheClientKeyExchange
  | PskClientKeyExchange
  | EcdhePskClientKeyExchange;

/** Options for {@link decodeClientKeyExchange}. */
export interface ClientKeyExchangeOptions {
  /** Key exchange of the negotiated cipher suite. */
  readonly kx: KeyExchange;
}

function writePoint(w: ByteWriter, point: Uint8Array): void {
  if (point.length === 0) {
    throw new RangeError("Cannot encode ClientKeyExchange: empty public key");
  }
  w.vector8((v) => v.bytes(point));
}

function readPoint(r: ByteReader): Uint8Array {
  const point = r.vector8("ClientKeyExchange.ecdh_Yc").rest().slice();
  // RFC 8422 §5.7: opaque point <1..2^8-1>.
  if (point.length === 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "ClientKeyExchange public point is empty",
    );
  }
  return point;
}

/**
 * Encodes a ClientKeyExchange body.
 *
 * @example
 * ```ts
 * import { encodeClientKeyExchange } from "./client_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeClientKeyExchange({ form: "psk", identity: new TextEncoder().encode("x") }),
 *   new Uint8Array([0, 1, 0x78]),
 * );
 * ```
 */
export function encodeClientKeyExchange(msg: ClientKeyExchange): Uint8Array {
  const w = new ByteWriter(72);
  switch (msg.form) {
    case "ecdhe":
      writePoint(w, msg.publicKey);
      break;
    case "psk":
      w.vector16((v) => v.bytes(msg.identity));
      break;
    case "ecdhe_psk":
      w.vector16((v) => v.bytes(msg.identity));
      writePoint(w, msg.publicKey);
      break;
  }
  return w.finish();
}

/**
 * Decodes a ClientKeyExchange body in the form of the suite's key exchange.
 *
 * @throws {DecodeError} for a truncated body or trailing bytes.
 * @throws {TlsAlertError} `decode_error` for an empty public point.
 *
 * @example
 * ```ts
 * import { decodeClientKeyExchange } from "./client_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeClientKeyExchange(new Uint8Array([0, 1, 0x78, 1, 4]), { kx: "ecdhe_psk" }),
 *   { form: "ecdhe_psk", identity: new Uint8Array([0x78]), publicKey: new Uint8Array([4]) },
 * );
 * ```
 */
export function decodeClientKeyExchange(
  body: Uint8Array,
  options: ClientKeyExchangeOptions,
): ClientKeyExchange {
  const r = new ByteReader(body);
  let msg: ClientKeyExchange;
  switch (keyExchangeForm(options.kx)) {
    case "ecdhe":
      msg = { form: "ecdhe", publicKey: readPoint(r) };
      break;
    case "psk":
      msg = {
        form: "psk",
        identity: r.vector16("ClientKeyExchange.psk_identity").rest().slice(),
      };
      break;
    case "ecdhe_psk": {
      const identity = r.vector16("ClientKeyExchange.psk_identity").rest()
        .slice();
      msg = { form: "ecdhe_psk", identity, publicKey: readPoint(r) };
      break;
    }
  }
  r.expectEnd("ClientKeyExchange");
  return msg;
}
