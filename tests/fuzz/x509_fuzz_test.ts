/**
 * Seeded mutation fuzzing of certificate and CRL parsing and of path
 * validation over real openssl certificates. Parsing may succeed or throw
 * `DecodeError`; validation of whatever parses must return a result, never
 * throw. A failure prints the seed and iteration to replay
 * (`FUZZ_SEED=… deno test -A tests/fuzz/x509_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import { type Crl, parseCrl } from "../../src/pki/crl.ts";
import {
  type Certificate,
  parseCertificate,
  validateChain,
} from "../../src/pki/x509/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { mutateTree } from "../support/der_mutate.ts";
import { CERT_NAMES, pkiFixtures } from "../support/pki_fixtures.ts";

const ITERATIONS = 2000;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x78353039);

const fx = await pkiFixtures();
const parsed = Object.fromEntries(
  CERT_NAMES.map((n) => [n, parseCertificate(fx.certs[n].der)]),
) as Record<(typeof CERT_NAMES)[number], Certificate>;

function fail(
  what: string,
  seed: number,
  i: number,
  input: Uint8Array,
  e: unknown,
): never {
  throw new Error(
    `${what}: seed ${seed} iteration ${i} threw ${e}\ninput ${
      encodeHex(input)
    }`,
    { cause: e },
  );
}

function parseOrNull<T>(
  parse: (der: Uint8Array) => T,
  input: Uint8Array,
  context: [string, number, number],
): T | null {
  try {
    return parse(input);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    return fail(context[0], context[1], context[2], input, e);
  }
}

Deno.test("parseCertificate() only throws DecodeError on mutated certificates", () => {
  const corpus = CERT_NAMES.map((n) => fx.certs[n].der);
  const rng = new SeededRandom(SEED);
  const started = performance.now();
  let parsedCount = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    const input = mutate(rng.pick(corpus), rng);
    const cert = parseOrNull(parseCertificate, input, [
      "parseCertificate",
      SEED,
      i,
    ]);
    if (cert) {
      parsedCount++;
      // Every derived field is usable.
      cert.subject.toString();
      cert.issuer.toString();
      cert.subject.key;
    }
  }
  assert.ok(parsedCount > 0);
});

Deno.test("parseCertificate() only throws DecodeError on structurally mutated certificates", () => {
  const corpus = CERT_NAMES.map((n) => fx.certs[n].der);
  const rng = new SeededRandom(SEED ^ 0x74726565);
  const started = performance.now();
  let parsedCount = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    const input = mutateTree(rng.pick(corpus), rng);
    const cert = parseOrNull(parseCertificate, input, [
      "parseCertificate (tree)",
      SEED,
      i,
    ]);
    if (cert) {
      parsedCount++;
      cert.subject.toString();
      cert.issuer.format({ asciiOnly: true });
    }
  }
  assert.ok(parsedCount > 0);
});

Deno.test("parseCrl() only throws DecodeError on mutated CRLs", () => {
  const corpus = [fx.interCrl.der, fx.rootCrl.der, fx.impostorCrl.der];
  const rng = new SeededRandom(SEED ^ 0x43524c);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    const pick = rng.pick(corpus);
    const input = rng.int(2) ? mutate(pick, rng) : mutateTree(pick, rng);
    const crl = parseOrNull(parseCrl, input, ["parseCrl", SEED, i]);
    if (crl) {
      crl.isRevoked(0x2003n);
      void crl.unhandledCriticalExtensions;
    }
  }
});

Deno.test("validateChain() returns a result for mutated but parseable certificates and CRLs", async () => {
  const rng = new SeededRandom(SEED ^ 0x70617468);
  const started = performance.now();
  const now = Date.now();
  const targets: [Certificate[], (c: Certificate) => Certificate[]][] = [
    [[parsed.device1], (c) => [c, parsed.inter]],
    [[parsed.server], (c) => [c, parsed.inter]],
    [[parsed.inter], (c) => [parsed.device1, c]],
    [[parsed.leafRsaPss], (c) => [c]],
    [[parsed.leafP384], (c) => [c]],
  ];
  const interCrl = parseCrl(fx.interCrl.der);
  let validated = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    const [[original], chainOf] = rng.pick(targets) as typeof targets[number];
    const der = (original as Certificate).der;
    const input = rng.int(2) ? mutate(der, rng) : mutateTree(der, rng);
    const cert = parseOrNull(parseCertificate, input, [
      "mutated chain",
      SEED,
      i,
    ]);
    let crls: Crl[] = [interCrl];
    if (rng.int(4) === 0) {
      const crl = parseOrNull(parseCrl, mutate(fx.interCrl.der, rng), [
        "mutated CRL",
        SEED,
        i,
      ]);
      if (crl) crls = [crl];
    }
    if (!cert) continue;
    validated++;
    try {
      const result = await validateChain(chainOf(cert), {
        trustAnchors: [parsed.root, parsed.rootRsa, parsed.rootP384],
        now,
        purpose: rng.pick(["clientAuth", "serverAuth", undefined] as const),
        crls,
        skipValidityCheck: rng.int(2) === 0,
      });
      if (result.ok) {
        // Only an unchanged certificate can still validate.
        assert.equal(
          encodeHex(cert.tbs),
          encodeHex((original as Certificate).tbs),
          `seed ${SEED} iteration ${i}: a modified TBSCertificate validated`,
        );
      } else {
        assert.ok(result.message.length > 0);
      }
    } catch (e) {
      fail("validateChain", SEED, i, input, e);
    }
  }
  assert.ok(validated > 0);
});
