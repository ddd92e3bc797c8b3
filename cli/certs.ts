/**
 * `postern certs`: development certificates.
 *
 * - `init` makes an ECC P-256 CA, a server certificate for this host and one
 *   client certificate, all X.509 v3 (rustls refuses version 1).
 * - `issue` signs one more client certificate with that CA.
 * - `show` prints what is in a certificate file.
 *
 * Private keys are unencrypted PKCS#8 PEM (`PRIVATE KEY`) with mode 0600.
 * Files are written to temporary names first and renamed into place, after
 * checking that none of the targets exists (unless `--force`), so a refusal
 * never leaves half a set behind.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { generateEcKeyPair, type PrivateKey } from "../src/crypto/mod.ts";
import { encodeHex } from "../src/bytes/mod.ts";
import {
  type CertificateIssuer,
  isDnsName,
  issueCertificate,
  parseSubjectAltName,
  type SubjectAltName,
} from "../src/pki/issue.ts";
import {
  keyMatchesCertificate,
  loadPrivateKey,
  privateKeyToPem,
} from "../src/pki/keys/mod.ts";
import { encodePem } from "../src/pki/pem.ts";
import {
  type Certificate,
  formatFingerprint,
  type GeneralName,
  keyPurposeName,
  parseCertificate,
  parseCertificatePem,
} from "../src/pki/x509/mod.ts";

/** CA validity unless `--ca-days` says otherwise. */
const DEFAULT_CA_DAYS = 3650;
/**
 * Server and client validity unless `--days` says otherwise: 825 days is
 * the longest validity Apple platforms accept for a TLS server certificate,
 * even under a locally trusted CA.
 */
const DEFAULT_LEAF_DAYS = 825;
const DEFAULT_DIR = "certs";
const CA_CN = "postern development CA";
const ORGANIZATION = "postern";
const CLIENT_CN = "device-1";
const DAY_MS = 86_400_000;

/** What `init` writes, in writing order. */
const DEV_FILES = [
  "ca.pem",
  "ca_key.pem",
  "server.pem",
  "server_key.pem",
  "serverChain.pem",
  "client.pem",
  "client_key.pem",
] as const;

/** The files `postern serve` needs; see {@link ensureDevCertificates}. */
const SERVE_FILES = [
  "ca.pem",
  "server.pem",
  "server_key.pem",
  "serverChain.pem",
] as const;

const USAGE = `Usage: postern certs <command> [options]

Development certificates (ECC P-256, X.509 v3). For development only: anyone
holding ca_key.pem can make certificates that trust this CA.

Commands:
  init     make a CA, a server certificate and a client certificate
  issue    sign one more client certificate with the CA
  show     print the certificates in a PEM (or DER) file

Run "postern certs <command> --help" for a command's options.`;

const INIT_USAGE = `Usage: postern certs init [options]

Writes, in the certificate directory:
  ca.pem, ca_key.pem          CA "${CA_CN}"
  server.pem, server_key.pem  server certificate, CN = this host's name,
                              SANs localhost, 127.0.0.1, ::1, the host name
                              and every --san
  serverChain.pem             server certificate followed by the CA
  client.pem, client_key.pem  client certificate, CN "${CLIENT_CN}"
Keys are PKCS#8 PEM with mode 0600. Existing files are never overwritten
without --force.

Options:
  --dir DIR       certificate directory (default: ${DEFAULT_DIR})
  --days N        server and client validity in days (default: ${DEFAULT_LEAF_DAYS})
  --ca-days N     CA validity in days (default: ${DEFAULT_CA_DAYS})
  --san NAME      extra server subjectAltName, repeatable; an IP address,
                  a DNS name, or prefixed DNS:, IP:, URI:, email:
  --force         replace existing files
  -h, --help      show this help`;

const ISSUE_USAGE = `Usage: postern certs issue --cn NAME [options]

Signs a client certificate (extendedKeyUsage clientAuth) with the CA and
writes NAME.pem and NAME_key.pem (key mode 0600) in the certificate
directory. Existing files are never overwritten without --force. The
validity ends no later than the CA's.

Options:
  --cn NAME       subject common name (required)
  --out NAME      file name stem (default: the common name)
  --dir DIR       certificate directory (default: ${DEFAULT_DIR})
  --ca FILE       CA certificate (default: DIR/ca.pem)
  --ca-key FILE   CA private key (default: DIR/ca_key.pem)
  --days N        validity in days (default: ${DEFAULT_LEAF_DAYS})
  --san NAME      subjectAltName, repeatable (see "postern certs init --help")
  --force         replace existing files
  -h, --help      show this help`;

const SHOW_USAGE = `Usage: postern certs show FILE...

Prints, for each certificate in each file: subject, issuer, serial number,
validity, subjectAltNames, key type, basic constraints, key usages and the
SHA-256 fingerprint (as "openssl x509 -fingerprint -sha256" prints it).

Options:
  -h, --help      show this help`;

/** A mistake on the command line: usage on stderr, exit code 2. */
class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/** A command that cannot be done as asked: message on stderr, exit code 1. */
class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * Runs `postern certs ARGS` and returns the process exit code: 0 on
 * success, 1 when the command fails (existing files, missing or mismatched
 * CA, unreadable input), 2 for a usage error (unknown command or option,
 * missing or bad value). Output goes to `console.log`, errors to
 * `console.error`.
 *
 * @param args The arguments after `certs`.
 * @returns The exit code.
 *
 * @example Make development certificates in a temporary directory
 * ```ts
 * import { certsCommand } from "./certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * assert.equal(await certsCommand(["init", "--dir", dir]), 0);
 * assert.equal(await certsCommand(["init", "--dir", dir]), 1); // refuses to overwrite
 * assert.equal(await certsCommand(["frobnicate"]), 2);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function certsCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "init":
        return await initCommand(rest);
      case "issue":
        return await issueCommand(rest);
      case "show":
        return await showCommand(rest);
      case "-h":
      case "--help":
      case "help":
        console.log(USAGE);
        return 0;
      case undefined:
        throw new UsageError("missing command", USAGE);
      default:
        throw new UsageError(`unknown command "${command}"`, USAGE);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`postern certs: ${err.message}\n\n${err.usage}`);
      return 2;
    }
    console.error(
      `postern certs: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
}

/**
 * Makes the development certificates in `dir` on first start, as
 * `postern certs init --dir DIR` would (default validity, no extra SANs).
 *
 * - None of the files `init` writes exists: writes them all and returns
 *   `{ created: true }`.
 * - The files the server needs exist (`ca.pem`, `server.pem`,
 *   `server_key.pem`, `serverChain.pem`): returns `{ created: false }`;
 *   the client certificate and CA key may have been removed.
 * - Anything in between: throws, naming the files present and missing,
 *   rather than mixing certificates from two CAs.
 *
 * @param dir The certificate directory; created if missing.
 * @returns Whether certificates were made.
 * @throws {Error} when the directory holds an incomplete set.
 *
 * @example
 * ```ts
 * import { ensureDevCertificates } from "./certs.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await ensureDevCertificates(dir), { created: true });
 * assert.deepEqual(await ensureDevCertificates(dir), { created: false });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureDevCertificates(
  dir: string,
): Promise<{ created: boolean }> {
  const present = await existingFiles(dir, DEV_FILES);
  if (present.length === 0) {
    await writeDevCertificates(dir, {
      now: new Date(),
      caDays: DEFAULT_CA_DAYS,
      days: DEFAULT_LEAF_DAYS,
      sans: [],
      force: false,
    });
    return { created: true };
  }
  const missing = SERVE_FILES.filter((f) => !present.includes(f));
  if (missing.length === 0) return { created: false };
  throw new Error(
    `Cannot use development certificates in ${dir}: ${
      missing.join(", ")
    } missing but ${present.join(", ")} present; ` +
      `run "postern certs init --dir ${dir} --force" to make a new set`,
  );
}

interface DevOptions {
  readonly now: Date;
  readonly caDays: number;
  readonly days: number;
  readonly sans: readonly SubjectAltName[];
  readonly force: boolean;
}

interface OutputFile {
  readonly name: string;
  readonly text: string;
  readonly secret: boolean;
}

async function initCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, INIT_USAGE, {
    dir: { type: "string" },
    days: { type: "string" },
    "ca-days": { type: "string" },
    san: { type: "string", multiple: true },
    force: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(INIT_USAGE);
    return 0;
  }
  const dir = values.dir ?? DEFAULT_DIR;
  const days = parseDays(values.days, "--days", DEFAULT_LEAF_DAYS, INIT_USAGE);
  const caDays = parseDays(
    values["ca-days"],
    "--ca-days",
    DEFAULT_CA_DAYS,
    INIT_USAGE,
  );
  if (days > caDays) {
    throw new UsageError(
      `--days ${days} is longer than the CA's --ca-days ${caDays}`,
      INIT_USAGE,
    );
  }
  const sans = parseSans(values.san, INIT_USAGE);
  const summary = await writeDevCertificates(dir, {
    now: new Date(),
    caDays,
    days,
    sans,
    force: values.force ?? false,
  });
  console.log(summary);
  return 0;
}

async function writeDevCertificates(
  dir: string,
  options: DevOptions,
): Promise<string> {
  if (!options.force) await refuseExisting(dir, DEV_FILES);
  const { now } = options;
  const host = hostName();

  const caKey = await generateEcKeyPair("P-256");
  const caName = { O: ORGANIZATION, CN: CA_CN };
  const ca = await issueCertificate({
    subject: caName,
    subjectKey: caKey,
    now,
    days: options.caDays,
    ca: true,
    pathLen: 0,
  });
  const issuer: CertificateIssuer = { name: caName, key: caKey };

  const serverSans = dedupeSans([
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
    ...(isDnsName(host) ? [{ type: "dns", value: host } as const] : []),
    ...options.sans,
  ]);
  const serverKey = await generateEcKeyPair("P-256");
  const server = await issueCertificate({
    subject: { O: ORGANIZATION, CN: host },
    subjectKey: serverKey,
    issuer,
    now,
    days: options.days,
    extKeyUsage: ["serverAuth"],
    subjectAltNames: serverSans,
  });

  const clientKey = await generateEcKeyPair("P-256");
  const client = await issueCertificate({
    subject: { O: ORGANIZATION, CN: CLIENT_CN },
    subjectKey: clientKey,
    issuer,
    now,
    days: options.days,
    extKeyUsage: ["clientAuth"],
  });

  const caPem = encodePem("CERTIFICATE", ca);
  const serverPem = encodePem("CERTIFICATE", server);
  await writeFiles(dir, [
    { name: "ca.pem", text: caPem, secret: false },
    { name: "ca_key.pem", text: privateKeyToPem(caKey), secret: true },
    { name: "server.pem", text: serverPem, secret: false },
    { name: "server_key.pem", text: privateKeyToPem(serverKey), secret: true },
    { name: "serverChain.pem", text: serverPem + caPem, secret: false },
    {
      name: "client.pem",
      text: encodePem("CERTIFICATE", client),
      secret: false,
    },
    { name: "client_key.pem", text: privateKeyToPem(clientKey), secret: true },
  ], options.force);

  return [
    `Wrote development certificates to ${dir}:`,
    `  ca.pem, ca_key.pem          CA "${CA_CN}", ${options.caDays} days`,
    `  server.pem, server_key.pem  server "${host}", ${options.days} days, ${
      serverSans.map(formatSan).join(", ")
    }`,
    `  serverChain.pem             server certificate followed by the CA`,
    `  client.pem, client_key.pem  client "${CLIENT_CN}", ${options.days} days`,
    `For development only: keep ca_key.pem private, anyone holding it can make trusted certificates.`,
    `Check with: openssl verify -CAfile ${dir}/ca.pem ${dir}/server.pem ${dir}/client.pem`,
  ].join("\n");
}

async function issueCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, ISSUE_USAGE, {
    cn: { type: "string" },
    out: { type: "string" },
    dir: { type: "string" },
    ca: { type: "string" },
    "ca-key": { type: "string" },
    days: { type: "string" },
    san: { type: "string", multiple: true },
    force: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(ISSUE_USAGE);
    return 0;
  }
  const cn = values.cn;
  if (cn === undefined || cn.trim() === "") {
    throw new UsageError("--cn NAME is required", ISSUE_USAGE);
  }
  if (cn.length > 64) {
    // RFC 5280 Appendix A.1: ub-common-name INTEGER ::= 64
    throw new UsageError(`--cn is longer than 64 characters`, ISSUE_USAGE);
  }
  const out = values.out ?? cn;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(out)) {
    throw new UsageError(
      values.out === undefined
        ? `"${cn}" cannot be a file name; give one with --out`
        : `--out "${out}" is not a plain file name (letters, digits, ".", "_", "-")`,
      ISSUE_USAGE,
    );
  }
  const dir = values.dir ?? DEFAULT_DIR;
  const days = parseDays(values.days, "--days", DEFAULT_LEAF_DAYS, ISSUE_USAGE);
  const sans = parseSans(values.san, ISSUE_USAGE);
  const force = values.force ?? false;
  const certName = `${out}.pem`;
  const keyName = `${out}_key.pem`;
  if (!force) await refuseExisting(dir, [certName, keyName]);

  const caPath = values.ca ?? `${dir}/ca.pem`;
  const caKeyPath = values["ca-key"] ?? `${dir}/ca_key.pem`;
  const ca = await loadCa(caPath, caKeyPath);
  const now = new Date();
  const caLeft = ca.certificate.notAfter.getTime() - now.getTime();
  if (caLeft <= 0) {
    throw new CommandError(
      `CA certificate ${caPath} expired on ${
        isoSeconds(ca.certificate.notAfter)
      }`,
    );
  }
  const clamped = days * DAY_MS > caLeft;

  const key = await generateEcKeyPair("P-256");
  const cert = await issueCertificate({
    subject: { O: ORGANIZATION, CN: cn },
    subjectKey: key,
    issuer: {
      name: ca.certificate.subject.raw,
      key: ca.key,
      ...(ca.certificate.subjectKeyId
        ? { keyId: ca.certificate.subjectKeyId }
        : {}),
    },
    now,
    ...(clamped ? { notAfter: ca.certificate.notAfter } : { days }),
    extKeyUsage: ["clientAuth"],
    subjectAltNames: dedupeSans(sans),
  });
  await writeFiles(dir, [
    { name: certName, text: encodePem("CERTIFICATE", cert), secret: false },
    { name: keyName, text: privateKeyToPem(key), secret: true },
  ], force);
  const issued = parseCertificate(cert);
  console.log(
    `Wrote ${dir}/${certName} and ${dir}/${keyName}: client "${cn}", ` +
      `valid until ${isoSeconds(issued.notAfter)}` +
      (clamped ? " (the CA's expiry)" : ""),
  );
  return 0;
}

async function loadCa(
  certPath: string,
  keyPath: string,
): Promise<{ certificate: Certificate; key: PrivateKey }> {
  const certificate = parseCertificatePem(await readText(certPath))[0];
  if (!certificate) {
    throw new CommandError(`no certificate in ${certPath}`);
  }
  if (!certificate.basicConstraints?.ca) {
    throw new CommandError(`${certPath} is not a CA certificate`);
  }
  let key: PrivateKey;
  try {
    key = loadPrivateKey(await readText(keyPath));
  } catch (err) {
    throw new CommandError(
      `cannot read CA key ${keyPath}: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  if (!keyMatchesCertificate(key, certificate)) {
    throw new CommandError(`${keyPath} is not the key of ${certPath}`);
  }
  return { certificate, key };
}

async function showCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, SHOW_USAGE, {
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) {
    console.log(SHOW_USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError("missing FILE", SHOW_USAGE);
  }
  const now = Date.now();
  const blocks: string[] = [];
  for (const file of positionals) {
    const certs = await readCertificates(file);
    certs.forEach((cert, i) => {
      blocks.push(
        `${file}: certificate ${i + 1} of ${certs.length}\n` +
          describeCertificate(cert, now),
      );
    });
  }
  console.log(blocks.join("\n\n"));
  return 0;
}

async function readCertificates(file: string): Promise<Certificate[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${errorText(err)}`);
  }
  try {
    const certs = parseCertificatePem(new TextDecoder().decode(bytes));
    if (certs.length > 0) return certs;
    if (bytes[0] === 0x30) return [parseCertificate(bytes)];
  } catch (err) {
    throw new CommandError(`cannot parse ${file}: ${errorText(err)}`);
  }
  throw new CommandError(`no certificates in ${file}`);
}

function describeCertificate(cert: Certificate, now: number): string {
  const status = now > cert.notAfter.getTime()
    ? " (expired)"
    : now < cert.notBefore.getTime()
    ? " (not yet valid)"
    : "";
  const bc = cert.basicConstraints;
  const rows: [string, string][] = [
    ["Subject", cert.subject.toString() || "(empty)"],
    ["Issuer", cert.issuer.toString() || "(empty)"],
    ["Serial", cert.serialHex],
    ["Not before", isoSeconds(cert.notBefore)],
    ["Not after", isoSeconds(cert.notAfter) + status],
    ["Key", describeKey(cert)],
    [
      "Subject alt names",
      cert.subjectAltNames.map(formatSan).join(", ") || "(none)",
    ],
    [
      "Basic constraints",
      bc === undefined
        ? "(none)"
        : bc.ca
        ? `CA:TRUE${bc.pathLen === undefined ? "" : `, pathlen:${bc.pathLen}`}`
        : "CA:FALSE",
    ],
    ["Key usage", cert.keyUsage?.join(", ") ?? "(none)"],
    [
      "Extended key usage",
      cert.extKeyUsage?.map(keyPurposeName).join(", ") ?? "(none)",
    ],
    ["SHA-256 fingerprint", formatFingerprint(cert.fingerprintSha256)],
  ];
  return rows.map(([k, v]) => `  ${(k + ":").padEnd(21)}${v}`).join("\n");
}

function describeKey(cert: Certificate): string {
  const key = cert.publicKey;
  if (key === undefined) {
    return `unsupported (${
      cert.publicKeyUnsupported ?? cert.publicKeyAlgorithm.oid
    })`;
  }
  if (key.kind === "ec") return `EC ${key.curve}`;
  return `RSA ${bitLength(key.n)}`;
}

function bitLength(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i) * 8 - Math.clz32(n[i] as number) + 24;
}

const SAN_LABELS: Readonly<Record<string, string>> = {
  dns: "DNS",
  ip: "IP",
  uri: "URI",
  email: "email",
  dn: "DirName",
  other: "othername",
};

function formatSan(name: SubjectAltName | GeneralName): string {
  return `${SAN_LABELS[name.type] ?? name.type}:${name.value}`;
}

function dedupeSans(sans: readonly SubjectAltName[]): SubjectAltName[] {
  const seen = new Set<string>();
  return sans.filter((s) => {
    const key = `${s.type}:${
      s.type === "dns" ? s.value.toLowerCase() : s.value
    }`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Deno.hostname() needs --allow-sys=hostname; without it the certificate is
// still usable for localhost.
function hostName(): string {
  let host: string;
  try {
    host = Deno.hostname();
  } catch {
    return "localhost";
  }
  // RFC 5280 Appendix A.1: ub-common-name is 64 characters.
  if (host === "" || host.length > 64) {
    host = host.split(".")[0] ?? "";
  }
  return host === "" || host.length > 64 ? "localhost" : host;
}

type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

type FlagValues<T extends FlagSpec> = {
  [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean
    : T[K]["multiple"] extends true ? string[]
    : string;
};

function parseFlags<T extends FlagSpec>(
  args: string[],
  usage: string,
  options: T,
  allowPositionals = false,
): { values: FlagValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals,
    });
    return { values: values as FlagValues<T>, positionals };
  } catch (err) {
    throw new UsageError(errorText(err), usage);
  }
}

function parseDays(
  text: string | undefined,
  flag: string,
  fallback: number,
  usage: string,
): number {
  if (text === undefined) return fallback;
  const days = Number(text);
  if (
    !/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(days) || days > 36500
  ) {
    throw new UsageError(
      `${flag} "${text}" is not a whole number of days from 1 to 36500`,
      usage,
    );
  }
  return days;
}

function parseSans(
  texts: readonly string[] | undefined,
  usage: string,
): SubjectAltName[] {
  return (texts ?? []).map((text) => {
    try {
      return parseSubjectAltName(text);
    } catch (err) {
      throw new UsageError(`--san: ${errorText(err)}`, usage);
    }
  });
}

async function existingFiles(
  dir: string,
  names: readonly string[],
): Promise<string[]> {
  const present: string[] = [];
  for (const name of names) {
    try {
      await Deno.lstat(`${dir}/${name}`);
      present.push(name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return present;
}

async function refuseExisting(
  dir: string,
  names: readonly string[],
): Promise<void> {
  const present = await existingFiles(dir, names);
  if (present.length > 0) {
    throw new CommandError(
      `refusing to overwrite ${present.map((n) => `${dir}/${n}`).join(", ")}` +
        ` (use --force to replace ${present.length === 1 ? "it" : "them"})`,
    );
  }
}

// Every file goes to a temporary name in `dir` first; only when all are
// written are they renamed into place. Keys are created 0600 and chmod-ed
// again in case the umask or an odd file system got in the way.
async function writeFiles(
  dir: string,
  files: readonly OutputFile[],
  force: boolean,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const tag = encodeHex(crypto.getRandomValues(new Uint8Array(6)));
  const staged: { temp: string; path: string }[] = [];
  try {
    for (const file of files) {
      const temp = `${dir}/.${file.name}.${tag}.tmp`;
      await Deno.writeTextFile(temp, file.text, {
        createNew: true,
        ...(file.secret ? { mode: 0o600 } : {}),
      });
      staged.push({ temp, path: `${dir}/${file.name}` });
      if (file.secret && Deno.build.os !== "windows") {
        await Deno.chmod(temp, 0o600);
      }
    }
    if (!force) await refuseExisting(dir, files.map((f) => f.name));
    for (const { temp, path } of staged) await Deno.rename(temp, path);
  } catch (err) {
    for (const { temp } of staged) {
      await Deno.remove(temp).catch(() => {});
    }
    throw err;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new CommandError(`cannot read ${path}: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
