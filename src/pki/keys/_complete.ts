/**
 * Turns decoded key fields into a checked {@link PrivateKey}: the EC scalar
 * is normalised to the field length and must lie in [1, n-1], the public
 * point is derived from it (SEC 1 §3.2.1) and, when the file carries one,
 * must equal the derived point.
 *
 * @module
 */

import {
  CryptoError,
  type EcCurve,
  type EcPrivateKey,
  ecPublicFromPrivate,
  type PrivateKey,
} from "../../crypto/mod.ts";
import { fieldLength } from "./_curves.ts";
import { KeyError } from "./errors.ts";
import type { PrivateKeyInfoParts } from "./pkcs8.ts";
import type { EcPrivateKeyParts } from "./sec1.ts";

/**
 * Completes and checks an EC key; RSA keys are already checked by the decoder.
 *
 * @example
 * ```ts
 * import { completePrivateKey } from "./_complete.ts";
 * import { generateEcKeyPair } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * assert.deepEqual(completePrivateKey({ kind: "ec", curve: "P-256", d: key.d }), key);
 * ```
 */
export function completePrivateKey(parts: PrivateKeyInfoParts): PrivateKey {
  return parts.kind === "rsa" ? parts : completeEcPrivateKey(parts);
}

/**
 * Completes and checks an EC key whose curve is known: `d` may be shorter
 * than the field (leading zeros stripped by some writers) and the point may
 * be absent, uncompressed or compressed.
 *
 * @example
 * ```ts
 * import { completeEcPrivateKey } from "./_complete.ts";
 * import { generateEcKeyPair } from "../../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-384");
 * const other = await generateEcKeyPair("P-384");
 * assert.deepEqual(completeEcPrivateKey({ kind: "ec", curve: "P-384", d: key.d, point: key.point }), key);
 * assert.throws(() => completeEcPrivateKey({ kind: "ec", curve: "P-384", d: key.d, point: other.point }));
 * ```
 */
export function completeEcPrivateKey(
  parts: EcPrivateKeyParts & { readonly curve: EcCurve },
): EcPrivateKey {
  const { curve } = parts;
  const n = fieldLength(curve);
  let i = 0;
  while (i < parts.d.length && parts.d[i] === 0) i++;
  const mag = parts.d.subarray(i);
  if (mag.length > n) {
    throw new KeyError(
      "malformed",
      `Cannot load ${curve} key: private scalar is ${parts.d.length} bytes, more than ${n}`,
    );
  }
  const d = new Uint8Array(n);
  d.set(mag, n - mag.length);
  let point: Uint8Array;
  try {
    point = ecPublicFromPrivate(curve, d);
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new KeyError(
        "malformed",
        `Cannot load ${curve} key: private scalar is out of range`,
        { cause: err },
      );
    }
    throw err;
  }
  if (parts.point !== undefined && !samePoint(parts.point, point, n)) {
    throw new KeyError(
      "malformed",
      `Cannot load ${curve} key: the public key in the file does not belong to the private key`,
    );
  }
  return { kind: "ec", curve, d, point };
}

/** Compares an encoded point (uncompressed or compressed) with an uncompressed one. */
function samePoint(
  given: Uint8Array,
  derived: Uint8Array,
  n: number,
): boolean {
  const prefix = given[0];
  if (prefix === 0x04) {
    return given.length === derived.length &&
      given.every((b, j) => b === derived[j]);
  }
  if ((prefix === 0x02 || prefix === 0x03) && given.length === 1 + n) {
    const yOdd = ((derived[2 * n] as number) & 1) === 1;
    return yOdd === (prefix === 0x03) &&
      given.subarray(1).every((b, j) => b === derived[1 + j]);
  }
  return false;
}
