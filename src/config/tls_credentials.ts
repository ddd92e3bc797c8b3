/**
 * Turns one secure listener's files into usable credentials: the server
 * chain, its private key (decrypted by postern's own PKI code, since neither
 * Deno TLS API takes an encrypted key), trusted CAs and CRLs. The TLS and
 * DTLS listeners load their credentials through here, and `postern config
 * check` runs the same code, so a wrong key password, a key that does not
 * match its certificate or a DTLS key that cannot sign ECDSA is reported
 * before any socket is opened, naming the variable or key at fault.
 *
 * A server certificate that has expired or is not yet valid is a warning,
 * not an error (clients decide whether to accept it, and a device clock may
 * be wrong): `config check` prints it as `warning: path: message` and
 * `serve` logs it as `config.warning` at start.
 *
 * @module
 */

import {
  type Certificate,
  type Crl,
  KeyError,
  keyMatchesCertificate,
  loadPrivateKey,
  parseCertificate,
  parseCertificatePem,
  parseCrl,
  parseCrlPem,
  privateKeyToPem,
  readPkcs12,
} from "../pki/mod.ts";
import { decodePem, encodePem } from "../pki/pem.ts";
import type { PrivateKey } from "../crypto/mod.ts";
import { ConfigError } from "./errors.ts";
import type { TlsFileSet } from "./check_files.ts";

/** What a secure listener needs to serve. */
export interface TlsCredentials {
  /** Server certificate first, then the rest of the chain. */
  readonly chain: readonly Certificate[];
  /** The chain as PEM, for `Deno.listenTls` and `node:tls`. */
  readonly chainPem: string;
  /** The decrypted private key. */
  readonly key: PrivateKey;
  /** The key as unencrypted PKCS#8 PEM, for `Deno.listenTls` and `node:tls`. */
  readonly keyPem: string;
  /** Trusted CAs for client certificates. */
  readonly trustAnchors: readonly Certificate[];
  /** CRLs to check client certificates against. */
  readonly crls: readonly Crl[];
  /**
   * The server certificate's issuer, for OCSP stapling
   * (`ssl_options.ocsp.issuer_pem`); only when stapling is enabled.
   */
  readonly ocspIssuer?: Certificate;
}

/** The result of {@link loadTlsCredentials}; `warnings` do not stop a start. */
export type TlsCredentialsResult =
  | {
    readonly ok: true;
    readonly credentials: TlsCredentials;
    readonly warnings: readonly ConfigError[];
  }
  | {
    readonly ok: false;
    readonly errors: readonly ConfigError[];
    readonly warnings: readonly ConfigError[];
  };

const text = new TextDecoder();

function isPem(bytes: Uint8Array): boolean {
  return text.decode(bytes.subarray(0, 4096)).includes("-----BEGIN ");
}

/**
 * Loads and cross-checks one listener's credentials from its file contents.
 *
 * @param input The listener and the contents of its files (as
 * `checkFiles` gathers them).
 * @returns The credentials, or every problem found, each naming its
 * variable or key.
 *
 * @example A certificate file that holds no certificate
 * ```ts
 * import { loadTlsCredentials } from "./tls_credentials.ts";
 * import { defaultConfig } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const listener = config.listeners.find((l) => l.family === "ssl")!;
 * const result = loadTlsCredentials({
 *   config,
 *   listener,
 *   tls: { ...listener.tls!, certFile: "c.pem", keyFile: "k.pem" },
 *   files: new Map([["certFile", new TextEncoder().encode("nothing")], ["keyFile", new Uint8Array([1])]]),
 *   pathOf: (field) => `LISTENER_SSL_${field}`,
 * });
 * assert.equal(result.ok, false);
 * ```
 */
export function loadTlsCredentials(input: TlsFileSet): TlsCredentialsResult {
  const { tls, files, pathOf } = input;
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  let chain: Certificate[] = [];
  let key: PrivateKey | undefined;

  if (tls.credentialsType === "KEYSTORE") {
    const store = files.get("keyStoreFile");
    if (store !== undefined) {
      const password = tls.keyStorePassword ?? tls.keyStoreKeyPassword ?? "";
      try {
        const contents = readPkcs12(store, password);
        chain = contents.certificates.map((der) => parseCertificate(der));
        key = contents.key;
        if (key === undefined) {
          errors.push(
            new ConfigError(
              pathOf("keyStoreFile"),
              "Key store holds no private key",
            ),
          );
        }
        if (
          tls.keyStoreKeyPassword !== undefined &&
          tls.keyStorePassword !== undefined &&
          tls.keyStoreKeyPassword !== tls.keyStorePassword
        ) {
          errors.push(
            new ConfigError(
              pathOf("keyStoreKeyPassword"),
              "A key password different from the key store password is not supported",
            ),
          );
        }
      } catch (err) {
        errors.push(
          keyError(err, pathOf("keyStoreFile"), pathOf("keyStorePassword")),
        );
      }
    }
  } else {
    const certBytes = files.get("certFile");
    const keyBytes = files.get("keyFile") ?? certBytes;
    if (certBytes !== undefined) {
      try {
        chain = parseCertificatePem(text.decode(certBytes));
      } catch (err) {
        errors.push(
          new ConfigError(
            pathOf("certFile"),
            `Cannot parse certificate: ${messageOf(err)}`,
            {
              cause: err,
            },
          ),
        );
      }
    }
    if (keyBytes !== undefined) {
      const keyPath = files.has("keyFile")
        ? pathOf("keyFile")
        : pathOf("certFile");
      try {
        key = loadPrivateKey(text.decode(keyBytes), tls.keyPassword);
      } catch (err) {
        errors.push(keyError(err, keyPath, pathOf("keyPassword")));
      }
    }
  }

  const leaf = chain[0];
  if (leaf === undefined) {
    if (errors.length === 0) {
      errors.push(
        new ConfigError(
          pathOf(
            tls.credentialsType === "KEYSTORE" ? "keyStoreFile" : "certFile",
          ),
          "Holds no certificate",
        ),
      );
    }
  } else {
    const warning = validityWarning(leaf, input.now ?? Date.now());
    if (warning !== undefined) {
      warnings.push(
        new ConfigError(
          pathOf(
            tls.credentialsType === "KEYSTORE" ? "keyStoreFile" : "certFile",
          ),
          warning,
        ),
      );
    }
  }
  if (leaf !== undefined && key !== undefined) {
    if (!keyMatchesCertificate(key, leaf)) {
      errors.push(
        new ConfigError(
          pathOf(
            tls.credentialsType === "KEYSTORE"
              ? "keyStoreFile"
              : files.has("keyFile")
              ? "keyFile"
              : "certFile",
          ),
          `Private key does not match the certificate of ${leaf.subject.toString()}`,
        ),
      );
    }
    if (input.listener.family === "dtls" && key.kind !== "ec") {
      errors.push(
        new ConfigError(
          pathOf(
            tls.credentialsType === "KEYSTORE" ? "keyStoreFile" : "keyFile",
          ),
          "DTLS needs an ECDSA (P-256 or P-384) key: RSA is not offered to CoAP devices",
        ),
      );
    }
  }

  const trustAnchors: Certificate[] = [];
  const ca = files.get("caCertFile");
  if (ca !== undefined) {
    try {
      trustAnchors.push(...parseCertificates(ca));
      if (trustAnchors.length === 0) {
        errors.push(
          new ConfigError(pathOf("caCertFile"), "Holds no certificate"),
        );
      }
    } catch (err) {
      errors.push(
        new ConfigError(
          pathOf("caCertFile"),
          `Cannot parse CA certificate: ${messageOf(err)}`,
          {
            cause: err,
          },
        ),
      );
    }
  }

  const crls: Crl[] = [];
  const crlBytes = files.get("crlFile");
  if (crlBytes !== undefined) {
    try {
      crls.push(
        ...(isPem(crlBytes)
          ? parseCrlPem(text.decode(crlBytes))
          : [parseCrl(crlBytes)]),
      );
      if (crls.length === 0) {
        errors.push(new ConfigError(pathOf("crlFile"), "Holds no CRL"));
      }
    } catch (err) {
      errors.push(
        new ConfigError(
          pathOf("crlFile"),
          `Cannot parse CRL: ${messageOf(err)}`,
          { cause: err },
        ),
      );
    }
  }

  let ocspIssuer: Certificate | undefined;
  const issuerBytes = files.get("ocsp.issuerPemFile");
  if (issuerBytes !== undefined) {
    try {
      ocspIssuer = parseCertificates(issuerBytes)[0];
      const leaf = chain[0];
      if (ocspIssuer === undefined) {
        errors.push(
          new ConfigError(pathOf("ocsp.issuerPemFile"), "Holds no certificate"),
        );
      } else if (
        leaf !== undefined && !leaf.issuer.equals(ocspIssuer.subject)
      ) {
        errors.push(
          new ConfigError(
            pathOf("ocsp.issuerPemFile"),
            `${ocspIssuer.subject.toString()} is not the issuer of the server certificate (issued by ${leaf.issuer.toString()})`,
          ),
        );
      }
    } catch (err) {
      errors.push(
        new ConfigError(
          pathOf("ocsp.issuerPemFile"),
          `Cannot parse the OCSP issuer certificate: ${messageOf(err)}`,
          { cause: err },
        ),
      );
    }
  }

  if (errors.length > 0 || key === undefined) {
    return { ok: false, errors, warnings };
  }
  return {
    ok: true,
    warnings,
    credentials: {
      chain,
      chainPem: chain.map((c) => encodePem("CERTIFICATE", c.der)).join(""),
      key,
      keyPem: privateKeyToPem(key),
      trustAnchors,
      crls,
      ...(ocspIssuer ? { ocspIssuer } : {}),
    },
  };
}

function validityWarning(leaf: Certificate, now: number): string | undefined {
  const subject = leaf.subject.toString();
  if (now > leaf.notAfter.getTime()) {
    return `Server certificate of ${subject} expired on ${leaf.notAfter.toISOString()}`;
  }
  if (now < leaf.notBefore.getTime()) {
    return `Server certificate of ${subject} is not valid before ${leaf.notBefore.toISOString()}`;
  }
  return undefined;
}

function parseCertificates(bytes: Uint8Array): Certificate[] {
  if (!isPem(bytes)) return [parseCertificate(bytes)];
  const blocks = decodePem(text.decode(bytes));
  return blocks.filter((b) => b.label === "CERTIFICATE").map((b) =>
    parseCertificate(b.der)
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function keyError(
  err: unknown,
  filePath: string,
  passwordPath: string,
): ConfigError {
  if (err instanceof KeyError) {
    switch (err.code) {
      case "wrong_password":
        return new ConfigError(
          passwordPath,
          `Wrong password for the key in ${filePath}`,
          {
            cause: err,
          },
        );
      case "password_required":
        return new ConfigError(
          passwordPath,
          `The key in ${filePath} is encrypted and no password is set`,
          { cause: err },
        );
      default:
        return new ConfigError(
          filePath,
          `Cannot load private key: ${err.message}`,
          { cause: err },
        );
    }
  }
  return new ConfigError(
    filePath,
    `Cannot load private key: ${messageOf(err)}`,
    { cause: err },
  );
}

/**
 * The {@link TlsFileChecker} that `checkFiles` runs for every secure
 * listener: {@link loadTlsCredentials}, returning the errors and passing
 * the warnings (an expired or not-yet-valid server certificate) to
 * `input.warn`.
 *
 * @example
 * ```ts
 * import { tlsCredentialsChecker } from "./tls_credentials.ts";
 * import { tlsFileCheckers } from "./check_files.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(tlsFileCheckers.includes(tlsCredentialsChecker));
 * ```
 */
export function tlsCredentialsChecker(
  input: TlsFileSet,
): Promise<readonly ConfigError[]> {
  const result = loadTlsCredentials(input);
  for (const warning of result.warnings) input.warn?.(warning);
  return Promise.resolve(result.ok ? [] : result.errors);
}
