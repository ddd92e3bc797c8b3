/**
 * Certificate reload on `wss` listeners, on both paths `postern serve`
 * builds, each under postern's own WebSocket server: `Deno.listenTls`
 * (rebinds with `reusePort`) and postern's TLS engine. The certificate and key files are
 * replaced on disk (by rename, as editors and secret mounts do; the file
 * watcher triggers the reload, SIGHUP runs the same reload and is proven in
 * `credential_reloader_test.ts`); new connections then see the new
 * certificate (its fingerprint, read by a `node:tls` client), MQTT
 * CONNECT/CONNACK works over WebSocket on them, and a connection made
 * before the reload goes on after the old server is retired.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { loadConfig } from "../../src/config/mod.ts";
import { startServer } from "../../src/server.ts";
import { Logger } from "../../src/log/mod.ts";
import { parseCertificate } from "../../src/pki/mod.ts";
import { decodePem } from "../../src/pki/mod.ts";
import { encodeClientFrame, Opcode } from "../../src/net/websocket_codec.ts";
import {
  bounded,
  colonHex,
  CONNECT,
  selfSignedServer,
  writeAtomically,
} from "../support/mqtt_tls.ts";
import { delay, devCerts, waitFor } from "./_support.ts";

const CONNACK_FRAME = [0x82, 0x04, 0x20, 0x02, 0x00, 0x00];
const PINGRESP_FRAME = [0x82, 0x02, 0xd0, 0x00];
const MASK = new Uint8Array([1, 2, 3, 4]);

/** MQTT over secure WebSocket with a `node:tls` socket; waits are bounded. */
async function wssClient(port: number) {
  const socket = tls.connect({
    port,
    host: "127.0.0.1",
    servername: "localhost",
    rejectUnauthorized: false,
  });
  let received: number[] = [];
  let closed = false;
  socket.on("data", (d: Uint8Array) => received.push(...d));
  socket.on("error", () => {});
  socket.on("close", () => (closed = true));
  await bounded(
    new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    }),
    10_000,
    "the TLS handshake",
  );
  const fingerprint = socket.getPeerCertificate().fingerprint256 ?? "";
  /** Waits until `n` bytes arrived and takes them. */
  const take = async (n: number) => {
    for (let i = 0; i < 500 && received.length < n && !closed; i++) {
      await delay(10);
    }
    assert.ok(received.length >= n, `got ${received.length} of ${n} bytes`);
    const out = received.slice(0, n);
    received = received.slice(n);
    return out;
  };
  socket.write(
    "GET /mqtt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
  );
  for (let i = 0; i < 500; i++) {
    if (
      new TextDecoder().decode(new Uint8Array(received)).includes("\r\n\r\n")
    ) break;
    await delay(10);
  }
  const text = new TextDecoder().decode(new Uint8Array(received));
  const end = text.indexOf("\r\n\r\n");
  assert.ok(end > 0 && text.startsWith("HTTP/1.1 101"), text);
  received = received.slice(
    new TextEncoder().encode(text.slice(0, end + 4)).length,
  );
  socket.write(encodeClientFrame(Opcode.binary, CONNECT, MASK));
  assert.deepEqual(await take(CONNACK_FRAME.length), CONNACK_FRAME);
  return {
    fingerprint,
    async ping() {
      socket.write(
        encodeClientFrame(Opcode.binary, new Uint8Array([0xc0, 0]), MASK),
      );
      return await take(PINGRESP_FRAME.length);
    },
    close: () => socket.destroy(),
  };
}

function fingerprintOfPem(pem: string): string {
  const first = decodePem(pem).find((b) => b.label === "CERTIFICATE");
  assert.ok(first);
  return colonHex(parseCertificate(first.der).fingerprintSha256);
}

Deno.test("wss listeners (Deno.listenTls and postern's engine) serve a replaced certificate to new connections; live ones go on", async () => {
  const certs = await devCerts();
  const dir = await Deno.makeTempDir({ prefix: "postern-wss-reload-" });
  const names = ["native", "engine"] as const;
  for (const name of names) {
    await Deno.copyFile(`${certs}/serverChain.pem`, `${dir}/${name}.pem`);
    await Deno.copyFile(`${certs}/server_key.pem`, `${dir}/${name}.key`);
  }
  const ssl = (name: string) => ({
    certfile: `${dir}/${name}.pem`,
    keyfile: `${dir}/${name}.key`,
  });
  const { config, errors } = loadConfig({
    env: {},
    fileText: JSON.stringify({
      data_dir: `${dir}/data`,
      listeners: {
        tcp: { default: { enable: false } },
        coap: { default: { enable: false } },
        wss: {
          native: { bind: "127.0.0.1:0", ssl_options: ssl("native") },
          engine: {
            bind: "127.0.0.1:0",
            ssl_options: { ...ssl("engine"), tls_engine: "postern" },
          },
        },
      },
    }),
  });
  assert.deepEqual(errors, []);
  const lines: string[] = [];
  const server = await startServer(config, {
    logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
  });
  const open: { close(): void }[] = [];
  try {
    const port = (name: string) =>
      server.listeners.find((l) => l.family === "wss" && l.name === name)!
        .address.port;
    const original = fingerprintOfPem(
      await Deno.readTextFile(`${certs}/serverChain.pem`),
    );
    const before = new Map<string, Awaited<ReturnType<typeof wssClient>>>();
    for (const name of names) {
      const c = await wssClient(port(name));
      open.push(c);
      assert.equal(c.fingerprint, original, name);
      before.set(name, c);
    }
    const next = await selfSignedServer();
    for (const name of names) {
      await writeAtomically(`${dir}/${name}.key`, next.key);
      await writeAtomically(`${dir}/${name}.pem`, next.cert);
    }
    await waitFor(
      () =>
        names.every((name) =>
          lines.some((l) =>
            l.includes('"tls.reloaded"') && l.includes(`"wss/${name}"`)
          )
        ),
      10_000,
      "both wss listeners reloaded",
    );
    // the engine reads the credentials in force at each handshake
    const engine = await wssClient(port("engine"));
    open.push(engine);
    assert.equal(engine.fingerprint, next.fp, "engine");
    // Deno.listenTls: the replaced socket takes connections for a grace
    // second, then is closed
    await delay(1_300);
    for (const name of names) {
      for (let i = 0; i < 3; i++) {
        const c = await wssClient(port(name));
        open.push(c);
        assert.equal(c.fingerprint, next.fp, `${name} after the grace period`);
      }
      assert.deepEqual(await before.get(name)!.ping(), PINGRESP_FRAME, name);
    }
  } finally {
    for (const c of open) c.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
