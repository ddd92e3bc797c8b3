/**
 * Glue for the platform APIs: Deno's `node:crypto` returns Node `Buffer`s,
 * which must not leak out of `src/crypto`, and WebCrypto wants
 * `ArrayBuffer`-backed views.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { HashAlgorithm } from "./hash.ts";

/**
 * A Node `Buffer` as a plain `Uint8Array`. Small Buffers are slices of a
 * shared pool, whose other bytes may belong to other secrets: those are
 * copied, Buffers that own their whole `ArrayBuffer` are only re-viewed.
 */
export function fromBuffer(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) {
    return new Uint8Array(buf.buffer, 0, buf.length);
  }
  return new Uint8Array(buf);
}

/** Concatenates the `update()` and `final()` outputs of a node cipher. */
export function joinBuffers(a: Buffer, b: Buffer): Uint8Array {
  if (b.length === 0) return fromBuffer(a);
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const NODE_HASH_NAMES: Record<HashAlgorithm, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** Node's name for `alg`, for `createHash`, `createHmac` and `pbkdf2Sync`. */
export function nodeHashName(alg: HashAlgorithm): string {
  const name = NODE_HASH_NAMES[alg];
  if (name === undefined) {
    throw new TypeError(`Cannot hash: unsupported algorithm ${String(alg)}`);
  }
  return name;
}

/**
 * The same bytes typed as `Uint8Array<ArrayBuffer>`, which WebCrypto's
 * `BufferSource` requires; copies only views of a `SharedArrayBuffer`.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
    : bytes.slice();
}
