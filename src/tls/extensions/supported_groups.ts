/**
 * The `supported_groups` extension, formerly `elliptic_curves`
 * (RFC 8422 §5.1.1, RFC 7919).
 *
 * ```text
 * struct { NamedGroup named_group_list<2..2^16-1>; } NamedGroupList;
 * ```
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../../bytes/mod.ts";
import { readUint16List, writeUint16List } from "./_lists.ts";

/**
 * NamedGroup code points postern knows (RFC 8422 §5.1.1, RFC 7748).
 * postern's key exchange implements `secp256r1` and `x25519`.
 *
 * @example
 * ```ts
 * import { NamedGroup } from "./supported_groups.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(NamedGroup.secp256r1, 23);
 * assert.equal(NamedGroup.x25519, 29);
 * ```
 */
export const NamedGroup = {
  secp256r1: 23,
  secp384r1: 24,
  secp521r1: 25,
  x25519: 29,
  x448: 30,
} as const;
/** A NamedGroup value. */
export type NamedGroup = typeof NamedGroup[keyof typeof NamedGroup];

const NAMES = new Map<number, string>(
  Object.entries(NamedGroup).map(([k, v]) => [v, k]),
);

/**
 * The IANA name of a named group, for logs.
 *
 * @example
 * ```ts
 * import { namedGroupName } from "./supported_groups.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(namedGroupName(29), "x25519");
 * assert.equal(namedGroupName(256), "unknown(256)");
 * ```
 */
export function namedGroupName(group: number): string {
  return NAMES.get(group) ?? `unknown(${group})`;
}

/** `supported_groups`: the key-exchange groups the client offers, in preference order. */
export interface SupportedGroupsExtension {
  readonly type: "supported_groups";
  readonly groups: readonly number[];
}

/**
 * Encodes the `supported_groups` extension_data.
 *
 * @example
 * ```ts
 * import { encodeSupportedGroups } from "./supported_groups.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeSupportedGroups({ type: "supported_groups", groups: [29, 23] }),
 *   new Uint8Array([0, 4, 0, 29, 0, 23]),
 * );
 * ```
 */
export function encodeSupportedGroups(
  ext: SupportedGroupsExtension,
): Uint8Array {
  const w = new ByteWriter(2 + 2 * ext.groups.length);
  writeUint16List(w, ext.groups, "supported_groups");
  return w.finish();
}

/**
 * Decodes the `supported_groups` extension_data.
 *
 * @throws {DecodeError} on a malformed or odd-length list.
 * @throws {TlsAlertError} `decode_error` for an empty list (RFC 8422 §5.1.1).
 *
 * @example
 * ```ts
 * import { decodeSupportedGroups } from "./supported_groups.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeSupportedGroups(new Uint8Array([0, 4, 0, 29, 0, 23])),
 *   { type: "supported_groups", groups: [29, 23] },
 * );
 * ```
 */
export function decodeSupportedGroups(
  data: Uint8Array,
): SupportedGroupsExtension {
  const r = new ByteReader(data);
  const list = r.vector16("supported_groups.named_group_list");
  r.expectEnd("supported_groups");
  return {
    type: "supported_groups",
    groups: readUint16List(list, "supported_groups.named_group_list"),
  };
}
