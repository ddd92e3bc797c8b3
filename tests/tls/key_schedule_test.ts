import assert from "node:assert/strict";
import { concatBytes, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { tlsPrf } from "../../src/crypto/mod.ts";
import {
  CIPHER_SUITES,
  cipherSuiteByName,
} from "../../src/tls/cipher_suites.ts";
import {
  ecdhePskPremasterSecret,
  extendedMasterSecret,
  keyBlock,
  masterSecret,
  pskPremasterSecret,
  verifyData,
} from "../../src/tls/key_schedule.ts";
import { SeededRandom } from "../support/rng.ts";
import { openssl } from "../support/openssl.ts";
import { FIXTURES } from "./_fixtures.ts";
import { checkFinished, checkPskMasterSecret } from "./_golden.ts";
import { interopTest } from "./_openssl.ts";

Deno.test("pskPremasterSecret() lays out uint16 N, N zeros, uint16 N, psk (RFC 4279 §2)", () => {
  const psk = decodeHex("0102030405");
  assert.equal(
    encodeHex(pskPremasterSecret(psk)),
    "0005" + "0000000000" + "0005" + "0102030405",
  );
  const long = new Uint8Array(300).fill(0xab);
  const pre = pskPremasterSecret(long);
  assert.equal(pre.length, 2 + 300 + 2 + 300);
  assert.deepEqual(pre.subarray(0, 2), new Uint8Array([1, 44]));
  assert.ok(pre.subarray(2, 302).every((b) => b === 0));
  assert.deepEqual(pre.subarray(302, 304), new Uint8Array([1, 44]));
  assert.deepEqual(pre.subarray(304), long);
});

Deno.test("pskPremasterSecret() refuses an empty PSK", () => {
  assert.throws(() => pskPremasterSecret(new Uint8Array(0)), RangeError);
});

Deno.test("ecdhePskPremasterSecret() puts the ECDH secret where PSK has zeros (RFC 5489 §2)", () => {
  const z = new Uint8Array(32).fill(7);
  const psk = decodeHex("aabb");
  assert.equal(
    encodeHex(ecdhePskPremasterSecret(z, psk)),
    "0020" + "07".repeat(32) + "0002" + "aabb",
  );
});

Deno.test('masterSecret() is PRF(premaster, "master secret", client_random + server_random)[0..47]', () => {
  const suite = cipherSuiteByName("PSK-AES256-GCM-SHA384")!;
  const pre = new Uint8Array(20).fill(1);
  const cr = new Uint8Array(32).fill(2);
  const sr = new Uint8Array(32).fill(3);
  assert.deepEqual(
    masterSecret(suite, pre, cr, sr),
    tlsPrf("SHA-384", pre, "master secret", concatBytes(cr, sr), 48),
  );
  assert.throws(() => masterSecret(suite, pre, cr.subarray(1), sr), RangeError);
});

Deno.test("keyBlock() cuts MAC keys, write keys and IVs in RFC 5246 §6.3 order with server_random first", () => {
  const rng = new SeededRandom(6_3);
  const master = rng.bytes(48);
  const cr = rng.bytes(32);
  const sr = rng.bytes(32);
  for (const suite of CIPHER_SUITES) {
    const kb = keyBlock(suite, master, cr, sr);
    const total = 2 *
      (suite.macKeyLength + suite.encKeyLength + suite.fixedIvLength);
    const block = tlsPrf(
      suite.prfHash,
      master,
      "key expansion",
      concatBytes(sr, cr),
      total,
    );
    assert.deepEqual(
      concatBytes(
        kb.clientMacKey,
        kb.serverMacKey,
        kb.clientWriteKey,
        kb.serverWriteKey,
        kb.clientWriteIv,
        kb.serverWriteIv,
      ),
      block,
      suite.name,
    );
    assert.equal(kb.clientWriteKey.length, suite.encKeyLength);
    assert.equal(kb.serverMacKey.length, suite.macKeyLength);
    assert.equal(kb.serverWriteIv.length, suite.fixedIvLength);
  }
});

Deno.test("verifyData() gives 12 bytes that depend on the label", () => {
  const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
  const master = new Uint8Array(48).fill(9);
  const hash = new Uint8Array(32).fill(4);
  const c = verifyData(suite, master, "client finished", hash);
  const s = verifyData(suite, master, "server finished", hash);
  assert.equal(c.length, 12);
  assert.notDeepEqual(c, s);
  assert.deepEqual(c, tlsPrf("SHA-256", master, "client finished", hash, 12));
});

async function opensslTls1Prf(
  hash: "SHA256" | "SHA384",
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
): Promise<string> {
  const out = await openssl([
    "kdf",
    "-keylen",
    "48",
    "-kdfopt",
    `digest:${hash}`,
    "-kdfopt",
    `hexsecret:${encodeHex(secret)}`,
    "-kdfopt",
    `hexseed:${encodeHex(concatBytes(new TextEncoder().encode(label), seed))}`,
    "TLS1-PRF",
  ]);
  return new TextDecoder().decode(out).trim().replaceAll(":", "").toLowerCase();
}

interopTest(
  "masterSecret() and extendedMasterSecret() agree with openssl kdf TLS1-PRF",
  async () => {
    const rng = new SeededRandom(7627);
    for (const name of ["PSK-AES128-CCM8", "PSK-AES256-GCM-SHA384"]) {
      const suite = cipherSuiteByName(name)!;
      const digestName = suite.prfHash === "SHA-384" ? "SHA384" : "SHA256";
      const pre = pskPremasterSecret(rng.bytes(16));
      const cr = rng.bytes(32);
      const sr = rng.bytes(32);
      assert.equal(
        encodeHex(masterSecret(suite, pre, cr, sr)),
        await opensslTls1Prf(
          digestName,
          pre,
          "master secret",
          concatBytes(cr, sr),
        ),
      );
      const sessionHash = rng.bytes(suite.prfHash === "SHA-384" ? 48 : 32);
      assert.equal(
        encodeHex(extendedMasterSecret(suite, pre, sessionHash)),
        await opensslTls1Prf(
          digestName,
          pre,
          "extended master secret",
          sessionHash,
        ),
      );
    }
  },
);

// The captured OpenSSL handshakes: the master secret comes from s_client's
// keylog, the Finished messages are the encrypted records OpenSSL sent.
for (const f of FIXTURES) {
  if (f.psk !== undefined && f.suite.startsWith("PSK-")) {
    Deno.test(
      `${
        f.ems ? "extendedMasterSecret" : "masterSecret"
      }() reproduces OpenSSL's master secret (${f.name})`,
      () => checkPskMasterSecret(f),
    );
  }
  Deno.test(
    `keyBlock() and verifyData() open and check OpenSSL's Finished messages (${f.name})`,
    () => checkFinished(f),
  );
}
