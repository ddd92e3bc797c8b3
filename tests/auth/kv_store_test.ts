import assert from "node:assert/strict";
import {
  AuthError,
  type CredentialChange,
  credentialStorePath,
  importPskFile,
  KvStore,
} from "../../src/auth/mod.ts";
import { waitFor } from "./_fixtures.ts";

const FAST = { passwordIterations: 1000 };

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "postern_kv_" });
}

function key(n: number): Uint8Array {
  return new Uint8Array(16).fill(n);
}

const SEVEN_LINES = Array.from(
  { length: 7 },
  (_, i) =>
    `dev-${i + 1}:${"0".repeat(30)}${(i + 1).toString(16).padStart(2, "0")}`,
).join("\n");

interface CommitInfo {
  readonly sets: readonly Deno.KvKey[];
  readonly deletes: readonly Deno.KvKey[];
}

/**
 * Wraps a Deno.Kv so that every atomic commit is reported to `onCommit`
 * before it runs; `onCommit` may throw to make the commit fail.
 */
function instrument(
  kv: Deno.Kv,
  onCommit: (info: CommitInfo) => void,
): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => wrapAtomic(target.atomic(), onCommit);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function wrapAtomic(
  op: Deno.AtomicOperation,
  onCommit: (info: CommitInfo) => void,
): Deno.AtomicOperation {
  const sets: Deno.KvKey[] = [];
  const deletes: Deno.KvKey[] = [];
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "commit") {
          onCommit({ sets, deletes });
          return value.apply(target, args);
        }
        if (prop === "set") sets.push(args[0] as Deno.KvKey);
        if (prop === "delete") deletes.push(args[0] as Deno.KvKey);
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

function staged(info: CommitInfo): number {
  return info.sets.filter((k) => k[1] === "stage").length;
}

async function rawKeys(path: string, prefix: string): Promise<string[]> {
  const kv = await Deno.openKv(path);
  try {
    const keys: string[] = [];
    for await (const e of kv.list({ prefix: ["auth", prefix] })) {
      keys.push(e.key.slice(2).join("/"));
    }
    return keys;
  } finally {
    kv.close();
  }
}

Deno.test("KvStore keeps credentials across reopening", async () => {
  const dir = await tempDir();
  const first = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  await first.addPsk("p", key(1));
  const { token } = await first.addToken("d");
  await first.addUser("u", "pw");
  await first.setAcl("d", [{ permission: "allow", action: "all", topic: "#" }]);
  await first.allowCertificate({ cn: "c" }, "d");
  await first.close();

  const second = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  assert.deepEqual(await second.lookupPsk("p"), key(1));
  assert.equal((await second.verifyToken(token))?.subject, "d");
  assert.equal((await second.verifyPassword("u", "pw"))?.subject, "u");
  assert.equal((await second.listAcl()).length, 1);
  assert.equal((await second.listCertificateRules()).length, 1);
  await second.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore sees a write through a second handle on the same file within 1 s", async () => {
  const dir = await tempDir();
  const watcher = await KvStore.openDataDir(dir, FAST);
  const writer = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  const seen: CredentialChange[] = [];
  const changes = watcher.changes();
  const reading = (async () => {
    for await (const c of changes) seen.push(c);
  })();

  await writer.addPsk("device-9", key(9));
  const added = await waitFor(
    async () => (await watcher.lookupPsk("device-9")) !== undefined,
    1000,
  );
  assert.ok(added < 1000);
  await writer.removePsk("device-9");
  await waitFor(() => seen.length === 2, 1000);
  assert.equal(await watcher.lookupPsk("device-9"), undefined);
  assert.deepEqual(seen, [
    { kind: "psk", id: "device-9", op: "added" },
    { kind: "psk", id: "device-9", op: "removed" },
  ]);

  await writer.close();
  await watcher.close();
  await reading;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore serializes concurrent writers without losing a write", async () => {
  const dir = await tempDir();
  const a = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  const b = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) => (i % 2 ? a : b).addPsk(`p${i}`, key(i)),
    ),
  );
  await a.refresh();
  await b.refresh();
  assert.equal((await a.listPsk()).length, 10);
  assert.deepEqual(await a.listPsk(), await b.listPsk());
  await a.close();
  await b.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore catches up after missing more commits than the log keeps", async () => {
  const dir = await tempDir();
  const behind = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  await behind.addPsk("old", key(1));
  await behind.addPsk("kept", key(2));
  const seen: CredentialChange[] = [];
  behind.onChange((c) => seen.push(c));
  const writer = await KvStore.openDataDir(dir, { ...FAST, watch: false });
  await writer.removePsk("old");
  await writer.addPsk("kept", key(3));
  for (let i = 0; i < 150; i++) {
    await writer.setAcl(`s${i % 3}`, [
      { permission: "allow", action: "all", topic: `t/${i}` },
    ]);
  }
  for (let i = 0; i < 150; i++) await writer.addPsk(`n${i % 2}`, key(i));
  await behind.refresh();
  assert.deepEqual(await behind.listPsk(), await writer.listPsk());
  assert.deepEqual(await behind.lookupPsk("kept"), key(3));
  const psk = seen.filter((c) => c.kind === "psk").map((c) => `${c.op} ${c.id}`)
    .sort();
  assert.deepEqual(psk, [
    "added kept",
    "added n0",
    "added n1",
    "removed kept",
    "removed old",
  ]);
  assert.equal(seen.filter((c) => c.kind === "acl").length, 3);
  await writer.close();
  await behind.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("importPskFile() on KvStore writes chunk by chunk and commits once", async () => {
  const dir = await tempDir();
  const path = credentialStorePath(dir);
  const kv = await Deno.openKv(path);
  const commits: CommitInfo[] = [];
  const store = await KvStore.open(
    instrument(kv, (info) => commits.push(info)),
    { ...FAST, watch: false },
  );
  const watcher = await KvStore.open(path, FAST);
  const views: number[] = [];
  watcher.onChange(() => {
    void Promise.all(
      Array.from({ length: 7 }, (_, i) => watcher.lookupPsk(`dev-${i + 1}`)),
    ).then((found) => views.push(found.filter((k) => k !== undefined).length));
  });

  commits.length = 0;
  const result = await importPskFile(store, SEVEN_LINES, { chunkSize: 2 });
  assert.deepEqual(result, { added: 7, replaced: 0, unchanged: 0 });
  assert.deepEqual(commits.map(staged).filter((n) => n > 0), [2, 2, 2, 1]);
  const visible = commits.filter((c) => c.sets.some((k) => k[1] === "log"));
  assert.equal(visible.length, 1);
  assert.ok(visible[0]!.sets.some((k) => k[1] === "import"));
  assert.equal(staged(visible[0]!), 0);
  assert.deepEqual(
    await store.listPsk(),
    SEVEN_LINES.split("\n").map((l) => l.split(":")[0]),
  );

  await waitFor(() => views.length === 7, 1000);
  assert.deepEqual(views, [7, 7, 7, 7, 7, 7, 7]);
  assert.deepEqual(await rawKeys(path, "stage"), []);
  assert.deepEqual(await rawKeys(path, "import"), []);
  assert.equal((await rawKeys(path, "rec")).length, 7);

  commits.length = 0;
  assert.deepEqual(
    await importPskFile(store, SEVEN_LINES, { chunkSize: 2 }),
    { added: 0, replaced: 0, unchanged: 7 },
  );
  assert.deepEqual(commits, []);

  await watcher.close();
  await store.close();
  kv.close();
  const fresh = await KvStore.open(path, { ...FAST, watch: false });
  assert.equal((await fresh.listPsk()).length, 7);
  assert.deepEqual(
    await fresh.lookupPsk("dev-7"),
    new Uint8Array(16).fill(0).map((_, i) => i === 15 ? 7 : 0),
  );
  await fresh.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("importPskFile() on KvStore imports nothing when a later chunk fails", async () => {
  const dir = await tempDir();
  const path = credentialStorePath(dir);
  const kv = await Deno.openKv(path);
  let stagedChunks = 0;
  const store = await KvStore.open(
    instrument(kv, (info) => {
      if (staged(info) > 0 && ++stagedChunks === 3) {
        throw new TypeError("disk full");
      }
    }),
    { ...FAST, watch: false },
  );
  await store.addPsk("existing", key(1));
  const watcher = await KvStore.open(path, FAST);
  const seen: CredentialChange[] = [];
  watcher.onChange((c) => seen.push(c));

  await assert.rejects(
    importPskFile(store, SEVEN_LINES, { chunkSize: 2 }),
    (e) =>
      e instanceof AuthError && e.code === "storage" &&
      /disk full/.test(e.message),
  );
  assert.deepEqual(await store.listPsk(), ["existing"]);
  await new Promise((r) => setTimeout(r, 300));
  await watcher.refresh();
  assert.deepEqual(await watcher.listPsk(), ["existing"]);
  assert.deepEqual(seen, []);
  assert.deepEqual(await rawKeys(path, "stage"), []);
  assert.deepEqual(await rawKeys(path, "pending"), []);

  await watcher.close();
  await store.close();
  kv.close();
  const fresh = await KvStore.open(path, { ...FAST, watch: false });
  assert.deepEqual(await fresh.listPsk(), ["existing"]);
  await fresh.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore finishes an import whose compaction was interrupted", async () => {
  const dir = await tempDir();
  const path = credentialStorePath(dir);
  const kv = await Deno.openKv(path);
  let committed = false;
  const errors: unknown[] = [];
  const store = await KvStore.open(
    instrument(kv, (info) => {
      if (info.sets.some((k) => k[1] === "import")) committed = true;
      else if (committed && info.deletes.some((k) => k[1] === "stage")) {
        throw new TypeError("power cut");
      }
    }),
    { ...FAST, watch: false, onError: (e) => errors.push(e) },
  );
  const result = await importPskFile(store, SEVEN_LINES, { chunkSize: 3 });
  assert.equal(result.added, 7);
  assert.equal(errors.length, 1);
  assert.equal((await store.listPsk()).length, 7);
  await store.close();
  kv.close();
  assert.equal((await rawKeys(path, "stage")).length, 7);
  assert.equal((await rawKeys(path, "rec")).length, 0);

  const reader = await KvStore.open(path, { ...FAST, watch: false });
  assert.equal((await reader.listPsk()).length, 7);
  assert.deepEqual(await rawKeys(path, "stage"), []);
  assert.deepEqual(await rawKeys(path, "import"), []);
  assert.equal((await rawKeys(path, "rec")).length, 7);
  await reader.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore drops the staging of an import abandoned before its commit", async () => {
  const dir = await tempDir();
  const path = credentialStorePath(dir);
  const kv = await Deno.openKv(path);
  await kv.atomic()
    .set(["auth", "pending", "abandoned"], { startedAt: 0, count: 1 })
    .set(["auth", "stage", "abandoned", "ghost"], { key: key(1) })
    .commit();
  await kv.atomic()
    .set(["auth", "pending", "running"], { startedAt: Date.now(), count: 1 })
    .set(["auth", "stage", "running", "ghost2"], { key: key(1) })
    .commit();
  kv.close();
  const store = await KvStore.open(path, { ...FAST, watch: false });
  assert.deepEqual(await store.listPsk(), []);
  assert.deepEqual(await rawKeys(path, "stage"), ["running/ghost2"]);
  assert.deepEqual(await rawKeys(path, "pending"), ["running"]);
  await store.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore ignores malformed records", async () => {
  const dir = await tempDir();
  const path = credentialStorePath(dir);
  const kv = await Deno.openKv(path);
  await kv.set(["auth", "rec", "psk", "bad"], { key: "not bytes" });
  await kv.set(["auth", "rec", "psk", "good"], { key: key(1), seq: 0 });
  await kv.set(["auth", "rec", "cert", "cn:x"], {
    match: { cn: "y" },
    device: "d",
    order: 1,
  });
  await kv.set(["auth", "rec", "acl", "s"], { rules: [{ permission: "x" }] });
  kv.close();
  const store = await KvStore.open(path, { ...FAST, watch: false });
  assert.deepEqual(await store.listPsk(), ["good"]);
  assert.deepEqual(await store.listCertificateRules(), []);
  assert.deepEqual(await store.listAcl(), []);
  await store.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KvStore.open() reports a path it cannot open as AuthError storage", async () => {
  const dir = await tempDir();
  await assert.rejects(
    KvStore.open(`${dir}/missing/dir/credentials.kv`),
    (e) => e instanceof AuthError && e.code === "storage",
  );
  await Deno.remove(dir, { recursive: true });
});
