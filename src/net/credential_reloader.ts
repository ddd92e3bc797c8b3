/**
 * Hot reload of a listener's credential files (certificate, key, CA, CRL,
 * key store): they are read again on `SIGHUP` and when one of them changes
 * on disk (`Deno.watchFs` on their directories, so that editors that
 * replace a file and Kubernetes secrets that swap a symlink are seen).
 *
 * A reload reads every file; when none changed it does nothing. Otherwise
 * it calls `load` and, when that succeeds, hands the new value to every
 * subscriber ({@link CredentialReloader.onReload}): the `node:tls`
 * listener swaps its secure context, the `Deno.listenTls` listener rebinds,
 * the own TLS engine and the DTLS listener take the new chain, key, trust
 * anchors and CRLs. Live connections keep the credentials they started
 * with. When `load` fails (a half-written file, a key that does not match
 * the certificate, an unparsable CRL) the old value stays and
 * `tls.reload_failed` is logged at warn level with every problem.
 *
 * @module
 */

import {
  filesInUse,
  type ListenerConfig,
  type PosternConfig,
  type TlsCredentials,
} from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Certificate } from "../pki/mod.ts";
import type {
  ClientAuthConfig,
  ServerHandshakeConfig,
} from "../tls/handshake/types.ts";
import type { CrlCache } from "./crl_cache.ts";
import { readListenerCredentials } from "./tls_listener.ts";

/**
 * Options of {@link CredentialReloader.start}.
 *
 * @example
 * ```ts
 * import type { CredentialReloaderOptions } from "./credential_reloader.ts";
 *
 * const options: CredentialReloaderOptions<string> = {
 *   name: "ssl/default",
 *   files: ["certs/server.pem"],
 *   load: () => Deno.readTextFile("certs/server.pem"),
 * };
 * ```
 */
export interface CredentialReloaderOptions<T> {
  /** The listener, for log lines (`ssl/default`). */
  name: string;
  /** The files `load` reads. */
  files: readonly string[];
  /** Reads and checks the credentials; throws when they are unusable. */
  load: () => Promise<T>;
  /** Logs reloads and refusals. */
  logger?: Logger;
  /** Watch the files (default true). */
  watch?: boolean;
  /** Reload on `SIGHUP` (default true; not on Windows). */
  sighup?: boolean;
  /** Quiet time after the last file event before reloading, ms (default 250). */
  debounceMs?: number;
  /** Reads a file, for change detection (default `Deno.readFile`). */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/**
 * Credentials that follow their files.
 *
 * @example Reload after a file changes
 * ```ts
 * import { CredentialReloader } from "./credential_reloader.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/cert.pem`;
 * await Deno.writeTextFile(path, "one");
 * const reloader = await CredentialReloader.start({
 *   name: "ssl/default", files: [path], watch: false, sighup: false,
 *   load: async () => {
 *     const text = await Deno.readTextFile(path);
 *     if (text === "bad") throw new Error("Cannot parse the certificate");
 *     return text;
 *   },
 * });
 * const seen: string[] = [];
 * reloader.onReload((v) => seen.push(v));
 * await Deno.writeTextFile(path, "two");
 * assert.equal(await reloader.reload(), "reloaded");
 * await Deno.writeTextFile(path, "bad");
 * assert.equal(await reloader.reload(), "failed");
 * assert.equal(reloader.current, "two");
 * assert.deepEqual(seen, ["two"]);
 * reloader.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class CredentialReloader<T> {
  readonly #options: CredentialReloaderOptions<T>;
  readonly #subscribers = new Set<(value: T) => void>();
  #current: T;
  #contents: Uint8Array[];
  #watcher: Deno.FsWatcher | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #sighup: (() => void) | undefined;
  #closed = false;

  private constructor(
    options: CredentialReloaderOptions<T>,
    current: T,
    contents: Uint8Array[],
  ) {
    this.#options = options;
    this.#current = current;
    this.#contents = contents;
  }

  /**
   * Loads the credentials once (a failure is thrown: the listener cannot
   * start) and starts watching.
   *
   * @param options Files, loader, logger, triggers.
   * @returns The reloader.
   */
  static async start<T>(
    options: CredentialReloaderOptions<T>,
  ): Promise<CredentialReloader<T>> {
    const contents = await readAll(options);
    const current = await options.load();
    const reloader = new CredentialReloader(options, current, contents);
    if (options.watch ?? true) reloader.#watch();
    if ((options.sighup ?? true) && Deno.build.os !== "windows") {
      reloader.#sighup = () => reloader.#schedule(0);
      Deno.addSignalListener("SIGHUP", reloader.#sighup);
    }
    return reloader;
  }

  /** The credentials in force. */
  get current(): T {
    return this.#current;
  }

  /**
   * Calls `listener` with every successfully reloaded value.
   *
   * @param listener Takes the new credentials.
   * @returns Unsubscribes.
   */
  onReload(listener: (value: T) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /**
   * Reads the files again now: `unchanged` when every file has the bytes
   * of the last load, `reloaded` when the new credentials are in force,
   * `failed` when they were refused (the old ones stay).
   *
   * @returns What happened.
   */
  reload(): Promise<"unchanged" | "reloaded" | "failed"> {
    const run = this.#running.then(() => this.#reloadNow());
    this.#running = run.catch(() => {});
    return run;
  }

  async #reloadNow(): Promise<"unchanged" | "reloaded" | "failed"> {
    const { logger, name, files } = this.#options;
    let contents: Uint8Array[];
    let value: T;
    try {
      contents = await readAll(this.#options);
      if (sameContents(contents, this.#contents)) return "unchanged";
      // `load` reads the files again: when one changed meanwhile (a
      // certificate replaced after its key), load again so that the
      // contents remembered are those the value was made from
      for (let attempt = 1;; attempt++) {
        value = await this.#options.load();
        const after = await readAll(this.#options);
        if (sameContents(after, contents) || attempt === 3) break;
        contents = after;
      }
    } catch (err) {
      logger?.warn("tls.reload_failed", {
        listener: name,
        error: err instanceof Error ? err.message : String(err),
        kept: "the credentials in force",
      });
      return "failed";
    }
    if (this.#closed) return "unchanged";
    this.#contents = contents;
    this.#current = value;
    logger?.info("tls.reloaded", { listener: name, files: files.join(",") });
    for (const s of this.#subscribers) {
      try {
        s(value);
      } catch (err) {
        logger?.error("tls.reload_subscriber_failed", {
          listener: name,
          error: err,
        });
      }
    }
    return "reloaded";
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.reload();
    }, delayMs);
  }

  #watch(): void {
    const dirs = [...new Set(this.#options.files.map(directoryOf))];
    if (dirs.length === 0) return;
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(dirs, { recursive: false });
    } catch (err) {
      this.#options.logger?.warn("tls.watch_failed", {
        listener: this.#options.name,
        error: err instanceof Error ? err.message : String(err),
        reload: "on SIGHUP only",
      });
      return;
    }
    this.#watcher = watcher;
    const debounce = this.#options.debounceMs ?? 250;
    (async () => {
      try {
        for await (const event of watcher) {
          if (event.kind === "access") continue;
          this.#schedule(debounce);
        }
      } catch {
        // Closed.
      }
    })();
  }

  /** Stops watching and listening for SIGHUP. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#watcher?.close();
    } catch {
      // Already closed.
    }
    if (this.#sighup !== undefined) {
      Deno.removeSignalListener("SIGHUP", this.#sighup);
      this.#sighup = undefined;
    }
    this.#subscribers.clear();
  }
}

function readAll<T>(
  options: CredentialReloaderOptions<T>,
): Promise<Uint8Array[]> {
  const read = options.readFile ?? Deno.readFile;
  return Promise.all(options.files.map((f) => read(f)));
}

function sameContents(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Uint8Array;
    const y = b[i] as Uint8Array;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

function directoryOf(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * A reloader of a secure listener's credentials: its certificate, key (or
 * key store), CA and CRL files, loaded by `readListenerCredentials`. Every
 * TLS path subscribes to it: `node:tls`, `Deno.listenTls`, the own TLS
 * engine and the DTLS listener.
 *
 * @param config The whole configuration.
 * @param cfg The listener; it must have `tls`.
 * @param options Logger, and `watch` / `sighup` (default true).
 * @returns The started reloader.
 *
 * @example
 * ```ts
 * import { listenerCredentialReloader } from "./credential_reloader.ts";
 * import { defaultConfig, defaultListener } from "../config/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ssl = defaultListener("ssl", "default");
 * await assert.rejects(listenerCredentialReloader(defaultConfig(), {
 *   ...ssl, tls: { ...ssl.tls!, certFile: "/nonexistent.pem" },
 * }, { watch: false, sighup: false }));
 * ```
 */
export async function listenerCredentialReloader(
  config: PosternConfig,
  cfg: ListenerConfig,
  options: { logger?: Logger; watch?: boolean; sighup?: boolean } = {},
): Promise<CredentialReloader<TlsCredentials>> {
  const tls = cfg.tls;
  if (tls === undefined) {
    throw new TypeError(
      `Listener ${cfg.family}/${cfg.name} has no TLS options`,
    );
  }
  return await CredentialReloader.start({
    name: `${cfg.family}/${cfg.name}`,
    files: filesInUse(tls).map(([, path]) => path),
    load: () => readListenerCredentials(config, cfg),
    ...options,
  });
}

/**
 * A handshake configuration of postern's TLS or DTLS engine whose
 * certificate, key, trust anchors and CRLs are those in force when each
 * handshake reads them: `base` plus a `certificate` getter (one object per
 * credentials value, so that a handshake sees one chain and its key) and,
 * with `clientAuth`, client authentication whose CAs are the listener's in
 * force plus `storeCas()`, and whose CRLs are the cache's (file CRLs and
 * those fetched so far) or else the file CRLs in force. Copy it with its
 * property descriptors, never by spreading (that freezes the getters).
 *
 * @param base Suites, PSK, session cache...
 * @param current The credentials in force (`reloader.current`).
 * @param clientAuth Ask for client certificates.
 * @returns The configuration, shared by every handshake of the listener.
 *
 * @example
 * ```ts
 * import { followCredentials } from "./credential_reloader.ts";
 * import type { TlsCredentials } from "../config/mod.ts";
 * import assert from "node:assert/strict";
 *
 * let creds = { chain: [], key: {}, trustAnchors: [], crls: [] } as unknown as TlsCredentials;
 * const hs = followCredentials({}, () => creds);
 * const first = hs.certificate;
 * creds = { ...creds };
 * assert.notEqual(hs.certificate, first);
 * assert.equal(hs.certificate, hs.certificate);
 * ```
 */
export function followCredentials(
  base: ServerHandshakeConfig,
  current: () => Pick<
    TlsCredentials,
    "chain" | "key" | "trustAnchors" | "crls"
  >,
  clientAuth?: {
    storeCas?: () => readonly Certificate[];
    crls?: CrlCache;
    skipValidityCheck: boolean;
    failIfNoPeerCert: boolean;
  },
): ServerHandshakeConfig {
  let from = current();
  let certificate = { chain: from.chain, key: from.key };
  const properties: PropertyDescriptorMap = {
    ...Object.getOwnPropertyDescriptors(base),
    certificate: {
      enumerable: true,
      get() {
        const creds = current();
        if (creds !== from) {
          from = creds;
          certificate = { chain: creds.chain, key: creds.key };
        }
        return certificate;
      },
    },
  };
  if (clientAuth !== undefined) {
    const auth: ClientAuthConfig = {
      get trustAnchors() {
        return [...current().trustAnchors, ...clientAuth.storeCas?.() ?? []];
      },
      get crls() {
        return clientAuth.crls?.crls ?? current().crls;
      },
      skipValidityCheck: clientAuth.skipValidityCheck,
      failIfNoPeerCert: clientAuth.failIfNoPeerCert,
    };
    properties.clientAuth = { enumerable: true, value: auth };
  }
  return Object.defineProperties({}, properties);
}
