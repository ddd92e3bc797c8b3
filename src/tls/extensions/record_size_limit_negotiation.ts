/**
 * Negotiation of record size bounds: `record_size_limit` (RFC 8449) and
 * `max_fragment_length` (RFC 6066 §4). The codecs are in
 * `record_size_limit.ts` and `max_fragment_length.ts`.
 *
 * - record_size_limit: each side announces the largest protected record
 *   plaintext it accepts; the server answers only a client that sent one.
 *   In TLS 1.2 the value is at most 2^14, so a larger one counts as 2^14
 *   (RFC 8449 §4). Unprotected records are not bound by it.
 * - max_fragment_length: the client asks for 2^9..2^12 and the server
 *   echoes the same value or ignores it; once agreed, every record after
 *   the ServerHello, handshake records included, carries at most that much
 *   plaintext in both directions (RFC 6066 §4).
 * - Both in one ClientHello: the server uses record_size_limit and ignores
 *   max_fragment_length (RFC 8449 §5).
 *
 * @example
 * ```ts
 * import { clientRecordLimits, serverRecordLimits } from "./record_size_limit_negotiation.ts";
 * import assert from "node:assert/strict";
 *
 * const s = serverRecordLimits([{ type: "max_fragment_length", code: 1 }], {});
 * assert.equal(s.limits.maxFragmentLength, 512);
 * const c = clientRecordLimits({ maxFragmentLength: 512 }, s.reply);
 * assert.equal(c.maxFragmentLength, 512);
 * ```
 *
 * @module
 */

import { AlertDescription, TlsAlertError } from "../alert.ts";
import {
  type Extension,
  type Extensions,
  findExtension,
} from "./extensions.ts";
import {
  type MaxFragmentLength,
  maxFragmentLengthBytes,
} from "./max_fragment_length.ts";
import { MIN_RECORD_SIZE_LIMIT } from "./record_size_limit.ts";

/** The TLS 1.2 plaintext bound, 2^14 (RFC 5246 §6.2.1). */
const MAX_PLAINTEXT = 16384;

/**
 * Agreed record bounds, in plaintext bytes; absent means 2^14.
 *
 * @example
 * ```ts
 * import type { RecordLimits } from "./record_size_limit_negotiation.ts";
 * const l: RecordLimits = { peerRecordSizeLimit: 256, recordSizeLimit: 16384 };
 * ```
 */
export interface RecordLimits {
  /** RFC 6066: every record after the ServerHello, both directions. */
  readonly maxFragmentLength?: number;
  /** RFC 8449: protected records sent to the peer. */
  readonly peerRecordSizeLimit?: number;
  /** RFC 8449: what this side announced for protected records it receives. */
  readonly recordSizeLimit?: number;
}

/**
 * Server side: the ServerHello extensions to add and the agreed bounds.
 *
 * @param clientExtensions The ClientHello's extensions.
 * @param options `recordSizeLimit` to announce (default 2^14).
 * @returns `reply` (0..1 extensions) and `limits`.
 *
 * @example record_size_limit wins over max_fragment_length (RFC 8449 §5)
 * ```ts
 * import { serverRecordLimits } from "./record_size_limit_negotiation.ts";
 * import assert from "node:assert/strict";
 *
 * const { reply, limits } = serverRecordLimits([
 *   { type: "max_fragment_length", code: 1 },
 *   { type: "record_size_limit", limit: 1000 },
 * ], {});
 * assert.deepEqual(reply, [{ type: "record_size_limit", limit: 16384 }]);
 * assert.deepEqual(limits, { peerRecordSizeLimit: 1000, recordSizeLimit: 16384 });
 * ```
 */
export function serverRecordLimits(
  clientExtensions: Extensions,
  options: { readonly recordSizeLimit?: number },
): { reply: Extension[]; limits: RecordLimits } {
  const rsl = findExtension(clientExtensions, "record_size_limit");
  if (rsl !== undefined) {
    const own = checkOwnLimit(options.recordSizeLimit ?? MAX_PLAINTEXT);
    return {
      reply: [{ type: "record_size_limit", limit: own }],
      limits: {
        peerRecordSizeLimit: Math.min(rsl.limit, MAX_PLAINTEXT),
        recordSizeLimit: own,
      },
    };
  }
  const mfl = findExtension(clientExtensions, "max_fragment_length");
  if (mfl !== undefined) {
    return {
      reply: [{ type: "max_fragment_length", code: mfl.code }],
      limits: { maxFragmentLength: maxFragmentLengthBytes(mfl.code) },
    };
  }
  return { reply: [], limits: {} };
}

/**
 * Client side: the ClientHello extensions for what the client asks.
 *
 * @param options The client's `maxFragmentLength` (bytes) and
 *   `recordSizeLimit`.
 *
 * @example
 * ```ts
 * import { clientRecordLimitOffer } from "./record_size_limit_negotiation.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(clientRecordLimitOffer({ maxFragmentLength: 1024 }), [{ type: "max_fragment_length", code: 2 }]);
 * assert.deepEqual(clientRecordLimitOffer({}), []);
 * ```
 */
export function clientRecordLimitOffer(
  options: {
    readonly maxFragmentLength?: number;
    readonly recordSizeLimit?: number;
  },
): Extension[] {
  const out: Extension[] = [];
  if (options.maxFragmentLength !== undefined) {
    out.push({
      type: "max_fragment_length",
      code: mflCode(options.maxFragmentLength),
    });
  }
  if (options.recordSizeLimit !== undefined) {
    out.push({
      type: "record_size_limit",
      limit: checkOwnLimit(options.recordSizeLimit),
    });
  }
  return out;
}

/**
 * Client side: the agreed bounds from the ServerHello's extensions.
 *
 * @param offered What the client asked ({@link clientRecordLimitOffer}'s input).
 * @param serverExtensions The ServerHello's extensions.
 * @throws {TlsAlertError} `unsupported_extension` for a reply to something
 *   not offered; `illegal_parameter` for a max_fragment_length other than
 *   the one asked (RFC 6066 §4) or both extensions at once.
 *
 * @example
 * ```ts
 * import { clientRecordLimits } from "./record_size_limit_negotiation.ts";
 * import { TlsAlertError } from "../alert.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => clientRecordLimits({ maxFragmentLength: 512 }, [{ type: "max_fragment_length", code: 2 }]),
 *   TlsAlertError,
 * );
 * assert.deepEqual(clientRecordLimits({ recordSizeLimit: 256 }, [{ type: "record_size_limit", limit: 20000 }]), {
 *   peerRecordSizeLimit: 16384,
 *   recordSizeLimit: 256,
 * });
 * ```
 */
export function clientRecordLimits(
  offered: {
    readonly maxFragmentLength?: number;
    readonly recordSizeLimit?: number;
  },
  serverExtensions: Extensions,
): RecordLimits {
  const rsl = findExtension(serverExtensions, "record_size_limit");
  const mfl = findExtension(serverExtensions, "max_fragment_length");
  if (rsl !== undefined && mfl !== undefined) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      "ServerHello carries both record_size_limit and max_fragment_length",
    );
  }
  if (rsl !== undefined) {
    if (offered.recordSizeLimit === undefined) {
      throw new TlsAlertError(
        AlertDescription.unsupported_extension,
        "ServerHello carries record_size_limit, which was not offered",
      );
    }
    return {
      peerRecordSizeLimit: Math.min(rsl.limit, MAX_PLAINTEXT),
      recordSizeLimit: offered.recordSizeLimit,
    };
  }
  if (mfl !== undefined) {
    if (offered.maxFragmentLength === undefined) {
      throw new TlsAlertError(
        AlertDescription.unsupported_extension,
        "ServerHello carries max_fragment_length, which was not offered",
      );
    }
    const bytes = maxFragmentLengthBytes(mfl.code);
    if (bytes !== offered.maxFragmentLength) {
      throw new TlsAlertError(
        AlertDescription.illegal_parameter,
        `ServerHello max_fragment_length ${bytes} differs from the ${offered.maxFragmentLength} asked`,
      );
    }
    return { maxFragmentLength: bytes };
  }
  return {};
}

/**
 * The largest plaintext one record may carry toward the peer under
 * `limits`: protected records are bound by both extensions, unprotected
 * ones only by max_fragment_length.
 *
 * @example
 * ```ts
 * import { sendPlaintextLimit } from "./record_size_limit_negotiation.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sendPlaintextLimit({ peerRecordSizeLimit: 100 }, true), 100);
 * assert.equal(sendPlaintextLimit({ peerRecordSizeLimit: 100 }, false), 16384);
 * assert.equal(sendPlaintextLimit({ maxFragmentLength: 512 }, false), 512);
 * ```
 */
export function sendPlaintextLimit(
  limits: RecordLimits,
  protectedRecord: boolean,
): number {
  let n = limits.maxFragmentLength ?? MAX_PLAINTEXT;
  if (protectedRecord && limits.peerRecordSizeLimit !== undefined) {
    n = Math.min(n, limits.peerRecordSizeLimit);
  }
  return n;
}

/**
 * The largest plaintext this side accepts in one record under `limits`.
 *
 * @example
 * ```ts
 * import { receivePlaintextLimit } from "./record_size_limit_negotiation.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(receivePlaintextLimit({ recordSizeLimit: 256 }, true), 256);
 * assert.equal(receivePlaintextLimit({}, true), 16384);
 * ```
 */
export function receivePlaintextLimit(
  limits: RecordLimits,
  protectedRecord: boolean,
): number {
  let n = limits.maxFragmentLength ?? MAX_PLAINTEXT;
  if (protectedRecord && limits.recordSizeLimit !== undefined) {
    n = Math.min(n, limits.recordSizeLimit);
  }
  return n;
}

function mflCode(bytes: number): MaxFragmentLength {
  switch (bytes) {
    case 512:
      return 1;
    case 1024:
      return 2;
    case 2048:
      return 3;
    case 4096:
      return 4;
  }
  throw new RangeError(
    `Cannot ask for max_fragment_length ${bytes}: use 512, 1024, 2048 or 4096`,
  );
}

function checkOwnLimit(limit: number): number {
  if (
    !Number.isInteger(limit) || limit < MIN_RECORD_SIZE_LIMIT ||
    limit > MAX_PLAINTEXT
  ) {
    throw new RangeError(
      `Cannot announce record_size_limit ${limit}: use ${MIN_RECORD_SIZE_LIMIT}..${MAX_PLAINTEXT}`,
    );
  }
  return limit;
}
