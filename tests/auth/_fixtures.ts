/**
 * Certificates for the credential store tests, issued in memory once per
 * test process with `src/pki` (ECC P-256).
 *
 * ```
 * ca (CA "auth test CA")
 * ├── device1   CN device-1
 * ├── device42  CN device-42, SAN DNS:d42.example
 * ├── sanOnly   no subject, SAN URI urn:dev:7
 * └── other     CN gateway-9
 * leaf (not a CA, self-signed, CN not-a-ca)
 * ```
 *
 * @module
 */

import { generateEcKeyPair } from "../../src/crypto/mod.ts";
import {
  type Certificate,
  issueCertificate,
  parseCertificate,
} from "../../src/pki/mod.ts";

const NOW = Date.UTC(2026, 0, 1);

/** The test certificates. */
export interface TestCertificates {
  ca: Certificate;
  device1: Certificate;
  device42: Certificate;
  sanOnly: Certificate;
  other: Certificate;
  leaf: Certificate;
}

let cached: Promise<TestCertificates> | undefined;

/** Issues the certificates on first call; later calls share them. */
export function testCertificates(): Promise<TestCertificates> {
  cached ??= issueAll();
  return cached;
}

async function issueAll(): Promise<TestCertificates> {
  const caKey = await generateEcKeyPair("P-256");
  const caName = { CN: "auth test CA" };
  const ca = parseCertificate(
    await issueCertificate({
      subject: caName,
      subjectKey: caKey,
      now: NOW,
      days: 3650,
      ca: true,
    }),
  );
  const issuer = { name: caName, key: caKey };
  async function leafOf(
    subject: Record<string, string>,
    sans: string[] = [],
  ): Promise<Certificate> {
    const key = await generateEcKeyPair("P-256");
    return parseCertificate(
      await issueCertificate({
        subject,
        subjectKey: key,
        issuer,
        now: NOW,
        days: 365,
        extKeyUsage: ["clientAuth"],
        subjectAltNames: sans,
      }),
    );
  }
  const leafKey = await generateEcKeyPair("P-256");
  return {
    ca,
    device1: await leafOf({ CN: "device-1" }),
    device42: await leafOf({ CN: "device-42" }, ["DNS:d42.example"]),
    sanOnly: await leafOf({}, ["URI:urn:dev:7"]),
    other: await leafOf({ CN: "gateway-9" }),
    leaf: parseCertificate(
      await issueCertificate({
        subject: { CN: "not-a-ca" },
        subjectKey: leafKey,
        now: NOW,
        days: 365,
      }),
    ),
  };
}

/** Waits until `check` holds, polling every 10 ms, for at most `ms`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) {
      throw new Error(`Condition not met within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
