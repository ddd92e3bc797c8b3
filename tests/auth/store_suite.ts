/**
 * The credential store suite every backend runs (hono's
 * `common.case.test.ts` pattern): `runStoreSuite(name, makeStore)`
 * registers one `Deno.test` per behaviour; each test makes a fresh store
 * and closes it at the end.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AuthError,
  type CredentialChange,
  type CredentialStore,
  type Identity,
  isAffectedBy,
  PskEntry,
  type StoreOptions,
} from "../../src/auth/mod.ts";
import { constantTimeEqual, encodeHex } from "../../src/bytes/mod.ts";
import { testCertificates } from "./_fixtures.ts";

/** A store under test and how to dispose of it. */
export interface StoreFixture {
  store: CredentialStore;
  /** Closes the store and removes what it left behind. */
  dispose(): Promise<void>;
}

/** Makes a fresh, empty store with the given options. */
export type MakeStore = (options: StoreOptions) => Promise<StoreFixture>;

const FAST: StoreOptions = { passwordIterations: 1000 };

function key(n: number, length = 16): Uint8Array {
  return new Uint8Array(length).fill(n);
}

function collect(store: CredentialStore): CredentialChange[] {
  const seen: CredentialChange[] = [];
  store.onChange((c) => seen.push(c));
  return seen;
}

/**
 * Registers the suite for one backend.
 *
 * @param name The backend's name, prefixed to every test name.
 * @param makeStore Makes a fresh store.
 */
export function runStoreSuite(name: string, makeStore: MakeStore): void {
  async function withStore(
    fn: (store: CredentialStore) => Promise<void>,
    options: StoreOptions = FAST,
  ): Promise<void> {
    const fixture = await makeStore(options);
    try {
      await fn(fixture.store);
    } finally {
      await fixture.dispose();
    }
  }

  function test(title: string, fn: (store: CredentialStore) => Promise<void>) {
    Deno.test(`${name}: ${title}`, () => withStore(fn));
  }

  // --- PSK ---

  test("addPsk() stores a secret that lookupPsk() returns as a copy", async (store) => {
    await store.addPsk("sensor-1", key(1));
    const found = await store.lookupPsk("sensor-1");
    assert.deepEqual(found, key(1));
    found!.fill(0);
    assert.deepEqual(await store.lookupPsk("sensor-1"), key(1));
    assert.equal(await store.lookupPsk("sensor-2"), undefined);
  });

  test("addPsk() copies the caller's bytes", async (store) => {
    const bytes = key(3);
    await store.addPsk("d", bytes);
    bytes.fill(9);
    assert.deepEqual(await store.lookupPsk("d"), key(3));
  });

  test("listPsk() lists sorted identities and never secrets", async (store) => {
    await store.addPsk("b", key(0xab, 32));
    await store.addPsk("a", key(0xcd, 8));
    const list = await store.listPsk();
    assert.deepEqual(list, ["a", "b"]);
    const text = JSON.stringify(list);
    assert.ok(!text.includes("abab") && !text.includes("cdcd"));
  });

  test("removePsk() removes an identity and reports whether it was there", async (store) => {
    await store.addPsk("x", key(1));
    assert.equal(await store.removePsk("x"), true);
    assert.equal(await store.removePsk("x"), false);
    assert.equal(await store.lookupPsk("x"), undefined);
    assert.deepEqual(await store.listPsk(), []);
  });

  test("addPsk() rejects bad identities and secrets with typed errors", async (store) => {
    const cases: [string, Uint8Array, string][] = [
      ["", key(1), "invalid_identity"],
      ["a\u0000b", key(1), "invalid_identity"],
      [" padded", key(1), "invalid_identity"],
      ["x".repeat(257), key(1), "invalid_identity"],
      ["ok", new Uint8Array(0), "invalid_key"],
      ["ok", key(1, 65), "invalid_key"],
    ];
    for (const [identity, bytes, code] of cases) {
      await assert.rejects(
        store.addPsk(identity, bytes),
        (e) => e instanceof AuthError && e.code === code,
      );
    }
    await store.addPsk("x".repeat(256), key(1, 64));
    assert.equal((await store.listPsk()).length, 1);
  });

  test("importPsks() adds, replaces and skips unchanged identities all at once", async (store) => {
    await store.addPsk("a", key(1));
    await store.addPsk("b", key(2));
    const seen = collect(store);
    const result = await store.importPsks([
      new PskEntry("a", key(1)),
      new PskEntry("b", key(7)),
      { identity: "c", key: key(3) },
    ], { chunkSize: 2 });
    assert.deepEqual(result, { added: 1, replaced: 1, unchanged: 1 });
    assert.deepEqual(await store.listPsk(), ["a", "b", "c"]);
    assert.deepEqual(await store.lookupPsk("b"), key(7));
    assert.deepEqual(seen, [
      { kind: "psk", id: "b", op: "removed" },
      { kind: "psk", id: "b", op: "added" },
      { kind: "psk", id: "c", op: "added" },
    ]);
    const again = await store.importPsks([{ identity: "c", key: key(3) }]);
    assert.deepEqual(again, { added: 0, replaced: 0, unchanged: 1 });
    assert.equal(seen.length, 3);
  });

  test("importPsks() imports nothing when one entry is invalid or duplicated", async (store) => {
    await assert.rejects(
      store.importPsks([
        { identity: "a", key: key(1) },
        { identity: "b", key: new Uint8Array(0) },
      ]),
      (e) => e instanceof AuthError && e.code === "invalid_key",
    );
    await assert.rejects(
      store.importPsks([
        { identity: "a", key: key(1) },
        { identity: "a", key: key(2) },
      ]),
      (e) => e instanceof AuthError && /appears twice/.test(e.message),
    );
    await assert.rejects(
      store.importPsks([{ identity: "a", key: key(1) }], { chunkSize: 0 }),
      RangeError,
    );
    assert.deepEqual(await store.listPsk(), []);
  });

  // --- Tokens ---

  test("addToken() generates a 20-character token that verifyToken() maps to the device", async (store) => {
    const { token, info } = await store.addToken("thermostat");
    assert.match(token, /^[A-Za-z0-9]{20}$/);
    assert.equal(info.device, "thermostat");
    assert.equal(info.prefix, `${token.slice(0, 4)}…`);
    assert.match(info.id, /^[0-9a-f]{16}$/);
    const identity = await store.verifyToken(token);
    assert.deepEqual(identity, {
      subject: "thermostat",
      kind: "token",
      credentialId: info.id,
    });
    assert.equal(await store.verifyToken(token.slice(1)), undefined);
    assert.equal(await store.verifyToken(""), undefined);
  });

  test("addToken() accepts a given token and refuses one owned by another device", async (store) => {
    await store.addToken("d1", "A1_TEST_TOKEN");
    assert.equal((await store.verifyToken("A1_TEST_TOKEN"))?.subject, "d1");
    await store.addToken("d1", "A1_TEST_TOKEN");
    await assert.rejects(
      store.addToken("d2", "A1_TEST_TOKEN"),
      (e) => e instanceof AuthError && e.code === "invalid_token",
    );
    await assert.rejects(
      store.addToken("d2", "has space"),
      (e) => e instanceof AuthError && e.code === "invalid_token",
    );
  });

  test("listTokens() shows ids and prefixes, never tokens", async (store) => {
    const one = await store.addToken("b-device");
    const two = await store.addToken("a-device", "SECRETTOKEN123456");
    const list = await store.listTokens();
    assert.deepEqual(list.map((t) => t.device), ["a-device", "b-device"]);
    assert.deepEqual(list[0], two.info);
    const text = JSON.stringify(list);
    assert.ok(!text.includes(one.token) && !text.includes("SECRETTOKEN"));
    assert.equal(list[0]!.prefix, "SECR…");
  });

  test("removeToken() removes by token or by id", async (store) => {
    const one = await store.addToken("d1");
    const two = await store.addToken("d2");
    assert.equal(await store.removeToken(one.token), true);
    assert.equal(await store.removeToken(two.info.id), true);
    assert.equal(await store.removeToken(two.info.id), false);
    assert.equal(await store.verifyToken(one.token), undefined);
    assert.equal(await store.verifyToken(two.token), undefined);
    assert.deepEqual(await store.listTokens(), []);
  });

  // --- Users ---

  test("verifyPassword() accepts the right password and refuses a wrong one or an unknown user", async (store) => {
    await store.addUser("alice", "correct horse");
    assert.deepEqual(await store.verifyPassword("alice", "correct horse"), {
      subject: "alice",
      kind: "password",
      credentialId: "alice",
    });
    assert.deepEqual(
      await store.verifyPassword(
        "alice",
        new TextEncoder().encode("correct horse"),
      ),
      { subject: "alice", kind: "password", credentialId: "alice" },
    );
    assert.equal(
      await store.verifyPassword("alice", "correct horsE"),
      undefined,
    );
    assert.equal(await store.verifyPassword("alice", ""), undefined);
    assert.equal(await store.verifyPassword("bob", "correct horse"), undefined);
    assert.deepEqual(await store.listUsers(), ["alice"]);
  });

  Deno.test(`${name}: verifyPassword() compares in constant time, for unknown users too`, async () => {
    let calls = 0;
    const equal = (a: Uint8Array, b: Uint8Array) => {
      calls++;
      return constantTimeEqual(a, b);
    };
    await withStore(async (store) => {
      await store.addUser("alice", "pw-1");
      await store.verifyPassword("alice", "pw-1");
      await store.verifyPassword("alice", "pw-2");
      await store.verifyPassword("nobody", "pw-1");
      assert.equal(calls, 3);
    }, { ...FAST, passwordEqual: equal });
  });

  test("addUser() replaces a password and removeUser() removes the user", async (store) => {
    await store.addUser("alice", "one");
    const seen = collect(store);
    await store.addUser("alice", "two");
    assert.equal(await store.verifyPassword("alice", "one"), undefined);
    assert.equal(
      (await store.verifyPassword("alice", "two"))?.subject,
      "alice",
    );
    assert.equal(await store.removeUser("alice"), true);
    assert.equal(await store.removeUser("alice"), false);
    assert.equal(await store.verifyPassword("alice", "two"), undefined);
    assert.deepEqual(seen.map((c) => `${c.op} ${c.id}`), [
      "removed alice",
      "added alice",
      "removed alice",
    ]);
    await assert.rejects(
      store.addUser("bob", ""),
      (e) => e instanceof AuthError && e.code === "invalid_password",
    );
    await assert.rejects(
      store.addUser("", "pw"),
      (e) => e instanceof AuthError && e.code === "invalid_identity",
    );
  });

  // --- X.509 ---

  test("identifyCertificate() maps fingerprints, CNs, CN regexes and SANs to devices", async (store) => {
    const certs = await testCertificates();
    assert.equal(await store.identifyCertificate(certs.device1), undefined);
    const fpRule = await store.allowCertificate(
      { fingerprint: certs.device1.fingerprintSha256.toUpperCase() },
      "dev-by-fp",
    );
    assert.equal(fpRule, `fingerprint:${certs.device1.fingerprintSha256}`);
    await store.allowCertificate({ cn: "device-1" }, "dev-by-cn");
    await store.allowCertificate({ cnRegex: "device-(\\d+)" }, "sensor-$1");
    await store.allowCertificate({ san: "urn:dev:7" }, "dev-by-san");
    await store.allowCertificate({ cnRegex: "gateway-.*" }, "gateways");

    const byFp = await store.identifyCertificate(certs.device1);
    assert.equal(byFp?.subject, "dev-by-fp");
    assert.equal(byFp?.kind, "x509");
    assert.equal(byFp?.credentialId, fpRule);
    assert.equal(byFp?.certificate?.commonName, "device-1");

    const byRegex = await store.identifyCertificate(certs.device42);
    assert.equal(byRegex?.subject, "sensor-42");
    assert.equal(byRegex?.credentialId, "cn-regex:device-(\\d+)");
    assert.equal(
      (await store.identifyCertificate(certs.sanOnly))?.subject,
      "dev-by-san",
    );
    assert.equal(
      (await store.identifyCertificate(certs.other))?.subject,
      "gateways",
    );

    await store.removeCertificateRule({
      fingerprint: certs.device1.fingerprintSha256,
    });
    assert.equal(
      (await store.identifyCertificate(certs.device1))?.subject,
      "dev-by-cn",
    );
    await store.allowCertificate({ san: "d42.example" }, "dev-by-san-42");
    assert.equal(
      (await store.identifyCertificate(certs.device42))?.subject,
      "dev-by-san-42",
    );
  });

  test("revokeCertificate() refuses matching certificates whatever allows them", async (store) => {
    const certs = await testCertificates();
    await store.allowCertificate({ cnRegex: ".*" }, "$&");
    assert.equal(
      (await store.identifyCertificate(certs.device1))?.subject,
      "device-1",
    );
    const seen = collect(store);
    const id = await store.revokeCertificate({
      fingerprint: certs.device1.fingerprintSha256,
    });
    assert.equal(await store.identifyCertificate(certs.device1), undefined);
    await store.revokeCertificate({ cn: "device-42" });
    assert.equal(await store.identifyCertificate(certs.device42), undefined);
    await store.revokeCertificate({ cnRegex: "gate.*" });
    assert.equal(await store.identifyCertificate(certs.other), undefined);
    await store.revokeCertificate({ san: "urn:dev:7" });
    await store.allowCertificate({ san: "urn:dev:7" }, "x");
    assert.equal(await store.identifyCertificate(certs.sanOnly), undefined);
    assert.deepEqual(seen.slice(0, 1), [{ kind: "x509", id, op: "revoked" }]);

    const rules = await store.listCertificateRules();
    assert.deepEqual(rules.map((r) => `${r.type} ${r.id}`), [
      "allow cn-regex:.*",
      "allow san:urn:dev:7",
      "revoke cn-regex:gate.*",
      "revoke cn:device-42",
      `revoke ${id}`,
      "revoke san:urn:dev:7",
    ]);
    assert.equal(await store.removeCertificateRule({ cn: "device-42" }), true);
    assert.equal(await store.removeCertificateRule({ cn: "device-42" }), false);
    assert.equal(
      (await store.identifyCertificate(certs.device42))?.subject,
      "device-42",
    );
  });

  test("allowCertificate() rejects malformed rules", async (store) => {
    const bad = [
      { fingerprint: "abcd" },
      { cn: "" },
      { cnRegex: "(" },
      { cn: "a", san: "b" },
    ];
    for (const match of bad) {
      await assert.rejects(
        store.allowCertificate(match as { cn: string }, "d"),
        (e) => e instanceof AuthError && e.code === "invalid_rule",
      );
    }
    await assert.rejects(
      store.allowCertificate({ cn: "a" }, ""),
      (e) => e instanceof AuthError && e.code === "invalid_identity",
    );
  });

  test("addCa() trusts CA certificates that trustedCas() returns", async (store) => {
    const certs = await testCertificates();
    assert.deepEqual(await store.trustedCas(), []);
    const fp = await store.addCa(certs.ca);
    assert.equal(fp, certs.ca.fingerprintSha256);
    await store.addCa(certs.ca.der);
    const cas = await store.trustedCas();
    assert.equal(cas.length, 1);
    assert.equal(cas[0]!.fingerprintSha256, fp);
    assert.equal(cas[0]!.subject.commonName, "auth test CA");
    await assert.rejects(
      store.addCa(certs.leaf),
      (e) => e instanceof AuthError && e.code === "invalid_certificate",
    );
    await assert.rejects(
      store.addCa(new Uint8Array([0x30, 0x00])),
      (e) => e instanceof AuthError && e.code === "invalid_certificate",
    );
    assert.equal(await store.removeCa(fp.toUpperCase()), true);
    assert.equal(await store.removeCa(fp), false);
    assert.deepEqual(await store.trustedCas(), []);
  });

  // --- ACL ---

  test("authorize() applies the first matching rule with wildcards and %u/%c", async (store) => {
    await store.setAcl("sensor-7", [
      { permission: "deny", action: "publish", topic: "sensors/%u/secret" },
      { permission: "allow", action: "publish", topic: "sensors/%u/#" },
      { permission: "allow", action: "subscribe", topic: "commands/%c/+" },
      { permission: "allow", action: "all", topic: "shared/#" },
      { permission: "deny", action: "all", topic: "#" },
      { permission: "allow", action: "all", topic: "never/reached" },
    ]);
    const can = (action: "publish" | "subscribe", topic: string) =>
      store.authorize("sensor-7", action, topic, { clientId: "c-1" });
    assert.equal(await can("publish", "sensors/sensor-7/temp"), true);
    assert.equal(await can("publish", "sensors/sensor-7"), true);
    assert.equal(await can("publish", "sensors/sensor-7/secret"), false);
    assert.equal(await can("publish", "sensors/sensor-8/temp"), false);
    assert.equal(await can("subscribe", "sensors/sensor-7/temp"), false);
    assert.equal(await can("subscribe", "commands/c-1/reboot"), true);
    assert.equal(await can("subscribe", "commands/c-1/+"), true);
    assert.equal(await can("subscribe", "commands/c-1/#"), false);
    assert.equal(await can("subscribe", "commands/c-2/reboot"), false);
    assert.equal(await can("subscribe", "$share/g/shared/a/+"), true);
    assert.equal(await can("publish", "never/reached"), false);
    assert.equal(
      await store.authorize("sensor-7", "subscribe", "commands/c-1/x"),
      false,
    );
  });

  test("authorize() lets a deny rule refuse any subscription that overlaps it", async (store) => {
    await store.setAcl("u", [
      { permission: "deny", action: "subscribe", topic: "a/secret" },
      { permission: "allow", action: "subscribe", topic: "a/#" },
    ]);
    assert.equal(await store.authorize("u", "subscribe", "a/public"), true);
    assert.equal(await store.authorize("u", "subscribe", "a/+"), false);
    assert.equal(await store.authorize("u", "subscribe", "a/#"), false);
    assert.equal(await store.authorize("u", "subscribe", "+/public"), false);
  });

  test("authorize() follows the subject's rules with the * rules and the default policy", async (store) => {
    assert.equal(await store.authorize("anyone", "publish", "x"), true);
    await store.setAcl("*", [
      { permission: "allow", action: "publish", topic: "devices/%u/up" },
    ]);
    await store.setAcl("admin", [
      { permission: "allow", action: "all", topic: "#" },
    ]);
    assert.equal(await store.authorize("d1", "publish", "devices/d1/up"), true);
    assert.equal(
      await store.authorize("d1", "publish", "devices/d2/up"),
      false,
    );
    assert.equal(
      await store.authorize("admin", "subscribe", "devices/#"),
      true,
    );
    assert.equal(
      await store.authorize("admin", "publish", "devices/x/up"),
      true,
    );
    assert.equal(await store.authorize("admin", "subscribe", "$SYS/#"), false);
    const acl = await store.aclFor("admin");
    assert.deepEqual(acl.rules.map((r) => r.topic), ["#", "devices/%u/up"]);
    assert.equal(acl.allows("publish", "a/b"), true);
  });

  test("authorize() fills %u and %c in as literal text", async (store) => {
    await store.setAcl("*", [
      { permission: "deny", action: "publish", topic: "private/%c/x" },
      { permission: "allow", action: "publish", topic: "users/%u/#" },
      { permission: "allow", action: "publish", topic: "private/#" },
    ]);
    assert.equal(await store.authorize("+", "publish", "users/other/x"), false);
    assert.equal(await store.authorize("#", "publish", "users/a/x"), false);
    assert.equal(await store.authorize("a", "publish", "users/a/x"), true);
    assert.equal(await store.authorize("a/b", "publish", "users/a/b/x"), true);
    assert.equal(await store.authorize("a/b", "publish", "users/a/c"), false);
    const opts = { clientId: "c" };
    assert.equal(
      await store.authorize("a", "publish", "private/c/x", opts),
      false,
    );
    assert.equal(
      await store.authorize("a", "publish", "private/d/x", opts),
      true,
    );
    assert.equal(
      await store.authorize("a", "publish", "private/d/x", { clientId: "+" }),
      true,
    );
    // Without a client identifier, the deny rule covers every private/ topic.
    assert.equal(await store.authorize("a", "publish", "private/d/x"), false);
    assert.equal(await store.authorize("a", "publish", "users/a/y"), true);
  });

  test("setAcl() replaces rules, listAcl() lists them and no rules removes them", async (store) => {
    const seen = collect(store);
    const rules = [
      { permission: "allow", action: "publish", topic: "a" },
    ] as const;
    await store.setAcl("d1", rules);
    await store.setAcl("*", [{
      permission: "deny",
      action: "all",
      topic: "#",
    }]);
    assert.deepEqual(await store.listAcl(), [
      {
        subject: "*",
        rules: [{ permission: "deny", action: "all", topic: "#" }],
      },
      { subject: "d1", rules: [...rules] },
    ]);
    assert.deepEqual(await store.listAcl("d1"), [{
      subject: "d1",
      rules: [...rules],
    }]);
    await store.setAcl("d1", []);
    assert.deepEqual(await store.listAcl("d1"), []);
    assert.deepEqual(seen, [
      { kind: "acl", id: "d1", op: "added" },
      { kind: "acl", id: "*", op: "added" },
      { kind: "acl", id: "d1", op: "removed" },
    ]);
    await assert.rejects(
      store.setAcl("d1", [{
        permission: "allow",
        action: "publish",
        topic: "a/#/b",
      }]),
      (e) => e instanceof AuthError && e.code === "invalid_acl",
    );
    await assert.rejects(
      store.setAcl("d1", [{
        permission: "maybe" as "allow",
        action: "publish",
        topic: "a",
      }]),
      (e) => e instanceof AuthError && e.code === "invalid_acl",
    );
  });

  Deno.test(`${name}: authorize() denies everything without rules when the policy says so`, async () => {
    await withStore(async (store) => {
      assert.equal(await store.authorize("d", "publish", "x"), false);
      await store.setAcl("d", [{
        permission: "deny",
        action: "publish",
        topic: "y",
      }]);
      assert.equal(await store.authorize("d", "publish", "x"), true);
    }, { ...FAST, acl: { noRules: "deny", noMatch: "allow" } });
  });

  // --- Changes ---

  test("changes() yields every change in order and ends when the store closes", async (store) => {
    const changes = store.changes();
    const certs = await testCertificates();
    await store.addPsk("p", key(1));
    await store.addPsk("p", key(2));
    const { info } = await store.addToken("dev");
    await store.addUser("u", "pw");
    await store.allowCertificate({ cn: "c" }, "dev");
    await store.revokeCertificate({ cn: "c" });
    await store.removeCertificateRule({ cn: "c" });
    const fp = await store.addCa(certs.ca);
    await store.removeCa(fp);
    await store.setAcl("dev", [{
      permission: "allow",
      action: "all",
      topic: "#",
    }]);
    await store.removeToken(info.id);
    await store.removePsk("p");
    await store.close();
    const all: string[] = [];
    for await (const c of changes) all.push(`${c.kind} ${c.op} ${c.id}`);
    assert.deepEqual(all, [
      "psk added p",
      "psk removed p",
      "psk added p",
      `token added ${info.id}`,
      "user added u",
      "x509 added cn:c",
      "x509 revoked cn:c",
      "x509 removed cn:c",
      "x509 added cn:c",
      `ca added ${fp}`,
      `ca removed ${fp}`,
      "acl added dev",
      `token removed ${info.id}`,
      "psk removed p",
    ]);
  });

  test("changes() and onChange() stop when asked", async (store) => {
    const controller = new AbortController();
    const iterator = store.changes({ signal: controller.signal });
    const seen: CredentialChange[] = [];
    const stop = store.onChange((c) => seen.push(c));
    await store.addPsk("a", key(1));
    stop();
    controller.abort();
    await store.addPsk("b", key(1));
    const got: string[] = [];
    for await (const c of iterator) got.push(c.id);
    assert.deepEqual(got, ["a"]);
    assert.deepEqual(seen.map((c) => c.id), ["a"]);
  });

  test("isAffectedBy() ends sessions of removed, replaced and revoked credentials", async (store) => {
    const certs = await testCertificates();
    await store.addPsk("p", key(1));
    await store.allowCertificate({ cnRegex: "device-.*" }, "$&");
    const x509 = (await store.identifyCertificate(certs.device1))!;
    const psk: Identity = { subject: "p", kind: "psk", credentialId: "p" };
    const seen = collect(store);
    await store.addPsk("p", key(2));
    assert.deepEqual(seen.map((c) => isAffectedBy(psk, c)), [true, false]);
    seen.length = 0;
    await store.revokeCertificate({
      fingerprint: certs.device42.fingerprintSha256,
    });
    await store.revokeCertificate({ cn: "device-1" });
    await store.removeCertificateRule({ cn: "device-1" });
    await store.revokeCertificate({ cnRegex: "device-\\d" });
    await store.allowCertificate({ cn: "other" }, "o");
    await store.removeCertificateRule({ cn: "other" });
    await store.removeCertificateRule({ cnRegex: "device-.*" });
    assert.deepEqual(seen.map((c) => isAffectedBy(x509, c)), [
      false,
      true,
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  test("a closed store refuses calls with AuthError closed", async (store) => {
    await store.close();
    await store.close();
    await assert.rejects(
      store.lookupPsk("a"),
      (e) => e instanceof AuthError && e.code === "closed",
    );
    await assert.rejects(
      store.addPsk("a", key(1)),
      (e) => e instanceof AuthError && e.code === "closed",
    );
    const none: CredentialChange[] = [];
    for await (const c of store.changes()) none.push(c);
    assert.deepEqual(none, []);
  });

  test("nothing listed or reported contains a secret", async (store) => {
    const secret = key(0x5a, 32);
    await store.addPsk("p", secret);
    const { token } = await store.addToken("d");
    await store.addUser("u", "hunter2-password");
    const seen = collect(store);
    await store.removePsk("p");
    await store.removeToken(token);
    await store.removeUser("u");
    const dump = JSON.stringify([
      await store.listPsk(),
      await store.listTokens(),
      await store.listUsers(),
      seen,
      new PskEntry("p", secret),
    ]);
    assert.ok(!dump.includes(encodeHex(secret)));
    assert.ok(!dump.includes("90,90,90"));
    assert.ok(!dump.includes(token));
    assert.ok(!dump.includes("hunter2"));
    assert.ok(!Deno.inspect(new PskEntry("p", secret)).includes("90"));
  });
}
