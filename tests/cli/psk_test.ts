import assert from "node:assert/strict";
import { pskCommand } from "../../cli/psk.ts";
import type { StoreCommandIo } from "../../cli/_store.ts";
import { KvStore } from "../../src/auth/mod.ts";

async function run(
  args: string[],
  io: StoreCommandIo = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await pskCommand(args, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stdinIsTerminal: () => false,
    readStdin: () => Promise.resolve(""),
    ...io,
  });
  return { code, out, err };
}

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern_psk_cli_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function keyOf(
  dir: string,
  identity: string,
): Promise<Uint8Array | undefined> {
  const store = await KvStore.openDataDir(dir, { watch: false });
  try {
    return await store.lookupPsk(identity);
  } finally {
    await store.close();
  }
}

Deno.test("pskCommand() prints help for itself and each subcommand", async () => {
  for (
    const args of [["--help"], ["help"], ["add", "--help"], ["rm", "-h"], [
      "ls",
      "--help",
    ], ["import", "--help"]]
  ) {
    const { code, out, err } = await run(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(out[0]!, /^Usage: postern psk/);
    assert.deepEqual(err, []);
  }
  assert.equal((await run([])).code, 2);
  assert.equal((await run(["nope"])).code, 2);
});

Deno.test("pskCommand() add, ls and rm work on the store in --data-dir", async () => {
  await withDataDir(async (dir) => {
    const add = await run([
      "add",
      "sensor-1",
      "--key",
      "00112233aabbccdd",
      "--data-dir",
      dir,
    ]);
    assert.equal(add.code, 0);
    assert.deepEqual(add.out, ['Added PSK identity "sensor-1"']);
    assert.equal(
      (await run(["add", "sensor-2", "--key", "-"], {
        env: { POSTERN_DATA_DIR: dir },
        readStdin: () => Promise.resolve("ffeeddcc\n"),
      })).code,
      0,
    );
    assert.deepEqual(
      await keyOf(dir, "sensor-2"),
      new Uint8Array([0xff, 0xee, 0xdd, 0xcc]),
    );

    const ls = await run(["ls", "--data-dir", dir]);
    assert.equal(ls.code, 0);
    assert.deepEqual(ls.out, ["sensor-1", "sensor-2"]);
    assert.ok(
      !ls.out.join("").includes("0011") && !ls.out.join("").includes("ffee"),
    );

    const rm = await run(["rm", "sensor-1", "ghost", "--data-dir", dir]);
    assert.equal(rm.code, 1);
    assert.deepEqual(rm.out, ['Removed PSK identity "sensor-1"']);
    assert.deepEqual(rm.err, ['postern psk rm: No PSK identity "ghost"']);
    assert.deepEqual((await run(["ls", "--data-dir", dir])).out, ["sensor-2"]);
  });
});

Deno.test("pskCommand() add refuses to replace a key without --force", async () => {
  await withDataDir(async (dir) => {
    assert.equal(
      (await run(["add", "d", "--key", "01", "--data-dir", dir])).code,
      0,
    );
    const again = await run(["add", "d", "--key", "02", "--data-dir", dir]);
    assert.equal(again.code, 1);
    assert.match(again.err[0]!, /exists; use --force/);
    assert.deepEqual(await keyOf(dir, "d"), new Uint8Array([1]));
    assert.equal(
      (await run(["add", "d", "--key", "02", "--force", "--data-dir", dir]))
        .code,
      0,
    );
    assert.deepEqual(await keyOf(dir, "d"), new Uint8Array([2]));
  });
});

Deno.test("pskCommand() add --generate prints a random 16-byte key once", async () => {
  await withDataDir(async (dir) => {
    const { code, out, err } = await run([
      "add",
      "gen",
      "--generate",
      "--data-dir",
      dir,
    ]);
    assert.equal(code, 0);
    assert.equal(out.length, 1);
    assert.match(out[0]!, /^[0-9a-f]{32}$/);
    assert.match(err[0]!, /not shown again/);
    const key = await keyOf(dir, "gen");
    assert.equal(
      [...key!].map((b) => b.toString(16).padStart(2, "0")).join(""),
      out[0],
    );
    const ls = await run(["ls", "--data-dir", dir]);
    assert.ok(!ls.out.join("\n").includes(out[0]!));
  });
});

Deno.test("pskCommand() add reports bad arguments and keys", async () => {
  await withDataDir(async (dir) => {
    const cases: [string[], number, RegExp][] = [
      [["add", "--key", "00"], 2, /missing ID/],
      [["add", "d"], 2, /exactly one of --key and --generate/],
      [["add", "d", "--key", "00", "--generate"], 2, /exactly one/],
      [["add", "d", "extra", "--key", "00"], 2, /unexpected argument/],
      [["add", "d", "--kee", "00"], 2, /Unknown option '--kee'/],
      [["add", "d", "--key", "0g"], 1, /not hexadecimal/],
      [["add", "d", "--key", "00".repeat(65)], 1, /65 bytes, expected 1 to 64/],
      [["add", "d", "--key", "-"], 1, /No key on standard input/],
      [["add", " d", "--key", "00"], 1, /whitespace/],
    ];
    for (const [args, expected, pattern] of cases) {
      const { code, err } = await run([...args, "--data-dir", dir]);
      assert.equal(code, expected, args.join(" "));
      assert.match(err.join("\n"), pattern, args.join(" "));
    }
    assert.deepEqual((await run(["ls", "--data-dir", dir])).out, []);
  });
});

Deno.test("pskCommand() import writes a good file and nothing of a bad one", async () => {
  await withDataDir(async (dir) => {
    const good = `${dir}/good.txt`;
    await Deno.writeTextFile(good, "# plant\na:00\nb:11\n\nc:22\n");
    const ok = await run([
      "import",
      good,
      "--chunk-size",
      "2",
      "--data-dir",
      dir,
    ]);
    assert.equal(ok.code, 0);
    assert.deepEqual(ok.out, [
      `Imported ${good}: 3 added, 0 replaced, 0 unchanged`,
    ]);

    const bad = `${dir}/bad.txt`;
    await Deno.writeTextFile(bad, "d:33\ne:44\nf:4x\n");
    const failed = await run(["import", bad, "--data-dir", dir]);
    assert.equal(failed.code, 1);
    assert.deepEqual(failed.err, [
      `postern psk import: ${bad} line 3: Secret is not hexadecimal (character 2) for PSK identity "f"`,
    ]);
    assert.deepEqual((await run(["ls", "--data-dir", dir])).out, [
      "a",
      "b",
      "c",
    ]);

    const piped = `${dir}/piped.txt`;
    await Deno.writeTextFile(piped, "a|00\ng|66\n");
    const env = {
      POSTERN_DATA_DIR: dir,
      PSK_AUTHENTICATION_INIT_FILE: piped,
      PSK_AUTHENTICATION_SEPARATOR: "|",
    };
    const fromEnv = await run(["import"], { env });
    assert.equal(fromEnv.code, 0);
    assert.match(fromEnv.out[0]!, /1 added, 0 replaced, 1 unchanged/);

    assert.equal(
      (await run(["import", `${dir}/missing.txt`, "--data-dir", dir])).code,
      1,
    );
    assert.equal((await run(["import", "--data-dir", dir])).code, 2);
    assert.equal(
      (await run(["import", good, "--chunk-size", "0", "--data-dir", dir]))
        .code,
      2,
    );
  });
});
