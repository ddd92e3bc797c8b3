/**
 * Seeded mutation fuzzing of the TLS/DTLS handshake message decoders over
 * the messages OpenSSL sent in the captured handshakes
 * (`tests/tls/fixtures/openssl_handshakes.json`). Every mutated body must
 * either decode or throw `DecodeError` / `TlsAlertError`; a body that
 * decodes must survive encode → decode unchanged. A failure prints the seed
 * and iteration to replay (`FUZZ_SEED=… deno test -A
 * tests/fuzz/tls_handshake_fuzz_test.ts`).
 */

import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import { TlsAlertError } from "../../src/tls/alert.ts";
import type { KeyExchange } from "../../src/tls/cipher_suites.ts";
import {
  decodeExtensions,
  encodeExtensions,
} from "../../src/tls/extensions/mod.ts";
import {
  decodeChangeCipherSpec,
  decodeHandshakeHeaderTls,
  decodeHandshakeMessage,
  encodeHandshakeMessage,
  type HandshakeContext,
} from "../../src/tls/messages/mod.ts";
import { mutate, SeededRandom } from "../support/rng.ts";
import { FIXTURES, messagesOf } from "../tls/_fixtures.ts";

const ITERATIONS = 3000;
const TIME_LIMIT_MS = 15_000;
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x746c7368);
const KXS: KeyExchange[] = ["psk", "ecdhe_psk", "ecdhe_ecdsa", "ecdhe_rsa"];
const TYPES = [0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 20];

interface Seed {
  readonly type: number;
  readonly body: Uint8Array;
  readonly ctx: HandshakeContext;
}

const SEEDS: Seed[] = FIXTURES.flatMap((f) =>
  messagesOf(f)
    .filter((m) => m.type !== 4)
    .map((m) => ({
      type: m.type,
      body: m.body,
      ctx: { dtls: f.dtls, kx: f.cipherSuite.kx },
    }))
);

/** The extension blocks of the captured hellos, for the extension decoder. */
const EXTENSION_BLOCKS: {
  data: Uint8Array;
  context: "client_hello" | "server_hello";
}[] = SEEDS
  .filter((s) => s.type === 1 || s.type === 2)
  .map((s) => {
    const msg = decodeHandshakeMessage(s.type, s.body, s.ctx);
    const exts = msg.type === 1 || msg.type === 2 ? msg.body.extensions : [];
    return {
      data: encodeExtensions(exts),
      context: s.type === 1 ? "client_hello" as const : "server_hello" as const,
    };
  });

function expected(e: unknown): boolean {
  return e instanceof DecodeError || e instanceof TlsAlertError;
}

function fuzzMessage(
  type: number,
  body: Uint8Array,
  ctx: HandshakeContext,
): void {
  let msg;
  try {
    msg = decodeHandshakeMessage(type, body, ctx);
  } catch (e) {
    if (expected(e)) return;
    throw e;
  }
  const again = decodeHandshakeMessage(
    type,
    encodeHandshakeMessage(msg, ctx),
    ctx,
  );
  assert.deepEqual(again, msg);
}

Deno.test("decodeHandshakeMessage() only throws DecodeError or TlsAlertError on mutated OpenSSL messages", () => {
  assert.ok(
    SEEDS.length >= 30,
    "the fixture should hold the captured handshakes",
  );
  const rng = new SeededRandom(SEED);
  const deadline = Date.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && Date.now() < deadline; i++) {
    const seed = rng.pick(SEEDS);
    const body = mutate(seed.body, rng);
    // Mostly the right type and context; sometimes a confused state machine.
    const type = rng.int(8) === 0 ? rng.pick(TYPES) : seed.type;
    const ctx: HandshakeContext = rng.int(8) === 0
      ? { dtls: rng.int(2) === 0, kx: rng.pick(KXS) }
      : seed.ctx;
    try {
      fuzzMessage(type, body, ctx);
      if (i % 4 === 0) {
        const block = rng.pick(EXTENSION_BLOCKS);
        const data = mutate(block.data, rng);
        try {
          const exts = decodeExtensions(data, block.context);
          assert.deepEqual(
            decodeExtensions(encodeExtensions(exts), block.context),
            exts,
          );
        } catch (e) {
          if (!expected(e)) throw e;
        }
      }
      if (i % 16 === 0) {
        for (const f of [decodeHandshakeHeaderTls, decodeChangeCipherSpec]) {
          try {
            f(body.subarray(0, rng.int(6)));
          } catch (e) {
            if (!expected(e)) throw e;
          }
        }
      }
    } catch (e) {
      throw new Error(
        `Fuzz failure at seed ${SEED} iteration ${i} (type ${type}, ${ctx.kx}, dtls ${ctx.dtls}): ${
          encodeHex(body)
        }`,
        { cause: e },
      );
    }
  }
  assert.ok(i >= 500, `only ${i} iterations ran within the time limit`);
});

Deno.test("decodeHandshakeMessage() only throws DecodeError or TlsAlertError on random bytes", () => {
  const rng = new SeededRandom(SEED ^ 0x5a5a);
  for (let i = 0; i < 500; i++) {
    const type = rng.pick(TYPES);
    const body = rng.bytes(rng.int(80));
    try {
      fuzzMessage(type, body, { dtls: rng.int(2) === 0, kx: rng.pick(KXS) });
    } catch (e) {
      throw new Error(
        `Random-bytes failure at seed ${SEED} iteration ${i}: ${
          encodeHex(body)
        }`,
        {
          cause: e,
        },
      );
    }
  }
});
