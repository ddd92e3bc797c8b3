import assert from "node:assert/strict";
import { userCommand } from "../../cli/user.ts";
import { HiddenLine, type StoreCommandIo } from "../../cli/_store.ts";
import { KvStore } from "../../src/auth/mod.ts";

async function run(
  args: string[],
  io: StoreCommandIo = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await userCommand(args, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stdinIsTerminal: () => false,
    readStdin: () => Promise.resolve(""),
    readSecret: () => Promise.reject(new Error("no terminal in tests")),
    passwordIterations: 1000,
    ...io,
  });
  return { code, out, err };
}

async function verify(
  dir: string,
  name: string,
  password: string,
): Promise<boolean> {
  const store = await KvStore.openDataDir(dir, { watch: false });
  try {
    return (await store.verifyPassword(name, password)) !== undefined;
  } finally {
    await store.close();
  }
}

function stdin(text: string): StoreCommandIo {
  return { readStdin: () => Promise.resolve(text) };
}

Deno.test("userCommand() prints help for itself and each subcommand", async () => {
  for (
    const args of [["--help"], ["add", "--help"], ["rm", "--help"], [
      "ls",
      "--help",
    ]]
  ) {
    const { code, out } = await run(args);
    assert.equal(code, 0);
    assert.match(out[0]!, /^Usage: postern user/);
  }
  assert.equal((await run(["bogus"])).code, 2);
});

Deno.test("userCommand() add reads the password from the first line of stdin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_user_cli_" });
  const add = await run(
    ["add", "alice", "--data-dir", dir],
    stdin("correct horse\nnot this\n"),
  );
  assert.equal(add.code, 0);
  assert.deepEqual(add.out, ['Added user "alice"']);
  assert.ok(
    !add.out.join("").includes("horse") && !add.err.join("").includes("horse"),
  );
  assert.equal(await verify(dir, "alice", "correct horse"), true);
  assert.equal(await verify(dir, "alice", "not this"), false);

  const again = await run(
    ["add", "alice", "--data-dir", dir],
    stdin("other\n"),
  );
  assert.equal(again.code, 1);
  assert.match(again.err[0]!, /exists; use --force/);
  assert.equal(
    (await run(
      ["add", "alice", "--force", "--data-dir", dir],
      stdin("other\r\n"),
    )).code,
    0,
  );
  assert.equal(await verify(dir, "alice", "other"), true);

  const ls = await run(["ls", "--data-dir", dir]);
  assert.deepEqual(ls.out, ["alice"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("userCommand() add never takes the password as an argument", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_user_cli_" });
  const arg = await run(["add", "bob", "hunter2", "--data-dir", dir]);
  assert.equal(arg.code, 2);
  assert.match(arg.err[0]!, /never taken as an argument/);
  assert.equal(
    (await run(["add", "bob", "--password", "x", "--data-dir", dir])).code,
    2,
  );
  const empty = await run(["add", "bob", "--data-dir", dir], stdin("\n"));
  assert.equal(empty.code, 1);
  assert.match(empty.err[0]!, /No password on standard input/);
  assert.deepEqual((await run(["ls", "--data-dir", dir])).out, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("userCommand() add asks twice without echo on a terminal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_user_cli_" });
  const prompts: string[] = [];
  const answers = ["s3cret", "s3cret", "one", "two"];
  const tty: StoreCommandIo = {
    stdinIsTerminal: () => true,
    readSecret: (prompt) => {
      prompts.push(prompt);
      return Promise.resolve(answers.shift()!);
    },
  };
  assert.equal((await run(["add", "carol", "--data-dir", dir], tty)).code, 0);
  assert.deepEqual(prompts, ["Password: ", "Repeat password: "]);
  assert.equal(await verify(dir, "carol", "s3cret"), true);
  const differ = await run(["add", "dave", "--data-dir", dir], tty);
  assert.equal(differ.code, 1);
  assert.deepEqual(differ.err, ["postern user add: The passwords differ"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("userCommand() rm removes users and reports unknown ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_user_cli_" });
  await run(["add", "a", "--data-dir", dir], stdin("pw\n"));
  await run(["add", "b", "--data-dir", dir], stdin("pw\n"));
  const rm = await run(["rm", "a", "zed", "--data-dir", dir]);
  assert.equal(rm.code, 1);
  assert.deepEqual(rm.out, ['Removed user "a"']);
  assert.deepEqual(rm.err, ['postern user rm: No user "zed"']);
  assert.deepEqual((await run(["ls", "--data-dir", dir])).out, ["b"]);
  assert.equal((await run(["rm", "--data-dir", dir])).code, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("HiddenLine edits a line the way a terminal does", () => {
  const enc = new TextEncoder();
  const line = new HiddenLine();
  assert.deepEqual(line.feed(enc.encode("ab\x7fc")), { done: false });
  assert.deepEqual(line.feed(enc.encode("\x15xy\x1b\bz")), { done: false });
  assert.deepEqual(line.feed(enc.encode("é\n")), { done: true, line: "xzé" });
  const utf8 = enc.encode("ü\r");
  const split = new HiddenLine();
  assert.deepEqual(split.feed(utf8.subarray(0, 1)), { done: false });
  assert.deepEqual(split.feed(utf8.subarray(1)), { done: true, line: "ü" });
  assert.deepEqual(new HiddenLine().feed(enc.encode("a\x03")), {
    done: true,
    cancelled: true,
  });
  assert.deepEqual(new HiddenLine().feed(enc.encode("\x04")), {
    done: true,
    cancelled: true,
  });
  assert.deepEqual(new HiddenLine().feed(enc.encode("a\x04")), {
    done: true,
    line: "a",
  });
});

Deno.test({
  name:
    "postern user add reads a password from a real terminal without echoing it",
  ignore: Deno.build.os !== "linux" || !(() => {
    try {
      return Deno.statSync("/usr/bin/script").isFile;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern_user_tty_" });
    const main = new URL("../../cli/main.ts", import.meta.url).pathname;
    const inner = [
      Deno.execPath(),
      "run",
      "-A",
      main,
      "user",
      "add",
      "tty-user",
      "--data-dir",
      dir,
    ]
      .map((a) => `'${a}'`).join(" ");
    const child = new Deno.Command("script", {
      args: ["-qec", inner, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      cwd: new URL("../..", import.meta.url).pathname,
    }).spawn();
    const writer = child.stdin.getWriter();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    const deadline = Date.now() + 30_000;
    async function until(pattern: RegExp): Promise<void> {
      while (!pattern.test(text)) {
        assert.ok(
          Date.now() < deadline,
          `timed out waiting for ${pattern}: ${text}`,
        );
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    }
    const enc = new TextEncoder();
    await until(/Password: /);
    await writer.write(enc.encode("tty-Secret-9\r"));
    await until(/Repeat password: /);
    await writer.write(enc.encode("tty-Secret-9\r"));
    await until(/Added user|postern user/);
    await writer.close();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const { code } = await child.status;
    assert.equal(code, 0, text);
    assert.match(text, /Added user "tty-user"/);
    assert.ok(!text.includes("tty-Secret-9"), text);
    assert.equal(await verify(dir, "tty-user", "tty-Secret-9"), true);
    await Deno.remove(dir, { recursive: true });
  },
});
