/**
 * What the MQTT load generators (`mqtt_load.ts`, `websocket_load.ts`,
 * `tls_engine_load.ts`) share: servers in their own processes on free
 * loopback ports, MQTT packets split out of a byte stream, the CONNECT and
 * PUBLISH frames they send, and the bounded wait for the last deliveries.
 *
 * @module
 */

import { concatBytes } from "../src/bytes/mod.ts";
import { encodePacket } from "../src/mqtt/mod.ts";

/**
 * A TCP port that was free on 127.0.0.1 a moment ago.
 *
 * @example
 * ```ts
 * import { freePort } from "./_load_client.ts";
 *
 * console.log(freePort());
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitPort(port: number): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`port ${port} never opened`);
}

/** A server process started by {@link spawnServer}. */
export interface ServerProcess {
  /** Its process id (for `/proc/<pid>/…` figures). */
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `cmd args` with its output discarded and resolves once every port
 * in `ports` accepts TCP connections (within 20 s; otherwise it is stopped
 * and the promise rejects).
 *
 * @example
 * ```ts ignore
 * import { freePort, spawnServer } from "./_load_client.ts";
 *
 * const port = freePort();
 * const server = await spawnServer("mosquitto", ["-p", String(port)], [port]);
 * await server.stop();
 * ```
 */
export async function spawnServer(
  cmd: string,
  args: string[],
  ports: number[],
): Promise<ServerProcess> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server = {
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
    },
  };
  try {
    await Promise.all(ports.map(waitPort));
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Writes all of `bytes` to a stream whose `write` may take part of them.
 *
 * @example
 * ```ts ignore
 * import { writeAll } from "./_load_client.ts";
 *
 * const conn = await Deno.connect({ port: 1883 });
 * await writeAll(conn, new Uint8Array([0xe0, 0]));
 * ```
 */
export async function writeAll(
  stream: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await stream.write(bytes.subarray(off));
}

/**
 * Writes a Mosquitto configuration: the settings every load run uses
 * (anonymous clients, TCP_NODELAY, a 1000-message queue per client), then
 * `lines` (listeners and their options).
 *
 * @example
 * ```ts ignore
 * import { writeMosquittoConf } from "./_load_client.ts";
 *
 * await writeMosquittoConf("/tmp/m.conf", ["listener 1883 127.0.0.1"]);
 * ```
 */
export async function writeMosquittoConf(
  path: string,
  lines: string[],
): Promise<void> {
  await Deno.writeTextFile(
    path,
    [
      "per_listener_settings false",
      "allow_anonymous true",
      "set_tcp_nodelay true",
      "max_queued_messages 1000",
      ...lines,
      "",
    ].join("\n"),
  );
}

/**
 * An MQTT 3.1.1 CONNECT with a clean session and no keep-alive.
 *
 * @example
 * ```ts
 * import { mqttConnect } from "./_load_client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mqttConnect("c1")[0], 0x10);
 * ```
 */
export function mqttConnect(clientId: string): Uint8Array {
  return encodePacket({
    type: "connect",
    protocolVersion: 4,
    clean: true,
    keepAlive: 0,
    clientId,
  }, 4);
}

/**
 * `count` MQTT 3.1.1 PUBLISH packets of `payload` to `topic`, back to
 * back; at QoS 1 their packet identifiers count up from `firstPacketId`
 * (default 1).
 *
 * @example
 * ```ts
 * import { mqttPublishes } from "./_load_client.ts";
 * import assert from "node:assert/strict";
 *
 * const frames = mqttPublishes({ topic: "t", payload: new Uint8Array(1), qos: 0, count: 2 });
 * assert.equal(frames.length, 2 * 6);
 * ```
 */
export function mqttPublishes(options: {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  count: number;
  firstPacketId?: number;
}): Uint8Array {
  const first = options.firstPacketId ?? 1;
  return concatBytes(
    ...Array.from({ length: options.count }, (_, i) =>
      encodePacket({
        type: "publish",
        topic: options.topic,
        payload: options.payload,
        qos: options.qos,
        retain: false,
        dup: false,
        ...(options.qos === 1 ? { packetId: first + i } : {}),
      }, 4)),
  );
}

/**
 * Splits an MQTT byte stream into packets, keeping a partial packet for
 * the next chunk.
 *
 * @example
 * ```ts
 * import { MqttPacketScanner } from "./_load_client.ts";
 * import assert from "node:assert/strict";
 *
 * const scanner = new MqttPacketScanner();
 * const types: number[] = [];
 * scanner.scan(new Uint8Array([0x20, 2, 0]), (header) => types.push(header >> 4));
 * scanner.scan(new Uint8Array([0, 0xd0, 0]), (header) => types.push(header >> 4));
 * assert.deepEqual(types, [2, 13]);
 * ```
 */
export class MqttPacketScanner {
  #pending = new Uint8Array(0);

  /**
   * Calls `onPacket` with the first byte and the rest (variable header and
   * payload, a view valid during the call) of every packet completed by
   * `chunk`.
   */
  scan(
    chunk: Uint8Array,
    onPacket: (header: number, body: Uint8Array) => void,
  ): void {
    const data = this.#pending.length > 0
      ? concatBytes(this.#pending, chunk)
      : chunk;
    let at = 0;
    for (;;) {
      if (data.length - at < 2) break;
      let len = 0;
      let mul = 1;
      let i = at + 1;
      let complete = false;
      for (; i < data.length && i < at + 5; i++) {
        const b = data[i]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || i + len > data.length) break;
      onPacket(data[at]!, data.subarray(i, i + len));
      at = i + len;
    }
    this.#pending = at === data.length ? new Uint8Array(0) : data.slice(at);
  }
}

/**
 * Waits for the last deliveries: until `delivered()` reaches `expected`,
 * the `deadline` (a `Date.now()` time) passes, or nothing arrives for
 * `stallMs`.
 *
 * @example
 * ```ts
 * import { drain } from "./_load_client.ts";
 *
 * await drain(() => 10, 10, Date.now() + 1000);
 * ```
 */
export async function drain(
  delivered: () => number,
  expected: number,
  deadline: number,
  stallMs = 1000,
): Promise<void> {
  let last = delivered();
  let lastChange = Date.now();
  while (delivered() < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
    if (delivered() !== last) {
      last = delivered();
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) break;
  }
}
