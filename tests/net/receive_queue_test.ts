/**
 * ReceiveQueue: bytes come out in order across chunk and buffer
 * boundaries, queued bytes are still read after the end, and waiting
 * readers are woken by a chunk or by the end.
 */
import assert from "node:assert/strict";
import { ReceiveQueue } from "../../src/net/receive_queue.ts";
import { SeededRandom } from "../support/rng.ts";

Deno.test("ReceiveQueue returns the pushed bytes in order whatever the chunk and buffer sizes", async () => {
  const rng = new SeededRandom(7);
  for (let round = 0; round < 50; round++) {
    const queue = new ReceiveQueue();
    const sent: number[] = [];
    for (let i = 0, n = 1 + rng.int(20); i < n; i++) {
      const chunk = rng.bytes(rng.int(40));
      sent.push(...chunk);
      queue.push(chunk);
    }
    queue.end();
    assert.equal(queue.queued, sent.length);
    const got: number[] = [];
    for (;;) {
      const buf = new Uint8Array(1 + rng.int(17));
      const n = await queue.read(buf);
      if (n === null) break;
      assert.ok(n > 0);
      got.push(...buf.subarray(0, n));
    }
    assert.deepEqual(got, sent);
    assert.equal(queue.queued, 0);
  }
});

Deno.test("ReceiveQueue wakes every waiting reader on a chunk or the end", async () => {
  const queue = new ReceiveQueue();
  const a = queue.read(new Uint8Array(4));
  const b = queue.read(new Uint8Array(4));
  queue.push(new Uint8Array([1, 2, 3, 4, 5]));
  assert.equal(await a, 4);
  assert.equal(await b, 1);
  assert.equal(queue.take(new Uint8Array(4)), 0);
  const c = queue.read(new Uint8Array(4));
  queue.end();
  assert.equal(await c, null);
  assert.equal(queue.ended, true);
});
