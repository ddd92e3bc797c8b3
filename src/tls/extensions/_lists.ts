/**
 * Readers and writers for the uint8 and uint16 lists several extensions and
 * messages carry.
 *
 * @module
 */

import {
  type ByteReader,
  type ByteWriter,
  DecodeError,
} from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";

/**
 * Reads a list of uint16 values filling `r`, rejecting an odd length and an
 * empty list (the `<2..2^16-x>` lower bound) with `decode_error`.
 */
export function readUint16List(r: ByteReader, what: string): number[] {
  if (r.remaining % 2 !== 0) {
    throw new DecodeError(what, r.absolutePosition, "odd length");
  }
  if (r.remaining === 0) {
    throw new TlsAlertError(AlertDescription.decode_error, `${what} is empty`);
  }
  const out: number[] = [];
  while (r.anyLeft()) out.push(r.uint16(what));
  return out;
}

/** Reads a list of uint8 values filling `r`, rejecting an empty list. */
export function readUint8List(r: ByteReader, what: string): number[] {
  if (r.remaining === 0) {
    throw new TlsAlertError(AlertDescription.decode_error, `${what} is empty`);
  }
  return Array.from(r.rest());
}

/** Writes `values` as a uint16 vector16, refusing an empty list. */
export function writeUint16List(
  w: ByteWriter,
  values: readonly number[],
  what: string,
): void {
  if (values.length === 0) {
    throw new RangeError(`Cannot encode ${what}: the list is empty`);
  }
  w.vector16((v) => {
    for (const x of values) v.uint16(x);
  });
}

/** Writes `values` as a uint8 vector8, refusing an empty list. */
export function writeUint8List(
  w: ByteWriter,
  values: readonly number[],
  what: string,
): void {
  if (values.length === 0) {
    throw new RangeError(`Cannot encode ${what}: the list is empty`);
  }
  w.vector8((v) => {
    for (const x of values) v.uint8(x);
  });
}
