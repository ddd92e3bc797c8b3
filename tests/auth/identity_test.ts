import assert from "node:assert/strict";
import {
  AuthError,
  type CertificateMatch,
  certificateRuleId,
  CertificateRuleIndex,
  isAffectedBy,
  normalizeCertificateMatch,
  parseCertificateRuleId,
  summarizeCertificate,
} from "../../src/auth/mod.ts";
import { testCertificates } from "./_fixtures.ts";

const FP = "ab".repeat(32);

Deno.test("normalizeCertificateMatch() normalizes fingerprints and checks every kind", () => {
  assert.deepEqual(
    normalizeCertificateMatch({
      fingerprint: ` ${FP.toUpperCase().match(/../g)!.join(":")} `,
    }),
    { fingerprint: FP },
  );
  assert.deepEqual(normalizeCertificateMatch({ cn: "a b" }), { cn: "a b" });
  assert.deepEqual(normalizeCertificateMatch({ san: "urn:x" }), {
    san: "urn:x",
  });
  assert.deepEqual(normalizeCertificateMatch({ cnRegex: "a.*" }), {
    cnRegex: "a.*",
  });
  const bad: unknown[] = [
    {},
    { fingerprint: "ab" },
    { fingerprint: "zz".repeat(32) },
    { cn: "" },
    { cn: "a\nb" },
    { san: "x".repeat(1025) },
    { cnRegex: "[" },
    { cn: "a", cnRegex: "b" },
  ];
  for (const match of bad) {
    assert.throws(
      () => normalizeCertificateMatch(match as CertificateMatch),
      (e) => e instanceof AuthError && e.code === "invalid_rule",
      JSON.stringify(match),
    );
  }
});

Deno.test("certificateRuleId() and parseCertificateRuleId() round-trip", () => {
  const matches: CertificateMatch[] = [
    { fingerprint: FP },
    { cn: "a:b" },
    { cnRegex: "x:(.*)" },
    { san: "urn:a:b" },
  ];
  for (const match of matches) {
    assert.deepEqual(parseCertificateRuleId(certificateRuleId(match)), match);
  }
  assert.equal(parseCertificateRuleId("other:x"), undefined);
});

Deno.test("CertificateRuleIndex.identify() prefers fingerprint, then CN, then SAN, then CN regex", () => {
  const index = new CertificateRuleIndex();
  const cert = {
    fingerprint: FP,
    commonName: "dev-1",
    subjectAltNames: ["s1", "s2"],
  };
  index.allow({ cnRegex: "dev-(?<n>\\d+)" }, "regex-$<n>", 2);
  assert.equal(index.identify(cert)?.subject, "regex-1");
  index.allow({ san: "s2" }, "san-2", 3);
  assert.equal(index.identify(cert)?.subject, "san-2");
  index.allow({ san: "s1" }, "san-1", 4);
  assert.equal(index.identify(cert)?.subject, "san-1");
  index.allow({ cn: "dev-1" }, "cn", 5);
  assert.equal(index.identify(cert)?.subject, "cn");
  index.allow({ fingerprint: FP }, "fp", 6);
  const identity = index.identify(cert);
  assert.equal(identity?.subject, "fp");
  assert.equal(identity?.credentialId, `fingerprint:${FP}`);
  assert.deepEqual(identity?.certificate, cert);
});

Deno.test("CertificateRuleIndex.identify() needs a CN regex to match the whole CN and keeps creation order", () => {
  const index = new CertificateRuleIndex();
  index.allow({ cnRegex: "dev" }, "partial", 1);
  const cert = { fingerprint: FP, commonName: "dev-1", subjectAltNames: [] };
  assert.equal(index.identify(cert), undefined);
  index.allow({ cnRegex: "dev-.*" }, "second", 3);
  index.allow({ cnRegex: ".*-1" }, "first", 2);
  assert.equal(index.identify(cert)?.subject, "first");
  index.removeAllow("cn-regex:.*-1");
  assert.equal(index.identify(cert)?.subject, "second");
  index.allow({ cnRegex: "(x)?dev-1" }, "$1", 0);
  assert.equal(index.identify(cert)?.subject, "second");
  assert.equal(
    index.identify({ fingerprint: FP, subjectAltNames: [] }),
    undefined,
  );
});

Deno.test("CertificateRuleIndex revocations win over every allow rule", () => {
  const index = new CertificateRuleIndex();
  index.allow({ fingerprint: FP }, "fp", 1);
  const cert = {
    fingerprint: FP,
    commonName: "dev-1",
    subjectAltNames: ["urn:1"],
  };
  for (
    const match of [{ cn: "dev-1" }, { cnRegex: "dev-\\d" }, { san: "urn:1" }, {
      fingerprint: FP,
    }] as CertificateMatch[]
  ) {
    index.revoke(match);
    assert.equal(index.identify(cert), undefined, JSON.stringify(match));
    index.removeRevocation(certificateRuleId(match));
    assert.equal(index.identify(cert)?.subject, "fp");
  }
  assert.deepEqual(index.list().map((r) => r.id), [`fingerprint:${FP}`]);
});

Deno.test("summarizeCertificate() reads fingerprint, CN and SAN values", async () => {
  const certs = await testCertificates();
  const summary = summarizeCertificate(certs.device42);
  assert.equal(summary.fingerprint, certs.device42.fingerprintSha256);
  assert.equal(summary.commonName, "device-42");
  assert.deepEqual(summary.subjectAltNames, ["d42.example"]);
  const noCn = summarizeCertificate(certs.sanOnly);
  assert.equal(noCn.commonName, undefined);
  assert.deepEqual(noCn.subjectAltNames, ["urn:dev:7"]);
});

Deno.test("isAffectedBy() matches each identity kind to its change kind", () => {
  const token = { subject: "d", kind: "token", credentialId: "t1" } as const;
  const user = { subject: "u", kind: "password", credentialId: "u" } as const;
  assert.equal(
    isAffectedBy(token, { kind: "token", id: "t1", op: "removed" }),
    true,
  );
  assert.equal(
    isAffectedBy(token, { kind: "token", id: "t2", op: "removed" }),
    false,
  );
  assert.equal(
    isAffectedBy(user, { kind: "user", id: "u", op: "removed" }),
    true,
  );
  assert.equal(
    isAffectedBy(user, { kind: "acl", id: "u", op: "removed" }),
    false,
  );
  const x509 = {
    subject: "d",
    kind: "x509",
    credentialId: "cn:d",
    certificate: { fingerprint: FP, commonName: "d", subjectAltNames: ["s"] },
  } as const;
  assert.equal(
    isAffectedBy(x509, { kind: "ca", id: "x", op: "removed" }),
    true,
  );
  assert.equal(isAffectedBy(x509, { kind: "ca", id: "x", op: "added" }), false);
  assert.equal(
    isAffectedBy(x509, { kind: "x509", id: "san:s", op: "revoked" }),
    true,
  );
  assert.equal(
    isAffectedBy(x509, { kind: "x509", id: "san:t", op: "revoked" }),
    false,
  );
  assert.equal(
    isAffectedBy(x509, {
      kind: "x509",
      id: `fingerprint:${FP}`,
      op: "revoked",
    }),
    true,
  );
});
