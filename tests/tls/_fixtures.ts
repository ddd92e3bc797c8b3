/**
 * The captured OpenSSL handshakes in `fixtures/openssl_handshakes.json`
 * (made by `_openssl.ts`), and a minimal record opener so tests can read
 * the encrypted Finished messages without the record layer.
 *
 * @module
 */

import {
  concatBytes,
  constantTimeEqual,
  decodeHex,
} from "../../src/bytes/mod.ts";
import { aesCbcDecrypt, aesCcm, aesGcm, hmac } from "../../src/crypto/mod.ts";
import {
  type CipherSuite,
  cipherSuiteByName,
} from "../../src/tls/cipher_suites.ts";
import type { DirectionKeys } from "../../src/tls/key_schedule.ts";
import type { CapturedHandshake } from "./_openssl.ts";

/** One captured handshake with its suite resolved. */
export interface Fixture extends CapturedHandshake {
  readonly cipherSuite: CipherSuite;
}

const json = JSON.parse(
  await Deno.readTextFile(
    new URL("./fixtures/openssl_handshakes.json", import.meta.url),
  ),
) as { handshakes: CapturedHandshake[] };

/** Every captured handshake. */
export const FIXTURES: readonly Fixture[] = json.handshakes.map((h) => {
  const cipherSuite = cipherSuiteByName(h.suite);
  if (!cipherSuite) throw new Error(`Fixture suite ${h.suite} is unknown`);
  return { ...h, cipherSuite };
});

/** The fixture called `name`. */
export function fixture(name: string): Fixture {
  const f = FIXTURES.find((h) => h.name === name);
  if (!f) throw new Error(`No fixture ${name}`);
  return f;
}

/** A fixture message with bytes decoded. */
export interface FixtureMessage {
  readonly from: "client" | "server";
  readonly type: number;
  /** Header and body, as the transcript takes it. */
  readonly raw: Uint8Array;
  readonly body: Uint8Array;
}

/** The messages of `f`, with bodies cut out of the TLS or DTLS header. */
export function messagesOf(f: CapturedHandshake): FixtureMessage[] {
  return f.messages.map((m) => {
    const raw = decodeHex(m.raw);
    return {
      from: m.from,
      type: m.type,
      raw,
      body: raw.subarray(f.dtls ? 12 : 4),
    };
  });
}

/** The first message of `type` from `from` (after any HelloVerifyRequest for a ClientHello). */
export function messageOf(
  f: CapturedHandshake,
  from: "client" | "server",
  type: number,
  index = 0,
): FixtureMessage {
  const m =
    messagesOf(f).filter((x) => x.from === from && x.type === type)[index];
  if (!m) throw new Error(`${f.name} has no ${from} message ${type}`);
  return m;
}

/**
 * The messages that belong in the transcript, in order: in DTLS the first
 * ClientHello and the HelloVerifyRequest are left out (RFC 6347 §4.2.6).
 */
export function transcriptMessages(f: CapturedHandshake): FixtureMessage[] {
  const all = messagesOf(f);
  const hvr = all.findIndex((m) => m.type === 3);
  return hvr < 0 ? all : all.slice(hvr + 1);
}

/**
 * Opens one protected record and returns its plaintext, or throws if it
 * does not authenticate. AEAD per RFC 5246 §6.2.3.3 / RFC 5288 §3, CBC
 * (MAC-then-encrypt) per RFC 5246 §6.2.3.2, padding and MAC checked but not
 * in constant time: test code. `tlsSeq` is the TLS record sequence number;
 * DTLS takes epoch and sequence from the header.
 */
export function openRecord(
  record: Uint8Array,
  options: {
    dtls: boolean;
    suite: CipherSuite;
    keys: DirectionKeys;
    tlsSeq: number;
  },
): Uint8Array {
  const { dtls, suite, keys } = options;
  const headerLength = dtls ? 13 : 5;
  const type = record[0]!;
  const version = record.subarray(1, 3);
  const seqNum = dtls ? record.slice(3, 11) : new Uint8Array(8);
  if (!dtls) new DataView(seqNum.buffer).setUint32(4, options.tlsSeq);
  const fragment = record.subarray(headerLength);
  const header = (length: number) =>
    concatBytes(
      seqNum,
      new Uint8Array([type]),
      version,
      new Uint8Array([length >> 8, length & 0xff]),
    );
  if (suite.cipher === "aes-128-cbc" || suite.cipher === "aes-256-cbc") {
    const iv = fragment.subarray(0, 16);
    const plain = aesCbcDecrypt(keys.key, iv, fragment.subarray(16));
    const pad = plain[plain.length - 1]!;
    const contentLength = plain.length - pad - 1 - suite.macKeyLength;
    const content = plain.subarray(0, contentLength);
    const mac = plain.subarray(
      contentLength,
      contentLength + suite.macKeyLength,
    );
    const expected = hmac(
      suite.prfHash,
      keys.macKey,
      concatBytes(header(contentLength), content),
    );
    if (!constantTimeEqual(mac, expected)) {
      throw new Error("Record MAC does not verify");
    }
    return content.slice();
  }
  const aead = suite.cipher === "aes-128-ccm-8"
    ? aesCcm(keys.key, 8)
    : suite.cipher === "aes-128-ccm"
    ? aesCcm(keys.key, 16)
    : aesGcm(keys.key);
  const nonce = concatBytes(keys.iv, fragment.subarray(0, 8));
  const sealed = fragment.subarray(8);
  const plain = aead.open(
    nonce,
    sealed,
    header(sealed.length - suite.tagLength),
  );
  if (!plain) throw new Error("Record does not authenticate");
  return plain;
}

/**
 * Opens a side's protected handshake records and returns its Finished in
 * transcript form (DTLS fragments reassembled under one 12-byte header).
 */
export function openFinished(
  f: Fixture,
  from: "client" | "server",
  keys: DirectionKeys,
): Uint8Array {
  const plains = f.protected.filter((p) => p.from === from).map((p, i) =>
    openRecord(decodeHex(p.record), {
      dtls: f.dtls,
      suite: f.cipherSuite,
      keys,
      tlsSeq: i,
    })
  );
  if (!f.dtls) return concatBytes(...plains);
  const first = plains[0]!;
  const length = (first[1]! << 16) | (first[2]! << 8) | first[3]!;
  const out = new Uint8Array(12 + length);
  out.set(first.subarray(0, 6));
  out.set(first.subarray(1, 4), 9);
  for (const p of plains) {
    const offset = (p[6]! << 16) | (p[7]! << 8) | p[8]!;
    out.set(p.subarray(12), 12 + offset);
  }
  return out;
}
