/**
 * Typed errors of the CoAP core (RFC 7252). Decoders throw
 * {@link DecodeError} from `src/bytes`; protocol failures that have a wire
 * answer throw {@link CoapError} carrying the 4.xx/5.xx response code.
 *
 * @module
 */

import { codeString } from "./codes.ts";

export { DecodeError } from "../bytes/mod.ts";

/**
 * A request failed with a CoAP response code (4.xx client error or 5.xx
 * server error, RFC 7252 §5.9.2–5.9.3). Handlers throw it; the server turns
 * it into the response.
 *
 * @example
 * ```ts
 * import { CoapError } from "./errors.ts";
 * import { Code } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * const e = new CoapError(Code.NOT_FOUND, "No such sensor");
 * assert.equal(e.code, 132);
 * assert.match(e.message, /4\.04/);
 * ```
 */
export class CoapError extends Error {
  /** The response code (class << 5 | detail). */
  readonly code: number;

  /**
   * @param code Response code, e.g. `Code.BAD_OPTION`.
   * @param detail Diagnostic text (also usable as diagnostic payload).
   */
  constructor(code: number, detail: string) {
    super(`CoAP ${codeString(code)}: ${detail}`);
    this.name = "CoapError";
    this.code = code;
  }
}

/**
 * A confirmable message was not acknowledged after MAX_RETRANSMIT
 * retransmissions (RFC 7252 §4.2), or a response never arrived.
 *
 * @example
 * ```ts
 * import { CoapTimeoutError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new CoapTimeoutError("No ACK").name, "CoapTimeoutError");
 * ```
 */
export class CoapTimeoutError extends Error {
  /** @param detail What timed out. */
  constructor(detail: string) {
    super(`CoAP exchange timed out: ${detail}`);
    this.name = "CoapTimeoutError";
  }
}

/**
 * The peer answered a confirmable message with a Reset (RFC 7252 §4.2).
 *
 * @example
 * ```ts
 * import { CoapResetError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(new CoapResetError("GET /x").message, /reset/);
 * ```
 */
export class CoapResetError extends Error {
  /** @param detail What was reset. */
  constructor(detail: string) {
    super(`CoAP peer reset the exchange: ${detail}`);
    this.name = "CoapResetError";
  }
}
