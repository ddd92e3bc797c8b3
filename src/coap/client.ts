/**
 * A sans-IO CoAP client (RFC 7252 §5): requests with tokens over the
 * message layer (CON retransmission), Block2 download and Block1 upload
 * (RFC 7959), and Observe (RFC 7641) with notifications as events.
 *
 * ```
 * request() ─► token, CON/NON ─► pollTransmit()
 * handleDatagram() ─► ACK/RST/response, matched by message ID then token
 *   2.31 + Block1 ─► next block      Block2 M=1 ─► GET next block
 *   last block ─► "response" (first) or "notification" (observing)
 * ```
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";
import {
  Code,
  isRequestCode,
  isResponseCode,
  isSuccessCode,
  MessageType,
  type Method,
  methodCode,
} from "./codes.ts";
import { CoapResetError, CoapTimeoutError } from "./errors.ts";
import {
  type CoapMessage,
  decodeMessage,
  emptyMessage,
  peekHeader,
  tokenKey,
} from "./message.ts";
import {
  type CoapOption,
  OptionNumber,
  optionValues,
  pathOptions,
  uintOption,
  uintValue,
} from "./options.ts";
import {
  MessageLayer,
  type Outgoing,
  type PeerId,
  type TransmissionOptions,
} from "./message_layer.ts";
import { blockSize, decodeBlock, encodeBlock, sizeToSzx } from "./block.ts";
import { isFresher } from "./observe.ts";

/**
 * A request to send.
 *
 * @example
 * ```ts
 * import type { ClientRequest } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * const r: ClientRequest = { method: "GET", path: "/time", observe: true };
 * assert.ok(r.observe);
 * ```
 */
export interface ClientRequest {
  /** The method. */
  readonly method: Method;
  /** The path, e.g. "/sensors/t1". */
  readonly path: string;
  /** Uri-Query items. */
  readonly query?: readonly string[];
  /** Body; a string is UTF-8 encoded. */
  readonly payload?: Uint8Array | string;
  /** Content-Format of the body. */
  readonly contentFormat?: number;
  /** Accept. */
  readonly accept?: number;
  /** CON (default) or NON. */
  readonly confirmable?: boolean;
  /** Register as an observer (GET with Observe 0). */
  readonly observe?: boolean;
  /** Block size for Block1 and the Block2 request, 16…1024 (default 1024). */
  readonly blockSize?: number;
  /** Extra options. */
  readonly options?: readonly CoapOption[];
}

/**
 * A response or a notification, with the Block2 body reassembled.
 *
 * @example
 * ```ts
 * import type { ClientResponse } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * const r: ClientResponse = { code: 0x45, options: [], payload: new Uint8Array() };
 * assert.equal(r.code, 0x45);
 * ```
 */
export interface ClientResponse {
  /** Response code. */
  readonly code: number;
  /** Options of the (first block of the) response. */
  readonly options: readonly CoapOption[];
  /** The whole body. */
  readonly payload: Uint8Array;
  /** The Observe value, for observations. */
  readonly observe?: number;
}

/**
 * Events for the application.
 *
 * @example
 * ```ts
 * import type { ClientEvent } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * const e: ClientEvent = { type: "error", id: 1, error: new Error("x") };
 * assert.equal(e.type, "error");
 * ```
 */
export type ClientEvent =
  | {
    readonly type: "response";
    readonly id: number;
    readonly response: ClientResponse;
  }
  | {
    readonly type: "notification";
    readonly id: number;
    readonly response: ClientResponse;
  }
  | { readonly type: "error"; readonly id: number; readonly error: Error };

interface Exchange {
  readonly id: number;
  readonly peer: PeerId;
  readonly request: ClientRequest;
  readonly token: Uint8Array;
  readonly szx: number;
  readonly body: Uint8Array;
  delivered: boolean;
  observing: boolean;
  parts: Uint8Array[];
  head: CoapMessage | undefined;
  block1: { szx: number; num: number } | undefined;
  lastObserve: { value: number; at: number } | undefined;
}

interface Tag {
  readonly id: number;
}

const TEXT = new TextEncoder();

/**
 * The client endpoint.
 *
 * @example GET answered by a piggybacked ACK
 * ```ts
 * import { CoapClient } from "./client.ts";
 * import { decodeMessage, encodeMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const client = new CoapClient({ transmission: { random: () => 0 } });
 * const id = client.request(0, "server", { method: "GET", path: "/time" });
 * const req = decodeMessage(client.pollTransmit()!.bytes);
 * client.handleDatagram(5, encodeMessage({ type: 2, code: 0x45, messageId: req.messageId, token: req.token, options: [], payload: new TextEncoder().encode("12:00") }), "server");
 * const e = client.pollEvent();
 * assert.equal(e?.type === "response" && e.id, id);
 * ```
 */
export class CoapClient {
  readonly #layer: MessageLayer<Tag>;
  readonly #random: () => number;
  readonly #tokenLength: number;
  readonly #exchanges = new Map<number, Exchange>();
  readonly #tokens = new Map<string, number>();
  readonly #events: ClientEvent[] = [];
  #nextId = 1;
  #tokenCounter = 0;

  /**
   * @param options Message-layer parameters (their `random` also makes
   *   tokens) and the token length (default 4).
   */
  constructor(
    options: { transmission?: TransmissionOptions; tokenLength?: number } = {},
  ) {
    this.#layer = new MessageLayer<Tag>(options.transmission);
    const r = options.transmission?.random;
    let s = 0x9e3779b9;
    this.#random = r ?? (() => {
      s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return s / 2 ** 32;
    });
    this.#tokenLength = Math.min(8, Math.max(1, options.tokenLength ?? 4));
  }

  /** Open exchanges (including observations). */
  get openExchanges(): number {
    return this.#exchanges.size;
  }

  /**
   * Starts a request.
   *
   * @param now Current time, ms.
   * @param peer The server.
   * @param request What to send.
   * @returns The exchange ID carried by its events.
   */
  request(now: number, peer: PeerId, request: ClientRequest): number {
    const id = this.#nextId++;
    const body = typeof request.payload === "string"
      ? TEXT.encode(request.payload)
      : request.payload ?? new Uint8Array();
    const ex: Exchange = {
      id,
      peer,
      request,
      token: this.#newToken(id),
      szx: sizeToSzx(request.blockSize ?? 1024),
      body,
      delivered: false,
      observing: false,
      parts: [],
      head: undefined,
      block1: undefined,
      lastObserve: undefined,
    };
    this.#exchanges.set(id, ex);
    const extra: CoapOption[] = [];
    if (request.observe) extra.push(uintOption(OptionNumber.OBSERVE, 0));
    let payload = body;
    if (body.length > blockSize(ex.szx)) {
      // RFC 7959 §2.5: send the body block by block, announcing Size1.
      ex.block1 = { szx: ex.szx, num: 0 };
      payload = body.subarray(0, blockSize(ex.szx));
      extra.push(
        {
          number: OptionNumber.BLOCK1,
          value: encodeBlock({ num: 0, more: true, szx: ex.szx }),
        },
        uintOption(OptionNumber.SIZE1, body.length),
      );
    }
    this.#send(now, ex, { token: ex.token, extra, payload });
    return id;
  }

  /**
   * Ends an observation with a GET carrying Observe 1 (RFC 7641 §3.6); its
   * response arrives as a final "response" event.
   *
   * @param now Current time, ms.
   * @param id The observation's exchange ID.
   */
  cancelObserve(now: number, id: number): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined || !ex.observing) return;
    ex.observing = false;
    ex.delivered = false;
    this.#send(now, ex, {
      token: ex.token,
      extra: [uintOption(OptionNumber.OBSERVE, 1)],
      payload: new Uint8Array(),
      method: "GET",
    });
  }

  /**
   * Handles one received datagram. Never throws.
   *
   * @param now Current time, ms.
   * @param bytes The datagram.
   * @param peer The sender.
   */
  handleDatagram(now: number, bytes: Uint8Array, peer: PeerId): void {
    let m: CoapMessage;
    try {
      m = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const h = peekHeader(bytes);
      if (h?.version === 1 && h.type === MessageType.CON) {
        this.#layer.reset(peer, h.messageId);
      }
      return;
    }
    const r = this.#layer.receive(now, peer, m);
    switch (r.kind) {
      case "duplicate":
        return;
      case "reset": {
        if (r.tag === undefined) return;
        this.#fail(r.tag.id, new CoapResetError(`exchange ${r.tag.id}`));
        return;
      }
      case "ack":
        // An empty ACK announces a separate response (RFC 7252 §5.2.2).
        if (m.code !== Code.EMPTY) this.#onResponse(now, peer, m);
        return;
      case "new":
        break;
    }
    if (!isResponseCode(m.code) || isRequestCode(m.code)) {
      if (m.type === MessageType.CON) this.#layer.reset(peer, m.messageId);
      return;
    }
    const known = this.#tokens.has(tokenKey(m.token));
    if (!known) {
      // RFC 7252 §5.3.2 / RFC 7641 §3.6: reject an unexpected response so
      // that the server stops (e.g. notifications after we forgot them).
      this.#layer.reset(peer, m.messageId);
      return;
    }
    if (m.type === MessageType.CON) {
      this.#layer.reply(
        peer,
        emptyMessage(MessageType.ACK, m.messageId),
        m.messageId,
      );
    }
    this.#onResponse(now, peer, m);
  }

  /** @returns The next datagram to send. */
  pollTransmit(): Outgoing | undefined {
    return this.#layer.pollTransmit();
  }

  /** @returns The next event. */
  pollEvent(): ClientEvent | undefined {
    return this.#events.shift();
  }

  /** @returns The next retransmission deadline, ms. */
  nextTimeout(): number | undefined {
    return this.#layer.nextTimeout();
  }

  /**
   * Retransmits and reports exchanges that timed out.
   *
   * @param now Current time, ms.
   */
  handleTimeout(now: number): void {
    this.#layer.handleTimeout(now);
    for (let e = this.#layer.pollEvent(); e; e = this.#layer.pollEvent()) {
      this.#fail(e.tag.id, new CoapTimeoutError(`exchange ${e.tag.id}`));
    }
  }

  #newToken(id: number): Uint8Array {
    for (;;) {
      // Random bytes mixed with a counter: unique even with a constant
      // random source (RFC 7252 §5.3.1 asks for unguessable tokens).
      const t = new Uint8Array(this.#tokenLength);
      let c = this.#tokenCounter++;
      for (let i = t.length - 1; i >= 0; i--) {
        t[i] = (Math.floor(this.#random() * 256) ^ c) & 0xff;
        c = Math.floor(c / 256);
      }
      const k = tokenKey(t);
      if (!this.#tokens.has(k)) {
        this.#tokens.set(k, id);
        return t;
      }
    }
  }

  #send(
    now: number,
    ex: Exchange,
    what: {
      token: Uint8Array;
      extra: CoapOption[];
      payload: Uint8Array;
      method?: Method;
    },
  ): void {
    const r = ex.request;
    const options: CoapOption[] = [...pathOptions(r.path, r.query ?? [])];
    if (r.contentFormat !== undefined && what.payload.length > 0) {
      options.push(uintOption(OptionNumber.CONTENT_FORMAT, r.contentFormat));
    }
    if (r.accept !== undefined) {
      options.push(uintOption(OptionNumber.ACCEPT, r.accept));
    }
    if (r.options !== undefined) options.push(...r.options);
    options.push(...what.extra);
    const message = {
      code: methodCode(what.method ?? r.method),
      token: what.token,
      options,
      payload: what.payload,
    };
    if (r.confirmable === false) {
      this.#layer.sendNonConfirmable(now, ex.peer, message, { id: ex.id });
    } else {
      this.#layer.sendConfirmable(now, ex.peer, message, { id: ex.id });
    }
  }

  #onResponse(now: number, peer: PeerId, m: CoapMessage): void {
    const key = tokenKey(m.token);
    const id = this.#tokens.get(key);
    const ex = id === undefined ? undefined : this.#exchanges.get(id);
    if (ex === undefined || ex.peer !== peer) return;
    const isMain = key === tokenKey(ex.token);
    if (!isMain) this.#tokens.delete(key);

    const b1raw = optionValues(m.options, OptionNumber.BLOCK1)[0];
    if (ex.block1 !== undefined && m.code === Code.CONTINUE) {
      // RFC 7959 §2.5: continue; adopt a smaller SZX from the server.
      let szx = ex.block1.szx;
      let acked = ex.block1.num;
      if (b1raw !== undefined) {
        try {
          const b = decodeBlock(b1raw);
          acked = b.num;
          if (b.szx < szx) szx = b.szx;
        } catch {
          // keep ours
        }
      }
      const offset = (acked + 1) * blockSize(ex.block1.szx);
      const num = offset / blockSize(szx);
      const end = Math.min(ex.body.length, offset + blockSize(szx));
      const more = end < ex.body.length;
      ex.block1 = { szx, num };
      this.#send(now, ex, {
        token: ex.token,
        extra: [{
          number: OptionNumber.BLOCK1,
          value: encodeBlock({ num, more, szx }),
        }],
        payload: ex.body.subarray(offset, end),
      });
      return;
    }
    ex.block1 = undefined;

    const b2raw = optionValues(m.options, OptionNumber.BLOCK2)[0];
    let block;
    try {
      block = b2raw === undefined ? undefined : decodeBlock(b2raw);
    } catch {
      block = undefined;
    }
    if (block !== undefined && isSuccessCode(m.code)) {
      if (block.num === 0) {
        ex.head = m;
        ex.parts = [];
      }
      ex.parts.push(m.payload);
      if (block.more) {
        // RFC 7959 §2.4: ask for the next block (a fresh token, no Observe).
        const num = block.num + 1;
        this.#send(now, ex, {
          token: this.#newToken(ex.id),
          extra: [{
            number: OptionNumber.BLOCK2,
            value: encodeBlock({ num, more: false, szx: block.szx }),
          }],
          payload: new Uint8Array(),
          method: "GET",
        });
        return;
      }
    } else {
      ex.head = m;
      ex.parts = [m.payload];
    }
    const head = ex.head ?? m;
    const total = ex.parts.reduce((n, p) => n + p.length, 0);
    const payload = new Uint8Array(total);
    let at = 0;
    for (const p of ex.parts) {
      payload.set(p, at);
      at += p.length;
    }
    ex.parts = [];
    ex.head = undefined;
    const observe = uintValue(head.options, OptionNumber.OBSERVE);
    const response: ClientResponse = {
      code: head.code,
      options: head.options,
      payload,
      ...(observe === undefined ? {} : { observe }),
    };
    if (!ex.delivered) {
      ex.delivered = true;
      this.#events.push({ type: "response", id: ex.id, response });
      if (
        ex.request.observe && observe !== undefined &&
        isSuccessCode(head.code) && !ex.observing &&
        ex.lastObserve === undefined
      ) {
        ex.observing = true;
        ex.lastObserve = { value: observe, at: now };
      } else {
        this.#finish(ex);
      }
      return;
    }
    if (!ex.observing) return;
    if (observe === undefined || !isSuccessCode(head.code)) {
      // RFC 7641 §3.2: a response without Observe ends the observation.
      this.#events.push({ type: "notification", id: ex.id, response });
      this.#finish(ex);
      return;
    }
    const next = { value: observe, at: now };
    if (ex.lastObserve !== undefined && !isFresher(ex.lastObserve, next)) {
      return; // RFC 7641 §3.4: an older notification is not delivered.
    }
    ex.lastObserve = next;
    this.#events.push({ type: "notification", id: ex.id, response });
  }

  #finish(ex: Exchange): void {
    this.#exchanges.delete(ex.id);
    for (const [k, v] of this.#tokens) if (v === ex.id) this.#tokens.delete(k);
  }

  #fail(id: number, error: Error): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined) return;
    this.#events.push({ type: "error", id, error });
    this.#finish(ex);
  }
}
