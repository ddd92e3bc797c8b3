import assert from "node:assert/strict";
import { certCommand } from "../../cli/cert.ts";
import type { StoreCommandIo } from "../../cli/_store.ts";
import { KvStore } from "../../src/auth/mod.ts";
import { encodePem, formatFingerprint } from "../../src/pki/mod.ts";
import { testCertificates } from "../auth/_fixtures.ts";

async function run(
  args: string[],
  io: StoreCommandIo = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await certCommand(args, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    ...io,
  });
  return { code, out, err };
}

async function withStore<T>(
  dir: string,
  fn: (store: KvStore) => Promise<T>,
): Promise<T> {
  const store = await KvStore.openDataDir(dir, { watch: false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("certCommand() prints help for itself and each subcommand", async () => {
  for (
    const args of [
      ["--help"],
      ["allow", "--help"],
      ["revoke", "-h"],
      ["rm", "--help"],
      ["ls", "--help"],
      ["ca", "--help"],
      ["ca", "ls", "--help"],
    ]
  ) {
    const { code, out } = await run(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(out[0]!, /^Usage: postern cert/);
  }
  assert.equal((await run([])).code, 2);
  assert.equal((await run(["ca"])).code, 2);
});

Deno.test("certCommand() allow maps certificates to devices by each kind of match", async () => {
  const certs = await testCertificates();
  const dir = await Deno.makeTempDir({ prefix: "postern_cert_cli_" });
  const file = `${dir}/device1.pem`;
  await Deno.writeTextFile(file, encodePem("CERTIFICATE", certs.device1.der));
  const d = ["--data-dir", dir];
  assert.deepEqual((await run(["allow", "--file", file, ...d])).out, [
    `Allowed fingerprint:${certs.device1.fingerprintSha256} as device "device-1"`,
  ]);
  assert.equal(
    (await run([
      "allow",
      "--cn-regex",
      "device-(\\d+)",
      "--device",
      "sensor-$1",
      ...d,
    ])).code,
    0,
  );
  assert.equal(
    (await run(["allow", "--san", "urn:dev:7", "--device", "by-san", ...d]))
      .code,
    0,
  );
  assert.equal(
    (await run(["allow", "--cn", "gateway-9", "--device", "gw", ...d])).code,
    0,
  );
  const colonFp = formatFingerprint(certs.other.fingerprintSha256);
  assert.equal(
    (await run(["allow", "--fingerprint", colonFp, "--device", "gw-fp", ...d]))
      .code,
    0,
  );

  await withStore(dir, async (store) => {
    assert.equal(
      (await store.identifyCertificate(certs.device1))?.subject,
      "device-1",
    );
    assert.equal(
      (await store.identifyCertificate(certs.device42))?.subject,
      "sensor-42",
    );
    assert.equal(
      (await store.identifyCertificate(certs.sanOnly))?.subject,
      "by-san",
    );
    assert.equal(
      (await store.identifyCertificate(certs.other))?.subject,
      "gw-fp",
    );
  });

  const revoke = await run(["revoke", "--cn", "device-42", ...d]);
  assert.deepEqual(revoke.out, ["Revoked cn:device-42"]);
  const ls = await run(["ls", ...d]);
  assert.deepEqual(ls.out, [
    "allow\tcn-regex:device-(\\d+)\tsensor-$1",
    "allow\tcn:gateway-9\tgw",
    ...[
      `allow\tfingerprint:${certs.device1.fingerprintSha256}\tdevice-1`,
      `allow\tfingerprint:${certs.other.fingerprintSha256}\tgw-fp`,
    ].sort(),
    "allow\tsan:urn:dev:7\tby-san",
    "revoke\tcn:device-42",
  ]);
  await withStore(dir, async (store) => {
    assert.equal(await store.identifyCertificate(certs.device42), undefined);
  });
  assert.equal((await run(["rm", "--cn", "device-42", ...d])).code, 0);
  const again = await run(["rm", "--cn", "device-42", ...d]);
  assert.equal(again.code, 1);
  assert.match(again.err[0]!, /No certificate rule or revocation matches/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("certCommand() reports bad matches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern_cert_cli_" });
  const d = ["--data-dir", dir];
  const cases: [string[], number, RegExp][] = [
    [["allow", "--cn", "a", ...d], 2, /missing --device/],
    [
      ["allow", "--cn", "a", "--san", "b", "--device", "x", ...d],
      2,
      /exactly one/,
    ],
    [["revoke", ...d], 2, /exactly one/],
    [
      ["allow", "--fingerprint", "abcd", "--device", "x", ...d],
      1,
      /32 bytes of hex/,
    ],
    [
      ["allow", "--cn-regex", "(", "--device", "x", ...d],
      1,
      /Invalid CN regex/,
    ],
    [["allow", "--file", `${dir}/none.pem`, ...d], 1, /file not found/],
    [["revoke", "--cn", "a", "extra", ...d], 2, /unexpected argument/],
  ];
  for (const [args, expected, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, expected, args.join(" "));
    assert.match(err.join("\n"), pattern, args.join(" "));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("certCommand() ca add, ls and rm manage trusted CAs", async () => {
  const certs = await testCertificates();
  const dir = await Deno.makeTempDir({ prefix: "postern_cert_cli_" });
  const d = ["--data-dir", dir];
  const pem = `${dir}/ca.pem`;
  await Deno.writeTextFile(pem, encodePem("CERTIFICATE", certs.ca.der));
  const der = `${dir}/ca.der`;
  await Deno.writeFile(der, certs.ca.der);
  const fp = formatFingerprint(certs.ca.fingerprintSha256);
  const add = await run(["ca", "add", pem, der, ...d]);
  assert.equal(add.code, 0);
  assert.deepEqual(add.out, [
    `Trusted CA ${fp} CN=auth test CA`,
    `Trusted CA ${fp} CN=auth test CA`,
  ]);
  assert.deepEqual((await run(["ca", "ls", ...d])).out, [
    `${fp}\tCN=auth test CA`,
  ]);
  await withStore(dir, async (store) => {
    assert.equal((await store.trustedCas()).length, 1);
  });

  const leaf = `${dir}/leaf.pem`;
  await Deno.writeTextFile(leaf, encodePem("CERTIFICATE", certs.leaf.der));
  const notCa = await run(["ca", "add", leaf, ...d]);
  assert.equal(notCa.code, 1);
  assert.match(notCa.err[0]!, /not a CA certificate/);
  const empty = `${dir}/empty.pem`;
  await Deno.writeTextFile(empty, "nothing here");
  assert.match(
    (await run(["ca", "add", empty, ...d])).err[0]!,
    /Cannot read a certificate from .*empty.pem/,
  );

  assert.deepEqual((await run(["ca", "rm", fp, ...d])).out, [
    `Removed CA ${fp}`,
  ]);
  assert.equal((await run(["ca", "rm", fp, ...d])).code, 1);
  assert.deepEqual((await run(["ca", "ls", ...d])).out, []);
  assert.equal((await run(["ca", "add", ...d])).code, 2);
  await Deno.remove(dir, { recursive: true });
});
