/**
 * OCSP requests and responses against OpenSSL: our request is byte-identical
 * to `openssl ocsp -reqout`; responses from `openssl ocsp -index` (over HTTP
 * on loopback and offline) decode and verify for good, revoked and unknown
 * certificates, signed by the CA or a delegated responder; every reason to
 * refuse a response gives its OcspError code.
 */
import assert from "node:assert/strict";
import {
  certIdFor,
  type Certificate,
  decodeOcspResponse,
  encodeOcspRequest,
  OcspError,
  type OcspErrorCode,
  parseCertificatePem,
  verifyOcspResponse,
} from "../../src/pki/mod.ts";
import { DecodeError } from "../../src/bytes/mod.ts";
import { fetchOcspResponse } from "../../src/net/ocsp_stapler.ts";
import { openssl } from "../support/openssl.ts";
import {
  type OcspCertName,
  ocspFixtures,
  type OcspSigner,
  opensslAvailable,
  opensslOcspRespond,
  startOpensslResponder,
} from "../support/ocsp_fixtures.ts";

const available = await opensslAvailable();
const fx = available ? await ocspFixtures() : undefined;

function cert(name: OcspCertName): Certificate {
  return parseCertificatePem(fx!.certs[name].pem)[0]!;
}

async function respond(
  name: OcspCertName,
  signer: OcspSigner = "ca",
  options: { nonce?: Uint8Array; extra?: string[] } = {},
): Promise<Uint8Array> {
  const request = encodeOcspRequest(
    [certIdFor(cert(name), cert("ca"))],
    options.nonce ? { nonce: options.nonce } : {},
  );
  return await opensslOcspRespond(fx!, request, signer, options.extra ?? []);
}

async function refused(
  der: Uint8Array,
  code: OcspErrorCode,
  options: { name?: OcspCertName; now?: number; nonce?: Uint8Array } = {},
): Promise<void> {
  await assert.rejects(
    verifyOcspResponse(decodeOcspResponse(der), {
      certificate: cert(options.name ?? "server"),
      issuer: cert("ca"),
      now: options.now ?? Date.now(),
      ...(options.nonce ? { nonce: options.nonce } : {}),
    }),
    (err: unknown) => {
      assert.ok(err instanceof OcspError, String(err));
      assert.equal(err.code, code, err.message);
      return true;
    },
  );
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !available, fn });

test("encodeOcspRequest() matches openssl ocsp -reqout byte for byte", async () => {
  const out = `${fx!.dir}/openssl-req.der`;
  await openssl([
    "ocsp",
    "-issuer",
    fx!.certs.ca.certPath,
    "-cert",
    fx!.certs.server.certPath,
    "-no_nonce",
    "-reqout",
    out,
  ]);
  const expected = await Deno.readFile(out);
  assert.deepEqual(
    encodeOcspRequest([certIdFor(cert("server"), cert("ca"))]),
    expected,
  );
});

test("encodeOcspRequest() nonce is read back by openssl ocsp -req_text", async () => {
  const path = `${fx!.dir}/nonce-req.der`;
  const nonce = new Uint8Array(16).map((_, i) => i + 0xa0);
  await Deno.writeFile(
    path,
    encodeOcspRequest([certIdFor(cert("server"), cert("ca"))], { nonce }),
  );
  const text = new TextDecoder().decode(
    await openssl(["ocsp", "-reqin", path, "-req_text"]),
  );
  assert.match(text, /OCSP Nonce:\s*\n\s*0410A0A1A2A3A4A5A6A7A8A9AAABACADAEAF/);
  assert.match(
    text,
    new RegExp(`Serial Number: ${cert("server").serialHex}`, "i"),
  );
});

test("openssl ocsp responder on loopback: good and revoked certificates over HTTP POST", async () => {
  const responder = await startOpensslResponder(fx!, "ca");
  try {
    for (const name of ["server", "revoked"] as const) {
      const nonce = crypto.getRandomValues(new Uint8Array(16));
      const request = encodeOcspRequest(
        [certIdFor(cert(name), cert("ca"))],
        { nonce },
      );
      const der = await fetchOcspResponse(responder.url, request, {
        timeoutMs: 10_000,
      });
      const response = decodeOcspResponse(der);
      assert.equal(response.status, "successful");
      assert.deepEqual(response.basic?.nonce, nonce);
      const verified = await verifyOcspResponse(response, {
        certificate: cert(name),
        issuer: cert("ca"),
        now: Date.now(),
        nonce,
      });
      assert.equal(verified.signer, "issuer");
      if (name === "server") {
        assert.deepEqual(verified.status, { kind: "good" });
      } else {
        assert.equal(verified.status.kind, "revoked");
        assert.ok(verified.status.kind === "revoked");
        assert.equal(verified.status.reason, "keyCompromise");
        assert.ok(verified.status.revocationTime.getTime() <= Date.now());
      }
    }
  } finally {
    await responder.close();
  }
});

test("verifyOcspResponse() accepts a delegated responder with OCSPSigning and reports it", async () => {
  const der = await respond("server", "responder", { extra: ["-nmin", "10"] });
  const response = decodeOcspResponse(der);
  assert.equal(response.basic?.certs.length, 1);
  const verified = await verifyOcspResponse(response, {
    certificate: cert("server"),
    issuer: cert("ca"),
    now: Date.now(),
  });
  assert.equal(verified.signer, "delegated");
  assert.equal(
    verified.responder?.subject.commonName,
    "Postern OCSP Responder",
  );
  const next = verified.nextUpdate!.getTime() - verified.thisUpdate.getTime();
  assert.ok(Math.abs(next - 600_000) < 5_000, `nextUpdate after ${next} ms`);
});

test("verifyOcspResponse() reports unknown for a serial the responder does not know", async () => {
  const der = await respond("rogue", "ca");
  const verified = await verifyOcspResponse(decodeOcspResponse(der), {
    certificate: cert("rogue"),
    issuer: cert("ca"),
    now: Date.now(),
  });
  assert.deepEqual(verified.status, { kind: "unknown" });
});

test("verifyOcspResponse() refuses a responder without OCSPSigning", async () => {
  await refused(await respond("server", "rogue"), "unauthorized_responder");
});

test("verifyOcspResponse() refuses a responder not issued by the CA", async () => {
  await refused(await respond("server", "foreign"), "unauthorized_responder");
});

test("verifyOcspResponse() refuses a responder certificate left out of the response", async () => {
  const der = await respond("server", "responder", {
    extra: ["-resp_no_certs"],
  });
  await refused(der, "unauthorized_responder");
});

test("verifyOcspResponse() refuses a tampered signature", async () => {
  const der = (await respond("server", "ca")).slice();
  const response = decodeOcspResponse(der);
  const sig = response.basic!.signature;
  // flip a bit inside the ECDSA r value (past the DER header of the signature)
  sig[6] = (sig[6] as number) ^ 0x01;
  await assert.rejects(
    verifyOcspResponse(response, {
      certificate: cert("server"),
      issuer: cert("ca"),
      now: Date.now(),
    }),
    (err: unknown) => err instanceof OcspError && err.code === "bad_signature",
  );
});

test("verifyOcspResponse() refuses a response about another certificate", async () => {
  await refused(await respond("revoked", "ca"), "no_matching_response");
});

test("verifyOcspResponse() refuses an expired or not yet valid response", async () => {
  const der = await respond("server", "ca", { extra: ["-nmin", "5"] });
  await refused(der, "expired", { now: Date.now() + 3_600_000 });
  await refused(der, "not_yet_valid", { now: Date.now() - 3_600_000 });
});

test("verifyOcspResponse() refuses a nonce that is missing or differs", async () => {
  const sent = new Uint8Array(16).fill(1);
  await refused(
    await respond("server", "ca", { nonce: sent }),
    "nonce_mismatch",
    { nonce: new Uint8Array(16).fill(2) },
  );
  await refused(await respond("server", "ca"), "nonce_mismatch", {
    nonce: sent,
  });
});

test("decodeOcspResponse() refuses trailing data; an unsuccessful status is refused by verification", async () => {
  const good = await respond("server", "ca");
  assert.throws(
    () => decodeOcspResponse(new Uint8Array([...good, 0])),
    DecodeError,
  );
  await refused(
    new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]),
    "unsuccessful",
  );
});
