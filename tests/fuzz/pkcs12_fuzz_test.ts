/**
 * Seeded mutation fuzzing of the PKCS#12 reader and the BER normaliser over
 * openssl-made keystores. Mutating a MAC-protected file mostly exercises the
 * MAC check, so one mode mutates the AuthenticatedSafe and re-computes the
 * MAC to reach the bag parsers and decryption. Any outcome other than
 * success, `KeyError` or `DecodeError` fails, printing the seed and
 * iteration (`FUZZ_SEED=… deno test -A tests/fuzz/pkcs12_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import { DecodeError } from "../../src/bytes/mod.ts";
import { hmac } from "../../src/crypto/mod.ts";
import { berToDer } from "../../src/pki/asn1/ber.ts";
import {
  derExplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
} from "../../src/pki/asn1/mod.ts";
import { KeyError } from "../../src/pki/keys/mod.ts";
import { OID } from "../../src/pki/oids.ts";
import { bmpPassword, pkcs12Kdf } from "../../src/pki/pbe.ts";
import { readPkcs12 } from "../../src/pki/pkcs12.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { fixtures } from "../pki/keys/_fixtures.ts";

const ITERATIONS = 1500;
const TIME_LIMIT_MS = 20_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x70313221);
const PASSWORD = "fuzz-pass";

async function corpus(): Promise<Uint8Array[]> {
  const f = await fixtures();
  const make = async (name: string, args: string[]) => {
    await f.run([
      "pkcs12",
      "-export",
      "-in",
      "ec256.crt",
      "-inkey",
      "ec256.pem",
      "-name",
      "alias",
      "-passout",
      `pass:${PASSWORD}`,
      "-iter",
      "16",
      ...args,
      "-out",
      name,
    ]);
    return f.bytes(name);
  };
  return [
    await make("fz-default.p12", ["-maciter"]),
    await make("fz-legacy.p12", ["-legacy", "-maciter"]),
    await make("fz-3des.p12", [
      "-keypbe",
      "PBE-SHA1-3DES",
      "-certpbe",
      "PBE-SHA1-3DES",
      "-macalg",
      "sha1",
      "-maciter",
    ]),
    await make("fz-plain.p12", ["-keypbe", "NONE", "-certpbe", "NONE"]),
    await make("fz-nomac.p12", ["-nomac"]),
  ];
}

/** The AuthenticatedSafe bytes of a DER PFX. */
function authSafeOf(pfx: Uint8Array): Uint8Array {
  const r = new DerReader(pfx).sequence();
  r.next();
  const ci = r.sequence();
  ci.oid();
  return ci.context(0)!.octetString();
}

/** A PFX around `authSafe` with a correct SHA-256 MAC (16 iterations). */
function withMac(authSafe: Uint8Array): Uint8Array {
  const salt = new Uint8Array(8).fill(7);
  const key = pkcs12Kdf("SHA-256", bmpPassword(PASSWORD), salt, 3, 16, 32);
  return derSequence([
    derInteger(3n),
    derSequence([derOid(OID.data), derExplicit(0, [derOctetString(authSafe)])]),
    derSequence([
      derSequence([
        derSequence([derOid(OID.sha256), derNull()]),
        derOctetString(hmac("SHA-256", key, authSafe)),
      ]),
      derOctetString(salt),
      derInteger(16n),
    ]),
  ]);
}

function check(
  what: string,
  i: number,
  input: Uint8Array,
  fn: () => unknown,
): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeyError || err instanceof DecodeError) return;
    console.error(
      `${what}: seed ${SEED} iteration ${i} threw ${err}\ninput: ${
        Array.from(input, (b) => b.toString(16).padStart(2, "0")).join("")
      }`,
    );
    throw err;
  }
}

Deno.test("readPkcs12() survives mutated keystores", async () => {
  const files = await corpus();
  for (const f of files) readPkcs12(f, PASSWORD); // the corpus itself is valid
  const rng = new SeededRandom(SEED);
  const deadline = performance.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const bytes = mutate(rng.pick(files), rng);
    check("readPkcs12", i, bytes, () => readPkcs12(bytes, PASSWORD));
  }
  console.log(`readPkcs12 fuzz: ${i} iterations, seed ${SEED}`);
});

Deno.test("readPkcs12() survives mutated content under a valid MAC", async () => {
  const safes = (await corpus()).map(authSafeOf);
  assert.ok(readPkcs12(withMac(safes[0]!), PASSWORD).key);
  const rng = new SeededRandom(SEED ^ 0x13579bdf);
  const deadline = performance.now() + TIME_LIMIT_MS;
  let i = 0;
  let decoded = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const pfx = withMac(mutate(rng.pick(safes), rng));
    check("readPkcs12 (re-MACed)", i, pfx, () => {
      readPkcs12(pfx, PASSWORD);
      decoded++;
    });
  }
  console.log(
    `readPkcs12 re-MACed fuzz: ${i} iterations (${decoded} decoded), seed ${SEED}`,
  );
});

Deno.test("berToDer() survives mutated BER and is idempotent", async () => {
  const files = await corpus();
  const samples = [...files, ...files.map(authSafeOf)];
  const rng = new SeededRandom(SEED ^ 0x2468ace0);
  const deadline = performance.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const bytes = mutate(rng.pick(samples), rng);
    check("berToDer", i, bytes, () => {
      const der = berToDer(bytes);
      assert.deepEqual(berToDer(der), der);
      new DerReader(der).next();
    });
  }
  console.log(`berToDer fuzz: ${i} iterations, seed ${SEED}`);
});
