/**
 * Seeded mutation fuzzing of PEM decoding and of the PEM entry points for
 * certificates and CRLs, over real openssl files (chains, cert+key files,
 * CRLs, legacy encrypted keys with headers). Anything other than success or
 * `DecodeError` fails, printing the seed and iteration to replay
 * (`FUZZ_SEED=… deno test -A tests/fuzz/pem_fuzz_test.ts`).
 */

import { DecodeError } from "../../src/bytes/mod.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { parseCrlPem } from "../../src/pki/crl.ts";
import { parseCertificatePem } from "../../src/pki/x509/mod.ts";
import { openssl } from "../support/openssl.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

const ITERATIONS = 2000;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x70656d);

const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

Deno.test("decodePem() and the PEM parsers only throw DecodeError on mutated PEM", async () => {
  const fx = await pkiFixtures();
  const legacy = new TextDecoder().decode(
    await openssl([
      "ec",
      "-in",
      fx.certs.device1.keyPath,
      "-aes128",
      "-passout",
      "pass:x",
    ]),
  );
  const corpus = [
    await Deno.readTextFile(fx.serverChainPath),
    await Deno.readTextFile(fx.serverWithKeyPath),
    fx.interCrl.pem + fx.rootCrl.pem,
    fx.certs.sanZoo.pem.replaceAll("\n", "\r\n"),
    legacy,
  ].map((t) => encoder.encode(t));
  const rng = new SeededRandom(SEED);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    const bytes = mutate(rng.pick(corpus), rng);
    // Both readings of the bytes: a mutation may break UTF-8.
    for (
      const text of [latin1.decode(bytes), new TextDecoder().decode(bytes)]
    ) {
      for (const parse of [decodePem, parseCertificatePem, parseCrlPem]) {
        try {
          parse(text);
        } catch (e) {
          if (e instanceof DecodeError) continue;
          throw new Error(
            `PEM fuzz: seed ${SEED} iteration ${i} threw ${e}\n${
              JSON.stringify(text)
            }`,
            { cause: e },
          );
        }
      }
    }
  }
});
