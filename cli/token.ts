/**
 * `postern token add|rm|ls`: ThingsBoard-style access tokens (the MQTT
 * user name of a device, or the CoAP path token).
 *
 * The store keeps only a token's SHA-256: a token is printed once, by
 * `add`, alone on standard output; `ls` prints its id, device and first
 * four characters.
 *
 * @module
 */

import {
  CommandError,
  DATA_DIR_HELP,
  readStdinLine,
  removeEach,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
} from "./_store.ts";

const USAGE = `Usage: postern token <command> [options]

Device access tokens (ThingsBoard style).

Commands:
  add DEVICE          add a token for a device and print it once
  rm TOKEN|ID...      remove tokens by value or by the id "ls" prints
  ls                  list tokens: id, device, first characters

Run "postern token <command> --help" for a command's options.`;

const ADD_USAGE =
  `Usage: postern token add DEVICE [--token TOKEN | --token -] [options]

Adds an access token for DEVICE and prints it, alone on standard output.
It is stored as its SHA-256 and cannot be shown again.
Options:
  --token TOKEN   use this token instead of a random 20-character one
  --token -       read the token from the first line of standard input
${DATA_DIR_HELP}`;

const RM_USAGE = `Usage: postern token rm TOKEN|ID... [options]
       postern token rm --device DEVICE [options]

Removes tokens, given by value or by the id "postern token ls" prints, or
every token of a device; the broker ends their sessions within a second.
Exits 1 if one of them was not there.
Options:
  --device DEVICE remove every token of DEVICE
${DATA_DIR_HELP}`;

const LS_USAGE = `Usage: postern token ls [--device DEVICE] [options]

Prints one line per token: id, device, and its first characters.
Options:
  --device DEVICE only this device's tokens
${DATA_DIR_HELP}`;

/**
 * Runs `postern token ARGS`.
 *
 * @param args The arguments after `token`.
 * @param options IO and store.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { tokenCommand } from "./token.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const out: string[] = [];
 * const io = { env: {}, stdout: (t: string) => out.push(t), stderr: () => {}, store };
 * assert.equal(await tokenCommand(["add", "thermostat"], io), 0);
 * const token = out[0]!;
 * assert.equal((await store.verifyToken(token))?.subject, "thermostat");
 * assert.equal(await tokenCommand(["rm", token], io), 0);
 * ```
 */
export async function tokenCommand(
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  return await runStoreCommand(TOKEN_COMMAND, args, options);
}

const add = storeSubcommand({
  usage: ADD_USAGE,
  options: { token: { type: "string" } },
  required: "DEVICE",
  max: 1,
  async prepare({ values, positionals }, io) {
    const device = positionals[0]!;
    const given = values.token === "-"
      ? (await readStdinLine(io, "token")).trim()
      : values.token;
    return async (store) => {
      const { token, info } = await store.addToken(device, given);
      io.stdout(token);
      io.stderr(
        `Added access token ${info.id} for device ${
          JSON.stringify(device)
        }; it is not shown again`,
      );
      return 0;
    };
  },
});

const rm = storeSubcommand({
  usage: RM_USAGE,
  options: { device: { type: "string" } },
  prepare({ values, positionals }, io) {
    if ((positionals.length === 0) === (values.device === undefined)) {
      throw new UsageError("give TOKEN|ID... or --device DEVICE", RM_USAGE);
    }
    const device = values.device;
    if (device === undefined) {
      return (store) =>
        removeEach(positionals, {
          command: "token rm",
          io,
          async remove(ref) {
            const id = (await store.verifyToken(ref))?.credentialId ?? ref;
            return await store.removeToken(ref)
              ? `Removed access token ${id}`
              : undefined;
          },
          missing: (ref) => `No access token ${JSON.stringify(ref)}`,
        });
    }
    return async (store) => {
      const ids = (await store.listTokens()).filter((t) => t.device === device)
        .map((t) => t.id);
      if (ids.length === 0) {
        throw new CommandError(
          `No access token for device ${JSON.stringify(device)}`,
        );
      }
      for (const id of ids) {
        await store.removeToken(id);
        io.stdout(`Removed access token ${id}`);
      }
      return 0;
    };
  },
});

const ls = storeSubcommand({
  usage: LS_USAGE,
  options: { device: { type: "string" } },
  max: 0,
  prepare: ({ values }, io) => async (store) => {
    for (const t of await store.listTokens()) {
      if (values.device === undefined || t.device === values.device) {
        io.stdout(`${t.id}\t${t.device}\t${t.prefix}`);
      }
    }
    return 0;
  },
});

const TOKEN_COMMAND: StoreCommandSpec = {
  name: "token",
  usage: USAGE,
  subcommands: { add, rm, ls },
};
