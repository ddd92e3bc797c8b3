/**
 * A topic trie for subscription matching (MQTT 5.0 §4.7, 3.1.1 §4.7): one
 * node per filter level, with a map of literal children and separate `+`
 * and `#` children, so that matching a topic costs one map lookup per level
 * plus the wildcard branches, whatever the number of subscriptions.
 *
 * ```
 *  root ─ "sensors" ─ "+" ─ "temp"     sensors/+/temp
 *     │            └─ "#"              sensors/#
 *     └─ "#"                           #  (never matches "$SYS/...")
 * ```
 *
 * @module
 */

const DOLLAR = 0x24;

interface TrieNode<V> {
  parent: TrieNode<V> | undefined;
  level: string;
  children: Map<string, TrieNode<V>> | undefined;
  plus: TrieNode<V> | undefined;
  hash: TrieNode<V> | undefined;
  values: Map<string, V> | undefined;
}

function newNode<V>(
  parent: TrieNode<V> | undefined,
  level: string,
): TrieNode<V> {
  return {
    parent,
    level,
    children: undefined,
    plus: undefined,
    hash: undefined,
    values: undefined,
  };
}

function isEmpty<V>(node: TrieNode<V>): boolean {
  return (node.values === undefined || node.values.size === 0) &&
    (node.children === undefined || node.children.size === 0) &&
    node.plus === undefined && node.hash === undefined;
}

/**
 * Values stored under topic filters, each under a key (the client id), with
 * matching of topic names against all filters at once. `+` and `#` follow
 * §4.7.1; a filter starting with a wildcard does not match a topic starting
 * with `$` [MQTT-4.7.2-1]. Filters must already be valid.
 *
 * @example
 * ```ts
 * import { TopicTrie } from "./topic_trie.ts";
 * import assert from "node:assert/strict";
 *
 * const trie = new TopicTrie<string>();
 * trie.add("a/+/c", "client-1", "x");
 * trie.add("a/#", "client-2", "y");
 * trie.add("#", "client-3", "z");
 * const seen: string[] = [];
 * trie.match("a/b/c", (v) => seen.push(v));
 * assert.deepEqual(seen.sort(), ["x", "y", "z"]);
 * const sys: string[] = [];
 * trie.match("$SYS/x", (v) => sys.push(v));
 * assert.deepEqual(sys, []);
 * ```
 */
export class TopicTrie<V> {
  #root: TrieNode<V> = newNode<V>(undefined, "");
  #size = 0;

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.#size;
  }

  /**
   * Stores `value` under `filter` and `key`, replacing an existing one.
   *
   * @returns `true` when the (filter, key) pair is new.
   */
  add(filter: string, key: string, value: V): boolean {
    let node = this.#root;
    for (const level of filter.split("/")) {
      let next: TrieNode<V> | undefined;
      if (level === "+") {
        next = node.plus ??= newNode(node, level);
      } else if (level === "#") {
        next = node.hash ??= newNode(node, level);
      } else {
        node.children ??= new Map();
        next = node.children.get(level);
        if (next === undefined) {
          next = newNode(node, level);
          node.children.set(level, next);
        }
      }
      node = next;
    }
    node.values ??= new Map();
    const added = !node.values.has(key);
    node.values.set(key, value);
    if (added) this.#size++;
    return added;
  }

  /** The value under `filter` and `key`, if any. */
  get(filter: string, key: string): V | undefined {
    return this.#find(filter)?.values?.get(key);
  }

  /**
   * Removes the value under `filter` and `key`, pruning empty nodes.
   *
   * @returns `true` when something was removed.
   */
  remove(filter: string, key: string): boolean {
    const node = this.#find(filter);
    if (node?.values === undefined || !node.values.delete(key)) return false;
    this.#size--;
    let n: TrieNode<V> | undefined = node;
    while (n !== undefined && n.parent !== undefined && isEmpty(n)) {
      const parent: TrieNode<V> = n.parent;
      if (parent.plus === n) parent.plus = undefined;
      else if (parent.hash === n) parent.hash = undefined;
      else parent.children?.delete(n.level);
      n = parent;
    }
    return true;
  }

  /**
   * Calls `visit` once for every value whose filter matches `topic`.
   * `visit` must not modify the trie.
   */
  match(topic: string, visit: (value: V, key: string) => void): void {
    const levels = topic.split("/");
    const dollar = topic.charCodeAt(0) === DOLLAR;
    walk(this.#root, levels, 0, dollar, visit);
  }

  #find(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.#root;
    for (const level of filter.split("/")) {
      if (node === undefined) return undefined;
      node = level === "+"
        ? node.plus
        : level === "#"
        ? node.hash
        : node.children?.get(level);
    }
    return node;
  }
}

function visitAll<V>(
  values: Map<string, V> | undefined,
  visit: (value: V, key: string) => void,
): void {
  if (values === undefined) return;
  for (const [key, value] of values) visit(value, key);
}

function walk<V>(
  node: TrieNode<V>,
  levels: string[],
  i: number,
  dollar: boolean,
  visit: (value: V, key: string) => void,
): void {
  const wildcardOk = i > 0 || !dollar; // [MQTT-4.7.2-1]
  // "#" also matches the parent level: "a/#" matches "a" [MQTT-4.7.1-2]
  if (node.hash !== undefined && wildcardOk) visitAll(node.hash.values, visit);
  if (i === levels.length) {
    visitAll(node.values, visit);
    return;
  }
  const child = node.children?.get(levels[i] as string);
  if (child !== undefined) walk(child, levels, i + 1, dollar, visit);
  if (node.plus !== undefined && wildcardOk) {
    walk(node.plus, levels, i + 1, dollar, visit);
  }
}
