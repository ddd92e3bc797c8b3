/**
 * An OCSP test PKI made with the `openssl` command line (once per test
 * process), and OpenSSL's own OCSP responder (`openssl ocsp -index`) to
 * answer requests, on loopback or offline (`-reqin`/`-respout`).
 *
 * ```
 * ca (P-256)       `openssl ca` database index.txt
 * ├── server       SAN localhost, 127.0.0.1; serverAuth; good in index.txt
 * ├── revoked      revoked (keyCompromise) in index.txt
 * ├── responder    extKeyUsage OCSPSigning, ocspNoCheck (delegated responder)
 * └── rogue        no extKeyUsage: not allowed to sign responses
 * foreign (self-signed, extKeyUsage OCSPSigning): not issued by ca
 * ```
 *
 * With `CI=true` a missing openssl fails; otherwise {@link opensslAvailable}
 * lets tests skip.
 *
 * @module
 */

import { openssl } from "./openssl.ts";

export { opensslAvailable } from "./openssl.ts";

/** Certificates of the OCSP fixture. */
export type OcspCertName =
  | "ca"
  | "server"
  | "revoked"
  | "responder"
  | "rogue"
  | "foreign";

/** One certificate with its key. */
export interface OcspFixtureCert {
  readonly certPath: string;
  readonly keyPath: string;
  readonly pem: string;
}

/** Everything the fixture made. */
export interface OcspFixtures {
  readonly dir: string;
  readonly certs: Readonly<Record<OcspCertName, OcspFixtureCert>>;
  /** The `openssl ca` database listing server (V) and revoked (R). */
  readonly indexPath: string;
}

const CONFIG = (dir: string) => `
[ca]
default_ca = ca_default
[ca_default]
database = ${dir}/index.txt
new_certs_dir = ${dir}
certificate = ${dir}/ca.crt
private_key = ${dir}/ca.key
serial = ${dir}/serial
default_md = sha256
default_days = 30
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier = keyid:always
[v3_responder]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
authorityKeyIdentifier = keyid:always
[v3_plain]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid:always
[v3_foreign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
`;

let cached: Promise<OcspFixtures> | undefined;

/**
 * Returns the fixture, building it on first use.
 *
 * @example
 * ```ts ignore
 * const fx = await ocspFixtures();
 * console.log(fx.certs.server.certPath);
 * ```
 */
export function ocspFixtures(): Promise<OcspFixtures> {
  cached ??= build();
  return cached;
}

async function build(): Promise<OcspFixtures> {
  const dir = await Deno.makeTempDir({ prefix: "postern-ocsp-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  const conf = `${dir}/openssl.cnf`;
  await Deno.writeTextFile(conf, CONFIG(dir));
  await Deno.writeTextFile(`${dir}/index.txt`, "");
  const p = (name: string) => `${dir}/${name}`;
  const key = (name: string) =>
    openssl([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      p(`${name}.key`),
    ]);
  async function selfSigned(name: string, cn: string, ext: string) {
    await key(name);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-config",
      conf,
      "-extensions",
      ext,
      "-key",
      p(`${name}.key`),
      "-subj",
      `/O=Postern OCSP Test/CN=${cn}`,
      "-days",
      "30",
      "-sha256",
      "-out",
      p(`${name}.crt`),
    ]);
  }
  let serial = 0x5000;
  async function issue(name: string, cn: string, ext: string) {
    await key(name);
    await openssl([
      "req",
      "-new",
      "-config",
      conf,
      "-key",
      p(`${name}.key`),
      "-subj",
      `/CN=${cn}`,
      "-out",
      p(`${name}.csr`),
    ]);
    await openssl([
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-set_serial",
      String(serial++),
      "-days",
      "30",
      "-sha256",
      "-extfile",
      conf,
      "-extensions",
      ext,
      "-out",
      p(`${name}.crt`),
    ]);
  }
  await Promise.all([
    selfSigned("ca", "Postern OCSP Test CA", "v3_ca"),
    selfSigned("foreign", "Postern Foreign Responder", "v3_foreign"),
  ]);
  // sequential: serials and the database are shared
  await issue("server", "localhost", "v3_server");
  await issue("revoked", "revoked device", "v3_plain");
  await issue("responder", "Postern OCSP Responder", "v3_responder");
  await issue("rogue", "Postern Rogue Responder", "v3_plain");
  await openssl(["ca", "-config", conf, "-valid", p("server.crt")]);
  await openssl([
    "ca",
    "-config",
    conf,
    "-revoke",
    p("revoked.crt"),
    "-crl_reason",
    "keyCompromise",
  ]);
  const names: OcspCertName[] = [
    "ca",
    "server",
    "revoked",
    "responder",
    "rogue",
    "foreign",
  ];
  const certs = {} as Record<OcspCertName, OcspFixtureCert>;
  for (const n of names) {
    certs[n] = {
      certPath: p(`${n}.crt`),
      keyPath: p(`${n}.key`),
      pem: await Deno.readTextFile(p(`${n}.crt`)),
    };
  }
  return { dir, certs, indexPath: p("index.txt") };
}

/** Which certificate signs OpenSSL's responses. */
export type OcspSigner = "ca" | "responder" | "rogue" | "foreign";

function responderArgs(fx: OcspFixtures, signer: OcspSigner): string[] {
  return [
    "ocsp",
    "-index",
    fx.indexPath,
    "-CA",
    fx.certs.ca.certPath,
    "-rsigner",
    fx.certs[signer].certPath,
    "-rkey",
    fx.certs[signer].keyPath,
  ];
}

/**
 * Answers one DER OCSPRequest offline with `openssl ocsp -reqin -respout`.
 *
 * @example
 * ```ts ignore
 * const der = await opensslOcspRespond(fx, request, "ca", ["-nmin", "5"]);
 * ```
 */
export async function opensslOcspRespond(
  fx: OcspFixtures,
  request: Uint8Array,
  signer: OcspSigner,
  extra: string[] = [],
): Promise<Uint8Array> {
  const id = crypto.randomUUID();
  const reqPath = `${fx.dir}/req-${id}.der`;
  const respPath = `${fx.dir}/resp-${id}.der`;
  await Deno.writeFile(reqPath, request);
  await openssl([
    ...responderArgs(fx, signer),
    "-reqin",
    reqPath,
    "-respout",
    respPath,
    ...extra,
  ]);
  const der = await Deno.readFile(respPath);
  await Deno.remove(reqPath);
  await Deno.remove(respPath);
  return der;
}

/** A running `openssl ocsp` responder. */
export interface OcspResponderProcess {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  /** Stops the responder. */
  close(): Promise<void>;
}

/**
 * Starts `openssl ocsp -port 0` (the kernel picks the port, which OpenSSL
 * prints as `ACCEPT [::]:PORT`) and waits until it listens.
 *
 * @example
 * ```ts ignore
 * const responder = await startOpensslResponder(fx, "ca");
 * await responder.close();
 * ```
 */
export async function startOpensslResponder(
  fx: OcspFixtures,
  signer: OcspSigner,
  extra: string[] = [],
): Promise<OcspResponderProcess> {
  const child = new Deno.Command("openssl", {
    args: [...responderArgs(fx, signer), "-port", "0", ...extra],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let seen = "";
  let port: number | undefined;
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const drain = readers.map(async (reader) => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      seen += decoder.decode(value);
    }
  });
  const deadline = Date.now() + 10_000;
  while (port === undefined && Date.now() < deadline) {
    const m = /ACCEPT \S*:(\d+)/.exec(seen);
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 20));
  }
  if (port === undefined) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`openssl ocsp did not start: ${seen}`);
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await Promise.all(drain);
    },
  };
}
