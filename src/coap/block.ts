/**
 * Block-wise transfers (RFC 7959): the Block1/Block2 option value, slicing
 * a representation into blocks, and a bounded Block1 reassembler.
 *
 * ```
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 NUM                   |M| SZX |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Block size is 2^(SZX+4): 16…1024 bytes; SZX 7 is reserved (§2.2).
 *
 * @module
 */

import { Code } from "./codes.ts";
import { CoapError } from "./errors.ts";
import { decodeUint, encodeUint } from "./options.ts";

/**
 * A decoded Block1/Block2 value.
 *
 * @example
 * ```ts
 * import type { BlockValue } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * const b: BlockValue = { num: 2, more: true, szx: 2 };
 * assert.equal(b.szx, 2);
 * ```
 */
export interface BlockValue {
  /** Block number (20 bits). */
  readonly num: number;
  /** More blocks follow. */
  readonly more: boolean;
  /** Size exponent 0–6. */
  readonly szx: number;
}

/**
 * The block size of an SZX (RFC 7959 §2.2).
 *
 * @param szx 0–6.
 * @returns 16…1024.
 *
 * @example
 * ```ts
 * import { blockSize } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(blockSize(2), 64);
 * ```
 */
export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

/**
 * The SZX of a block size, rounded down to a power of two in 16…1024.
 *
 * @param size Bytes.
 * @returns The exponent.
 *
 * @example
 * ```ts
 * import { sizeToSzx } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sizeToSzx(1024), 6);
 * assert.equal(sizeToSzx(100), 2);
 * ```
 */
export function sizeToSzx(size: number): number {
  let szx = 0;
  while (szx < 6 && blockSize(szx + 1) <= size) szx++;
  return szx;
}

/**
 * Decodes a Block1/Block2 option value (RFC 7959 §2.2).
 *
 * @param bytes 0–3 bytes.
 * @returns The value.
 * @throws {CoapError} 4.00 for SZX 7 or a value over 3 bytes.
 *
 * @example
 * ```ts
 * import { decodeBlock } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeBlock(new Uint8Array([0x1a])), { num: 1, more: true, szx: 2 });
 * ```
 */
export function decodeBlock(bytes: Uint8Array): BlockValue {
  if (bytes.length > 3) {
    throw new CoapError(Code.BAD_REQUEST, "Block option longer than 3 bytes");
  }
  const v = decodeUint(bytes);
  const szx = v & 7;
  if (szx === 7) {
    // RFC 7959 §2.2: SZX 7 is reserved; a request carrying it is 4.00.
    throw new CoapError(Code.BAD_REQUEST, "Block option with reserved SZX 7");
  }
  return { num: v >>> 4, more: (v & 8) !== 0, szx };
}

/**
 * Encodes a Block1/Block2 option value.
 *
 * @param block The value.
 * @returns The option bytes (minimal length).
 *
 * @example
 * ```ts
 * import { encodeBlock } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeBlock({ num: 0, more: false, szx: 0 }), new Uint8Array());
 * assert.deepEqual(encodeBlock({ num: 1, more: true, szx: 2 }), new Uint8Array([0x1a]));
 * ```
 */
export function encodeBlock(block: BlockValue): Uint8Array {
  if (block.num < 0 || block.num >= 1 << 20 || block.szx < 0 || block.szx > 6) {
    throw new RangeError(`Cannot encode block ${JSON.stringify(block)}`);
  }
  return encodeUint(block.num * 16 + (block.more ? 8 : 0) + block.szx);
}

/**
 * Cuts block `num` of size 2^(szx+4) out of a representation (RFC 7959
 * §2.4).
 *
 * @param body The whole representation.
 * @param num Block number.
 * @param szx Size exponent.
 * @returns The block's bytes and whether more follow.
 * @throws {CoapError} 4.02 when the block starts past the end (§2.4 lets a
 *   server answer such a request with 4.02 Bad Option).
 *
 * @example
 * ```ts
 * import { sliceBlock } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * const s = sliceBlock(new Uint8Array(40), 1, 0);
 * assert.equal(s.payload.length, 16);
 * assert.equal(s.more, true);
 * ```
 */
export function sliceBlock(
  body: Uint8Array,
  num: number,
  szx: number,
): { payload: Uint8Array; more: boolean } {
  const size = blockSize(szx);
  const start = num * size;
  if (start >= body.length && !(start === 0 && body.length === 0)) {
    throw new CoapError(Code.BAD_OPTION, `Block ${num} is past the end`);
  }
  const end = Math.min(body.length, start + size);
  return { payload: body.subarray(start, end), more: end < body.length };
}

/**
 * Result of feeding one Block1 request into a {@link Block1Assembler}.
 *
 * @example
 * ```ts
 * import type { Block1Result } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * const r: Block1Result = { kind: "continue", block: { num: 0, more: true, szx: 2 } };
 * assert.equal(r.kind, "continue");
 * ```
 */
export type Block1Result =
  | { readonly kind: "continue"; readonly block: BlockValue }
  | {
    readonly kind: "complete";
    readonly block: BlockValue;
    readonly payload: Uint8Array;
  };

interface Assembly {
  parts: Uint8Array[];
  length: number;
  expiresAt: number;
}

/**
 * Reassembles Block1 requests per request key (peer, method, URI), bounded
 * in total size per body (→ 4.13 with Size1, RFC 7959 §2.9.3), in number of
 * concurrent bodies and in lifetime.
 *
 * @example
 * ```ts
 * import { Block1Assembler } from "./block.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new Block1Assembler({ maxBodySize: 1024 });
 * assert.equal(a.add(0, "k", { block: { num: 0, more: true, szx: 0 }, payload: new Uint8Array(16) }).kind, "continue");
 * const done = a.add(0, "k", { block: { num: 1, more: false, szx: 0 }, payload: new Uint8Array(3) });
 * assert.equal(done.kind === "complete" && done.payload.length, 19);
 * ```
 */
export class Block1Assembler {
  readonly #bodies = new Map<string, Assembly>();
  readonly #maxBodySize: number;
  readonly #maxBodies: number;
  readonly #lifetime: number;

  /**
   * @param options `maxBodySize` bytes per body, `maxBodies` concurrent
   *   bodies (default 64), `lifetimeMs` per body (default 247 000, the
   *   EXCHANGE_LIFETIME).
   */
  constructor(
    options: { maxBodySize: number; maxBodies?: number; lifetimeMs?: number },
  ) {
    this.#maxBodySize = options.maxBodySize;
    this.#maxBodies = options.maxBodies ?? 64;
    this.#lifetime = options.lifetimeMs ?? 247_000;
  }

  /** Bodies being reassembled. */
  get size(): number {
    return this.#bodies.size;
  }

  /** The largest reassembled body accepted, bytes. */
  get maxBodySize(): number {
    return this.#maxBodySize;
  }

  /**
   * Adds one block.
   *
   * @param now Current time, ms.
   * @param key Request key (peer + method + URI).
   * @param part The Block1 value and the request payload.
   * @returns Continue (send 2.31) or the complete body.
   * @throws {CoapError} 4.13 when the body grows past the bound, 4.08 for a
   *   block out of sequence (RFC 7959 §2.9.2), 4.00 for a wrong block size.
   */
  add(
    now: number,
    key: string,
    part: { block: BlockValue; payload: Uint8Array },
  ): Block1Result {
    this.#expire(now);
    const { block, payload } = part;
    const size = blockSize(block.szx);
    if (block.more && payload.length !== size) {
      // RFC 7959 §2.3: every block but the last carries exactly 2^(SZX+4).
      this.#bodies.delete(key);
      throw new CoapError(Code.BAD_REQUEST, "Block1 payload size mismatch");
    }
    let a = this.#bodies.get(key);
    if (block.num === 0) {
      a = { parts: [], length: 0, expiresAt: now + this.#lifetime };
      this.#bodies.delete(key);
    }
    const offset = block.num * size;
    if (a === undefined || offset !== a.length) {
      // RFC 7959 §2.9.2: 4.08 when blocks are missing or out of order.
      this.#bodies.delete(key);
      throw new CoapError(
        Code.REQUEST_ENTITY_INCOMPLETE,
        `Block1 ${block.num} out of sequence`,
      );
    }
    if (a.length + payload.length > this.#maxBodySize) {
      this.#bodies.delete(key);
      throw new CoapError(
        Code.REQUEST_ENTITY_TOO_LARGE,
        `Request body over ${this.#maxBodySize} bytes`,
      );
    }
    a.parts.push(payload.slice());
    a.length += payload.length;
    a.expiresAt = now + this.#lifetime;
    if (block.more) {
      if (!this.#bodies.has(key)) {
        while (this.#bodies.size >= this.#maxBodies) {
          const oldest = this.#bodies.keys().next().value;
          if (oldest === undefined) break;
          this.#bodies.delete(oldest);
        }
        this.#bodies.set(key, a);
      }
      return { kind: "continue", block };
    }
    this.#bodies.delete(key);
    const out = new Uint8Array(a.length);
    let at = 0;
    for (const p of a.parts) {
      out.set(p, at);
      at += p.length;
    }
    return { kind: "complete", block, payload: out };
  }

  #expire(now: number): void {
    for (const [k, a] of this.#bodies) {
      if (a.expiresAt <= now) this.#bodies.delete(k);
    }
  }
}
