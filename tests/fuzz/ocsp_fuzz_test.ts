/**
 * Seeded mutation fuzzing of the OCSP response decoder and verifier over
 * real `openssl ocsp` responses (good, revoked, unknown; signed by the CA and
 * by a delegated responder, with nonce and nextUpdate) and of the
 * CertificateStatus message that carries them. Decoding may succeed or throw
 * `DecodeError` (CertificateStatus also `TlsAlertError`); verification of
 * whatever decodes must resolve or reject with `OcspError`, and only an
 * unchanged signed body may verify. A failure prints the seed and iteration
 * to replay (`FUZZ_SEED=… deno test -A tests/fuzz/ocsp_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import {
  certIdFor,
  type Certificate,
  decodeOcspResponse,
  encodeOcspRequest,
  OcspError,
  parseCertificatePem,
  verifyOcspResponse,
} from "../../src/pki/mod.ts";
import {
  decodeCertificateStatus,
  encodeCertificateStatus,
} from "../../src/tls/messages/mod.ts";
import { TlsAlertError } from "../../src/tls/alert.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { mutateTree } from "../support/der_mutate.ts";
import {
  type OcspCertName,
  ocspFixtures,
  type OcspSigner,
  opensslAvailable,
  opensslOcspRespond,
} from "../support/ocsp_fixtures.ts";

const ITERATIONS = 3000;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x6f637370);

const available = await opensslAvailable();

function fail(where: string, i: number, input: Uint8Array, e: unknown): never {
  throw new Error(
    `${where}: seed ${SEED} iteration ${i} input ${encodeHex(input)}: ${e}`,
    { cause: e },
  );
}

Deno.test({
  name:
    "decodeOcspResponse() and verifyOcspResponse() survive mutated openssl responses",
  ignore: !available,
  async fn() {
    const fx = await ocspFixtures();
    const cert = (n: OcspCertName): Certificate =>
      parseCertificatePem(fx.certs[n].pem)[0]!;
    const ca = cert("ca");
    const nonce = new Uint8Array(16).fill(9);
    const cases: [OcspCertName, OcspSigner, string[]][] = [
      ["server", "ca", ["-nmin", "60"]],
      ["revoked", "ca", []],
      ["rogue", "ca", []],
      ["server", "responder", ["-nmin", "60"]],
    ];
    const corpus: { der: Uint8Array; name: OcspCertName }[] = [];
    for (const [name, signer, extra] of cases) {
      const request = encodeOcspRequest([certIdFor(cert(name), ca)], {
        nonce,
      });
      corpus.push({
        der: await opensslOcspRespond(fx, request, signer, extra),
        name,
      });
    }
    const rng = new SeededRandom(SEED);
    const deadline = Date.now() + TIME_LIMIT_MS;
    let decoded = 0;
    for (let i = 0; i < ITERATIONS && Date.now() < deadline; i++) {
      const seed = rng.pick(corpus);
      const input = rng.int(2)
        ? mutateTree(seed.der, rng)
        : mutate(seed.der, rng);
      let response;
      try {
        response = decodeOcspResponse(input);
      } catch (e) {
        if (e instanceof DecodeError) continue;
        fail("decodeOcspResponse", i, input, e);
      }
      decoded++;
      try {
        await verifyOcspResponse(response, {
          certificate: cert(seed.name),
          issuer: ca,
          now: Date.now(),
          nonce,
        });
        // a verified response must be signed over the original body
        const original = decodeOcspResponse(seed.der).basic!;
        assert.equal(
          encodeHex(response.basic!.tbs),
          encodeHex(original.tbs),
          `seed ${SEED} iteration ${i}: a modified ResponseData verified`,
        );
      } catch (e) {
        if (e instanceof OcspError) continue;
        fail("verifyOcspResponse", i, input, e);
      }
    }
    assert.ok(decoded > 0);
  },
});

Deno.test("decodeCertificateStatus() throws only typed errors on mutated input", () => {
  const rng = new SeededRandom(SEED);
  const seed = encodeCertificateStatus({
    ocspResponse: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]),
  });
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutate(seed, rng);
    try {
      decodeCertificateStatus(input);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof TlsAlertError) continue;
      fail("decodeCertificateStatus", i, input, e);
    }
  }
});
