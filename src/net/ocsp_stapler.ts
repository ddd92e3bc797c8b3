/**
 * OCSP stapling for a secure listener (EMQX `ssl_options.ocsp`): fetches
 * the OCSP response for the server certificate from the configured
 * responder (RFC 6960 Appendix A.1, HTTP POST of `application/ocsp-request`),
 * verifies it against the issuer from `issuer_pem`, keeps the last good one
 * and hands it to handshakes (RFC 6066 §8 CertificateStatus) through
 * {@link OcspStapler.staple}.
 *
 * Handshakes never wait for the responder: `staple()` is synchronous and
 * returns the cached response, or nothing when there is none yet or the
 * last one is past its nextUpdate. A failing or slow responder costs one
 * log line per attempt; every request is bounded by `refresh_http_timeout`.
 * Only `good` responses are stapled (as nginx does): a `revoked` or
 * `unknown` answer is logged and the previous good response, if still
 * fresh, stays in use.
 *
 * Refresh: every `refresh_interval`, and earlier when the response's
 * nextUpdate comes sooner (half the remaining time, at least one second);
 * after a failure, again after the shorter of `refresh_interval` and 30 s.
 *
 * @module
 */

import type {
  ListenerConfig,
  OcspOptions,
  TlsCredentials,
} from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Listener } from "../server.ts";
import type { ServerHandshakeConfig } from "../tls/handshake/types.ts";
import {
  certIdFor,
  type Certificate,
  decodeOcspResponse,
  encodeOcspRequest,
  type VerifiedOcspStatus,
  verifyOcspResponse,
} from "../pki/mod.ts";
import { randomBytes } from "../crypto/mod.ts";

/**
 * Why an OCSP fetch failed, for logs: the HTTP exchange, not the response.
 *
 * @example
 * ```ts
 * import { OcspFetchError } from "./ocsp_stapler.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new OcspFetchError("timeout", "OCSP responder timed out").code, "timeout");
 * ```
 */
export class OcspFetchError extends Error {
  /** `timeout`, `http_status`, `content_type` or `network`. */
  readonly code: "timeout" | "http_status" | "content_type" | "network";

  /**
   * @param code What went wrong.
   * @param message Sentence-case description.
   * @param options Standard error options (`cause`).
   */
  constructor(
    code: OcspFetchError["code"],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "OcspFetchError";
    this.code = code;
  }
}

/** Largest response body read from a responder. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one DER OCSPRequest to `url` (RFC 6960 Appendix A.1) and returns the
 * DER response body, within `timeoutMs`.
 *
 * @throws {OcspFetchError} on a timeout, a network error, a non-200 status,
 *   a content type other than `application/ocsp-response` or a body over
 *   64 KiB.
 *
 * @example An unreachable responder fails with a typed error
 * ```ts
 * import { fetchOcspResponse, OcspFetchError } from "./ocsp_stapler.ts";
 * import assert from "node:assert/strict";
 *
 * const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = server.addr.port;
 * server.close();
 * await assert.rejects(
 *   fetchOcspResponse(`http://127.0.0.1:${port}/`, new Uint8Array([0x30, 0]), { timeoutMs: 2000 }),
 *   OcspFetchError,
 * );
 * ```
 */
export async function fetchOcspResponse(
  url: string,
  request: Uint8Array,
  options: { readonly timeoutMs: number },
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: request.slice(),
      signal,
    });
  } catch (err) {
    throw signal.aborted
      ? new OcspFetchError(
        "timeout",
        `OCSP responder ${url} did not answer within ${options.timeoutMs} ms`,
        { cause: err },
      )
      : new OcspFetchError(
        "network",
        `Cannot reach OCSP responder ${url}: ${(err as Error).message}`,
        { cause: err },
      );
  }
  try {
    if (res.status !== 200) {
      throw new OcspFetchError(
        "http_status",
        `OCSP responder ${url} answered HTTP ${res.status}`,
      );
    }
    const type = res.headers.get("content-type")?.split(";")[0]?.trim();
    if (type !== "application/ocsp-response") {
      throw new OcspFetchError(
        "content_type",
        `OCSP responder ${url} answered ${type ?? "no content type"}`,
      );
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.length > MAX_RESPONSE_BYTES) {
      throw new OcspFetchError(
        "http_status",
        `OCSP response of ${body.length} bytes is too large`,
      );
    }
    return body;
  } catch (err) {
    if (err instanceof OcspFetchError) throw err;
    throw signal.aborted
      ? new OcspFetchError(
        "timeout",
        `OCSP responder ${url} did not finish within ${options.timeoutMs} ms`,
        { cause: err },
      )
      : new OcspFetchError(
        "network",
        `Cannot read the OCSP response from ${url}: ${(err as Error).message}`,
        { cause: err },
      );
  } finally {
    if (!res.bodyUsed) await res.body?.cancel().catch(() => {});
  }
}

/**
 * Options of {@link OcspStapler}.
 *
 * @example
 * ```ts
 * import type { OcspStaplerOptions } from "./ocsp_stapler.ts";
 *
 * const none: OcspStaplerOptions[] = [];
 * ```
 */
export interface OcspStaplerOptions {
  /** The server certificate the responses are about. */
  readonly certificate: Certificate;
  /** Its issuer (`issuer_pem`). */
  readonly issuer: Certificate;
  /** `responder_url`, `refresh_interval`, `refresh_http_timeout`. */
  readonly ocsp:
    & Pick<
      OcspOptions,
      "refreshIntervalMs" | "refreshHttpTimeoutMs"
    >
    & { readonly responderUrl: string };
  /** Where the refresh lines go. */
  readonly logger: Logger;
  /** Clock (tests); default `Date.now`. */
  readonly now?: () => number;
}

/** The response the stapler holds. */
interface Held {
  readonly der: Uint8Array;
  readonly status: VerifiedOcspStatus;
}

const RETRY_CAP_MS = 30_000;
const MIN_REFRESH_MS = 1_000;

/**
 * Keeps a fresh, verified OCSP response for one server certificate.
 *
 * @example A stapler whose responder is down staples nothing and never throws
 * ```ts
 * import { OcspStapler } from "./ocsp_stapler.ts";
 * import { Logger } from "../log/mod.ts";
 * import { generateEcKeyPair } from "../crypto/mod.ts";
 * import { issueCertificate, parseCertificate } from "../pki/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await generateEcKeyPair("P-256");
 * const ca = parseCertificate(await issueCertificate({ subject: { CN: "ca" }, subjectKey: key, now: Date.now(), days: 1, ca: true }));
 * const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * server.close();
 * const lines: string[] = [];
 * const stapler = new OcspStapler({
 *   certificate: ca, issuer: ca,
 *   ocsp: { responderUrl: url, refreshIntervalMs: 60_000, refreshHttpTimeoutMs: 2_000 },
 *   logger: new Logger({ sink: (l) => lines.push(l) }),
 * });
 * await stapler.start();
 * assert.equal(stapler.staple(), undefined);
 * assert.ok(lines.some((l) => l.includes("ocsp.refresh_failed")));
 * stapler.close();
 * ```
 */
export class OcspStapler {
  readonly #options: OcspStaplerOptions;
  readonly #now: () => number;
  #held: Held | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<boolean> | undefined;
  #closed = false;
  #expiredLogged = false;

  /** @param options Certificate, issuer, responder settings and logger. */
  constructor(options: OcspStaplerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Fetches the first response and schedules the refreshes. Resolves once
   * the first attempt ended, successful or not; never rejects.
   */
  async start(): Promise<void> {
    await this.refresh();
  }

  /**
   * The OCSPResponse DER to staple now, or `undefined` when there is no
   * verified good response that is still before its nextUpdate.
   */
  staple(): Uint8Array | undefined {
    const held = this.#held;
    if (held === undefined) return undefined;
    const next = held.status.nextUpdate?.getTime();
    if (next !== undefined && this.#now() > next) {
      if (!this.#expiredLogged) {
        this.#expiredLogged = true;
        this.#options.logger.warn("ocsp.staple_expired", {
          responder: this.#options.ocsp.responderUrl,
          nextUpdate: held.status.nextUpdate!.toISOString(),
        });
      }
      return undefined;
    }
    return held.der;
  }

  /** The verified status of the held response, if any. */
  get status(): VerifiedOcspStatus | undefined {
    return this.#held?.status;
  }

  /**
   * Fetches and verifies a response now (joining one already under way)
   * and re-arms the refresh timer.
   *
   * @returns Whether a good response was obtained.
   */
  refresh(): Promise<boolean> {
    this.#inFlight ??= this.#refresh().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Stops refreshing; the held response stays readable. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(): Promise<boolean> {
    const { certificate, issuer, ocsp, logger } = this.#options;
    const fields = {
      responder: ocsp.responderUrl,
      serial: certificate.serialHex,
    };
    let ok = false;
    try {
      const nonce = randomBytes(16);
      const request = encodeOcspRequest([certIdFor(certificate, issuer)], {
        nonce,
      });
      const der = await fetchOcspResponse(ocsp.responderUrl, request, {
        timeoutMs: ocsp.refreshHttpTimeoutMs,
      });
      const response = decodeOcspResponse(der);
      // RFC 8954 §2.1: responders may leave the nonce out (pre-produced
      // responses); it is checked only when echoed
      const echoed = response.basic?.nonce !== undefined;
      const status = await verifyOcspResponse(response, {
        certificate,
        issuer,
        now: this.#now(),
        ...(echoed ? { nonce } : {}),
      });
      if (status.status.kind === "good") {
        this.#held = { der: response.der, status };
        this.#expiredLogged = false;
        ok = true;
        logger.info("ocsp.refreshed", {
          ...fields,
          thisUpdate: status.thisUpdate.toISOString(),
          nextUpdate: status.nextUpdate?.toISOString(),
          signer: status.signer,
        });
      } else {
        logger.error("ocsp.not_good", {
          ...fields,
          status: status.status.kind,
          ...(status.status.kind === "revoked"
            ? {
              revocationTime: status.status.revocationTime.toISOString(),
              reason: status.status.reason,
            }
            : {}),
          stapling: this.staple() !== undefined ? "previous" : "none",
        });
      }
    } catch (err) {
      logger.warn("ocsp.refresh_failed", {
        ...fields,
        error: err instanceof Error ? err.message : String(err),
        code: (err as { code?: unknown }).code,
        stapling: this.staple() !== undefined ? "previous" : "none",
      });
    }
    this.#schedule(ok);
    return ok;
  }

  #schedule(ok: boolean): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const interval = this.#options.ocsp.refreshIntervalMs;
    let delay = ok ? interval : Math.min(interval, RETRY_CAP_MS);
    const next = this.#held?.status.nextUpdate?.getTime();
    const now = this.#now();
    if (next !== undefined && next > now) {
      const half = Math.floor((next - now) / 2);
      delay = Math.min(delay, Math.max(MIN_REFRESH_MS, half));
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, delay);
  }
}

/**
 * The stapler of a secure listener with `ssl_options.ocsp.enable_ocsp_stapling`,
 * started in the background (handshakes staple nothing until the first
 * response arrives); `undefined` when stapling is off. The configuration
 * check guarantees `responder_url` and `issuer_pem` (and
 * `loadTlsCredentials` that the issuer matches the certificate).
 *
 * @param cfg The listener.
 * @param credentials Its loaded credentials (server certificate, OCSP issuer).
 * @param logger Where the refresh lines go.
 * @throws {TypeError} if stapling is on without a certificate, issuer or
 *   responder URL.
 *
 * @example
 * ```ts
 * import { listenerStapler } from "./ocsp_stapler.ts";
 * import { defaultListener } from "../config/mod.ts";
 * import { Logger } from "../log/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const cfg = defaultListener("ssl", "default");
 * const creds = { chain: [], chainPem: "", keyPem: "", trustAnchors: [], crls: [] };
 * assert.equal(listenerStapler(cfg, creds as never, new Logger()), undefined);
 * ```
 */
export function listenerStapler(
  cfg: ListenerConfig,
  credentials: TlsCredentials,
  logger: Logger,
): OcspStapler | undefined {
  const ocsp = cfg.tls?.ocsp;
  if (ocsp === undefined || !ocsp.enableOcspStapling) return undefined;
  const certificate = credentials.chain[0];
  const issuer = credentials.ocspIssuer;
  const responderUrl = ocsp.responderUrl;
  if (
    certificate === undefined || issuer === undefined ||
    responderUrl === undefined
  ) {
    throw new TypeError(
      `Cannot staple OCSP on ${cfg.family}/${cfg.name}: a server certificate, issuer_pem and responder_url are needed`,
    );
  }
  const stapler = new OcspStapler({
    certificate,
    issuer,
    ocsp: { ...ocsp, responderUrl },
    logger,
  });
  void stapler.start();
  return stapler;
}

/**
 * Puts `stapler`'s responses into `handshake` (`ocspStaple`) and returns the
 * listener `start` builds with it, closing the stapler with the listener.
 * Without a stapler, `start` gets `handshake` unchanged.
 *
 * @param handshake The listener's handshake configuration.
 * @param stapler From {@link listenerStapler}, or undefined.
 * @param start Builds the listener from the final configuration.
 * @returns The listener.
 *
 * @example
 * ```ts
 * import { withStapler } from "./ocsp_stapler.ts";
 * import assert from "node:assert/strict";
 *
 * let closed = 0;
 * const listener = withStapler({}, undefined, (handshake) => {
 *   assert.equal(handshake.ocspStaple, undefined);
 *   return { family: "ssl", name: "default", address: { host: "::", port: 1 }, close: async () => { closed++; } };
 * });
 * await listener.close();
 * assert.equal(closed, 1);
 * ```
 */
export function withStapler(
  handshake: ServerHandshakeConfig,
  stapler: OcspStapler | undefined,
  start: (handshake: ServerHandshakeConfig) => Listener,
): Listener {
  if (stapler === undefined) return start(handshake);
  // copied with its property descriptors: getters (credentials that follow
  // their files) stay getters
  const stapled: ServerHandshakeConfig = Object.defineProperties(
    {},
    {
      ...Object.getOwnPropertyDescriptors(handshake),
      ocspStaple: { enumerable: true, value: () => stapler.staple() },
    },
  );
  const listener = start(stapled);
  return {
    family: listener.family,
    name: listener.name,
    address: listener.address,
    async close() {
      stapler.close();
      await listener.close();
    },
  };
}
