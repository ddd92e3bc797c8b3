/**
 * Certificate revocation lists for every TLS path (`node:tls` listener,
 * postern's own TLS engine, DTLS): the CRLs of `ssl_options.crlfile` plus
 * the CRLs that client certificates name in their CRL distribution points
 * (RFC 5280 §4.2.1.13), fetched over HTTP and cached.
 *
 * A listener with a `crlfile` uses it alone (the operator manages the
 * CRLs; no outbound HTTP); without one, `enable_crl_check` fetches.
 *
 * Fetching:
 * - only `http:` and `https:` distribution point URIs are fetched (LDAP and
 *   others are skipped); a response is DER or PEM, at most `maxBytes`;
 * - a URL is fetched the first time a chain names it, and refreshed at the
 *   CRL's nextUpdate or `refreshIntervalMs` after the last fetch, whichever
 *   comes first. A refresh runs in the background: handshakes keep using
 *   the cached CRL meanwhile;
 * - a handshake waits for a first fetch at most `timeoutMs`; the fetch goes
 *   on, and the next handshake uses its result. A failed fetch is retried
 *   after `retryAfterMs`, never in a loop;
 * - a response that does not parse keeps the previous CRL.
 *
 * Policy when no CRL is obtainable (soft fail, as `validateChain` treats a
 * certificate whose issuer has no usable CRL): the certificate is not
 * refused for it, and `crl.fetch_failed` is logged at warn level once per
 * failure. A CRL fetched once keeps being used after its nextUpdate, with a
 * `crl_expired` warning from the path validation: revocation does not
 * expire. Signatures are not checked here: `validateChain` ignores (with a
 * `crl_bad_signature` warning) a CRL its issuer did not sign, so a forged
 * HTTP response cannot revoke anything, only hide a revocation as a
 * missing CRL would. Use `crlfile` or `https:` distribution points where
 * that matters.
 *
 * Engines that validate synchronously read {@link CrlCache.crls} (the file
 * CRLs and every CRL fetched so far) and call {@link CrlCache.learn} with
 * each chain they see, so that its distribution points are fetched for the
 * next handshakes.
 *
 * {@link VerifiedConnections} remembers the verified chain of each live
 * connection of a listener, so that a new CRL (a reloaded `crlfile`, or a
 * distribution point's CRL fetched after the handshake) closes those it
 * revokes, whatever the TLS path.
 *
 * @module
 */

import {
  type Certificate,
  type Crl,
  findCrlsFor,
  parseCrl,
  parseCrlPem,
  verifyCrlSignature,
} from "../pki/mod.ts";
import type { Logger } from "../log/mod.ts";

/**
 * Options of {@link CrlCache}.
 *
 * @example
 * ```ts
 * import type { CrlCacheOptions } from "./crl_cache.ts";
 *
 * const options: CrlCacheOptions = { timeoutMs: 2000, refreshIntervalMs: 600_000 };
 * ```
 */
export interface CrlCacheOptions {
  /** CRLs from `crlfile`, always used. */
  fileCrls?: readonly Crl[];
  /** Fetch the CRLs of distribution points (default true). */
  fetchDistributionPoints?: boolean;
  /** Logs fetch failures and refreshes. */
  logger?: Logger;
  /** HTTP client (default `fetch`). */
  fetch?: typeof fetch;
  /** Longest a handshake waits for a first fetch, ms (default 3 s). */
  timeoutMs?: number;
  /** Longest a fetched CRL is used before a refresh, ms (default 1 h). */
  refreshIntervalMs?: number;
  /** Wait after a failed fetch before the next try, ms (default 60 s). */
  retryAfterMs?: number;
  /** Largest CRL accepted, bytes (default 10 MiB). */
  maxBytes?: number;
  /** Most distribution point URLs remembered (default 256). */
  maxUrls?: number;
  /** Clock in ms (default `Date.now`). */
  clock?: () => number;
}

interface Entry {
  crl: Crl | undefined;
  refreshAt: number;
  inflight: Promise<void> | undefined;
  used: number;
}

/**
 * File CRLs plus CRLs fetched from distribution points.
 *
 * @example A chain without distribution points gets the file CRLs
 * ```ts
 * import { CrlCache } from "./crl_cache.ts";
 * import { issueCertificate, parseCertificate } from "../pki/mod.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const leaf = parseCertificate(await issueCertificate({
 *   subject: { CN: "device-1" }, subjectKey: key, now: Date.now(), days: 1,
 * }));
 * const cache = new CrlCache({ fileCrls: [] });
 * assert.deepEqual(await cache.crlsFor([leaf]), []);
 * cache.close();
 * ```
 */
export class CrlCache {
  #fileCrls: readonly Crl[];
  readonly #fetchPoints: boolean;
  readonly #logger: Logger | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #maxBytes: number;
  readonly #maxUrls: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #aborts = new Set<AbortController>();
  #closed = false;

  /** @param options See {@link CrlCacheOptions}. */
  constructor(options: CrlCacheOptions = {}) {
    this.#fileCrls = options.fileCrls ?? [];
    this.#fetchPoints = options.fetchDistributionPoints ?? true;
    this.#logger = options.logger;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 3_000;
    this.#refreshMs = options.refreshIntervalMs ?? 3_600_000;
    this.#retryMs = options.retryAfterMs ?? 60_000;
    this.#maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.#maxUrls = options.maxUrls ?? 256;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Replaces the file CRLs (a reloaded `crlfile`).
   *
   * @param crls The new file CRLs.
   *
   * @example
   * ```ts
   * import { CrlCache } from "./crl_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const cache = new CrlCache();
   * cache.setFileCrls([]);
   * assert.deepEqual(cache.crls, []);
   * ```
   */
  setFileCrls(crls: readonly Crl[]): void {
    this.#fileCrls = crls;
  }

  /** The file CRLs and every CRL fetched so far, for synchronous engines. */
  get crls(): Crl[] {
    const out = [...this.#fileCrls];
    for (const e of this.#entries.values()) if (e.crl) out.push(e.crl);
    return out;
  }

  /**
   * Starts fetching (or refreshing) the distribution points `chain` names,
   * without waiting.
   *
   * @param chain Certificates, as a peer sent them.
   *
   * @example
   * ```ts
   * import { CrlCache } from "./crl_cache.ts";
   *
   * new CrlCache().learn([]);
   * ```
   */
  learn(chain: readonly Certificate[]): void {
    for (const url of this.#urlsOf(chain)) void this.#ensure(url);
  }

  /**
   * The CRLs to check `chain` with: the file CRLs and the CRLs of its
   * distribution points, fetching those not cached yet (each waited for at
   * most `timeoutMs`).
   *
   * @param chain Certificates, as a peer sent them (leaf first).
   * @returns The CRLs.
   */
  async crlsFor(chain: readonly Certificate[]): Promise<Crl[]> {
    const out = [...this.#fileCrls];
    const urls = this.#urlsOf(chain);
    if (urls.length === 0) return out;
    await Promise.all(urls.map((u) => this.#ensure(u)));
    for (const url of urls) {
      const crl = this.#entries.get(url)?.crl;
      if (crl !== undefined && !out.includes(crl)) out.push(crl);
    }
    return out;
  }

  /** Stops pending fetches; later calls fetch nothing. */
  close(): void {
    this.#closed = true;
    for (const a of this.#aborts) a.abort();
    this.#aborts.clear();
  }

  #urlsOf(chain: readonly Certificate[]): string[] {
    if (!this.#fetchPoints) return [];
    const urls: string[] = [];
    for (const cert of chain) {
      for (const url of cert.crlDistributionPoints) {
        if (/^https?:\/\//i.test(url) && !urls.includes(url)) urls.push(url);
      }
    }
    return urls;
  }

  /** Resolves once `url` has a usable answer or `timeoutMs` passed. */
  async #ensure(url: string): Promise<void> {
    const now = this.#clock();
    let entry = this.#entries.get(url);
    if (entry === undefined) {
      if (this.#closed) return;
      this.#evict();
      entry = { crl: undefined, refreshAt: now, inflight: undefined, used: 0 };
      this.#entries.set(url, entry);
    }
    entry.used = now;
    if (entry.inflight === undefined && now >= entry.refreshAt) {
      entry.inflight = this.#load(url, entry).finally(() => {
        entry.inflight = undefined;
      });
    }
    if (entry.crl !== undefined || entry.inflight === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      entry.inflight,
      new Promise<void>((r) => (timer = setTimeout(r, this.#timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  async #load(url: string, entry: Entry): Promise<void> {
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs * 4);
    try {
      const crl = await this.#download(url, abort.signal);
      entry.crl = crl;
      const interval = this.#clock() + this.#refreshMs;
      const next = crl.nextUpdate?.getTime() ?? Infinity;
      entry.refreshAt = Math.min(interval, Math.max(next, this.#clock()));
      this.#logger?.debug("crl.fetched", {
        url,
        issuer: crl.issuer.toString(),
        revoked: crl.revoked.length,
        nextUpdate: crl.nextUpdate?.toISOString() ?? null,
      });
    } catch (err) {
      entry.refreshAt = this.#clock() + this.#retryMs;
      if (!this.#closed) {
        this.#logger?.warn("crl.fetch_failed", {
          url,
          error: err instanceof Error ? err.message : String(err),
          cached: entry.crl !== undefined,
          retryInMs: this.#retryMs,
        });
      }
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
  }

  async #download(url: string, signal: AbortSignal): Promise<Crl> {
    const res = await this.#fetch(url, { signal, redirect: "follow" });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const bytes = await readCapped(res, this.#maxBytes);
    const text = new TextDecoder().decode(bytes.subarray(0, 64));
    if (text.includes("-----BEGIN")) {
      const [crl] = parseCrlPem(new TextDecoder().decode(bytes));
      if (crl === undefined) throw new Error("The response holds no CRL");
      return crl;
    }
    return parseCrl(bytes);
  }

  /** Forgets the least recently used URL when the table is full. */
  #evict(): void {
    if (this.#entries.size < this.#maxUrls) return;
    let oldest: string | undefined;
    let at = Infinity;
    for (const [url, e] of this.#entries) {
      if (e.inflight === undefined && e.used < at) {
        at = e.used;
        oldest = url;
      }
    }
    if (oldest !== undefined) this.#entries.delete(oldest);
  }
}

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`The CRL is larger than ${max} bytes`);
  }
  const reader = res.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`The CRL is larger than ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const crlSignatures = new WeakMap<Crl, Map<Certificate, boolean>>();

/**
 * The first certificate of a verified path (leaf first, anchor last) that
 * one of `crls`, signed by its issuer, lists; `undefined` when none does.
 *
 * @param path A verified chain, leaf first, each certificate followed by
 *   its issuer.
 * @param crls Revocation lists (only those signed by the right issuer count).
 * @returns The revoked certificate, if any.
 *
 * @example
 * ```ts
 * import { revokedCertificateIn } from "./crl_cache.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await revokedCertificateIn([], []), undefined);
 * ```
 */
export async function revokedCertificateIn(
  path: readonly Certificate[],
  crls: readonly Crl[],
): Promise<Certificate | undefined> {
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i] as Certificate;
    const issuer = path[i + 1] as Certificate;
    for (const crl of findCrlsFor(issuer, crls)) {
      if (!crl.isRevoked(cert.serial)) continue;
      let byIssuer = crlSignatures.get(crl);
      if (byIssuer === undefined) {
        byIssuer = new Map();
        crlSignatures.set(crl, byIssuer);
      }
      let ok = byIssuer.get(issuer);
      if (ok === undefined) {
        ok = await verifyCrlSignature(crl, issuer);
        byIssuer.set(issuer, ok);
      }
      if (ok) return cert;
    }
  }
  return undefined;
}

/**
 * A chain as a peer sent it (leaf first), completed with the trust anchor
 * that issued its last certificate when one of `anchors` did, so that a
 * CRL of the anchor (revoking an intermediate) can be checked against it.
 *
 * @param chain Leaf first.
 * @param anchors Trusted CAs.
 * @returns The chain, with the anchor appended when found.
 *
 * @example
 * ```ts
 * import { pathToAnchor } from "./crl_cache.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(pathToAnchor([], []), []);
 * ```
 */
export function pathToAnchor(
  chain: readonly Certificate[],
  anchors: readonly Certificate[],
): Certificate[] {
  const last = chain[chain.length - 1];
  if (last === undefined) return [];
  const issuer = last.issuer.toString();
  if (last.subject.toString() === issuer) return [...chain];
  const anchor = anchors.find((a) => a.subject.toString() === issuer);
  return anchor === undefined ? [...chain] : [...chain, anchor];
}

/**
 * The live connections of a listener that authenticated with a client
 * certificate, with their verified chains: {@link VerifiedConnections.endRevoked}
 * ends those a CRL revokes and logs each at warn level
 * (`tls.client_certificate_revoked`).
 *
 * @typeParam K What identifies a connection (a socket, a stream, a peer key).
 *
 * @example
 * ```ts
 * import { VerifiedConnections } from "./crl_cache.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const live = new VerifiedConnections<string>({
 *   listener: "ssl/default",
 *   logger: new Logger({ sink: () => {} }),
 *   end: () => {},
 * });
 * live.add("peer-1", [], "192.0.2.1:5000");
 * assert.equal(await live.endRevoked([]), 0);
 * live.delete("peer-1");
 * assert.equal(live.size, 0);
 * ```
 */
export class VerifiedConnections<K> {
  readonly #live = new Map<
    K,
    { path: readonly Certificate[]; remote: string }
  >();
  readonly #options: {
    listener: string;
    logger: Logger;
    end: (connection: K, path: readonly Certificate[]) => void;
  };

  /**
   * @param options The listener's name and logger (for the log line), and
   *   how to end a connection.
   */
  constructor(
    options: {
      listener: string;
      logger: Logger;
      end: (connection: K, path: readonly Certificate[]) => void;
    },
  ) {
    this.#options = options;
  }

  /** How many connections are remembered. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Remembers a connection's verified chain.
   *
   * @param connection The connection.
   * @param path Its verified chain, leaf first, best with its trust anchor
   *   last ({@link pathToAnchor}).
   * @param remote The client address, for the log.
   */
  add(connection: K, path: readonly Certificate[], remote: string): void {
    if (path.length > 0) this.#live.set(connection, { path, remote });
  }

  /**
   * Moves a connection's chain to a new key (a DTLS peer that moved).
   *
   * @param from The old key.
   * @param to The new key.
   */
  rekey(from: K, to: K): void {
    const entry = this.#live.get(from);
    if (entry === undefined) return;
    this.#live.delete(from);
    this.#live.set(to, entry);
  }

  /**
   * Forgets a connection (it ended).
   *
   * @param connection The connection.
   */
  delete(connection: K): void {
    this.#live.delete(connection);
  }

  /**
   * Ends the connections whose chain `crls` revoke (the remembered ones,
   * or only `connection`).
   *
   * @param crls Revocation lists.
   * @param connection Check this connection alone.
   * @returns How many were ended.
   */
  async endRevoked(crls: readonly Crl[], connection?: K): Promise<number> {
    if (crls.length === 0) return 0;
    const entries = connection === undefined
      ? [...this.#live]
      : [...this.#live].filter(([k]) => k === connection);
    let ended = 0;
    for (const [k, c] of entries) {
      const revoked = await revokedCertificateIn(c.path, crls);
      if (revoked === undefined || !this.#live.has(k)) continue;
      this.#live.delete(k);
      this.#options.logger.warn("tls.client_certificate_revoked", {
        listener: this.#options.listener,
        remote: c.remote,
        subject: revoked.subject.toString(),
        serial: revoked.serialHex,
        action: "connection closed",
      });
      this.#options.end(k, c.path);
      ended++;
    }
    return ended;
  }
}
