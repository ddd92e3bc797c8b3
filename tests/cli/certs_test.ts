import assert from "node:assert/strict";
import { certsCommand, ensureDevCertificates } from "../../cli/certs.ts";
import { isDnsName } from "../../src/pki/issue.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { parseCertificatePem } from "../../src/pki/x509/mod.ts";
import { openssl, runOpenssl } from "../support/openssl.ts";

const decoder = new TextDecoder();
const DEV_FILES = [
  "ca.pem",
  "ca_key.pem",
  "server.pem",
  "server_key.pem",
  "serverChain.pem",
  "client.pem",
  "client_key.pem",
];
const KEY_FILES = ["ca_key.pem", "server_key.pem", "client_key.pem"];
const POSIX = Deno.build.os !== "windows";

interface Run {
  code: number;
  out: string;
  err: string;
}

// Runs `postern certs ARGS` with console output captured.
async function certs(...args: string[]): Promise<Run> {
  const { log, error } = console;
  let out = "";
  let err = "";
  console.log = (...parts: unknown[]) => {
    out += parts.join(" ") + "\n";
  };
  console.error = (...parts: unknown[]) => {
    err += parts.join(" ") + "\n";
  };
  try {
    const code = await certsCommand(args);
    return { code, out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern_certs_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function init(dir: string, ...extra: string[]): Promise<Run> {
  const run = await certs("init", "--dir", dir, ...extra);
  assert.equal(run.code, 0, run.err);
  return run;
}

async function x509(path: string, ...args: string[]): Promise<string> {
  return decoder.decode(
    await openssl(["x509", "-in", path, "-noout", ...args]),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function hostName(): string {
  return Deno.hostname();
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

// Reads `stream` until `pattern` appears; fails after `ms`.
async function waitForOutput(
  stream: ReadableStream<Uint8Array>,
  pattern: string,
  ms: number,
): Promise<{ seen: string; rest: Promise<string> }> {
  const reader = stream.getReader();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no "${pattern}" within ${ms} ms: ${seen}`)),
      ms,
    );
  });
  try {
    while (!seen.includes(pattern)) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`output ended before "${pattern}": ${seen}`);
      seen += decoder.decode(value);
    }
  } finally {
    clearTimeout(timer);
  }
  const rest = (async () => {
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value);
    }
  })();
  return { seen, rest };
}

async function echo(conn: Deno.TlsConn): Promise<string> {
  await conn.write(new TextEncoder().encode("ping"));
  const buf = new Uint8Array(16);
  const n = await conn.read(buf);
  conn.close();
  return decoder.decode(buf.subarray(0, n ?? 0));
}

// Values of one `Name: value` row of `certs show` output, one per certificate.
function rows(out: string, name: string): string[] {
  return out.split("\n")
    .filter((line) => line.startsWith(`  ${name}:`))
    .map((line) => line.slice(name.length + 3).trim());
}

Deno.test("certs init writes a CA, server and client set that openssl verifies", async () => {
  await withDir(async (dir) => {
    const run = await init(dir);
    assert.match(run.out, /Wrote development certificates/);
    for (const name of DEV_FILES) {
      assert.ok(await exists(`${dir}/${name}`), name);
    }

    for (const leaf of ["server.pem", "client.pem"]) {
      await openssl([
        "verify",
        "-x509_strict",
        "-CAfile",
        `${dir}/ca.pem`,
        `${dir}/${leaf}`,
      ]);
    }
    await openssl([
      "verify",
      "-purpose",
      "sslserver",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/server.pem`,
    ]);
    await openssl([
      "verify",
      "-purpose",
      "sslclient",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/client.pem`,
    ]);
    for (const cert of ["ca.pem", "server.pem", "client.pem"]) {
      const text = await x509(`${dir}/${cert}`, "-text");
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, /ASN1 OID: prime256v1/);
      assert.match(text, /ecdsa-with-SHA256/);
    }
    for (const key of KEY_FILES) {
      const text = await Deno.readTextFile(`${dir}/${key}`);
      assert.match(text, /^-----BEGIN PRIVATE KEY-----\n/);
      await openssl(["pkey", "-in", `${dir}/${key}`, "-check", "-noout"]);
    }

    assert.match(
      await x509(`${dir}/ca.pem`, "-subject"),
      /CN = postern development CA/,
    );
    assert.match(
      await x509(`${dir}/ca.pem`, "-ext", "basicConstraints,keyUsage"),
      /critical\s+CA:TRUE[\s\S]*critical\s+Certificate Sign, CRL Sign/,
    );
    assert.match(await x509(`${dir}/client.pem`, "-subject"), /CN = device-1/);
    assert.match(
      await x509(`${dir}/client.pem`, "-ext", "extendedKeyUsage"),
      /TLS Web Client Authentication/,
    );
    const host = hostName();
    assert.ok(
      (await x509(`${dir}/server.pem`, "-subject")).includes(`CN = ${host}`) ||
        host.length > 64,
    );
    assert.match(
      await x509(`${dir}/server.pem`, "-ext", "extendedKeyUsage"),
      /TLS Web Server Authentication/,
    );
    const sans = await x509(`${dir}/server.pem`, "-ext", "subjectAltName");
    assert.match(
      sans,
      /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/,
    );
    if (isDnsName(host)) assert.ok(sans.includes(`DNS:${host}`), sans);

    // serverChain.pem is the server certificate followed by the CA.
    const chain = decodePem(await Deno.readTextFile(`${dir}/serverChain.pem`));
    assert.deepEqual(chain.map((b) => b.der), [
      decodePem(await Deno.readTextFile(`${dir}/server.pem`))[0]!.der,
      decodePem(await Deno.readTextFile(`${dir}/ca.pem`))[0]!.der,
    ]);

    // The certificates, then the default validity periods.
    const [ca] = parseCertificatePem(await Deno.readTextFile(`${dir}/ca.pem`));
    const [server] = parseCertificatePem(
      await Deno.readTextFile(`${dir}/server.pem`),
    );
    const days = (c: { notBefore: Date; notAfter: Date }) =>
      Math.round(
        (c.notAfter.getTime() - c.notBefore.getTime() - 300_000) / 86_400_000,
      );
    assert.equal(days(ca!), 3650);
    assert.equal(days(server!), 825);
  });
});

Deno.test(
  "certs init writes private keys with mode 0600",
  { ignore: !POSIX },
  async () => {
    await withDir(async (dir) => {
      await init(dir);
      for (const key of KEY_FILES) {
        assert.equal(
          (await Deno.stat(`${dir}/${key}`)).mode! & 0o777,
          0o600,
          key,
        );
      }
      for (
        const cert of ["ca.pem", "server.pem", "client.pem", "serverChain.pem"]
      ) {
        assert.equal(
          (await Deno.stat(`${dir}/${cert}`)).mode! & 0o077 & 0o022,
          0,
          cert,
        );
      }
      // --force replaces the files and the keys stay private.
      for (const key of KEY_FILES) await Deno.chmod(`${dir}/${key}`, 0o644);
      await init(dir, "--force");
      for (const key of KEY_FILES) {
        assert.equal(
          (await Deno.stat(`${dir}/${key}`)).mode! & 0o777,
          0o600,
          key,
        );
      }
      // No temporary files are left behind.
      const names: string[] = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names.sort(), [...DEV_FILES].sort());
    });
  },
);

Deno.test("certs init refuses to overwrite without --force and replaces with it", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const before = await Deno.readFile(`${dir}/ca.pem`);
    const refused = await certs("init", "--dir", dir);
    assert.equal(refused.code, 1);
    for (const name of DEV_FILES) {
      assert.ok(refused.err.includes(`${dir}/${name}`), name);
    }
    assert.match(refused.err, /--force/);
    assert.deepEqual(await Deno.readFile(`${dir}/ca.pem`), before);

    await init(dir, "--force");
    assert.notDeepEqual(await Deno.readFile(`${dir}/ca.pem`), before);
    await openssl([
      "verify",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/server.pem`,
      `${dir}/client.pem`,
    ]);
  });
});

Deno.test("certs init writes nothing when any one file exists", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/client_key.pem`, "mine");
    const run = await certs("init", "--dir", dir);
    assert.equal(run.code, 1);
    assert.ok(run.err.includes(`${dir}/client_key.pem`), run.err);
    assert.ok(!run.err.includes("ca.pem"), run.err);
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["client_key.pem"]);
    assert.equal(await Deno.readTextFile(`${dir}/client_key.pem`), "mine");
  });
});

Deno.test("certs init adds --san names and honours --days", async () => {
  await withDir(async (dir) => {
    await init(
      dir,
      "--san",
      "broker.lan",
      "--san",
      "192.168.1.20",
      "--san",
      "fd00::5",
      "--san",
      "URI:urn:postern:broker",
      "--days",
      "30",
      "--ca-days",
      "60",
    );
    const sans = await x509(`${dir}/server.pem`, "-ext", "subjectAltName");
    assert.match(
      sans,
      /DNS:broker\.lan, IP Address:192\.168\.1\.20, IP Address:FD00:0:0:0:0:0:0:5, URI:urn:postern:broker/,
    );
    const [server] = parseCertificatePem(
      await Deno.readTextFile(`${dir}/server.pem`),
    );
    const [ca] = parseCertificatePem(await Deno.readTextFile(`${dir}/ca.pem`));
    const now = Date.now();
    assert.ok(
      Math.abs(server!.notAfter.getTime() - (now + 30 * 86_400_000)) < 60_000,
    );
    assert.ok(
      Math.abs(ca!.notAfter.getTime() - (now + 60 * 86_400_000)) < 60_000,
    );
    assert.ok(Math.abs(server!.notBefore.getTime() - (now - 300_000)) < 60_000);
  });
});

Deno.test("certs init rejects bad option values with exit code 2", async () => {
  await withDir(async (dir) => {
    const cases = [
      ["--san", "not a name"],
      ["--san", "host:8080"],
      ["--days", "0"],
      ["--days", "ten"],
      ["--days", "1.5"],
      ["--days", "400", "--ca-days", "300"],
      ["--bogus"],
      ["--dir"],
      ["extra-positional"],
    ];
    for (const extra of cases) {
      const run = await certs("init", "--dir", dir, ...extra);
      assert.equal(run.code, 2, extra.join(" "));
      assert.match(run.err, /Usage: postern certs init/);
      assert.equal(run.out, "");
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, []);
  });
});

Deno.test("certs issue signs another client certificate with the CA", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const run = await certs("issue", "--cn", "device-2", "--dir", dir);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /device-2\.pem/);
    await openssl([
      "verify",
      "-x509_strict",
      "-purpose",
      "sslclient",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/device-2.pem`,
    ]);
    assert.match(
      await x509(`${dir}/device-2.pem`, "-subject"),
      /CN = device-2/,
    );
    assert.match(
      await x509(`${dir}/device-2.pem`, "-ext", "extendedKeyUsage"),
      /TLS Web Client Authentication/,
    );
    await openssl([
      "pkey",
      "-in",
      `${dir}/device-2_key.pem`,
      "-check",
      "-noout",
    ]);
    if (POSIX) {
      assert.equal(
        (await Deno.stat(`${dir}/device-2_key.pem`)).mode! & 0o777,
        0o600,
      );
    }
    // The issuer and authority key identifier match the CA's.
    const [ca] = parseCertificatePem(await Deno.readTextFile(`${dir}/ca.pem`));
    const [dev] = parseCertificatePem(
      await Deno.readTextFile(`${dir}/device-2.pem`),
    );
    assert.deepEqual(dev!.issuer.raw, ca!.subject.raw);
    assert.deepEqual(dev!.authorityKeyId, ca!.subjectKeyId);

    const again = await certs("issue", "--cn", "device-2", "--dir", dir);
    assert.equal(again.code, 1);
    assert.ok(again.err.includes(`${dir}/device-2.pem`), again.err);
    const forced = await certs(
      "issue",
      "--cn",
      "device-2",
      "--dir",
      dir,
      "--force",
    );
    assert.equal(forced.code, 0, forced.err);

    const named = await certs(
      "issue",
      "--cn",
      "Sensor 7",
      "--out",
      "sensor-7",
      "--dir",
      dir,
      "--days",
      "10",
      "--san",
      "urn:dev:sensor-7",
    );
    assert.equal(named.code, 0, named.err);
    assert.match(
      await x509(`${dir}/sensor-7.pem`, "-subject"),
      /CN = Sensor 7/,
    );
    assert.match(
      await x509(`${dir}/sensor-7.pem`, "-ext", "subjectAltName"),
      /URI:urn:dev:sensor-7/,
    );
    await openssl([
      "verify",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/sensor-7.pem`,
    ]);
  });
});

Deno.test("certs issue ends validity no later than the CA's", async () => {
  await withDir(async (dir) => {
    await init(dir, "--days", "5", "--ca-days", "10");
    const run = await certs(
      "issue",
      "--cn",
      "long",
      "--dir",
      dir,
      "--days",
      "400",
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /the CA's expiry/);
    const [ca] = parseCertificatePem(await Deno.readTextFile(`${dir}/ca.pem`));
    const [leaf] = parseCertificatePem(
      await Deno.readTextFile(`${dir}/long.pem`),
    );
    assert.equal(leaf!.notAfter.getTime(), ca!.notAfter.getTime());
  });
});

Deno.test("certs issue reports usage and CA problems", async () => {
  await withDir(async (dir) => {
    const missingCa = await certs("issue", "--cn", "x", "--dir", dir);
    assert.equal(missingCa.code, 1);
    assert.match(missingCa.err, /ca\.pem/);

    await init(dir);
    for (
      const args of [
        [],
        ["--cn", ""],
        ["--cn", "a/b"],
        ["--cn", "x", "--out", "../x"],
        ["--cn", "x", "--unknown"],
        ["--cn", "x".repeat(65), "--out", "long"],
      ]
    ) {
      const run = await certs("issue", "--dir", dir, ...args);
      assert.equal(run.code, 2, args.join(" "));
      assert.match(run.err, /Usage: postern certs issue/);
    }

    // A CA key that does not belong to the CA certificate.
    const mismatch = await certs(
      "issue",
      "--cn",
      "x",
      "--dir",
      dir,
      "--ca-key",
      `${dir}/server_key.pem`,
    );
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.err, /is not the key of/);
    // A leaf is not a CA.
    const notCa = await certs(
      "issue",
      "--cn",
      "x",
      "--dir",
      dir,
      "--ca",
      `${dir}/server.pem`,
    );
    assert.equal(notCa.code, 1);
    assert.match(notCa.err, /not a CA certificate/);
    assert.ok(!(await exists(`${dir}/x.pem`)));
  });
});

Deno.test("certs show prints subject, issuer, validity, key and the openssl fingerprint", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const run = await certs("show", `${dir}/serverChain.pem`);
    assert.equal(run.code, 0, run.err);
    const fingerprint =
      (await x509(`${dir}/server.pem`, "-fingerprint", "-sha256"))
        .trim().split("=")[1]!;
    const caFingerprint =
      (await x509(`${dir}/ca.pem`, "-fingerprint", "-sha256"))
        .trim().split("=")[1]!;
    const serial = (await x509(`${dir}/server.pem`, "-serial")).trim().split(
      "=",
    )[1]!;
    const subject =
      (await x509(`${dir}/server.pem`, "-subject", "-nameopt", "RFC2253"))
        .trim().replace(/^subject=/, "");
    assert.match(subject, /^CN=.+,O=postern$/);
    const dates = (await x509(`${dir}/server.pem`, "-dates")).trim().split("\n")
      .map((line) =>
        new Date(line.split("=")[1]!).toISOString().replace(".000", "")
      );
    assert.match(run.out, /certificate 1 of 2/);
    assert.match(run.out, /certificate 2 of 2/);
    assert.deepEqual(rows(run.out, "Subject"), [
      subject,
      "CN=postern development CA,O=postern",
    ]);
    assert.deepEqual(rows(run.out, "Issuer"), [
      "CN=postern development CA,O=postern",
      "CN=postern development CA,O=postern",
    ]);
    assert.equal(rows(run.out, "Serial")[0], serial.toLowerCase());
    assert.equal(rows(run.out, "Not before")[0], dates[0]);
    assert.equal(rows(run.out, "Not after")[0], dates[1]);
    assert.deepEqual(rows(run.out, "Key"), ["EC P-256", "EC P-256"]);
    assert.match(
      rows(run.out, "Subject alt names")[0]!,
      /^DNS:localhost, IP:127\.0\.0\.1, IP:::1/,
    );
    assert.deepEqual(rows(run.out, "Subject alt names")[1], "(none)");
    assert.deepEqual(rows(run.out, "Basic constraints"), [
      "CA:FALSE",
      "CA:TRUE, pathlen:0",
    ]);
    assert.deepEqual(rows(run.out, "Key usage"), [
      "digitalSignature, keyAgreement",
      "keyCertSign, cRLSign",
    ]);
    assert.deepEqual(rows(run.out, "Extended key usage"), [
      "serverAuth",
      "(none)",
    ]);
    assert.deepEqual(rows(run.out, "SHA-256 fingerprint"), [
      fingerprint,
      caFingerprint,
    ]);
  });
});

Deno.test("certs show reads DER files and RSA certificates made by openssl", async () => {
  await withDir(async (dir) => {
    await openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${dir}/rsa_key.pem`,
      "-subj",
      "/O=Acme/CN=rsa.example",
      "-days",
      "2",
      "-outform",
      "DER",
      "-out",
      `${dir}/rsa.der`,
    ]);
    const run = await certs("show", `${dir}/rsa.der`);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(rows(run.out, "Subject"), ["CN=rsa.example,O=Acme"]);
    assert.deepEqual(rows(run.out, "Key"), ["RSA 2048"]);
    const fp = decoder.decode(
      await openssl([
        "x509",
        "-inform",
        "DER",
        "-in",
        `${dir}/rsa.der`,
        "-noout",
        "-fingerprint",
        "-sha256",
      ]),
    ).trim().split("=")[1]!;
    assert.ok(run.out.includes(fp), run.out);

    const missing = await certs("show", `${dir}/nope.pem`);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
    await Deno.writeTextFile(`${dir}/empty.pem`, "nothing here\n");
    const empty = await certs("show", `${dir}/empty.pem`);
    assert.equal(empty.code, 1);
    assert.match(empty.err, /no certificates/);
    const none = await certs("show");
    assert.equal(none.code, 2);
  });
});

Deno.test("certsCommand() prints usage for help and usage errors", async () => {
  const help = await certs("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: postern certs <command>/);
  for (const sub of ["init", "issue", "show"]) {
    const run = await certs(sub, "--help");
    assert.equal(run.code, 0, sub);
    assert.match(run.out, new RegExp(`Usage: postern certs ${sub}`));
    assert.equal(run.err, "");
  }
  const initHelp = await certs("init", "-h");
  assert.match(initHelp.out, /default: 825/);
  assert.match(initHelp.out, /default: 3650/);

  for (const args of [[], ["frobnicate"], ["show", "--bogus", "x"]]) {
    const run = await certs(...args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.err, /Usage: postern certs/);
    assert.equal(run.out, "");
  }
});

Deno.test("ensureDevCertificates() creates once, then reuses, and refuses a partial set", async () => {
  await withDir(async (base) => {
    const dir = `${base}/nested/certs`;
    const { log } = console;
    console.log = () => {};
    try {
      assert.deepEqual(await ensureDevCertificates(dir), { created: true });
    } finally {
      console.log = log;
    }
    for (const name of DEV_FILES) {
      assert.ok(await exists(`${dir}/${name}`), name);
    }
    await openssl(["verify", "-CAfile", `${dir}/ca.pem`, `${dir}/server.pem`]);
    const ca = await Deno.readFile(`${dir}/ca.pem`);

    assert.deepEqual(await ensureDevCertificates(dir), { created: false });
    assert.deepEqual(await Deno.readFile(`${dir}/ca.pem`), ca);

    // The client certificate and CA key are not needed to serve.
    await Deno.remove(`${dir}/client.pem`);
    await Deno.remove(`${dir}/client_key.pem`);
    await Deno.remove(`${dir}/ca_key.pem`);
    assert.deepEqual(await ensureDevCertificates(dir), { created: false });

    await Deno.remove(`${dir}/server_key.pem`);
    await assert.rejects(
      ensureDevCertificates(dir),
      (err: Error) =>
        /server_key\.pem missing/.test(err.message) &&
        /--force/.test(err.message),
    );
    assert.ok(!(await exists(`${dir}/server_key.pem`)));
  });
});

Deno.test("dev certificates work with openssl s_server and s_client, both ways", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const port = freePort();
    const server = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-naccept",
        "1",
        "-cert",
        `${dir}/server.pem`,
        "-key",
        `${dir}/server_key.pem`,
        "-cert_chain",
        `${dir}/ca.pem`,
        "-Verify",
        "1",
        "-CAfile",
        `${dir}/ca.pem`,
        "-verify_return_error",
      ],
      // s_server stops at end of its input, so stdin stays open.
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).spawn();
    const serverErr = server.stderr.pipeThrough(new TextDecoderStream());
    const errText = (async () => {
      let t = "";
      for await (const chunk of serverErr) t += chunk;
      return t;
    })();
    try {
      const { rest } = await waitForOutput(server.stdout, "ACCEPT", 10_000);
      const client = await new Deno.Command("openssl", {
        args: [
          "s_client",
          "-connect",
          `127.0.0.1:${port}`,
          "-servername",
          "localhost",
          "-verify_hostname",
          "localhost",
          "-CAfile",
          `${dir}/ca.pem`,
          "-verify_return_error",
          "-cert",
          `${dir}/client.pem`,
          "-key",
          `${dir}/client_key.pem`,
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(15_000),
      }).spawn();
      const w = client.stdin.getWriter();
      await w.write(new TextEncoder().encode("Q\n"));
      await w.close();
      const out = await client.output();
      const clientOut = decoder.decode(out.stdout);
      assert.equal(out.code, 0, decoder.decode(out.stderr));
      assert.match(clientOut, /Verify return code: 0 \(ok\)/);
      // The server sent its chain: the server certificate, then the CA.
      assert.match(
        clientOut,
        /0 s:O ?= ?postern, CN ?= ?[^\n]+\n[^\n]*i:O ?= ?postern, CN ?= ?postern development CA/,
      );
      await server.stdin.close();
      const serverOut = await rest;
      // The server accepted the client certificate.
      assert.match(serverOut, /subject=O ?= ?postern, CN ?= ?device-1/);
    } finally {
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited after its one connection.
      }
      await server.status;
      await errText;
    }
  });
});

Deno.test("dev certificates work with Deno's own TLS (rustls)", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const cert = await Deno.readTextFile(`${dir}/serverChain.pem`);
    const key = await Deno.readTextFile(`${dir}/server_key.pem`);
    const ca = await Deno.readTextFile(`${dir}/ca.pem`);
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert,
      key,
    });
    const { port } = listener.addr;
    const served = (async () => {
      for (let i = 0; i < 2; i++) {
        const conn = await listener.accept();
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        await conn.write(buf.subarray(0, n ?? 0));
        conn.close();
      }
    })();
    try {
      // By IP address: the 127.0.0.1 subjectAltName.
      const byIp = await Deno.connectTls({
        hostname: "127.0.0.1",
        port,
        caCerts: [ca],
      });
      assert.equal(await echo(byIp), "ping");
      // By name: the localhost subjectAltName (startTls, so that localhost
      // need not resolve to 127.0.0.1 first).
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      const byName = await Deno.startTls(tcp, {
        hostname: "localhost",
        caCerts: [ca],
      });
      assert.equal(await echo(byName), "ping");
      await served;
    } finally {
      listener.close();
    }
  });
});

Deno.test("Deno's TLS rejects the dev server certificate without the dev CA", async () => {
  await withDir(async (dir) => {
    await init(dir);
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(`${dir}/serverChain.pem`),
      key: await Deno.readTextFile(`${dir}/server_key.pem`),
    });
    const accepted = listener.accept().then(async (conn) => {
      await conn.handshake().catch(() => {});
      conn.close();
    });
    try {
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: listener.addr.port,
      });
      await assert.rejects(conn.handshake());
      conn.close();
      await accepted;
    } finally {
      listener.close();
    }
  });
});

Deno.test("certs init makes a new CA each time", async () => {
  // Two independent sets do not trust each other.
  await withDir(async (a) => {
    await withDir(async (b) => {
      await init(a);
      await init(b);
      const r = await runOpenssl([
        "verify",
        "-CAfile",
        `${a}/ca.pem`,
        `${b}/server.pem`,
      ]);
      assert.notEqual(r.code, 0);
    });
  });
});
