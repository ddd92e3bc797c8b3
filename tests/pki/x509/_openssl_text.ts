/**
 * Reads what `openssl x509 -text` and friends print about a certificate, so
 * tests can compare the parser's fields with OpenSSL's view.
 *
 * @module
 */

import { openssl } from "../../support/openssl.ts";

/** The fields of one certificate as OpenSSL prints them. */
export interface OpensslView {
  version: number;
  serial: string;
  fingerprint: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithm: string;
  publicKeyAlgorithm: string;
  /** EC `pub:` or RSA `Modulus:` octets, hex without separators or sign octet. */
  publicKeyHex?: string;
  nistCurve?: string;
  exponent?: number;
  /** Extension display name → { critical, value lines }. */
  extensions: Map<string, { critical: boolean; lines: string[] }>;
  signatureHex: string;
}

function hexBlock(lines: string[]): string {
  return lines.filter((l) => /^\s*([0-9a-f]{2}:)*[0-9a-f]{2}:?$/.test(l))
    .map((l) => l.trim().replaceAll(":", "")).join("");
}

function isoDate(text: string): Date {
  return new Date(text.trim().replace(" ", "T"));
}

/**
 * Runs openssl on a certificate file and parses its output.
 *
 * @example
 * ```ts ignore
 * const view = await opensslView("cert.pem");
 * ```
 */
export async function opensslView(path: string): Promise<OpensslView> {
  const out = new TextDecoder().decode(
    await openssl([
      "x509",
      "-in",
      path,
      "-noout",
      "-text",
      "-serial",
      "-fingerprint",
      "-sha256",
      "-subject",
      "-issuer",
      "-nameopt",
      "RFC2253",
      "-dates",
      "-dateopt",
      "iso_8601",
    ]),
  );
  const lines = out.split("\n");
  const field = (prefix: string) => {
    const line = lines.find((l) => l.startsWith(prefix));
    if (line === undefined) throw new Error(`openssl printed no ${prefix}`);
    return line.slice(prefix.length);
  };
  const text = (re: RegExp) => re.exec(out)?.[1]?.trim();

  const extensions = new Map<string, { critical: boolean; lines: string[] }>();
  const extStart = lines.findIndex((l) => l.trim() === "X509v3 extensions:");
  const sigStart = lines.findIndex((l) => /^ {4}Signature Algorithm:/.test(l));
  if (extStart >= 0) {
    let current: string[] | undefined;
    for (const line of lines.slice(extStart + 1, sigStart)) {
      const header = /^ {12}(\S.*?):( critical)?\s*$/.exec(line);
      if (header) {
        current = [];
        extensions.set(header[1] as string, {
          critical: header[2] !== undefined,
          lines: current,
        });
      } else if (current && line.trim()) {
        current.push(line.trim());
      }
    }
  }

  const pkStart = lines.findIndex((l) => /^\s*(pub|Modulus):\s*$/.test(l));
  let publicKeyHex: string | undefined;
  if (pkStart >= 0) {
    const block: string[] = [];
    for (const l of lines.slice(pkStart + 1)) {
      if (!/^\s*([0-9a-f]{2}:)*[0-9a-f]{2}:?$/.test(l)) break;
      block.push(l);
    }
    publicKeyHex = hexBlock(block);
    if (/Modulus/.test(lines[pkStart] as string)) {
      publicKeyHex = publicKeyHex.replace(/^00/, "");
    }
  }
  const exponent = text(/Exponent: (\d+)/);
  const nistCurve = text(/NIST CURVE: (\S+)/);

  return {
    version: Number(text(/Version: (\d+)/)),
    serial: field("serial=").toLowerCase(),
    fingerprint: field("sha256 Fingerprint="),
    subject: field("subject="),
    issuer: field("issuer="),
    notBefore: isoDate(field("notBefore=")),
    notAfter: isoDate(field("notAfter=")),
    signatureAlgorithm: text(/Signature Algorithm: (\S+)/) ?? "",
    publicKeyAlgorithm: text(/Public Key Algorithm: (\S+)/) ?? "",
    ...(publicKeyHex !== undefined ? { publicKeyHex } : {}),
    ...(nistCurve !== undefined ? { nistCurve } : {}),
    ...(exponent !== undefined ? { exponent: Number(exponent) } : {}),
    extensions,
    signatureHex: hexBlock(lines.slice(sigStart + 1)),
  };
}

/** OpenSSL's display names of the KeyUsage bits. */
export const KEY_USAGE_TEXT: Record<string, string> = {
  "Digital Signature": "digitalSignature",
  "Non Repudiation": "nonRepudiation",
  "Key Encipherment": "keyEncipherment",
  "Data Encipherment": "dataEncipherment",
  "Key Agreement": "keyAgreement",
  "Certificate Sign": "keyCertSign",
  "CRL Sign": "cRLSign",
  "Encipher Only": "encipherOnly",
  "Decipher Only": "decipherOnly",
};

/** OpenSSL's display names of key purposes. */
export const EKU_TEXT: Record<string, string> = {
  "TLS Web Server Authentication": "1.3.6.1.5.5.7.3.1",
  "TLS Web Client Authentication": "1.3.6.1.5.5.7.3.2",
};

/** Expands an IPv6 address to OpenSSL's form: eight groups, upper case, no compression. */
export function expandIpv6(text: string): string {
  const [head, tail] = text.includes("::")
    ? text.split("::") as [string, string]
    : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const fill = new Array(8 - h.length - t.length).fill("0");
  return [...h, ...(tail === undefined ? [] : fill), ...t]
    .map((g) => g.replace(/^0+(?=.)/, "").toUpperCase()).join(":");
}
