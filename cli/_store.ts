/**
 * What the store commands (`postern psk|token|user|cert|acl`) share:
 * dispatching a subcommand (with `rm`/`remove` and `ls`/`list`),
 * opening the credential store from `--data-dir` (default
 * `POSTERN_DATA_DIR`, else `./data`), argument parsing with usage errors,
 * exit codes, removing a list of entries, and reading secrets from
 * standard input or a terminal without echo.
 *
 * Exit codes: 0 success, 1 the command failed (unknown identity, bad
 * secret, store error), 2 usage error.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { AuthError, type CredentialStore, KvStore } from "../src/auth/mod.ts";
import { type CommandIo, resolveIo } from "./config_check.ts";

/**
 * IO of the store commands; every field defaults to the real process.
 *
 * @example
 * ```ts
 * import type { StoreCommandIo } from "./_store.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 *
 * const io: StoreCommandIo = {
 *   env: {},
 *   stdout: () => {},
 *   readStdin: () => Promise.resolve("hunter2\n"),
 *   store: new MemoryStore(),
 * };
 * ```
 */
export interface StoreCommandIo extends CommandIo {
  /** Reads all of standard input (default `Deno.stdin`). */
  readStdin?: () => Promise<string>;
  /** Whether standard input is a terminal (default `Deno.stdin.isTerminal()`). */
  stdinIsTerminal?: () => boolean;
  /** Prints `prompt` and reads a line from the terminal without echo. */
  readSecret?: (prompt: string) => Promise<string>;
  /**
   * Opens the store of a data directory (default
   * `KvStore.openDataDir(dir, { watch: false })`); the command closes it.
   */
  openStore?: (dataDir: string) => Promise<CredentialStore>;
  /** A store to use instead of opening one; the caller keeps it open. */
  store?: CredentialStore;
  /** PBKDF2 iterations for new password hashes (default 100 000; tests use fewer). */
  passwordIterations?: number;
}

/** {@link StoreCommandIo} with every default filled in. */
export type ResolvedIo =
  & Required<Omit<StoreCommandIo, "passwordIterations" | "store">>
  & { store: CredentialStore | undefined };

/**
 * Fills in the defaults of {@link StoreCommandIo}.
 *
 * @param io What the caller replaced.
 * @returns Complete IO.
 *
 * @example
 * ```ts
 * import { resolveStoreIo } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(resolveStoreIo({ env: { A: "1" } }).env, { A: "1" });
 * ```
 */
export function resolveStoreIo(io: StoreCommandIo): ResolvedIo {
  const iterations = io.passwordIterations;
  return {
    ...resolveIo(io),
    readStdin: io.readStdin ?? (() => new Response(Deno.stdin.readable).text()),
    stdinIsTerminal: io.stdinIsTerminal ?? (() => Deno.stdin.isTerminal()),
    readSecret: io.readSecret ?? readHiddenLine,
    store: io.store,
    openStore: io.openStore ??
      ((dir) =>
        KvStore.openDataDir(dir, {
          watch: false,
          ...(iterations === undefined
            ? {}
            : { passwordIterations: iterations }),
        })),
  };
}

/**
 * A mistake on the command line: message and usage on stderr, exit code 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new UsageError("missing ID", "Usage: …").usage, "Usage: …");
 * ```
 */
export class UsageError extends Error {
  /** The usage text to print. */
  readonly usage: string;

  /**
   * @param message What is wrong.
   * @param usage The command's usage.
   */
  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/**
 * A command that cannot be done as asked: message on stderr, exit code 1.
 *
 * @example
 * ```ts
 * import { CommandError } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new CommandError("No PSK identity \"x\"").name, "CommandError");
 * ```
 */
export class CommandError extends Error {
  /** @param message What went wrong, sentence case. */
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * Runs a command body and maps its errors to exit codes.
 *
 * @param name The command, such as `psk add`.
 * @param io Where errors go.
 * @param body The command.
 * @returns Its exit code.
 *
 * @example
 * ```ts
 * import { runCommand, UsageError } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const err: string[] = [];
 * const code = await runCommand("psk", { stderr: (t) => err.push(t) }, () => {
 *   throw new UsageError("missing command", "Usage: postern psk …");
 * });
 * assert.equal(code, 2);
 * assert.deepEqual(err, ["postern psk: missing command\n\nUsage: postern psk …"]);
 * ```
 */
export async function runCommand(
  name: string,
  io: Pick<ResolvedIo, "stderr">,
  body: () => number | Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`postern ${name}: ${err.message}\n\n${err.usage}`);
      return 2;
    }
    const message = err instanceof AuthError || err instanceof CommandError
      ? err.message
      : err instanceof Error
      ? `${err.name}: ${err.message}`
      : String(err);
    io.stderr(`postern ${name}: ${message}`);
    return 1;
  }
}

/** The option every store command takes. */
export const DATA_DIR_OPTION = {
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What `--data-dir` says in every usage text. */
export const DATA_DIR_HELP =
  `  --data-dir DIR  the store's directory (default: POSTERN_DATA_DIR, else ./data)
  -h, --help      show this help`;

/**
 * Parses arguments strictly, turning parse failures into usage errors.
 *
 * @param args The arguments.
 * @param options The options, as `node:util` `parseArgs` takes them.
 * @param usage The usage printed with an error.
 * @returns The parsed values, positionals and tokens.
 *
 * @example
 * ```ts
 * import { DATA_DIR_OPTION, parseCommandArgs } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const { values, positionals } = parseCommandArgs(["a", "--data-dir", "d"], DATA_DIR_OPTION, "Usage");
 * assert.deepEqual(positionals, ["a"]);
 * assert.equal(values["data-dir"], "d");
 * ```
 */
export function parseCommandArgs<
  O extends NonNullable<ParseArgsConfig["options"]>,
>(
  args: string[],
  options: O,
  usage: string,
): ReturnType<
  typeof parseArgs<{
    args: string[];
    options: O;
    strict: true;
    allowPositionals: true;
    tokens: true;
  }>
> {
  try {
    return parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError(
      err instanceof Error ? err.message : String(err),
      usage,
    );
  }
}

/**
 * The data directory: `--data-dir`, else `POSTERN_DATA_DIR`, else `./data`.
 *
 * @param flag The `--data-dir` value.
 * @param env The environment.
 * @returns The directory.
 *
 * @example
 * ```ts
 * import { dataDirOf } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dataDirOf(undefined, {}), "./data");
 * assert.equal(dataDirOf(undefined, { POSTERN_DATA_DIR: "/var/lib/postern" }), "/var/lib/postern");
 * assert.equal(dataDirOf("d", { POSTERN_DATA_DIR: "x" }), "d");
 * ```
 */
export function dataDirOf(
  flag: string | undefined,
  env: Readonly<Record<string, string>>,
): string {
  return flag ?? (env.POSTERN_DATA_DIR || "./data");
}

/**
 * Opens the store, runs `fn` and closes the store; a store given in the IO
 * is used as it is and left open.
 *
 * @param io The IO (its `store` or `openStore`).
 * @param dataDir The data directory.
 * @param fn What to do with the store.
 * @returns What `fn` returns.
 *
 * @example
 * ```ts
 * import { resolveStoreIo, withStore } from "./_store.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const io = resolveStoreIo({ env: {}, openStore: () => Promise.resolve(new MemoryStore()) });
 * assert.deepEqual(await withStore(io, "data", (store) => store.listPsk()), []);
 * const shared = new MemoryStore();
 * await withStore(resolveStoreIo({ env: {}, store: shared }), "data", () => Promise.resolve());
 * assert.deepEqual(await shared.listPsk(), []); // still open
 * ```
 */
export async function withStore<T>(
  io: Pick<ResolvedIo, "openStore" | "store">,
  dataDir: string,
  fn: (store: CredentialStore) => Promise<T>,
): Promise<T> {
  if (io.store !== undefined) return await fn(io.store);
  const store = await io.openStore(dataDir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * One subcommand of a store command, such as `psk add`: takes the
 * arguments after its name and returns the exit code; errors are mapped
 * by {@link runStoreCommand}.
 *
 * @example
 * ```ts
 * import type { Subcommand } from "./_store.ts";
 *
 * const hello: Subcommand = (_args, io) => {
 *   io.stdout("hello");
 *   return Promise.resolve(0);
 * };
 * ```
 */
export type Subcommand = (args: string[], io: ResolvedIo) => Promise<number>;

/**
 * A store command (`postern psk`, `token`, …) and its subcommands.
 *
 * @example
 * ```ts
 * import type { StoreCommandSpec } from "./_store.ts";
 *
 * const spec: StoreCommandSpec = {
 *   name: "demo",
 *   usage: "Usage: postern demo <command>",
 *   subcommands: { ls: () => Promise.resolve(0) },
 * };
 * ```
 */
export interface StoreCommandSpec {
  /** The command, such as `psk`. */
  name: string;
  /** Printed by `--help`, and with a usage error. */
  usage: string;
  /** The subcommands by name; `remove` and `list` reach `rm` and `ls`. */
  subcommands: Readonly<Record<string, Subcommand>>;
  /**
   * Subcommands whose own first argument belongs to the name in error
   * messages (`postern cert ca rm: …`).
   */
  groups?: readonly string[];
}

const ALIASES = new Map([["remove", "rm"], ["list", "ls"]]);

/**
 * Runs a store command: picks the subcommand named by the first argument
 * (`-h`, `--help` and `help` print the usage), runs it on the real
 * process's IO unless `options` replaces it, and maps its errors to exit
 * codes as {@link runCommand} does.
 *
 * @param spec The command.
 * @param args The arguments after the command's name.
 * @param options IO and store.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { runStoreCommand } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const err: string[] = [];
 * const spec = {
 *   name: "demo",
 *   usage: "Usage: postern demo ls",
 *   subcommands: { ls: () => Promise.resolve(0) },
 * };
 * const io = { env: {}, stdout: () => {}, stderr: (t: string) => err.push(t) };
 * assert.equal(await runStoreCommand(spec, ["list"], io), 0);
 * assert.equal(await runStoreCommand(spec, ["add"], io), 2);
 * assert.deepEqual(err, ['postern demo add: unknown command "add"\n\nUsage: postern demo ls']);
 * ```
 */
export async function runStoreCommand(
  spec: StoreCommandSpec,
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  const io = resolveStoreIo(options);
  const [command, ...rest] = args;
  return await runCommand(commandName(spec, args), io, () => {
    switch (command) {
      case "-h":
      case "--help":
      case "help":
        io.stdout(spec.usage);
        return 0;
      case undefined:
        throw new UsageError("missing command", spec.usage);
    }
    const name = ALIASES.get(command) ?? command;
    if (!Object.hasOwn(spec.subcommands, name)) {
      throw new UsageError(`unknown command "${command}"`, spec.usage);
    }
    return spec.subcommands[name]!(rest, io);
  });
}

function commandName(spec: StoreCommandSpec, args: string[]): string {
  const [command, sub] = args;
  if (!command) return spec.name;
  const name = `${spec.name} ${command}`;
  return sub && spec.groups?.includes(command) ? `${name} ${sub}` : name;
}

/**
 * What a subcommand does once the store is open; returns the exit code.
 *
 * @example
 * ```ts
 * import type { StoreAction } from "./_store.ts";
 *
 * const count: StoreAction = async (store) => (await store.listPsk()).length;
 * ```
 */
export type StoreAction = (store: CredentialStore) => Promise<number>;

/**
 * The options a store subcommand declares, as `parseArgs` takes them.
 *
 * @example
 * ```ts
 * import type { ArgOptions } from "./_store.ts";
 *
 * const options = { force: { type: "boolean" } } as const satisfies ArgOptions;
 * ```
 */
export type ArgOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * The parsed arguments of a store subcommand: its own options plus
 * `--data-dir` and `--help`.
 *
 * @example
 * ```ts
 * import type { StoreArgs } from "./_store.ts";
 *
 * function keyOf(args: StoreArgs<{ key: { type: "string" } }>): string | undefined {
 *   return args.values.key;
 * }
 * ```
 */
export type StoreArgs<O extends ArgOptions> = ReturnType<
  typeof parseCommandArgs<typeof DATA_DIR_OPTION & O>
>;

/**
 * A store subcommand (see {@link storeSubcommand}).
 *
 * @example
 * ```ts
 * import type { StoreSubcommandSpec } from "./_store.ts";
 *
 * const spec: StoreSubcommandSpec<{ force: { type: "boolean" } }> = {
 *   usage: "Usage: postern demo add ID [--force]",
 *   options: { force: { type: "boolean" } },
 *   required: "ID",
 *   max: 1,
 *   prepare: ({ values }) => () => Promise.resolve(values.force ? 0 : 1),
 * };
 * ```
 */
export interface StoreSubcommandSpec<O extends ArgOptions> {
  /** Printed by `--help`, and with a usage error. */
  usage: string;
  /** Its options besides `--data-dir` and `--help`. */
  options?: O;
  /** The name of a first positional argument that must be given (`ID`). */
  required?: string;
  /** The most positional arguments it takes. */
  max?: number;
  /**
   * Checks the arguments and reads its input (files, standard input)
   * before the store is opened; returns what to do with the store.
   */
  prepare(
    args: StoreArgs<O>,
    io: ResolvedIo,
  ): StoreAction | Promise<StoreAction>;
}

/**
 * Makes a store subcommand: parses its arguments strictly with
 * `--data-dir` and `--help`, prints its usage for `--help`, checks the
 * number of positional arguments (`missing ID`, `unexpected argument
 * "x"`), runs `prepare`, then opens the store of the data directory and
 * runs what `prepare` returned.
 *
 * @param spec The subcommand.
 * @returns The subcommand, for {@link StoreCommandSpec.subcommands}.
 *
 * @example
 * ```ts
 * import { resolveStoreIo, storeSubcommand, UsageError } from "./_store.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ls = storeSubcommand({
 *   usage: "Usage: postern psk ls",
 *   max: 0,
 *   prepare: (_args, io) => async (store) => {
 *     for (const id of await store.listPsk()) io.stdout(id);
 *     return 0;
 *   },
 * });
 * const store = new MemoryStore();
 * await store.addPsk("dev-1", new Uint8Array([1]));
 * const out: string[] = [];
 * const io = resolveStoreIo({ env: {}, stdout: (t) => out.push(t), store });
 * assert.equal(await ls([], io), 0);
 * assert.deepEqual(out, ["dev-1"]);
 * await assert.rejects(ls(["x"], io), UsageError);
 * ```
 */
export function storeSubcommand<
  O extends ArgOptions = Record<never, never>,
>(spec: StoreSubcommandSpec<O>): Subcommand {
  return async (args, io) => {
    const parsed = parseCommandArgs(
      args,
      { ...DATA_DIR_OPTION, ...spec.options } as typeof DATA_DIR_OPTION & O,
      spec.usage,
    );
    const values = parsed.values as { help?: boolean; "data-dir"?: string };
    if (values.help) {
      io.stdout(spec.usage);
      return 0;
    }
    const { positionals } = parsed;
    if (spec.required !== undefined && positionals.length === 0) {
      throw new UsageError(`missing ${spec.required}`, spec.usage);
    }
    if (spec.max !== undefined && positionals.length > spec.max) {
      throw new UsageError(
        `unexpected argument "${positionals[spec.max]}"`,
        spec.usage,
      );
    }
    const action = await spec.prepare(parsed, io);
    return await withStore(io, dataDirOf(values["data-dir"], io.env), action);
  };
}

/**
 * Removes entries one by one (`postern psk rm A B`): prints a line for each
 * one removed, and an error for each one that was not there.
 *
 * @param items The entries named on the command line.
 * @param options The command for error lines, where to print, how to
 *   remove one (its "Removed …" line, or `undefined` when it was not
 *   there) and what to say of one that was not there.
 * @returns The exit code: 1 when one of them was not there, else 0.
 *
 * @example
 * ```ts
 * import { removeEach } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const code = await removeEach(["a", "b"], {
 *   command: "demo rm",
 *   io: { stdout: (t) => out.push(t), stderr: (t) => out.push(t) },
 *   remove: (item) => Promise.resolve(item === "a" ? "Removed a" : undefined),
 *   missing: (item) => `No entry ${item}`,
 * });
 * assert.equal(code, 1);
 * assert.deepEqual(out, ["Removed a", "postern demo rm: No entry b"]);
 * ```
 */
export async function removeEach(
  items: readonly string[],
  options: {
    command: string;
    io: Pick<ResolvedIo, "stdout" | "stderr">;
    remove: (item: string) => Promise<string | undefined>;
    missing: (item: string) => string;
  },
): Promise<number> {
  let code = 0;
  for (const item of items) {
    const removed = await options.remove(item);
    if (removed !== undefined) options.io.stdout(removed);
    else {
      options.io.stderr(`postern ${options.command}: ${options.missing(item)}`);
      code = 1;
    }
  }
  return code;
}

/**
 * Reads a file named on the command line; a failure is a
 * {@link CommandError} that names the file.
 *
 * @param file The file.
 * @param read How to read it (`io.readFile` or `io.readTextFile`).
 * @returns Its content.
 *
 * @example
 * ```ts
 * import { CommandError, readCommandFile } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   readCommandFile("/nonexistent/psk.txt", Deno.readTextFile),
 *   new CommandError("Cannot read /nonexistent/psk.txt: file not found"),
 * );
 * ```
 */
export async function readCommandFile<T>(
  file: string,
  read: (path: string) => Promise<T>,
): Promise<T> {
  try {
    return await read(file);
  } catch (err) {
    throw new CommandError(
      `Cannot read ${file}: ${
        err instanceof Deno.errors.NotFound
          ? "file not found"
          : err instanceof Error
          ? err.message
          : String(err)
      }`,
    );
  }
}

/**
 * The first line of standard input, without its line ending.
 *
 * @param io The IO (its `readStdin`).
 * @param what What is read, for the error message.
 * @returns The line.
 * @throws {CommandError} when standard input is empty.
 *
 * @example
 * ```ts
 * import { readStdinLine } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const io = { readStdin: () => Promise.resolve("s3cret\r\nignored\n") };
 * assert.equal(await readStdinLine(io, "the password"), "s3cret");
 * ```
 */
export async function readStdinLine(
  io: Pick<ResolvedIo, "readStdin">,
  what: string,
): Promise<string> {
  const text = await io.readStdin();
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  if (line === "") {
    throw new CommandError(`No ${what} on standard input`);
  }
  return line;
}

/**
 * A password: from a terminal, asked twice without echo; otherwise the
 * first line of standard input.
 *
 * @param io The IO.
 * @returns The password.
 * @throws {CommandError} when it is empty or the two entries differ.
 *
 * @example
 * ```ts
 * import { readPassword, resolveStoreIo } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const io = resolveStoreIo({
 *   env: {},
 *   stdinIsTerminal: () => true,
 *   readSecret: () => Promise.resolve("pw"),
 * });
 * assert.equal(await readPassword(io), "pw");
 * ```
 */
export async function readPassword(
  io: Pick<ResolvedIo, "readStdin" | "stdinIsTerminal" | "readSecret">,
): Promise<string> {
  if (!io.stdinIsTerminal()) return await readStdinLine(io, "password");
  const first = await io.readSecret("Password: ");
  if (first === "") throw new CommandError("No password given");
  const second = await io.readSecret("Repeat password: ");
  if (first !== second) throw new CommandError("The passwords differ");
  return first;
}

/**
 * What a terminal line editor does with typed bytes when nothing is
 * echoed: Enter ends the line, Backspace removes a character, Ctrl-U
 * clears, Ctrl-C cancels, Ctrl-D on an empty line ends input, other
 * control characters are ignored.
 *
 * @example
 * ```ts
 * import { HiddenLine } from "./_store.ts";
 * import assert from "node:assert/strict";
 *
 * const line = new HiddenLine();
 * const enc = new TextEncoder();
 * assert.deepEqual(line.feed(enc.encode("pas")), { done: false });
 * assert.deepEqual(line.feed(enc.encode("x\x7fs\r")), { done: true, line: "pass" });
 * ```
 */
export class HiddenLine {
  #chars: string[] = [];
  #decoder = new TextDecoder();

  /**
   * Takes the next bytes typed.
   *
   * @param bytes Raw terminal input.
   * @returns Whether the line is complete, and the line or a cancellation.
   */
  feed(
    bytes: Uint8Array,
  ):
    | { done: false }
    | { done: true; line: string }
    | { done: true; cancelled: true } {
    for (const c of this.#decoder.decode(bytes, { stream: true })) {
      switch (c) {
        case "\r":
        case "\n":
          return { done: true, line: this.#chars.join("") };
        case "\u0003":
          return { done: true, cancelled: true };
        case "\u0004":
          if (this.#chars.length === 0) return { done: true, cancelled: true };
          return { done: true, line: this.#chars.join("") };
        case "\u007f":
        case "\b":
          this.#chars.pop();
          break;
        case "\u0015":
          this.#chars = [];
          break;
        default:
          if (c >= " ") this.#chars.push(c);
      }
    }
    return { done: false };
  }
}

/** Prints a prompt on stderr and reads a line from the terminal without echo. */
async function readHiddenLine(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  Deno.stdin.setRaw(true);
  try {
    await Deno.stderr.write(encoder.encode(prompt));
    const line = new HiddenLine();
    const buffer = new Uint8Array(256);
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) throw new CommandError("No password given");
      const result = line.feed(buffer.subarray(0, n));
      if (!result.done) continue;
      if ("cancelled" in result) throw new CommandError("Cancelled");
      return result.line;
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
}
