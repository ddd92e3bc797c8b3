/**
 * `postern user add|rm|ls`: MQTT users with passwords.
 *
 * A password is never an argument (it would show in `ps` and shell
 * history): `add` reads it from the first line of standard input, or, on
 * a terminal, asks twice without echo. It is stored as a salted
 * PBKDF2-HMAC-SHA256 hash and never printed.
 *
 * @module
 */

import {
  CommandError,
  DATA_DIR_HELP,
  readPassword,
  removeEach,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
} from "./_store.ts";

const USAGE = `Usage: postern user <command> [options]

MQTT users with passwords.

Commands:
  add NAME    add a user; the password comes from standard input or a prompt
  rm NAME...  remove users
  ls          list user names

Run "postern user <command> --help" for a command's options.`;

const ADD_USAGE = `Usage: postern user add NAME [options]

Adds the user NAME. The password is the first line of standard input
(echo "$PW" | postern user add NAME), or, on a terminal, typed twice
without echo. It is stored as a salted PBKDF2-HMAC-SHA256 hash.
Options:
  --force         replace the password of an existing user
${DATA_DIR_HELP}`;

const RM_USAGE = `Usage: postern user rm NAME... [options]

Removes users; the broker ends their sessions within a second.
Exits 1 if one of them was not there.
Options:
${DATA_DIR_HELP}`;

const LS_USAGE = `Usage: postern user ls [options]

Prints the user names, one per line, sorted.
Options:
${DATA_DIR_HELP}`;

/**
 * Runs `postern user ARGS`.
 *
 * @param args The arguments after `user`.
 * @param options IO and store.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { userCommand } from "./user.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore({ passwordIterations: 1000 });
 * const io = {
 *   env: {},
 *   stdout: () => {},
 *   stderr: () => {},
 *   stdinIsTerminal: () => false,
 *   readStdin: () => Promise.resolve("s3cret\n"),
 *   store,
 * };
 * assert.equal(await userCommand(["add", "alice"], io), 0);
 * assert.equal((await store.verifyPassword("alice", "s3cret"))?.subject, "alice");
 * ```
 */
export async function userCommand(
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  return await runStoreCommand(USER_COMMAND, args, options);
}

const add = storeSubcommand({
  usage: ADD_USAGE,
  options: { force: { type: "boolean" } },
  required: "NAME",
  prepare({ values, positionals }, io) {
    const name = positionals[0]!;
    if (positionals.length > 1) {
      throw new UsageError(
        "unexpected argument after NAME; the password is read from standard input, never taken as an argument",
        ADD_USAGE,
      );
    }
    return async (store) => {
      if (!values.force && (await store.listUsers()).includes(name)) {
        throw new CommandError(
          `User ${
            JSON.stringify(name)
          } exists; use --force to replace the password`,
        );
      }
      await store.addUser(name, await readPassword(io));
      io.stdout(`Added user ${JSON.stringify(name)}`);
      return 0;
    };
  },
});

const rm = storeSubcommand({
  usage: RM_USAGE,
  required: "NAME",
  prepare: ({ positionals }, io) => (store) =>
    removeEach(positionals, {
      command: "user rm",
      io,
      remove: async (name) =>
        await store.removeUser(name)
          ? `Removed user ${JSON.stringify(name)}`
          : undefined,
      missing: (name) => `No user ${JSON.stringify(name)}`,
    }),
});

const ls = storeSubcommand({
  usage: LS_USAGE,
  max: 0,
  prepare: (_args, io) => async (store) => {
    for (const name of await store.listUsers()) io.stdout(name);
    return 0;
  },
});

const USER_COMMAND: StoreCommandSpec = {
  name: "user",
  usage: USAGE,
  subcommands: { add, rm, ls },
};
