/**
 * A WebSocket server over any {@link ByteStream}: a raw TCP connection
 * (after a PROXY header, if any), or a TLS stream. It runs the sans-IO
 * codec of `websocket_codec.ts`: {@link acceptWebSocket} answers the
 * HTTP/1.1 Upgrade, and {@link WebSocketStream} carries binary messages as
 * a byte stream, answering pings and closes itself.
 *
 * MQTT over WebSocket ([MQTT-6.0.0-1]..[MQTT-6.0.0-4]): MQTT travels in
 * binary messages, a message may hold part of a packet or several packets,
 * and a text message closes the connection (1003).
 *
 * @module
 */

import { type ByteStream, writeAll } from "./byte_stream.ts";
import { ReceiveQueue } from "./receive_queue.ts";
import {
  checkUpgrade,
  CloseCode,
  encodeClose,
  encodeFrame,
  errorResponse,
  HttpRequestDecoder,
  type HttpRequestHead,
  Opcode,
  upgradeResponse,
  WebSocketError,
  WebSocketFrameDecoder,
} from "./websocket_codec.ts";

/**
 * Options of {@link acceptWebSocket}.
 *
 * @example
 * ```ts
 * import type { AcceptWebSocketOptions } from "./websocket_server.ts";
 *
 * const options: AcceptWebSocketOptions = { path: "/mqtt", subprotocols: ["mqtt"], timeoutMs: 10_000 };
 * ```
 */
export interface AcceptWebSocketOptions {
  /** The one path that upgrades. */
  path: string;
  /** Subprotocols served, in preference order. */
  subprotocols: readonly string[];
  /** How long the request head may take to arrive, ms. */
  timeoutMs: number;
  /** Largest message accepted (default 1 MiB; larger closes with 1009). */
  maxMessageBytes?: number;
}

/**
 * An accepted WebSocket: the message stream and what the client asked for.
 *
 * @example
 * ```ts
 * import type { AcceptedWebSocket } from "./websocket_server.ts";
 *
 * const protocolOf = (a: AcceptedWebSocket) => a.protocol;
 * ```
 */
export interface AcceptedWebSocket {
  /** Binary messages as a byte stream. */
  readonly stream: WebSocketStream;
  /** The subprotocol chosen, if any. */
  readonly protocol: string | undefined;
  /** The request head. */
  readonly head: HttpRequestHead;
}

/**
 * Reads the opening handshake from `stream` and answers it. A bad request
 * gets its HTTP error answer; the stream is then closed and the
 * {@link WebSocketError} rethrown (status 408 when the head did not arrive
 * within `timeoutMs`, 400 when the stream ended first).
 *
 * @example Handshake and one message over an in-memory stream
 * ```ts
 * import { acceptWebSocket } from "./websocket_server.ts";
 * import { encodeClientFrame } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const head = "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
 * const input = [new TextEncoder().encode(head), encodeClientFrame(2, new Uint8Array([5]), new Uint8Array(4))];
 * const output: Uint8Array[] = [];
 * const ws = await acceptWebSocket({
 *   read: (buf) => {
 *     const c = input.shift();
 *     if (c === undefined) return Promise.resolve(null);
 *     buf.set(c);
 *     return Promise.resolve(c.length);
 *   },
 *   write: (d) => (output.push(d.slice()), Promise.resolve(d.length)),
 *   close: () => {},
 * }, { path: "/mqtt", subprotocols: ["mqtt"], timeoutMs: 1000 });
 * assert.ok(new TextDecoder().decode(output[0]).startsWith("HTTP/1.1 101"));
 * const buf = new Uint8Array(8);
 * assert.equal(await ws.stream.read(buf), 1);
 * assert.equal(buf[0], 5);
 * ```
 */
export async function acceptWebSocket(
  stream: ByteStream,
  options: AcceptWebSocketOptions,
): Promise<AcceptedWebSocket> {
  const decoder = new HttpRequestDecoder();
  const buffer = new Uint8Array(2048);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(stream);
  }, options.timeoutMs);
  try {
    let got: ReturnType<HttpRequestDecoder["feed"]>;
    while (got === undefined) {
      let n: number | null;
      try {
        n = await stream.read(buffer);
      } catch (err) {
        if (timedOut) n = null;
        else throw err;
      }
      if (timedOut) {
        throw new WebSocketError(
          `No WebSocket handshake within ${options.timeoutMs} ms`,
          { status: 408 },
        );
      }
      if (n === null) {
        throw new WebSocketError("Connection ended before the handshake", {
          status: 400,
        });
      }
      got = decoder.feed(buffer.subarray(0, n));
    }
    clearTimeout(timer);
    const ok = checkUpgrade(got.head, options);
    await writeAll(stream, upgradeResponse(ok));
    return {
      stream: new WebSocketStream(stream, {
        rest: got.rest,
        ...(options.maxMessageBytes === undefined
          ? {}
          : { maxMessageBytes: options.maxMessageBytes }),
      }),
      protocol: ok.protocol,
      head: got.head,
    };
  } catch (err) {
    clearTimeout(timer);
    if (
      err instanceof WebSocketError && err.status !== undefined &&
      err.status !== 408 && !timedOut
    ) {
      try {
        await writeAll(stream, errorResponse(err.status, err.message));
      } catch {
        // The client is gone.
      }
    }
    closeQuietly(stream);
    throw err;
  }
}

/**
 * The binary messages of an open WebSocket as a {@link ByteStream}: `read`
 * returns message bytes (message boundaries are not kept, as MQTT needs),
 * `write` sends one binary message. Pings are answered, a close is echoed,
 * and a protocol error closes with its code.
 *
 * @example
 * ```ts
 * import { WebSocketStream } from "./websocket_server.ts";
 * import { encodeClientFrame } from "./websocket_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: Uint8Array[] = [];
 * const ws = new WebSocketStream({
 *   read: () => Promise.resolve(null),
 *   write: (d) => (sent.push(d.slice()), Promise.resolve(d.length)),
 *   close: () => {},
 * }, { rest: encodeClientFrame(2, new Uint8Array([1, 2]), new Uint8Array([3, 4, 5, 6])) });
 * const buf = new Uint8Array(4);
 * assert.equal(await ws.read(buf), 2);
 * await ws.write(new Uint8Array([9]));
 * assert.deepEqual([...sent[0]!], [0x82, 1, 9]);
 * ```
 */
export class WebSocketStream implements ByteStream {
  readonly #inner: ByteStream;
  readonly #decoder: WebSocketFrameDecoder;
  readonly #readBuffer = new Uint8Array(64 * 1024);
  #rest: Uint8Array | undefined;
  readonly #received = new ReceiveQueue();
  #ended = false;
  #closeSent = false;
  #tail: Promise<void> = Promise.resolve();
  /** Why the stream ended, once it did (close code and text). */
  closeReason: { code: number; reason: string } | undefined;

  /**
   * @param inner The stream after the handshake.
   * @param options `rest`: bytes read past the request head;
   *   `maxMessageBytes` (default 1 MiB).
   */
  constructor(
    inner: ByteStream,
    options: { rest?: Uint8Array; maxMessageBytes?: number } = {},
  ) {
    this.#inner = inner;
    this.#decoder = new WebSocketFrameDecoder(options.maxMessageBytes);
    this.#rest = options.rest !== undefined && options.rest.length > 0
      ? options.rest
      : undefined;
  }

  /** Reads message bytes into `buffer`; `null` once the WebSocket closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#received.empty) {
      if (this.#ended) return null;
      let input: Uint8Array;
      if (this.#rest !== undefined) {
        input = this.#rest;
        this.#rest = undefined;
      } else {
        let n: number | null;
        try {
          n = await this.#inner.read(this.#readBuffer);
        } catch (err) {
          if (this.#ended) return null;
          throw err;
        }
        if (n === null) {
          this.#end({ code: 1006, reason: "connection ended" });
          return null;
        }
        input = this.#readBuffer.subarray(0, n);
      }
      await this.#take(input);
    }
    return this.#received.take(buffer);
  }

  async #take(input: Uint8Array): Promise<void> {
    for (const e of this.#decoder.feed(input)) {
      switch (e.kind) {
        case "error":
          await this.#closeWith(
            e.error.closeCode ?? CloseCode.protocolError,
            e.error.message,
          );
          return;
        case "message":
          if (e.text) {
            await this.#closeWith(
              CloseCode.unsupportedData,
              "MQTT needs binary frames", // [MQTT-6.0.0-1]
            );
            return;
          }
          this.#received.push(e.data);
          break;
        case "ping":
          await this.#send(encodeFrame(Opcode.pong, e.data)).catch(() => {});
          break;
        case "pong":
          break;
        case "close":
          // RFC 6455 §5.5.1: echo the code, then end the TCP connection.
          await this.#closeWith(
            e.code === 1005 ? CloseCode.normal : e.code,
            "",
            {
              code: e.code,
              reason: e.reason,
            },
          );
          return;
      }
    }
  }

  async #closeWith(
    code: number,
    reason: string,
    received?: { code: number; reason: string },
  ): Promise<void> {
    this.#end(received ?? { code, reason });
    if (!this.#closeSent) {
      this.#closeSent = true;
      await this.#send(encodeClose(code, reason)).catch(() => {});
    }
    closeQuietly(this.#inner);
  }

  #end(why: { code: number; reason: string }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.closeReason = why;
  }

  #send(bytes: Uint8Array): Promise<void> {
    const next = this.#tail.then(() => writeAll(this.#inner, bytes));
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Sends `data` as one binary message. */
  async write(data: Uint8Array): Promise<number> {
    if (this.#closeSent) {
      throw new Deno.errors.BrokenPipe("WebSocket is closed");
    }
    await this.#send(encodeFrame(Opcode.binary, data));
    return data.length;
  }

  /** Sends a normal close (best effort) and closes the connection. */
  close(): void {
    this.#end({ code: CloseCode.normal, reason: "closed by server" });
    if (this.#closeSent) {
      closeQuietly(this.#inner);
      return;
    }
    this.#closeSent = true;
    const inner = this.#inner;
    const done = this.#send(encodeClose(CloseCode.normal, ""));
    const timer = setTimeout(() => closeQuietly(inner), 1000);
    done.catch(() => {}).finally(() => {
      clearTimeout(timer);
      closeQuietly(inner);
    });
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}
