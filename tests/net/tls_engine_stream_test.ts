/**
 * Handshake deadlines of {@link TlsEngineStream}: streams whose deadlines
 * share a timer slot each time out on their own, never early, and a
 * handshake that completes is not touched by the shared timer.
 */
import assert from "node:assert/strict";
import { TlsEngineStream } from "../../src/net/tls_engine_stream.ts";
import { TlsConnection } from "../../src/tls/stream/connection.ts";

const KEY = new Uint8Array(16).fill(7);

function server(raw: Deno.Conn): TlsEngineStream {
  return new TlsEngineStream(
    raw,
    new TlsConnection({
      role: "server",
      server: { psk: () => KEY },
      handshakeTimeoutMs: 150,
    }),
  );
}

Deno.test("TlsEngineStream: handshakes started together time out alone, not early; a completed one stays open", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const clients: Deno.Conn[] = [];
  try {
    const started = Date.now();
    const servers = [];
    for (let i = 0; i < 3; i++) {
      clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      const s = server(await listener.accept());
      servers.push({ s, result: s.handshake() });
    }
    // the third client completes its handshake; the first two stay silent
    const client = new TlsEngineStream(
      clients[2]!,
      new TlsConnection({
        role: "client",
        client: { psk: { identity: "d", key: KEY } },
      }),
    );
    assert.equal((await client.handshake()).ok, true);
    for (const { result } of servers.slice(0, 2)) {
      const r = await result;
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.closed.reason, "handshake timed out");
      assert.ok(Date.now() - started >= 150);
    }
    assert.ok(Date.now() - started < 5000);
    const done = servers[2]!;
    assert.equal((await done.result).ok, true);
    await client.write(new Uint8Array([1, 2, 3]));
    const buf = new Uint8Array(8);
    assert.equal(await done.s.read(buf), 3);
    assert.equal(done.s.closedEvent, undefined);
    client.close();
    assert.equal(await done.s.read(buf), null);
    done.s.close();
  } finally {
    for (const c of clients.slice(0, 2)) {
      try {
        c.close();
      } catch {
        // Closed by the server.
      }
    }
    listener.close();
  }
});
