/**
 * Interop with MQTT.js (`npm:mqtt`) against postern started in-process:
 * TCP, TLS, WebSocket and secure WebSocket; QoS 2 exactly once across a
 * subscriber reconnect; a persistent session and a retained message across
 * a broker restart (Deno KV store in a temporary directory); the will of a
 * client that drops; and a subscriber that stops reading, which must not
 * stall another one nor grow the broker's memory.
 */
import assert from "node:assert/strict";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import {
  encodePacket,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { defaultListener } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { MqttService } from "../../src/net/mqtt_service.ts";
import { serveStreamListener } from "../../src/net/stream_listener.ts";
import {
  delay,
  startTestServer,
  type TestServer,
  waitFor,
} from "../net/_support.ts";

const td = new TextDecoder();

function text(payload: Uint8Array): string {
  return td.decode(new Uint8Array(payload));
}

function urlFor(ts: TestServer, family: "tcp" | "ssl" | "ws" | "wss"): string {
  switch (family) {
    case "tcp":
      return `mqtt://127.0.0.1:${ts.port("tcp")}`;
    case "ssl":
      return `mqtts://localhost:${ts.port("ssl")}`;
    case "ws":
      return `ws://127.0.0.1:${ts.port("ws")}/mqtt`;
    case "wss":
      return `wss://localhost:${ts.port("wss")}/mqtt`;
  }
}

async function connect(
  url: string,
  options: IClientOptions & { ca?: string } = {},
): Promise<MqttClient> {
  return await mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}

/** Collects messages of a client as [topic, text]. */
function collect(client: MqttClient): [string, string][] {
  const got: [string, string][] = [];
  client.on("message", (topic, payload) => got.push([topic, text(payload)]));
  return got;
}

/** Connects with a message collector attached before CONNACK arrives. */
async function open(
  url: string,
  options: IClientOptions & { ca?: string } = {},
): Promise<{ client: MqttClient; got: [string, string][] }> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  const got = collect(client);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return { client, got };
}

const mqttjs = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "MQTT.js over TCP, TLS, WS and WSS reaches one broker",
  ...mqttjs,
  async fn() {
    const ts = await startTestServer(["tcp", "ssl", "ws", "wss"]);
    const clients: MqttClient[] = [];
    try {
      const ca = await Deno.readTextFile(`${ts.certs}/ca.pem`);
      const families = ["tcp", "ssl", "ws", "wss"] as const;
      const subs = await Promise.all(
        families.map((f) =>
          connect(urlFor(ts, f), { ca, clientId: `sub-${f}` })
        ),
      );
      clients.push(...subs);
      const inboxes = subs.map(collect);
      for (const s of subs) await s.subscribeAsync("x/#", { qos: 1 });
      for (const f of families) {
        const pub = await connect(urlFor(ts, f), { ca, protocolVersion: 5 });
        clients.push(pub);
        await pub.publishAsync(`x/${f}`, `from ${f}`, { qos: 1 });
      }
      await waitFor(
        () => inboxes.every((i) => i.length === 4),
        5000,
        "fan-out",
      );
      for (const inbox of inboxes) {
        assert.deepEqual(
          inbox.map(([t]) => t).sort(),
          ["x/ssl", "x/tcp", "x/ws", "x/wss"],
        );
      }
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "MQTT.js QoS 2 is delivered exactly once across a subscriber reconnect",
  ...mqttjs,
  async fn() {
    const ts = await startTestServer(["tcp"]);
    const url = urlFor(ts, "tcp");
    try {
      const first = await connect(url, { clientId: "q2-sub", clean: false });
      await first.subscribeAsync("q2/#", { qos: 2 });
      const got1 = collect(first);
      const pub = await connect(url, { clientId: "q2-pub" });
      for (let i = 0; i < 5; i++) {
        await pub.publishAsync("q2/a", `m${i}`, { qos: 2 });
      }
      await waitFor(() => got1.length === 5, 5000, "online delivery");
      await first.endAsync();
      // Offline: the session queues.
      for (let i = 5; i < 10; i++) {
        await pub.publishAsync("q2/a", `m${i}`, { qos: 2 });
      }
      const { client: second, got: got2 } = await open(url, {
        clientId: "q2-sub",
        clean: false,
      });
      await waitFor(() => got2.length >= 5, 5000, "queued delivery");
      await delay(200);
      await second.endAsync();
      const { client: third, got: got3 } = await open(url, {
        clientId: "q2-sub",
        clean: false,
      });
      await delay(300);
      await third.endAsync();
      await pub.endAsync();
      const all = [...got1, ...got2, ...got3].map(([, m]) => m);
      assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => `m${i}`));
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "MQTT.js persistent session and retained message survive a broker restart",
  ...mqttjs,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "postern-restart-" });
    try {
      let ts = await startTestServer(["tcp"], { dataDir });
      const sub = await connect(urlFor(ts, "tcp"), {
        clientId: "keeper",
        clean: false,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 3600 },
      });
      await sub.subscribeAsync("keep/#", { qos: 1 });
      await sub.endAsync();
      const pub = await connect(urlFor(ts, "tcp"), { clientId: "p" });
      await pub.publishAsync("keep/queued", "for keeper", { qos: 1 });
      await pub.publishAsync("state/door", "open", { qos: 1, retain: true });
      await pub.endAsync();
      await ts.close();

      ts = await startTestServer(["tcp"], { dataDir });
      try {
        const { client: back, got } = await open(urlFor(ts, "tcp"), {
          clientId: "keeper",
          clean: false,
          protocolVersion: 5,
          properties: { sessionExpiryInterval: 3600 },
        });
        await waitFor(() => got.length === 1, 5000, "queued message");
        assert.deepEqual(got, [["keep/queued", "for keeper"]]);
        const fresh = await connect(urlFor(ts, "tcp"), { clientId: "fresh" });
        const seen = collect(fresh);
        await fresh.subscribeAsync("state/#", { qos: 1 });
        await waitFor(() => seen.length === 1, 5000, "retained message");
        assert.deepEqual(seen, [["state/door", "open"]]);
        await back.endAsync();
        await fresh.endAsync();
      } finally {
        await ts.close();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "MQTT.js will is published when a client's connection drops",
  ...mqttjs,
  async fn() {
    const ts = await startTestServer(["tcp"]);
    try {
      const url = urlFor(ts, "tcp");
      const watcher = await connect(url, { clientId: "watcher" });
      const got = collect(watcher);
      await watcher.subscribeAsync("wills/#", { qos: 1 });
      const doomed = await connect(url, {
        clientId: "doomed",
        will: { topic: "wills/doomed", payload: "gone", qos: 1, retain: false },
      });
      doomed.stream.destroy();
      await waitFor(() => got.length === 1, 5000, "will");
      assert.deepEqual(got, [["wills/doomed", "gone"]]);
      doomed.end(true);
      await watcher.endAsync();
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});

async function rawClient(
  port: number,
  packets: Packet[],
  version: MqttVersion = 4,
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  for (const p of packets) await conn.write(encodePacket(p, version));
  return conn;
}

Deno.test({
  name:
    "a subscriber that stops reading stalls no one and the broker's memory stays bounded",
  ...mqttjs,
  async fn() {
    const logger = new Logger({ sink: () => {} });
    const service = await MqttService.start(logger, {
      broker: { sysInterval: 0 },
    });
    const listener = serveStreamListener(
      Deno.listen({ hostname: "127.0.0.1", port: 0 }),
      { ...defaultListener("tcp", "default"), host: "127.0.0.1", port: 0 },
      { driver: service.driver, transport: "tcp", logger },
    );
    const port = listener.address.port;
    const COUNT = 20_000;
    const payload = new Uint8Array(1024).fill(0x61);
    try {
      const slow = await rawClient(port, [
        {
          type: "connect",
          protocolVersion: 4,
          clean: true,
          keepAlive: 0,
          clientId: "slow",
        },
        {
          type: "subscribe",
          packetId: 1,
          subscriptions: [{ topicFilter: "load/#", qos: 0 }],
        },
      ]);
      const fast = await connect(`mqtt://127.0.0.1:${port}`, {
        clientId: "fast",
      });
      let received = 0;
      fast.on("message", () => received++);
      await fast.subscribeAsync("load/#", { qos: 0 });
      await waitFor(
        () => service.broker.connectedClients === 2,
        5000,
        "slow client",
      );

      const pub = await rawClient(port, [
        {
          type: "connect",
          protocolVersion: 4,
          clean: true,
          keepAlive: 0,
          clientId: "pub",
        },
      ]);
      const started = Date.now();
      const frame = encodePacket(
        {
          type: "publish",
          topic: "load/x",
          payload,
          qos: 0,
          retain: false,
          dup: false,
        },
        4,
      );
      const batch = new Uint8Array(frame.length * 100);
      for (let i = 0; i < 100; i++) batch.set(frame, i * frame.length);
      let peakQueued = 0;
      for (let sent = 0; sent < COUNT; sent += 100) {
        let off = 0;
        while (off < batch.length) off += await pub.write(batch.subarray(off));
        peakQueued = Math.max(peakQueued, service.driver.queuedBytes);
        // The publisher keeps at most 2000 messages ahead of the fast
        // subscriber: if the slow one stalled delivery, this would time out.
        await waitFor(
          () => received >= sent - 2000,
          5000,
          `fast subscriber at ${sent}`,
        );
      }
      await waitFor(() => received === COUNT, 10_000, "fast subscriber");
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 30_000, `fast subscriber took ${elapsed} ms`);
      // The slow socket holds at most the high watermark plus one batch in
      // the driver, and the core's per-session queue is capped.
      assert.ok(
        peakQueued < 4 * 1024 * 1024,
        `driver queued ${peakQueued} bytes`,
      );
      assert.ok(
        service.broker.stats.publishDropped > 0,
        "slow subscriber's QoS 0 dropped",
      );
      await fast.endAsync();
      slow.close();
      pub.close();
    } finally {
      await listener.close();
      await service.close();
    }
  },
});
