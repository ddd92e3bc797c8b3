import assert from "node:assert/strict";
import {
  derBitString,
  derBoolean,
  derOctetString,
  derOid,
  DerReader,
  derSequence,
  derTlv,
} from "../../../src/pki/asn1/mod.ts";
import { type Crl, parseCrl } from "../../../src/pki/crl.ts";
import { decodeName, encodeName } from "../../../src/pki/name.ts";
import {
  alertForValidationFailure,
  type Certificate,
  parseCertificate,
  validateChain,
  type ValidateOptions,
  type ValidationFailure,
  type ValidationResult,
} from "../../../src/pki/x509/mod.ts";
import { type CertName, pkiFixtures } from "../../support/pki_fixtures.ts";
import { buildCertificate, buildCrl } from "./_build.ts";

const fx = await pkiFixtures();
const certs = Object.fromEntries(
  Object.values(fx.certs).map((f) => [f.name, parseCertificate(f.der)]),
) as Record<CertName, Certificate>;
const interCrl = parseCrl(fx.interCrl.der);
const rootCrl = parseCrl(fx.rootCrl.der);
const impostorCrl = parseCrl(fx.impostorCrl.der);
const NOW = Date.now();

function names(path: Certificate[]): (string | undefined)[] {
  return path.map((c) => c.subject.commonName);
}

function validate(
  chain: CertName[],
  anchors: CertName[],
  options: Partial<ValidateOptions> = {},
): Promise<ValidationResult> {
  return validateChain(chain.map((n) => certs[n]), {
    trustAnchors: anchors.map((n) => certs[n]),
    now: NOW,
    ...options,
  });
}

function expectFailure(
  result: ValidationResult,
  reason: ValidationFailure,
  certificate?: CertName,
): void {
  assert.equal(result.ok, false, "expected a failure");
  if (result.ok) return;
  assert.equal(result.reason, reason, result.message);
  assert.ok(result.message.length > 0);
  if (certificate) {
    assert.equal(
      result.certificate?.fingerprintSha256,
      certs[certificate].fingerprintSha256,
      `failure is about ${result.certificate?.subject}`,
    );
  }
}

function expectPath(result: ValidationResult, expected: CertName[]): void {
  assert.ok(result.ok, result.ok ? "" : `${result.reason}: ${result.message}`);
  assert.deepEqual(
    result.path.map((c) => c.fingerprintSha256),
    expected.map((n) => certs[n].fingerprintSha256),
  );
}

Deno.test("validateChain() accepts a server chain up to the root", async () => {
  const result = await validate(["server", "inter"], ["root"], {
    purpose: "serverAuth",
  });
  expectPath(result, ["server", "inter", "root"]);
  assert.deepEqual(names(result.ok ? result.path : []), [
    "localhost",
    "Postern Test Intermediate CA",
    "Postern Test Root CA",
  ]);
});

Deno.test("validateChain() accepts client certificates for clientAuth", async () => {
  for (const name of ["device1", "device2"] as const) {
    expectPath(
      await validate([name, "inter"], ["root"], { purpose: "clientAuth" }),
      [name, "inter", "root"],
    );
  }
});

Deno.test("validateChain() builds the path from an unordered chain with extra certificates", async () => {
  expectPath(
    await validate(
      ["device1", "impostorRoot", "server", "root", "rootP384", "inter"],
      ["rootRsa", "root"],
    ),
    ["device1", "inter", "root"],
  );
});

Deno.test("validateChain() stops at an anchor the peer also sent", async () => {
  expectPath(await validate(["server", "inter", "root"], ["root"]), [
    "server",
    "inter",
    "root",
  ]);
});

Deno.test("validateChain() accepts an intermediate or the leaf itself as trust anchor", async () => {
  expectPath(await validate(["device1"], ["inter"]), ["device1", "inter"]);
  expectPath(await validate(["device1"], ["device1"]), ["device1"]);
});

Deno.test("validateChain() verifies P-384, RSA PKCS#1 and RSA-PSS signatures", async () => {
  expectPath(await validate(["leafP384"], ["rootP384"]), [
    "leafP384",
    "rootP384",
  ]);
  expectPath(await validate(["leafRsa"], ["rootRsa"]), ["leafRsa", "rootRsa"]);
  expectPath(await validate(["leafRsaPss"], ["rootRsa"]), [
    "leafRsaPss",
    "rootRsa",
  ]);
});

Deno.test("validateChain() trusts a v1 root as anchor", async () => {
  expectPath(await validate(["leafUnderV1Root"], ["v1Root"]), [
    "leafUnderV1Root",
    "v1Root",
  ]);
});

Deno.test("validateChain() reports empty_chain", async () => {
  expectFailure(await validate([], ["root"]), "empty_chain");
});

Deno.test("validateChain() reports unknown_ca", async () => {
  expectFailure(await validate(["server", "inter"], []), "unknown_ca", "inter");
  expectFailure(
    await validate(["server", "inter"], ["rootP384"]),
    "unknown_ca",
    "inter",
  );
  // The intermediate is missing.
  expectFailure(await validate(["server"], ["root"]), "unknown_ca", "server");
  // The peer sent its root, which is not trusted.
  expectFailure(
    await validate(["server", "inter", "root"], ["rootRsa"]),
    "unknown_ca",
  );
});

Deno.test("validateChain() reports bad_signature for a same-named impostor CA", async () => {
  expectFailure(
    await validate(["impostorLeaf"], ["root"]),
    "bad_signature",
    "impostorLeaf",
  );
  expectFailure(
    await validate(["impostorLeaf", "impostorRoot"], ["root"]),
    "bad_signature",
  );
  // The impostor root in the chain does not shadow the real one.
  expectPath(await validate(["device1", "inter", "impostorRoot"], ["root"]), [
    "device1",
    "inter",
    "root",
  ]);
});

function withSignature(cert: Certificate, signature: Uint8Array): Certificate {
  const outer = new DerReader(cert.der).sequence();
  const tbs = outer.next().raw;
  const alg = outer.next().raw;
  return parseCertificate(derSequence([tbs, alg, derBitString(signature)]));
}

Deno.test("validateChain() reports bad_signature for a tampered signature", async () => {
  const sig = certs.device1.signature.slice();
  sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
  const tampered = withSignature(certs.device1, sig);
  const result = await validateChain([tampered, certs.inter], {
    trustAnchors: [certs.root],
    now: NOW,
  });
  expectFailure(result, "bad_signature");
  assert.equal(alertForValidationFailure("bad_signature"), "bad_certificate");
});

Deno.test("validateChain() reports expired and not_yet_valid", async () => {
  expectFailure(
    await validate(["expired", "inter"], ["root"]),
    "expired",
    "expired",
  );
  expectFailure(
    await validate(["notYetValid", "inter"], ["root"]),
    "not_yet_valid",
    "notYetValid",
  );
  // Before the intermediate existed.
  expectFailure(
    await validate(["device1", "inter"], ["root"], {
      now: certs.inter.notBefore.getTime() - 1000,
    }),
    "not_yet_valid",
  );
  // The boundaries are inclusive.
  expectPath(
    await validate(["device1", "inter"], ["root"], {
      now: certs.device1.notBefore,
    }),
    ["device1", "inter", "root"],
  );
});

Deno.test("validateChain() skipValidityCheck accepts an expired client certificate", async () => {
  expectPath(
    await validate(["expired", "inter"], ["root"], {
      skipValidityCheck: true,
      purpose: "clientAuth",
    }),
    ["expired", "inter", "root"],
  );
  expectPath(
    await validate(["notYetValid", "inter"], ["root"], {
      skipValidityCheck: true,
    }),
    ["notYetValid", "inter", "root"],
  );
});

Deno.test("validateChain() skipValidityCheck still checks signatures and the CAs' validity", async () => {
  expectFailure(
    await validate(["impostorLeaf"], ["root"], { skipValidityCheck: true }),
    "bad_signature",
  );
  expectFailure(
    await validate(["device1", "inter"], ["root"], {
      skipValidityCheck: true,
      now: certs.inter.notAfter.getTime() + 1000,
    }),
    "expired",
    "inter",
  );
});

Deno.test("validateChain() reports revoked from the issuer's CRL", async () => {
  expectFailure(
    await validate(["device3", "inter"], ["root"], { crls: [interCrl] }),
    "revoked",
    "device3",
  );
  const ok = await validate(["device1", "inter"], ["root"], {
    crls: [interCrl, rootCrl],
  });
  expectPath(ok, ["device1", "inter", "root"]);
  assert.deepEqual(ok.warnings, []);
  // Without CRLs there is no revocation check.
  expectPath(await validate(["device3", "inter"], ["root"]), [
    "device3",
    "inter",
    "root",
  ]);
});

Deno.test("validateChain() keeps a revocation after the CRL's nextUpdate and warns for stale CRLs", async () => {
  const later = (interCrl.nextUpdate as Date).getTime() + 86_400_000;
  expectFailure(
    await validate(["device3", "inter"], ["root"], {
      crls: [interCrl],
      now: later,
    }),
    "revoked",
  );
  const ok = await validate(["device1", "inter"], ["root"], {
    crls: [interCrl],
    now: later,
  });
  expectPath(ok, ["device1", "inter", "root"]);
  assert.deepEqual(ok.warnings.map((w) => w.code), ["crl_expired"]);
});

Deno.test("validateChain() ignores CRLs it cannot trust", async () => {
  // A CRL whose signature does not verify.
  const outer = new DerReader(interCrl.der).sequence();
  const tbs = outer.next().raw;
  const alg = outer.next().raw;
  const sig = interCrl.signature.slice();
  sig[10] = (sig[10] as number) ^ 0xff;
  const forged = parseCrl(derSequence([tbs, alg, derBitString(sig)]));
  const result = await validate(["device3", "inter"], ["root"], {
    crls: [forged],
  });
  expectPath(result, ["device3", "inter", "root"]);
  assert.deepEqual(result.warnings.map((w) => w.code), ["crl_bad_signature"]);
  // The impostor's CRL carries the root's name and key id, and "revokes" inter.
  const impostor = await validate(["device1", "inter"], ["root"], {
    crls: [impostorCrl],
  });
  expectPath(impostor, ["device1", "inter", "root"]);
  assert.deepEqual(impostor.warnings.map((w) => w.code), [
    "crl_bad_signature",
  ]);
});

Deno.test("validateChain() skips CRLs that are not yet valid, have unknown critical extensions or come from an issuer without cRLSign", async () => {
  const now = Date.UTC(2030, 0, 1);
  const caName = encodeName([{ type: "CN", value: "CRL CA" }]);
  const ca = await buildCertificate({ subject: caName, ca: true });
  const leaf = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "leaf" }]),
    issuer: caName,
    issuerKey: ca.key,
    serial: 77n,
  });
  const revokes = { serial: 77n, date: new Date(now - 1000), reason: 1 };
  const run = async (crl: Crl, anchor = ca.cert) => {
    const r = await validateChain([leaf.cert], {
      trustAnchors: [anchor],
      now,
      crls: [crl],
    });
    return r;
  };
  const good = await buildCrl({
    issuer: caName,
    issuerKey: ca.key,
    thisUpdate: new Date(now - 3600_000),
    nextUpdate: new Date(now + 3600_000),
    revoked: [revokes],
  });
  expectFailure(await run(good), "revoked");
  const future = await buildCrl({
    issuer: caName,
    issuerKey: ca.key,
    thisUpdate: new Date(now + 3600_000),
    revoked: [revokes],
  });
  const f = await run(future);
  assert.ok(f.ok);
  assert.deepEqual(f.warnings.map((w) => w.code), ["crl_not_yet_valid"]);
  const withIdp = await buildCrl({
    issuer: caName,
    issuerKey: ca.key,
    thisUpdate: new Date(now - 3600_000),
    revoked: [revokes],
    extensions: [
      derSequence([
        derOid("2.5.29.28"),
        derBoolean(true),
        derOctetString(derSequence([])),
      ]),
    ],
  });
  const i = await run(withIdp);
  assert.ok(i.ok);
  assert.deepEqual(i.warnings.map((w) => w.code), [
    "crl_unhandled_critical_extension",
  ]);
  // A CA whose keyUsage lacks cRLSign (same key and name).
  const noCrlSign = await buildCertificate({
    subject: caName,
    key: ca.key,
    ca: true,
    serial: 9n,
    extensions: [
      derSequence([
        derOid("2.5.29.15"),
        derBoolean(true),
        derOctetString(derBitString(new Uint8Array([0x04]), 2)),
      ]),
    ],
  });
  const n = await run(good, noCrlSign.cert);
  assert.ok(n.ok);
  assert.deepEqual(n.warnings.map((w) => w.code), ["crl_issuer_not_allowed"]);
  // removeFromCRL entries do not revoke.
  const removed = await buildCrl({
    issuer: caName,
    issuerKey: ca.key,
    thisUpdate: new Date(now - 3600_000),
    revoked: [{ ...revokes, reason: 8 }],
  });
  assert.ok((await run(removed)).ok);
});

Deno.test("validateChain() reports not_ca for a leaf or v1 certificate used as issuer", async () => {
  expectFailure(
    await validate(["leafUnderLeaf", "device1", "inter"], ["root"]),
    "not_ca",
    "device1",
  );
  expectFailure(
    await validate(["leafUnderV1Inter", "v1Inter"], ["root"]),
    "not_ca",
    "v1Inter",
  );
});

Deno.test("validateChain() reports path_length_exceeded", async () => {
  expectFailure(
    await validate(["leafUnderSubCa", "subCa", "inter"], ["root"]),
    "path_length_exceeded",
    "inter",
  );
  expectFailure(
    await validate(["server", "inter"], ["root"], { maxDepth: 2 }),
    "path_length_exceeded",
  );
  expectPath(await validate(["server", "inter"], ["root"], { maxDepth: 3 }), [
    "server",
    "inter",
    "root",
  ]);
});

Deno.test("validateChain() reports bad_key_usage", async () => {
  expectFailure(
    await validate(["leafUnderNoCertSign", "noCertSignCa"], ["root"]),
    "bad_key_usage",
    "noCertSignCa",
  );
  expectFailure(
    await validate(["noDigitalSignature", "inter"], ["root"]),
    "bad_key_usage",
    "noDigitalSignature",
  );
});

Deno.test("validateChain() reports bad_extended_key_usage", async () => {
  expectFailure(
    await validate(["server", "inter"], ["root"], { purpose: "clientAuth" }),
    "bad_extended_key_usage",
    "server",
  );
  expectFailure(
    await validate(["device1", "inter"], ["root"], { purpose: "serverAuth" }),
    "bad_extended_key_usage",
    "device1",
  );
});

Deno.test("validateChain() reports unsupported_algorithm", async () => {
  expectFailure(
    await validate(["leafUnderEd25519"], ["ed25519Root"]),
    "unsupported_algorithm",
    "leafUnderEd25519",
  );
});

Deno.test("validateChain() reports unhandled_critical_extension", async () => {
  expectFailure(
    await validate(["criticalExt", "inter"], ["root"]),
    "unhandled_critical_extension",
    "criticalExt",
  );
});

Deno.test("validateChain() can reach every failure reason", async () => {
  const cases: [ValidationFailure, Promise<ValidationResult>][] = [
    ["expired", validate(["expired", "inter"], ["root"])],
    ["not_yet_valid", validate(["notYetValid", "inter"], ["root"])],
    ["unknown_ca", validate(["server"], ["root"])],
    ["bad_signature", validate(["impostorLeaf"], ["root"])],
    ["revoked", validate(["device3", "inter"], ["root"], { crls: [interCrl] })],
    ["not_ca", validate(["leafUnderLeaf", "device1", "inter"], ["root"])],
    [
      "path_length_exceeded",
      validate(["leafUnderSubCa", "subCa", "inter"], ["root"]),
    ],
    ["bad_key_usage", validate(["noDigitalSignature", "inter"], ["root"])],
    [
      "bad_extended_key_usage",
      validate(["server", "inter"], ["root"], { purpose: "clientAuth" }),
    ],
    ["unsupported_algorithm", validate(["leafUnderEd25519"], ["ed25519Root"])],
    [
      "unhandled_critical_extension",
      validate(["criticalExt", "inter"], ["root"]),
    ],
    ["empty_chain", validate([], ["root"])],
  ];
  const reached = new Set<ValidationFailure>();
  for (const [reason, pending] of cases) {
    const result = await pending;
    expectFailure(result, reason);
    reached.add(reason);
  }
  assert.equal(reached.size, 12);
});

Deno.test("alertForValidationFailure() maps reasons to RFC 5246 alerts", () => {
  const expected: Record<ValidationFailure, string> = {
    expired: "certificate_expired",
    not_yet_valid: "certificate_expired",
    unknown_ca: "unknown_ca",
    bad_signature: "bad_certificate",
    revoked: "certificate_revoked",
    not_ca: "bad_certificate",
    path_length_exceeded: "bad_certificate",
    bad_key_usage: "bad_certificate",
    bad_extended_key_usage: "bad_certificate",
    unsupported_algorithm: "unsupported_certificate",
    unhandled_critical_extension: "bad_certificate",
    empty_chain: "handshake_failure",
  };
  for (const [reason, alert] of Object.entries(expected)) {
    assert.equal(alertForValidationFailure(reason as ValidationFailure), alert);
  }
});

Deno.test("validateChain() terminates on cross-signed loops", async () => {
  const nameA = encodeName([{ type: "CN", value: "Loop A" }]);
  const nameB = encodeName([{ type: "CN", value: "Loop B" }]);
  const a = await buildCertificate({ subject: nameA, ca: true });
  const b = await buildCertificate({ subject: nameB, ca: true });
  const aByB = await buildCertificate({
    subject: nameA,
    issuer: nameB,
    key: a.key,
    issuerKey: b.key,
    ca: true,
    serial: 2n,
  });
  const bByA = await buildCertificate({
    subject: nameB,
    issuer: nameA,
    key: b.key,
    issuerKey: a.key,
    ca: true,
    serial: 3n,
  });
  const leaf = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "leaf" }]),
    issuer: nameA,
    issuerKey: a.key,
  });
  const unrelated = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "other" }]),
    ca: true,
  });
  const chain = [leaf.cert, aByB.cert, bByA.cert, aByB.cert, bByA.cert];
  const result = await validateChain(chain, {
    trustAnchors: [unrelated.cert],
    now: NOW,
  });
  expectFailure(result, "unknown_ca");
  // With B trusted, the loop resolves: leaf ← A (signed by B) ← B.
  const ok = await validateChain(chain, {
    trustAnchors: [b.cert],
    now: NOW,
  });
  assert.ok(ok.ok);
  assert.deepEqual(ok.path.map((c) => c.subject.commonName), [
    "leaf",
    "Loop A",
    "Loop B",
  ]);
});

Deno.test("validateChain() gives up on a flood of same-named issuers", async () => {
  const name = encodeName([{ type: "CN", value: "Flood CA" }]);
  const real = await buildCertificate({ subject: name, ca: true });
  const leaf = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "leaf" }]),
    issuer: name,
    issuerKey: real.key,
  });
  const fakes = await Promise.all(
    Array.from(
      { length: 80 },
      (_, i) =>
        buildCertificate({ subject: name, ca: true, serial: BigInt(i + 10) }),
    ),
  );
  const started = performance.now();
  const result = await validateChain(
    [leaf.cert, ...fakes.map((f) => f.cert)],
    { trustAnchors: [(fakes[0] as (typeof fakes)[number]).cert], now: NOW },
  );
  assert.equal(result.ok, false);
  assert.ok(performance.now() - started < 5000);
});

Deno.test("validateChain() matches issuer names case- and space-insensitively", async () => {
  const ca = await buildCertificate({
    subject: encodeName([{ type: "O", value: "Acme  Corp" }, {
      type: "CN",
      value: "Root",
    }]),
    ca: true,
  });
  const leaf = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "leaf" }]),
    issuer: encodeName([{ type: "O", value: "acme corp " }, {
      type: "CN",
      value: "ROOT",
    }]),
    issuerKey: ca.key,
  });
  assert.ok(
    decodeName(leaf.cert.issuer.raw).equals(ca.cert.subject),
  );
  const result = await validateChain([leaf.cert], {
    trustAnchors: [ca.cert],
    now: NOW,
  });
  assert.ok(result.ok);
});

Deno.test("validateChain() rejects a CA with a critical nameConstraints extension", async () => {
  const name = encodeName([{ type: "CN", value: "Constrained CA" }]);
  const ca = await buildCertificate({
    subject: name,
    ca: true,
    extensions: [
      derSequence([
        derOid("2.5.29.30"),
        derBoolean(true),
        derOctetString(derSequence([derTlv(0xa0, new Uint8Array())])),
      ]),
    ],
  });
  const leaf = await buildCertificate({
    subject: encodeName([{ type: "CN", value: "leaf" }]),
    issuer: name,
    issuerKey: ca.key,
  });
  const result = await validateChain([leaf.cert], {
    trustAnchors: [ca.cert],
    now: NOW,
  });
  expectFailure(result, "unhandled_critical_extension");
});

Deno.test("validateChain() refuses an invalid validation time", async () => {
  await assert.rejects(
    () => validate(["device1", "inter"], ["root"], { now: new Date("x") }),
    TypeError,
  );
});
