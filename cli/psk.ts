/**
 * `postern psk add|rm|ls|import`: PSK identities for DTLS and TLS-PSK, in
 * the same store the running broker reads (changes reach it within a
 * second, and removing an identity ends its sessions).
 *
 * Keys are never taken from the store for printing: `ls` prints
 * identities only, and a key made with `--generate` is printed once, alone
 * on standard output, so that `KEY=$(postern psk add dev --generate)`
 * works.
 *
 * @module
 */

import { importPskFile, type PskFileOptions } from "../src/auth/mod.ts";
import { DecodeError, decodeHex, encodeHex } from "../src/bytes/mod.ts";
import { randomBytes } from "../src/crypto/mod.ts";
import {
  CommandError,
  DATA_DIR_HELP,
  readCommandFile,
  readStdinLine,
  removeEach,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
} from "./_store.ts";

const GENERATED_KEY_BYTES = 16;

const USAGE = `Usage: postern psk <command> [options]

PSK identities (CoAP over DTLS, MQTT over TLS-PSK).

Commands:
  add ID      add an identity with a key (hex, stdin, or generated)
  rm ID...    remove identities
  ls          list identities (never keys)
  import FILE import an init file of identity:hexkey lines, all or nothing

Run "postern psk <command> --help" for a command's options.`;

const ADD_USAGE =
  `Usage: postern psk add ID (--key HEX | --key - | --generate) [options]

Adds the PSK identity ID. The key is 1 to 64 bytes:
  --key HEX       the key in hex
  --key -         read the key (hex) from the first line of standard input
  --generate      make a random ${GENERATED_KEY_BYTES}-byte key and print it once, in hex,
                  alone on standard output
Options:
  --force         replace the key of an existing identity
${DATA_DIR_HELP}`;

const RM_USAGE = `Usage: postern psk rm ID... [options]

Removes PSK identities; the broker ends their sessions within a second.
Exits 1 if one of them was not there.
Options:
${DATA_DIR_HELP}`;

const LS_USAGE = `Usage: postern psk ls [options]

Prints the PSK identities, one per line, sorted. Keys are never printed.
Options:
${DATA_DIR_HELP}`;

const IMPORT_USAGE = `Usage: postern psk import [FILE] [options]

Imports a PSK init file as EMQX's psk_authentication does: one
identity<separator>hexkey per line; blank lines and # comments are skipped.
A bad line is reported with its number and nothing of the file is imported.
Identities already in the store are replaced.
FILE defaults to PSK_AUTHENTICATION_INIT_FILE.
Options:
  --separator S   between identity and key (default: PSK_AUTHENTICATION_SEPARATOR, else ":")
  --chunk-size N  identities written per batch (default: PSK_AUTHENTICATION_CHUNK_SIZE, else 50)
${DATA_DIR_HELP}`;

/**
 * Runs `postern psk ARGS`.
 *
 * @param args The arguments after `psk`.
 * @param options IO and store (default: the real process and
 *   `DATA_DIR/credentials.kv`).
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { pskCommand } from "./psk.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const out: string[] = [];
 * const io = { env: {}, stdout: (t: string) => out.push(t), stderr: () => {}, store };
 * assert.equal(await pskCommand(["add", "dev-1", "--key", "00112233"], io), 0);
 * assert.equal(await pskCommand(["ls"], io), 0);
 * assert.deepEqual(out.slice(-1), ["dev-1"]);
 * assert.equal(await pskCommand(["add", "dev-2"], io), 2);
 * ```
 */
export async function pskCommand(
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  return await runStoreCommand(PSK_COMMAND, args, options);
}

const add = storeSubcommand({
  usage: ADD_USAGE,
  options: {
    key: { type: "string" },
    generate: { type: "boolean" },
    force: { type: "boolean" },
  },
  required: "ID",
  max: 1,
  async prepare({ values, positionals }, io) {
    const identity = positionals[0]!;
    if ((values.key === undefined) === (values.generate !== true)) {
      throw new UsageError(
        "give exactly one of --key and --generate",
        ADD_USAGE,
      );
    }
    let key: Uint8Array;
    if (values.generate) key = randomBytes(GENERATED_KEY_BYTES);
    else {
      const hex = values.key === "-"
        ? await readStdinLine(io, "key")
        : values.key!;
      try {
        key = decodeHex(hex.trim());
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        throw new CommandError("The key is not hexadecimal");
      }
    }
    return async (store) => {
      if (!values.force && (await store.lookupPsk(identity)) !== undefined) {
        throw new CommandError(
          `PSK identity ${
            JSON.stringify(identity)
          } exists; use --force to replace its key`,
        );
      }
      await store.addPsk(identity, key);
      if (values.generate) {
        io.stdout(encodeHex(key));
        io.stderr(
          `Added PSK identity ${
            JSON.stringify(identity)
          } with the generated key above; it is not shown again`,
        );
      } else io.stdout(`Added PSK identity ${JSON.stringify(identity)}`);
      return 0;
    };
  },
});

const rm = storeSubcommand({
  usage: RM_USAGE,
  required: "ID",
  prepare: ({ positionals }, io) => (store) =>
    removeEach(positionals, {
      command: "psk rm",
      io,
      remove: async (identity) =>
        await store.removePsk(identity)
          ? `Removed PSK identity ${JSON.stringify(identity)}`
          : undefined,
      missing: (identity) => `No PSK identity ${JSON.stringify(identity)}`,
    }),
});

const ls = storeSubcommand({
  usage: LS_USAGE,
  max: 0,
  prepare: (_args, io) => async (store) => {
    for (const identity of await store.listPsk()) io.stdout(identity);
    return 0;
  },
});

const importFile = storeSubcommand({
  usage: IMPORT_USAGE,
  options: {
    separator: { type: "string" },
    "chunk-size": { type: "string" },
  },
  max: 1,
  async prepare({ values, positionals }, io) {
    const file = positionals[0] ?? io.env.PSK_AUTHENTICATION_INIT_FILE;
    if (file === undefined || file === "") {
      throw new UsageError(
        "missing FILE (and PSK_AUTHENTICATION_INIT_FILE is not set)",
        IMPORT_USAGE,
      );
    }
    const separator = values.separator ??
      (io.env.PSK_AUTHENTICATION_SEPARATOR || ":");
    if (separator === "") {
      throw new UsageError("--separator must not be empty", IMPORT_USAGE);
    }
    const chunkText = values["chunk-size"] ??
      (io.env.PSK_AUTHENTICATION_CHUNK_SIZE || "50");
    if (!/^[1-9][0-9]{0,8}$/.test(chunkText)) {
      throw new UsageError(
        `chunk size must be a positive integer, got "${chunkText}"`,
        IMPORT_USAGE,
      );
    }
    const text = await readCommandFile(file, io.readTextFile);
    const fileOptions: PskFileOptions = {
      separator,
      chunkSize: Number(chunkText),
      file,
    };
    return async (store) => {
      const result = await importPskFile(store, text, fileOptions);
      io.stdout(
        `Imported ${file}: ${result.added} added, ${result.replaced} replaced, ${result.unchanged} unchanged`,
      );
      return 0;
    };
  },
});

const PSK_COMMAND: StoreCommandSpec = {
  name: "psk",
  usage: USAGE,
  subcommands: { add, rm, ls, import: importFile },
};
