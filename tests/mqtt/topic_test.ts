import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseSharedSubscription,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from "../../src/mqtt/mod.ts";

Deno.test("validateTopicName() accepts names and refuses wildcards, empty and U+0000", () => {
  for (
    const ok of ["a", "/", "a/b/c", "/finance", "$SYS/x", "a//b", " ", "é/😀"]
  ) {
    assert.equal(validateTopicName(ok), undefined, ok);
  }
  assert.equal(validateTopicName(""), "is empty"); // [MQTT-4.7.3-1]
  assert.equal(validateTopicName("a/+"), "contains a wildcard"); // [MQTT-4.7.1-1]
  assert.equal(validateTopicName("a#"), "contains a wildcard");
  assert.equal(validateTopicName("a\0"), "contains U+0000"); // [MQTT-4.7.3-2]
  assert.equal(
    validateTopicName("é".repeat(32768)),
    "is longer than 65535 bytes",
  ); // [MQTT-4.7.3-3]
  assert.equal(validateTopicName("a".repeat(65535)), undefined);
});

Deno.test("validateTopicFilter() follows the wildcard rules of §4.7.1", () => {
  const valid = [
    "#",
    "+",
    "+/+",
    "/+",
    "sport/#",
    "sport/tennis/#",
    "sport/+/player1",
    "+/tennis/#",
    "a//b",
    "$SYS/#",
    "$share/g/a/#",
    "$share/g/+",
    "$share/g//",
    "$share",
    "$sharex/a",
  ];
  for (const f of valid) assert.equal(validateTopicFilter(f), undefined, f);
  const invalid: [string, string][] = [
    ["", "is empty"],
    ["sport/tennis#", "has '#' inside a level"], // [MQTT-4.7.1-2]
    ["sport/tennis/#/ranking", "has '#' before the last level"],
    ["sport+", "has '+' inside a level"], // [MQTT-4.7.1-3]
    ["+sport", "has '+' inside a level"],
    ["a/b+/c", "has '+' inside a level"],
    ["a\0", "contains U+0000"],
    ["$share/", "has an empty share name"], // [MQTT-4.8.2-1]
    ["$share//a", "has an empty share name"],
    ["$share/g", "has no topic filter after the share name"], // [MQTT-4.8.2-2]
    ["$share/g/", "has no topic filter after the share name"],
    ["$share/g+/a", "has a wildcard in the share name"],
    ["$share/#/a", "has a wildcard in the share name"],
    ["$share/g/a#", "has '#' inside a level"],
  ];
  for (const [f, problem] of invalid) {
    assert.equal(validateTopicFilter(f), problem, f);
  }
});

Deno.test("parseSharedSubscription() splits group and filter", () => {
  assert.deepEqual(parseSharedSubscription("$share/consumer1/sport/tennis/+"), {
    group: "consumer1",
    filter: "sport/tennis/+",
  });
  assert.deepEqual(parseSharedSubscription("$share/g//"), {
    group: "g",
    filter: "/",
  });
  for (
    const f of [
      "sport/#",
      "$share",
      "$share/",
      "$share//a",
      "$share/g",
      "$share/g/",
    ]
  ) {
    assert.equal(parseSharedSubscription(f), undefined, f);
  }
});

Deno.test("topicMatches() follows the examples of §4.7", () => {
  const cases: [string, string, boolean][] = [
    // §4.7.1.2 multi-level wildcard
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/#", "sport", true],
    ["#", "sport/tennis", true],
    ["#", "/", true],
    // §4.7.1.3 single-level wildcard
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player2", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["+/tennis/#", "sport/tennis/x", true],
    // §4.7.2 topics beginning with $ [MQTT-4.7.2-1]
    ["#", "$SYS/monitor/Clients", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["$SYS/#", "$SYS/monitor/Clients", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    // literal levels
    ["a/b", "a/b", true],
    ["a/b", "a/bc", false],
    ["a/b", "a", false],
    ["a", "a/b", false],
    ["a/#", "ab", false],
    ["a//b", "a//b", true],
    ["a/+/b", "a//b", true],
  ];
  for (const [filter, topic, expected] of cases) {
    assert.equal(
      topicMatches(filter, topic),
      expected,
      `${filter} vs ${topic}`,
    );
  }
});

function referenceMatch(filter: string, topic: string): boolean {
  if (
    topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))
  ) {
    return false;
  }
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

Deno.test("topicMatches() agrees with a split-based reference", () => {
  const level = fc.constantFrom("a", "b", "ab", "", "$x");
  const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) =>
    l.join("/")
  )
    .filter((t) => t.length > 0);
  const filterLevel = fc.constantFrom("a", "b", "ab", "", "+", "$x");
  const filter = fc.tuple(
    fc.array(filterLevel, { minLength: 1, maxLength: 5 }),
    fc.boolean(),
  ).map(([levels, hash]) =>
    hash ? [...levels, "#"].join("/") : levels.join("/")
  )
    .filter((f) => f.length > 0 && validateTopicFilter(f) === undefined);
  fc.assert(
    fc.property(
      filter,
      topic,
      (f, t) => topicMatches(f, t) === referenceMatch(f, t),
    ),
    { numRuns: 2000, seed: 42 },
  );
});
