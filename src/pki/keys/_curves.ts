/**
 * Named curves in key encodings (RFC 5480 §2.1.1.1) and their sizes.
 *
 * @module
 */

import type { EcCurve } from "../../crypto/mod.ts";
import { OID } from "../oids.ts";
import { KeyError } from "./errors.ts";

/**
 * namedCurve OID of `curve`.
 *
 * @example
 * ```ts
 * import { curveOid } from "./_curves.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(curveOid("P-256"), "1.2.840.10045.3.1.7");
 * ```
 */
export function curveOid(curve: EcCurve): string {
  return curve === "P-256" ? OID.secp256r1 : OID.secp384r1;
}

/**
 * The curve named by `oid`, or a {@link KeyError} `unsupported`.
 *
 * @example
 * ```ts
 * import { curveFromOid } from "./_curves.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(curveFromOid("1.3.132.0.34"), "P-384");
 * assert.throws(() => curveFromOid("1.3.132.0.35"));
 * ```
 */
export function curveFromOid(oid: string): EcCurve {
  if (oid === OID.secp256r1) return "P-256";
  if (oid === OID.secp384r1) return "P-384";
  throw new KeyError(
    "unsupported",
    `Cannot load EC key: curve ${oid} is not supported (only P-256 and P-384)`,
  );
}

/**
 * Byte length of a field element and of the scalar `d`.
 *
 * @example
 * ```ts
 * import { fieldLength } from "./_curves.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fieldLength("P-384"), 48);
 * ```
 */
export function fieldLength(curve: EcCurve): number {
  return curve === "P-256" ? 32 : 48;
}

/**
 * Group order n (FIPS 186-4 §D.1.2.3 and §D.1.2.4).
 *
 * @example
 * ```ts
 * import { curveOrder } from "./_curves.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(curveOrder("P-256").toString(16).length, 64);
 * ```
 */
export function curveOrder(curve: EcCurve): bigint {
  return curve === "P-256"
    ? 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
    : 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;
}

/**
 * Big-endian unsigned bytes to bigint.
 *
 * @example
 * ```ts
 * import { toBigInt } from "./_curves.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(toBigInt(new Uint8Array([1, 0])), 256n);
 * ```
 */
export function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}
