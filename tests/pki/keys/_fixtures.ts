/**
 * Keys, certificates and encrypted files made by `openssl` at test time,
 * once per test module, in a temporary directory.
 *
 * @module
 */

import { openssl } from "../../support/openssl.ts";

/** A key file set made by openssl. */
export interface Fixtures {
  /** Temporary directory holding the files. */
  readonly dir: string;
  /** Reads a file from the directory as text. */
  text(name: string): string;
  /** Reads a file from the directory as bytes. */
  bytes(name: string): Uint8Array;
  /** Runs openssl in the directory and returns stdout. */
  run(args: string[], stdin?: string | Uint8Array): Promise<Uint8Array>;
}

let cached: Promise<Fixtures> | undefined;

/** The three base keys: `ec256.pem`, `ec384.pem`, `rsa.pem` (PKCS#8). */
export const BASE_KEYS = ["ec256", "ec384", "rsa"] as const;

/** Makes (once) the base keys and a self-signed certificate for each. */
export function fixtures(): Promise<Fixtures> {
  cached ??= make();
  return cached;
}

async function make(): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "postern-keys-" });
  const run = (args: string[], stdin?: string | Uint8Array) =>
    openssl(args, { cwd: dir, ...(stdin !== undefined ? { stdin } : {}) });
  await Promise.all([
    run([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "ec256.pem",
    ]),
    run([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
      "-out",
      "ec384.pem",
    ]),
    run([
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      "rsa.pem",
    ]),
  ]);
  await Promise.all(BASE_KEYS.map((k) =>
    run([
      "req",
      "-x509",
      "-new",
      "-key",
      `${k}.pem`,
      "-subj",
      "/CN=device-1",
      "-days",
      "1",
      "-out",
      `${k}.crt`,
    ])
  ));
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // best effort
    }
  });
  return {
    dir,
    text: (name) => Deno.readTextFileSync(`${dir}/${name}`),
    bytes: (name) => Deno.readFileSync(`${dir}/${name}`),
    run,
  };
}

/** The public key openssl sees in `file`, as SubjectPublicKeyInfo DER. */
export async function opensslPublicDer(
  f: Fixtures,
  file: string,
  passin?: string,
): Promise<Uint8Array> {
  return await f.run([
    "pkey",
    "-in",
    file,
    "-pubout",
    "-outform",
    "DER",
    ...(passin !== undefined ? ["-passin", `pass:${passin}`] : []),
  ]);
}

/** A few dozen distinct wrong passwords. */
export function wrongPasswords(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `wrong-${i}-${(i * 7919) % 997}`);
}
