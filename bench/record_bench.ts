/**
 * Record protection benchmarks: seal and open of 1 KiB DTLS records for the
 * CCM_8 suite CoAP devices use, AES-128-GCM and the legacy CBC-SHA256 suite,
 * beside the raw AEAD call (`src/crypto`) each AEAD record costs, so that
 * the record layer's own overhead (nonce, additional data, copies) shows.
 * Also the DTLS datagram decode and replay check that every received record
 * goes through.
 *
 * Run: `deno bench --allow-all bench/record_bench.ts`. Records per second =
 * 1 / (average time per iteration).
 *
 * @module
 */

import { aesCcm, aesGcm } from "../src/crypto/mod.ts";
import { decodeDatagram, encodeRecord, ReplayWindow } from "../src/dtls/mod.ts";
import { cipherSuiteByName } from "../src/tls/cipher_suites.ts";
import {
  createRecordProtection,
  dtlsSequence,
} from "../src/tls/record_protection.ts";

const PLAINTEXT = new Uint8Array(1024).fill(0x5a);
const SEQ = dtlsSequence(1, 12345);
const APP = 23;
const DTLS12 = 0xfefd;

for (
  const [label, name] of [
    ["CCM_8", "PSK-AES128-CCM8"],
    ["AES-128-GCM", "PSK-AES128-GCM-SHA256"],
    ["CBC-SHA256", "PSK-AES128-CBC-SHA256"],
  ] as const
) {
  const suite = cipherSuiteByName(name)!;
  const keys = {
    key: new Uint8Array(suite.encKeyLength).fill(1),
    iv: new Uint8Array(suite.fixedIvLength).fill(2),
    macKey: new Uint8Array(suite.macKeyLength).fill(3),
  };
  const p = createRecordProtection(suite, keys);
  const sealed = p.seal(SEQ, APP, DTLS12, PLAINTEXT);
  Deno.bench(
    `seal 1 KiB ${label}`,
    { group: `seal-${label}`, baseline: true },
    () => {
      p.seal(SEQ, APP, DTLS12, PLAINTEXT);
    },
  );
  Deno.bench(
    `open 1 KiB ${label}`,
    { group: `open-${label}`, baseline: true },
    () => {
      if (p.open(SEQ, APP, DTLS12, sealed) === undefined) {
        throw new Error("open failed");
      }
    },
  );
  if (suite.macKeyLength === 0) {
    const aead = suite.cipher === "aes-128-ccm-8"
      ? aesCcm(keys.key, 8)
      : aesGcm(keys.key);
    const nonce = new Uint8Array(12);
    const aad = new Uint8Array(13);
    const raw = aead.seal(nonce, PLAINTEXT, aad);
    Deno.bench(
      `raw AEAD seal 1 KiB ${label}`,
      { group: `seal-${label}` },
      () => {
        aead.seal(nonce, PLAINTEXT, aad);
      },
    );
    Deno.bench(
      `raw AEAD open 1 KiB ${label}`,
      { group: `open-${label}` },
      () => {
        aead.open(nonce, raw, aad);
      },
    );
  } else {
    // bad padding costs the same MAC work as good padding (Lucky13 defence)
    const bad = sealed.slice();
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0xff; // garbles the last blocks
    Deno.bench(
      `open 1 KiB ${label}, tampered`,
      { group: `open-${label}` },
      () => {
        p.open(SEQ, APP, DTLS12, bad);
      },
    );
  }
}

const datagram = encodeRecord({
  type: APP,
  version: DTLS12,
  epoch: 1,
  sequenceNumber: 12345,
  fragment: new Uint8Array(1024 + 16),
});
const window = new ReplayWindow();
let seq = 0;
Deno.bench("decodeDatagram + replay check/mark, 1 KiB record", {
  group: "receive",
}, () => {
  const { records } = decodeDatagram(datagram);
  const s = seq++;
  if (window.check(s) && records.length === 1) window.mark(s);
});
