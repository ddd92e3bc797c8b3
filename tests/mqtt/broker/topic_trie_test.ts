import assert from "node:assert/strict";
import { RetainedStore, TopicTrie } from "../../../src/mqtt/broker/mod.ts";
import { topicMatches } from "../../../src/mqtt/mod.ts";
import { SeededRandom } from "../../support/rng.ts";

function matches(trie: TopicTrie<string>, topic: string): string[] {
  const out: string[] = [];
  trie.match(topic, (v) => out.push(v));
  return out.sort();
}

Deno.test("TopicTrie.match() handles + and # per §4.7.1", () => {
  const trie = new TopicTrie<string>();
  for (const f of ["sport/#", "sport/+/player1", "+", "#", "a/+/+", "/+"]) {
    trie.add(f, "k", f);
  }
  assert.deepEqual(matches(trie, "sport"), ["#", "+", "sport/#"]); // [MQTT-4.7.1-2] parent level
  assert.deepEqual(matches(trie, "sport/tennis/player1"), [
    "#",
    "sport/#",
    "sport/+/player1",
  ]);
  assert.deepEqual(matches(trie, "a//"), ["#", "a/+/+"]);
  assert.deepEqual(matches(trie, "/x"), ["#", "/+"]);
});

Deno.test("TopicTrie.match() does not match $ topics with a leading wildcard [MQTT-4.7.2-1]", () => {
  const trie = new TopicTrie<string>();
  trie.add("#", "a", "#");
  trie.add("+/broker", "a", "+/broker");
  trie.add("$SYS/#", "a", "$SYS/#");
  assert.deepEqual(matches(trie, "$SYS/broker"), ["$SYS/#"]);
});

Deno.test("TopicTrie.remove() prunes and keeps other keys", () => {
  const trie = new TopicTrie<string>();
  trie.add("a/b", "1", "x");
  trie.add("a/b", "2", "y");
  assert.equal(trie.size, 2);
  assert.equal(trie.remove("a/b", "1"), true);
  assert.equal(trie.remove("a/b", "1"), false);
  assert.deepEqual(matches(trie, "a/b"), ["y"]);
  trie.remove("a/b", "2");
  assert.equal(trie.size, 0);
  assert.deepEqual(matches(trie, "a/b"), []);
});

Deno.test("TopicTrie.match() agrees with topicMatches() on random filters", () => {
  const rng = new SeededRandom(42);
  const levels = ["a", "b", "", "$x", "+", "#"];
  for (let round = 0; round < 200; round++) {
    const trie = new TopicTrie<string>();
    const filters: string[] = [];
    for (let i = 0; i < 8; i++) {
      const n = 1 + rng.int(3);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) {
        const l = rng.pick(levels);
        if (l === "#" && j !== n - 1) parts.push("+");
        else parts.push(l);
      }
      const f = parts.join("/");
      filters.push(f);
      trie.add(f, String(i), f);
    }
    const tlevels = ["a", "b", "", "$x"];
    const topic = Array.from(
      { length: 1 + rng.int(3) },
      () => rng.pick(tlevels),
    )
      .join("/");
    const expected = filters.filter((f) => topicMatches(f, topic)).sort();
    assert.deepEqual(matches(trie, topic), expected, `topic ${topic}`);
  }
});

Deno.test("RetainedStore.match() drops expired messages", () => {
  const store = new RetainedStore();
  store.set({
    topic: "a",
    payload: new Uint8Array([1]),
    qos: 0,
    retain: true,
    expiresAt: 1000,
  });
  assert.equal(store.match("#", 500).length, 1);
  assert.equal(store.match("a", 1000).length, 0);
  assert.equal(store.size, 0);
});
