/**
 * Topic names, topic filters and shared subscriptions (MQTT 5.0 §4.7, §4.8;
 * MQTT 3.1.1 §4.7).
 *
 * - A topic name (what PUBLISH carries) is at least one character long
 *   [MQTT-4.7.3-1], has no wildcard [MQTT-4.7.1-1] and no U+0000
 *   [MQTT-4.7.3-2], and fits in 65,535 bytes [MQTT-4.7.3-3].
 * - A topic filter may use `+` for exactly one whole level [MQTT-4.7.1-3] and
 *   `#` only as the whole last level [MQTT-4.7.1-2].
 * - `$share/{ShareName}/{filter}` is a shared subscription: the share name is
 *   at least one character without `/`, `+` or `#`, followed by `/` and a
 *   topic filter [MQTT-4.8.2-1], [MQTT-4.8.2-2].
 * - Filters that start with a wildcard do not match topics that start with
 *   `$` [MQTT-4.7.2-1].
 *
 * @module
 */

const PLUS = 0x2b;
const HASH = 0x23;
const SLASH = 0x2f;
const DOLLAR = 0x24;
const SHARE_PREFIX = "$share/";

function byteLengthOver(text: string, max: number): boolean {
  if (text.length * 3 <= max) return false;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a surrogate pair is 4 bytes: 2 for each half
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n > max;
}

/**
 * Checks a topic name as PUBLISH, a will or a Response Topic carries it.
 *
 * @returns A description of the problem, or `undefined` when valid.
 *
 * @example
 * ```ts
 * import { validateTopicName } from "./topic.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateTopicName("sensors/1/temp"), undefined);
 * assert.equal(validateTopicName("sensors/+/temp"), "contains a wildcard");
 * ```
 */
export function validateTopicName(name: string): string | undefined {
  if (name.length === 0) return "is empty"; // [MQTT-4.7.3-1]
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === PLUS || c === HASH) return "contains a wildcard"; // [MQTT-4.7.1-1]
    if (c === 0) return "contains U+0000"; // [MQTT-4.7.3-2]
  }
  if (byteLengthOver(name, 65535)) return "is longer than 65535 bytes"; // [MQTT-4.7.3-3]
  return undefined;
}

function validatePlainFilter(filter: string, from: number): string | undefined {
  const n = filter.length;
  if (from >= n) return "is empty"; // [MQTT-4.7.3-1]
  for (let i = from; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === HASH) {
      // [MQTT-4.7.1-2] alone in the last level
      if (i !== n - 1) return "has '#' before the last level";
      if (i > from && filter.charCodeAt(i - 1) !== SLASH) {
        return "has '#' inside a level";
      }
    } else if (c === PLUS) {
      // [MQTT-4.7.1-3] a whole level
      if (i > from && filter.charCodeAt(i - 1) !== SLASH) {
        return "has '+' inside a level";
      }
      if (i < n - 1 && filter.charCodeAt(i + 1) !== SLASH) {
        return "has '+' inside a level";
      }
    } else if (c === 0) {
      return "contains U+0000"; // [MQTT-4.7.3-2]
    }
  }
  return undefined;
}

/**
 * Checks a topic filter as SUBSCRIBE and UNSUBSCRIBE carry it, including the
 * `$share/{ShareName}/{filter}` form.
 *
 * @returns A description of the problem, or `undefined` when valid.
 *
 * @example
 * ```ts
 * import { validateTopicFilter } from "./topic.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateTopicFilter("sensors/+/temp/#"), undefined);
 * assert.equal(validateTopicFilter("$share/g1/sensors/#"), undefined);
 * assert.equal(validateTopicFilter("sensors/#/temp"), "has '#' before the last level");
 * assert.equal(validateTopicFilter("$share/g+/x"), "has a wildcard in the share name");
 * ```
 */
export function validateTopicFilter(filter: string): string | undefined {
  if (byteLengthOver(filter, 65535)) return "is longer than 65535 bytes"; // [MQTT-4.7.3-3]
  if (!filter.startsWith(SHARE_PREFIX)) return validatePlainFilter(filter, 0);
  const slash = filter.indexOf("/", SHARE_PREFIX.length);
  if (slash === SHARE_PREFIX.length || filter.length === SHARE_PREFIX.length) {
    return "has an empty share name"; // [MQTT-4.8.2-1]
  }
  if (slash === -1) return "has no topic filter after the share name"; // [MQTT-4.8.2-2]
  for (let i = SHARE_PREFIX.length; i < slash; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS || c === HASH) return "has a wildcard in the share name"; // [MQTT-4.8.2-2]
    if (c === 0) return "contains U+0000";
  }
  const problem = validatePlainFilter(filter, slash + 1);
  return problem === "is empty"
    ? "has no topic filter after the share name"
    : problem;
}

/** A shared subscription split into its parts. */
export interface SharedSubscription {
  /** The ShareName (the group). */
  group: string;
  /** The topic filter matched for the group. */
  filter: string;
}

/**
 * Splits `$share/{group}/{filter}` into its parts. Check the filter with
 * {@link validateTopicFilter} first: this returns `undefined` for anything
 * that is not a well-formed shared subscription.
 *
 * @example
 * ```ts
 * import { parseSharedSubscription } from "./topic.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseSharedSubscription("$share/g1/a/+"), { group: "g1", filter: "a/+" });
 * assert.equal(parseSharedSubscription("a/+"), undefined);
 * ```
 */
export function parseSharedSubscription(
  filter: string,
): SharedSubscription | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const slash = filter.indexOf("/", SHARE_PREFIX.length);
  if (slash <= SHARE_PREFIX.length || slash === filter.length - 1) {
    return undefined;
  }
  return {
    group: filter.slice(SHARE_PREFIX.length, slash),
    filter: filter.slice(slash + 1),
  };
}

/**
 * Whether the topic filter `filter` matches the topic name `topic`
 * (§4.7.1): `+` matches one level (also an empty one), `#` the rest
 * including the parent level, and a filter that starts with a wildcard
 * does not match a topic that starts with `$` [MQTT-4.7.2-1]. `filter`
 * must be valid and not a shared subscription (pass its `filter` part);
 * it works level by level without allocating.
 *
 * @example
 * ```ts
 * import { topicMatches } from "./topic.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(topicMatches("sport/#", "sport"), true);
 * assert.equal(topicMatches("sport/+/player1", "sport/tennis/player1"), true);
 * assert.equal(topicMatches("+/monitor/Clients", "$SYS/monitor/Clients"), false);
 * assert.equal(topicMatches("$SYS/#", "$SYS/monitor/Clients"), true);
 * ```
 */
export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (tl > 0 && topic.charCodeAt(0) === DOLLAR) {
    const f0 = filter.charCodeAt(0);
    if (f0 === PLUS || f0 === HASH) return false; // [MQTT-4.7.2-1]
  }
  let fi = 0;
  let ti = 0;
  while (fi < fl) {
    const fc = filter.charCodeAt(fi);
    if (fc === HASH) return true; // the rest, parent level included
    if (fc === PLUS) {
      while (ti < tl && topic.charCodeAt(ti) !== SLASH) ti++;
      fi++;
      continue;
    }
    if (ti < tl && topic.charCodeAt(ti) === fc) {
      fi++;
      ti++;
      continue;
    }
    // "a/#" matches "a": the filter's "/#" tail at the end of the topic
    return ti === tl && fc === SLASH && fi + 2 === fl &&
      filter.charCodeAt(fi + 1) === HASH;
  }
  return ti === tl;
}
