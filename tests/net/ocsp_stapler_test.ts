/**
 * The OCSP stapler against a real `openssl ocsp` responder on loopback:
 * it staples a verified good response, refreshes on its interval, keeps
 * the last good response while the responder fails, stops stapling past
 * nextUpdate, and never staples a revoked status or a response from an
 * unauthorized signer. Every outcome is a log line.
 */
import assert from "node:assert/strict";
import { OcspStapler } from "../../src/net/ocsp_stapler.ts";
import { Logger } from "../../src/log/mod.ts";
import { parseCertificatePem } from "../../src/pki/mod.ts";
import { decodeOcspResponse } from "../../src/pki/ocsp.ts";
import {
  type OcspCertName,
  ocspFixtures,
  type OcspSigner,
  opensslAvailable,
  startOpensslResponder,
} from "../support/ocsp_fixtures.ts";

const available = await opensslAvailable();

interface Harness {
  readonly stapler: OcspStapler;
  readonly events: () => Record<string, unknown>[];
  clock: number | undefined;
  offsetMs: number;
  close(): Promise<void>;
}

async function harness(
  options: {
    name?: OcspCertName;
    signer?: OcspSigner;
    extra?: string[];
    refreshIntervalMs?: number;
  } = {},
): Promise<Harness & { stopResponder(): Promise<void> }> {
  const fx = await ocspFixtures();
  const responder = await startOpensslResponder(
    fx,
    options.signer ?? "ca",
    options.extra ?? [],
  );
  const lines: string[] = [];
  const h = {
    clock: undefined as number | undefined,
    offsetMs: 0,
  };
  const cert = (n: OcspCertName) => parseCertificatePem(fx.certs[n].pem)[0]!;
  const stapler = new OcspStapler({
    certificate: cert(options.name ?? "server"),
    issuer: cert("ca"),
    ocsp: {
      responderUrl: responder.url,
      refreshIntervalMs: options.refreshIntervalMs ?? 300_000,
      refreshHttpTimeoutMs: 5_000,
    },
    logger: new Logger({ format: "json", sink: (l) => lines.push(l) }),
    now: () => h.clock ?? Date.now() + h.offsetMs,
  });
  let responderUp = true;
  return Object.assign(h, {
    stapler,
    events: () => lines.map((l) => JSON.parse(l)),
    async stopResponder() {
      if (responderUp) await responder.close();
      responderUp = false;
    },
    async close() {
      stapler.close();
      if (responderUp) await responder.close();
    },
  });
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !available, fn });

test("OcspStapler staples a verified good response and keeps it while the responder is down", async () => {
  const h = await harness({ extra: ["-nmin", "10"] });
  try {
    await h.stapler.start();
    const staple = h.stapler.staple();
    assert.ok(staple);
    assert.equal(decodeOcspResponse(staple).status, "successful");
    assert.deepEqual(h.stapler.status?.status, { kind: "good" });
    const refreshed = h.events().find((e) => e.event === "ocsp.refreshed");
    assert.equal(refreshed?.signer, "issuer");
    await h.stopResponder();
    assert.equal(await h.stapler.refresh(), false);
    assert.deepEqual(h.stapler.staple(), staple);
    const failed = h.events().find((e) => e.event === "ocsp.refresh_failed");
    assert.equal(failed?.stapling, "previous");
    assert.equal(failed?.code, "network");
    // past nextUpdate the old response is no longer stapled
    h.clock = h.stapler.status!.nextUpdate!.getTime() + 1;
    assert.equal(h.stapler.staple(), undefined);
    assert.equal(h.stapler.staple(), undefined);
    assert.equal(
      h.events().filter((e) => e.event === "ocsp.staple_expired").length,
      1,
    );
  } finally {
    await h.close();
  }
});

test("OcspStapler refreshes on its interval", async () => {
  const h = await harness({ refreshIntervalMs: 100 });
  try {
    await h.stapler.start();
    for (let i = 0; i < 100; i++) {
      if (h.events().filter((e) => e.event === "ocsp.refreshed").length >= 3) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(
      h.events().filter((e) => e.event === "ocsp.refreshed").length >= 3,
    );
  } finally {
    await h.close();
  }
});

test("OcspStapler refreshes before nextUpdate when that comes before the interval", async () => {
  // nextUpdate one minute after thisUpdate, seen from 58.5 s later: the
  // refresh is due in about a second although the interval is 5 minutes
  const h = await harness({ extra: ["-nmin", "1"] });
  h.offsetMs = 58_500;
  try {
    await h.stapler.start();
    const first = h.stapler.status!.thisUpdate;
    for (let i = 0; i < 100; i++) {
      if (h.events().filter((e) => e.event === "ocsp.refreshed").length >= 2) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(
      h.events().filter((e) => e.event === "ocsp.refreshed").length,
      2,
    );
    assert.ok(h.stapler.status!.thisUpdate >= first);
  } finally {
    await h.close();
  }
});

test("OcspStapler does not staple a revoked certificate's status", async () => {
  const h = await harness({ name: "revoked" });
  try {
    assert.equal(await h.stapler.refresh(), false);
    assert.equal(h.stapler.staple(), undefined);
    const bad = h.events().find((e) => e.event === "ocsp.not_good");
    assert.equal(bad?.status, "revoked");
    assert.equal(bad?.reason, "keyCompromise");
    assert.equal(bad?.stapling, "none");
  } finally {
    await h.close();
  }
});

test("OcspStapler refuses a response signed by an unauthorized responder", async () => {
  const h = await harness({ signer: "rogue" });
  try {
    assert.equal(await h.stapler.refresh(), false);
    assert.equal(h.stapler.staple(), undefined);
    const failed = h.events().find((e) => e.event === "ocsp.refresh_failed");
    assert.equal(failed?.code, "unauthorized_responder");
  } finally {
    await h.close();
  }
});
