// A running store instance observes, within a second, a change made by a
// `postern psk rm` in another process (Deno KV does not notify across
// processes; the store's poll of its change counter does).
import assert from "node:assert/strict";
import { type CredentialChange, KvStore } from "../../src/auth/mod.ts";
import { waitFor } from "./_fixtures.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

async function postern(...args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("KvStore sees a postern psk rm from another process within 1 s", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_kv_proc_" });
  const broker = await KvStore.openDataDir(dir);
  await broker.addPsk("device-1", new Uint8Array(16).fill(1));
  await broker.addPsk("device-2", new Uint8Array(16).fill(2));
  const seen: { change: CredentialChange; at: number }[] = [];
  const changes = broker.changes();
  const reading = (async () => {
    for await (const change of changes) {
      seen.push({ change, at: performance.now() });
    }
  })();

  const rm = await postern("psk", "rm", "device-1", "--data-dir", dir);
  const exited = performance.now();
  assert.equal(rm.code, 0, new TextDecoder().decode(rm.stderr));
  await waitFor(() => seen.length > 0, 1000);
  assert.deepEqual(seen.map((s) => s.change), [
    { kind: "psk", id: "device-1", op: "removed" },
  ]);
  assert.ok(seen[0]!.at - exited < 1000);
  assert.equal(await broker.lookupPsk("device-1"), undefined);
  assert.deepEqual(await broker.listPsk(), ["device-2"]);

  const add = await postern(
    "psk",
    "add",
    "device-3",
    "--key",
    "0a0b",
    "--data-dir",
    dir,
  );
  assert.equal(add.code, 0);
  await waitFor(
    async () => (await broker.lookupPsk("device-3")) !== undefined,
    1000,
  );
  assert.deepEqual(
    await broker.lookupPsk("device-3"),
    new Uint8Array([10, 11]),
  );

  await broker.close();
  await reading;
  await Deno.remove(dir, { recursive: true });
});
