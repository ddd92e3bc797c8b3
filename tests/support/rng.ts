/**
 * A small seeded PRNG (xorshift32) for fuzz and lossy-link tests, so that a
 * failing case is reproduced by its seed.
 *
 * @module
 */

/**
 * Deterministic pseudo-random numbers from a 32-bit seed.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "./rng.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SeededRandom(7).next(), new SeededRandom(7).next());
 * ```
 */
export class SeededRandom {
  #state: number;

  /** @param seed Any integer; 0 is replaced by a fixed non-zero value. */
  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  /** Next 32-bit unsigned value. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#state = x;
    return x;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }

  /** Random bytes of length `n`. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/**
 * Returns a mutated copy of `input`: bit flips, byte overwrites, truncation,
 * duplication of a slice, insertion of random bytes, or length-field
 * corruption, chosen by `rng`. Used by every decoder's fuzz test.
 *
 * @example
 * ```ts
 * import { mutate, SeededRandom } from "./rng.ts";
 * import assert from "node:assert/strict";
 *
 * const input = new Uint8Array([1, 2, 3, 4]);
 * assert.ok(mutate(input, new SeededRandom(1)) instanceof Uint8Array);
 * ```
 */
export function mutate(input: Uint8Array, rng: SeededRandom): Uint8Array {
  let out = input.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const pos = out.length === 0 ? 0 : rng.int(out.length);
    switch (rng.int(7)) {
      case 0:
        if (out.length) out[pos] = (out[pos] as number) ^ (1 << rng.int(8));
        break;
      case 1:
        if (out.length) out[pos] = rng.next() & 0xff;
        break;
      case 2:
        out = out.slice(0, pos);
        break;
      case 3: {
        const len = rng.int(Math.min(16, out.length - pos) + 1);
        const dup = out.slice(pos, pos + len);
        const next = new Uint8Array(out.length + dup.length);
        next.set(out.subarray(0, pos + len));
        next.set(dup, pos + len);
        next.set(out.subarray(pos + len), pos + 2 * len);
        out = next;
        break;
      }
      case 4: {
        const ins = rng.bytes(1 + rng.int(8));
        const next = new Uint8Array(out.length + ins.length);
        next.set(out.subarray(0, pos));
        next.set(ins, pos);
        next.set(out.subarray(pos), pos + ins.length);
        out = next;
        break;
      }
      case 5:
        if (out.length) {
          out[pos] = rng.pick([0x00, 0x7f, 0x80, 0x81, 0x82, 0xff]);
        }
        break;
      default:
        if (out.length > 1) {
          const end = pos + rng.int(out.length - pos);
          out = new Uint8Array([...out.subarray(0, pos), ...out.subarray(end)]);
        }
    }
  }
  return out;
}
