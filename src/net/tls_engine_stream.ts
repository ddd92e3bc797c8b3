/**
 * A {@link ByteStream} of application data over postern's own TLS 1.2
 * engine: it drives a sans-IO {@link TlsConnection} (either role) over a
 * raw byte stream — a `Deno.Conn` with Nagle off, or a connection whose
 * PROXY header was already read.
 *
 * ```
 *  raw.read ─► tls.handleInput ─► pollEvent: data → read(), closed → EOF
 *                              └► pollTransmit → raw.write (one chain)
 *  write(d) ─► tls.send ─────────► pollTransmit → raw.write
 *  timer    ─► tls.handleTimeout (handshake deadline)
 * ```
 *
 * One read buffer is reused for the whole connection (the core copies what
 * it keeps); it starts small and doubles, up to a full record, each time a
 * read fills it. A first buffer that never grew goes to the next connection
 * once the raw stream is closed and no read is under way. Writes to the raw
 * stream are chained, so bytes produced while reading (a close_notify
 * answer) and while writing never interleave. Handshake deadlines share
 * timers, one per 10 ms slot.
 *
 * @module
 */

import { type ByteStream, writeAll } from "./byte_stream.ts";
import type {
  TlsConnection,
  TlsConnectionEvent,
} from "../tls/stream/connection.ts";
import type { EstablishedSession } from "../tls/handshake/types.ts";

/** Most bytes read from the raw stream at a time: one full protected record. */
const READ_SIZE = 5 + 16384 + 2048;
/** The first read buffer: a PSK handshake or an idle connection needs no more. */
const FIRST_READ_SIZE = 1024;
/** First read buffers of closed connections, for the next ones. */
const spareBuffers: Uint8Array[] = [];
const MAX_SPARE_BUFFERS = 64;

/**
 * Handshake deadlines falling in the same slot of this many ms share one
 * timer, and fire at most one slot late: a timer of its own per handshake
 * was about 20 µs of the server's CPU per TLS-PSK connection (node's
 * `Timeout` behind `setTimeout`, `bench/tls_engine_load.ts` profile).
 */
const DEADLINE_SLOT_MS = 10;
const deadlineSlots = new Map<
  number,
  {
    readonly timer: ReturnType<typeof setTimeout>;
    readonly due: Set<() => void>;
  }
>();

/** Runs `fire` after `delayMs`, unless the returned function is called first. */
function atDeadline(delayMs: number, fire: () => void): () => void {
  const slot = Math.ceil(
    (performance.now() + Math.max(0, delayMs)) / DEADLINE_SLOT_MS,
  );
  let entry = deadlineSlots.get(slot);
  if (entry === undefined) {
    const due = new Set<() => void>();
    const timer = setTimeout(() => {
      deadlineSlots.delete(slot);
      for (const f of due) queueMicrotask(f);
    }, Math.max(0, slot * DEADLINE_SLOT_MS - performance.now()));
    deadlineSlots.set(slot, entry = { timer, due });
  }
  const { timer, due } = entry;
  due.add(fire);
  return () => {
    if (!due.delete(fire) || due.size > 0) return;
    if (deadlineSlots.get(slot)?.due === due) {
      deadlineSlots.delete(slot);
      clearTimeout(timer);
    }
  };
}

/**
 * The outcome of {@link TlsEngineStream.handshake}.
 *
 * @example
 * ```ts
 * import type { TlsHandshakeResult } from "./tls_engine_stream.ts";
 *
 * function suite(r: TlsHandshakeResult): string | undefined {
 *   return r.ok ? r.session.suite.name : undefined;
 * }
 * ```
 */
export type TlsHandshakeResult =
  | { readonly ok: true; readonly session: EstablishedSession }
  | {
    readonly ok: false;
    readonly closed: Extract<TlsConnectionEvent, { kind: "closed" }>;
  };

/**
 * Options of {@link TlsEngineStream}.
 *
 * @example
 * ```ts
 * import type { TlsEngineStreamOptions } from "./tls_engine_stream.ts";
 *
 * const options: TlsEngineStreamOptions = { clock: () => 0 };
 * ```
 */
export interface TlsEngineStreamOptions {
  /** Clock in ms (default `Date.now`). */
  readonly clock?: () => number;
  /** Told of every event of the connection (logs). */
  readonly onEvent?: (event: TlsConnectionEvent) => void;
}

/**
 * Application data over a TLS connection over a raw stream.
 *
 * @example A PSK client and server over an in-memory pipe
 * ```ts
 * import { TlsEngineStream } from "./tls_engine_stream.ts";
 * import { TlsConnection } from "../tls/stream/connection.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const key = new Uint8Array(16).fill(1);
 * const accepted = listener.accept().then(async (raw) => {
 *   const s = new TlsEngineStream(raw, new TlsConnection({ role: "server", server: { psk: () => key } }));
 *   await s.handshake();
 *   const buf = new Uint8Array(8);
 *   const n = await s.read(buf);
 *   await s.write(buf.subarray(0, n!));
 *   return s;
 * });
 * const raw = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
 * const client = new TlsEngineStream(raw, new TlsConnection({ role: "client", client: { psk: { identity: "d", key } } }));
 * assert.equal((await client.handshake()).ok, true);
 * await client.write(new Uint8Array([1, 2, 3]));
 * const buf = new Uint8Array(8);
 * assert.equal(await client.read(buf), 3);
 * client.close();
 * (await accepted).close();
 * listener.close();
 * ```
 */
export class TlsEngineStream implements ByteStream {
  readonly #raw: ByteStream;
  readonly #tls: TlsConnection;
  readonly #clock: () => number;
  readonly #onEvent: ((event: TlsConnectionEvent) => void) | undefined;
  #buffer: Uint8Array | undefined;
  #reading = false;
  #plain: Uint8Array[] = [];
  #session: EstablishedSession | undefined;
  #closed: Extract<TlsConnectionEvent, { kind: "closed" }> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #writeError: unknown;
  #rawClosed = false;

  /**
   * @param raw The byte stream TLS records travel on.
   * @param tls The connection core, not started.
   * @param options Clock and event observer.
   */
  constructor(
    raw: ByteStream,
    tls: TlsConnection,
    options: TlsEngineStreamOptions = {},
  ) {
    this.#raw = raw;
    this.#tls = tls;
    this.#clock = options.clock ?? Date.now;
    this.#onEvent = options.onEvent;
  }

  /** What the handshake agreed, once established. */
  get session(): EstablishedSession | undefined {
    return this.#session;
  }

  /** Why the connection closed, once it has. */
  get closedEvent():
    | Extract<TlsConnectionEvent, { kind: "closed" }>
    | undefined {
    return this.#closed;
  }

  /**
   * Runs the handshake to its end under the core's deadline. On failure the
   * alert has been written and the raw stream is closed.
   *
   * @returns The session, or how it closed.
   */
  async handshake(): Promise<TlsHandshakeResult> {
    const tls = this.#tls;
    tls.start(this.#clock());
    this.#pump();
    let cancel: (() => void) | undefined;
    const deadline = tls.nextTimeout();
    if (deadline !== undefined) {
      cancel = atDeadline(deadline - this.#clock(), () => {
        tls.handleTimeout(this.#clock());
        this.#pump();
        if (this.#closed !== undefined) this.#closeRaw();
      });
    }
    try {
      while (this.#session === undefined && this.#closed === undefined) {
        await this.#readOnce();
      }
    } finally {
      cancel?.();
    }
    await this.#writing;
    if (this.#session !== undefined && this.#closed === undefined) {
      return { ok: true, session: this.#session };
    }
    this.#closeRaw();
    return {
      ok: false,
      closed: this.#closed ??
        { kind: "closed", reason: "connection closed during the handshake" },
    };
  }

  /**
   * Reads application data; `null` once the connection closed.
   *
   * @param buffer Where to put it.
   * @returns Bytes read, or `null`.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#plain.length === 0) {
      if (this.#closed !== undefined) return null;
      await this.#readOnce();
    }
    const first = this.#plain[0]!;
    const n = Math.min(first.length, buffer.length);
    buffer.set(first.subarray(0, n));
    if (n === first.length) this.#plain.shift();
    else this.#plain[0] = first.subarray(n);
    return n;
  }

  /**
   * Protects and writes application data.
   *
   * @param data The bytes.
   * @returns `data.length` once written.
   */
  async write(data: Uint8Array): Promise<number> {
    if (this.#closed !== undefined) {
      throw new Deno.errors.BrokenPipe(
        "Cannot write: the TLS connection closed",
      );
    }
    this.#tls.send(data);
    this.#pump();
    await this.#writing;
    if (this.#writeError !== undefined) throw this.#writeError;
    return data.length;
  }

  /** Sends close_notify (if still open) and closes the raw stream after it. */
  close(): void {
    if (!this.#tls.closed) {
      this.#tls.close();
      this.#pump();
    }
    void this.#writing.finally(() => this.#closeRaw());
  }

  async #readOnce(): Promise<void> {
    let n: number | null;
    const buffer = this.#buffer ??= spareBuffers.pop() ??
      new Uint8Array(FIRST_READ_SIZE);
    this.#reading = true;
    try {
      n = await this.#raw.read(buffer);
    } catch (err) {
      this.#reading = false;
      if (this.#rawClosed) this.#releaseBuffer();
      if (this.#closed !== undefined) return;
      this.#tls.endOfStream();
      await this.#tls.handleInput(this.#clock(), new Uint8Array(0));
      this.#pump();
      throw err;
    }
    this.#reading = false;
    if (n === null) {
      this.#tls.endOfStream();
      const done = this.#tls.handleInput(this.#clock(), new Uint8Array(0));
      if (this.#rawClosed) this.#releaseBuffer();
      await done;
    } else {
      // handleInput copies the bytes before it returns
      const done = this.#tls.handleInput(this.#clock(), buffer.subarray(0, n));
      if (n === buffer.length && n < READ_SIZE) {
        this.#buffer = new Uint8Array(Math.min(n * 2, READ_SIZE));
      } else if (this.#rawClosed) this.#releaseBuffer();
      await done;
    }
    this.#pump();
  }

  #releaseBuffer(): void {
    const buffer = this.#buffer;
    this.#buffer = undefined;
    if (
      buffer?.length === FIRST_READ_SIZE &&
      spareBuffers.length < MAX_SPARE_BUFFERS
    ) spareBuffers.push(buffer);
  }

  #pump(): void {
    const tls = this.#tls;
    const bytes = tls.pollTransmit();
    if (bytes !== undefined && !this.#rawClosed) {
      this.#writing = this.#writing.then(() =>
        this.#writeError === undefined
          ? writeAll(this.#raw, bytes).catch((err) => {
            this.#writeError = err;
          })
          : undefined
      );
    }
    for (let e = tls.pollEvent(); e; e = tls.pollEvent()) {
      this.#onEvent?.(e);
      switch (e.kind) {
        case "established":
          this.#session = e.session;
          break;
        case "data":
          this.#plain.push(e.data);
          break;
        case "closed":
          this.#closed = e;
          break;
        case "alert":
          break;
      }
    }
  }

  #closeRaw(): void {
    if (this.#rawClosed) return;
    this.#rawClosed = true;
    if (!this.#reading) this.#releaseBuffer();
    try {
      this.#raw.close();
    } catch {
      // Already closed.
    }
  }
}
