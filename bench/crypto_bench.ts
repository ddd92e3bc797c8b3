/**
 * Crypto benchmarks: every primitive in `src/crypto` beside the candidates
 * it was chosen over (WebCrypto, Deno's `node:crypto`, `@noble/*`), one
 * `group` per operation with the shipped implementation as the baseline.
 *
 * Run: `deno bench --allow-all bench/crypto_bench.ts` (about two minutes;
 * `deno bench` bounds every case by time). Results and the matching
 * `openssl speed` figures are in `bench/README.md`.
 *
 * @module
 */

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  pbkdf2Sync,
} from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { cbc, ctr, ecb, gcm } from "@noble/ciphers/aes.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  aesCcm,
  aesGcm,
  digest,
  ecdsaSignatureFromDer,
  type EcPublicKey,
  generateEcdhKeyPair,
  generateEcKeyPair,
  hmac,
  pbkdf2,
  sign,
  tlsPrf,
  verifySignature,
} from "../src/crypto/mod.ts";
import {
  NodeAesCcm,
  referenceCcmSeal,
} from "../tests/crypto/_ccm_reference.ts";
import { aesEncryptBlock, expandAesKey } from "../src/crypto/aes.ts";
import { HmacSha256, Sha256 } from "../src/crypto/sha256.ts";
import { p256KeyPair } from "../src/crypto/p256.ts";

const subtle = crypto.subtle;
const IN_FLIGHT = 64;

function bytes(n: number, fill = 0x5a): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).fill(fill);
}

function inFlight<T>(fn: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: IN_FLIGHT }, fn));
}

// ---------------------------------------------------------------- ECDSA P-256

const ecKey = await generateEcKeyPair("P-256");
const ecPub: EcPublicKey = { kind: "ec", curve: "P-256", point: ecKey.point };
const message = bytes(100);
const sha256Ecdsa = { alg: "ecdsa", hash: "SHA-256" } as const;
const derSig = await sign(ecKey, message, sha256Ecdsa);
const rawSig = ecdsaSignatureFromDer(derSig, "P-256");
const webKeys = await subtle.generateKey(
  { name: "ECDSA", namedCurve: "P-256" },
  true,
  ["sign", "verify"],
) as CryptoKeyPair;
const webPubRaw = new Uint8Array(
  await subtle.exportKey("raw", webKeys.publicKey),
);
const webSig = new Uint8Array(
  await subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    webKeys.privateKey,
    message,
  ),
);
const ecdsaParams = { name: "ECDSA", hash: "SHA-256" };

Deno.bench("sign() P-256 [p256.ts, shipped]", {
  group: "ecdsa-p256-sign",
  baseline: true,
}, async () => {
  await sign(ecKey, message, sha256Ecdsa);
});
Deno.bench("noble sign P-256 (RFC 6979, no low-S)", {
  group: "ecdsa-p256-sign",
}, () => {
  p256.sign(message, ecKey.d, { lowS: false });
});
Deno.bench("WebCrypto sign P-256", { group: "ecdsa-p256-sign" }, async () => {
  await subtle.sign(ecdsaParams, webKeys.privateKey, message);
});
Deno.bench(`WebCrypto sign P-256 ×${IN_FLIGHT} in flight`, {
  group: "ecdsa-p256-sign",
}, async () => {
  await inFlight(() => subtle.sign(ecdsaParams, webKeys.privateKey, message));
});

Deno.bench("verifySignature() P-256 DER [WebCrypto, key cached, shipped]", {
  group: "ecdsa-p256-verify",
  baseline: true,
}, async () => {
  await verifySignature(ecPub, message, derSig, sha256Ecdsa);
});
Deno.bench("verifySignature() P-256, new key object each call (import)", {
  group: "ecdsa-p256-verify",
}, async () => {
  await verifySignature({ ...ecPub }, message, derSig, sha256Ecdsa);
});
Deno.bench(
  "noble verify P-256 (lowS: false)",
  { group: "ecdsa-p256-verify" },
  () => {
    p256.verify(rawSig, message, ecKey.point, { lowS: false });
  },
);
Deno.bench(`WebCrypto verify P-256 ×${IN_FLIGHT} in flight`, {
  group: "ecdsa-p256-verify",
}, async () => {
  await inFlight(() =>
    subtle.verify(ecdsaParams, webKeys.publicKey, webSig, message)
  );
});
Deno.bench("noble verify of a WebCrypto signature (lowS: false)", {
  group: "ecdsa-p256-verify",
}, () => {
  p256.verify(webSig, message, webPubRaw, { lowS: false });
});

// ------------------------------------------------------------------ ECDH

const peerP256 = p256.getPublicKey(p256.utils.randomSecretKey(), false);
const peerX25519 = x25519.getPublicKey(x25519.utils.randomSecretKey());
const ourP256 = await generateEcdhKeyPair("P-256");
const ourX25519 = await generateEcdhKeyPair("X25519");
const nobleP256Secret = p256.utils.randomSecretKey();
const nobleX25519Secret = x25519.utils.randomSecretKey();

Deno.bench(
  "generateEcdhKeyPair(P-256) [p256.ts key pair + WebCrypto PKCS#8 import, shipped]",
  { group: "ecdh-p256-keygen", baseline: true },
  async () => {
    await generateEcdhKeyPair("P-256");
  },
);
Deno.bench("WebCrypto generateKey + exportKey(raw)", {
  group: "ecdh-p256-keygen",
}, async () => {
  const pair = await subtle.generateKey(
    { name: "ECDH", namedCurve: "P-256" },
    false,
    ["deriveBits"],
  ) as CryptoKeyPair;
  await subtle.exportKey("raw", pair.publicKey);
});
Deno.bench("noble P-256 key pair", { group: "ecdh-p256-keygen" }, () => {
  p256.getPublicKey(p256.utils.randomSecretKey(), false);
});
Deno.bench("p256KeyPair() (no WebCrypto import)", {
  group: "ecdh-p256-keygen",
}, () => {
  p256KeyPair();
});
Deno.bench(`generateEcdhKeyPair(P-256) ×${IN_FLIGHT} in flight`, {
  group: "ecdh-p256-keygen",
}, async () => {
  await inFlight(() => generateEcdhKeyPair("P-256"));
});

Deno.bench(
  "deriveSharedSecret() P-256 [WebCrypto + p256.ts point check, shipped]",
  {
    group: "ecdh-p256-derive",
    baseline: true,
  },
  async () => {
    await ourP256.deriveSharedSecret(peerP256);
  },
);
Deno.bench("noble P-256 getSharedSecret", { group: "ecdh-p256-derive" }, () => {
  p256.getSharedSecret(nobleP256Secret, peerP256);
});
Deno.bench(`deriveSharedSecret() P-256 ×${IN_FLIGHT} in flight`, {
  group: "ecdh-p256-derive",
}, async () => {
  await inFlight(() => ourP256.deriveSharedSecret(peerP256));
});

function b64url(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

// One server-side ECDHE: make a key pair, then derive with the client's point.
Deno.bench(
  "ECDHE P-256 keygen + derive [p256.ts keygen + WebCrypto, shipped]",
  {
    group: "ecdhe-p256-total",
    baseline: true,
  },
  async () => {
    const kp = await generateEcdhKeyPair("P-256");
    await kp.deriveSharedSecret(peerP256);
  },
);
Deno.bench("ECDHE P-256: noble keygen, WebCrypto JWK import + derive", {
  group: "ecdhe-p256-total",
}, async () => {
  const d = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(d, false);
  const key = await subtle.importKey(
    "jwk",
    {
      kty: "EC",
      crv: "P-256",
      d: b64url(d),
      x: b64url(pub.subarray(1, 33)),
      y: b64url(pub.subarray(33)),
    },
    { name: "ECDH", namedCurve: "P-256" },
    false,
    ["deriveBits"],
  );
  p256.Point.fromBytes(peerP256).assertValidity();
  const peer = await subtle.importKey(
    "raw",
    peerP256,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  await subtle.deriveBits({ name: "ECDH", public: peer }, key, 256);
});
Deno.bench("ECDHE P-256 on noble only", { group: "ecdhe-p256-total" }, () => {
  const d = p256.utils.randomSecretKey();
  p256.getPublicKey(d, false);
  p256.getSharedSecret(d, peerP256);
});

Deno.bench("generateEcdhKeyPair(X25519) [WebCrypto, shipped]", {
  group: "ecdh-x25519-keygen",
  baseline: true,
}, async () => {
  await generateEcdhKeyPair("X25519");
});
Deno.bench("noble X25519 key pair", { group: "ecdh-x25519-keygen" }, () => {
  x25519.getPublicKey(x25519.utils.randomSecretKey());
});

Deno.bench("deriveSharedSecret() X25519 [WebCrypto, shipped]", {
  group: "ecdh-x25519-derive",
  baseline: true,
}, async () => {
  await ourX25519.deriveSharedSecret(peerX25519);
});
Deno.bench(
  "noble X25519 getSharedSecret",
  { group: "ecdh-x25519-derive" },
  () => {
    x25519.getSharedSecret(nobleX25519Secret, peerX25519);
  },
);

// ------------------------------------------------------ hashes, HMAC, PRF

const key32 = bytes(32, 7);
const data64 = bytes(64);
const data1k = bytes(1024);

Deno.bench("digest(SHA-256) 1 KiB [node:crypto, shipped]", {
  group: "sha256-1KiB",
  baseline: true,
}, () => {
  digest("SHA-256", data1k);
});
Deno.bench("noble sha256 1 KiB", { group: "sha256-1KiB" }, () => {
  sha256(data1k);
});
Deno.bench("Sha256 1 KiB (transcripts)", { group: "sha256-1KiB" }, () => {
  new Sha256().update(data1k).digest();
});

// A PRF-sized HMAC: A(i) + "key expansion" + two randoms = 109 bytes.
const data109 = bytes(109);
const keyed = new HmacSha256(key32);
const nobleKeyed = nobleHmac.create(sha256, key32);
Deno.bench("HmacSha256.mac 109 B, pads hashed once [shipped]", {
  group: "sha256",
  baseline: true,
}, () => {
  keyed.mac([data109]);
});
Deno.bench("noble hmac 109 B, pads hashed once (clone)", {
  group: "sha256",
}, () => {
  const h = nobleKeyed.clone();
  h.update(data109);
  h.digest();
});

Deno.bench("hmac(SHA-256) 64 B [HmacSha256 below threshold, shipped]", {
  group: "hmac-sha256-64B",
  baseline: true,
}, () => {
  hmac("SHA-256", key32, data64);
});
Deno.bench("node:crypto createHmac 64 B", { group: "hmac-sha256-64B" }, () => {
  createHmac("sha256", key32).update(data64).digest();
});
Deno.bench("noble hmac 64 B", { group: "hmac-sha256-64B" }, () => {
  nobleHmac(sha256, key32, data64);
});

Deno.bench("hmac(SHA-256) 1 KiB [node:crypto above threshold, shipped]", {
  group: "hmac-sha256-1KiB",
  baseline: true,
}, () => {
  hmac("SHA-256", key32, data1k);
});
Deno.bench("noble hmac 1 KiB", { group: "hmac-sha256-1KiB" }, () => {
  nobleHmac(sha256, key32, data1k);
});

// A TLS 1.2 key block: 2×32 key + 2×4 salt for AES-256-GCM = 72 bytes.
const master = bytes(48, 3);
const randoms = bytes(64, 9);
const enc = new TextEncoder();
function prfWith(
  mac: (key: Uint8Array, data: Uint8Array) => Uint8Array,
  length: number,
) {
  const label = enc.encode("key expansion");
  const seed = new Uint8Array([...label, ...randoms]);
  const out = new Uint8Array(length);
  let a: Uint8Array = seed;
  for (let off = 0; off < length; off += 32) {
    a = mac(master, a);
    const block = mac(master, new Uint8Array([...a, ...seed]));
    out.set(block.subarray(0, Math.min(32, length - off)), off);
  }
  return out;
}

Deno.bench("tlsPrf(SHA-256) 72 B [HmacSha256, key pads hashed once, shipped]", {
  group: "prf",
  baseline: true,
}, () => {
  tlsPrf("SHA-256", master, "key expansion", randoms, 72);
});
Deno.bench("PRF on node:crypto createHmac", { group: "prf" }, () => {
  prfWith((k, d) => createHmac("sha256", k).update(d).digest(), 72);
});
Deno.bench("PRF on noble hmac, re-keyed each call", { group: "prf" }, () => {
  prfWith((k, d) => nobleHmac(sha256, k, d), 72);
});
Deno.bench("PRF on noble hmac, keyed once (the previous shipped one)", {
  group: "prf",
}, () => {
  const keyedMaster = nobleHmac.create(sha256, master);
  prfWith((_k, d) => keyedMaster.clone().update(d).digest(), 72);
});

Deno.bench("pbkdf2(SHA-256, 1000) [node:crypto, shipped]", {
  group: "pbkdf2",
  baseline: true,
}, () => {
  pbkdf2("SHA-256", key32, data64, 1000, 32);
});
Deno.bench("noble pbkdf2 1000", { group: "pbkdf2" }, () => {
  noblePbkdf2(sha256, key32, data64, { c: 1000, dkLen: 32 });
});

// ------------------------------------------------------- AEAD, 1 KiB records

const record = bytes(1024);
const aad = bytes(13, 1);
const nonce12 = bytes(12, 2);
const key16 = bytes(16, 4);
const key32b = bytes(32, 4);

const gcm128 = aesGcm(key16);
const gcm256 = aesGcm(key32b);
const sealedGcm128 = gcm128.seal(nonce12, record, aad);
const webGcmKey = await subtle.importKey("raw", key16, "AES-GCM", false, [
  "encrypt",
  "decrypt",
]);
const webGcmParams = { name: "AES-GCM", iv: nonce12, additionalData: aad };

Deno.bench("aesGcm(128).seal 1 KiB [node:crypto, shipped]", {
  group: "aes-128-gcm-seal",
  baseline: true,
}, () => {
  gcm128.seal(nonce12, record, aad);
});
Deno.bench(
  "noble gcm(128) encrypt 1 KiB",
  { group: "aes-128-gcm-seal" },
  () => {
    gcm(key16, nonce12, aad).encrypt(record);
  },
);
Deno.bench(
  "WebCrypto AES-GCM encrypt 1 KiB",
  { group: "aes-128-gcm-seal" },
  async () => {
    await subtle.encrypt(webGcmParams, webGcmKey, record);
  },
);
Deno.bench(`WebCrypto AES-GCM encrypt 1 KiB ×${IN_FLIGHT} in flight`, {
  group: "aes-128-gcm-seal",
}, async () => {
  await inFlight(() => subtle.encrypt(webGcmParams, webGcmKey, record));
});

Deno.bench("aesGcm(128).open 1 KiB [node:crypto, shipped]", {
  group: "aes-128-gcm-open",
  baseline: true,
}, () => {
  gcm128.open(nonce12, sealedGcm128, aad);
});
Deno.bench(
  "noble gcm(128) decrypt 1 KiB",
  { group: "aes-128-gcm-open" },
  () => {
    gcm(key16, nonce12, aad).decrypt(sealedGcm128);
  },
);

Deno.bench("aesGcm(256).seal 1 KiB [node:crypto, shipped]", {
  group: "aes-256-gcm-seal",
  baseline: true,
}, () => {
  gcm256.seal(nonce12, record, aad);
});
Deno.bench(
  "noble gcm(256) encrypt 1 KiB",
  { group: "aes-256-gcm-seal" },
  () => {
    gcm(key32b, nonce12, aad).encrypt(record);
  },
);

/**
 * CCM candidate: a fresh `node:crypto` AES-CBC (for the MAC) and AES-CTR
 * (for S_0 and the payload) per record, i.e. two key schedules per record.
 * Fixed shape: 12-byte nonce, 13-byte AAD.
 */
function ccmPerRecordNode(
  key: Uint8Array,
  nonce: Uint8Array,
  pt: Uint8Array,
  a: Uint8Array,
  m: number,
): Uint8Array {
  const bits = key.length * 8;
  const b = new Uint8Array(16 + 16 + Math.ceil(pt.length / 16) * 16);
  b[0] = 0x40 | (((m - 2) / 2) << 3) | 2;
  b.set(nonce, 1);
  b[13] = pt.length >>> 16;
  b[14] = (pt.length >>> 8) & 0xff;
  b[15] = pt.length & 0xff;
  b[16] = 0;
  b[17] = a.length;
  b.set(a, 18);
  b.set(pt, 32);
  const mac = createCipheriv(`aes-${bits}-cbc`, key, new Uint8Array(16));
  mac.setAutoPadding(false);
  const x = mac.update(b);
  const counter = new Uint8Array(16);
  counter[0] = 2;
  counter.set(nonce, 1);
  const body = new Uint8Array(16 + pt.length);
  body.set(x.subarray(x.length - 16, x.length - 16 + m));
  body.set(pt, 16);
  const c = createCipheriv(`aes-${bits}-ctr`, key, counter).update(body);
  const out = new Uint8Array(pt.length + m);
  out.set(c.subarray(16));
  out.set(c.subarray(0, m), pt.length);
  return out;
}

/** CCM candidate on `@noble/ciphers` whole-buffer CBC and CTR calls. */
function ccmNobleModes(
  key: Uint8Array,
  nonce: Uint8Array,
  pt: Uint8Array,
  a: Uint8Array,
  m: number,
): Uint8Array {
  const b = new Uint8Array(16 + 16 + Math.ceil(pt.length / 16) * 16);
  b[0] = 0x40 | (((m - 2) / 2) << 3) | 2;
  b.set(nonce, 1);
  b[13] = pt.length >>> 16;
  b[14] = (pt.length >>> 8) & 0xff;
  b[15] = pt.length & 0xff;
  b[17] = a.length;
  b.set(a, 18);
  b.set(pt, 32);
  const x = cbc(key, new Uint8Array(16), { disablePadding: true }).encrypt(b);
  const counter = new Uint8Array(16);
  counter[0] = 2;
  counter.set(nonce, 1);
  const body = new Uint8Array(16 + pt.length);
  body.set(x.subarray(x.length - 16, x.length - 16 + m));
  body.set(pt, 16);
  const c = ctr(key, counter).encrypt(body);
  const out = new Uint8Array(pt.length + m);
  out.set(c.subarray(16));
  out.set(c.subarray(0, m), pt.length);
  return out;
}

const ccm8 = aesCcm(key16, 8);
const ccm16 = aesCcm(key16, 16);
const nodeCcm8 = new NodeAesCcm(key16, 8);
const nodeCcm16 = new NodeAesCcm(key16, 16);
const sealedCcm8 = ccm8.seal(nonce12, record, aad);
const small = bytes(64);
const sealedSmallCcm8 = ccm8.seal(nonce12, small, aad);
if (
  ccmPerRecordNode(key16, nonce12, record, aad, 8).join() !==
    sealedCcm8.join() ||
  ccmNobleModes(key16, nonce12, record, aad, 8).join() !==
    sealedCcm8.join() ||
  nodeCcm8.seal(nonce12, record, aad).join() !== sealedCcm8.join()
) {
  throw new Error("CCM candidates disagree");
}

Deno.bench("aesCcm(128, 8).seal 1 KiB [own AES, shipped]", {
  group: "aes-128-ccm8-seal",
  baseline: true,
}, () => {
  ccm8.seal(nonce12, record, aad);
});
Deno.bench("CCM_8 on persistent node:crypto ECB + CBC (shipped before)", {
  group: "aes-128-ccm8-seal",
}, () => {
  nodeCcm8.seal(nonce12, record, aad);
});
Deno.bench("CCM_8 on fresh node:crypto CBC + CTR per record", {
  group: "aes-128-ccm8-seal",
}, () => {
  ccmPerRecordNode(key16, nonce12, record, aad, 8);
});
Deno.bench("CCM_8 on noble cbc + ctr", { group: "aes-128-ccm8-seal" }, () => {
  ccmNobleModes(key16, nonce12, record, aad, 8);
});
Deno.bench("CCM_8 block-by-block on noble (test reference)", {
  group: "aes-128-ccm8-seal",
}, () => {
  referenceCcmSeal(key16, nonce12, record, aad, 8);
});

Deno.bench("aesCcm(128, 8).open 1 KiB [own AES, shipped]", {
  group: "aes-128-ccm8-open",
  baseline: true,
}, () => {
  ccm8.open(nonce12, sealedCcm8, aad);
});
Deno.bench("CCM_8 open on persistent node:crypto ECB + CBC (before)", {
  group: "aes-128-ccm8-open",
}, () => {
  nodeCcm8.open(nonce12, sealedCcm8, aad);
});

Deno.bench("aesCcm(128, 8).seal 64 B [own AES, shipped]", {
  group: "aes-128-ccm8-seal-64",
  baseline: true,
}, () => {
  ccm8.seal(nonce12, small, aad);
});
Deno.bench("CCM_8 seal 64 B on persistent node:crypto ECB + CBC (before)", {
  group: "aes-128-ccm8-seal-64",
}, () => {
  nodeCcm8.seal(nonce12, small, aad);
});

Deno.bench("aesCcm(128, 8).open 64 B [own AES, shipped]", {
  group: "aes-128-ccm8-open-64",
  baseline: true,
}, () => {
  ccm8.open(nonce12, sealedSmallCcm8, aad);
});
Deno.bench("CCM_8 open 64 B on persistent node:crypto ECB + CBC (before)", {
  group: "aes-128-ccm8-open-64",
}, () => {
  nodeCcm8.open(nonce12, sealedSmallCcm8, aad);
});

Deno.bench("aesCcm(128, 16).seal 1 KiB [own AES, shipped]", {
  group: "aes-128-ccm-seal",
  baseline: true,
}, () => {
  ccm16.seal(nonce12, record, aad);
});
Deno.bench("CCM on persistent node:crypto ECB + CBC (before)", {
  group: "aes-128-ccm-seal",
}, () => {
  nodeCcm16.seal(nonce12, record, aad);
});
Deno.bench("CCM on fresh node:crypto CBC + CTR per record", {
  group: "aes-128-ccm-seal",
}, () => {
  ccmPerRecordNode(key16, nonce12, record, aad, 16);
});

// What a DTLS handshake pays per CCM direction, and per block.
Deno.bench("aesCcm(128, 8) creation [own AES key schedule, shipped]", {
  group: "ccm-keying",
  baseline: true,
}, () => {
  aesCcm(key16, 8);
});
Deno.bench("NodeAesCcm creation [two createCipheriv, before]", {
  group: "ccm-keying",
}, () => {
  new NodeAesCcm(key16, 8);
});

const roundKeys = expandAesKey(key16);
const oneBlock = bytes(16);
const nodeEcb = createCipheriv("aes-128-ecb", key16, null);
nodeEcb.setAutoPadding(false);
Deno.bench("aesEncryptBlock() AES-128 [shipped]", {
  group: "aes-block",
  baseline: true,
}, () => {
  aesEncryptBlock(roundKeys, oneBlock);
});
Deno.bench("node:crypto AES-128-ECB update, one block", {
  group: "aes-block",
}, () => {
  nodeEcb.update(oneBlock);
});
Deno.bench("noble ecb encrypt, one block (key schedule per call)", {
  group: "aes-block",
}, () => {
  ecb(key16, { disablePadding: true }).encrypt(oneBlock);
});

// Keying cost alone: what a per-record createCipheriv pays.
Deno.bench("node:crypto createCipheriv aes-128-gcm (keying only)", {
  group: "keying",
}, () => {
  createCipheriv("aes-128-gcm", key16, nonce12);
});
Deno.bench("node:crypto createDecipheriv aes-128-gcm (keying only)", {
  group: "keying",
}, () => {
  createDecipheriv("aes-128-gcm", key16, nonce12);
});
Deno.bench(
  "node:crypto createHash sha256 (setup only)",
  { group: "keying" },
  () => {
    createHash("sha256");
  },
);
Deno.bench("node:crypto pbkdf2Sync 1 iteration", { group: "keying" }, () => {
  pbkdf2Sync(key32, data64, 1, 32, "sha256");
});
