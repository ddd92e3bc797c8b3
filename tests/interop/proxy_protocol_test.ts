/**
 * PROXY protocol v1/v2 and access rules on a real postern TCP listener:
 * headers written by the test over `Deno.connect`, then MQTT.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodePacket } from "../../src/mqtt/mod.ts";
import {
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
} from "../../src/net/proxy_protocol.ts";
import { startTestServer, type TestServer, waitFor } from "../net/_support.ts";

const LISTENER = {
  proxy_protocol: true,
  proxy_protocol_timeout: "1s",
  access_rules: ["deny 10.0.0.0/8", "allow all"],
};

const CONNECT = encodePacket({
  type: "connect",
  protocolVersion: 4,
  clean: true,
  keepAlive: 0,
  clientId: "proxied",
}, 4);

type ReadOutcome =
  | { kind: "data"; bytes: Uint8Array }
  | { kind: "closed"; afterMs: number }
  | { kind: "timeout" };

/** One read, bounded by `ms`; a reset counts as closed. */
async function readWithin(conn: Deno.Conn, ms: number): Promise<ReadOutcome> {
  const started = performance.now();
  const buf = new Uint8Array(256);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ReadOutcome>((r) => {
    timer = setTimeout(() => r({ kind: "timeout" }), ms);
  });
  const read = conn.read(buf).then(
    (n): ReadOutcome =>
      n === null
        ? { kind: "closed", afterMs: performance.now() - started }
        : { kind: "data", bytes: buf.slice(0, n) },
    (): ReadOutcome => ({
      kind: "closed",
      afterMs: performance.now() - started,
    }),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function withServer(
  fn: (t: TestServer, port: number) => Promise<void>,
): Promise<void> {
  const t = await startTestServer(["tcp"], { listener: LISTENER });
  try {
    await fn(t, t.port("tcp"));
  } finally {
    await t.close();
    await Deno.remove(t.dataDir, { recursive: true });
  }
}

async function exchange(
  port: number,
  header: Uint8Array,
  after: Uint8Array = CONNECT,
): Promise<ReadOutcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new Uint8Array(header.length + after.length);
    bytes.set(header);
    bytes.set(after, header.length);
    await conn.write(bytes);
    return await readWithin(conn, 3000);
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}

function logged(t: TestServer, event: string, remote: string): boolean {
  return t.lines.some((l) => {
    const entry = JSON.parse(l) as Record<string, unknown>;
    return entry.event === event && entry.remote === remote;
  });
}

Deno.test("PROXY v1: a client the header names in 10.0.0.0/8 is refused by the access rule", async () => {
  await withServer(async (t, port) => {
    const outcome = await exchange(
      port,
      encodeProxyHeaderV1({
        source: { hostname: "10.1.2.3", port: 40000 },
        destination: { hostname: "127.0.0.1", port },
      }),
    );
    assert.equal(outcome.kind, "closed");
    await waitFor(
      () => logged(t, "connection.refused", "10.1.2.3"),
      2000,
      "refusal log",
    );
  });
});

Deno.test("PROXY v1: an allowed client gets its CONNACK and is seen at the header's address", async () => {
  await withServer(async (t, port) => {
    const outcome = await exchange(
      port,
      encodeProxyHeaderV1({
        source: { hostname: "192.0.2.7", port: 50000 },
        destination: { hostname: "127.0.0.1", port },
      }),
    );
    assert.equal(outcome.kind, "data");
    assert.equal(outcome.kind === "data" && outcome.bytes[0], 0x20);
    assert.equal(outcome.kind === "data" && outcome.bytes[3], 0);
    await waitFor(
      () => logged(t, "mqtt.connection_opened", "192.0.2.7:50000"),
      2000,
      "connection log with the proxied address",
    );
    assert.ok(
      !t.lines.some((l) =>
        l.includes("mqtt.connection_opened") && l.includes("127.0.0.1:")
      ),
    );
  });
});

Deno.test("PROXY v2: IPv4 and IPv6 clients, a refused one, TLVs and a split header", async () => {
  await withServer(async (t, port) => {
    const v4 = await exchange(
      port,
      encodeProxyHeaderV2({
        source: { hostname: "192.0.2.8", port: 50001 },
        destination: { hostname: "127.0.0.1", port },
      }, { tlvs: new Uint8Array([0x04, 0x00, 0x01, 0x00]) }),
    );
    assert.equal(v4.kind === "data" && v4.bytes[0], 0x20);
    await waitFor(
      () => logged(t, "mqtt.connection_opened", "192.0.2.8:50001"),
      2000,
      "v2 IPv4 address",
    );

    const v6 = await exchange(
      port,
      encodeProxyHeaderV2({
        source: { hostname: "2001:db8::7", port: 50002 },
        destination: { hostname: "2001:db8::1", port },
      }),
    );
    assert.equal(v6.kind === "data" && v6.bytes[0], 0x20);
    await waitFor(
      () => logged(t, "mqtt.connection_opened", "2001:db8::7:50002"),
      2000,
      "v2 IPv6 address",
    );

    const denied = await exchange(
      port,
      encodeProxyHeaderV2({
        source: { hostname: "10.9.9.9", port: 50003 },
        destination: { hostname: "127.0.0.1", port },
      }),
    );
    assert.equal(denied.kind, "closed");

    const header = encodeProxyHeaderV2({
      source: { hostname: "192.0.2.9", port: 50004 },
      destination: { hostname: "127.0.0.1", port },
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(header.subarray(0, 7));
      await new Promise((r) => setTimeout(r, 50));
      await conn.write(header.subarray(7));
      await new Promise((r) => setTimeout(r, 50));
      await conn.write(CONNECT);
      const split = await readWithin(conn, 3000);
      assert.equal(split.kind === "data" && split.bytes[0], 0x20);
    } finally {
      conn.close();
    }
  });
});

Deno.test("PROXY: a header that never arrives is closed at the timeout", async () => {
  await withServer(async (t, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const outcome = await readWithin(conn, 3000);
      assert.equal(outcome.kind, "closed");
      const afterMs = outcome.kind === "closed" ? outcome.afterMs : 0;
      assert.ok(afterMs >= 900 && afterMs < 2500, `closed after ${afterMs}ms`);
    } finally {
      conn.close();
    }
    await waitFor(
      () => t.lines.some((l) => l.includes("proxy_protocol.timeout")),
      2000,
      "timeout log",
    );
  });
});

Deno.test("PROXY: a partial header is also closed at the timeout", async () => {
  await withServer(async (_t, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PROXY TCP4 192.0.2.7"));
      const outcome = await readWithin(conn, 3000);
      assert.equal(outcome.kind, "closed");
      const afterMs = outcome.kind === "closed" ? outcome.afterMs : 0;
      assert.ok(afterMs >= 900 && afterMs < 2500, `closed after ${afterMs}ms`);
    } finally {
      conn.close();
    }
  });
});

Deno.test("PROXY: a malformed header is closed at once", async () => {
  await withServer(async (t, port) => {
    for (
      const bad of [
        CONNECT,
        new TextEncoder().encode("PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n"),
        new TextEncoder().encode("PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n"),
        new Uint8Array([
          0x0d,
          0x0a,
          0x0d,
          0x0a,
          0x00,
          0x0d,
          0x0a,
          0x51,
          0x55,
          0x49,
          0x54,
          0x0a,
          0x31,
          0x11,
          0x00,
          0x0c,
        ]),
      ]
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(bad);
        const outcome = await readWithin(conn, 3000);
        assert.equal(outcome.kind, "closed");
        const afterMs = outcome.kind === "closed" ? outcome.afterMs : 9999;
        assert.ok(afterMs < 500, `closed after ${afterMs}ms`);
      } finally {
        conn.close();
      }
    }
    await waitFor(
      () =>
        t.lines.filter((l) => l.includes("proxy_protocol.malformed"))
          .length === 4,
      2000,
      "four malformed-header logs",
    );
  });
});
