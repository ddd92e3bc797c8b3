import assert from "node:assert/strict";
import {
  AuthError,
  importPskFile,
  importPskInitFile,
  KvStore,
  MemoryStore,
  parsePskFile,
  PskFileError,
} from "../../src/auth/mod.ts";

const GOOD = [
  "\uFEFF# PSK identities for the plant",
  "",
  "sensor-1:000102030405060708090a0b0c0d0e0f",
  "  sensor-2 : AABBCCDDEEFF00112233445566778899  ",
  "\t# indented comment",
  "gw 3:01\r",
  "",
].join("\n");

function isLineError(line: number, pattern?: RegExp) {
  return (e: unknown) =>
    e instanceof PskFileError && e.code === "invalid_psk_file" &&
    e.line === line && (pattern === undefined || pattern.test(e.message));
}

Deno.test("parsePskFile() reads identities and hex secrets, skipping comments and blank lines", () => {
  const entries = parsePskFile(GOOD);
  assert.deepEqual(entries.map((e) => e.identity), [
    "sensor-1",
    "sensor-2",
    "gw 3",
  ]);
  assert.deepEqual(
    entries[0]!.key,
    Uint8Array.from({ length: 16 }, (_, i) => i),
  );
  assert.equal(entries[1]!.key[0], 0xaa);
  assert.deepEqual(entries[2]!.key, new Uint8Array([1]));
  assert.deepEqual(parsePskFile(""), []);
  assert.deepEqual(parsePskFile("# only\n\n"), []);
});

Deno.test("parsePskFile() names the line of a bad secret without printing it", () => {
  const cases: [string, number, RegExp][] = [
    ["a:00\nb:0g11\n", 2, /not hexadecimal \(character 2\)/],
    ["a:00\n\n#\nb:123\n", 4, /odd number/],
    ["a:\n", 1, /Empty secret/],
    [`a:${"00".repeat(65)}`, 1, /65 bytes, at most 64/],
    ["a:00 11", 1, /not hexadecimal/],
    ["a:00\nb-without-separator\n", 2, /Missing the separator ":"/],
    [":00", 1, /Invalid PSK identity: empty/],
    ["a\u0001b:00", 1, /control characters/],
    [`${"x".repeat(257)}:00`, 1, /longer than 256 bytes/],
  ];
  for (const [text, line, pattern] of cases) {
    assert.throws(() => parsePskFile(text), isLineError(line, pattern), text);
  }
  try {
    parsePskFile("dev:c0ffee\ndev2:deadbeefz");
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof PskFileError);
    assert.ok(!err.message.includes("deadbeef"));
    assert.match(
      err.message,
      /^Line 2: Secret is not hexadecimal \(character 9\) for PSK identity "dev2"$/,
    );
  }
});

Deno.test("parsePskFile() reports a duplicate identity with both lines", () => {
  assert.throws(
    () => parsePskFile("a:00\nb:11\n\na:22\n"),
    (e) =>
      e instanceof PskFileError && e.line === 4 && e.firstLine === 1 &&
      e.message === 'Line 4: Duplicate PSK identity "a" (first on line 1)',
  );
});

Deno.test("parsePskFile() splits on a custom separator at its first occurrence", () => {
  const entries = parsePskFile("urn:dev:1|0011\nhost:8080|2233", {
    separator: "|",
  });
  assert.deepEqual(entries.map((e) => e.identity), ["urn:dev:1", "host:8080"]);
  assert.throws(
    () => parsePskFile("host:8080||2233x", { separator: "|" }),
    isLineError(1),
  );
  const multi = parsePskFile("a::b=>00ff", { separator: "=>" });
  assert.deepEqual(multi.map((e) => [e.identity, e.key.length]), [["a::b", 2]]);
  assert.throws(
    () => parsePskFile("a:00", { separator: "" }),
    (e) => e instanceof AuthError && e.code === "invalid_psk_file",
  );
});

Deno.test("parsePskFile() entries hide their secrets when printed", () => {
  const [entry] = parsePskFile("d:5a5a5a5a");
  assert.ok(!JSON.stringify(entry).includes("5a5a"));
  assert.ok(!Deno.inspect(entry).includes("90"));
  assert.match(Deno.inspect(entry), /PskEntry\("d", \[redacted\]\)/);
});

Deno.test("importPskFile() imports a good file into the store", async () => {
  const store = new MemoryStore();
  const result = await importPskFile(store, GOOD, { chunkSize: 2 });
  assert.deepEqual(result, { added: 3, replaced: 0, unchanged: 0 });
  assert.deepEqual(await store.listPsk(), ["gw 3", "sensor-1", "sensor-2"]);
  await store.close();
});

for (const backend of ["MemoryStore", "KvStore"] as const) {
  Deno.test(`importPskFile() leaves the ${backend} unchanged when line N is bad`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "postern_psk_" });
    const store = backend === "MemoryStore"
      ? new MemoryStore()
      : await KvStore.openDataDir(dir, { watch: false });
    try {
      await store.addPsk("sensor-1", new Uint8Array([9]));
      const lines = Array.from({ length: 7 }, (_, i) => `dev-${i}:0${i}`);
      lines[5] = "dev-5:0x";
      await assert.rejects(
        importPskFile(store, lines.join("\n"), { chunkSize: 2 }),
        isLineError(6, /not hexadecimal/),
      );
      await assert.rejects(
        importPskFile(store, "dev-1:01\ndev-1:02", { chunkSize: 2 }),
        isLineError(2, /Duplicate/),
      );
      assert.deepEqual(await store.listPsk(), ["sensor-1"]);
      assert.deepEqual(await store.lookupPsk("sensor-1"), new Uint8Array([9]));
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("importPskInitFile() follows PSK_AUTHENTICATION_* and names the file in errors", async () => {
  const store = new MemoryStore();
  const config = {
    enabled: true,
    initFile: "/etc/psk.txt",
    separator: "|",
    chunkSize: 2,
  };
  const read = (path: string) =>
    path === "/etc/psk.txt"
      ? Promise.resolve("a|00\nb|11\n")
      : Promise.reject(new Deno.errors.NotFound("gone"));
  assert.deepEqual(await importPskInitFile(store, config, read), {
    added: 2,
    replaced: 0,
    unchanged: 0,
  });
  assert.equal(
    await importPskInitFile(store, { ...config, enabled: false }, read),
    undefined,
  );
  assert.equal(
    await importPskInitFile(store, {
      enabled: true,
      separator: ":",
      chunkSize: 50,
    }, read),
    undefined,
  );
  await assert.rejects(
    importPskInitFile(store, { ...config, initFile: "/nope" }, read),
    (e) =>
      e instanceof AuthError && e.code === "invalid_psk_file" &&
      /\/nope: gone/.test(e.message),
  );
  await assert.rejects(
    importPskInitFile(store, config, () => Promise.resolve("c|00\nd|1")),
    (e) =>
      e instanceof PskFileError &&
      e.message.startsWith("/etc/psk.txt line 2: "),
  );
  assert.deepEqual(await store.listPsk(), ["a", "b"]);
  await store.close();
});
