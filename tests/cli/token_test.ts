import assert from "node:assert/strict";
import { tokenCommand } from "../../cli/token.ts";
import type { StoreCommandIo } from "../../cli/_store.ts";
import { KvStore } from "../../src/auth/mod.ts";

async function run(
  args: string[],
  io: StoreCommandIo = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tokenCommand(args, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => Promise.resolve(""),
    ...io,
  });
  return { code, out, err };
}

async function deviceOf(
  dir: string,
  token: string,
): Promise<string | undefined> {
  const store = await KvStore.openDataDir(dir, { watch: false });
  try {
    return (await store.verifyToken(token))?.subject;
  } finally {
    await store.close();
  }
}

Deno.test("tokenCommand() prints help for itself and each subcommand", async () => {
  for (
    const args of [["--help"], ["add", "--help"], ["rm", "--help"], [
      "ls",
      "-h",
    ]]
  ) {
    const { code, out } = await run(args);
    assert.equal(code, 0);
    assert.match(out[0]!, /^Usage: postern token/);
  }
  assert.equal((await run([])).code, 2);
});

Deno.test("tokenCommand() add prints a generated token once and ls never shows it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_token_cli_" });
  const add = await run(["add", "thermostat", "--data-dir", dir]);
  assert.equal(add.code, 0);
  assert.equal(add.out.length, 1);
  const token = add.out[0]!;
  assert.match(token, /^[A-Za-z0-9]{20}$/);
  assert.match(
    add.err[0]!,
    /^Added access token [0-9a-f]{16} for device "thermostat"; it is not shown again$/,
  );
  assert.equal(await deviceOf(dir, token), "thermostat");

  const given = await run(["add", "meter", "--token", "-", "--data-dir", dir], {
    readStdin: () => Promise.resolve("METER_TOKEN_0001\n"),
  });
  assert.deepEqual(given.out, ["METER_TOKEN_0001"]);
  assert.equal(await deviceOf(dir, "METER_TOKEN_0001"), "meter");

  const ls = await run(["ls", "--data-dir", dir]);
  assert.equal(ls.code, 0);
  assert.equal(ls.out.length, 2);
  assert.match(ls.out[0]!, /^[0-9a-f]{16}\tmeter\tMETE…$/);
  assert.match(
    ls.out[1]!,
    new RegExp(`^[0-9a-f]{16}\\tthermostat\\t${token.slice(0, 4)}…$`),
  );
  const text = ls.out.join("\n");
  assert.ok(!text.includes(token) && !text.includes("METER_TOKEN"));
  assert.deepEqual(
    (await run(["ls", "--device", "meter", "--data-dir", dir])).out,
    [ls.out[0]],
  );

  const conflict = await run([
    "add",
    "other",
    "--token",
    "METER_TOKEN_0001",
    "--data-dir",
    dir,
  ]);
  assert.equal(conflict.code, 1);
  assert.match(conflict.err[0]!, /already belongs to device "meter"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tokenCommand() rm removes by token, id or device", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_token_cli_" });
  const a = (await run(["add", "a", "--data-dir", dir])).out[0]!;
  await run(["add", "b", "--token", "B_TOKEN_1", "--data-dir", dir]);
  await run(["add", "c", "--token", "C_TOKEN_1", "--data-dir", dir]);
  await run(["add", "c", "--token", "C_TOKEN_2", "--data-dir", dir]);
  const bId = (await run(["ls", "--device", "b", "--data-dir", dir])).out[0]!
    .split("\t")[0]!;

  const byToken = await run(["rm", a, "--data-dir", dir]);
  assert.equal(byToken.code, 0);
  assert.match(byToken.out[0]!, /^Removed access token [0-9a-f]{16}$/);
  assert.ok(!byToken.out[0]!.includes(a));
  assert.deepEqual((await run(["rm", bId, "--data-dir", dir])).out, [
    `Removed access token ${bId}`,
  ]);
  const byDevice = await run(["rm", "--device", "c", "--data-dir", dir]);
  assert.equal(byDevice.out.length, 2);
  assert.deepEqual((await run(["ls", "--data-dir", dir])).out, []);

  const missing = await run(["rm", "nope", "--data-dir", dir]);
  assert.equal(missing.code, 1);
  assert.deepEqual(missing.err, ['postern token rm: No access token "nope"']);
  assert.equal((await run(["rm", "--device", "c", "--data-dir", dir])).code, 1);
  assert.equal((await run(["rm", "--data-dir", dir])).code, 2);
  assert.equal(
    (await run(["rm", "x", "--device", "c", "--data-dir", dir])).code,
    2,
  );
  await Deno.remove(dir, { recursive: true });
});
