import assert from "node:assert/strict";
import { KvSessionStore } from "../../src/mqtt/kv_session_store.ts";
import type { StoredSession } from "../../src/mqtt/broker/mod.ts";

function session(
  clientId: string,
  messages: number,
  size: number,
): StoredSession {
  return {
    clientId,
    expiryInterval: Infinity,
    expiresAt: undefined,
    subscriptions: [{
      filter: "a/#",
      qos: 1,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
      subscriptionId: undefined,
    }],
    inflight: [],
    queue: Array.from({ length: messages }, (_, i) => ({
      message: {
        topic: "a/b",
        payload: new Uint8Array(size).fill(i & 0xff),
        qos: 1 as const,
        retain: false,
      },
      qos: 1 as const,
      retain: false,
      subscriptionIds: undefined,
    })),
    incomingQos2: [7],
  };
}

Deno.test("KvSessionStore chunks large sessions, shrinks them and deletes them across reopen", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mqtt.kv`;
  try {
    let store = await KvSessionStore.open(path);
    await store.load();
    // 1000 × 1 KiB: above the 64 KiB value limit and the 800 KiB atomic limit.
    const big = session("big", 1000, 1024);
    const longId = "x".repeat(5000);
    await store.write([
      { kind: "session", session: big },
      { kind: "session", session: session(longId, 1, 10) },
      {
        kind: "retained",
        message: {
          topic: "r",
          payload: new Uint8Array(200_000),
          qos: 0,
          retain: true,
        },
      },
    ]);
    store.close();

    store = await KvSessionStore.open(path);
    let snap = await store.load();
    const loaded = snap.sessions.find((s) => s.clientId === "big")!;
    assert.equal(loaded.queue.length, 1000);
    assert.equal(loaded.expiryInterval, Infinity);
    assert.deepEqual(loaded.incomingQos2, [7]);
    assert.equal(loaded.queue[999]!.message.payload[0], 999 & 0xff);
    assert.ok(loaded.queue[0]!.message.payload instanceof Uint8Array);
    assert.ok(snap.sessions.some((s) => s.clientId === longId));
    assert.equal(snap.retained[0]!.payload.length, 200_000);

    await store.write([
      { kind: "session", session: session("big", 2, 10) },
      { kind: "delete_session", clientId: longId },
      { kind: "delete_retained", topic: "r" },
    ]);
    store.close();
    store = await KvSessionStore.open(path);
    snap = await store.load();
    assert.deepEqual(snap.sessions.map((s) => [s.clientId, s.queue.length]), [[
      "big",
      2,
    ]]);
    assert.equal(snap.retained.length, 0);
    store.close();
    const kv = await Deno.openKv(path);
    let keys = 0;
    for await (const _ of kv.list({ prefix: ["mqtt"] })) keys++;
    kv.close();
    assert.equal(keys, 2, "stale chunks were deleted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvSessionStore writes nothing to delete an id it never held, and still deletes stored and orphaned ones", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mqtt.kv`;
  try {
    let store = await KvSessionStore.open(path);
    await store.load();
    await store.write([{ kind: "session", session: session("kept", 1, 10) }]);
    store.close();
    // a record whose count was never written (a batch cut short)
    const raw = await Deno.openKv(path);
    await raw.set(["mqtt", "data", "session", "orphan", 0], new Uint8Array(3));
    store = await KvSessionStore.open(path);
    await store.load();
    // written behind the loaded store's back: it shows no mutation is sent
    // for an id the store does not hold (a clean session that ended)
    const late = ["mqtt", "meta", "session", "clean-1"];
    await raw.set(late, 1);
    await store.write([
      { kind: "delete_session", clientId: "clean-1" },
      { kind: "delete_retained", topic: "never/retained" },
    ]);
    assert.equal((await raw.get(late)).value, 1);
    await raw.delete(late);
    await store.write([
      { kind: "delete_session", clientId: "kept" },
      { kind: "delete_session", clientId: "orphan" },
    ]);
    const left = [];
    for await (const e of raw.list({ prefix: ["mqtt"] })) left.push(e.key);
    assert.deepEqual(left, []);
    raw.close();
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
