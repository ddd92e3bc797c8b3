/**
 * MQTT.js over WebSocket behind a PROXY-protocol load balancer: postern's
 * own WebSocket server on a `ws` listener with `proxy_protocol` on. A relay
 * in the test plays the load balancer (it writes a v1 or v2 header, then
 * copies bytes both ways); the address in the header is what the access
 * rules, the logs and `$SYS`-visible connection events see. Also: a header
 * that never arrives (timeout) and a malformed one.
 *
 * @module
 */

import assert from "node:assert/strict";
import mqtt, { type MqttClient } from "mqtt";
import {
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
  type ProxyEndpoint,
} from "../../src/net/proxy_protocol.ts";
import { startTestServer, type TestServer, waitFor } from "../net/_support.ts";

const LISTENER = {
  proxy_protocol: true,
  proxy_protocol_timeout: "1s",
  access_rules: ["deny 10.0.0.0/8", "allow all"],
};

/** A TCP relay that prefixes each connection with a PROXY header. */
function proxyRelay(
  target: number,
  header: (client: ProxyEndpoint) => Uint8Array,
  source: ProxyEndpoint,
): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pipes: Promise<void>[] = [];
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const inbound of listener) {
      inbound.setNoDelay(true);
      conns.push(inbound);
      pipes.push(
        (async () => {
          const outbound = await Deno.connect({
            hostname: "127.0.0.1",
            port: target,
          });
          outbound.setNoDelay(true);
          conns.push(outbound);
          await outbound.write(header(source));
          await Promise.allSettled([
            inbound.readable.pipeTo(outbound.writable),
            outbound.readable.pipeTo(inbound.writable),
          ]);
        })().catch(() => {}),
      );
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await loop.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed by the pipe
        }
      }
      await Promise.allSettled(pipes);
    },
  };
}

async function withServer(fn: (t: TestServer, port: number) => Promise<void>) {
  const t = await startTestServer(["ws"], { listener: LISTENER });
  try {
    await fn(t, t.port("ws"));
  } finally {
    await t.close();
    await Deno.remove(t.dataDir, { recursive: true });
  }
}

function logged(t: TestServer, event: string, remote: string): boolean {
  return t.lines.some((l) => {
    const entry = JSON.parse(l) as Record<string, unknown>;
    return entry.event === event && entry.remote === remote;
  });
}

async function pubSubThrough(port: number, id: string): Promise<void> {
  const url = `ws://127.0.0.1:${port}/mqtt`;
  const opts = { reconnectPeriod: 0, connectTimeout: 5000 };
  const sub: MqttClient = await mqtt.connectAsync(url, {
    ...opts,
    clientId: `${id}-sub`,
  });
  const pub: MqttClient = await mqtt.connectAsync(url, {
    ...opts,
    clientId: `${id}-pub`,
    protocolVersion: 5,
  });
  try {
    const got = new Promise<string>((resolve) =>
      sub.on("message", (_t, p) => resolve(new TextDecoder().decode(p)))
    );
    await sub.subscribeAsync(`proxy/${id}`, { qos: 1 });
    await pub.publishAsync(`proxy/${id}`, "through the proxy", { qos: 1 });
    assert.equal(await got, "through the proxy");
  } finally {
    await sub.endAsync();
    await pub.endAsync();
  }
}

for (const version of [1, 2] as const) {
  Deno.test(`MQTT.js over ws behind a PROXY v${version} relay: served at the header's address`, async () => {
    await withServer(async (t, port) => {
      const encode = version === 1 ? encodeProxyHeaderV1 : encodeProxyHeaderV2;
      const source = version === 1
        ? { hostname: "192.0.2.7", port: 50001 }
        : { hostname: "2001:db8::7", port: 50002 };
      const relay = proxyRelay(
        port,
        (s) =>
          encode({
            source: s,
            destination: {
              hostname: version === 1 ? "127.0.0.1" : "2001:db8::1",
              port,
            },
          }),
        source,
      );
      try {
        await pubSubThrough(relay.port, `v${version}`);
        const remote = `${source.hostname}:${source.port}`;
        await waitFor(
          () => logged(t, "mqtt.connection_opened", remote),
          2000,
          "connection log with the header's address",
        );
        assert.ok(
          !t.lines.some((l) =>
            l.includes("mqtt.connection_opened") && l.includes("127.0.0.1:")
          ),
        );
      } finally {
        await relay.close();
      }
    });
  });
}

Deno.test("MQTT.js over ws: a client the PROXY header puts in 10.0.0.0/8 is refused by the access rule", async () => {
  await withServer(async (t, port) => {
    const relay = proxyRelay(
      port,
      (s) =>
        encodeProxyHeaderV2({
          source: s,
          destination: { hostname: "127.0.0.1", port },
        }),
      { hostname: "10.1.2.3", port: 40000 },
    );
    try {
      await assert.rejects(
        mqtt.connectAsync(`ws://127.0.0.1:${relay.port}/mqtt`, {
          reconnectPeriod: 0,
          connectTimeout: 3000,
        }),
      );
      await waitFor(
        () => logged(t, "connection.refused", "10.1.2.3"),
        2000,
        "refusal log",
      );
    } finally {
      await relay.close();
    }
  });
});

async function closedWithin(
  conn: Deno.Conn,
  ms: number,
): Promise<number | undefined> {
  const started = performance.now();
  const buf = new Uint8Array(256);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((
    r,
  ) => (timer = setTimeout(() => r(undefined), ms)));
  const read = (async () => {
    for (;;) {
      try {
        if (await conn.read(buf) === null) break;
      } catch {
        break;
      }
    }
    return performance.now() - started;
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("ws with proxy_protocol: a header that never arrives is closed at the timeout", async () => {
  await withServer(async (t, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const afterMs = await closedWithin(conn, 3000);
      assert.ok(
        afterMs !== undefined && afterMs >= 900 && afterMs < 2500,
        `closed after ${afterMs} ms`,
      );
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

Deno.test("ws with proxy_protocol: a malformed header, or a bare HTTP upgrade, is closed at once", async () => {
  await withServer(async (t, port) => {
    const upgrade =
      "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    for (
      const bad of ["PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n" + upgrade, upgrade]
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(new TextEncoder().encode(bad));
        const afterMs = await closedWithin(conn, 3000);
        assert.ok(
          afterMs !== undefined && afterMs < 800,
          `closed after ${afterMs} ms`,
        );
      } finally {
        conn.close();
      }
    }
    await waitFor(
      () =>
        t.lines.filter((l) => l.includes("proxy_protocol.malformed")).length >=
          2,
      2000,
      "malformed logs",
    );
  });
});

Deno.test("MQTT.js over wss on postern's TLS engine behind a PROXY v2 relay: served at the header's address", async () => {
  const t = await startTestServer(["wss"], {
    listener: LISTENER,
    tls: { tls_engine: "postern" },
  });
  try {
    const port = t.port("wss");
    const relay = proxyRelay(
      port,
      (s) =>
        encodeProxyHeaderV2({
          source: s,
          destination: { hostname: "127.0.0.1", port },
        }),
      { hostname: "192.0.2.44", port: 50044 },
    );
    try {
      const ca = await Deno.readTextFile(`${t.certs}/ca.pem`);
      const client = await mqtt.connectAsync(
        `wss://localhost:${relay.port}/mqtt`,
        {
          reconnectPeriod: 0,
          connectTimeout: 5000,
          ca,
          clientId: "wss-proxied",
        },
      );
      try {
        const got = new Promise<string>((resolve) =>
          client.on("message", (_t, p) => resolve(new TextDecoder().decode(p)))
        );
        await client.subscribeAsync("proxy/wss", { qos: 1 });
        await client.publishAsync("proxy/wss", "secure and proxied", {
          qos: 1,
        });
        assert.equal(await got, "secure and proxied");
      } finally {
        await client.endAsync();
      }
      await waitFor(
        () => logged(t, "mqtt.connection_opened", "192.0.2.44:50044"),
        2000,
        "connection log with the header's address",
      );
      assert.ok(
        t.lines.some((l) => l.includes("tls.path") && l.includes("postern")),
      );
    } finally {
      await relay.close();
    }
  } finally {
    await t.close();
    await Deno.remove(t.dataDir, { recursive: true });
  }
});
