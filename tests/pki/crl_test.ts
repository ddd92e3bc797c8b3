import assert from "node:assert/strict";
import { DecodeError, encodeHex } from "../../src/bytes/mod.ts";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  derTime,
  derTlv,
} from "../../src/pki/asn1/mod.ts";
import {
  Crl,
  findCrlFor,
  findCrlsFor,
  parseCrl,
  parseCrlPem,
  verifyCrlSignature,
} from "../../src/pki/crl.ts";
import { encodeName } from "../../src/pki/name.ts";
import { OID } from "../../src/pki/oids.ts";
import { formatFingerprint, parseCertificate } from "../../src/pki/x509/mod.ts";
import { openssl } from "../support/openssl.ts";
import { pkiFixtures } from "../support/pki_fixtures.ts";

const fx = await pkiFixtures();

async function opensslCrl(path: string): Promise<Map<string, string>> {
  const out = new TextDecoder().decode(
    await openssl([
      "crl",
      "-in",
      path,
      "-noout",
      "-text",
      "-lastupdate",
      "-nextupdate",
      "-crlnumber",
      "-issuer",
      "-nameopt",
      "RFC2253",
      "-dateopt",
      "iso_8601",
    ]),
  );
  const fields = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^(lastUpdate|nextUpdate|crlNumber|issuer)=(.*)$/.exec(line);
    if (m) fields.set(m[1] as string, m[2] as string);
  }
  fields.set("text", out);
  return fields;
}

function isoOf(text: string): number {
  return new Date(text.replace(" ", "T")).getTime();
}

Deno.test("parseCrl() reads the fields openssl prints", async () => {
  const crl = parseCrl(fx.interCrl.der);
  const view = await opensslCrl(fx.interCrl.path);
  assert.equal(crl.version, 2);
  assert.equal(crl.issuer.toString(), view.get("issuer"));
  assert.equal(crl.thisUpdate.getTime(), isoOf(view.get("lastUpdate") ?? ""));
  assert.equal(crl.nextUpdate?.getTime(), isoOf(view.get("nextUpdate") ?? ""));
  assert.equal(crl.crlNumber, BigInt(view.get("crlNumber") ?? ""));
  assert.deepEqual(crl.signatureAlgorithm, {
    oid: OID.ecdsaWithSha256,
    scheme: { alg: "ecdsa", hash: "SHA-256" },
  });
  const text = view.get("text") ?? "";
  const inter = parseCertificate(fx.certs.inter.der);
  assert.ok(
    text.includes(
      formatFingerprint(encodeHex(crl.authorityKeyId ?? new Uint8Array([0]))),
    ),
  );
  assert.deepEqual(crl.authorityKeyId, inter.subjectKeyId);
  const device3 = parseCertificate(fx.certs.device3.der);
  assert.equal(crl.revoked.length, 1);
  const entry = crl.revoked[0];
  assert.equal(entry?.serial, device3.serial);
  assert.match(text, new RegExp(`Serial Number: ${device3.serialHex}`, "i"));
  assert.equal(entry?.reason, "keyCompromise");
  assert.match(text, /Key Compromise/);
  const sigHex = text.split("Signature Value:")[1]?.replace(/[\s:]/g, "");
  assert.equal(encodeHex(crl.signature), sigHex);
  assert.deepEqual(crl.der, fx.interCrl.der);
  assert.deepEqual(crl.tbs, new DerReader(crl.der).sequence().next().raw);
});

Deno.test("parseCrl() reads an empty CRL", async () => {
  const crl = parseCrl(fx.rootCrl.der);
  const view = await opensslCrl(fx.rootCrl.path);
  assert.deepEqual(crl.revoked, []);
  assert.equal(crl.crlNumber, BigInt(view.get("crlNumber") ?? ""));
  assert.ok(!crl.isRevoked(1n));
});

Deno.test("parseCrlPem() returns every CRL block", () => {
  const crls = parseCrlPem(
    fx.certs.root.pem + fx.interCrl.pem + "text\n" + fx.rootCrl.pem,
  );
  assert.deepEqual(crls.map((c) => c.issuer.commonName), [
    "Postern Test Intermediate CA",
    "Postern Test Root CA",
  ]);
});

Deno.test("Crl.isRevoked() finds revoked serials", () => {
  const crl = parseCrl(fx.interCrl.der);
  const device3 = parseCertificate(fx.certs.device3.der);
  const device1 = parseCertificate(fx.certs.device1.der);
  assert.ok(crl.isRevoked(device3.serial));
  assert.ok(!crl.isRevoked(device1.serial));
  assert.equal(crl.revocationOf(device3.serial)?.reason, "keyCompromise");
  assert.equal(crl.revocationOf(device1.serial), undefined);
});

Deno.test("Crl.isRevoked() is a constant-time lookup on a large CRL", () => {
  const alg = derSequence([derOid(OID.ecdsaWithSha256)]);
  const date = derTime(new Date("2030-01-01Z"));
  const entries: Uint8Array[] = [];
  for (let i = 0; i < 50_000; i++) {
    entries.push(derSequence([derInteger(BigInt(i) * 7919n + 1n), date]));
  }
  const tbs = derSequence([
    derInteger(1n),
    alg,
    encodeName([{ type: "CN", value: "big" }]),
    date,
    derSequence(entries),
  ]);
  const crl = parseCrl(
    derSequence([tbs, alg, derBitString(new Uint8Array(8))]),
  );
  assert.equal(crl.revoked.length, 50_000);
  const started = performance.now();
  let hits = 0;
  for (let i = 0; i < 100_000; i++) {
    if (crl.isRevoked(BigInt(i) * 7919n + 1n)) hits++;
  }
  assert.equal(hits, 50_000);
  // 100 000 lookups in a linear scan would take many seconds.
  assert.ok(performance.now() - started < 2000);
});

Deno.test("findCrlFor() matches by issuer name and key identifier", () => {
  const root = parseCertificate(fx.certs.root.der);
  const inter = parseCertificate(fx.certs.inter.der);
  const rsa = parseCertificate(fx.certs.rootRsa.der);
  const interCrl = parseCrl(fx.interCrl.der);
  const rootCrl = parseCrl(fx.rootCrl.der);
  const impostorCrl = parseCrl(fx.impostorCrl.der);
  const all = [rootCrl, interCrl, impostorCrl];
  assert.equal(findCrlFor(inter, all), interCrl);
  // The impostor copied the root's name and key identifier.
  assert.deepEqual(
    new Set(findCrlsFor(root, all)),
    new Set([rootCrl, impostorCrl]),
  );
  assert.equal(findCrlFor(rsa, all), undefined);
});

Deno.test("verifyCrlSignature() checks the issuer's signature", async () => {
  const root = parseCertificate(fx.certs.root.der);
  const inter = parseCertificate(fx.certs.inter.der);
  const impostor = parseCertificate(fx.certs.impostorRoot.der);
  const ed = parseCertificate(fx.certs.ed25519Root.der);
  assert.equal(
    await verifyCrlSignature(parseCrl(fx.interCrl.der), inter),
    true,
  );
  assert.equal(await verifyCrlSignature(parseCrl(fx.rootCrl.der), root), true);
  assert.equal(
    await verifyCrlSignature(parseCrl(fx.rootCrl.der), inter),
    false,
  );
  const impostorCrl = parseCrl(fx.impostorCrl.der);
  assert.equal(await verifyCrlSignature(impostorCrl, root), false);
  assert.equal(await verifyCrlSignature(impostorCrl, impostor), true);
  assert.equal(await verifyCrlSignature(impostorCrl, ed), false);
});

// --- Hand-built CRLs for the malformed cases -------------------------------

const ALG = derSequence([derOid(OID.ecdsaWithSha256)]);
const ISSUER = encodeName([{ type: "CN", value: "ca" }]);
const T = derTime(new Date("2030-01-01Z"));

function ext(oid: string, value: Uint8Array, critical = false): Uint8Array {
  return derSequence([
    derOid(oid),
    ...(critical ? [derBoolean(true)] : []),
    derOctetString(value),
  ]);
}

function crlDer(
  options: {
    version?: Uint8Array[];
    entries?: Uint8Array[];
    extensions?: Uint8Array[];
    outerAlg?: Uint8Array;
  } = {},
): Uint8Array {
  const tbs = derSequence([
    ...(options.version ?? [derInteger(1n)]),
    ALG,
    ISSUER,
    T,
    T,
    ...(options.entries ? [derSequence(options.entries)] : []),
    ...(options.extensions
      ? [derExplicit(0, [derSequence(options.extensions)])]
      : []),
  ]);
  return derSequence([
    tbs,
    options.outerAlg ?? ALG,
    derBitString(new Uint8Array(4)),
  ]);
}

function entry(serial: bigint, extensions?: Uint8Array[]): Uint8Array {
  return derSequence([
    derInteger(serial),
    T,
    ...(extensions ? [derSequence(extensions)] : []),
  ]);
}

function reason(code: number): Uint8Array {
  return ext(OID.crlReason, derTlv(0x0a, new Uint8Array([code])));
}

Deno.test("parseCrl() reads v1 CRLs and every reason code", () => {
  const v1 = parseCrl(crlDer({ version: [], entries: [entry(5n)] }));
  assert.equal(v1.version, 1);
  assert.ok(v1.isRevoked(5n));
  const names = [
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    undefined,
    "removeFromCRL",
    "privilegeWithdrawn",
    "aACompromise",
  ];
  names.forEach((name, code) => {
    if (!name) return;
    const crl = parseCrl(crlDer({ entries: [entry(1n, [reason(code)])] }));
    assert.equal(crl.revoked[0]?.reason, name);
    assert.equal(crl.isRevoked(1n), name !== "removeFromCRL");
  });
  const invalidity = parseCrl(crlDer({
    entries: [
      entry(9n, [ext("2.5.29.24", derTime(new Date("2060-01-01Z")))]),
    ],
  }));
  assert.equal(
    invalidity.revoked[0]?.invalidityDate?.toISOString(),
    "2060-01-01T00:00:00.000Z",
  );
});

Deno.test("Crl.unhandledCriticalExtensions lists what postern cannot process", () => {
  const idp = ext("2.5.29.28", derSequence([]), true);
  const certIssuer = ext("2.5.29.29", derSequence([]), true);
  const crl = parseCrl(crlDer({
    entries: [entry(1n, [certIssuer, reason(1)])],
    extensions: [idp, ext(OID.crlNumber, derInteger(3n), true)],
  }));
  assert.deepEqual(crl.unhandledCriticalExtensions.sort(), [
    "2.5.29.28",
    "2.5.29.29",
  ]);
  assert.ok(crl.hasIssuingDistributionPoint);
  assert.ok(!crl.isDelta);
  assert.equal(crl.crlNumber, 3n);
});

Deno.test("parseCrl() rejects malformed CRLs with DecodeError", () => {
  const bad = [
    crlDer({ version: [derInteger(2n)] }),
    crlDer({ version: [derInteger(0n)] }),
    crlDer({ version: [], extensions: [ext(OID.crlNumber, derInteger(1n))] }),
    crlDer({ version: [], entries: [entry(1n, [reason(1)])] }),
    crlDer({ outerAlg: derSequence([derOid(OID.ecdsaWithSha384)]) }),
    crlDer({
      extensions: [
        ext(OID.crlNumber, derInteger(1n)),
        ext(OID.crlNumber, derInteger(2n)),
      ],
    }),
    crlDer({ extensions: [ext(OID.crlNumber, derInteger(-1n))] }),
    crlDer({ entries: [entry(1n, [reason(7)])] }),
    crlDer({ entries: [entry(1n, [reason(11)])] }),
    crlDer({
      entries: [entry(1n, [ext(OID.crlReason, derInteger(1n))])],
    }),
    new Uint8Array([...crlDer(), 0]),
  ];
  for (const der of bad) {
    assert.throws(() => parseCrl(der), DecodeError, encodeHex(der));
  }
});

Deno.test("parseCrl() throws DecodeError for every truncation of a real CRL", () => {
  const der = fx.interCrl.der;
  for (let n = 0; n < der.length; n++) {
    assert.throws(() => parseCrl(der.subarray(0, n)), DecodeError);
  }
});

Deno.test("Crl can be constructed from fields", () => {
  const crl = new Crl({
    ...parseCrl(fx.interCrl.der),
    revoked: [{ serial: 42n, revocationDate: new Date(0), extensions: [] }],
  });
  assert.ok(crl.isRevoked(42n));
  assert.ok(!crl.isRevoked(-42n));
});
