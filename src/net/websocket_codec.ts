/**
 * The WebSocket protocol (RFC 6455) on the server side, sans-IO: the
 * HTTP/1.1 Upgrade request parser, the handshake answer
 * (`Sec-WebSocket-Accept`, subprotocol), and the frame codec. Bytes go in,
 * requests, messages and bytes to send come out; sockets are the adapter's
 * (`websocket_server.ts`).
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 * ```
 *
 * Errors are {@link WebSocketError}s that carry the wire answer: an HTTP
 * status while handshaking, a close code afterwards.
 *
 * @module
 */

import { digest } from "../crypto/hash.ts";

/** The GUID of RFC 6455 §1.3, appended to the client's key. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Close codes of RFC 6455 §7.4.1 used here. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/**
 * A WebSocket protocol failure: `status` while handshaking (the HTTP answer),
 * `closeCode` on an open connection (RFC 6455 §7.4.1).
 *
 * @example
 * ```ts
 * import { WebSocketError } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new WebSocketError("Cannot accept an unmasked client frame", { closeCode: 1002 });
 * assert.equal(err.closeCode, 1002);
 * ```
 */
export class WebSocketError extends Error {
  /** HTTP status to answer a failed handshake with. */
  readonly status: number | undefined;
  /** Close code to end an open connection with. */
  readonly closeCode: number | undefined;

  /**
   * @param message What failed.
   * @param code `status` (handshake) or `closeCode` (frames).
   */
  constructor(
    message: string,
    code: { status?: number; closeCode?: number },
  ) {
    super(message);
    this.name = "WebSocketError";
    this.status = code.status;
    this.closeCode = code.closeCode;
  }
}

/** An HTTP/1.1 request head. */
export interface HttpRequestHead {
  /** Method, e.g. `GET`. */
  readonly method: string;
  /** Request target, e.g. `/mqtt?x=1`. */
  readonly target: string;
  /** Header fields by lower-case name; repeated fields joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
}

const CRLFCRLF = [13, 10, 13, 10];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Collects an HTTP/1.1 request head from a byte stream (RFC 9112 §2-§5).
 *
 * @example
 * ```ts
 * import { HttpRequestDecoder } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const d = new HttpRequestDecoder();
 * assert.equal(d.feed(new TextEncoder().encode("GET /mqtt HTTP/1.1\r\nHost: a\r\n")), undefined);
 * const got = d.feed(new TextEncoder().encode("\r\nX"));
 * assert.equal(got?.head.target, "/mqtt");
 * assert.equal(got?.head.headers.get("host"), "a");
 * assert.deepEqual([...got!.rest], [0x58]);
 * ```
 */
export class HttpRequestDecoder {
  readonly #max: number;
  #buf = new Uint8Array(0);

  /** @param maxHeadBytes Largest request head accepted (default 8 KiB). */
  constructor(maxHeadBytes = 8192) {
    this.#max = maxHeadBytes;
  }

  /**
   * Adds bytes; returns the head and the bytes after it once complete.
   *
   * @throws {WebSocketError} 400 for a malformed head, 431 when too large.
   */
  feed(
    bytes: Uint8Array,
  ): { head: HttpRequestHead; rest: Uint8Array } | undefined {
    const start = Math.max(0, this.#buf.length - 3);
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    this.#buf = joined;
    const end = indexOf(joined, CRLFCRLF, start);
    if (end < 0) {
      if (joined.length > this.#max) {
        throw new WebSocketError("Request head too large", { status: 431 });
      }
      return undefined;
    }
    if (end + 4 > this.#max) {
      throw new WebSocketError("Request head too large", { status: 431 });
    }
    const head = parseHead(joined.subarray(0, end));
    const rest = joined.slice(end + 4);
    this.#buf = new Uint8Array(0);
    return { head, rest };
  }
}

function indexOf(hay: Uint8Array, needle: number[], from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function parseHead(bytes: Uint8Array): HttpRequestHead {
  for (const b of bytes) {
    if (b === 0 || b > 0x7e && b < 0xa0) {
      throw new WebSocketError("Request head has control bytes", {
        status: 400,
      });
    }
  }
  const text = new TextDecoder("latin1").decode(bytes);
  const lines = text.split("\r\n");
  const parts = (lines[0] ?? "").split(" ");
  if (parts.length !== 3) {
    throw new WebSocketError("Malformed request line", { status: 400 });
  }
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method) || target.length === 0) {
    throw new WebSocketError("Malformed request line", { status: 400 });
  }
  if (version !== "HTTP/1.1") {
    throw new WebSocketError(`Cannot upgrade ${version}, only HTTP/1.1`, {
      status: 505,
    });
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) {
      throw new WebSocketError("Malformed header field", { status: 400 });
    }
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(key);
    headers.set(key, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { method, target, headers };
}

/** The accepted upgrade of {@link checkUpgrade}. */
export interface UpgradeAccept {
  /** The `Sec-WebSocket-Accept` value. */
  readonly accept: string;
  /** The chosen subprotocol, if the client offered one we serve. */
  readonly protocol: string | undefined;
  /** The request path (no query). */
  readonly path: string;
}

/**
 * Checks a request head is a WebSocket opening handshake (RFC 6455 §4.2.1)
 * for `path` and picks the first of `subprotocols` the client offers.
 *
 * @throws {WebSocketError} 404 off `path`, 405 for a method other than GET,
 *   400 without a valid upgrade or key, 426 for a version other than 13.
 *
 * @example RFC 6455 §1.3 sample key
 * ```ts
 * import { checkUpgrade } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Map([
 *   ["host", "server.example.com"], ["upgrade", "websocket"], ["connection", "Upgrade"],
 *   ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["sec-websocket-version", "13"],
 *   ["sec-websocket-protocol", "chat, mqtt"],
 * ]);
 * const ok = checkUpgrade({ method: "GET", target: "/mqtt", headers }, { path: "/mqtt", subprotocols: ["mqtt"] });
 * assert.equal(ok.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * assert.equal(ok.protocol, "mqtt");
 * ```
 */
export function checkUpgrade(
  head: HttpRequestHead,
  options: { path: string; subprotocols: readonly string[] },
): UpgradeAccept {
  const q = head.target.indexOf("?");
  const path = q < 0 ? head.target : head.target.slice(0, q);
  if (path !== options.path) {
    throw new WebSocketError(`Nothing at ${path}`, { status: 404 });
  }
  if (head.method !== "GET") {
    throw new WebSocketError(`Cannot upgrade a ${head.method} request`, {
      status: 405,
    });
  }
  const h = head.headers;
  const tokens = (name: string) =>
    (h.get(name) ?? "").split(",").map((t) => t.trim().toLowerCase());
  if (!h.has("host")) {
    throw new WebSocketError("Request has no Host", { status: 400 });
  }
  if (!tokens("upgrade").includes("websocket")) {
    throw new WebSocketError("Expected a WebSocket upgrade", { status: 400 });
  }
  if (!tokens("connection").includes("upgrade")) {
    throw new WebSocketError("Expected Connection: Upgrade", { status: 400 });
  }
  if (h.get("sec-websocket-version") !== "13") {
    throw new WebSocketError("Only WebSocket version 13 is served", {
      status: 426,
    });
  }
  const key = h.get("sec-websocket-key") ?? "";
  if (decodedLength(key) !== 16) {
    throw new WebSocketError("Sec-WebSocket-Key is not 16 bytes in base64", {
      status: 400,
    });
  }
  const offered = (h.get("sec-websocket-protocol") ?? "").split(",")
    .map((p) => p.trim()).filter((p) => p.length > 0);
  return {
    accept: acceptKey(key),
    protocol: options.subprotocols.find((p) => offered.includes(p)),
    path,
  };
}

function decodedLength(b64: string): number {
  try {
    return atob(b64).length;
  } catch {
    return -1;
  }
}

/**
 * `Sec-WebSocket-Accept` for a client key: base64(SHA-1(key + GUID)).
 *
 * @example
 * ```ts
 * import { acceptKey } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function acceptKey(key: string): string {
  const hash = digest("SHA-1", new TextEncoder().encode(key + GUID));
  return btoa(String.fromCharCode(...hash));
}

/**
 * The `101 Switching Protocols` answer.
 *
 * @example
 * ```ts
 * import { upgradeResponse } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextDecoder().decode(upgradeResponse({ accept: "x", protocol: "mqtt", path: "/" }));
 * assert.ok(text.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
 * assert.ok(text.includes("Sec-WebSocket-Protocol: mqtt\r\n"));
 * ```
 */
export function upgradeResponse(ok: UpgradeAccept): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${ok.accept}\r\n` +
      (ok.protocol === undefined
        ? ""
        : `Sec-WebSocket-Protocol: ${ok.protocol}\r\n`) +
      "\r\n",
  );
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/**
 * A short HTTP error answer that closes the connection.
 *
 * @example
 * ```ts
 * import { errorResponse } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextDecoder().decode(errorResponse(404, "Nothing at /x"));
 * assert.ok(text.startsWith("HTTP/1.1 404 Not Found\r\n"));
 * ```
 */
export function errorResponse(status: number, message: string): Uint8Array {
  const body = new TextEncoder().encode(`${message}\n`);
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${body.length}\r\n` +
    (status === 426 ? "Sec-WebSocket-Version: 13\r\n" : "") +
    "Connection: close\r\n\r\n";
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

/** Frame opcodes (RFC 6455 §5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** What {@link WebSocketFrameDecoder} yields. */
export type WebSocketEvent =
  | {
    readonly kind: "message";
    readonly text: boolean;
    readonly data: Uint8Array;
  }
  | { readonly kind: "ping"; readonly data: Uint8Array }
  | { readonly kind: "pong"; readonly data: Uint8Array }
  | { readonly kind: "close"; readonly code: number; readonly reason: string }
  | { readonly kind: "error"; readonly error: WebSocketError };

/**
 * Decodes client frames (masked, RFC 6455 §5.3) into messages: reassembles
 * fragments (§5.4), passes control frames through between fragments, and
 * bounds the message size.
 *
 * @example A masked binary frame split over two reads
 * ```ts
 * import { WebSocketFrameDecoder, encodeClientFrame } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeClientFrame(0x2, new Uint8Array([1, 2, 3]), new Uint8Array([9, 8, 7, 6]));
 * const d = new WebSocketFrameDecoder();
 * assert.deepEqual(d.feed(frame.subarray(0, 4)), []);
 * const [m] = d.feed(frame.subarray(4));
 * assert.ok(m?.kind === "message" && !m.text);
 * assert.deepEqual([...m.data], [1, 2, 3]);
 * ```
 */
export class WebSocketFrameDecoder {
  readonly #maxMessage: number;
  /** Bytes of an incomplete frame, kept as received until it is whole. */
  #held: Uint8Array[] = [];
  #heldLength = 0;
  /** Bytes the incomplete frame needs in all (a lower bound). */
  #need = 0;
  #parts: Uint8Array[] = [];
  #partsLength = 0;
  #fragmentedText: boolean | undefined;
  #closed = false;

  /**
   * @param maxMessageBytes Largest message (all fragments together) accepted
   *   (default 1 MiB, MQTT's default maximum packet size).
   */
  constructor(maxMessageBytes = 1 << 20) {
    this.#maxMessage = maxMessageBytes;
  }

  /**
   * Adds bytes and returns the events they complete. A protocol violation
   * is the last event (`error`, a {@link WebSocketError} with the close code
   * to answer with), after the messages that preceded it. After a close
   * frame or an error, further bytes are ignored.
   */
  feed(bytes: Uint8Array): WebSocketEvent[] {
    if (this.#closed || bytes.length === 0) return [];
    let buf: Uint8Array;
    if (this.#heldLength === 0) buf = bytes;
    else {
      this.#held.push(bytes.slice());
      this.#heldLength += bytes.length;
      if (this.#heldLength < this.#need) return [];
      buf = concat(this.#held, this.#heldLength);
      this.#held = [];
      this.#heldLength = 0;
    }
    const events: WebSocketEvent[] = [];
    let at = 0;
    try {
      while (!this.#closed) {
        const used = this.#frame(buf, at, events);
        if (used === 0) break;
        at += used;
      }
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      this.#closed = true;
      this.#parts = [];
      events.push({ kind: "error", error: err });
      return events;
    }
    if (at < buf.length && !this.#closed) {
      this.#held = [buf.slice(at)];
      this.#heldLength = buf.length - at;
    }
    return events;
  }

  /**
   * Parses one frame at `at`; returns the bytes used (0: incomplete, with
   * `#need` set to what the frame needs).
   */
  #frame(buf: Uint8Array, at: number, events: WebSocketEvent[]): number {
    this.#need = 2;
    if (buf.length - at < 2) return 0;
    const b0 = buf[at] as number;
    const b1 = buf[at + 1] as number;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) {
      throw protocolError("Cannot accept RSV bits without an extension"); // §5.2
    }
    if ((b1 & 0x80) === 0) {
      throw protocolError("Cannot accept an unmasked client frame"); // §5.1
    }
    const control = (opcode & 0x08) !== 0;
    if (control && opcode !== 0x8 && opcode !== 0x9 && opcode !== 0xa) {
      throw protocolError(`Unknown opcode ${opcode}`);
    }
    if (!control && opcode > 0x2) {
      throw protocolError(`Unknown opcode ${opcode}`);
    }
    let len = b1 & 0x7f;
    let off = at + 2;
    if (control && (len > 125 || !fin)) {
      throw protocolError("Control frames must be short and unfragmented"); // §5.5
    }
    if (len === 126) {
      this.#need = off - at + 2;
      if (buf.length - off < 2) return 0;
      len = ((buf[off] as number) << 8) | (buf[off + 1] as number);
      off += 2;
    } else if (len === 127) {
      this.#need = off - at + 8;
      if (buf.length - off < 8) return 0;
      const view = new DataView(buf.buffer, buf.byteOffset + off, 8);
      const big = view.getBigUint64(0);
      if (big > BigInt(this.#maxMessage)) throw tooBig();
      len = Number(big);
      off += 8;
    }
    if (!control && this.#partsLength + len > this.#maxMessage) throw tooBig();
    if (buf.length - off < 4 + len) {
      this.#need = off - at + 4 + len;
      return 0;
    }
    const mask = buf.slice(off, off + 4);
    off += 4;
    const payload = buf.slice(off, off + len);
    unmask(payload, mask);
    const used = off + len - at;
    if (control) {
      events.push(this.#control(opcode, payload));
      return used;
    }
    if (opcode === Opcode.continuation) {
      if (this.#fragmentedText === undefined) {
        throw protocolError("Continuation frame without a message"); // §5.4
      }
    } else if (this.#fragmentedText !== undefined) {
      throw protocolError("New message inside a fragmented one"); // §5.4
    } else this.#fragmentedText = opcode === Opcode.text;
    this.#parts.push(payload);
    this.#partsLength += len;
    if (fin) {
      const text = this.#fragmentedText;
      const data = this.#parts.length === 1
        ? payload
        : concat(this.#parts, this.#partsLength);
      this.#parts = [];
      this.#partsLength = 0;
      this.#fragmentedText = undefined;
      if (text) validUtf8(data);
      events.push({ kind: "message", text, data });
    }
    return used;
  }

  #control(opcode: number, payload: Uint8Array): WebSocketEvent {
    if (opcode === Opcode.ping) return { kind: "ping", data: payload };
    if (opcode === Opcode.pong) return { kind: "pong", data: payload };
    this.#closed = true;
    if (payload.length === 0) {
      return { kind: "close", code: 1005, reason: "" }; // §7.1.5 no status
    }
    if (payload.length === 1) {
      throw protocolError("Close frame with a one-byte body");
    }
    const code = ((payload[0] as number) << 8) | (payload[1] as number);
    if (!validCloseCode(code)) {
      throw protocolError(`Close code ${code} is not allowed on the wire`);
    }
    const reasonBytes = payload.subarray(2);
    validUtf8(reasonBytes);
    return {
      kind: "close",
      code,
      reason: new TextDecoder().decode(reasonBytes),
    };
  }
}

/** XORs `payload` with the 4-byte `mask` in place, a word at a time. */
function unmask(payload: Uint8Array, mask: Uint8Array): void {
  const words = payload.length >>> 2;
  if (words > 0 && payload.byteOffset % 4 === 0) {
    const m = new Uint32Array(mask.buffer, mask.byteOffset, 1)[0] as number;
    const w = new Uint32Array(payload.buffer, payload.byteOffset, words);
    for (let i = 0; i < words; i++) w[i] = (w[i] as number) ^ m;
  } else {
    for (let i = 0; i < words * 4; i++) {
      payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    }
  }
  for (let i = words * 4; i < payload.length; i++) {
    payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
  }
}

function validCloseCode(code: number): boolean {
  // RFC 6455 §7.4.1-2: 1004-1006 and 1015 are never sent; 1000-2999 are
  // registered ranges (the rest of them unassigned), 3000-4999 are for use.
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 &&
    code !== 1006;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

function validUtf8(bytes: Uint8Array): void {
  try {
    STRICT_UTF8.decode(bytes);
  } catch {
    throw new WebSocketError("Text is not valid UTF-8", {
      closeCode: CloseCode.invalidPayload,
    });
  }
}

function protocolError(message: string): WebSocketError {
  return new WebSocketError(message, { closeCode: CloseCode.protocolError });
}

function tooBig(): WebSocketError {
  return new WebSocketError("Message exceeds the maximum size", {
    closeCode: CloseCode.messageTooBig,
  });
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

function writeHeader(
  out: Uint8Array,
  opcode: number,
  length: number,
  masked: boolean,
): number {
  out[0] = 0x80 | opcode;
  const m = masked ? 0x80 : 0;
  if (length < 126) {
    out[1] = m | length;
    return 2;
  }
  if (length < 65536) {
    out[1] = m | 126;
    out[2] = length >> 8;
    out[3] = length & 0xff;
    return 4;
  }
  out[1] = m | 127;
  new DataView(out.buffer, out.byteOffset + 2, 8).setBigUint64(
    0,
    BigInt(length),
  );
  return 10;
}

/**
 * One unmasked, unfragmented server frame (RFC 6455 §5.1: servers never mask).
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeFrame(0x2, new Uint8Array([7]))], [0x82, 0x01, 0x07]);
 * ```
 */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(
    headerLength(payload.length, false) + payload.length,
  );
  out.set(payload, writeHeader(out, opcode, payload.length, false));
  return out;
}

/**
 * A close frame with `code` and a short UTF-8 `reason` (at most 123 bytes).
 *
 * @example
 * ```ts
 * import { encodeClose } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeClose(1000, "")], [0x88, 0x02, 0x03, 0xe8]);
 * ```
 */
export function encodeClose(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const body = new Uint8Array(2 + text.length);
  body[0] = code >> 8;
  body[1] = code & 0xff;
  body.set(text, 2);
  return encodeFrame(Opcode.close, body);
}

/**
 * One masked client frame, for tests and clients; `fin` false starts or
 * continues a fragmented message.
 *
 * @example
 * ```ts
 * import { encodeClientFrame } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const f = encodeClientFrame(0x2, new Uint8Array([1]), new Uint8Array([0, 0, 0, 0]));
 * assert.deepEqual([...f], [0x82, 0x81, 0, 0, 0, 0, 1]);
 * ```
 */
export function encodeClientFrame(
  opcode: number,
  payload: Uint8Array,
  mask: Uint8Array,
  fin = true,
): Uint8Array {
  const out = new Uint8Array(
    headerLength(payload.length, true) + payload.length,
  );
  let at = writeHeader(out, opcode, payload.length, true);
  if (!fin) out[0] = (out[0] as number) & 0x7f;
  out.set(mask.subarray(0, 4), at);
  at += 4;
  for (let i = 0; i < payload.length; i++) {
    out[at + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  }
  return out;
}
