import assert from "node:assert/strict";
import { encodePacket } from "../../src/mqtt/mod.ts";
import { delay, startTestServer, waitFor } from "./_support.ts";

let clients = 0;

function connectPacket(): Uint8Array {
  return encodePacket({
    type: "connect",
    protocolVersion: 4,
    clean: true,
    keepAlive: 30,
    clientId: `raw-${++clients}`,
  }, 4);
}

async function readSome(
  conn: Deno.Conn,
  ms = 2000,
): Promise<Uint8Array | null> {
  const buf = new Uint8Array(1024);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    const n = await conn.read(buf);
    return n === null ? null : buf.slice(0, n);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("tcp listener refuses connections over max_connections and logs it", async () => {
  const ts = await startTestServer(["tcp"], {
    listener: { max_connections: 2 },
  });
  const conns: Deno.Conn[] = [];
  try {
    const port = ts.port("tcp");
    for (let i = 0; i < 2; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      await c.write(connectPacket());
      assert.equal((await readSome(c))?.[0], 0x20);
      conns.push(c);
    }
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    await extra.write(connectPacket()).catch(() => 0);
    assert.equal(await readSome(extra), null);
    try {
      extra.close();
    } catch {
      // closed by readSome
    }
    assert.ok(
      ts.lines.some((l) =>
        l.includes('"connection.refused"') && l.includes("max_connections")
      ),
    );
    // A slot frees when a client leaves.
    conns.pop()!.close();
    await delay(100);
    const again = await Deno.connect({ hostname: "127.0.0.1", port });
    await again.write(connectPacket());
    assert.equal((await readSome(again))?.[0], 0x20);
    conns.push(again);
  } finally {
    for (const c of conns) c.close();
    await ts.close();
    await Deno.remove(ts.dataDir, { recursive: true });
  }
});

Deno.test("tls listener drops a client that never finishes the handshake", async () => {
  const ts = await startTestServer(["ssl"], {
    listener: { max_connections: 1 },
    tls: { handshake_timeout: "200ms" },
  });
  try {
    const port = ts.port("ssl");
    // Deno keeps the socket of an abandoned handshake open until the peer
    // goes, but the connection is dropped from the listener: its slot frees.
    const idle = await Deno.connect({ hostname: "127.0.0.1", port });
    await waitFor(
      () => ts.lines.some((l) => l.includes("tls.handshake_timeout")),
      2000,
      "log line",
    );
    // The slot is free again: a real TLS client gets its CONNACK.
    const ca = await Deno.readTextFile(`${ts.certs}/ca.pem`);
    const raw = await Deno.connect({ hostname: "127.0.0.1", port });
    raw.setNoDelay(true);
    const tls = await Deno.startTls(raw, {
      hostname: "localhost",
      caCerts: [ca],
    });
    await tls.write(connectPacket());
    assert.equal((await readSome(tls))?.[0], 0x20);
    tls.close();
    idle.close();
  } finally {
    await ts.close();
    await Deno.remove(ts.dataDir, { recursive: true });
  }
});

Deno.test("ws listener answers 404 off its path, 400 without upgrade, and echoes the mqtt subprotocol", async () => {
  const ts = await startTestServer(["ws"]);
  try {
    const port = ts.port("ws");
    const r404 = await fetch(`http://127.0.0.1:${port}/nope`);
    await r404.body?.cancel();
    assert.equal(r404.status, 404);
    const r400 = await fetch(`http://127.0.0.1:${port}/mqtt`);
    await r400.body?.cancel();
    assert.equal(r400.status, 400);
    for (const protocol of ["mqtt", "mqttv3.1"]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, [protocol]);
      ws.binaryType = "arraybuffer";
      const first = new Promise<Uint8Array>((resolve) => {
        ws.onmessage = (e) => resolve(new Uint8Array(e.data as ArrayBuffer));
      });
      await new Promise((r) => (ws.onopen = r));
      assert.equal(ws.protocol, protocol);
      ws.send(connectPacket());
      assert.equal((await first)[0], 0x20);
      const closed = new Promise((r) => (ws.onclose = r));
      ws.close();
      await closed;
    }
    // A text frame ends the connection.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, ["mqtt"]);
    await new Promise((r) => (ws.onopen = r));
    const closed = new Promise<CloseEvent>((r) => (ws.onclose = r));
    ws.send("CONNECT");
    assert.equal((await closed).code, 1003);
  } finally {
    await ts.close();
    await Deno.remove(ts.dataDir, { recursive: true });
  }
});
