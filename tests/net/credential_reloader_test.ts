/**
 * CredentialReloader: reload on a file change seen by `Deno.watchFs`
 * (files replaced by rename, as editors and secret mounts do), on SIGHUP
 * (in a child process, so that no signal reaches the test runner), no
 * reload when the bytes did not change, and a refused load keeping the
 * credentials in force.
 */
import assert from "node:assert/strict";
import { CredentialReloader } from "../../src/net/credential_reloader.ts";
import { Logger } from "../../src/log/mod.ts";
import { waitFor } from "./_support.ts";

async function replace(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.new`, text);
  await Deno.rename(`${path}.new`, path);
}

Deno.test("CredentialReloader follows a file replaced on disk and keeps the old value for a bad one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-reloader-" });
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  await Deno.writeTextFile(cert, "cert-1");
  await Deno.writeTextFile(key, "key-1");
  const lines: string[] = [];
  let loads = 0;
  const reloader = await CredentialReloader.start({
    name: "ssl/default",
    files: [cert, key],
    sighup: false,
    debounceMs: 50,
    logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
    load: async () => {
      loads++;
      const [c, k] = [
        await Deno.readTextFile(cert),
        await Deno.readTextFile(key),
      ];
      if (c.endsWith("bad")) throw new Error("Cannot parse the certificate");
      return `${c}+${k}`;
    },
  });
  try {
    const seen: string[] = [];
    reloader.onReload((v) => seen.push(v));
    await replace(cert, "cert-2");
    await waitFor(() => seen.length === 1, 5_000, "a reload");
    assert.deepEqual(seen, ["cert-2+key-1"]);
    assert.equal(reloader.current, "cert-2+key-1");

    const before = loads;
    assert.equal(await reloader.reload(), "unchanged");
    assert.equal(loads, before);

    await replace(cert, "cert-bad");
    await waitFor(
      () => lines.some((l) => l.includes("tls.reload_failed")),
      5_000,
      "tls.reload_failed",
    );
    assert.equal(reloader.current, "cert-2+key-1");
    assert.deepEqual(seen, ["cert-2+key-1"]);
    const failed = JSON.parse(
      lines.find((l) => l.includes("tls.reload_failed"))!,
    );
    assert.equal(failed.error, "Cannot parse the certificate");

    await Deno.remove(key);
    assert.equal(await reloader.reload(), "failed");
    assert.equal(reloader.current, "cert-2+key-1");
  } finally {
    reloader.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "CredentialReloader reloads on SIGHUP (child process)",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "postern-sighup-" });
    const file = `${dir}/cert.pem`;
    await Deno.writeTextFile(file, "one");
    const module = new URL(
      "../../src/net/credential_reloader.ts",
      import.meta.url,
    ).href;
    const script = `
      import { CredentialReloader } from ${JSON.stringify(module)};
      const r = await CredentialReloader.start({
        name: "ssl/default", files: [${JSON.stringify(file)}], watch: false,
        load: () => Deno.readTextFile(${JSON.stringify(file)}),
      });
      // A signal listener does not keep the event loop alive: a timer does.
      const alive = setTimeout(() => {}, 10_000);
      r.onReload((v) => { console.log("reloaded " + v); r.close(); clearTimeout(alive); });
      console.log("ready " + r.current);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    const until = async (text: string) => {
      const end = Date.now() + 10_000;
      while (!out.includes(text)) {
        assert.ok(Date.now() < end, `no "${text}" in ${JSON.stringify(out)}`);
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
    };
    try {
      await until("ready one");
      await Deno.writeTextFile(file, "two");
      child.kill("SIGHUP");
      await until("reloaded two");
      const status = await child.status;
      assert.equal(status.code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
      await reader.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
