// Seeded fuzzing of the PSK init-file parser: whatever the input, the
// result is a list of valid entries or a PskFileError naming a line of the
// input, never another exception.
import assert from "node:assert/strict";
import { MemoryStore, parsePskFile, PskFileError } from "../../src/auth/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const CORPUS: [string, string][] = [
  [":", "sensor-1:000102030405060708090a0b0c0d0e0f\nsensor-2:AABB\n"],
  [":", "# comment\n\n  gw-1 : 0011223344556677  \r\nurn:x:y:ff\n"],
  ["|", "a|00\nb|11\nc|22\nd|33\ne|44\nf|55\ng|66\n"],
  ["::", "id::b::c::00ff\n#x::yy\n"],
  [":", `long:${"ab".repeat(64)}\nx:${"0".repeat(128)}\n`],
  [":", "\uFEFFé:00\nΩmega:ff\n"],
];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function lineCount(text: string): number {
  return text.replace(/^\uFEFF/, "").split(/\r?\n/).length;
}

Deno.test("parsePskFile() returns valid entries or a PskFileError naming a line for mutated files", async () => {
  const rng = new SeededRandom(0x9e37);
  const store = new MemoryStore();
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const [separator, seed] = CORPUS[i % CORPUS.length]!;
    const text = decoder.decode(mutate(encoder.encode(seed), rng));
    let entries;
    try {
      entries = parsePskFile(text, { separator });
    } catch (err) {
      if (!(err instanceof PskFileError)) {
        throw new Error(
          `seed ${i}: unexpected ${err} for ${JSON.stringify(text)}`,
        );
      }
      assert.ok(
        err.line >= 1 && err.line <= lineCount(text),
        `seed ${i}: line ${err.line} out of range`,
      );
      assert.match(err.message, /^Line \d+: \S/);
      refused++;
      continue;
    }
    const identities = new Set(entries.map((e) => e.identity));
    assert.equal(identities.size, entries.length);
    for (const entry of entries) {
      assert.ok(entry.key.length >= 1 && entry.key.length <= 64);
      assert.ok(
        entry.identity !== "" && entry.identity.trim() === entry.identity,
      );
    }
    if (i % 50 === 0) await store.importPsks(entries);
    ok++;
  }
  assert.ok(ok > 100 && refused > 100, `ok ${ok}, refused ${refused}`);
  await store.close();
});
