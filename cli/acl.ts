/**
 * `postern acl set|rm|ls|check`: per-subject topic ACLs, in Mosquitto and
 * EMQX terms. Rules are kept in the order given; the first that matches
 * decides. `%u` is the subject (device or user name), `%c` the client
 * identifier; subject `*` holds rules checked for every subject after its
 * own.
 *
 * @module
 */

import {
  type AclAction,
  type AclPermission,
  type AclRule,
  formatAclRule,
  parseAclRule,
} from "../src/auth/mod.ts";
import {
  CommandError,
  DATA_DIR_HELP,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
} from "./_store.ts";

const USAGE = `Usage: postern acl <command> [options]

Topic ACLs per device or user (the subject).

Commands:
  set SUBJECT RULE...    replace the rules of SUBJECT (* = every subject)
  rm SUBJECT             remove the rules of SUBJECT
  ls [SUBJECT]           list rules
  check SUBJECT ACTION TOPIC
                         tell whether SUBJECT may publish or subscribe

Run "postern acl <command> --help" for a command's options.`;

const SET_USAGE = `Usage: postern acl set SUBJECT RULE... [options]

Replaces the rules of SUBJECT, in the order given; the first rule that
matches a topic decides. Rules of "*" apply to every subject, after its own.
Filters may use + and #, %u (the subject) and %c (the client identifier).
With no rule at all, everything is allowed; with rules and none matching,
it is denied.
Rules:
  --allow-publish FILTER      --deny-publish FILTER
  --allow-subscribe FILTER    --deny-subscribe FILTER
  --allow FILTER              --deny FILTER        (publish and subscribe)
  --rule "allow|deny publish|subscribe|all FILTER"
Options:
${DATA_DIR_HELP}`;

const RM_USAGE = `Usage: postern acl rm SUBJECT [options]

Removes the rules of SUBJECT. Exits 1 if it had none.
Options:
${DATA_DIR_HELP}`;

const LS_USAGE = `Usage: postern acl ls [SUBJECT] [options]

Prints one line per rule: subject, permission, action, filter.
Options:
${DATA_DIR_HELP}`;

const CHECK_USAGE =
  `Usage: postern acl check SUBJECT publish|subscribe TOPIC [options]

Prints "allow" or "deny" for SUBJECT publishing to, or subscribing to,
TOPIC, as the broker decides it.
Options:
  --client-id ID  the client identifier, for %c
${DATA_DIR_HELP}`;

const RULE_OPTIONS: Record<string, [AclPermission, AclAction]> = {
  "allow-publish": ["allow", "publish"],
  "deny-publish": ["deny", "publish"],
  "allow-subscribe": ["allow", "subscribe"],
  "deny-subscribe": ["deny", "subscribe"],
  allow: ["allow", "all"],
  deny: ["deny", "all"],
};

/**
 * Runs `postern acl ARGS`.
 *
 * @param args The arguments after `acl`.
 * @param options IO and store.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { aclCommand } from "./acl.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const io = { env: {}, stdout: () => {}, stderr: () => {}, store };
 * const code = await aclCommand(
 *   ["set", "sensor-7", "--deny-publish", "sensors/%u/secret", "--allow-publish", "sensors/%u/#"],
 *   io,
 * );
 * assert.equal(code, 0);
 * assert.equal(await store.authorize("sensor-7", "publish", "sensors/sensor-7/t"), true);
 * assert.equal(await store.authorize("sensor-7", "publish", "sensors/sensor-7/secret"), false);
 * ```
 */
export async function aclCommand(
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  return await runStoreCommand(ACL_COMMAND, args, options);
}

const many = { type: "string", multiple: true } as const;

const set = storeSubcommand({
  usage: SET_USAGE,
  options: {
    "allow-publish": many,
    "deny-publish": many,
    "allow-subscribe": many,
    "deny-subscribe": many,
    allow: many,
    deny: many,
    rule: many,
  },
  required: "SUBJECT",
  max: 1,
  prepare({ positionals, tokens }, io) {
    const subject = positionals[0]!;
    const rules: AclRule[] = [];
    for (const token of tokens) {
      if (token.kind !== "option" || token.value === undefined) continue;
      if (token.name === "rule") rules.push(parseAclRule(token.value));
      const kind = RULE_OPTIONS[token.name];
      if (kind !== undefined) {
        rules.push({
          permission: kind[0],
          action: kind[1],
          topic: token.value,
        });
      }
    }
    if (rules.length === 0) {
      throw new UsageError(
        `give at least one rule; "postern acl rm ${subject}" removes the rules`,
        SET_USAGE,
      );
    }
    return async (store) => {
      await store.setAcl(subject, rules);
      io.stdout(
        `Set ${rules.length} rule${rules.length === 1 ? "" : "s"} for ${
          JSON.stringify(subject)
        }`,
      );
      return 0;
    };
  },
});

const rm = storeSubcommand({
  usage: RM_USAGE,
  prepare({ positionals }, io) {
    if (positionals.length !== 1) {
      throw new UsageError("give one SUBJECT", RM_USAGE);
    }
    const subject = positionals[0]!;
    return async (store) => {
      if ((await store.listAcl(subject)).length === 0) {
        throw new CommandError(`No ACL for ${JSON.stringify(subject)}`);
      }
      await store.setAcl(subject, []);
      io.stdout(`Removed the ACL of ${JSON.stringify(subject)}`);
      return 0;
    };
  },
});

const ls = storeSubcommand({
  usage: LS_USAGE,
  max: 1,
  prepare: ({ positionals }, io) => async (store) => {
    for (const entry of await store.listAcl(positionals[0])) {
      for (const rule of entry.rules) {
        io.stdout(`${entry.subject}\t${formatAclRule(rule)}`);
      }
    }
    return 0;
  },
});

const check = storeSubcommand({
  usage: CHECK_USAGE,
  options: { "client-id": { type: "string" } },
  prepare({ values, positionals }, io) {
    const [subject, action, topic, ...extra] = positionals;
    if (topic === undefined || extra.length > 0) {
      throw new UsageError("give SUBJECT, ACTION and TOPIC", CHECK_USAGE);
    }
    if (action !== "publish" && action !== "subscribe") {
      throw new UsageError(
        `ACTION must be publish or subscribe, got "${action}"`,
        CHECK_USAGE,
      );
    }
    const clientId = values["client-id"];
    return async (store) => {
      const allowed = await store.authorize(
        subject!,
        action,
        topic,
        clientId === undefined ? {} : { clientId },
      );
      io.stdout(allowed ? "allow" : "deny");
      return 0;
    };
  },
});

const ACL_COMMAND: StoreCommandSpec = {
  name: "acl",
  usage: USAGE,
  subcommands: { set, rm, ls, check },
};
