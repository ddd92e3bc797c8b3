/**
 * RFC 9146 connection IDs over real UDP on 127.0.0.1: our client moves to a
 * new local port mid-association (as behind a NAT rebinding) and keeps
 * talking to the server, which follows it once a record under the CID
 * authenticates from the new address. (OpenSSL 3.0 has no DTLS connection
 * IDs, so there is no OpenSSL peer for this.)
 */
import assert from "node:assert/strict";
import { connectDtls, listenDtls } from "../../src/net/udp.ts";
import type { EndpointEvent } from "../../src/dtls/endpoint.ts";

const KEY = new Uint8Array(16).fill(0x44);
const te = new TextEncoder();
const td = new TextDecoder();

Deno.test("a DTLS client that rebinds to a new UDP port keeps its association through its connection ID", async () => {
  const events: EndpointEvent[] = [];
  const server = listenDtls({
    hostname: "127.0.0.1",
    port: 0,
    endpoint: { handshake: { psk: () => KEY } },
    onEvent: (e) => events.push(e),
    onData: (peer, data) =>
      server.send(peer, te.encode(`echo:${td.decode(data)}`)),
  });
  const client = await connectDtls({
    hostname: "127.0.0.1",
    port: server.addr.port,
    client: { psk: { identity: "d", key: KEY } },
    connectionId: new Uint8Array(0),
    handshakeTimeoutMs: 5000,
  });
  try {
    await client.send(te.encode("one"));
    assert.equal(td.decode((await client.read())!), "echo:one");
    const before = client.localPort;
    client.rebind();
    assert.notEqual(client.localPort, before);
    await client.send(te.encode("two"));
    assert.equal(td.decode((await client.read())!), "echo:two");
    const moved = events.find((e) => e.event.kind === "address_changed");
    assert.ok(moved !== undefined, "the server saw the address change");
    assert.equal(moved.peer.port, client.localPort);
    assert.equal(
      moved.event.kind === "address_changed" ? moved.event.from.port : 0,
      before,
    );
    assert.equal(server.endpoint.size, 1, "one association throughout");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("without connection IDs a rebound client's records are not accepted from the new port", async () => {
  const server = listenDtls({
    hostname: "127.0.0.1",
    port: 0,
    endpoint: { handshake: { psk: () => KEY } },
    onData: (peer, data) => server.send(peer, data),
  });
  const client = await connectDtls({
    hostname: "127.0.0.1",
    port: server.addr.port,
    client: { psk: { identity: "d", key: KEY } },
    handshakeTimeoutMs: 5000,
  });
  try {
    client.rebind();
    const dropped = server.endpoint.dropped;
    await client.send(te.encode("lost"));
    const deadline = Date.now() + 2000;
    while (server.endpoint.dropped === dropped && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(server.endpoint.dropped, dropped + 1);
  } finally {
    await client.close();
    await server.close();
  }
});
