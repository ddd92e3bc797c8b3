/**
 * "Did you mean" suggestions for unknown configuration keys and variables,
 * by edit distance (Levenshtein with adjacent transpositions).
 *
 * @module
 */

/**
 * Edit distance between two strings: insertions, deletions, substitutions
 * and transpositions of adjacent characters each cost 1 (optimal string
 * alignment distance).
 *
 * @param a First string.
 * @param b Second string.
 * @returns The number of edits.
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(editDistance("bind", "bnd"), 1);
 * assert.equal(editDistance("CERT", "CRET"), 1);
 * assert.equal(editDistance("", "abc"), 3);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Uint32Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (d[(i - 2) * cols + j - 2] as number) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1] as number;
}

/**
 * The candidate closest to `input` (case-insensitively), if it is close
 * enough to be a plausible typo: at most a third of the input's length in
 * edits, and at least one edit allowed.
 *
 * @param input What was written.
 * @param candidates What is known.
 * @returns The suggestion, or `undefined` when nothing is close.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(suggest("proxy_protocl", ["proxy_protocol", "bind"]), "proxy_protocol");
 * assert.equal(suggest("zzz", ["proxy_protocol", "bind"]), undefined);
 * ```
 */
export function suggest(
  input: string,
  candidates: Iterable<string>,
): string | undefined {
  const needle = input.toLowerCase();
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The text appended to an "unknown key" message: ` (did you mean "x"?)`, or
 * the empty string when nothing is close.
 *
 * @param input What was written.
 * @param candidates What is known.
 * @returns The suffix.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(didYouMean("enabled", ["enable"]), ' (did you mean "enable"?)');
 * assert.equal(didYouMean("colour", ["size"]), "");
 * ```
 */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
): string {
  const hit = suggest(input, candidates);
  return hit === undefined ? "" : ` (did you mean "${hit}"?)`;
}
