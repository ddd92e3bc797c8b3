/**
 * Seeded mutation fuzzing of the strict DER reader over real DER (openssl
 * certificates, CRLs, keys) and over random bytes. Every element is walked
 * and decoded by its tag; anything other than success or `DecodeError`
 * fails, printing the seed and iteration to replay
 * (`FUZZ_SEED=… deno test -A tests/fuzz/der_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import {
  bitStringValue,
  decodeOid,
  derInteger,
  derOid,
  DerReader,
  integerValue,
  stringValue,
  Tag,
} from "../../src/pki/asn1/mod.ts";
import { decodeName } from "../../src/pki/name.ts";
import { decodeSpki } from "../../src/pki/spki.ts";
import { decodeSignatureAlgorithm } from "../../src/pki/algorithm.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { CERT_NAMES, pemToDer, pkiFixtures } from "../support/pki_fixtures.ts";

const ITERATIONS = 2000;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x00646572);

const STRING_TAGS = new Set<number>([
  Tag.UTF8_STRING,
  Tag.PRINTABLE_STRING,
  Tag.IA5_STRING,
  Tag.VISIBLE_STRING,
  Tag.T61_STRING,
  Tag.BMP_STRING,
  Tag.UNIVERSAL_STRING,
]);

/** Decodes every element of `r` by its tag, recursing into constructed ones. */
function walk(r: DerReader, depth = 0): number {
  let count = 0;
  while (r.anyLeft()) {
    const el = r.next();
    count++;
    if ((el.tag & 0x20) !== 0 && depth < 64) {
      count += walk(DerReader.of(el), depth + 1);
      continue;
    }
    switch (el.tag) {
      case Tag.INTEGER:
      case Tag.ENUMERATED:
        integerValue(el);
        break;
      case Tag.OID:
        decodeOid(el.value, el.valueOffset);
        break;
      case Tag.BIT_STRING:
        bitStringValue(el);
        break;
      case Tag.BOOLEAN:
        new DerReader(el.raw).boolean();
        break;
      case Tag.NULL:
        new DerReader(el.raw).null();
        break;
      case Tag.UTC_TIME:
      case Tag.GENERALIZED_TIME:
        new DerReader(el.raw).time();
        break;
      case Tag.OCTET_STRING:
        // Extension values and keys nest DER inside OCTET STRINGs.
        try {
          walk(new DerReader(el.value, el.valueOffset), depth + 1);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
        break;
      default:
        if (STRING_TAGS.has(el.tag)) stringValue(el);
    }
  }
  return count;
}

/** Tries the typed decoders on the input as a whole, too. */
function decodeAll(input: Uint8Array): void {
  for (
    const decode of [
      (b: Uint8Array) => walk(new DerReader(b)),
      (b: Uint8Array) => decodeName(b),
      (b: Uint8Array) => decodeSpki(b),
      (b: Uint8Array) => decodeSignatureAlgorithm(new DerReader(b).next()),
    ]
  ) {
    try {
      decode(input);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
}

function check(input: Uint8Array, seed: number, i: number): void {
  try {
    decodeAll(input);
  } catch (e) {
    throw new Error(
      `DER fuzz: seed ${seed} iteration ${i} threw ${e}\ninput ${
        encodeHex(input)
      }`,
      { cause: e },
    );
  }
}

Deno.test("DerReader only throws DecodeError on mutated real DER", async () => {
  const fx = await pkiFixtures();
  const corpus: Uint8Array[] = [
    ...CERT_NAMES.map((n) => fx.certs[n].der),
    fx.interCrl.der,
    fx.rootCrl.der,
    pemToDer(await Deno.readTextFile(fx.certs.root.keyPath)),
    pemToDer(await Deno.readTextFile(fx.certs.rootRsa.keyPath)),
  ];
  // Also the inner structures on their own: names, keys, algorithms.
  for (const der of corpus.slice(0, CERT_NAMES.length)) {
    const tbs = new DerReader(new DerReader(der).sequence().next().value);
    while (tbs.anyLeft()) corpus.push(tbs.next().raw);
  }
  for (const der of corpus) walk(new DerReader(der));
  const rng = new SeededRandom(SEED);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > TIME_LIMIT_MS) break;
    check(mutate(rng.pick(corpus), rng), SEED, i);
  }
});

Deno.test("DerReader only throws DecodeError on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      decodeAll(bytes);
    }),
    { numRuns: 2000, seed: SEED },
  );
});

Deno.test("DerReader only throws DecodeError on random element soups", () => {
  const element = fc.oneof(
    fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }).map((v) =>
      derInteger(v)
    ),
    fc.constantFrom(derOid("1.2.840.10045.4.3.2"), derOid("2.5.4.3")),
    fc.uint8Array({ maxLength: 40 }).map((b) =>
      Uint8Array.from([0x30, Math.min(b.length, 127), ...b.subarray(0, 127)])
    ),
    fc.uint8Array({ maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(element, { maxLength: 10 }), (parts) => {
      const body = parts.flatMap((p) => [...p]);
      decodeAll(Uint8Array.from([0x30, Math.min(body.length, 127), ...body]));
      decodeAll(Uint8Array.from(body));
    }),
    { numRuns: 1000, seed: SEED },
  );
  assert.ok(true);
});
