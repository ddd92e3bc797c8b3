import assert from "node:assert/strict";
import {
  CommandError,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
} from "../../cli/_store.ts";
import { MemoryStore } from "../../src/auth/mod.ts";

function recorder(): {
  io: StoreCommandIo;
  out: string[];
  err: string[];
  opened: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  const opened: string[] = [];
  return {
    out,
    err,
    opened,
    io: {
      env: { POSTERN_DATA_DIR: "/from/env" },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      openStore: (dir) => {
        opened.push(dir);
        return Promise.resolve(new MemoryStore());
      },
    },
  };
}

const show = storeSubcommand({
  usage: "Usage: postern demo show ID",
  options: { loud: { type: "boolean" } },
  required: "ID",
  max: 1,
  prepare({ values, positionals }, io) {
    const id = positionals[0]!;
    if (id === "bad") throw new CommandError("Bad ID");
    return (store) => {
      io.stdout(`${values.loud ? "SHOW" : "show"} ${id}`);
      return store.lookupPsk(id).then((key) => key === undefined ? 0 : 1);
    };
  },
});

const DEMO: StoreCommandSpec = {
  name: "demo",
  usage: "Usage: postern demo <command>",
  subcommands: {
    show,
    ls: () => Promise.resolve(0),
    group: (args) => {
      throw new UsageError(`no ${args[0]}`, "Usage: postern demo group");
    },
  },
  groups: ["group"],
};

Deno.test("storeSubcommand() opens the store of --data-dir, else POSTERN_DATA_DIR, after prepare", async () => {
  const r = recorder();
  assert.equal(await runStoreCommand(DEMO, ["show", "a", "--loud"], r.io), 0);
  assert.equal(
    await runStoreCommand(DEMO, ["show", "b", "--data-dir", "d"], r.io),
    0,
  );
  assert.deepEqual(r.out, ["SHOW a", "show b"]);
  assert.deepEqual(r.opened, ["/from/env", "d"]);
});

Deno.test("storeSubcommand() leaves the store closed on help, usage errors and prepare failures", async () => {
  const r = recorder();
  const cases: [string[], number, string][] = [
    [["show", "--help"], 0, ""],
    [
      ["show"],
      2,
      "postern demo show: missing ID\n\nUsage: postern demo show ID",
    ],
    [["show", "a", "b"], 2, 'postern demo show: unexpected argument "b"'],
    [["show", "--quiet"], 2, "postern demo show: Unknown option '--quiet'"],
    [["show", "bad"], 1, "postern demo show: Bad ID"],
  ];
  for (const [args, code, message] of cases) {
    r.err.length = 0;
    assert.equal(await runStoreCommand(DEMO, args, r.io), code, args.join(" "));
    assert.ok((r.err[0] ?? "").startsWith(message), r.err[0] ?? "no error");
  }
  assert.deepEqual(r.out, ["Usage: postern demo show ID"]);
  assert.deepEqual(r.opened, []);
});

Deno.test("runStoreCommand() resolves aliases, refuses inherited names and names group errors by two words", async () => {
  const r = recorder();
  assert.equal(await runStoreCommand(DEMO, ["list"], r.io), 0);
  assert.equal(await runStoreCommand(DEMO, ["remove"], r.io), 2);
  assert.equal(await runStoreCommand(DEMO, ["constructor"], r.io), 2);
  assert.equal(await runStoreCommand(DEMO, ["group", "x"], r.io), 2);
  assert.equal(await runStoreCommand(DEMO, [], r.io), 2);
  assert.deepEqual(r.err.map((e) => e.split("\n")[0]), [
    'postern demo remove: unknown command "remove"',
    'postern demo constructor: unknown command "constructor"',
    "postern demo group x: no x",
    "postern demo: missing command",
  ]);
});
