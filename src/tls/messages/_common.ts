/**
 * Fields shared by several handshake messages.
 *
 * @module
 */

import type { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/** Bytes of ClientHello.random and ServerHello.random (RFC 5246 §7.4.1.2). */
export const RANDOM_LENGTH = 32;

/** Longest session_id (RFC 5246 §7.4.1.2: `SessionID session_id<0..32>`). */
export const MAX_SESSION_ID_LENGTH = 32;

/** Reads the 32-byte random as a copy. */
export function readRandom(r: ByteReader, what: string): Uint8Array {
  return r.take(RANDOM_LENGTH, `${what}.random`).slice();
}

/** Reads `SessionID session_id<0..32>` as a copy. */
export function readSessionId(r: ByteReader, what: string): Uint8Array {
  const id = r.vector8(`${what}.session_id`).rest().slice();
  // RFC 5246 §7.4.1.2: opaque SessionID<0..32>.
  if (id.length > MAX_SESSION_ID_LENGTH) {
    throw new TlsAlertError(
      AlertDescription.decode_error,
      `${what}.session_id is ${id.length} bytes, longer than ${MAX_SESSION_ID_LENGTH}`,
    );
  }
  return id;
}

/** Writes random and session_id after checking their lengths. */
export function writeRandomAndSessionId(
  w: ByteWriter,
  random: Uint8Array,
  sessionId: Uint8Array,
  what: string,
): void {
  if (random.length !== RANDOM_LENGTH) {
    throw new RangeError(
      `Cannot encode ${what}: random is ${random.length} bytes, expected ${RANDOM_LENGTH}`,
    );
  }
  if (sessionId.length > MAX_SESSION_ID_LENGTH) {
    throw new RangeError(
      `Cannot encode ${what}: session_id is ${sessionId.length} bytes, at most ${MAX_SESSION_ID_LENGTH}`,
    );
  }
  w.bytes(random).vector8((v) => v.bytes(sessionId));
}

/** Reads a vector16 of vector16 entries, each at least one byte, as copies. */
export function readOpaqueList16(r: ByteReader, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (r.anyLeft()) {
    const entry = r.vector16(what).rest();
    if (entry.length === 0) {
      throw new TlsAlertError(
        AlertDescription.decode_error,
        `${what} holds an empty entry`,
      );
    }
    out.push(entry.slice());
  }
  return out;
}

/**
 * A signature with the scheme that made it (RFC 5246 §4.7 `digitally-signed`
 * with the §7.4.1.4.1 SignatureAndHashAlgorithm prefix).
 */
export interface DigitallySigned {
  /** SignatureScheme / SignatureAndHashAlgorithm code point. */
  readonly scheme: number;
  /** The signature; DER `Ecdsa-Sig-Value` for ECDSA (RFC 8422 §5.4). */
  readonly signature: Uint8Array;
}

/** Reads `SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>`. */
export function readDigitallySigned(
  r: ByteReader,
  what: string,
): DigitallySigned {
  const scheme = r.uint16(`${what}.algorithm`);
  const signature = r.vector16(`${what}.signature`).rest().slice();
  return { scheme, signature };
}

/** Writes a {@link DigitallySigned}. */
export function writeDigitallySigned(w: ByteWriter, ds: DigitallySigned): void {
  w.uint16(ds.scheme).vector16((v) => v.bytes(ds.signature));
}
