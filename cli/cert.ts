/**
 * `postern cert allow|revoke|rm|ls` and `postern cert ca add|rm|ls`: which
 * client certificates are which device, and which CAs the store trusts for
 * them.
 *
 * A rule names certificates by SHA-256 fingerprint, exact subject CN, a
 * regex for the whole CN (the device name may use `$1`), or a
 * subjectAltName value; `--file CERT` takes the fingerprint of a
 * certificate file. A revocation refuses matching certificates whatever
 * allows them, and ends their sessions within a second.
 *
 * @module
 */

import type { CertificateMatch } from "../src/auth/mod.ts";
import {
  type Certificate,
  formatFingerprint,
  parseCertificate,
  parseCertificatePem,
} from "../src/pki/mod.ts";
import {
  CommandError,
  DATA_DIR_HELP,
  DATA_DIR_OPTION,
  dataDirOf,
  parseCommandArgs,
  readCommandFile,
  removeEach,
  type ResolvedIo,
  runStoreCommand,
  type StoreCommandIo,
  type StoreCommandSpec,
  storeSubcommand,
  UsageError,
  withStore,
} from "./_store.ts";

const USAGE = `Usage: postern cert <command> [options]

Client certificate identities (MQTT over TLS, CoAP over DTLS).

Commands:
  allow MATCH --device NAME   map matching certificates to a device
  revoke MATCH                refuse matching certificates
  rm MATCH                    remove the rule and the revocation of MATCH
  ls                          list rules and revocations
  ca add FILE...              trust CA certificates (PEM or DER)
  ca rm FINGERPRINT...        stop trusting CAs
  ca ls                       list trusted CAs

MATCH is one of:
  --fingerprint HEX   SHA-256 fingerprint (as openssl x509 -fingerprint -sha256 prints it)
  --cn NAME           exact subject common name
  --cn-regex RE       regex for the whole common name (TBMQ style)
  --san VALUE         a subjectAltName value (DNS name, IP, URI, e-mail)
  --file CERT         the fingerprint of a certificate file (PEM or DER)

Run "postern cert <command> --help" for a command's options.`;

const MATCH_HELP =
  `  --fingerprint HEX | --cn NAME | --cn-regex RE | --san VALUE | --file CERT
                  what to match (exactly one)`;

const ALLOW_USAGE = `Usage: postern cert allow MATCH --device NAME [options]

Maps certificates matching MATCH to the device NAME. With --cn-regex, NAME
may take parts of the CN: $1, $<name>, $& (e.g. --cn-regex 'dev-(.+)'
--device '$1'). With --file, NAME defaults to the certificate's CN.
Lookup order: revocations, fingerprint, CN, SAN, CN regexes (oldest first).
Options:
${MATCH_HELP}
  --device NAME   the device (ACL subject)
${DATA_DIR_HELP}`;

const REVOKE_USAGE = `Usage: postern cert revoke MATCH [options]

Refuses certificates matching MATCH whatever rule allows them; the broker
ends their sessions within a second.
Options:
${MATCH_HELP}
${DATA_DIR_HELP}`;

const RM_USAGE = `Usage: postern cert rm MATCH [options]

Removes the allow rule and the revocation of MATCH. Exits 1 if there was
neither.
Options:
${MATCH_HELP}
${DATA_DIR_HELP}`;

const LS_USAGE = `Usage: postern cert ls [options]

Prints allow rules ("allow", rule, device) then revocations ("revoke",
rule), tab-separated.
Options:
${DATA_DIR_HELP}`;

const CA_USAGE =
  `Usage: postern cert ca add FILE... | rm FINGERPRINT... | ls [options]

Trusted CAs for client certificates, kept in the store.
  add FILE...         trust every CA certificate in the files (PEM or DER)
  rm FINGERPRINT...   stop trusting CAs (SHA-256, any case, colons allowed)
  ls                  print fingerprint and subject of each trusted CA
Options:
${DATA_DIR_HELP}`;

const MATCH_OPTIONS = {
  fingerprint: { type: "string" },
  cn: { type: "string" },
  "cn-regex": { type: "string" },
  san: { type: "string" },
  file: { type: "string" },
} as const;

/**
 * Runs `postern cert ARGS`.
 *
 * @param args The arguments after `cert`.
 * @param options IO and store.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import { certCommand } from "./cert.ts";
 * import { MemoryStore } from "../src/auth/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const out: string[] = [];
 * const io = { env: {}, stdout: (t: string) => out.push(t), stderr: () => {}, store };
 * assert.equal(await certCommand(["allow", "--cn-regex", "dev-(.+)", "--device", "$1"], io), 0);
 * assert.equal(await certCommand(["ls"], io), 0);
 * assert.equal(out.at(-1), "allow\tcn-regex:dev-(.+)\t$1");
 * ```
 */
export async function certCommand(
  args: string[],
  options: StoreCommandIo = {},
): Promise<number> {
  return await runStoreCommand(CERT_COMMAND, args, options);
}

interface MatchValues {
  fingerprint?: string | undefined;
  cn?: string | undefined;
  "cn-regex"?: string | undefined;
  san?: string | undefined;
  file?: string | undefined;
}

async function matchOf(
  values: MatchValues,
  io: ResolvedIo,
  usage: string,
): Promise<{ match: CertificateMatch; cert?: Certificate }> {
  const given = Object.entries(values).filter(([k, v]) =>
    k in MATCH_OPTIONS && v !== undefined
  );
  if (given.length !== 1) {
    throw new UsageError(
      "give exactly one of --fingerprint, --cn, --cn-regex, --san, --file",
      usage,
    );
  }
  if (values.fingerprint !== undefined) {
    return { match: { fingerprint: values.fingerprint } };
  }
  if (values.cn !== undefined) return { match: { cn: values.cn } };
  if (values["cn-regex"] !== undefined) {
    return { match: { cnRegex: values["cn-regex"] } };
  }
  if (values.san !== undefined) return { match: { san: values.san } };
  const [cert] = await readCertificates(values.file!, io);
  return { match: { fingerprint: cert!.fingerprintSha256 }, cert: cert! };
}

async function readCertificates(
  file: string,
  io: ResolvedIo,
): Promise<Certificate[]> {
  const bytes = await readCommandFile(file, io.readFile);
  let certs: Certificate[];
  try {
    const text = new TextDecoder().decode(bytes);
    certs = text.includes("-----BEGIN")
      ? parseCertificatePem(text)
      : [parseCertificate(bytes)];
  } catch (err) {
    throw new CommandError(
      `Cannot read a certificate from ${file}: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  if (certs.length === 0) {
    throw new CommandError(`No certificate in ${file}`);
  }
  return certs;
}

const allow = storeSubcommand({
  usage: ALLOW_USAGE,
  options: { ...MATCH_OPTIONS, device: { type: "string" } },
  max: 0,
  async prepare({ values }, io) {
    const { match, cert } = await matchOf(values, io, ALLOW_USAGE);
    const device = values.device ?? cert?.subject.commonName;
    if (device === undefined) {
      throw new UsageError("missing --device NAME", ALLOW_USAGE);
    }
    return async (store) => {
      const id = await store.allowCertificate(match, device);
      io.stdout(`Allowed ${id} as device ${JSON.stringify(device)}`);
      return 0;
    };
  },
});

const revoke = storeSubcommand({
  usage: REVOKE_USAGE,
  options: MATCH_OPTIONS,
  max: 0,
  async prepare({ values }, io) {
    const { match } = await matchOf(values, io, REVOKE_USAGE);
    return async (store) => {
      io.stdout(`Revoked ${await store.revokeCertificate(match)}`);
      return 0;
    };
  },
});

const rm = storeSubcommand({
  usage: RM_USAGE,
  options: MATCH_OPTIONS,
  max: 0,
  async prepare({ values }, io) {
    const { match } = await matchOf(values, io, RM_USAGE);
    return async (store) => {
      if (!(await store.removeCertificateRule(match))) {
        throw new CommandError("No certificate rule or revocation matches");
      }
      io.stdout("Removed the certificate rule");
      return 0;
    };
  },
});

const ls = storeSubcommand({
  usage: LS_USAGE,
  max: 0,
  prepare: (_args, io) => async (store) => {
    for (const rule of await store.listCertificateRules()) {
      io.stdout(
        rule.type === "allow"
          ? `allow\t${rule.id}\t${rule.device}`
          : `revoke\t${rule.id}`,
      );
    }
    return 0;
  },
});

async function ca(args: string[], io: ResolvedIo): Promise<number> {
  const [command, ...rest] = args;
  const { values, positionals } = parseCommandArgs(
    rest,
    DATA_DIR_OPTION,
    CA_USAGE,
  );
  if (values.help || command === "--help" || command === "-h") {
    io.stdout(CA_USAGE);
    return 0;
  }
  const dataDir = dataDirOf(values["data-dir"], io.env);
  switch (command) {
    case "add": {
      if (positionals.length === 0) {
        throw new UsageError("missing FILE", CA_USAGE);
      }
      const certs: Certificate[] = [];
      for (const file of positionals) {
        certs.push(...await readCertificates(file, io));
      }
      return await withStore(io, dataDir, async (store) => {
        for (const cert of certs) {
          const fp = await store.addCa(cert);
          io.stdout(
            `Trusted CA ${formatFingerprint(fp)} ${cert.subject.toString()}`,
          );
        }
        return 0;
      });
    }
    case "rm":
    case "remove":
      if (positionals.length === 0) {
        throw new UsageError("missing FINGERPRINT", CA_USAGE);
      }
      return await withStore(io, dataDir, (store) =>
        removeEach(positionals, {
          command: "cert ca rm",
          io,
          remove: async (fp) =>
            await store.removeCa(fp) ? `Removed CA ${fp}` : undefined,
          missing: (fp) => `No trusted CA ${fp}`,
        }));
    case "ls":
    case "list":
      noPositionals(positionals, CA_USAGE);
      return await withStore(io, dataDir, async (store) => {
        for (const cert of await store.trustedCas()) {
          io.stdout(
            `${
              formatFingerprint(cert.fingerprintSha256)
            }\t${cert.subject.toString()}`,
          );
        }
        return 0;
      });
    case undefined:
      throw new UsageError("missing command", CA_USAGE);
    default:
      throw new UsageError(`unknown command "${command}"`, CA_USAGE);
  }
}

function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
  }
}

const CERT_COMMAND: StoreCommandSpec = {
  name: "cert",
  usage: USAGE,
  subcommands: { allow, revoke, rm, ls, ca },
  groups: ["ca"],
};
