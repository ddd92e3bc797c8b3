/**
 * ServerKeyExchange in the three forms postern's suites use:
 *
 * ```text
 * struct {                                   // RFC 8422 §5.4
 *     ECCurveType curve_type;                // named_curve (3)
 *     NamedCurve  namedcurve;                // uint16
 *     opaque      point<1..2^8-1>;           // ECPoint public
 * } ServerECDHParams;
 *
 * ecdhe_ecdsa, ecdhe_rsa:  ServerECDHParams params; digitally-signed signed_params;
 * psk (RFC 4279 §2):       opaque psk_identity_hint<0..2^16-1>;
 * ecdhe_psk (RFC 5489 §2): opaque psk_identity_hint<0..2^16-1>; ServerECDHParams params;
 * ```
 *
 * The body does not say which form it is; the decoder is told the key
 * exchange of the negotiated suite. The signature of the ECDHE form covers
 * `client_random + server_random + ServerECDHParams` (RFC 8422 §5.4; see
 * `signedParamsData` in `../signature_schemes.ts`).
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { KeyExchange } from "../cipher_suites.ts";
import {
  type DigitallySigned,
  readDigitallySigned,
  writeDigitallySigned,
} from "./_common.ts";

/**
 * ECCurveType code points (RFC 8422 §5.4). Only `named_curve` is allowed;
 * the explicit forms are deprecated.
 *
 * @example
 * ```ts
 * import { EcCurveType } from "./server_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EcCurveType.named_curve, 3);
 * ```
 */
export const EcCurveType = {
  explicit_prime: 1,
  explicit_char2: 2,
  named_curve: 3,
} as const;

/**
 * How key-exchange messages look: the two certificate suites share one
 * form.
 */
export type KeyExchangeForm = "ecdhe" | "psk" | "ecdhe_psk";

/**
 * The key-exchange message form of a suite's key exchange.
 *
 * @example
 * ```ts
 * import { keyExchangeForm } from "./server_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keyExchangeForm("ecdhe_rsa"), "ecdhe");
 * assert.equal(keyExchangeForm("ecdhe_psk"), "ecdhe_psk");
 * ```
 */
export function keyExchangeForm(kx: KeyExchange): KeyExchangeForm {
  return kx === "ecdhe_ecdsa" || kx === "ecdhe_rsa" ? "ecdhe" : kx;
}

/** ServerECDHParams with `curve_type` named_curve. */
export interface ServerEcdhParams {
  /** NamedGroup of the ephemeral key. */
  readonly namedCurve: number;
  /** The server's ephemeral public key (uncompressed point or X25519 u-coordinate). */
  readonly publicKey: Uint8Array;
}

/** ECDHE ServerKeyExchange: signed ephemeral parameters. */
export interface EcdheServerKeyExchange {
  readonly form: "ecdhe";
  readonly params: ServerEcdhParams;
  readonly signature: DigitallySigned;
}

/** PSK ServerKeyExchange: only an identity hint (RFC 4279 §2). */
export interface PskServerKeyExchange {
  readonly form: "psk";
  readonly identityHint: Uint8Array;
}

/** ECDHE_PSK ServerKeyExchange: hint and unsigned ephemeral parameters (RFC 5489 §2). */
export interface EcdhePskServerKeyExchange {
  readonly form: "ecdhe_psk";
  readonly identityHint: Uint8Array;
  readonly params: ServerEcdhParams;
}

/** A ServerKeyExchange body in any of its forms. */
export type ServerKeyExchange =
  | EcdheServerKeyExchange
  | PskServerKeyExchange
  | EcdhePskServerKeyExchange;

/** Options for {@link decodeServerKeyExchange}. */
export interface ServerKeyExchangeOptions {
  /** Key exchange of the negotiated cipher suite. */
  readonly kx: KeyExchange;
}

function writeParams(w: ByteWriter, params: ServerEcdhParams): void {
  if (params.publicKey.length === 0) {
    throw new RangeError("Cannot encode ServerECDHParams: empty public key");
  }
  w.uint8(EcCurveType.named_curve).uint16(params.namedCurve)
    .vector8((v) => v.bytes(params.publicKey));
}

function readParams(r: ByteReader): ServerEcdhParams {
  const curveType = r.uint8("ServerECDHParams.curve_type");
  // RFC 8422 §5.4: explicit_prime and explicit_char2 are deprecated; only
  // named_curve is defined for use.
  if (curveType !== EcCurveType.named_curve) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      `ServerECDHParams curve_type ${curveType} is not named_curve`,
    );
  }
  const namedCurve = r.uint16("ServerECDHParams.namedcurve");
  const publicKey = r.vector8("ServerECDHParams.public").rest().slice();
  // RFC 8422 §5.4: opaque point <1..2^8-1>.
  if (publicKey.length === 0) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      "ServerECDHParams public point is empty",
    );
  }
  return { namedCurve, publicKey };
}

/**
 * Encodes ServerECDHParams alone: the bytes the ECDHE signature covers
 * after the two randoms.
 *
 * @example
 * ```ts
 * import { encodeServerEcdhParams } from "./server_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeServerEcdhParams({ namedCurve: 29, publicKey: new Uint8Array([9]) }),
 *   new Uint8Array([3, 0, 29, 1, 9]),
 * );
 * ```
 */
export function encodeServerEcdhParams(params: ServerEcdhParams): Uint8Array {
  const w = new ByteWriter(4 + params.publicKey.length);
  writeParams(w, params);
  return w.finish();
}

/**
 * Encodes a ServerKeyExchange body.
 *
 * @example
 * ```ts
 * import { encodeServerKeyExchange } from "./server_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * const hint = new TextEncoder().encode("hi");
 * assert.deepEqual(
 *   encodeServerKeyExchange({ form: "psk", identityHint: hint }),
 *   new Uint8Array([0, 2, 0x68, 0x69]),
 * );
 * ```
 */
export function encodeServerKeyExchange(msg: ServerKeyExchange): Uint8Array {
  const w = new ByteWriter(160);
  switch (msg.form) {
    case "ecdhe":
      writeParams(w, msg.params);
      writeDigitallySigned(w, msg.signature);
      break;
    case "psk":
      w.vector16((v) => v.bytes(msg.identityHint));
      break;
    case "ecdhe_psk":
      w.vector16((v) => v.bytes(msg.identityHint));
      writeParams(w, msg.params);
      break;
  }
  return w.finish();
}

/**
 * Decodes a ServerKeyExchange body in the form of the suite's key exchange.
 *
 * @throws {DecodeError} for a truncated body or trailing bytes.
 * @throws {TlsAlertError} `illegal_parameter` for a curve_type other than
 *   named_curve; `decode_error` for an empty public point.
 *
 * @example
 * ```ts
 * import { decodeServerKeyExchange } from "./server_key_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([0, 0, 3, 0, 23, 1, 4]);
 * assert.deepEqual(decodeServerKeyExchange(body, { kx: "ecdhe_psk" }), {
 *   form: "ecdhe_psk",
 *   identityHint: new Uint8Array(0),
 *   params: { namedCurve: 23, publicKey: new Uint8Array([4]) },
 * });
 * ```
 */
export function decodeServerKeyExchange(
  body: Uint8Array,
  options: ServerKeyExchangeOptions,
): ServerKeyExchange {
  const r = new ByteReader(body);
  let msg: ServerKeyExchange;
  switch (keyExchangeForm(options.kx)) {
    case "ecdhe": {
      const params = readParams(r);
      msg = {
        form: "ecdhe",
        params,
        signature: readDigitallySigned(r, "ServerKeyExchange.signed_params"),
      };
      break;
    }
    case "psk":
      msg = {
        form: "psk",
        identityHint: r.vector16("ServerKeyExchange.psk_identity_hint").rest()
          .slice(),
      };
      break;
    case "ecdhe_psk": {
      const identityHint = r.vector16("ServerKeyExchange.psk_identity_hint")
        .rest().slice();
      msg = { form: "ecdhe_psk", identityHint, params: readParams(r) };
      break;
    }
  }
  r.expectEnd("ServerKeyExchange");
  return msg;
}
