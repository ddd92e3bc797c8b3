/**
 * Two-way TLS on an `ssl` listener with `verify_peer` (served by
 * `node:tls`, decided by postern's PKI code) against real clients:
 * `mosquitto_pub` / `mosquitto_sub` with `--cert` / `--key`, and MQTT.js
 * (`npm:mqtt`) to read the CONNACK reason codes of refusals.
 *
 * Certificates come from `tests/support/pki_fixtures.ts` (root → inter →
 * device certificates; `device3` revoked in `inter.crl`; `expired`;
 * `impostorLeaf` under a CA the listener does not trust). Clients send
 * their certificate followed by `inter`; the listener trusts `root`.
 *
 * Skipped where the clients are missing, except in CI (`CI=true`).
 */
import assert from "node:assert/strict";
import mqtt from "mqtt";
import type { CredentialStore } from "../../src/auth/mod.ts";
import { generateEcKeyPair } from "../../src/crypto/mod.ts";
import {
  encodePem,
  issueCertificate,
  parseCertificate,
  privateKeyToPem,
} from "../../src/pki/mod.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";
import {
  delay,
  findPeer,
  run,
  spawn,
  startTestServer,
} from "../net/_support.ts";

const PUB = findPeer("mosquitto_pub");
const SUB = findPeer("mosquitto_sub");

interface Harness {
  readonly port: number;
  readonly lines: string[];
  readonly files: Record<string, { cert: string; key: string }>;
  readonly ca: string;
  close(): Promise<void>;
}

type Client =
  | "device1"
  | "device2"
  | "device3"
  | "expired"
  | "impostorLeaf"
  | "leafRsa";

async function start(
  ssl: Record<string, unknown> = {},
  mqttOptions: Record<string, unknown> = {},
  seedStore?: (store: CredentialStore) => Promise<void>,
): Promise<Harness> {
  const f = await pkiFixtures();
  const ts = await startTestServer(["ssl"], {
    config: { mqtt: { allow_anonymous: false, ...mqttOptions } },
    tls: {
      certfile: f.serverChainPath,
      keyfile: f.certs.server.keyPath,
      cacertfile: f.certs.root.certPath,
      verify: "verify_peer",
      fail_if_no_peer_cert: true,
      enable_crl_check: true,
      crlfile: f.interCrl.path,
      ...ssl,
    },
    seed: async (store) => {
      await store.setAcl("device-1", [
        { permission: "allow", action: "publish", topic: "telemetry/%u" },
        { permission: "deny", action: "all", topic: "#" },
      ]);
      await seedStore?.(store);
    },
  });
  const files = {} as Record<string, { cert: string; key: string }>;
  for (const name of ["device1", "device2", "device3", "expired"] as const) {
    const cert = `${ts.dataDir}/${name}-chain.pem`;
    await Deno.writeTextFile(cert, f.certs[name].pem + f.certs.inter.pem);
    files[name] = { cert, key: f.certs[name].keyPath };
  }
  for (const name of ["impostorLeaf", "leafRsa"] as const) {
    files[name] = { cert: f.certs[name].certPath, key: f.certs[name].keyPath };
  }
  return {
    port: ts.port("ssl"),
    lines: ts.lines,
    files,
    ca: f.certs.root.certPath,
    async close() {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    },
  };
}

/**
 * Runs `publish` while a `mosquitto_sub` as `device2` waits for one
 * message on `telemetry/#`; returns what it printed.
 */
async function receiveOne(
  h: Harness,
  version: string,
  publish: () => Promise<void>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const sub = spawn(SUB!, [
    ...mosquittoArgs(h, "device2", version),
    "-t",
    "telemetry/#",
    "-v",
    "-C",
    "1",
    "-W",
    "10",
  ]);
  try {
    await delay(800);
    await publish();
    return await sub.result;
  } finally {
    sub.kill();
    await sub.result.catch(() => {});
  }
}

function mosquittoArgs(h: Harness, who: Client | undefined, v: string) {
  return [
    "-h",
    "localhost",
    "-p",
    String(h.port),
    "--cafile",
    h.ca,
    "-V",
    v,
    ...(who === undefined
      ? []
      : ["--cert", h.files[who]!.cert, "--key", h.files[who]!.key]),
  ];
}

/** The CONNACK reason code MQTT.js reports, or 0 when it connected. */
async function mqttJsConnack(
  h: Harness,
  who: Client | undefined,
  protocolVersion: 4 | 5,
): Promise<number> {
  const read = (p: string) => Deno.readTextFileSync(p);
  const client = mqtt.connect(`mqtts://localhost:${h.port}`, {
    protocolVersion,
    ca: read(h.ca),
    ...(who === undefined
      ? {}
      : { cert: read(h.files[who]!.cert), key: read(h.files[who]!.key) }),
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    clientId: `js-${who ?? "none"}-${protocolVersion}`,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once("connect", () => resolve(0));
      client.once("error", (err: Error & { code?: number }) => {
        if (typeof err.code === "number") resolve(err.code);
        else reject(err);
      });
      setTimeout(() => reject(new Error("no CONNACK")), 8_000);
    });
  } finally {
    client.end(true);
  }
}

function refusals(h: Harness): { reason: string; subject?: string }[] {
  return h.lines.map((l) => JSON.parse(l)).filter((e) =>
    e.event === "tls.client_certificate_refused"
  );
}

for (const version of ["mqttv311", "mqttv5"] as const) {
  Deno.test({
    name:
      `mosquitto clients ${version} with client certificates: user name is the CN, ACL by CN applies`,
    ignore: PUB === undefined || SUB === undefined,
    async fn() {
      const h = await start();
      try {
        const out = await receiveOne(h, version, async () => {
          const denied = await run(PUB!, [
            ...mosquittoArgs(h, "device1", version),
            "-t",
            "telemetry/device-2",
            "-m",
            "not mine",
          ]);
          assert.equal(denied.code, 0, denied.stderr);
          const ok = await run(PUB!, [
            ...mosquittoArgs(h, "device1", version),
            "-t",
            "telemetry/device-1",
            "-m",
            "21.5",
          ]);
          assert.equal(ok.code, 0, ok.stderr);
        });
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout.trim(), "telemetry/device-1 21.5");
        assert.deepEqual(refusals(h), []);
      } finally {
        await h.close();
      }
    },
  });
}

Deno.test({
  name:
    "mosquitto_pub is refused without a certificate, with a revoked, an expired and untrusted ones",
  ignore: PUB === undefined,
  async fn() {
    const h = await start();
    try {
      const clients = [
        undefined,
        "device3",
        "expired",
        "impostorLeaf",
        "leafRsa",
      ];
      for (const who of clients) {
        const r = await run(PUB!, [
          ...mosquittoArgs(h, who as Client | undefined, "mqttv5"),
          "-t",
          "t",
          "-m",
          "m",
        ]);
        assert.notEqual(r.code, 0, `${who}: ${r.stdout}`);
      }
      assert.deepEqual(refusals(h).map((r) => r.reason), [
        "no_certificate",
        "revoked",
        "expired",
        "bad_signature", // a CA with the trusted root's name and another key
        "unknown_ca",
      ]);
    } finally {
      await h.close();
    }
  },
});

Deno.test("MQTT.js reads CONNACK 0x87/0x05 without a certificate and 0x86/0x04 for a refused one", async () => {
  const h = await start();
  try {
    assert.equal(await mqttJsConnack(h, "device1", 5), 0);
    assert.equal(await mqttJsConnack(h, "device1", 4), 0);
    assert.equal(await mqttJsConnack(h, undefined, 5), 0x87);
    assert.equal(await mqttJsConnack(h, undefined, 4), 0x05);
    for (const who of ["device3", "expired", "leafRsa"] as const) {
      assert.equal(await mqttJsConnack(h, who, 5), 0x86, who);
      assert.equal(await mqttJsConnack(h, who, 4), 0x04, who);
    }
    const logged = refusals(h);
    assert.ok(
      logged.some((r) =>
        r.reason === "revoked" && r.subject?.includes("device-3")
      ),
    );
  } finally {
    await h.close();
  }
});

Deno.test("An expired client certificate is accepted with skip_validity_check_for_client_cert", async () => {
  const h = await start({ skip_validity_check_for_client_cert: true });
  try {
    assert.equal(await mqttJsConnack(h, "expired", 5), 0);
    assert.equal(await mqttJsConnack(h, "device3", 5), 0x86);
  } finally {
    await h.close();
  }
});

Deno.test("Without fail_if_no_peer_cert a client without a certificate goes on to user name checks", async () => {
  const h = await start({ fail_if_no_peer_cert: false }, {
    allow_anonymous: true,
  });
  try {
    assert.equal(await mqttJsConnack(h, undefined, 5), 0);
    assert.equal(await mqttJsConnack(h, "impostorLeaf", 5), 0x86);
  } finally {
    await h.close();
  }
});

Deno.test({
  name:
    "mosquitto_pub with a self-signed certificate pinned by fingerprint connects as its device; unpinned it is refused",
  ignore: PUB === undefined || SUB === undefined,
  async fn() {
    const key = await generateEcKeyPair("P-256");
    const der = await issueCertificate({
      subject: { CN: "bench-sensor" },
      subjectKey: key,
      now: Date.now(),
      days: 1,
      extKeyUsage: ["clientAuth"],
    });
    const fingerprint = parseCertificate(der).fingerprintSha256;
    const dir = await Deno.makeTempDir({ prefix: "postern-pinned-" });
    const cert = `${dir}/pinned.pem`;
    const keyFile = `${dir}/pinned.key`;
    await Deno.writeTextFile(cert, encodePem("CERTIFICATE", der));
    await Deno.writeTextFile(keyFile, privateKeyToPem(key));
    const h = await start({}, {}, async (store) => {
      await store.allowCertificate({ fingerprint }, "sensor-42");
      await store.setAcl("sensor-42", [
        { permission: "allow", action: "publish", topic: "telemetry/%u" },
        { permission: "deny", action: "all", topic: "#" },
      ]);
    });
    try {
      h.files.pinned = { cert, key: keyFile };
      const out = await receiveOne(h, "mqttv5", async () => {
        const pub = await run(PUB!, [
          ...mosquittoArgs(h, "pinned" as Client, "mqttv5"),
          "-t",
          "telemetry/sensor-42",
          "-m",
          "pinned",
        ]);
        assert.equal(pub.code, 0, pub.stderr);
      });
      assert.equal(out.stdout.trim(), "telemetry/sensor-42 pinned");
    } finally {
      await h.close();
    }
    const unpinned = await start();
    try {
      unpinned.files.pinned = { cert, key: keyFile };
      const r = await run(PUB!, [
        ...mosquittoArgs(unpinned, "pinned" as Client, "mqttv5"),
        "-t",
        "t",
        "-m",
        "m",
      ]);
      assert.notEqual(r.code, 0);
      assert.deepEqual(refusals(unpinned).map((x) => x.reason), ["unknown_ca"]);
    } finally {
      await unpinned.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
