// Tests of src/log (kept beside the server tests that use it).
import assert from "node:assert/strict";
import {
  formatLogLine,
  isSecretName,
  Logger,
  redact,
} from "../../src/log/mod.ts";

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function capture(options: ConstructorParameters<typeof Logger>[0] = {}) {
  const lines: string[] = [];
  const logger = new Logger({
    clock: () => T0,
    sink: (l) => lines.push(l),
    ...options,
  });
  return { lines, logger };
}

Deno.test("Logger writes one text line per event", () => {
  const { lines, logger } = capture({ format: "text" });
  logger.info("listener.started", { family: "ssl", port: 8883 });
  logger.warn("listener.unavailable", {
    reason: "not implemented in this build",
    ok: false,
    n: null,
  });
  logger.error("x", {
    nested: { a: [1, "b"] },
    multi: "line1\nline2",
    empty: "",
  });
  assert.deepEqual(lines, [
    "2026-11-23T10:00:00.000Z INFO listener.started family=ssl port=8883",
    '2026-11-23T10:00:00.000Z WARN listener.unavailable reason="not implemented in this build" ok=false n=null',
    '2026-11-23T10:00:00.000Z ERROR x nested={"a":[1,"b"]} multi="line1\\nline2" empty=""',
  ]);
  for (const line of lines) assert.ok(!line.includes("\n"));
});

Deno.test("Logger writes one JSON object per event", () => {
  const { lines, logger } = capture({ format: "json" });
  logger.info("listener.started", {
    family: "ssl",
    port: 8883,
    level: "x",
    ts: 1,
  });
  assert.deepEqual(JSON.parse(lines[0]!), {
    ts: "2026-11-23T10:00:00.000Z",
    level: "info",
    event: "listener.started",
    family: "ssl",
    port: 8883,
    level_: "x",
    ts_: 1,
  });
});

Deno.test("Logger filters by level", () => {
  const { lines, logger } = capture({ level: "warn" });
  logger.debug("a");
  logger.info("b");
  logger.warn("c");
  logger.error("d");
  assert.deepEqual(lines.map((l) => l.split(" ")[2]), ["c", "d"]);
  const debug = capture({ level: "debug" });
  debug.logger.debug("a");
  assert.equal(debug.lines.length, 1);
  assert.ok(debug.logger.enabled("debug"));
});

Deno.test("Logger redacts secret-named fields at any depth", () => {
  for (const format of ["json", "text"] as const) {
    const { lines, logger } = capture({ format });
    logger.info("e", {
      password: "p1",
      keyPassword: "p2",
      secret: "p3",
      key: "p4",
      keys: ["p5"],
      psk: "p6",
      token: "p7",
      api_key: "p8",
      nested: { pem_key_password: "p9", list: [{ accessToken: "p10" }] },
      keyFile: "certs/server_key.pem",
      pskIdentity: "device-1",
    });
    const line = lines[0]!;
    for (let i = 1; i <= 10; i++) {
      assert.ok(
        !line.includes(`"p${i}"`) && !line.includes(`=p${i}`),
        `${format} p${i}`,
      );
    }
    assert.ok(line.includes("certs/server_key.pem"));
    assert.ok(line.includes("device-1"));
    assert.ok(line.includes("[redacted]"));
  }
});

Deno.test("Logger child loggers add fields and share the sink", () => {
  const { lines, logger } = capture();
  logger.child({ listener: "ssl/default" }).info("conn.accepted", {
    peer: "1.2.3.4",
  });
  assert.equal(
    lines[0],
    "2026-11-23T10:00:00.000Z INFO conn.accepted listener=ssl/default peer=1.2.3.4",
  );
});

Deno.test("Logger never throws, whatever the fields or the sink", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const { lines, logger } = capture({ format: "json" });
  logger.info("weird", {
    cyclic,
    big: 10n,
    inf: Number.POSITIVE_INFINITY,
    bytes: new Uint8Array(3),
    err: Object.assign(new Error("boom"), { code: "EX" }),
    fn: () => 1,
    date: new Date(0),
    map: new Map([["k", 1]]),
  });
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.cyclic.self, "[circular]");
  assert.equal(parsed.big, "10");
  assert.equal(parsed.inf, "Infinity");
  assert.equal(parsed.bytes, "<3 bytes>");
  assert.deepEqual(parsed.err, { name: "Error", message: "boom", code: "EX" });
  assert.equal(parsed.date, "1970-01-01T00:00:00.000Z");
  assert.deepEqual(parsed.map, { k: 1 });
  const throwing = new Logger({
    sink: () => {
      throw new Error("disk full");
    },
  });
  throwing.error("still.fine", {});
});

Deno.test("isSecretName() and redact() follow the last-word rule", () => {
  assert.ok(isSecretName("KEY_STORE_PASSWORD"));
  assert.ok(isSecretName("keys"));
  assert.ok(!isSecretName("keystore"));
  assert.ok(!isSecretName("tokenCount"));
  assert.deepEqual(redact({ token: null, psk: undefined }), {
    token: null,
    psk: undefined,
  });
  assert.equal(
    formatLogLine({
      ts: 0,
      level: "debug",
      event: "e",
      fields: { a: undefined },
    }, "text"),
    "1970-01-01T00:00:00.000Z DEBUG e",
  );
});
