/**
 * `postern coap`: a CoAP client for testing devices and servers, over UDP
 * (`coap://`, port 5683) or DTLS (`coaps://`, port 5684) with a PSK or a
 * certificate, with Block-wise transfers (RFC 7959) and Observe (RFC 7641).
 *
 * The response body goes to standard output; the response code goes to
 * standard error unless it is 2.xx. Exit codes: 0 for a 2.xx response, 1
 * for any other response, a timeout or a failed handshake, 2 for a usage
 * error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { decodeHex } from "../src/bytes/mod.ts";
import { codeString, isSuccessCode, type Method } from "../src/coap/codes.ts";
import type { ClientRequest, ClientResponse } from "../src/coap/client.ts";
import { ContentFormat } from "../src/coap/content_format.ts";
import { sizeToSzx } from "../src/coap/block.ts";
import { CoapUdpClient } from "../src/net/coap_udp.ts";
import { CoapDtlsClient } from "../src/net/coap_dtls.ts";
import type { ClientHandshakeConfig } from "../src/tls/handshake/types.ts";
import { parseCertificatePem } from "../src/pki/x509/mod.ts";
import { loadPrivateKey } from "../src/pki/keys/mod.ts";
import { type CommandIo, resolveIo } from "./config_check.ts";

const USAGE = `Usage: postern coap <method> URI [options]

Methods: get, post, put, delete, observe (a GET with Observe 0).
URI: coap://host[:5683]/path?query or coaps://host[:5684]/path?query
(percent-encoded segments are decoded: /ps/sensors/%23 observes sensors/#).

Options:
  --payload TEXT              request body
  --payload-file FILE         request body from a file
  --content-format FMT        text, link, octet, json, cbor or a number
  --accept FMT                Accept option, same forms
  --block-size N              block size for Block1/Block2: 16..1024 (default 1024)
  --non                       send a NON request instead of CON
  --timeout MS                first retransmission timeout (default 2000)
  --psk-identity ID           coaps: PSK identity
  --psk-key HEX               coaps: PSK key, hex
  --cert FILE --key FILE      coaps: client certificate and its key (PEM)
  --ca FILE                   coaps: CA certificates that the server must chain to
  --insecure                  coaps: accept any server certificate
  --handshake-timeout MS      coaps: give up the handshake after MS (default 10000)
  --duration S                observe: stop after S seconds (default: run until killed)
  --count N                   observe: stop after N notifications
  -h, --help                  this text

Examples:
  postern coap get coap://127.0.0.1/.well-known/core
  postern coap post coaps://127.0.0.1/api/v1/telemetry --psk-identity device-7 --psk-key 73656372 --payload '{"t":21}'
  postern coap observe coaps://localhost/ps/sensors/%23 --cert device-1.pem --key device-1_key.pem --ca ca.pem --count 3`;

const METHODS: Record<string, Method> = {
  get: "GET",
  post: "POST",
  put: "PUT",
  delete: "DELETE",
  observe: "GET",
};

const FORMATS: Record<string, number> = {
  text: ContentFormat.TEXT_PLAIN,
  "text/plain": ContentFormat.TEXT_PLAIN,
  link: ContentFormat.LINK_FORMAT,
  "application/link-format": ContentFormat.LINK_FORMAT,
  octet: ContentFormat.OCTET_STREAM,
  "application/octet-stream": ContentFormat.OCTET_STREAM,
  json: ContentFormat.JSON,
  "application/json": ContentFormat.JSON,
  cbor: ContentFormat.CBOR,
  "application/cbor": ContentFormat.CBOR,
};

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A parsed `coap://` or `coaps://` URI (RFC 7252 §6).
 *
 * @example
 * ```ts
 * import type { CoapUri } from "./coap.ts";
 *
 * const uri: CoapUri = { secure: false, host: "127.0.0.1", port: 5683, path: "/ps/a", query: [] };
 * ```
 */
export interface CoapUri {
  /** `coaps`. */
  readonly secure: boolean;
  /** Host name or address (IPv6 without brackets). */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** Path with segments percent-decoded, joined with `/`. */
  readonly path: string;
  /** Query items, percent-decoded. */
  readonly query: readonly string[];
}

/**
 * Parses a CoAP URI; segments and query items are percent-decoded (RFC
 * 7252 §6.4), so `%23` becomes a `#` topic level.
 *
 * @param text The URI.
 * @returns Its parts.
 * @throws {TypeError} for another scheme or a malformed URI.
 *
 * @example
 * ```ts
 * import { parseCoapUri } from "./coap.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCoapUri("coaps://[::1]/ps/a/%23?qos=1"), { secure: true, host: "::1", port: 5684, path: "/ps/a/#", query: ["qos=1"] });
 * ```
 */
export function parseCoapUri(text: string): CoapUri {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Invalid URI ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "coap:" && url.protocol !== "coaps:") {
    throw new TypeError(
      `URI scheme must be coap or coaps, not ${url.protocol}`,
    );
  }
  const secure = url.protocol === "coaps:";
  if (url.hostname === "") throw new TypeError("URI has no host");
  const segments = url.pathname.replace(/^\//, "");
  const path = segments === ""
    ? ""
    : "/" + segments.split("/").map(percentDecode).join("/");
  const query = url.search === ""
    ? []
    : url.search.slice(1).split("&").map(percentDecode);
  return {
    secure,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? (secure ? 5684 : 5683) : Number(url.port),
    path,
    query,
  };
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError(`Invalid percent-encoding in ${JSON.stringify(text)}`);
  }
}

function format(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const known = FORMATS[value.toLowerCase()];
  if (known !== undefined) return known;
  if (/^\d{1,5}$/.test(value) && Number(value) <= 65535) return Number(value);
  throw new UsageError(`${option}: unknown content format ${value}`);
}

async function handshakeConfig(
  values: Record<string, string | boolean | undefined>,
  readTextFile: (path: string) => Promise<string>,
): Promise<ClientHandshakeConfig> {
  const identity = values["psk-identity"] as string | undefined;
  const key = values["psk-key"] as string | undefined;
  const cert = values["cert"] as string | undefined;
  const keyFile = values["key"] as string | undefined;
  const ca = values["ca"] as string | undefined;
  if ((identity === undefined) !== (key === undefined)) {
    throw new UsageError("--psk-identity and --psk-key go together");
  }
  if ((cert === undefined) !== (keyFile === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  let psk: ClientHandshakeConfig["psk"];
  if (identity !== undefined && key !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = decodeHex(key);
    } catch {
      throw new UsageError("--psk-key must be hex");
    }
    psk = { identity, key: bytes };
  }
  const certificate = cert !== undefined && keyFile !== undefined
    ? {
      chain: parseCertificatePem(await readTextFile(cert)),
      key: loadPrivateKey(await readTextFile(keyFile)),
    }
    : undefined;
  const trustAnchors = ca === undefined
    ? undefined
    : parseCertificatePem(await readTextFile(ca));
  if (psk === undefined && trustAnchors === undefined && !values.insecure) {
    throw new UsageError(
      "coaps needs --psk-identity/--psk-key, or --ca (or --insecure) to check the server",
    );
  }
  return {
    ...(psk ? { psk } : {}),
    ...(certificate ? { certificate } : {}),
    ...(trustAnchors ? { trustAnchors } : {}),
    ...(values.insecure ? { insecureSkipVerify: true } : {}),
  };
}

/**
 * Runs `postern coap`.
 *
 * @param args The arguments after `coap`.
 * @param io Output and file reading (default: the real process).
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { coapCommand } from "./coap.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * assert.equal(await coapCommand(["--help"], { stdout: (t) => out.push(t) }), 0);
 * assert.match(out[0]!, /Usage: postern coap/);
 * assert.equal(await coapCommand(["get", "http://x/"], { stderr: () => {} }), 2);
 * ```
 */
export async function coapCommand(
  args: string[],
  io: CommandIo = {},
): Promise<number> {
  const { stdout, stderr, readTextFile, readFile } = resolveIo(io);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        payload: { type: "string" },
        "payload-file": { type: "string" },
        "content-format": { type: "string" },
        accept: { type: "string" },
        "block-size": { type: "string" },
        non: { type: "boolean" },
        timeout: { type: "string" },
        "psk-identity": { type: "string" },
        "psk-key": { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        ca: { type: "string" },
        insecure: { type: "boolean" },
        "handshake-timeout": { type: "string" },
        duration: { type: "string" },
        count: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    stderr(`postern coap: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === "help") {
    stdout(USAGE);
    return 0;
  }
  try {
    const [verb, uriText, ...extra] = positionals;
    const method = verb === undefined ? undefined : METHODS[verb];
    if (method === undefined) {
      throw new UsageError(
        `expected get, post, put, delete or observe, not ${verb ?? "nothing"}`,
      );
    }
    if (uriText === undefined || extra.length > 0) {
      throw new UsageError("give exactly one URI");
    }
    let uri: CoapUri;
    try {
      uri = parseCoapUri(uriText);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (values.payload !== undefined && values["payload-file"] !== undefined) {
      throw new UsageError("--payload and --payload-file exclude each other");
    }
    const payload = values["payload-file"] !== undefined
      ? await readFile(values["payload-file"])
      : values.payload;
    const blockSize = values["block-size"] === undefined
      ? undefined
      : Number(values["block-size"]);
    if (blockSize !== undefined) {
      try {
        sizeToSzx(blockSize);
      } catch {
        throw new UsageError("--block-size must be 16, 32, ... 1024");
      }
    }
    const count = values.count === undefined ? undefined : Number(values.count);
    const duration = values.duration === undefined
      ? undefined
      : Number(values.duration);
    const ackTimeout = values.timeout === undefined
      ? undefined
      : Number(values.timeout);
    const handshakeTimeoutMs = Number(values["handshake-timeout"] ?? 10_000);
    const numbers = [
      ["--count", count],
      ["--duration", duration],
      ["--timeout", ackTimeout],
      ["--handshake-timeout", handshakeTimeoutMs],
    ] as const;
    for (const [name, v] of numbers) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new UsageError(`${name} must be a positive number`);
      }
    }
    const contentFormat = format(values["content-format"], "--content-format");
    const accept = format(values.accept, "--accept");
    const request: ClientRequest = {
      method,
      path: uri.path,
      query: uri.query,
      ...(payload === undefined ? {} : { payload }),
      ...(contentFormat === undefined ? {} : { contentFormat }),
      ...(accept === undefined ? {} : { accept }),
      ...(blockSize === undefined ? {} : { blockSize }),
      ...(values.non ? { confirmable: false } : {}),
      ...(verb === "observe" ? { observe: true } : {}),
    };
    const transmission = ackTimeout === undefined ? undefined : { ackTimeout };
    const handshake = uri.secure
      ? await handshakeConfig(values, readTextFile)
      : undefined;
    return await exchange(uri, request, {
      handshake,
      handshakeTimeoutMs,
      transmission,
      observe: verb === "observe",
      count,
      durationMs: duration === undefined ? undefined : duration * 1000,
      stdout,
      stderr,
    });
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(`postern coap: ${e.message}; see postern coap --help`);
      return 2;
    }
    stderr(`postern coap: ${(e as Error).message}`);
    return 1;
  }
}

interface ExchangeOptions {
  readonly handshake: ClientHandshakeConfig | undefined;
  readonly handshakeTimeoutMs: number;
  readonly transmission: { ackTimeout: number } | undefined;
  readonly observe: boolean;
  readonly count: number | undefined;
  readonly durationMs: number | undefined;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const TEXT = new TextDecoder();

async function exchange(
  uri: CoapUri,
  request: ClientRequest,
  o: ExchangeOptions,
): Promise<number> {
  type Sender = {
    request(
      r: ClientRequest,
      onNote?: (r: ClientResponse) => void,
    ): Promise<ClientResponse & { id: number }>;
    cancelObserve(id: number): void;
    close(): Promise<void>;
  };
  let client: Sender;
  if (o.handshake !== undefined) {
    client = await CoapDtlsClient.connect({
      hostname: uri.host,
      port: uri.port,
      client: o.handshake,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      ...(o.transmission ? { transmission: o.transmission } : {}),
    });
  } else {
    const udp = new CoapUdpClient({
      hostname: uri.host.includes(":") ? "::" : "0.0.0.0",
      ...(o.transmission ? { transmission: o.transmission } : {}),
    });
    const peer = uri.host.includes(":")
      ? `[${uri.host}]:${uri.port}`
      : `${uri.host}:${uri.port}`;
    client = {
      request: (r, n) => udp.request(peer, r, n),
      cancelObserve: (id) => udp.cancelObserve(id),
      close: () => udp.close(),
    };
  }
  const print = (r: ClientResponse) => {
    if (!isSuccessCode(r.code)) o.stderr(codeString(r.code));
    if (r.payload.length > 0) o.stdout(TEXT.decode(r.payload));
  };
  try {
    const done = Promise.withResolvers<void>();
    let notes = 0;
    const first = await client.request(request, (n) => {
      print(n);
      notes++;
      if (!isSuccessCode(n.code) || n.observe === undefined) done.resolve();
      if (o.count !== undefined && notes >= o.count) done.resolve();
    });
    print(first);
    if (!isSuccessCode(first.code)) return 1;
    if (!o.observe || first.observe === undefined) return 0;
    if (o.count !== undefined && o.count <= 0) return 0;
    const timer = o.durationMs === undefined
      ? undefined
      : setTimeout(() => done.resolve(), o.durationMs);
    await done.promise;
    if (timer !== undefined) clearTimeout(timer);
    client.cancelObserve(first.id);
    await new Promise((r) => setTimeout(r, 50));
    return 0;
  } finally {
    await client.close();
  }
}
