/**
 * File checks of a loaded configuration: every certificate, key, key store,
 * CA, CRL and PSK file that an enabled feature names must be readable and
 * not empty. The reader is injected, so that tests need no files and the
 * core of the configuration stays free of IO.
 *
 * Deeper checks (the key password opens the key, the key matches the
 * certificate, a DTLS key is ECDSA) plug in as {@link TlsFileChecker}s
 * ({@link tlsFileCheckers}, or `checkers`); each receives the contents of one
 * listener's files once they have all been read.
 *
 * Problems that do not stop a start (an expired or not-yet-valid server
 * certificate) are warnings: checkers pass them to {@link TlsFileSet.warn},
 * and {@link checkFiles} hands them to `onWarning`, so the returned list
 * stays the errors only.
 *
 * `proxy_protocol` on an enabled listener that cannot read a PROXY header
 * (`ssl` and `wss` on `Deno.listenTls`) is reported here too,
 * since `config check` and `serve` both run this check; `tcp`, `ws`, `ssl`
 * on postern's own TLS engine or `node:tls`, and `wss` on postern's own TLS
 * engine read it (see `src/net/stream_listener.ts`).
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { tlsCredentialsChecker } from "./tls_credentials.ts";
import { pskOnlyListener, tlsPathFor } from "./tls_path.ts";
import { ConfigOrigins, listenerField } from "./origins.ts";
import {
  type ListenerConfig,
  listenerId,
  type PosternConfig,
  type TlsOptions,
} from "./schema.ts";

/**
 * Reads a whole file, such as `Deno.readFile`.
 *
 * @example
 * ```ts
 * import type { ReadFile } from "./check_files.ts";
 *
 * const readFile: ReadFile = (path) => Promise.resolve(new TextEncoder().encode(path));
 * ```
 */
export type ReadFile = (path: string) => Promise<Uint8Array>;

/**
 * A file-valued field of {@link TlsOptions}.
 *
 * @example
 * ```ts
 * import type { TlsFileField } from "./check_files.ts";
 *
 * const field: TlsFileField = "certFile";
 * ```
 */
export type TlsFileField =
  | "certFile"
  | "keyFile"
  | "keyStoreFile"
  | "caCertFile"
  | "crlFile"
  | "ocsp.issuerPemFile";

/**
 * What a {@link TlsFileChecker} receives: one enabled secure listener whose
 * files were all read.
 *
 * @example
 * ```ts
 * import type { TlsFileSet } from "./check_files.ts";
 *
 * function hasKeyInCert(input: TlsFileSet): boolean {
 *   const cert = new TextDecoder().decode(input.files.get("certFile"));
 *   return cert.includes("PRIVATE KEY");
 * }
 * ```
 */
export interface TlsFileSet {
  /** The whole configuration. */
  readonly config: PosternConfig;
  /** The listener. */
  readonly listener: ListenerConfig;
  /** Its TLS options. */
  readonly tls: TlsOptions;
  /** Contents of each file the options name and that is in use. */
  readonly files: ReadonlyMap<TlsFileField, Uint8Array>;
  /**
   * The variable or JSON path of a TLS field, for a {@link ConfigError}.
   *
   * @param field Such as `certFile` or `keyPassword`.
   */
  pathOf(field: string): string;
  /**
   * Reports a problem that does not stop a start.
   *
   * @param warning Such as an expired server certificate.
   */
  warn?(warning: ConfigError): void;
  /** The current time in ms (default `Date.now()`), for validity warnings. */
  readonly now?: number;
}

/**
 * A deeper check of one listener's TLS files; returns the problems found.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * import type { TlsFileChecker } from "./check_files.ts";
 *
 * const pemOnly: TlsFileChecker = (input) => {
 *   const cert = new TextDecoder().decode(input.files.get("certFile"));
 *   return Promise.resolve(
 *     cert.includes("-----BEGIN CERTIFICATE-----")
 *       ? []
 *       : [new ConfigError(input.pathOf("certFile"), "Holds no PEM certificate")],
 *   );
 * };
 * ```
 */
export type TlsFileChecker = (
  input: TlsFileSet,
) => Promise<readonly ConfigError[]>;

/**
 * The checkers {@link checkFiles} runs by default: the credentials check of
 * `tls_credentials.ts` (key password, key/certificate match, ECDSA key for
 * DTLS, parsable CAs and CRLs).
 *
 * @example
 * ```ts
 * import { tlsFileCheckers } from "./check_files.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Array.isArray(tlsFileCheckers));
 * ```
 */
export const tlsFileCheckers: TlsFileChecker[] = [tlsCredentialsChecker];

/**
 * Options of {@link checkFiles}.
 *
 * @example
 * ```ts
 * import type { CheckFilesOptions } from "./check_files.ts";
 *
 * const options: CheckFilesOptions = { checkers: [] };
 * ```
 */
export interface CheckFilesOptions {
  /** Where values came from (from `loadConfig`), to name the right variable or key. */
  origins?: ConfigOrigins;
  /** Checkers to run instead of {@link tlsFileCheckers}. */
  checkers?: readonly TlsFileChecker[];
  /** Receives each warning (default: dropped). */
  onWarning?: (warning: ConfigError) => void;
  /** The current time in ms (default `Date.now()`). */
  now?: number;
}

/**
 * Checks that every file an enabled feature uses can be read and is not
 * empty, then runs the deeper checkers on each secure listener whose files
 * were all read.
 *
 * @param config A configuration without errors (from `loadConfig`).
 * @param readFile Reads a whole file.
 * @param options Origins and checkers.
 * @returns Every problem, each naming the variable or key of the file.
 *
 * @example
 * ```ts
 * import { checkFiles } from "./check_files.ts";
 * import { loadConfig } from "./load.ts";
 * import assert from "node:assert/strict";
 *
 * const { config, origins } = loadConfig({
 *   env: { LISTENER_SSL_ENABLED: "true", LISTENER_SSL_PEM_CERT: "missing.pem" },
 * });
 * const errors = await checkFiles(
 *   config,
 *   () => Promise.reject(new Deno.errors.NotFound("no such file")),
 *   { origins },
 * );
 * assert.equal(errors.length, 1);
 * assert.equal(errors[0]!.path, "LISTENER_SSL_PEM_CERT");
 * assert.equal(errors[0]!.message, 'Cannot read "missing.pem": file not found');
 * ```
 *
 * @example Warnings go to `onWarning`
 * ```ts
 * import { checkFiles } from "./check_files.ts";
 * import { ConfigError } from "./errors.ts";
 * import { defaultConfig } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const warnings: string[] = [];
 * const errors = await checkFiles(
 *   { ...config, listeners: config.listeners.filter((l) => l.family === "ssl").map((l) => ({ ...l, enabled: true })) },
 *   () => Promise.resolve(new Uint8Array([1])),
 *   {
 *     checkers: [(input) => {
 *       input.warn?.(new ConfigError(input.pathOf("certFile"), "Expired"));
 *       return Promise.resolve([]);
 *     }],
 *     onWarning: (w) => warnings.push(w.message),
 *   },
 * );
 * assert.deepEqual(errors, []);
 * assert.deepEqual(warnings, ["Expired"]);
 * ```
 */
export async function checkFiles(
  config: PosternConfig,
  readFile: ReadFile,
  options: CheckFilesOptions = {},
): Promise<ConfigError[]> {
  const origins = options.origins ?? new ConfigOrigins();
  const checkers = options.checkers ?? tlsFileCheckers;
  const warn = options.onWarning ?? (() => {});
  const cache = new Map<string, Promise<Uint8Array | string>>();
  /** Contents, or what is wrong. */
  function read(path: string): Promise<Uint8Array | string> {
    let pending = cache.get(path);
    if (pending === undefined) {
      pending = readFile(path).then(
        (bytes) => bytes.length === 0 ? `File "${path}" is empty` : bytes,
        (err: unknown) =>
          `Cannot read ${JSON.stringify(path)}: ${describeReadError(err)}`,
      );
      cache.set(path, pending);
    }
    return pending;
  }

  const errors: ConfigError[] = [];
  for (const listener of config.listeners) {
    const tls = listener.tls;
    if (!listener.enabled || tls === undefined) continue;
    const pathOf = (field: string) =>
      origins.sourceOf(listenerField(listener, `tls.${field}`));
    const files = new Map<TlsFileField, Uint8Array>();
    let complete = true;
    for (const [field, path] of filesInUse(tls)) {
      const result = await read(path);
      if (typeof result === "string") {
        errors.push(new ConfigError(pathOf(field), result));
        complete = false;
      } else {
        files.set(field, result);
      }
    }
    // a PSK-only listener without a server certificate: nothing to load
    const serverCredentials = tls.credentialsType === "KEYSTORE"
      ? tls.keyStoreFile !== undefined
      : tls.certFile !== undefined;
    if (!complete) continue;
    if (!serverCredentials && pskOnlyListener(config, listener)) continue;
    for (const checker of checkers) {
      try {
        errors.push(
          ...await checker({
            config,
            listener,
            tls,
            files,
            pathOf,
            warn,
            ...(options.now === undefined ? {} : { now: options.now }),
          }),
        );
      } catch (err) {
        errors.push(
          new ConfigError(
            origins.sourceOf(listenerField(listener, "enabled")),
            `Cannot check the files of listener ${listenerId(listener)}: ${
              err instanceof Error ? err.message : String(err)
            }`,
            { cause: err },
          ),
        );
      }
    }
  }
  for (const listener of config.listeners) {
    if (
      listener.enabled && listener.proxyProtocol &&
      listener.family !== "tcp" &&
      listener.family !== "ws" && // postern's own WebSocket server over TCP
      // postern's own TLS engine and the node:tls listener read the raw
      // bytes, header first
      !(listener.family === "ssl" &&
        tlsPathFor(config, listener).engine !== "native") &&
      // wss on postern's TLS engine and WebSocket server
      !(listener.family === "wss" &&
        tlsPathFor(config, listener).engine === "postern")
    ) {
      errors.push(
        new ConfigError(
          origins.sourceOf(listenerField(listener, "proxyProtocol")),
          PROXY_UNSUPPORTED[listener.family] ??
            `The PROXY protocol is not supported on a ${listener.family} listener`,
        ),
      );
    }
  }
  const initFile = config.psk.initFile;
  if (config.psk.enabled && initFile !== undefined) {
    const result = await read(initFile);
    if (typeof result === "string") {
      errors.push(new ConfigError(origins.sourceOf("psk.initFile"), result));
    }
  }
  return errors;
}

/**
 * Why `proxy_protocol` cannot run on a family: the header precedes the TLS
 * handshake or the HTTP upgrade, and these listeners hand postern no raw
 * bytes before it.
 */
const PROXY_UNSUPPORTED: Partial<Record<string, string>> = {
  ssl:
    "The PROXY protocol is not supported on ssl listeners served by Deno.listenTls (one-way TLS): it runs the TLS handshake before postern can read the header (set ssl_options.tls_engine to postern, use verify_peer, or terminate TLS at the proxy and use a tcp listener)",
  wss:
    "The PROXY protocol is not supported on wss listeners served by Deno.listenTls: it runs the TLS handshake before postern can read the header (set ssl_options.tls_engine to postern)",
};

/**
 * The file fields of `tls` that are in use, with their paths: what
 * {@link checkFiles} reads and what a listener loads its credentials from.
 *
 * @example
 * ```ts
 * import { filesInUse } from "./check_files.ts";
 * import { defaultListener } from "./schema.ts";
 * import assert from "node:assert/strict";
 *
 * const tls = { ...defaultListener("ssl", "default").tls!, certFile: "c.pem" };
 * assert.deepEqual(filesInUse(tls), [["certFile", "c.pem"]]);
 * ```
 */
export function filesInUse(tls: TlsOptions): [TlsFileField, string][] {
  const out: [TlsFileField, string | undefined][] =
    tls.credentialsType === "PEM"
      ? [["certFile", tls.certFile], ["keyFile", tls.keyFile]]
      : [["keyStoreFile", tls.keyStoreFile]];
  out.push(["caCertFile", tls.caCertFile]);
  if (tls.enableCrlCheck) out.push(["crlFile", tls.crlFile]);
  if (tls.ocsp.enableOcspStapling) {
    out.push(["ocsp.issuerPemFile", tls.ocsp.issuerPemFile]);
  }
  return out.filter((e): e is [TlsFileField, string] => e[1] !== undefined);
}

/** A short reason for a failed read. */
function describeReadError(err: unknown): string {
  if (err instanceof Error) {
    switch (err.name) {
      case "NotFound":
        return "file not found";
      case "PermissionDenied":
      case "NotCapable":
        return "permission denied";
      case "IsADirectory":
        return "is a directory";
    }
    return err.message;
  }
  return String(err);
}
