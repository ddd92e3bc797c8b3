/**
 * Seeded mutation fuzzing of the private-key loaders over real openssl keys
 * in every supported format. Any outcome other than a key, a `KeyError` or a
 * `DecodeError` fails, printing the seed and iteration to replay
 * (`FUZZ_SEED=… deno test -A tests/fuzz/keys_fuzz_test.ts`).
 */

import { DecodeError } from "../../src/bytes/mod.ts";
import {
  KeyError,
  loadPrivateKey,
  parsePrivateKeyDer,
} from "../../src/pki/keys/mod.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { fixtures } from "../pki/keys/_fixtures.ts";

const ITERATIONS = 1500;
const TIME_LIMIT_MS = 20_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x6b657973);
const PASSWORD = "fuzz-pass";

async function corpus(): Promise<string[]> {
  const f = await fixtures();
  const make = async (args: string[], out: string) => {
    await f.run([...args, "-passout", `pass:${PASSWORD}`, "-out", out]);
    return f.text(out);
  };
  return [
    f.text("ec256.pem"),
    f.text("ec384.pem"),
    f.text("rsa.pem"),
    f.text("ec256.crt") + f.text("ec256.pem"),
    await make(["ec", "-in", "ec256.pem"], "fz-sec1.pem"),
    await make(["rsa", "-in", "rsa.pem", "-traditional"], "fz-pkcs1.pem"),
    await make(
      ["pkcs8", "-topk8", "-in", "ec256.pem", "-iter", "16"],
      "fz-p8.pem",
    ),
    await make(
      ["pkcs8", "-topk8", "-in", "ec384.pem", "-v2", "des3", "-iter", "16"],
      "fz-p8des.pem",
    ),
    await make(
      [
        "pkcs8",
        "-topk8",
        "-in",
        "ec256.pem",
        "-v1",
        "PBE-SHA1-3DES",
        "-iter",
        "16",
      ],
      "fz-p8pbe.pem",
    ),
    await make(["ec", "-in", "ec256.pem", "-aes128"], "fz-legacy.pem"),
    await make(["ec", "-in", "ec384.pem", "-des3"], "fz-legacy3.pem"),
  ];
}

function check(
  what: string,
  seed: number,
  i: number,
  input: Uint8Array,
  fn: () => unknown,
): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeyError || err instanceof DecodeError) return;
    console.error(
      `${what}: seed ${seed} iteration ${i} threw ${err}\ninput: ${
        Array.from(input, (b) => b.toString(16).padStart(2, "0")).join("")
      }`,
    );
    throw err;
  }
}

Deno.test("loadPrivateKey() survives mutated PEM text", async () => {
  const texts = await corpus();
  const rng = new SeededRandom(SEED);
  const enc = new TextEncoder();
  const latin1 = new TextDecoder("latin1");
  const deadline = performance.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const base = enc.encode(rng.pick(texts));
    const bytes = mutate(base, rng);
    const password = rng.int(4) === 0 ? undefined : PASSWORD;
    check(
      "loadPrivateKey",
      SEED,
      i,
      bytes,
      () => loadPrivateKey(latin1.decode(bytes), password),
    );
  }
  console.log(`loadPrivateKey fuzz: ${i} iterations, seed ${SEED}`);
});

Deno.test("parsePrivateKeyDer() survives mutated DER", async () => {
  const ders = (await corpus()).map((t) =>
    decodePem(t).find((b) => b.label.includes("PRIVATE KEY"))!.der
  );
  const rng = new SeededRandom(SEED ^ 0x5a5a5a5a);
  const deadline = performance.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const bytes = mutate(rng.pick(ders), rng);
    check(
      "parsePrivateKeyDer",
      SEED,
      i,
      bytes,
      () => parsePrivateKeyDer(bytes, PASSWORD),
    );
  }
  console.log(`parsePrivateKeyDer fuzz: ${i} iterations, seed ${SEED}`);
});
