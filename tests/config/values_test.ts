import assert from "node:assert/strict";
import {
  compileAccessRules,
  editDistance,
  formatIp,
  parseAccessRule,
  parseBind,
  parseCidr,
  parseDuration,
  parseHost,
  parseIp,
  parseIpv6,
  suggest,
} from "../../src/config/mod.ts";

Deno.test("parseBind() accepts the EMQX bind forms", () => {
  const cases: [unknown, string, number][] = [
    [8883, "0.0.0.0", 8883],
    ["8883", "0.0.0.0", 8883],
    [":8883", "0.0.0.0", 8883],
    ["0.0.0.0:8883", "0.0.0.0", 8883],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["[::]:8883", "::", 8883],
    ["[2001:db8::1]:5684", "2001:db8::1", 5684],
    ["localhost:1883", "localhost", 1883],
    [" 10.1.2.3:65535 ", "10.1.2.3", 65535],
  ];
  for (const [input, host, port] of cases) {
    assert.deepEqual(
      parseBind(input),
      { ok: true, value: { host, port } },
      String(input),
    );
  }
});

Deno.test("parseBind() rejects bad ports, hosts and shapes", () => {
  for (
    const input of [
      "0.0.0.0:99999",
      65536,
      -1,
      1.5,
      "::8883",
      "[127.0.0.1]:80",
      "host:",
      "300.1.1.1:80",
      "bad_host:80",
      "[::1]",
      true,
      null,
      [],
      {},
    ]
  ) {
    assert.equal(parseBind(input).ok, false, JSON.stringify(input));
  }
});

Deno.test("parseHost() accepts IPs and host names, brackets removed", () => {
  assert.deepEqual(parseHost("[::1]"), { ok: true, value: "::1" });
  assert.deepEqual(parseHost("::"), { ok: true, value: "::" });
  assert.deepEqual(parseHost("broker.example.com"), {
    ok: true,
    value: "broker.example.com",
  });
  for (const bad of ["", "1.2.3", "-x.com", "a..b", "::g", "x y"]) {
    assert.equal(parseHost(bad).ok, false, bad);
  }
});

Deno.test("parseDuration() reads EMQX durations into milliseconds", () => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["3s", 3000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["0s", 0],
  ];
  for (const [text, ms] of cases) {
    assert.deepEqual(parseDuration(text), { ok: true, value: ms });
  }
  for (const bad of ["", "3", "s", "3 s", "1.5s", "-1s", "3sec", "3S"]) {
    assert.equal(parseDuration(bad).ok, false, bad);
  }
});

Deno.test("parseIpv6() and formatIp() round-trip RFC 5952 forms", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::", "fe80::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
  ];
  for (const [input, out] of cases) {
    const bytes = parseIpv6(input);
    assert.ok(bytes, input);
    assert.equal(formatIp(bytes), out);
  }
  for (
    const bad of [
      "",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7",
      "::1.2.3",
    ]
  ) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
  assert.equal(parseIp("1.2.3.4")?.length, 4);
});

Deno.test("parseCidr() validates IPv4 and IPv6 networks", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), { ok: true, value: "10.0.0.0/8" });
  assert.deepEqual(parseCidr("0.0.0.0/0"), { ok: true, value: "0.0.0.0/0" });
  assert.deepEqual(parseCidr("2001:db8::/32"), {
    ok: true,
    value: "2001:db8::/32",
  });
  assert.deepEqual(parseCidr("::/0"), { ok: true, value: "::/0" });
  assert.deepEqual(parseCidr("::1"), { ok: true, value: "::1/128" });
  for (
    const bad of [
      "10.0.0.0/",
      "10.0.0.0/08",
      "10.0.0.0/-1",
      "10.0.0.0/8/8",
      "a/8",
      "2001:db8::1/32",
    ]
  ) {
    assert.equal(parseCidr(bad).ok, false, bad);
  }
});

Deno.test("parseAccessRule() reads allow and deny rules", () => {
  assert.deepEqual(parseAccessRule(" deny   192.168.0.0/16 "), {
    ok: true,
    value: { action: "deny", source: "192.168.0.0/16" },
  });
  for (const bad of ["allow", "allow all now", "ALLOW all", "deny", ""]) {
    assert.equal(parseAccessRule(bad).ok, false, bad);
  }
});

Deno.test("compileAccessRules() lets the first matching rule decide and allows the rest", () => {
  const decide = compileAccessRules([
    { action: "allow", source: "10.1.0.0/16" },
    { action: "deny", source: "10.0.0.0/8" },
    { action: "deny", source: "2001:db8::/32" },
  ]);
  assert.equal(decide("10.1.2.3"), "allow");
  assert.equal(decide("10.2.2.3"), "deny");
  assert.equal(decide("::ffff:10.2.2.3"), "deny");
  assert.equal(decide("2001:db8:1::5"), "deny");
  assert.equal(decide("2001:db9::5"), "allow");
  assert.equal(decide("192.168.1.1"), "allow");
  assert.equal(decide("not an address"), "allow");
  const denyAll = compileAccessRules([{ action: "deny", source: "all" }]);
  assert.equal(denyAll("127.0.0.1"), "deny");
  assert.equal(denyAll("garbage"), "deny");
});

Deno.test("suggest() finds close names and ignores distant ones", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(
    suggest("LISTENER_SSL_PEM_CRET", [
      "LISTENER_SSL_PEM_CERT",
      "LISTENER_SSL_PEM_KEY",
    ]),
    "LISTENER_SSL_PEM_CERT",
  );
  assert.equal(suggest("BIND", ["bind"]), "bind");
  assert.equal(suggest("x", ["abc"]), undefined);
});
