/**
 * Seeded mutation fuzzing of the two-way TLS decisions: a mutated client
 * chain given to `checkClientCertificate` must give an identity or a
 * refusal, never throw, and an accepted chain must be the original; a
 * mutated CRL served at a distribution point must leave `CrlCache` with
 * one CRL (the last that parsed), never throw. A failure prints the seed and
 * iteration (`FUZZ_SEED=… deno test -A tests/fuzz/client_cert_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import { checkClientCertificate } from "../../src/net/node_tls_listener.ts";
import { CrlCache } from "../../src/net/crl_cache.ts";
import { type Certificate, parseCertificate } from "../../src/pki/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

const ITERATIONS = 500;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x6d746c73);

const fx = await pkiFixtures();

Deno.test("checkClientCertificate() refuses mutated chains with a reason and never throws", async () => {
  const rng = new SeededRandom(SEED);
  const policy = {
    trustAnchors: [parseCertificate(fx.certs.root.der)],
    failIfNoPeerCert: true,
    skipValidityCheck: false,
  };
  const leaf = fx.certs.device1.der;
  const inter = fx.certs.inter.der;
  const end = Date.now() + TIME_LIMIT_MS;
  for (let i = 0; i < ITERATIONS && Date.now() < end; i++) {
    const which = rng.int(2);
    const chain = which === 0
      ? [mutate(leaf, rng), inter]
      : [leaf, mutate(inter, rng)];
    let check;
    try {
      check = await checkClientCertificate(chain, policy);
    } catch (err) {
      throw new Error(
        `seed ${SEED} iteration ${i} threw ${err}\ninput ${
          encodeHex(chain[which]!)
        }`,
      );
    }
    const identity = check.identity;
    assert.ok(identity !== undefined);
    if (identity.refusal === undefined) {
      // Accepted: the mutation left the signed bytes intact.
      const path = identity.chain as Certificate[];
      assert.deepEqual(path[0]!.tbs, parseCertificate(leaf).tbs);
    } else {
      assert.equal(identity.refusal.reason, "bad_credentials");
      assert.ok(identity.refusal.cause.length > 0);
    }
  }
});

Deno.test("CrlCache keeps the last CRL that parsed when a distribution point serves mutated ones", async () => {
  const rng = new SeededRandom(SEED ^ 0x5a5a);
  let body: Uint8Array = fx.interCrl.der;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body.slice()),
  );
  const url = `http://127.0.0.1:${server.addr.port}/inter.crl`;
  const cert = {
    ...parseCertificate(fx.certs.device1.der),
    crlDistributionPoints: [url],
  } as Certificate;
  let now = 0;
  const cache = new CrlCache({
    clock: () => now,
    refreshIntervalMs: 1,
    retryAfterMs: 1,
    timeoutMs: 2_000,
  });
  try {
    assert.equal((await cache.crlsFor([cert])).length, 1);
    const end = Date.now() + TIME_LIMIT_MS;
    for (let i = 0; i < 100 && Date.now() < end; i++) {
      body = mutate(fx.interCrl.der, rng);
      now += 10;
      // Stale: answered from the cache while a refresh runs behind.
      assert.equal((await cache.crlsFor([cert])).length, 1, `iteration ${i}`);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(cache.crls.length, 1, `iteration ${i}`);
    }
  } finally {
    cache.close();
    await server.shutdown();
  }
});
