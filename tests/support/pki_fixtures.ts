/**
 * Certificates, keys and CRLs made with the `openssl` command line at test
 * time, once per test process (the first call builds them in a temporary
 * directory, later calls share the result).
 *
 * ```
 * root (P-256, CA, keyCertSign+cRLSign)
 * ├── inter (P-256, CA pathlen:0)           `openssl ca` database, CRL inter.crl
 * │   ├── server            SAN DNS:localhost, IP:127.0.0.1, IP:::1; serverAuth
 * │   ├── device1 / device2 clientAuth; device2 has SAN URI and e-mail
 * │   ├── device3           revoked (keyCompromise) in inter.crl
 * │   ├── expired / notYetValid     `openssl ca -startdate/-enddate`
 * │   ├── criticalExt       unknown critical extension 1.2.3.4
 * │   ├── noDigitalSignature keyUsage keyEncipherment only
 * │   └── subCa (CA) ── leafUnderSubCa   exceeds inter's pathlen:0
 * ├── v1Inter (v1) ── leafUnderV1Inter
 * └── noCertSignCa (CA, keyUsage digitalSignature) ── leafUnderNoCertSign
 * device1 (not a CA) ── leafUnderLeaf
 * impostorRoot (same subject and SKI as root, other key) ── impostorLeaf; impostor.crl
 * rootP384 ── leafP384 (ecdsa-with-SHA384)
 * rootRsa (RSA 2048) ── leafRsa (sha256WithRSAEncryption), leafRsaPss (RSASSA-PSS)
 * v1Root (v1, self-signed) ── leafUnderV1Root
 * ed25519Root ── leafUnderEd25519
 * fancyName: self-signed, multi-valued RDN, escaped characters
 * utf8Name: self-signed, non-ASCII UTF8String values
 * sanZoo: self-signed, every GeneralName type in subjectAltName
 * ```
 *
 * @module
 */

import { openssl } from "./openssl.ts";

/** Every certificate the fixture makes. */
export const CERT_NAMES = [
  "root",
  "inter",
  "server",
  "device1",
  "device2",
  "device3",
  "expired",
  "notYetValid",
  "criticalExt",
  "noDigitalSignature",
  "subCa",
  "leafUnderSubCa",
  "v1Inter",
  "leafUnderV1Inter",
  "noCertSignCa",
  "leafUnderNoCertSign",
  "leafUnderLeaf",
  "impostorRoot",
  "impostorLeaf",
  "rootP384",
  "leafP384",
  "rootRsa",
  "leafRsa",
  "leafRsaPss",
  "v1Root",
  "leafUnderV1Root",
  "ed25519Root",
  "leafUnderEd25519",
  "fancyName",
  "sanZoo",
  "utf8Name",
] as const;

/** A certificate's name in the fixture. */
export type CertName = typeof CERT_NAMES[number];

/** One certificate with its key. */
export interface FixtureCert {
  readonly name: CertName;
  readonly certPath: string;
  readonly keyPath: string;
  readonly pem: string;
  readonly der: Uint8Array;
}

/** One CRL. */
export interface FixtureCrl {
  readonly path: string;
  readonly pem: string;
  readonly der: Uint8Array;
}

/** Everything the fixture made. */
export interface PkiFixtures {
  readonly dir: string;
  readonly certs: Readonly<Record<CertName, FixtureCert>>;
  /** CRL issued by `inter`, revoking `device3`. */
  readonly interCrl: FixtureCrl;
  /** CRL issued by `root`, revoking nothing. */
  readonly rootCrl: FixtureCrl;
  /** CRL issued by `impostorRoot` (same issuer name as `root`), revoking `inter`'s serial. */
  readonly impostorCrl: FixtureCrl;
  /** `server` then `inter`, PEM, as a TLS server would send them. */
  readonly serverChainPath: string;
  /** `server` certificate followed by its private key in one PEM file. */
  readonly serverWithKeyPath: string;
}

const SUBJECT_ROOT = "/C=DE/O=Postern Test/CN=Postern Test Root CA";

const EXTENSIONS = `
[req]
distinguished_name = dn
[dn]
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.example.test/root.crl
[v3_ca_any]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_no_cert_sign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.example.test/inter.crl
authorityInfoAccess = OCSP;URI:http://ocsp.example.test/,caIssuers;URI:http://ca.example.test/inter.crt
[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_client_san]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:urn:postern:device:2,email:device-2@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_client_noaki]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[v3_critical]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
1.2.3.4 = critical,DER:05:00
[v3_key_encipherment]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
extendedKeyUsage = clientAuth,serverAuth
[v3_san_zoo]
basicConstraints = critical,CA:FALSE
subjectAltName = @san_zoo
[san_zoo]
DNS.1 = *.example.test
IP.1 = 2001:db8::1
IP.2 = 2001:db8:0:0:1:0:0:1
IP.3 = fe80::
IP.4 = 10.1.2.3
email.1 = ops@example.test
URI.1 = https://example.test/device?id=1
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.test
dirName.1 = dir_sect
RID.1 = 1.2.3.4.5
[dir_sect]
C = DE
O = Dir Org
CN = Dir Name
[crl_ext]
authorityKeyIdentifier = keyid:always
`;

function caConfig(dir: string, name: string): string {
  return `
[ca]
default_ca = ca_default
[ca_default]
database = ${dir}/${name}-index.txt
new_certs_dir = ${dir}/${name}-newcerts
certificate = ${dir}/${name}.crt
private_key = ${dir}/${name}.key
serial = ${dir}/${name}-serial
crlnumber = ${dir}/${name}-crlnumber
default_md = sha256
default_days = 3650
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
x509_extensions = v3_client
[policy_any]
commonName = supplied
organizationName = optional
${EXTENSIONS}`;
}

type KeyType = "p256" | "p384" | "rsa" | "ed25519";

const KEY_ARGS: Record<KeyType, string[]> = {
  p256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  p384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  ed25519: ["-algorithm", "ed25519"],
};

/**
 * Decodes the first PEM block without using the code under test.
 *
 * @example
 * ```ts
 * import { pemToDer } from "./pki_fixtures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(pemToDer("-----BEGIN X-----\nAQI=\n-----END X-----\n"), new Uint8Array([1, 2]));
 * ```
 */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END/.exec(pem);
  if (!m) throw new Error("No PEM block");
  const bin = atob((m[1] as string).replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

let cached: Promise<PkiFixtures> | undefined;

/**
 * Returns the fixture, building it on first use.
 *
 * @example
 * ```ts ignore
 * import { pkiFixtures } from "./pki_fixtures.ts";
 *
 * const fx = await pkiFixtures();
 * console.log(fx.certs.server.certPath);
 * ```
 */
export function pkiFixtures(): Promise<PkiFixtures> {
  cached ??= build();
  return cached;
}

async function build(): Promise<PkiFixtures> {
  const dir = await Deno.makeTempDir({ prefix: "postern-pki-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  const conf = `${dir}/ext.cnf`;
  await Deno.writeTextFile(conf, EXTENSIONS);
  let serial = 0x1000;
  const p = (name: string) => `${dir}/${name}`;

  async function key(name: string, type: KeyType): Promise<void> {
    await openssl(["genpkey", ...KEY_ARGS[type], "-out", p(`${name}.key`)]);
  }

  async function csr(name: string, subject: string, extra: string[] = []) {
    await openssl([
      "req",
      "-new",
      "-config",
      conf,
      "-key",
      p(`${name}.key`),
      "-subj",
      subject,
      ...extra,
      "-out",
      p(`${name}.csr`),
    ]);
  }

  async function selfSigned(
    name: string,
    type: KeyType,
    subject: string,
    options: { extensions?: string; extra?: string[]; config?: string } = {},
  ): Promise<void> {
    await key(name, type);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-config",
      options.config ?? conf,
      "-extensions",
      options.extensions ?? "v3_root",
      "-key",
      p(`${name}.key`),
      "-subj",
      subject,
      "-days",
      "3650",
      "-set_serial",
      String(serial++),
      ...(type === "ed25519" ? [] : [type === "p384" ? "-sha384" : "-sha256"]),
      ...(options.extra ?? []),
      "-out",
      p(`${name}.crt`),
    ]);
  }

  async function issue(
    name: string,
    type: KeyType,
    options: {
      subject: string;
      ca: string;
      extensions?: string;
      digest?: string;
      extra?: string[];
    },
  ): Promise<void> {
    await key(name, type);
    await csr(name, options.subject);
    await openssl([
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p(`${options.ca}.crt`),
      "-CAkey",
      p(`${options.ca}.key`),
      "-set_serial",
      String(serial++),
      "-days",
      "3650",
      ...(options.digest ? [`-${options.digest}`] : []),
      ...(options.extensions
        ? ["-extfile", conf, "-extensions", options.extensions]
        : []),
      ...(options.extra ?? []),
      "-out",
      p(`${name}.crt`),
    ]);
  }

  // Independent roots first, in parallel.
  await Promise.all([
    (async () => {
      await selfSigned("root", "p256", SUBJECT_ROOT);
      // Same name and same subjectKeyIdentifier as the root, another key.
      const ski = new TextDecoder().decode(
        await openssl([
          "x509",
          "-in",
          p("root.crt"),
          "-noout",
          "-ext",
          "subjectKeyIdentifier",
        ]),
      ).split("\n")[1]?.trim();
      const impostorConf = `${dir}/impostor.cnf`;
      await Deno.writeTextFile(
        impostorConf,
        EXTENSIONS +
          `[v3_impostor]\nbasicConstraints = critical,CA:TRUE\n` +
          `keyUsage = critical,keyCertSign,cRLSign\n` +
          `subjectKeyIdentifier = ${ski}\n`,
      );
      await selfSigned("impostorRoot", "p256", SUBJECT_ROOT, {
        extensions: "v3_impostor",
        config: impostorConf,
      });
    })(),
    selfSigned("rootP384", "p384", "/O=Postern Test/CN=Postern P-384 Root"),
    selfSigned("rootRsa", "rsa", "/O=Postern Test/CN=Postern RSA Root"),
    selfSigned("ed25519Root", "ed25519", "/CN=Postern Ed25519 Root"),
    selfSigned(
      "fancyName",
      "p256",
      '/DC=test/DC=example/O=Acme, Inc./OU=R&D+CN=weird "name" <x>;y/emailAddress=a@b.test',
      { extra: ["-multivalue-rdn"] },
    ),
    selfSigned("utf8Name", "p256", "/C=DE/L=Köln/CN=Grüße 設備", {
      extra: ["-utf8"],
    }),
    selfSigned("sanZoo", "p256", "/CN=san-zoo", { extensions: "v3_san_zoo" }),
    (async () => {
      await key("v1Root", "p256");
      await csr("v1Root", "/CN=Postern v1 Root");
      await openssl([
        "x509",
        "-req",
        "-in",
        p("v1Root.csr"),
        "-signkey",
        p("v1Root.key"),
        "-days",
        "3650",
        "-out",
        p("v1Root.crt"),
      ]);
    })(),
  ]);

  await Promise.all([
    issue("inter", "p256", {
      subject: "/O=Postern Test/CN=Postern Test Intermediate CA",
      ca: "root",
      extensions: "v3_inter",
      digest: "sha256",
    }),
    issue("v1Inter", "p256", {
      subject: "/CN=Postern v1 Intermediate",
      ca: "root",
      digest: "sha256",
    }),
    issue("noCertSignCa", "p256", {
      subject: "/CN=Postern CA without keyCertSign",
      ca: "root",
      extensions: "v3_no_cert_sign",
      digest: "sha256",
    }),
    issue("impostorLeaf", "p256", {
      subject: "/CN=impostor",
      ca: "impostorRoot",
      extensions: "v3_client",
      digest: "sha256",
    }),
    issue("leafP384", "p384", {
      subject: "/CN=p384-leaf",
      ca: "rootP384",
      extensions: "v3_client",
      digest: "sha384",
    }),
    issue("leafRsa", "p256", {
      subject: "/CN=rsa-signed-leaf",
      ca: "rootRsa",
      extensions: "v3_client",
      digest: "sha256",
    }),
    issue("leafRsaPss", "p256", {
      subject: "/CN=pss-signed-leaf",
      ca: "rootRsa",
      extensions: "v3_client",
      digest: "sha256",
      extra: [
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:32",
      ],
    }),
    issue("leafUnderV1Root", "p256", {
      subject: "/CN=leaf-under-v1-root",
      ca: "v1Root",
      extensions: "v3_client_noaki",
      digest: "sha256",
    }),
    issue("leafUnderEd25519", "p256", {
      subject: "/CN=leaf-under-ed25519",
      ca: "ed25519Root",
      extensions: "v3_client",
    }),
  ]);

  await Promise.all([
    issue("server", "p256", {
      subject: "/O=Postern Test/CN=localhost",
      ca: "inter",
      extensions: "v3_server",
      digest: "sha256",
    }),
    issue("criticalExt", "p256", {
      subject: "/CN=critical-ext",
      ca: "inter",
      extensions: "v3_critical",
      digest: "sha256",
    }),
    issue("noDigitalSignature", "p256", {
      subject: "/CN=no-digital-signature",
      ca: "inter",
      extensions: "v3_key_encipherment",
      digest: "sha256",
    }),
    (async () => {
      await issue("subCa", "p256", {
        subject: "/CN=Postern Sub CA",
        ca: "inter",
        extensions: "v3_ca_any",
        digest: "sha256",
      });
      await issue("leafUnderSubCa", "p256", {
        subject: "/CN=leaf-under-sub-ca",
        ca: "subCa",
        extensions: "v3_client",
        digest: "sha256",
      });
    })(),
    issue("leafUnderV1Inter", "p256", {
      subject: "/CN=leaf-under-v1-inter",
      ca: "v1Inter",
      extensions: "v3_client_noaki",
      digest: "sha256",
    }),
    issue("leafUnderNoCertSign", "p256", {
      subject: "/CN=leaf-under-no-cert-sign",
      ca: "noCertSignCa",
      extensions: "v3_client",
      digest: "sha256",
    }),
  ]);

  // Client certificates through `openssl ca`, then a revocation and CRLs.
  const caConf = `${dir}/inter-ca.cnf`;
  await Deno.writeTextFile(caConf, caConfig(dir, "inter"));
  await Deno.writeTextFile(p("inter-index.txt"), "");
  await Deno.writeTextFile(p("inter-serial"), "2001\n");
  await Deno.writeTextFile(p("inter-crlnumber"), "01\n");
  await Deno.mkdir(p("inter-newcerts"));
  const clients: [string, string, string[]][] = [
    ["device1", "/O=Postern Test/CN=device-1", []],
    ["device2", "/O=Postern Test/CN=device-2", [
      "-extensions",
      "v3_client_san",
    ]],
    ["device3", "/O=Postern Test/CN=device-3", []],
    ["expired", "/CN=expired-device", [
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20210101000000Z",
    ]],
    ["notYetValid", "/CN=future-device", [
      "-startdate",
      "20900101000000Z",
      "-enddate",
      "20910101000000Z",
    ]],
  ];
  await Promise.all(clients.map(async ([name, subject]) => {
    await key(name, "p256");
    await csr(name, subject);
  }));
  for (const [name, , extra] of clients) {
    await openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      caConf,
      "-in",
      p(`${name}.csr`),
      "-out",
      p(`${name}.crt`),
      ...extra,
    ]);
  }
  await openssl([
    "ca",
    "-config",
    caConf,
    "-revoke",
    p("device3.crt"),
    "-crl_reason",
    "keyCompromise",
  ]);
  await openssl([
    "ca",
    "-config",
    caConf,
    "-gencrl",
    "-crlexts",
    "crl_ext",
    "-out",
    p("inter.crl"),
  ]);
  await issue("leafUnderLeaf", "p256", {
    subject: "/CN=leaf-under-leaf",
    ca: "device1",
    extensions: "v3_client",
    digest: "sha256",
  });

  // Root and impostor CRLs.
  const interSerial = (new TextDecoder().decode(
    await openssl(["x509", "-in", p("inter.crt"), "-noout", "-serial"]),
  )).trim().replace("serial=", "");
  const crlIssuers: [string, string][] = [["root", ""], [
    "impostorRoot",
    interSerial,
  ]];
  for (const [name, revoke] of crlIssuers) {
    const conf2 = `${dir}/${name}-ca.cnf`;
    await Deno.writeTextFile(conf2, caConfig(dir, name));
    await Deno.writeTextFile(
      p(`${name}-index.txt`),
      revoke
        ? `R\t491231235959Z\t200101000000Z,keyCompromise\t${revoke}\tunknown\t/CN=x\n`
        : "",
    );
    await Deno.writeTextFile(p(`${name}-crlnumber`), "10\n");
    await openssl([
      "ca",
      "-config",
      conf2,
      "-gencrl",
      "-crlexts",
      "crl_ext",
      "-out",
      p(`${name}.crl`),
    ]);
  }

  const certs = {} as Record<CertName, FixtureCert>;
  await Promise.all(CERT_NAMES.map(async (name) => {
    const pem = await Deno.readTextFile(p(`${name}.crt`));
    certs[name] = {
      name,
      certPath: p(`${name}.crt`),
      keyPath: p(`${name}.key`),
      pem,
      der: pemToDer(pem),
    };
  }));
  async function crl(name: string): Promise<FixtureCrl> {
    const pem = await Deno.readTextFile(p(`${name}.crl`));
    return { path: p(`${name}.crl`), pem, der: pemToDer(pem) };
  }
  const serverChainPath = p("server-chain.pem");
  await Deno.writeTextFile(serverChainPath, certs.server.pem + certs.inter.pem);
  const serverWithKeyPath = p("server-with-key.pem");
  await Deno.writeTextFile(
    serverWithKeyPath,
    certs.server.pem + (await Deno.readTextFile(p("server.key"))),
  );
  return {
    dir,
    certs,
    interCrl: await crl("inter"),
    rootCrl: await crl("root"),
    impostorCrl: await crl("impostorRoot"),
    serverChainPath,
    serverWithKeyPath,
  };
}
