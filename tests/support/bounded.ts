/**
 * Bounds a wait in a test, so that a peer that never answers fails the
 * test instead of hanging it.
 *
 * @module
 */

/**
 * `promise`, or a rejection naming `what` after `ms`.
 *
 * @example
 * ```ts
 * import { bounded } from "./bounded.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await bounded(Promise.resolve(1), 100, "one"), 1);
 * await assert.rejects(
 *   bounded(new Promise(() => {}), 10, "nothing"),
 *   /timed out after 10 ms waiting for nothing/,
 * );
 * ```
 */
export async function bounded<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
