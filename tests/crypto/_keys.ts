/**
 * Test helpers: make keys with the `openssl` command line and read their
 * components back from `openssl pkey -text -noout`, and wrap raw public keys
 * in SubjectPublicKeyInfo PEM so that `openssl dgst -verify` can use them.
 *
 * @module
 */

import { decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import type {
  EcCurve,
  EcPrivateKey,
  RsaPrivateKey,
} from "../../src/crypto/mod.ts";
import { openssl } from "../support/openssl.ts";

const decoder = new TextDecoder();

/** Collects the hex block that follows `name:` in `openssl pkey -text` output. */
export function textField(text: string, name: string): Uint8Array {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `${name}:`);
  if (start < 0) throw new Error(`No field ${name} in openssl output`);
  let hex = "";
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!/^\s+[0-9a-f]{2}(:[0-9a-f]{2})*:?\s*$/.test(line)) break;
    hex += line.replace(/[\s:]/g, "");
  }
  const bytes = decodeHex(hex);
  let s = 0;
  while (s < bytes.length - 1 && bytes[s] === 0) s++;
  return bytes.subarray(s);
}

function padTo(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(bytes, n - bytes.length);
  return out;
}

/** Reads an RSA private key's components from `openssl pkey -text -noout`. */
export function parseRsaText(text: string): RsaPrivateKey {
  const e = /publicExponent: (\d+)/.exec(text);
  if (!e) throw new Error("No publicExponent in openssl output");
  let ev = BigInt(e[1]!);
  const eBytes: number[] = [];
  while (ev > 0n) {
    eBytes.unshift(Number(ev & 0xffn));
    ev >>= 8n;
  }
  return {
    kind: "rsa",
    n: textField(text, "modulus"),
    e: new Uint8Array(eBytes),
    d: textField(text, "privateExponent"),
    p: textField(text, "prime1"),
    q: textField(text, "prime2"),
    dp: textField(text, "exponent1"),
    dq: textField(text, "exponent2"),
    qi: textField(text, "coefficient"),
  };
}

/** Reads an EC private key from `openssl pkey -text -noout`. */
export function parseEcText(text: string, curve: EcCurve): EcPrivateKey {
  const size = curve === "P-256" ? 32 : 48;
  return {
    kind: "ec",
    curve,
    d: padTo(textField(text, "priv"), size),
    point: textField(text, "pub"),
  };
}

/** A key made by openssl: its PEM file in `dir` and its parsed components. */
export interface OpensslKey<K> {
  readonly pem: string;
  readonly pubPem: string;
  readonly key: K;
}

/** Generates an RSA key with `openssl genpkey` in `dir`. */
export async function opensslRsaKey(
  dir: string,
  bits = 2048,
): Promise<OpensslKey<RsaPrivateKey>> {
  const pem = `${dir}/rsa${bits}.pem`;
  const pubPem = `${dir}/rsa${bits}.pub.pem`;
  await openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    `rsa_keygen_bits:${bits}`,
    "-out",
    pem,
  ]);
  await openssl(["pkey", "-in", pem, "-pubout", "-out", pubPem]);
  const text = decoder.decode(
    await openssl(["pkey", "-in", pem, "-text", "-noout"]),
  );
  return { pem, pubPem, key: parseRsaText(text) };
}

/** Generates an EC key with `openssl genpkey` in `dir`. */
export async function opensslEcKey(
  dir: string,
  curve: EcCurve,
): Promise<OpensslKey<EcPrivateKey>> {
  const name = curve === "P-256" ? "prime256v1" : "secp384r1";
  const pem = `${dir}/${name}.pem`;
  const pubPem = `${dir}/${name}.pub.pem`;
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    `ec_paramgen_curve:${name}`,
    "-out",
    pem,
  ]);
  await openssl(["pkey", "-in", pem, "-pubout", "-out", pubPem]);
  const text = decoder.decode(
    await openssl(["pkey", "-in", pem, "-text", "-noout"]),
  );
  return { pem, pubPem, key: parseEcText(text, curve) };
}

const SPKI_PREFIX: Record<EcCurve, string> = {
  // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING }
  "P-256": "3059301306072a8648ce3d020106082a8648ce3d030107034200",
  // SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING }
  "P-384": "3076301006072a8648ce3d020106052b81040022036200",
};

/** Writes `point` as a SubjectPublicKeyInfo PEM file and returns its path. */
export async function writeEcPublicPem(
  path: string,
  curve: EcCurve,
  point: Uint8Array,
): Promise<string> {
  const der = decodeHex(SPKI_PREFIX[curve] + encodeHex(point));
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n");
  await Deno.writeTextFile(
    path,
    `-----BEGIN PUBLIC KEY-----\n${b64.trimEnd()}\n-----END PUBLIC KEY-----\n`,
  );
  return path;
}

/** `openssl dgst` name of a hash. */
export function dgstName(hash: string): string {
  return "-" + hash.replace("-", "").toLowerCase();
}
