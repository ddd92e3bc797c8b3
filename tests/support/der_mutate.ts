/**
 * Structure-aware mutation of DER for the fuzz tests: the input is parsed
 * into a tree (OCTET STRINGs holding DER are opened too), one element is
 * changed, and every length is recomputed, so most results are well-formed
 * DER that reaches the decoders behind the outer structure.
 *
 * @module
 */

import { concatBytes } from "../../src/bytes/mod.ts";
import { DerReader, derTlv } from "../../src/pki/asn1/mod.ts";
import { mutate, type SeededRandom } from "./rng.ts";

/** A DER tree whose lengths are recomputed on encoding. */
interface Node {
  tag: number;
  value: Uint8Array;
  children?: Node[];
}

/** Parses DER into a tree; OCTET/BIT STRINGs holding DER are opened too. */
function tree(bytes: Uint8Array, depth = 0): Node[] | undefined {
  try {
    const r = new DerReader(bytes);
    const out: Node[] = [];
    while (r.anyLeft()) {
      const el = r.next();
      const node: Node = { tag: el.tag, value: el.value };
      const constructed = (el.tag & 0x20) !== 0;
      if (depth < 12 && (constructed || el.tag === 0x04)) {
        const inner = tree(el.value, depth + 1);
        if (inner && (constructed || inner.length)) node.children = inner;
      }
      out.push(node);
    }
    return out;
  } catch {
    return undefined;
  }
}

function encode(nodes: Node[]): Uint8Array {
  return concatBytes(
    ...nodes.map((n) =>
      derTlv(n.tag, n.children ? encode(n.children) : n.value)
    ),
  );
}

function allNodes(nodes: Node[], out: Node[] = []): Node[] {
  for (const n of nodes) {
    out.push(n);
    if (n.children) allNodes(n.children, out);
  }
  return out;
}

/**
 * Structure-aware mutation: changes one element's content, tag or children
 * and re-encodes every length, so the result is usually well-formed DER
 * that reaches the decoders behind the outer structure. Input that is not
 * DER gets a plain byte mutation.
 *
 * @example
 * ```ts
 * import { mutateTree } from "./der_mutate.ts";
 * import { SeededRandom } from "./rng.ts";
 * import assert from "node:assert/strict";
 *
 * const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
 * const out = mutateTree(der, new SeededRandom(1));
 * assert.ok(out instanceof Uint8Array);
 * ```
 */
export function mutateTree(der: Uint8Array, rng: SeededRandom): Uint8Array {
  const root = tree(der);
  if (!root) return mutate(der, rng);
  const nodes = allNodes(root);
  const node = rng.pick(nodes);
  switch (rng.int(5)) {
    case 0:
      if (node.children && node.children.length) {
        node.children.splice(rng.int(node.children.length), 1);
        break;
      }
      node.value = mutate(node.value, rng);
      break;
    case 1:
      if (node.children && node.children.length) {
        const c = rng.pick(node.children);
        node.children.splice(rng.int(node.children.length + 1), 0, c);
        break;
      }
      node.value = mutate(node.value, rng);
      break;
    case 2: {
      // Copy another element (encoded first: it may be an ancestor).
      const other = rng.pick(nodes);
      const value = other.children ? encode(other.children) : other.value;
      node.tag = other.tag;
      node.value = value;
      delete node.children;
      break;
    }
    case 3:
      node.tag = rng.pick([
        0x01,
        0x02,
        0x03,
        0x04,
        0x05,
        0x06,
        0x0c,
        0x13,
        0x16,
        0x17,
        0x18,
        0x30,
        0x31,
        0x80,
        0x81,
        0x82,
        0x86,
        0x87,
        0xa0,
        0xa3,
      ]);
      break;
    default:
      delete node.children;
      node.value = mutate(node.value, rng);
  }
  return encode(root);
}
