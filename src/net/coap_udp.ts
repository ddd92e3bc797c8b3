/**
 * Plain-UDP CoAP adapters (RFC 7252 §6.1, port 5683) over
 * `Deno.listenDatagram`: the loop of STYLE.md — receive, hand to the core
 * with `Date.now()`, drain `pollTransmit()`, re-arm one timer at
 * `nextTimeout()`.
 *
 * @module
 */

import { CoapServer, type CoapServerOptions } from "../coap/server.ts";
import type { Router } from "../coap/router.ts";
import {
  type ClientEvent,
  type ClientRequest,
  type ClientResponse,
  CoapClient,
} from "../coap/client.ts";
import type { TransmissionOptions } from "../coap/message_layer.ts";
import { DatagramReceiver } from "./udp.ts";

function peerKey(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

function parsePeer(peer: string): Deno.NetAddr {
  const i = peer.lastIndexOf(":");
  const host = peer.slice(0, i).replace(/^\[|\]$/g, "");
  return { transport: "udp", hostname: host, port: Number(peer.slice(i + 1)) };
}

interface Core {
  pollTransmit(): { bytes: Uint8Array; to: string } | undefined;
  nextTimeout(): number | undefined;
  handleTimeout(now: number): void;
}

/** Sends a core's datagrams and runs its one timer. */
class Pump {
  readonly #send: (bytes: Uint8Array, to: string) => void;
  readonly #core: Core;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt: number | undefined;
  #closed = false;

  constructor(send: (bytes: Uint8Array, to: string) => void, core: Core) {
    this.#send = send;
    this.#core = core;
  }

  flush(): void {
    if (this.#closed) return;
    for (let o = this.#core.pollTransmit(); o; o = this.#core.pollTransmit()) {
      this.#send(o.bytes, o.to);
    }
    this.#arm();
  }

  #arm(): void {
    const at = this.#core.nextTimeout();
    if (at === this.#armedAt && this.#timer !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = at;
    if (at === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedAt = undefined;
      this.#core.handleTimeout(Date.now());
      this.flush();
    }, Math.max(0, at - Date.now()));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A running plain-UDP CoAP server.
 *
 * @example
 * ```ts
 * import { serveCoapUdp } from "./coap_udp.ts";
 * import { Router } from "../coap/router.ts";
 * import assert from "node:assert/strict";
 *
 * const s = serveCoapUdp(new Router(), { hostname: "127.0.0.1", port: 0 });
 * assert.ok(s.port > 0);
 * await s.close();
 * ```
 */
export interface CoapUdpServer {
  /** The bound port. */
  readonly port: number;
  /** The sans-IO core (for `notify`). */
  readonly core: CoapServer;
  /** Notifies observers of `path` (at `peer` only, if given) now. */
  notify(path: string, peer?: string): number;
  /** Sends what the core queued outside a request (after a sweep). */
  flush(): void;
  /** Stops receiving and closes the socket. */
  close(): Promise<void>;
}

/**
 * Serves a router over plain UDP.
 *
 * @param router The routes.
 * @param options Bind address and server options.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { serveCoapUdp } from "./coap_udp.ts";
 * import { Router } from "../coap/router.ts";
 * import assert from "node:assert/strict";
 *
 * const s = serveCoapUdp(new Router(), { hostname: "127.0.0.1", port: 0 });
 * assert.equal(s.core.observerCount, 0);
 * await s.close();
 * ```
 */
export function serveCoapUdp(
  router: Router,
  options: { hostname?: string; port?: number; server?: CoapServerOptions } =
    {},
): CoapUdpServer {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port ?? 5683,
  });
  const ref: { pump?: Pump } = {};
  const core = new CoapServer(router, {
    ...options.server,
    wake: () => queueMicrotask(() => ref.pump?.flush()),
  });
  const p = new Pump(
    (bytes, to) => socket.send(bytes, parsePeer(to)).catch(() => {}),
    core,
  );
  ref.pump = p;
  const loop = (async () => {
    const receiver = new DatagramReceiver(socket);
    try {
      for (;;) {
        const [bytes, addr] = await receiver.receive();
        core.handleDatagram(Date.now(), bytes, peerKey(addr));
        p.flush();
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    core,
    notify(path: string, peer?: string): number {
      const n = core.notify(Date.now(), path, peer);
      p.flush();
      return n;
    },
    flush(): void {
      p.flush();
    },
    async close(): Promise<void> {
      p.close();
      try {
        socket.close();
      } catch {
        // already closed
      }
      await loop;
    },
  };
}

/**
 * The request/response bookkeeping of a {@link CoapClient} over any
 * datagram transport: promises for responses, callbacks for
 * notifications, and the retransmission timer. The transport hands
 * received datagrams to {@link CoapClientDriver.receive}.
 *
 * @example Over a transport that never answers
 * ```ts
 * import { CoapClientDriver } from "./coap_udp.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: Uint8Array[] = [];
 * const driver = new CoapClientDriver((bytes) => sent.push(bytes), { ackTimeout: 10, maxRetransmit: 0 });
 * await assert.rejects(driver.request("server", { method: "GET", path: "/x" }));
 * assert.equal(sent.length, 1);
 * driver.close();
 * ```
 */
export class CoapClientDriver {
  readonly #core: CoapClient;
  readonly #pump: Pump;
  readonly #waiters = new Map<
    number,
    { resolve: (r: ClientResponse) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Map<number, (r: ClientResponse) => void>();

  /**
   * @param send Sends one datagram to a peer.
   * @param transmission Message-layer parameters.
   */
  constructor(
    send: (bytes: Uint8Array, to: string) => void,
    transmission?: TransmissionOptions,
  ) {
    this.#core = new CoapClient(transmission ? { transmission } : {});
    this.#pump = new Pump(send, {
      pollTransmit: () => this.#core.pollTransmit(),
      nextTimeout: () => this.#core.nextTimeout(),
      handleTimeout: (now) => {
        this.#core.handleTimeout(now);
        this.#drain();
      },
    });
  }

  /**
   * Handles a received datagram.
   *
   * @param bytes The datagram.
   * @param from The peer it came from.
   */
  receive(bytes: Uint8Array, from: string): void {
    this.#core.handleDatagram(Date.now(), bytes, from);
    this.#drain();
    this.#pump.flush();
  }

  /**
   * Sends a request and resolves with the (reassembled) response.
   *
   * @param server The peer.
   * @param request The request.
   * @param onNotification Called for each notification of an observation.
   * @returns The first response and the exchange ID.
   */
  request(
    server: string,
    request: ClientRequest,
    onNotification?: (r: ClientResponse) => void,
  ): Promise<ClientResponse & { id: number }> {
    const id = this.#core.request(Date.now(), server, request);
    if (onNotification) this.#listeners.set(id, onNotification);
    const p = new Promise<ClientResponse & { id: number }>((resolve, reject) =>
      this.#waiters.set(id, {
        resolve: (r) => resolve({ ...r, id }),
        reject,
      })
    );
    this.#pump.flush();
    return p;
  }

  /**
   * Ends an observation (GET with Observe 1).
   *
   * @param id The exchange ID from {@link CoapClientDriver.request}.
   */
  cancelObserve(id: number): void {
    this.#listeners.delete(id);
    this.#core.cancelObserve(Date.now(), id);
    this.#pump.flush();
  }

  /** Stops the timer; pending requests stay unanswered. */
  close(): void {
    this.#pump.close();
  }

  #drain(): void {
    for (let e = this.#core.pollEvent(); e; e = this.#core.pollEvent()) {
      this.#dispatch(e);
    }
  }

  #dispatch(e: ClientEvent): void {
    switch (e.type) {
      case "response": {
        this.#waiters.get(e.id)?.resolve(e.response);
        this.#waiters.delete(e.id);
        return;
      }
      case "notification":
        this.#listeners.get(e.id)?.(e.response);
        return;
      case "error":
        this.#listeners.delete(e.id);
        this.#waiters.get(e.id)?.reject(e.error);
        this.#waiters.delete(e.id);
        return;
    }
  }
}

/**
 * A plain-UDP CoAP client bound to an ephemeral port.
 *
 * @example
 * ```ts
 * import { CoapUdpClient } from "./coap_udp.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new CoapUdpClient();
 * assert.equal(typeof c.request, "function");
 * await c.close();
 * ```
 */
export class CoapUdpClient {
  readonly #socket: Deno.DatagramConn;
  readonly #driver: CoapClientDriver;
  readonly #loop: Promise<void>;

  /** @param options Message-layer parameters and bind address. */
  constructor(
    options: { transmission?: TransmissionOptions; hostname?: string } = {},
  ) {
    const socket = Deno.listenDatagram({
      transport: "udp",
      hostname: options.hostname ?? "127.0.0.1",
      port: 0,
    });
    this.#socket = socket;
    const driver = new CoapClientDriver(
      (bytes, to) => socket.send(bytes, parsePeer(to)).catch(() => {}),
      options.transmission,
    );
    this.#driver = driver;
    this.#loop = (async () => {
      const receiver = new DatagramReceiver(socket);
      try {
        for (;;) {
          const [bytes, addr] = await receiver.receive();
          driver.receive(bytes, peerKey(addr));
        }
      } catch {
        // closed
      }
    })();
  }

  /**
   * Sends a request and resolves with the (reassembled) response.
   *
   * @param server "host:port".
   * @param request The request.
   * @param onNotification Called for each notification of an observation.
   * @returns The first response and the exchange ID.
   */
  request(
    server: string,
    request: ClientRequest,
    onNotification?: (r: ClientResponse) => void,
  ): Promise<ClientResponse & { id: number }> {
    return this.#driver.request(server, request, onNotification);
  }

  /**
   * Ends an observation (GET with Observe 1).
   *
   * @param id The exchange ID from {@link CoapUdpClient.request}.
   */
  cancelObserve(id: number): void {
    this.#driver.cancelObserve(id);
  }

  /** Closes the socket. */
  async close(): Promise<void> {
    this.#driver.close();
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
    await this.#loop;
  }
}
