/**
 * A sans-IO CoAP server endpoint (RFC 7252) composing the message layer,
 * the router, `/.well-known/core` (RFC 6690), Observe (RFC 7641) and
 * Block-wise transfers (RFC 7959).
 *
 * ```
 * handleDatagram(now, bytes, peer) ─► decode ─► message layer (dedup)
 *        │                                  │ new CON/NON request
 *        │                                  ▼
 *        │            options check ─► Block1 ─► router ─► handler
 *        │                                  │ sync: piggybacked ACK
 *        │                                  │ async: empty ACK, later CON
 *        ▼                                  ▼
 *  pollTransmit() ◄── Block2 slicing, Observe registration, notify()
 * ```
 *
 * The server never throws out of its entry points: malformed input becomes
 * a Reset or is dropped (§4.2, §4.3); handler exceptions become 5.00 (or
 * the {@link CoapError} code).
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
  methodName,
} from "./codes.ts";
import { CoapError } from "./errors.ts";
import {
  type CoapMessage,
  decodeMessage,
  emptyMessage,
  peekHeader,
} from "./message.ts";
import {
  type CoapOption,
  criticalOptionProblem,
  optionName,
  OptionNumber,
  optionValues,
  stringValues,
  uintOption,
  uintValue,
} from "./options.ts";
import {
  MessageLayer,
  type MessageLayer as Layer,
  type Outgoing,
  type PeerId,
  type TransmissionOptions,
} from "./message_layer.ts";
import type { CoapRequest, CoapResponse, Handler, Router } from "./router.ts";
import {
  Block1Assembler,
  blockSize,
  decodeBlock,
  encodeBlock,
  sizeToSzx,
  sliceBlock,
} from "./block.ts";
import {
  type ObserveOptions,
  type Observer,
  ObserverRegistry,
} from "./observe.ts";
import { encodeLinkFormat, filterLinks } from "./link_format.ts";
import { ContentFormat } from "./content_format.ts";

/**
 * Options of {@link CoapServer}.
 *
 * @example
 * ```ts
 * import type { CoapServerOptions } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const o: CoapServerOptions = { maxBodySize: 4096, blockSize: 64, observe: { confirmEvery: 5 } };
 * assert.equal(o.blockSize, 64);
 * ```
 */
export interface CoapServerOptions {
  /** Message-layer parameters and randomness. */
  readonly transmission?: TransmissionOptions;
  /** Largest reassembled Block1 body, bytes (default 65 536). */
  readonly maxBodySize?: number;
  /** Preferred block size for Block2 and Block1, 16…1024 (default 1024). */
  readonly blockSize?: number;
  /** Observe parameters. */
  readonly observe?: ObserveOptions;
  /** Called when an async handler settles: call `handleTimeout` soon. */
  readonly wake?: () => void;
  /**
   * How long an async handler of a CON request may take and still have its
   * response piggybacked on the ACK, ms (default 200; RFC 7252 §5.2.2).
   * After that the request is acknowledged with an empty ACK and the
   * response follows as a separate CON; 0 acknowledges at once.
   */
  readonly separateResponseAfterMs?: number;
}

/**
 * Things the server reports.
 *
 * @example
 * ```ts
 * import type { ServerEvent } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const e: ServerEvent = { type: "observer-removed", peer: "p", path: ["t"], reason: "reset" };
 * assert.equal(e.reason, "reset");
 * ```
 */
export type ServerEvent =
  | {
    readonly type: "observer-added";
    readonly peer: PeerId;
    readonly path: readonly string[];
  }
  | {
    readonly type: "observer-removed";
    readonly peer: PeerId;
    readonly path: readonly string[];
    readonly reason: RemovalReason;
  }
  | { readonly type: "handler-error"; readonly error: unknown };

/** Why an observer was removed. */
type RemovalReason =
  | "deregistered"
  | "reset"
  | "timeout"
  | "error"
  | "idle"
  | "closed";

type Tag =
  | { readonly kind: "response" }
  | { readonly kind: "notification"; readonly key: string };

interface Context {
  readonly peer: PeerId;
  readonly request: CoapMessage;
  readonly extra: CoapOption[];
  readonly observer?: Observer;
  /** "piggyback": reply in the ACK; "separate": CON; "non": NON. */
  readonly mode: "piggyback" | "separate" | "non" | "notify";
  /** A liveness probe: the notification goes as CON. */
  readonly probe?: boolean;
}

/** An async handler of a CON request whose ACK is still held back. */
interface Awaiting {
  context: Context;
  readonly deadline: number;
}

const TEXT = new TextEncoder();
const NO_PATH: readonly string[] = [];

/** A 4-byte entity tag: FNV-1a of the representation. */
function etagOf(body: Uint8Array): Uint8Array {
  let h = 0x811c9dc5;
  for (const byte of body) h = Math.imul(h ^ byte, 0x01000193);
  const tag = new Uint8Array(4);
  new DataView(tag.buffer).setUint32(0, h >>> 0);
  return tag;
}

function notFound(): CoapResponse {
  return { code: Code.NOT_FOUND };
}

/**
 * The server endpoint.
 *
 * @example A piggybacked GET
 * ```ts
 * import { CoapServer } from "./server.ts";
 * import { Router } from "./router.ts";
 * import { decodeMessage, encodeMessage } from "./message.ts";
 * import { pathOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new CoapServer(new Router().add("GET", "/hello", () => ({ code: 0x45, payload: "hi" })));
 * server.handleDatagram(0, encodeMessage({ type: 0, code: 1, messageId: 7, token: new Uint8Array([9]), options: pathOptions("/hello"), payload: new Uint8Array() }), "c");
 * const out = server.pollTransmit()!;
 * const res = decodeMessage(out.bytes);
 * assert.equal(out.to, "c");
 * assert.equal(res.type, 2);
 * assert.equal(res.messageId, 7);
 * assert.equal(new TextDecoder().decode(res.payload), "hi");
 * ```
 */
export class CoapServer {
  readonly #router: Router;
  readonly #layer: Layer<Tag>;
  readonly #observers: ObserverRegistry;
  readonly #assembler: Block1Assembler;
  readonly #szx: number;
  readonly #wake: (() => void) | undefined;
  readonly #events: ServerEvent[] = [];
  readonly #settled: Array<{ context: Context; response: CoapResponse }> = [];
  readonly #awaiting = new Set<Awaiting>();
  readonly #separateAfter: number;
  #lastNow = 0;
  #inFlight = 0;
  #probeTimeouts = 0;

  /**
   * @param router The routes; `/.well-known/core` is added unless present.
   * @param options Limits and parameters.
   */
  constructor(router: Router, options: CoapServerOptions = {}) {
    this.#router = router;
    this.#layer = new MessageLayer<Tag>(options.transmission);
    this.#observers = new ObserverRegistry(options.observe);
    this.#assembler = new Block1Assembler({
      maxBodySize: options.maxBodySize ?? 65_536,
    });
    this.#szx = sizeToSzx(options.blockSize ?? 1024);
    this.#wake = options.wake;
    this.#separateAfter = options.separateResponseAfterMs ?? 200;
    if (!router.has("/.well-known/core")) {
      // the unfiltered document, encoded once per change of the routes
      let all: { version: number; payload: Uint8Array } | undefined;
      router.add("GET", "/.well-known/core", (req) => {
        const format = ContentFormat.LINK_FORMAT;
        if (req.query.length > 0) {
          // RFC 6690 §4.1: filter by the first query parameter.
          const links = filterLinks(router.links(), req.query);
          return {
            code: Code.CONTENT,
            contentFormat: format,
            payload: encodeLinkFormat(links),
          };
        }
        if (all === undefined || all.version !== router.version) {
          const text = encodeLinkFormat(router.links());
          all = { version: router.version, payload: TEXT.encode(text) };
        }
        return {
          code: Code.CONTENT,
          contentFormat: format,
          payload: all.payload,
        };
      }, { hidden: true });
    }
  }

  /** Registered observers. */
  get observerCount(): number {
    return this.#observers.size;
  }

  /** Remembered message IDs plus outstanding CONs (memory bound checks). */
  get stateSize(): number {
    return this.#layer.rememberedCount + this.#layer.outstandingCount +
      this.#assembler.size + this.#observers.size;
  }

  /** Async handlers not yet settled. */
  get pendingHandlers(): number {
    return this.#inFlight;
  }

  /**
   * Handles one received datagram. Never throws.
   *
   * @param now Current time, ms.
   * @param bytes The datagram.
   * @param peer The sender.
   * @param identity The transport's authenticated identity, if any.
   */
  handleDatagram(
    now: number,
    bytes: Uint8Array,
    peer: PeerId,
    identity?: unknown,
  ): void {
    this.#lastNow = now;
    let message: CoapMessage;
    try {
      message = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const h = peekHeader(bytes);
      // RFC 7252 §4.2: a CON with a message format error is rejected with
      // RST; §4.3: a NON is silently ignored; §3: unknown versions too.
      if (h !== undefined && h.version === 1 && h.type === MessageType.CON) {
        this.#layer.reset(peer, h.messageId);
      }
      return;
    }
    const r = this.#layer.receive(now, peer, message);
    switch (r.kind) {
      case "duplicate":
        return;
      case "ack":
        if (r.tag?.kind === "notification") {
          this.#observers.touch(now, r.tag.key);
        }
        return;
      case "reset":
        if (r.tag?.kind === "notification") {
          // RFC 7641 §3.6: a Reset to a notification cancels the observation.
          this.#dropObserver(r.tag.key, "reset");
        }
        return;
      case "new":
        break;
    }
    if (message.code === Code.EMPTY) {
      // RFC 7252 §4.3: an empty CON ("CoAP ping") is answered with RST.
      if (message.type === MessageType.CON) {
        this.#layer.reset(peer, message.messageId);
      }
      return;
    }
    if (!isRequestCode(message.code)) {
      // A response we did not ask for, or a reserved class: reject a CON
      // (§4.2), ignore a NON (§4.3).
      if (message.type === MessageType.CON) {
        this.#layer.reset(peer, message.messageId);
      }
      return;
    }
    this.#handleRequest(now, peer, message, identity);
  }

  /** @returns The next datagram to send. */
  pollTransmit(): Outgoing | undefined {
    return this.#layer.pollTransmit();
  }

  /** @returns The next server event. */
  pollEvent(): ServerEvent | undefined {
    return this.#events.shift();
  }

  /** @returns When `handleTimeout` wants to run, ms. */
  nextTimeout(): number | undefined {
    if (this.#settled.length > 0) return this.#lastNow;
    let next = this.#layer.nextTimeout();
    for (const a of this.#awaiting) {
      if (next === undefined || a.deadline < next) next = a.deadline;
    }
    return next;
  }

  /**
   * Retransmits, expires, and sends responses of settled async handlers.
   *
   * @param now Current time, ms.
   */
  handleTimeout(now: number): void {
    this.#lastNow = now;
    for (const s of this.#settled.splice(0)) {
      this.#respond(now, s.context, s.response);
    }
    for (const a of this.#awaiting) {
      if (a.deadline > now) continue;
      // RFC 7252 §5.2.2: the handler is slow; acknowledge now and send the
      // response separately when it settles.
      this.#awaiting.delete(a);
      const r = a.context.request;
      this.#layer.reply(
        a.context.peer,
        emptyMessage(MessageType.ACK, r.messageId),
        r.messageId,
      );
      a.context = { ...a.context, mode: "separate" };
    }
    this.#layer.handleTimeout(now);
    for (let e = this.#layer.pollEvent(); e; e = this.#layer.pollEvent()) {
      if (e.tag.kind === "notification") {
        // RFC 7641 §4.5: a CON notification that is never acknowledged
        // means the client is gone.
        if (this.#dropObserver(e.tag.key, "timeout")?.probedAt !== undefined) {
          this.#probeTimeouts++;
        }
      }
    }
  }

  /**
   * The inactivity sweep of observers (run by the shared session sweeper):
   * an observer with no sign of life (registration, ACK of a notification)
   * for `idleMs` gets a CON notification as a probe (RFC 7641 §4.5); one
   * still silent at a later sweep, or whose probe was never acknowledged,
   * is removed.
   *
   * @param now Current time, ms.
   * @param idleMs Inactivity before a probe.
   * @returns Observers removed since the last sweep for not answering.
   *
   * @example
   * ```ts
   * import { CoapServer } from "./server.ts";
   * import { Router } from "./router.ts";
   * import { encodeMessage } from "./message.ts";
   * import { OptionNumber, pathOptions, uintOption } from "./options.ts";
   * import assert from "node:assert/strict";
   *
   * const server = new CoapServer(new Router().add("GET", "/t", () => ({ code: 0x45 }), { obs: true }));
   * server.handleDatagram(0, encodeMessage({ type: 0, code: 1, messageId: 1, token: new Uint8Array([1]), options: [...pathOptions("/t"), uintOption(OptionNumber.OBSERVE, 0)], payload: new Uint8Array() }), "c");
   * assert.equal(server.sweepObservers(60_000, 60_000), 0); // probed
   * assert.equal(server.sweepObservers(120_000, 60_000), 1); // still silent
   * assert.equal(server.observerCount, 0);
   * ```
   */
  sweepObservers(now: number, idleMs: number): number {
    this.#lastNow = now;
    const { probe, dead } = this.#observers.idle(now, idleMs);
    let removed = this.#probeTimeouts;
    this.#probeTimeouts = 0;
    for (const o of dead) {
      if (this.#dropObserver(o.key, "idle") !== undefined) removed++;
    }
    for (const o of probe) this.#renotify(now, o, true);
    return removed;
  }

  /**
   * Forgets the observers of an endpoint that is gone (its DTLS session
   * closed).
   *
   * @param peer The endpoint.
   * @returns How many observers were removed.
   */
  forgetPeer(peer: PeerId): number {
    let n = 0;
    for (const o of this.#observers.observersFrom(peer)) {
      if (this.#dropObserver(o.key, "closed") !== undefined) n++;
    }
    return n;
  }

  /**
   * Sends a notification to every observer of `path` (RFC 7641 §4.2): the
   * GET handler runs again for each.
   *
   * @param now Current time, ms.
   * @param path The resource path, e.g. "/time".
   * @param peer Only the observers of this endpoint.
   * @returns How many observers are notified.
   */
  notify(now: number, path: string, peer?: PeerId): number {
    this.#lastNow = now;
    const trimmed = path.replace(/^\/+/, "");
    const segments = trimmed === "" ? [] : trimmed.split("/");
    let n = 0;
    for (const o of this.#observers.observersOf(segments)) {
      if (peer !== undefined && o.peer !== peer) continue;
      this.#renotify(now, o, false);
      n++;
    }
    return n;
  }

  #renotify(now: number, o: Observer, probe: boolean): void {
    const request: CoapMessage = {
      type: MessageType.NON,
      code: Code.GET,
      messageId: 0,
      token: o.token,
      options: o.options.filter((x) =>
        x.number !== OptionNumber.OBSERVE && x.number !== OptionNumber.BLOCK2
      ),
      payload: new Uint8Array(),
    };
    const match = this.#router.match("GET", o.path);
    const req = this.#toRequest(o.peer, request, o.identity);
    const context: Context = {
      peer: o.peer,
      request,
      extra: [],
      observer: o,
      mode: "notify",
      probe,
    };
    if (match.kind !== "found") {
      this.#respond(now, context, notFound());
      return;
    }
    this.#invoke(now, context, match.handler, {
      ...req,
      params: match.params,
      notification: true,
    });
  }

  #toRequest(
    peer: PeerId,
    m: CoapMessage,
    identity: unknown,
  ): CoapRequest {
    const contentFormat = uintValue(m.options, OptionNumber.CONTENT_FORMAT);
    const accept = uintValue(m.options, OptionNumber.ACCEPT);
    return {
      method: methodName(m.code) ?? "GET",
      path: stringValues(m.options, OptionNumber.URI_PATH),
      query: stringValues(m.options, OptionNumber.URI_QUERY),
      params: {},
      payload: m.payload,
      options: m.options,
      peer,
      ...(contentFormat === undefined ? {} : { contentFormat }),
      ...(accept === undefined ? {} : { accept }),
      ...(identity === undefined ? {} : { identity }),
    };
  }

  #handleRequest(
    now: number,
    peer: PeerId,
    message: CoapMessage,
    identity: unknown,
  ): void {
    const context: Context = {
      peer,
      request: message,
      extra: [],
      mode: message.type === MessageType.CON ? "piggyback" : "non",
    };
    const problem = criticalOptionProblem(message.options);
    if (problem !== undefined) {
      // RFC 7252 §5.4.1: unrecognized critical option in a CON request →
      // 4.02 Bad Option; in a NON → reject (RST).
      if (message.type === MessageType.NON) {
        this.#layer.reset(peer, message.messageId);
        return;
      }
      this.#respond(now, context, {
        code: Code.BAD_OPTION,
        payload: `${optionName(problem.number)}: ${problem.reason}`,
      });
      return;
    }
    try {
      this.#dispatch(now, context, identity);
    } catch (e) {
      this.#respond(now, context, this.#errorResponse(e));
    }
  }

  #errorResponse(e: unknown): CoapResponse {
    if (e instanceof CoapError) {
      return { code: e.code, payload: e.message };
    }
    this.#events.push({ type: "handler-error", error: e });
    return { code: Code.INTERNAL_SERVER_ERROR };
  }

  #dispatch(now: number, context: Context, identity: unknown): void {
    const { peer, request: message } = context;
    const method = methodName(message.code);
    if (method === undefined) {
      // RFC 7252 §5.8: unknown method → 4.05.
      this.#respond(now, context, { code: Code.METHOD_NOT_ALLOWED });
      return;
    }
    if (
      optionValues(message.options, OptionNumber.PROXY_URI).length > 0 ||
      optionValues(message.options, OptionNumber.PROXY_SCHEME).length > 0
    ) {
      // RFC 7252 §5.7.2: not a proxy.
      this.#respond(now, context, { code: Code.PROXYING_NOT_SUPPORTED });
      return;
    }
    let request = this.#toRequest(peer, message, identity);

    // RFC 7959 §2.5: Block1 reassembly before the handler sees the body.
    const b1 = optionValues(message.options, OptionNumber.BLOCK1)[0];
    const size1 = uintValue(message.options, OptionNumber.SIZE1);
    if (size1 !== undefined && size1 > this.#assembler.maxBodySize) {
      this.#tooLarge(now, context);
      return;
    }
    if (b1 !== undefined) {
      const block = decodeBlock(b1);
      const key = `${peer}#${message.code}#${request.path.join("/")}?${
        request.query.join("&")
      }`;
      let result;
      try {
        result = this.#assembler.add(now, key, {
          block,
          payload: message.payload,
        });
      } catch (e) {
        if (
          e instanceof CoapError && e.code === Code.REQUEST_ENTITY_TOO_LARGE
        ) {
          this.#tooLarge(now, context);
          return;
        }
        throw e;
      }
      if (result.kind === "continue") {
        // RFC 7959 §2.3: 2.31 Continue; a smaller SZX asks the client to
        // use smaller blocks from now on.
        const szx = Math.min(block.szx, this.#szx);
        this.#respond(now, context, {
          code: Code.CONTINUE,
          options: [{
            number: OptionNumber.BLOCK1,
            value: encodeBlock({ num: block.num, more: true, szx }),
          }],
        });
        return;
      }
      context.extra.push({
        number: OptionNumber.BLOCK1,
        value: encodeBlock({ num: block.num, more: false, szx: block.szx }),
      });
      request = { ...request, payload: result.payload };
    }

    const match = this.#router.match(method, request.path);
    switch (match.kind) {
      case "not-found":
        this.#respond(now, context, notFound());
        return;
      case "method-not-allowed":
        this.#respond(now, context, { code: Code.METHOD_NOT_ALLOWED });
        return;
      case "found":
        break;
    }
    let ctx = context;
    const observe = uintValue(message.options, OptionNumber.OBSERVE);
    if (method === "GET" && observe !== undefined) {
      const b2 = optionValues(message.options, OptionNumber.BLOCK2)[0];
      const later = b2 !== undefined && decodeBlock(b2).num > 0;
      if (observe === 1) {
        // RFC 7641 §3.6: GET with Observe 1 deregisters.
        const o = this.#observers.get(peer, message.token);
        if (o !== undefined) this.#dropObserver(o.key, "deregistered");
      } else if (observe === 0 && match.info.obs && !later) {
        const o = this.#observers.register(now, {
          peer,
          token: message.token,
          path: request.path,
          query: request.query,
          options: message.options,
          ...(identity === undefined ? {} : { identity }),
        });
        if (o !== undefined) {
          ctx = { ...context, observer: o };
          this.#events.push({ type: "observer-added", peer, path: o.path });
        }
      }
    }
    this.#invoke(now, ctx, match.handler, { ...request, params: match.params });
  }

  #tooLarge(now: number, context: Context): void {
    // RFC 7959 §2.9.3 and §4: 4.13 with Size1 = the largest body accepted.
    this.#respond(now, context, {
      code: Code.REQUEST_ENTITY_TOO_LARGE,
      options: [uintOption(OptionNumber.SIZE1, this.#assembler.maxBodySize)],
    });
  }

  #invoke(
    now: number,
    context: Context,
    handler: Handler,
    request: CoapRequest,
  ): void {
    let result: CoapResponse | Promise<CoapResponse>;
    try {
      result = handler(request);
    } catch (e) {
      this.#respond(now, context, this.#errorResponse(e));
      return;
    }
    if (!(result instanceof Promise)) {
      this.#respond(now, context, result);
      return;
    }
    const held: Awaiting = { context, deadline: now + this.#separateAfter };
    if (context.mode === "piggyback") {
      if (this.#separateAfter > 0) this.#awaiting.add(held);
      else {
        // RFC 7252 §5.2.2: acknowledge now, send the response separately.
        const r = context.request;
        this.#layer.reply(
          context.peer,
          emptyMessage(MessageType.ACK, r.messageId),
          r.messageId,
        );
        held.context = { ...context, mode: "separate" };
      }
    }
    this.#inFlight++;
    result.then(
      (response) => this.#settle(held, response),
      (e) => this.#settle(held, this.#errorResponse(e)),
    );
  }

  #settle(held: Awaiting, response: CoapResponse): void {
    this.#inFlight--;
    this.#awaiting.delete(held);
    if (this.#settled.length < 4096) {
      this.#settled.push({ context: held.context, response });
    }
    this.#wake?.();
  }

  #respond(now: number, context: Context, response: CoapResponse): void {
    const { request, observer } = context;
    let payload = typeof response.payload === "string"
      ? TEXT.encode(response.payload)
      : response.payload ?? new Uint8Array();
    const options: CoapOption[] = [...context.extra];
    if (response.contentFormat !== undefined) {
      options.push(
        uintOption(OptionNumber.CONTENT_FORMAT, response.contentFormat),
      );
    }
    if (response.maxAge !== undefined) {
      options.push(uintOption(OptionNumber.MAX_AGE, response.maxAge));
    }
    if (response.options !== undefined) options.push(...response.options);

    let confirmable = context.mode === "separate";
    let liveObserver = observer;
    if (observer !== undefined) {
      if (isSuccessCode(response.code)) {
        const { sequence, confirmable: con } = context.mode === "notify"
          ? this.#observers.nextNotification(now, observer, context.probe)
          : { sequence: observer.sequence, confirmable: false };
        options.push(uintOption(OptionNumber.OBSERVE, sequence));
        if (context.mode === "notify") confirmable = con;
      } else {
        // RFC 7641 §3.2: a non-2.xx response ends the observation.
        this.#dropObserver(observer.key, "error");
        liveObserver = undefined;
        if (context.mode === "notify") confirmable = true;
      }
    }

    // RFC 7959 §2.4: Block2, using the client's size when smaller.
    const b2raw = optionValues(request.options, OptionNumber.BLOCK2)[0];
    let b2;
    try {
      b2 = b2raw === undefined ? undefined : decodeBlock(b2raw);
    } catch {
      b2 = undefined;
    }
    if (
      isResponseCode(response.code) &&
      (b2 !== undefined || payload.length > blockSize(this.#szx))
    ) {
      const szx = Math.min(b2?.szx ?? this.#szx, this.#szx);
      const num = b2 === undefined
        ? 0
        : Math.floor(b2.num * blockSize(b2.szx) / blockSize(szx));
      const total = payload.length;
      try {
        const slice = sliceBlock(payload, num, szx);
        if (optionValues(options, OptionNumber.ETAG).length === 0) {
          // RFC 7959 §2.4: an ETag on every block lets the client see that
          // the representation changed between two block requests.
          options.push({ number: OptionNumber.ETAG, value: etagOf(payload) });
        }
        payload = slice.payload;
        options.push({
          number: OptionNumber.BLOCK2,
          value: encodeBlock({ num, more: slice.more, szx }),
        });
        if (num === 0 && slice.more) {
          options.push(uintOption(OptionNumber.SIZE2, total));
        }
      } catch (e) {
        if (!(e instanceof CoapError)) throw e;
        payload = TEXT.encode(e.message);
        this.#send(now, context, {
          code: e.code,
          options: [],
          payload,
          confirmable,
        }, undefined);
        return;
      }
    }
    this.#send(
      now,
      context,
      { code: response.code, options, payload, confirmable },
      liveObserver,
    );
  }

  #send(
    now: number,
    context: Context,
    out: {
      code: number;
      options: CoapOption[];
      payload: Uint8Array;
      confirmable: boolean;
    },
    observer: Observer | undefined,
  ): void {
    const { request, peer } = context;
    const body = {
      code: out.code,
      token: request.token,
      options: out.options,
      payload: out.payload,
    };
    switch (context.mode) {
      case "piggyback":
        // RFC 7252 §5.2.1: the response rides in the ACK, same message ID.
        this.#layer.reply(
          peer,
          { ...body, type: MessageType.ACK, messageId: request.messageId },
          request.messageId,
        );
        return;
      case "non":
        this.#layer.sendNonConfirmable(now, peer, body, { kind: "response" });
        return;
      case "separate":
        this.#layer.sendConfirmable(now, peer, body, { kind: "response" });
        return;
      case "notify": {
        const tag: Tag = observer === undefined
          ? { kind: "response" }
          : { kind: "notification", key: observer.key };
        if (out.confirmable) {
          // RFC 7641 §4.5.2: a newer CON notification replaces one still
          // being retransmitted.
          if (observer !== undefined) {
            this.#layer.cancel(
              now,
              (t) => t.kind === "notification" && t.key === observer.key,
            );
          }
          this.#layer.sendConfirmable(now, peer, body, tag);
        } else {
          this.#layer.sendNonConfirmable(now, peer, body, tag);
        }
        return;
      }
    }
  }

  #dropObserver(key: string, reason: RemovalReason): Observer | undefined {
    const o = this.#observers.remove(key);
    if (o === undefined) return undefined;
    this.#layer.cancel(
      this.#lastNow,
      (t) => t.kind === "notification" && t.key === key,
    );
    this.#events.push({
      type: "observer-removed",
      peer: o.peer,
      path: o.path ?? NO_PATH,
      reason,
    });
    return o;
  }
}
