/**
 * The broker's per-connection state: the stream decoder, where the
 * connection stands in its lifecycle, what the client announced in CONNECT
 * (5.0 Receive Maximum, Maximum Packet Size, Topic Alias Maximum), keep-alive
 * bookkeeping, and the output waiting for `pollTransmit`.
 *
 * ```
 *  awaiting_connect ──CONNECT──► authenticating ──ok──► open ──► closed
 *          │                          │ refused               ▲
 *          └──────────────────────────┴───────────────────────┘
 * ```
 *
 * @module
 */

import type { ConnectPacket, MqttVersion } from "../packet/types.ts";
import { MqttStreamDecoder } from "../packet/stream_decoder.ts";
import type { PeerIdentity, Transport } from "./auth_hooks.ts";
import type { Session } from "./session.ts";

/** Identifier of a connection, from `Broker.openConnection`. */
export type ConnectionId = number;

/** What the adapter knows about a new connection. */
export interface ConnectionInfo {
  /** Peer address, for logs and `authenticate`. */
  remoteAddress: string;
  /** The transport. */
  transport: Transport;
  /** Identity established by the transport (TLS client certificate). */
  identity?: PeerIdentity;
}

/** Lifecycle state of a connection. */
export type ConnectionState =
  | "awaiting_connect"
  | "authenticating"
  | "open"
  | "closed";

/**
 * One network connection as the broker sees it.
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new Connection(1, { remoteAddress: "127.0.0.1", transport: "tcp" }, { maximumPacketSize: 1024, now: 0 });
 * assert.equal(c.state, "awaiting_connect");
 * assert.equal(c.outBytes, 0);
 * ```
 */
export class Connection {
  /** Connection identifier. */
  readonly id: ConnectionId;
  /** Adapter-supplied facts. */
  readonly info: ConnectionInfo;
  /** Stream decoder (CONNECT first, no second CONNECT). */
  readonly decoder: MqttStreamDecoder;
  /** Lifecycle state. */
  state: ConnectionState = "awaiting_connect";
  /** Protocol level, from CONNECT (4 until then). */
  version: MqttVersion = 4;
  /** Client identifier, once CONNECT is accepted. */
  clientId = "";
  /** Authorization subject returned by `authenticate`. */
  subject: string | undefined;
  /** The attached session. */
  session: Session | undefined;
  /** CONNECT waiting for an asynchronous `authenticate`. */
  pendingConnect: ConnectPacket | undefined;
  /** Keep alive in ms (0: off). */
  keepAliveMs = 0;
  /** Time of the last input, for keep-alive. */
  lastInputAt: number;
  /** Encoded packets waiting for `pollTransmit`. */
  out: Uint8Array[] = [];
  /** Total bytes in `out`. */
  outBytes = 0;
  /** Whether the connection is in the broker's transmit list. */
  queuedForTransmit = false;
  /** Whether the adapter's socket accepts more data. */
  writable = true;
  /** Client's Maximum Packet Size [MQTT-3.1.2-24]. */
  clientMaximumPacketSize = 268_435_460;
  /** Client's Receive Maximum (outgoing QoS 1/2 window) [MQTT-3.3.4-7]. */
  clientReceiveMaximum = 65535;
  /** Inbound topic aliases (5.0 §3.3.2.3.4). */
  topicAliases: Map<number, string> | undefined;
  /** Session Expiry Interval in force for this connection, seconds. */
  sessionExpiryInterval = 0;
  /** 5.0 Request Problem Information. */
  requestProblemInformation = true;

  /**
   * @param id Connection identifier.
   * @param info Adapter-supplied facts.
   * @param options Our Maximum Packet Size and the current time.
   */
  constructor(
    id: ConnectionId,
    info: ConnectionInfo,
    options: { maximumPacketSize: number; now: number },
  ) {
    this.id = id;
    this.info = info;
    this.decoder = new MqttStreamDecoder({
      maximumPacketSize: options.maximumPacketSize,
    });
    this.lastInputAt = options.now;
  }
}
