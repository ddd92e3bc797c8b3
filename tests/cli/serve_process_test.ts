// Runs `postern serve` as a real process and stops it with a signal.
import assert from "node:assert/strict";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const TIMEOUT_MS = 30_000;

/** The environment of the child: enough for deno, none of postern's variables. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (
      ["PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME"].includes(k) ||
      k.startsWith("DENO_")
    ) env[k] = v;
  }
  return env;
}

async function runUntilStarted(signal: Deno.Signal): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern_serve_" });
  const configPath = `${dir}/postern.json`;
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      listeners: {
        tcp: { default: { bind: "127.0.0.1:0" } },
        coap: { default: { enable: false } },
      },
      data_dir: `${dir}/data`,
    }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "serve",
      "--config",
      configPath,
      "--log-format",
      "json",
    ],
    cwd: dir,
    clearEnv: true,
    env: childEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, TIMEOUT_MS);
  const stderr = new Response(child.stderr).text();
  const lines: string[] = [];
  let sent = false;
  try {
    let buffer = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (!sent && JSON.parse(line).event === "server.started") {
          child.kill(signal);
          sent = true;
        }
      }
    }
    const status = await child.status;
    assert.ok(
      sent,
      `no server.started line; stdout:\n${
        lines.join("\n")
      }\nstderr:\n${await stderr}`,
    );
    assert.equal(status.code, 0, await stderr);
    assert.equal(status.signal, null);
    const events = lines.map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), [
      "config.loaded",
      "mqtt.store_loaded",
      "listener.started",
      "server.started",
      "server.stopping",
      "listener.stopped",
      "server.stopped",
    ]);
    assert.equal(events[4].reason, signal);
    assert.match(await stderr, /mosquitto_sub -h 127\.0\.0\.1 -p \d+/);
  } finally {
    clearTimeout(timer);
    await stderr.catch(() => "");
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "postern serve stops cleanly with exit 0 on SIGTERM",
  ignore: Deno.build.os === "windows",
  fn: () => runUntilStarted("SIGTERM"),
});

Deno.test({
  name: "postern serve stops cleanly with exit 0 on SIGINT",
  ignore: Deno.build.os === "windows",
  fn: () => runUntilStarted("SIGINT"),
});
