/**
 * In-memory harness for the broker core: clients that encode packets with
 * the codec, a virtual clock, and output routed back to each client's
 * decoder.
 *
 * @module
 */

import { Broker } from "../../../src/mqtt/broker/mod.ts";
import type {
  BrokerEvent,
  BrokerOptions,
} from "../../../src/mqtt/broker/mod.ts";
import {
  type ConnectPacket,
  encodePacket,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
  type PublishPacket,
} from "../../../src/mqtt/mod.ts";

export class TestClient {
  readonly id: number;
  readonly version: MqttVersion;
  readonly decoder: MqttStreamDecoder;
  received: Packet[] = [];
  closed = false;
  readonly harness: Harness;

  constructor(harness: Harness, id: number, version: MqttVersion) {
    this.harness = harness;
    this.id = id;
    this.version = version;
    this.decoder = new MqttStreamDecoder({ version, expectConnect: false });
  }

  send(packet: Packet): void {
    this.harness.broker.handleInput(
      this.harness.now,
      this.id,
      encodePacket(packet, this.version),
    );
    this.harness.flush();
  }

  raw(bytes: Uint8Array): void {
    this.harness.broker.handleInput(this.harness.now, this.id, bytes);
    this.harness.flush();
  }

  publish(
    topic: string,
    payload: string,
    options: Partial<PublishPacket> = {},
  ): void {
    const qos = options.qos ?? 0;
    const p: PublishPacket = {
      type: "publish",
      topic,
      payload: new TextEncoder().encode(payload),
      qos,
      retain: options.retain ?? false,
      dup: options.dup ?? false,
    };
    if (qos > 0) p.packetId = options.packetId ?? this.harness.nextPid++;
    if (options.properties !== undefined) p.properties = options.properties;
    this.send(p);
  }

  subscribe(
    topicFilter: string,
    options: Partial<
      import("../../../src/mqtt/mod.ts").Subscription & {
        id: number;
      }
    > = {},
  ): void {
    const { id, ...rest } = options;
    this.send({
      type: "subscribe",
      packetId: this.harness.nextPid++,
      subscriptions: [{ topicFilter, qos: 0, ...rest }],
      ...(id !== undefined
        ? { properties: { subscriptionIdentifiers: [id] } }
        : {}),
    });
  }

  /** Takes and clears what the client received. */
  take(): Packet[] {
    const r = this.received;
    this.received = [];
    return r;
  }

  publishes(): PublishPacket[] {
    return this.take().filter((p): p is PublishPacket => p.type === "publish");
  }

  /** Drops the transport abruptly. */
  drop(): void {
    this.closed = true;
    this.harness.broker.connectionClosed(this.harness.now, this.id, "reset");
    this.harness.flush();
  }
}

export class Harness {
  readonly broker: Broker;
  now = 0;
  nextPid = 1;
  events: BrokerEvent[] = [];
  readonly clients = new Map<number, TestClient>();

  constructor(options: BrokerOptions = {}) {
    this.broker = new Broker({ sysInterval: 0, ...options });
  }

  open(version: MqttVersion = 4): TestClient {
    const id = this.broker.openConnection(this.now, {
      remoteAddress: "127.0.0.1",
      transport: "tcp",
    });
    const c = new TestClient(this, id, version);
    this.clients.set(id, c);
    return c;
  }

  connect(
    clientId: string,
    options: Partial<ConnectPacket> & { version?: MqttVersion } = {},
  ): TestClient {
    const version = options.version ?? 4;
    const c = this.open(version);
    const { version: _v, ...rest } = options;
    c.send({
      type: "connect",
      protocolVersion: version,
      clean: true,
      keepAlive: 0,
      clientId,
      ...rest,
    });
    return c;
  }

  /** Routes output and events; closes connections the broker asked to close. */
  flush(): void {
    for (;;) {
      let progress = false;
      for (
        let t = this.broker.pollTransmit();
        t;
        t = this.broker.pollTransmit()
      ) {
        progress = true;
        const c = this.clients.get(t.connection);
        if (c === undefined || c.closed) continue;
        c.decoder.push(t.bytes);
        for (const p of c.decoder) c.received.push(p);
      }
      for (let e = this.broker.pollEvent(); e; e = this.broker.pollEvent()) {
        progress = true;
        this.events.push(e);
        if (e.kind === "close") {
          const c = this.clients.get(e.connection);
          if (c !== undefined && !c.closed) {
            c.closed = true;
            this.broker.connectionClosed(this.now, e.connection, "server");
          }
        }
      }
      if (!progress) return;
    }
  }

  /** Moves the clock, running timers and sweeps at their deadlines. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const { keepAlive, sessionExpiry } = this.broker.sweepDeadlines();
      const next = Math.min(
        this.broker.nextTimeout() ?? Infinity,
        keepAlive ?? Infinity,
        sessionExpiry ?? Infinity,
      );
      if (next > end) break;
      this.now = Math.max(this.now, next);
      this.#tick();
    }
    this.now = end;
    this.#tick();
  }

  #tick(): void {
    this.broker.handleTimeout(this.now);
    this.broker.sweepKeepAlive(this.now);
    this.broker.sweepSessions(this.now);
    this.flush();
  }

  takeEvents(): BrokerEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }
}

export function text(p: Uint8Array): string {
  return new TextDecoder().decode(p);
}
