import assert from "node:assert/strict";
import {
  AuthError,
  DEFAULT_PBKDF2_ITERATIONS,
  parsePasswordHash,
  PasswordHasher,
} from "../../src/auth/mod.ts";
import {
  constantTimeEqual,
  decodeHex,
  encodeHex,
} from "../../src/bytes/mod.ts";
import { pbkdf2 } from "../../src/crypto/mod.ts";

const FORMAT = /^pbkdf2-sha256\$(\d+)\$([0-9a-f]{32})\$([0-9a-f]{64})$/;

Deno.test("PasswordHasher defaults to at least 100 000 iterations", () => {
  assert.ok(DEFAULT_PBKDF2_ITERATIONS >= 100_000);
  assert.equal(new PasswordHasher().iterations, DEFAULT_PBKDF2_ITERATIONS);
});

Deno.test("PasswordHasher.hash() writes pbkdf2-sha256$iterations$salt$hash as src/crypto pbkdf2 computes it", async () => {
  const hasher = new PasswordHasher({ iterations: 1234 });
  const stored = await hasher.hash("pässword");
  const [, iterations, salt, hash] = FORMAT.exec(stored)!;
  assert.equal(iterations, "1234");
  const expected = pbkdf2(
    "SHA-256",
    new TextEncoder().encode("pässword"),
    decodeHex(salt!),
    1234,
    32,
  );
  assert.equal(hash, encodeHex(expected));
  const parsed = parsePasswordHash(stored);
  assert.equal(parsed.iterations, 1234);
  assert.deepEqual(parsed.hash, expected);
});

Deno.test("PasswordHasher.hash() uses a fresh 16-byte salt every time", async () => {
  const hasher = new PasswordHasher({ iterations: 10 });
  const a = FORMAT.exec(await hasher.hash("same"))!;
  const b = FORMAT.exec(await hasher.hash("same"))!;
  assert.notEqual(a[2], b[2]);
  assert.notEqual(a[3], b[3]);
});

Deno.test("PasswordHasher.verify() accepts the password, refuses others and malformed hashes", async () => {
  const hasher = new PasswordHasher({ iterations: 100 });
  const stored = await hasher.hash(new Uint8Array([0, 1, 2, 255]));
  assert.equal(
    await hasher.verify(stored, new Uint8Array([0, 1, 2, 255])),
    true,
  );
  assert.equal(await hasher.verify(stored, new Uint8Array([0, 1, 2])), false);
  assert.equal(await hasher.verify(stored, ""), false);
  assert.equal(await hasher.verify("plain", "plain"), false);
  assert.equal(
    await hasher.verify(
      stored.replace("$100$", "$101$"),
      new Uint8Array([0, 1, 2, 255]),
    ),
    false,
  );
});

Deno.test("PasswordHasher compares derived keys with the injected constant-time function", async () => {
  const calls: [number, number][] = [];
  const hasher = new PasswordHasher({
    iterations: 50,
    equal: (a, b) => {
      calls.push([a.length, b.length]);
      return constantTimeEqual(a, b);
    },
  });
  const stored = await hasher.hash("pw");
  await hasher.verify(stored, "pw");
  await hasher.verify(stored, "nope");
  assert.equal(await hasher.verifyUnknown("pw"), false);
  await hasher.verify("garbage", "pw");
  assert.deepEqual(calls, [[32, 32], [32, 32], [32, 32], [32, 32]]);
});

Deno.test("PasswordHasher.verifyUnknown() does the work of a real verification", async () => {
  const hasher = new PasswordHasher({ iterations: 20_000 });
  const stored = await hasher.hash("pw");
  const time = async (fn: () => Promise<boolean>) => {
    const start = performance.now();
    for (let i = 0; i < 5; i++) await fn();
    return performance.now() - start;
  };
  await time(() => hasher.verify(stored, "warm"));
  const known = await time(() => hasher.verify(stored, "wrong"));
  const unknown = await time(() => hasher.verifyUnknown("wrong"));
  assert.ok(unknown > known / 4, `unknown ${unknown} ms vs known ${known} ms`);
});

Deno.test("PasswordHasher.hash() refuses empty and over-long passwords", async () => {
  const hasher = new PasswordHasher({ iterations: 1 });
  for (const pw of ["", new Uint8Array(4097)]) {
    await assert.rejects(
      hasher.hash(pw),
      (e) => e instanceof AuthError && e.code === "invalid_password",
    );
  }
  assert.throws(() => new PasswordHasher({ iterations: 0 }), RangeError);
  assert.throws(() => new PasswordHasher({ iterations: 1.5 }), RangeError);
});

Deno.test("parsePasswordHash() refuses malformed strings with AuthError invalid_hash", () => {
  const salt = "00".repeat(16);
  const hash = "11".repeat(32);
  const bad = [
    "",
    `pbkdf2-sha1$1000$${salt}$${hash}`,
    `pbkdf2-sha256$0$${salt}$${hash}`,
    `pbkdf2-sha256$01$${salt}$${hash}`,
    `pbkdf2-sha256$99999999$${salt}$${hash}`,
    `pbkdf2-sha256$1000$${"AB".repeat(16)}$${hash}`,
    `pbkdf2-sha256$1000$00$${hash}`,
    `pbkdf2-sha256$1000$${salt}$${hash}00`,
    `pbkdf2-sha256$1000$${salt}$${hash}$x`,
  ];
  for (const text of bad) {
    assert.throws(
      () => parsePasswordHash(text),
      (e) => e instanceof AuthError && e.code === "invalid_hash",
      text,
    );
  }
});
