/**
 * The first start, as a user meets it: `deno task start` (the task's own
 * command line from deno.json) in an empty directory with nothing
 * configured. The test reads the `mosquitto_sub`, `mosquitto_pub` and
 * `coap-client-openssl` commands postern prints, runs each one as printed
 * (real peers; a subscriber only gets `-C 1 -W 10` appended so that it
 * ends), and checks they all work: MQTT and MQTT over TLS on the
 * development certificates, CoAP discovery and CoAP over DTLS, and CoAP
 * publishes reaching the MQTT subscriber.
 *
 * Ports: the listeners bind 127.0.0.1 on ports the system picks (the bind
 * variables keep the embedded default), so the printed commands must name
 * the ports actually bound. `POSTERN_FIRST_START_DEFAULT_PORTS=1` runs it
 * on the default ports (1883, 8883, 5683, 5684) instead.
 *
 * @module
 */

import assert from "node:assert/strict";
import { findPeer } from "../net/_support.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TIMEOUT_MS = 60_000;

/** The `start` task's deno arguments, with the entry point made absolute. */
async function startTaskArgs(): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task = String(json.tasks.start).split(/\s+/);
  assert.equal(task[0], "deno");
  return task.slice(1).map((a) =>
    a === "cli/main.ts" ? `${ROOT}cli/main.ts` : a
  );
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (
      ["PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME"].includes(k) ||
      k.startsWith("DENO_")
    ) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Splits a printed command as a POSIX shell would (plain words and '…'). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m; (m = re.exec(line)) !== null;) words.push(m[1] ?? m[2] ?? "");
  return words;
}

interface Ran {
  code: number;
  out: string;
}

async function run(
  words: string[],
  cwd: string,
  timeoutMs = 15_000,
): Promise<Ran> {
  const [cmd, ...args] = words as [string, ...string[]];
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, timeoutMs);
  try {
    const o = await child.output();
    const td = new TextDecoder();
    return { code: o.code, out: td.decode(o.stdout) + td.decode(o.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name:
    "first start: the mosquitto and coap-client commands postern prints work against it",
  ignore: Deno.build.os === "windows",
  async fn() {
    const peers = ["mosquitto_sub", "mosquitto_pub", "coap-client-openssl"];
    if (peers.some((p) => findPeer(p) === undefined)) return;
    const dir = await Deno.makeTempDir({ prefix: "postern_first_start_" });
    const defaults = Deno.env.get("POSTERN_FIRST_START_DEFAULT_PORTS") === "1";
    const ports: Record<string, string> = defaults ? {} : {
      LISTENER_TCP_BIND_ADDRESS: "127.0.0.1",
      LISTENER_TCP_BIND_PORT: "0",
      LISTENER_SSL_BIND_ADDRESS: "127.0.0.1",
      LISTENER_SSL_BIND_PORT: "0",
      COAP_BIND_ADDRESS: "127.0.0.1",
      COAP_BIND_PORT: "0",
      COAP_DTLS_BIND_ADDRESS: "127.0.0.1",
      COAP_DTLS_BIND_PORT: "0",
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: await startTaskArgs(),
      cwd: dir,
      clearEnv: true,
      env: childEnv(ports),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }, TIMEOUT_MS);
    const stdout = new Response(child.stdout).text();
    let hints = "";
    try {
      const reader = child.stderr.pipeThrough(new TextDecoderStream())
        .getReader();
      while (!/for development only/.test(hints)) {
        const { value, done } = await reader.read();
        if (done) break;
        hints += value;
      }
      reader.releaseLock();
      void child.stderr.cancel().catch(() => {});
      assert.match(hints, /Connect with:/, `no hints; stderr:\n${hints}`);
      assert.match(
        hints,
        /development certificates in certs\/.*for development only/,
      );
      const commands = hints.split("\n").map((l) => l.trim())
        .filter((l) =>
          /^(mosquitto_sub|mosquitto_pub|coap-client-openssl) /.test(l)
        )
        .map(shellWords);
      const subs = commands.filter((c) => c[0] === "mosquitto_sub");
      const pubs = commands.filter((c) => c[0] === "mosquitto_pub");
      const coap = commands.filter((c) => c[0] === "coap-client-openssl");
      assert.equal(subs.length, 2, hints); // TCP and TLS
      assert.equal(pubs.length, 2, hints);
      assert.equal(coap.length, 4, hints); // coap and coaps: discovery and a publish
      const portOf = (c: string[]) => c[c.indexOf("-p") + 1];

      // Each printed subscriber receives what the printed publisher on its port sends.
      for (const sub of subs) {
        const pub = pubs.find((p) => portOf(p) === portOf(sub));
        assert.ok(pub, `no mosquitto_pub for ${sub.join(" ")}`);
        const got = run([...sub, "-C", "1", "-W", "10"], dir);
        await new Promise((r) => setTimeout(r, 700));
        const published = await run(pub, dir);
        assert.equal(published.code, 0, `${pub.join(" ")}: ${published.out}`);
        const received = await got;
        assert.equal(received.code, 0, `${sub.join(" ")}: ${received.out}`);
        assert.equal(received.out.trim(), "hello world", sub.join(" "));
      }

      // CoAP and CoAP over DTLS: discovery lists the gateway, a POST reaches MQTT.
      const plainSub = subs.find((s) => !s.includes("--cafile")) as string[];
      for (const c of coap) {
        const uri = c.at(-1) as string;
        if (uri.endsWith("/.well-known/core")) {
          const r = await run(c, dir);
          assert.match(r.out, /<\/ps\/\*>/, `${c.join(" ")}: ${r.out}`);
        } else {
          const got = run([...plainSub, "-C", "1", "-W", "10"], dir);
          await new Promise((r) => setTimeout(r, 700));
          const r = await run(c, dir);
          assert.equal(r.code, 0, `${c.join(" ")}: ${r.out}`);
          assert.doesNotMatch(
            r.out,
            /fail|error|4\.\d\d|5\.\d\d/i,
            `${c.join(" ")}: ${r.out}`,
          );
          const received = await got;
          assert.equal(
            received.out.trim(),
            "hello world",
            `${c.join(" ")} did not reach MQTT`,
          );
        }
      }
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.code, 0);
      const log = await stdout;
      assert.match(log, /certs\.created/);
      assert.match(log, /server\.stopped/);
    } finally {
      clearTimeout(killer);
      try {
        child.kill("SIGKILL");
      } catch {
        // stopped
      }
      await child.status;
      await stdout.catch(() => "");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
