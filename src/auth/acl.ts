/**
 * Topic ACLs, as Mosquitto's `acl_file` and EMQX's file authorization
 * express them: per subject, an ordered list of rules
 * `allow|deny publish|subscribe|all FILTER`, where the filter may use the
 * MQTT wildcards `+` and `#` and the placeholders `%u` (the subject: device
 * or user name) and `%c` (the client identifier). The first rule that
 * matches decides.
 *
 * A subject's rules come first, then the rules stored for `*`, which apply
 * to every subject (Mosquitto's `pattern` lines). With no rule at all the
 * {@link AclPolicy} `noRules` decision applies (default allow, so that a
 * store without ACLs lets everyone in); with rules but none matching,
 * `noMatch` applies (default deny, as Mosquitto).
 *
 * Security:
 * - Subscribing is allowed only by an allow rule whose filter covers every
 *   topic the requested filter can match (`a/#` covers `a/+/b`; `a/+` does
 *   not cover `a/#`), and denied by a deny rule whose filter shares any
 *   topic with it (deny `a/secret` refuses `a/#`).
 * - Placeholders are filled in as literal text: `+` or `#` in a user name
 *   or client identifier is never a wildcard (Mosquitto refuses such names
 *   for pattern rules; here they simply match only themselves), and a `/`
 *   in it spans levels literally. A missing value (`%c` without a client
 *   identifier) makes an allow rule match nothing and a deny rule match
 *   every topic from that level on, so an unknown value never widens
 *   access.
 * - A filter starting with a wildcard does not match topics starting with
 *   `$` [MQTT-4.7.2-1], on both sides.
 *
 * @example
 * ```ts
 * import { Acl } from "./acl.ts";
 * import assert from "node:assert/strict";
 *
 * const acl = new Acl("sensor-7", [
 *   { permission: "deny", action: "all", topic: "sensors/+/secret" },
 *   { permission: "allow", action: "publish", topic: "sensors/%u/#" },
 *   { permission: "allow", action: "subscribe", topic: "commands/%c" },
 * ]);
 * assert.equal(acl.allows("publish", "sensors/sensor-7/temp"), true);
 * assert.equal(acl.allows("publish", "sensors/sensor-7/secret"), false);
 * assert.equal(acl.allows("publish", "sensors/sensor-8/temp"), false);
 * assert.equal(acl.allows("subscribe", "commands/c-1", { clientId: "c-1" }), true);
 * ```
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import { parseSharedSubscription, validateTopicFilter } from "../mqtt/topic.ts";

/**
 * Whether a rule allows or denies.
 *
 * @example
 * ```ts
 * import type { AclPermission } from "./acl.ts";
 *
 * const permission: AclPermission = "deny";
 * ```
 */
export type AclPermission = "allow" | "deny";

/**
 * What a rule is about: `publish`, `subscribe` or both (`all`).
 *
 * @example
 * ```ts
 * import type { AclAction } from "./acl.ts";
 *
 * const action: AclAction = "all";
 * ```
 */
export type AclAction = "publish" | "subscribe" | "all";

/**
 * One ACL rule.
 *
 * @example
 * ```ts
 * import type { AclRule } from "./acl.ts";
 *
 * const rule: AclRule = { permission: "allow", action: "subscribe", topic: "devices/%u/#" };
 * ```
 */
export interface AclRule {
  /** Allow or deny. */
  readonly permission: AclPermission;
  /** Publish, subscribe or both. */
  readonly action: AclAction;
  /** An MQTT topic filter with optional `%u` / `%c` placeholders. */
  readonly topic: string;
}

/**
 * The decision when no rule decides.
 *
 * @example
 * ```ts
 * import type { AclPolicy } from "./acl.ts";
 *
 * const strict: AclPolicy = { noRules: "deny", noMatch: "deny" };
 * ```
 */
export interface AclPolicy {
  /** When neither the subject nor `*` has a rule (default `allow`). */
  noRules?: AclPermission;
  /** When rules exist but none matches (default `deny`). */
  noMatch?: AclPermission;
}

/**
 * Checks an ACL rule and returns it in canonical form (a fresh object with
 * just the three fields).
 *
 * @param rule A rule from a user or the store.
 * @returns The rule.
 * @throws {AuthError} `invalid_acl` for an unknown permission or action or
 * an invalid topic filter.
 *
 * @example
 * ```ts
 * import { validateAclRule } from "./acl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   validateAclRule({ permission: "allow", action: "all", topic: "a/%u/#" }),
 *   { permission: "allow", action: "all", topic: "a/%u/#" },
 * );
 * assert.throws(() => validateAclRule({ permission: "allow", action: "all", topic: "a/#/b" }));
 * ```
 */
export function validateAclRule(rule: AclRule): AclRule {
  const { permission, action, topic } = rule;
  if (permission !== "allow" && permission !== "deny") {
    throw new AuthError(
      "invalid_acl",
      `Invalid ACL permission ${JSON.stringify(permission)}: use allow or deny`,
    );
  }
  if (action !== "publish" && action !== "subscribe" && action !== "all") {
    throw new AuthError(
      "invalid_acl",
      `Invalid ACL action ${
        JSON.stringify(action)
      }: use publish, subscribe or all`,
    );
  }
  if (typeof topic !== "string") {
    throw new AuthError("invalid_acl", "Invalid ACL topic: not a string");
  }
  if (topic.startsWith("$share/")) {
    throw new AuthError(
      "invalid_acl",
      `Invalid ACL topic ${
        JSON.stringify(topic)
      }: name the filter without $share/GROUP/`,
    );
  }
  const problem = validateTopicFilter(topic.replaceAll(/%[uc]/g, "x"));
  if (problem !== undefined) {
    throw new AuthError(
      "invalid_acl",
      `Invalid ACL topic ${JSON.stringify(topic)}: ${problem}`,
    );
  }
  return { permission, action, topic };
}

/**
 * Reads a rule written as `allow|deny publish|subscribe|all FILTER`, the
 * form `postern acl ls` prints.
 *
 * @param text The rule.
 * @returns The rule.
 * @throws {AuthError} `invalid_acl` when malformed.
 *
 * @example
 * ```ts
 * import { formatAclRule, parseAclRule } from "./acl.ts";
 * import assert from "node:assert/strict";
 *
 * const rule = parseAclRule("deny subscribe secrets/#");
 * assert.deepEqual(rule, { permission: "deny", action: "subscribe", topic: "secrets/#" });
 * assert.equal(formatAclRule(rule), "deny subscribe secrets/#");
 * ```
 */
export function parseAclRule(text: string): AclRule {
  const match = /^\s*(\S+)\s+(\S+)\s+(\S.*?)\s*$/.exec(text);
  if (match === null) {
    throw new AuthError(
      "invalid_acl",
      `Invalid ACL rule ${
        JSON.stringify(text)
      }: use allow|deny publish|subscribe|all FILTER`,
    );
  }
  return validateAclRule({
    permission: match[1] as AclPermission,
    action: match[2] as AclAction,
    topic: match[3]!,
  });
}

/**
 * Formats a rule as `permission action topic`.
 *
 * @param rule A rule.
 * @returns Its text form.
 *
 * @example
 * ```ts
 * import { formatAclRule } from "./acl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAclRule({ permission: "allow", action: "all", topic: "#" }), "allow all #");
 * ```
 */
export function formatAclRule(rule: AclRule): string {
  return `${rule.permission} ${rule.action} ${rule.topic}`;
}

/**
 * The rules that apply to one subject, with synchronous checks for the
 * broker's publish and subscribe paths.
 *
 * @example
 * ```ts
 * import { Acl } from "./acl.ts";
 * import assert from "node:assert/strict";
 *
 * const open = new Acl("anyone", []);
 * assert.equal(open.allows("subscribe", "#"), true);
 * const closed = new Acl("anyone", [], { noRules: "deny" });
 * assert.equal(closed.allows("subscribe", "#"), false);
 * ```
 */
export class Acl {
  /** The subject the rules are checked for (`%u`). */
  readonly subject: string;
  #rules: readonly CompiledRule[];
  #noRules: boolean;
  #noMatch: boolean;

  /**
   * Compiles the rules for a subject.
   *
   * @param subject The subject (`%u`).
   * @param rules Its rules then the `*` rules, in order; validated.
   * @param policy Decisions when no rule decides.
   * @throws {AuthError} `invalid_acl` for an invalid rule.
   */
  constructor(
    subject: string,
    rules: readonly AclRule[],
    policy: AclPolicy = {},
  ) {
    this.subject = subject;
    this.#rules = rules.map((r) => compileRule(validateAclRule(r)));
    this.#noRules = (policy.noRules ?? "allow") === "allow";
    this.#noMatch = (policy.noMatch ?? "deny") === "allow";
  }

  /** The rules, in order. */
  get rules(): AclRule[] {
    return this.#rules.map((r) => r.rule);
  }

  /**
   * Whether the subject may publish to a topic name or subscribe to a
   * topic filter (`$share/GROUP/` is checked as the filter after it).
   *
   * @param action `publish` or `subscribe`.
   * @param topic A topic name (publish) or filter (subscribe), assumed
   *   valid: the broker validates before it authorizes.
   * @param options The client identifier for `%c`.
   * @returns Whether it is allowed.
   *
   * @example
   * ```ts
   * import { Acl } from "./acl.ts";
   * import assert from "node:assert/strict";
   *
   * const acl = new Acl("u", [{ permission: "allow", action: "subscribe", topic: "a/#" }]);
   * assert.equal(acl.allows("subscribe", "$share/g/a/+/b"), true);
   * assert.equal(acl.allows("subscribe", "#"), false);
   * assert.equal(acl.allows("publish", "a/b"), false);
   * ```
   */
  allows(
    action: "publish" | "subscribe",
    topic: string,
    options: { clientId?: string } = {},
  ): boolean {
    if (this.#rules.length === 0) return this.#noRules;
    let target = topic;
    if (action === "subscribe" && topic.startsWith("$share/")) {
      const shared = parseSharedSubscription(topic);
      if (shared === undefined) return false;
      target = shared.filter;
    }
    const levels = target.split("/").map(wildOf);
    for (const compiled of this.#rules) {
      const { rule } = compiled;
      if (rule.action !== "all" && rule.action !== action) continue;
      const deny = rule.permission === "deny";
      const pattern = substitute(compiled, {
        u: this.subject,
        c: options.clientId,
      }, deny);
      if (pattern === undefined) continue;
      const hit = action === "subscribe" && deny
        ? filtersIntersect(pattern, levels)
        : filterCovers(pattern, levels);
      if (hit) return !deny;
    }
    return this.#noMatch;
  }
}

/** A wildcard level, as opposed to a literal level that happens to read `+` or `#`. */
const ONE = Symbol("+");
const ALL = Symbol("#");
type Level = string | typeof ONE | typeof ALL;

function wildOf(level: string): Level {
  return level === "+" ? ONE : level === "#" ? ALL : level;
}

interface CompiledRule {
  readonly rule: AclRule;
  readonly levels: readonly Level[];
  readonly placeholders: boolean;
}

function compileRule(rule: AclRule): CompiledRule {
  return {
    rule,
    levels: rule.topic.split("/").map(wildOf),
    placeholders: /%[uc]/.test(rule.topic),
  };
}

/**
 * The rule's levels with placeholders filled in as literal text (a value
 * holding `/` spans levels, `+` and `#` in it are not wildcards). A missing
 * value makes an allow rule match nothing (`undefined`) and a deny rule
 * match everything from that level on.
 */
function substitute(
  compiled: CompiledRule,
  values: { u: string; c: string | undefined },
  deny: boolean,
): readonly Level[] | undefined {
  if (!compiled.placeholders) return compiled.levels;
  const out: Level[] = [];
  for (const level of compiled.levels) {
    if (typeof level !== "string" || !/%[uc]/.test(level)) {
      out.push(level);
      continue;
    }
    let missing = false;
    const filled = level.replaceAll(/%([uc])/g, (_, p: "u" | "c") => {
      const value = values[p];
      if (value === undefined) missing = true;
      return value ?? "";
    });
    if (missing) {
      if (!deny) return undefined;
      out.push(ALL);
      return out;
    }
    out.push(...filled.split("/"));
  }
  return out;
}

function isDollar(level: Level | undefined): boolean {
  return typeof level === "string" && level.startsWith("$");
}

function isWild(level: Level | undefined): boolean {
  return level === ONE || level === ALL;
}

/** [MQTT-4.7.2-1]: a leading wildcard does not match a leading `$` level. */
function dollarBlocked(a: readonly Level[], b: readonly Level[]): boolean {
  return (isWild(a[0]) && isDollar(b[0])) || (isWild(b[0]) && isDollar(a[0]));
}

/** Whether every topic matched by `requested` is matched by `acl`. */
function filterCovers(
  acl: readonly Level[],
  requested: readonly Level[],
): boolean {
  if (dollarBlocked(acl, requested)) return false;
  for (let i = 0;; i++) {
    const a = acl[i];
    const r = requested[i];
    if (a === ALL) return true;
    if (r === undefined) return a === undefined;
    if (a === undefined || r === ALL) return false;
    if (r === ONE) {
      if (a !== ONE) return false;
      continue;
    }
    if (a !== ONE && a !== r) return false;
  }
}

/** Whether some topic is matched by both filters. */
function filtersIntersect(
  acl: readonly Level[],
  requested: readonly Level[],
): boolean {
  if (dollarBlocked(acl, requested)) return false;
  for (let i = 0;; i++) {
    const a = acl[i];
    const r = requested[i];
    if (a === ALL || r === ALL) return true;
    if (a === undefined || r === undefined) return a === r;
    if (a === ONE || r === ONE) continue;
    if (a !== r) return false;
  }
}
