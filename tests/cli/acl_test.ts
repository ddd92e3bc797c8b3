import assert from "node:assert/strict";
import { aclCommand } from "../../cli/acl.ts";
import type { StoreCommandIo } from "../../cli/_store.ts";

async function run(
  args: string[],
  io: StoreCommandIo = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await aclCommand(args, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    ...io,
  });
  return { code, out, err };
}

Deno.test("aclCommand() prints help for itself and each subcommand", async () => {
  for (
    const args of [["--help"], ["set", "--help"], ["rm", "--help"], [
      "ls",
      "--help",
    ], ["check", "--help"]]
  ) {
    const { code, out } = await run(args);
    assert.equal(code, 0);
    assert.match(out[0]!, /^Usage: postern acl/);
  }
  assert.equal((await run([])).code, 2);
});

Deno.test("aclCommand() set keeps the rules in the order given and check applies them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_acl_cli_" });
  const d = ["--data-dir", dir];
  const set = await run([
    "set",
    "sensor-7",
    "--deny-publish",
    "sensors/%u/secret",
    "--allow-publish",
    "sensors/%u/#",
    "--rule",
    "allow subscribe commands/%c",
    "--deny",
    "#",
    "--allow-subscribe",
    "never/reached",
    ...d,
  ]);
  assert.equal(set.code, 0);
  assert.deepEqual(set.out, ['Set 5 rules for "sensor-7"']);
  assert.equal((await run(["set", "*", "--allow", "public/#", ...d])).code, 0);

  assert.deepEqual((await run(["ls", ...d])).out, [
    "*\tallow all public/#",
    "sensor-7\tdeny publish sensors/%u/secret",
    "sensor-7\tallow publish sensors/%u/#",
    "sensor-7\tallow subscribe commands/%c",
    "sensor-7\tdeny all #",
    "sensor-7\tallow subscribe never/reached",
  ]);
  assert.deepEqual((await run(["ls", "*", ...d])).out, [
    "*\tallow all public/#",
  ]);

  const check = async (...args: string[]) =>
    (await run(["check", ...args, ...d])).out[0];
  assert.equal(
    await check("sensor-7", "publish", "sensors/sensor-7/t"),
    "allow",
  );
  assert.equal(
    await check("sensor-7", "publish", "sensors/sensor-7/secret"),
    "deny",
  );
  assert.equal(
    await check("sensor-7", "subscribe", "commands/c1", "--client-id", "c1"),
    "allow",
  );
  assert.equal(await check("sensor-7", "subscribe", "commands/c1"), "deny");
  assert.equal(await check("sensor-7", "subscribe", "never/reached"), "deny");
  assert.equal(await check("other", "publish", "public/x"), "allow");
  assert.equal(await check("other", "publish", "private/x"), "deny");

  assert.deepEqual((await run(["rm", "sensor-7", ...d])).out, [
    'Removed the ACL of "sensor-7"',
  ]);
  assert.equal((await run(["rm", "sensor-7", ...d])).code, 1);
  assert.deepEqual((await run(["ls", "sensor-7", ...d])).out, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("aclCommand() reports bad rules and arguments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_acl_cli_" });
  const d = ["--data-dir", dir];
  const cases: [string[], number, RegExp][] = [
    [["set", "s", ...d], 2, /give at least one rule/],
    [["set", ...d], 2, /missing SUBJECT/],
    [
      ["set", "s", "--allow-publish", "a/#/b", ...d],
      1,
      /has '#' before the last level/,
    ],
    [["set", "s", "--rule", "permit all a", ...d], 1, /Invalid ACL permission/],
    [["set", "s", "--allow-pub", "a", ...d], 2, /Unknown option/],
    [["check", "s", "read", "a", ...d], 2, /publish or subscribe/],
    [["check", "s", "publish", ...d], 2, /SUBJECT, ACTION and TOPIC/],
  ];
  for (const [args, expected, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, expected, args.join(" "));
    assert.match(err.join("\n"), pattern, args.join(" "));
  }
  assert.deepEqual((await run(["ls", ...d])).out, []);
  await Deno.remove(dir, { recursive: true });
});
