/**
 * Deno UDP adapters for DTLS (`Deno.listenDatagram`, `"unstable": ["net"]`):
 * a server around {@link DtlsServerEndpoint} and a client around one
 * {@link DtlsAssociation}. They only loop: receive → `handleInput(now)` →
 * drain `pollTransmit()` / `pollEvent()` → re-arm one timer at
 * `nextTimeout()` (STYLE.md "Thin adapters").
 *
 * @example Echo server and client on loopback
 * ```ts
 * import { connectDtls, listenDtls } from "./udp.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(16).fill(1);
 * const server = listenDtls({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   endpoint: { handshake: { psk: () => key } },
 *   onData: (peer, data) => server.send(peer, data),
 * });
 * const client = await connectDtls({
 *   hostname: "127.0.0.1",
 *   port: server.addr.port,
 *   client: { psk: { identity: "d", key } },
 * });
 * await client.send(new TextEncoder().encode("hi"));
 * assert.equal(new TextDecoder().decode((await client.read())!), "hi");
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

import {
  type DtlsEndpointConfig,
  DtlsServerEndpoint,
  type EndpointEvent,
} from "../dtls/endpoint.ts";
import { DtlsAssociation } from "../dtls/association.ts";
import type { PeerAddress } from "../dtls/cookie.ts";
import type {
  ClientHandshakeConfig,
  EstablishedSession,
  PeerIdentity,
} from "../tls/handshake/types.ts";

/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;

/**
 * A receive loop's buffer: `Deno.DatagramConn.receive()` without one
 * allocates (and zeroes) 64 KiB per datagram.
 *
 * @example
 * ```ts
 * import { DatagramReceiver } from "./udp.ts";
 * import assert from "node:assert/strict";
 *
 * const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const rx = new DatagramReceiver(b);
 * await a.send(new Uint8Array([1, 2]), b.addr);
 * const [data, from] = await rx.receive();
 * assert.deepEqual(data, new Uint8Array([1, 2]));
 * assert.equal(from.port, (a.addr as Deno.NetAddr).port);
 * a.close();
 * b.close();
 * ```
 */
export class DatagramReceiver {
  readonly #socket: Deno.DatagramConn;
  readonly #buffer = new Uint8Array(MAX_DATAGRAM);

  /** @param socket A UDP socket that only this receiver reads. */
  constructor(socket: Deno.DatagramConn) {
    this.#socket = socket;
  }

  /**
   * The next datagram (a copy the caller may keep) and its sender.
   *
   * @returns The payload and the sender's address.
   */
  async receive(): Promise<[Uint8Array, Deno.NetAddr]> {
    const [view, from] = await this.#socket.receive(this.#buffer);
    return [view.slice(), from as Deno.NetAddr];
  }
}

/**
 * Options of {@link listenDtls}.
 *
 * @example
 * ```ts
 * import type { DtlsListenOptions } from "./udp.ts";
 * const o: DtlsListenOptions = { port: 5684, endpoint: { handshake: { psk: () => undefined } } };
 * ```
 */
export interface DtlsListenOptions {
  /** Bind address; default 0.0.0.0. */
  readonly hostname?: string;
  readonly port: number;
  readonly endpoint: DtlsEndpointConfig;
  /** Application data from an established peer. */
  readonly onData?: (
    peer: PeerAddress,
    data: Uint8Array,
    identity: PeerIdentity | undefined,
  ) => void;
  /** Every endpoint event (established, data, closed). */
  readonly onEvent?: (event: EndpointEvent) => void;
}

/**
 * A running DTLS server.
 *
 * @example
 * ```ts
 * import type { DtlsServer } from "./udp.ts";
 * const servers: DtlsServer[] = [];
 * ```
 */
export interface DtlsServer {
  readonly addr: Deno.NetAddr;
  readonly endpoint: DtlsServerEndpoint;
  /** Sends application data to an established peer. */
  send(peer: PeerAddress, data: Uint8Array): void;
  /** Sends close_notify to one peer and ends its association. */
  closePeer(peer: PeerAddress): void;
  /** Sends close_notify to every peer and closes the socket. */
  close(): Promise<void>;
}

/**
 * Starts a DTLS server on a UDP socket.
 *
 * @param options Address, endpoint configuration and callbacks.
 * @returns The running server.
 * @example
 * ```ts
 * import { listenDtls } from "./udp.ts";
 * import assert from "node:assert/strict";
 *
 * const s = listenDtls({ hostname: "127.0.0.1", port: 0, endpoint: { handshake: { psk: () => undefined } } });
 * assert.ok(s.addr.port > 0);
 * await s.close();
 * ```
 */
export function listenDtls(options: DtlsListenOptions): DtlsServer {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
  });
  const endpoint = new DtlsServerEndpoint(options.endpoint);
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline `timer` is set for. */
  let armedAt = Infinity;
  let closed = false;
  const sweep = endpoint.sweepTarget();
  let nextSweep = Date.now() + sweep.intervalMs;

  function transmit(): void {
    for (let t; (t = endpoint.pollTransmit()) !== undefined;) {
      socket.send(t.bytes, {
        transport: "udp",
        hostname: t.to.hostname,
        port: t.to.port,
      }).catch(() => {});
    }
  }

  /**
   * Sends and dispatches what the endpoint queued. Only `peer`'s
   * association can have moved its deadline: an earlier one re-arms the
   * timer, a later one lets it fire early and re-arm from every association.
   */
  function flush(peer?: PeerAddress): void {
    transmit();
    for (let e; (e = endpoint.pollEvent()) !== undefined;) {
      options.onEvent?.(e);
      if (e.event.kind === "data") {
        options.onData?.(e.peer, e.event.data, e.event.identity);
      }
    }
    // event handlers may have queued replies
    transmit();
    if (peer === undefined) {
      armAt(Math.min(endpoint.nextTimeout() ?? Infinity, nextSweep), true);
    } else {
      armAt(endpoint.association(peer)?.nextTimeout() ?? Infinity, false);
    }
  }

  function armAt(next: number, rearm: boolean): void {
    if (closed || (!rearm && next >= armedAt)) return;
    if (timer !== undefined) clearTimeout(timer);
    armedAt = next;
    timer = setTimeout(() => {
      timer = undefined;
      armedAt = Infinity;
      const now = Date.now();
      if (now >= nextSweep) {
        sweep.sweep(now);
        nextSweep = now + sweep.intervalMs;
      }
      endpoint.handleTimeout(now);
      flush();
    }, Math.max(0, Math.min(next - Date.now(), 2 ** 31 - 1)));
  }

  const loop = (async () => {
    const receiver = new DatagramReceiver(socket);
    try {
      for (;;) {
        const [data, addr] = await receiver.receive();
        const peer = { hostname: addr.hostname, port: addr.port };
        endpoint.handleInput(Date.now(), data, peer).then(() => flush(peer));
      }
    } catch {
      // socket closed
    }
  })();
  flush();

  return {
    addr: socket.addr as Deno.NetAddr,
    endpoint,
    send(peer, data) {
      endpoint.send(peer, data);
      flush(peer);
    },
    closePeer(peer) {
      if (closed) return;
      endpoint.close(peer);
      flush(peer);
    },
    async close() {
      if (closed) return;
      endpoint.closeAll();
      flush();
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      socket.close();
      await loop;
    },
  };
}

/**
 * Options of {@link connectDtls}.
 *
 * @example
 * ```ts
 * import type { DtlsConnectOptions } from "./udp.ts";
 * const o: DtlsConnectOptions = { hostname: "127.0.0.1", port: 5684, client: { psk: { identity: "d", key: new Uint8Array(16) } } };
 * ```
 */
export interface DtlsConnectOptions {
  readonly hostname: string;
  readonly port: number;
  readonly client: ClientHandshakeConfig;
  readonly mtu?: number;
  /** Give up the handshake after this many ms; default 30 000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Offer RFC 9146 connection IDs: the CID this client wants to receive,
   * usually empty (it sends the server's CID and may then change address,
   * see {@link DtlsClientConnection.rebind}).
   */
  readonly connectionId?: Uint8Array;
}

/**
 * A DTLS client connection.
 *
 * @example
 * ```ts
 * import type { DtlsClientConnection } from "./udp.ts";
 * const conns: DtlsClientConnection[] = [];
 * ```
 */
export interface DtlsClientConnection {
  readonly session: EstablishedSession;
  /** The local UDP port now in use. */
  readonly localPort: number;
  /**
   * Moves to a new local UDP port, as a NAT rebinding would, keeping the
   * association: the server follows when connection IDs were negotiated.
   */
  rebind(): void;
  send(data: Uint8Array): Promise<void>;
  /** The next application data, or `null` once closed. */
  read(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/**
 * Connects to a DTLS server and completes the handshake.
 *
 * @param options Server address and client credentials.
 * @returns The established connection.
 * @example
 * ```ts
 * import { connectDtls } from "./udp.ts";
 * import assert from "node:assert/strict";
 *
 * // nobody listens on this port: the handshake times out
 * await assert.rejects(connectDtls({ hostname: "127.0.0.1", port: 9, client: { psk: { identity: "d", key: new Uint8Array(16) } }, handshakeTimeoutMs: 300 }));
 * ```
 */
export async function connectDtls(
  options: DtlsConnectOptions,
): Promise<DtlsClientConnection> {
  const bind = () =>
    Deno.listenDatagram({
      transport: "udp",
      hostname: options.hostname.includes(":") ? "::" : "0.0.0.0",
      port: 0,
    });
  let socket = bind();
  const remote: Deno.NetAddr = {
    transport: "udp",
    hostname: options.hostname,
    port: options.port,
  };
  const assoc = new DtlsAssociation({
    role: "client",
    client: options.client,
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    ...(options.connectionId === undefined
      ? {}
      : { connectionId: options.connectionId }),
  });
  const inbox: (Uint8Array | null)[] = [];
  const waiters: ((v: Uint8Array | null) => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  let settle: ((err?: Error) => void) | undefined;
  const established = new Promise<void>((resolve, reject) => {
    settle = (err) => err === undefined ? resolve() : reject(err);
  });

  function deliver(v: Uint8Array | null): void {
    const w = waiters.shift();
    if (w !== undefined) w(v);
    else inbox.push(v);
  }

  function flush(): void {
    for (let d; (d = assoc.pollTransmit()) !== undefined;) {
      socket.send(d, remote).catch(() => {});
    }
    for (let e; (e = assoc.pollEvent()) !== undefined;) {
      switch (e.kind) {
        case "established":
          settle?.();
          break;
        case "data":
          deliver(e.data);
          break;
        case "closed":
          settle?.(new Error(`DTLS association closed: ${e.reason}`));
          shutdown();
          break;
      }
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const next = assoc.nextTimeout();
    if (next !== undefined && !done) {
      timer = setTimeout(() => {
        assoc.handleTimeout(Date.now());
        flush();
      }, Math.max(0, next - Date.now()));
    }
  }

  function shutdown(): void {
    if (done) return;
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    try {
      socket.close();
    } catch {
      // already closed
    }
    deliver(null);
    while (waiters.length > 0) deliver(null);
  }

  const receive = async (own: Deno.DatagramConn) => {
    const receiver = new DatagramReceiver(own);
    try {
      for (;;) {
        const [data] = await receiver.receive();
        await assoc.handleInput(Date.now(), data);
        flush();
      }
    } catch {
      // socket closed
    }
  };
  const loops = [receive(socket)];
  const loop = () => Promise.all(loops);
  const limit = setTimeout(() => {
    settle?.(new Error("DTLS handshake timed out"));
    shutdown();
  }, options.handshakeTimeoutMs ?? 30_000);
  assoc.start(Date.now());
  flush();
  try {
    await established;
  } catch (err) {
    shutdown();
    await loop();
    throw err;
  } finally {
    clearTimeout(limit);
  }
  settle = undefined;
  return {
    session: assoc.session!,
    get localPort() {
      return (socket.addr as Deno.NetAddr).port;
    },
    rebind() {
      if (done) return;
      const old = socket;
      socket = bind();
      loops.push(receive(socket));
      old.close();
    },
    send(data) {
      assoc.send(data);
      flush();
      return Promise.resolve();
    },
    read() {
      const v = inbox.shift();
      if (v !== undefined) return Promise.resolve(v);
      if (done) return Promise.resolve(null);
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      if (!done) {
        assoc.close();
        flush();
      }
      shutdown();
      await loop();
    },
  };
}
