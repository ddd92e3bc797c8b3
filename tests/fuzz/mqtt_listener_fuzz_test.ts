/**
 * Seeded fuzz of a live MQTT TCP listener: several raw clients send
 * mutated valid packets and random bytes; the server stays up, nothing
 * escapes, and a well-behaved client still publishes and receives.
 * Bounded in iterations and time.
 */
import assert from "node:assert/strict";
import {
  encodePacket,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { startTestServer } from "../net/_support.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed);
const CLIENTS = 4;
const ROUNDS = 60;
const DEADLINE_MS = 20_000;

function corpus(version: MqttVersion): Uint8Array[] {
  const packets: Packet[] = [
    {
      type: "connect",
      protocolVersion: version,
      clean: true,
      keepAlive: 10,
      clientId: "f",
    },
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a/+", qos: 2 }],
    },
    {
      type: "publish",
      topic: "a/b",
      payload: new Uint8Array([1, 2, 3]),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 2,
    },
    {
      type: "publish",
      topic: "a/c",
      payload: new Uint8Array(40),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 3,
    },
    { type: "pubrel", packetId: 3 },
    { type: "unsubscribe", packetId: 4, topicFilters: ["a/+"] },
    { type: "pingreq" },
    { type: "disconnect" },
  ];
  return packets.map((p) => encodePacket(p, version));
}

async function exchange(port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(4096);
  try {
    await conn.write(bytes);
    const timer = setTimeout(() => conn.close(), 50);
    try {
      while ((await conn.read(buf)) !== null);
    } catch {
      // closed by the timer or reset by the broker
    } finally {
      clearTimeout(timer);
    }
  } catch {
    // the broker may close before the write ends
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function wellBehaved(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  try {
    await conn.write(
      encodePacket({
        type: "connect",
        protocolVersion: 5,
        clean: true,
        keepAlive: 10,
        clientId: "good",
      }, 5),
    );
    await conn.write(
      encodePacket({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "good/#", qos: 1 }],
      }, 5),
    );
    await conn.write(
      encodePacket({
        type: "publish",
        topic: "good/x",
        payload: new Uint8Array([42]),
        qos: 0,
        retain: false,
        dup: false,
      }, 5),
    );
    const buf = new Uint8Array(4096);
    let seen = new Uint8Array(0);
    const end = Date.now() + 5000;
    // CONNACK, SUBACK, then our own PUBLISH back (0x30).
    while (Date.now() < end) {
      const n = await conn.read(buf);
      assert.notEqual(n, null, "broker closed the good client");
      const next = new Uint8Array(seen.length + n!);
      next.set(seen);
      next.set(buf.subarray(0, n!), seen.length);
      seen = next;
      if (seen.includes(0x30) && seen[0] === 0x20) return;
    }
    assert.fail("good client got no PUBLISH back");
  } finally {
    conn.close();
  }
}

Deno.test("a live MQTT listener survives seeded arbitrary and mutated input", async () => {
  const ts = await startTestServer(["tcp"]);
  const rng = new SeededRandom(SEED);
  const started = Date.now();
  try {
    const port = ts.port("tcp");
    const seeds = [...corpus(4), ...corpus(5)];
    for (
      let round = 0;
      round < ROUNDS && Date.now() - started < DEADLINE_MS;
      round++
    ) {
      const inputs: Uint8Array[] = [];
      for (let c = 0; c < CLIENTS; c++) {
        const choice = rng.int(3);
        if (choice === 0) inputs.push(rng.bytes(1 + rng.int(300)));
        else {
          // A valid CONNECT first, then mutated packets, so the fuzz reaches past CONNECT.
          const parts = [seeds[rng.int(2) === 0 ? 0 : 8]!];
          for (let i = 0; i < 1 + rng.int(6); i++) {
            const seed = rng.pick(seeds);
            parts.push(choice === 1 ? mutate(seed, rng) : seed);
          }
          const total = parts.reduce((n, p) => n + p.length, 0);
          const bytes = new Uint8Array(total);
          let at = 0;
          for (const p of parts) {
            bytes.set(p, at);
            at += p.length;
          }
          inputs.push(bytes);
        }
      }
      await Promise.all(inputs.map((b) => exchange(port, b)));
      if (round % 20 === 19) await wellBehaved(port);
    }
    await wellBehaved(port);
    assert.ok(
      !ts.lines.some((l) => l.includes('"level":"error"')),
      "no error logged",
    );
  } finally {
    await ts.close();
    await Deno.remove(ts.dataDir, { recursive: true });
  }
});
