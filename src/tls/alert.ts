/**
 * TLS alerts (RFC 5246 §7.2, RFC 6347 §4.1.2.7): the wire enums, the typed
 * error every handshake and record failure becomes, and the one place that
 * chooses the alert for an error.
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";

/**
 * Alert levels.
 *
 * @example
 * ```ts
 * import { AlertLevel } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(AlertLevel.fatal, 2);
 * ```
 */
export const AlertLevel = { warning: 1, fatal: 2 } as const;
/** An alert level value. */
export type AlertLevel = typeof AlertLevel[keyof typeof AlertLevel];

/**
 * Alert descriptions (RFC 5246 §7.2, RFC 8446 §6 for the later additions
 * TLS 1.2 peers also send).
 *
 * @example
 * ```ts
 * import { AlertDescription } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(AlertDescription.unknown_psk_identity, 115);
 * ```
 */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
/** An alert description value. */
export type AlertDescription =
  typeof AlertDescription[keyof typeof AlertDescription];

const NAMES = new Map<number, string>(
  Object.entries(AlertDescription).map(([k, v]) => [v, k]),
);

/**
 * The RFC name of an alert description, for logs.
 *
 * @example
 * ```ts
 * import { alertName } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(alertName(48), "unknown_ca");
 * assert.equal(alertName(255), "unknown(255)");
 * ```
 */
export function alertName(description: number): string {
  return NAMES.get(description) ?? `unknown(${description})`;
}

/**
 * A failure that ends a TLS/DTLS connection with an alert.
 *
 * `description` is what goes on the wire; `message` and `cause` are the
 * internal reason, which is logged but never sent.
 *
 * @example
 * ```ts
 * import { AlertDescription, TlsAlertError } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * const e = new TlsAlertError(AlertDescription.unknown_ca, "Client chain ends at an untrusted root");
 * assert.equal(e.level, 2);
 * assert.match(e.message, /unknown_ca/);
 * ```
 */
export class TlsAlertError extends Error {
  /** Alert level sent (fatal unless the alert is close_notify/warning). */
  readonly level: AlertLevel;
  /** Alert description sent. */
  readonly description: AlertDescription;
  /** Whether the alert came from the peer rather than from us. */
  readonly received: boolean;

  /**
   * @param description The alert to send.
   * @param reason The internal reason, for the log.
   * @param options `cause`, `level` (default fatal) and `received`.
   */
  constructor(
    description: AlertDescription,
    reason: string,
    options: { cause?: unknown; level?: AlertLevel; received?: boolean } = {},
  ) {
    super(
      `${alertName(description)}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "TlsAlertError";
    this.description = description;
    this.level = options.level ?? AlertLevel.fatal;
    this.received = options.received ?? false;
  }
}

/**
 * Chooses the alert for any error thrown inside a handshake or record
 * layer: a {@link TlsAlertError} keeps its own, a {@link DecodeError} is
 * `decode_error`, anything else is a bug and becomes `internal_error`.
 *
 * @example
 * ```ts
 * import { AlertDescription, alertFor } from "./alert.ts";
 * import { DecodeError } from "../bytes/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(alertFor(new DecodeError("ClientHello", 3, "short")), AlertDescription.decode_error);
 * assert.equal(alertFor(new TypeError("bug")), AlertDescription.internal_error);
 * ```
 */
export function alertFor(error: unknown): AlertDescription {
  if (error instanceof TlsAlertError) return error.description;
  if (error instanceof DecodeError) return AlertDescription.decode_error;
  return AlertDescription.internal_error;
}

/**
 * Encodes an alert record body (level, description).
 *
 * @example
 * ```ts
 * import { encodeAlert } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeAlert(2, 40), new Uint8Array([2, 40]));
 * ```
 */
export function encodeAlert(
  level: AlertLevel,
  description: AlertDescription,
): Uint8Array {
  return new Uint8Array([level, description]);
}

/**
 * Decodes an alert record body.
 *
 * @throws {DecodeError} unless the body is exactly two bytes with a known level.
 *
 * @example
 * ```ts
 * import { decodeAlert } from "./alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeAlert(new Uint8Array([1, 0])), { level: 1, description: 0 });
 * ```
 */
export function decodeAlert(
  body: Uint8Array,
): { level: AlertLevel; description: number } {
  if (body.length !== 2) {
    throw new DecodeError("Alert", 0, `length ${body.length}, expected 2`);
  }
  const level = body[0] as number;
  if (level !== 1 && level !== 2) {
    throw new DecodeError("Alert", 0, `unknown level ${level}`);
  }
  return { level, description: body[1] as number };
}
