import assert from "node:assert/strict";
import {
  Acl,
  type AclRule,
  AuthError,
  formatAclRule,
  parseAclRule,
  validateAclRule,
} from "../../src/auth/mod.ts";

function acl(rules: string[], subject = "u"): Acl {
  return new Acl(subject, rules.map(parseAclRule));
}

Deno.test("parseAclRule() reads permission, action and filter and formatAclRule() writes them back", () => {
  for (
    const text of [
      "allow publish a/b",
      "deny subscribe #",
      "allow all x/%u/%c/+",
    ]
  ) {
    assert.equal(formatAclRule(parseAclRule(text)), text);
  }
  assert.deepEqual(parseAclRule("  deny   all   a b  "), {
    permission: "deny",
    action: "all",
    topic: "a b",
  });
});

Deno.test("validateAclRule() refuses bad permissions, actions and filters", () => {
  const bad: AclRule[] = [
    { permission: "permit" as "allow", action: "all", topic: "a" },
    { permission: "allow", action: "read" as "all", topic: "a" },
    { permission: "allow", action: "all", topic: "" },
    { permission: "allow", action: "all", topic: "a/#/b" },
    { permission: "allow", action: "all", topic: "a+/b" },
    { permission: "allow", action: "all", topic: "$share/g/a" },
    { permission: "allow", action: "all", topic: "a\u0000" },
  ];
  for (const rule of bad) {
    assert.throws(
      () => validateAclRule(rule),
      (e) => e instanceof AuthError && e.code === "invalid_acl",
      JSON.stringify(rule),
    );
  }
  assert.throws(() => parseAclRule("allow publish"), AuthError);
});

Deno.test("Acl.allows() matches publish topics with + and #", () => {
  const a = acl([
    "allow publish a/+/c",
    "allow publish b/#",
    "allow publish +",
  ]);
  assert.equal(a.allows("publish", "a/x/c"), true);
  assert.equal(a.allows("publish", "a//c"), true);
  assert.equal(a.allows("publish", "a/x/y/c"), false);
  assert.equal(a.allows("publish", "b"), true);
  assert.equal(a.allows("publish", "b/x/y"), true);
  assert.equal(a.allows("publish", "top"), true);
  assert.equal(a.allows("publish", "top/level"), false);
});

Deno.test("Acl.allows() keeps wildcards away from $ topics", () => {
  const a = acl(["allow all #", "allow all +/x"]);
  assert.equal(a.allows("publish", "$SYS/x"), false);
  assert.equal(a.allows("subscribe", "$SYS/#"), false);
  const sys = acl(["allow subscribe $SYS/#", "deny subscribe #"]);
  assert.equal(sys.allows("subscribe", "$SYS/broker/uptime"), true);
  assert.equal(sys.allows("subscribe", "a"), false);
  const denyAll = acl(["deny subscribe #", "allow subscribe $SYS/+"]);
  assert.equal(denyAll.allows("subscribe", "$SYS/x"), true);
});

Deno.test("Acl.allows() grants a subscription only when an allow rule covers the whole filter", () => {
  const a = acl(["allow subscribe a/+/c", "allow subscribe b/#"]);
  assert.equal(a.allows("subscribe", "a/+/c"), true);
  assert.equal(a.allows("subscribe", "a/x/c"), true);
  assert.equal(a.allows("subscribe", "a/#"), false);
  assert.equal(a.allows("subscribe", "a/+/+"), false);
  assert.equal(a.allows("subscribe", "b/+/x"), true);
  assert.equal(a.allows("subscribe", "b/#"), true);
  assert.equal(a.allows("subscribe", "b"), true);
  assert.equal(a.allows("subscribe", "#"), false);
  assert.equal(a.allows("subscribe", "$share/group/b/x"), true);
  assert.equal(a.allows("subscribe", "$share/group"), false);
});

Deno.test("Acl.allows() refuses a subscription that overlaps a deny rule", () => {
  const a = acl(["deny subscribe a/+/secret", "allow subscribe #"]);
  assert.equal(a.allows("subscribe", "a/b/public"), true);
  assert.equal(a.allows("subscribe", "a/b/+"), false);
  assert.equal(a.allows("subscribe", "+/b/secret"), false);
  assert.equal(a.allows("subscribe", "a/#"), false);
  assert.equal(a.allows("subscribe", "#"), false);
  assert.equal(a.allows("subscribe", "a"), true);
  assert.equal(a.allows("subscribe", "a/b/secret/more"), true);
});

Deno.test("Acl.allows() applies the first matching rule and the action filter", () => {
  const a = acl([
    "allow publish x/1",
    "deny all x/+",
    "allow all x/#",
  ]);
  assert.equal(a.allows("publish", "x/1"), true);
  assert.equal(a.allows("subscribe", "x/1"), false);
  assert.equal(a.allows("publish", "x/2"), false);
  assert.equal(a.allows("publish", "x/2/3"), true);
  assert.equal(a.allows("publish", "y"), false);
});

Deno.test("Acl.allows() substitutes %u and %c within a level", () => {
  const a = acl(["allow publish dev-%u/%c-up"], "7");
  assert.equal(a.allows("publish", "dev-7/c1-up", { clientId: "c1" }), true);
  assert.equal(a.allows("publish", "dev-7/c2-up", { clientId: "c1" }), false);
  assert.equal(a.allows("publish", "dev-7/c1-up"), false);
  assert.deepEqual(a.rules, [parseAclRule("allow publish dev-%u/%c-up")]);
});

Deno.test("Acl applies its policy when no rule decides", () => {
  assert.equal(new Acl("u", []).allows("publish", "a"), true);
  assert.equal(
    new Acl("u", [], { noRules: "deny" }).allows("publish", "a"),
    false,
  );
  const rules = [parseAclRule("allow publish a")];
  assert.equal(new Acl("u", rules).allows("publish", "b"), false);
  assert.equal(
    new Acl("u", rules, { noMatch: "allow" }).allows("publish", "b"),
    true,
  );
});
