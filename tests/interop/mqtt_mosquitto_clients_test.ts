/**
 * Interop with `mosquitto_pub` / `mosquitto_sub` (Debian
 * `mosquitto-clients`) against postern started in-process: MQTT 3.1.1 and
 * 5.0, over TCP and over TLS (`--cafile` with the development CA, host
 * `localhost` matching the server certificate's SAN): publish/subscribe,
 * retained messages, QoS 1 and QoS 2.
 *
 * Skipped where the clients are missing, except in CI (`CI=true`).
 */
import assert from "node:assert/strict";
import {
  delay,
  findPeer,
  run,
  spawn,
  startTestServer,
  type TestServer,
} from "../net/_support.ts";

const PUB = findPeer("mosquitto_pub");
const SUB = findPeer("mosquitto_sub");

for (const transport of ["tcp", "ssl"] as const) {
  for (const version of ["mqttv311", "mqttv5"] as const) {
    Deno.test({
      name:
        `mosquitto clients ${version} over ${transport}: QoS 1/2 publish, subscribe and retained`,
      ignore: PUB === undefined || SUB === undefined,
      async fn() {
        const ts = await startTestServer([transport]);
        try {
          await exchange(ts, transport, version);
        } finally {
          await ts.close();
          await Deno.remove(ts.dataDir, { recursive: true });
        }
      },
    });
  }
}

function connArgs(
  ts: TestServer,
  transport: "tcp" | "ssl",
  version: string,
): string[] {
  const port = String(ts.port(transport));
  const base = ["-p", port, "-V", version];
  return transport === "tcp"
    ? ["-h", "127.0.0.1", ...base]
    : ["-h", "localhost", "--cafile", `${ts.certs}/ca.pem`, ...base];
}

async function exchange(
  ts: TestServer,
  transport: "tcp" | "ssl",
  version: string,
): Promise<void> {
  const args = connArgs(ts, transport, version);
  const retained = await run(PUB!, [
    ...args,
    "-t",
    "status/dev1",
    "-m",
    "online",
    "-r",
    "-q",
    "1",
  ]);
  assert.equal(retained.code, 0, retained.stderr);

  const sub = spawn(SUB!, [
    ...args,
    "-t",
    "status/#",
    "-t",
    "data/#",
    "-q",
    "2",
    "-v",
    "-C",
    "3",
    "-W",
    "10",
  ]);
  try {
    // The retained message arrives first: wait for the subscription.
    await delay(transport === "ssl" ? 600 : 300);
    for (const [qos, payload] of [["1", "one"], ["2", "two"]]) {
      const r = await run(PUB!, [
        ...args,
        "-t",
        `data/q${qos}`,
        "-m",
        payload!,
        "-q",
        qos!,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const out = await sub.result;
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split("\n"), [
      "status/dev1 online",
      "data/q1 one",
      "data/q2 two",
    ]);
  } finally {
    sub.kill();
    await sub.result.catch(() => {});
  }
  // Clearing the retained message: a new subscriber gets nothing.
  const clear = await run(PUB!, [...args, "-t", "status/dev1", "-n", "-r"]);
  assert.equal(clear.code, 0, clear.stderr);
  const none = await run(SUB!, [
    ...args,
    "-t",
    "status/#",
    "-C",
    "1",
    "-W",
    "1",
  ]);
  assert.equal(none.stdout, "");
}
