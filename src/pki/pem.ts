/**
 * PEM (RFC 7468) with several blocks per file and the RFC 1421 headers that
 * legacy encrypted keys carry (`Proc-Type`, `DEK-Info`).
 *
 * @module
 */

import { DecodeError } from "../bytes/mod.ts";

/** One `-----BEGIN label-----` … `-----END label-----` block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `EC PRIVATE KEY`. */
  readonly label: string;
  /** RFC 1421 headers before the base64 body (legacy encrypted keys). */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded body. */
  readonly der: Uint8Array;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;
const END = /^-----END ([A-Z0-9 ]+)-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes every PEM block in `text`, in order. Text outside blocks (such as
 * the `Bag Attributes` lines OpenSSL prints, or `openssl x509 -text` output)
 * is ignored.
 *
 * @throws {DecodeError} on a block without END, a mismatched END label or a
 * body that is not base64. `offset` is the line number.
 *
 * @example Read a chain
 * ```ts
 * import { decodePem, encodePem } from "./pem.ts";
 * import assert from "node:assert/strict";
 *
 * const text = encodePem("CERTIFICATE", new Uint8Array([1, 2])) +
 *   encodePem("CERTIFICATE", new Uint8Array([3]));
 * assert.deepEqual(decodePem(text).map((b) => b.der), [new Uint8Array([1, 2]), new Uint8Array([3])]);
 * ```
 */
export function decodePem(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = BEGIN.exec((lines[i] as string).trim());
    i++;
    if (!begin) continue;
    const label = begin[1] as string;
    const startLine = i;
    const headers: Record<string, string> = {};
    let body = "";
    let inHeaders = true;
    let ended = false;
    for (; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      const end = END.exec(line);
      if (end) {
        if (end[1] !== label) {
          throw new DecodeError(
            "PEM",
            i + 1,
            `END ${end[1]} does not match BEGIN ${label}`,
          );
        }
        ended = true;
        i++;
        break;
      }
      if (BEGIN.test(line)) {
        throw new DecodeError("PEM", i + 1, `BEGIN inside ${label} block`);
      }
      if (inHeaders && /^[A-Za-z-]+:/.test(line)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
        continue;
      }
      inHeaders = false;
      body += line;
    }
    if (!ended) {
      throw new DecodeError("PEM", startLine, `BEGIN ${label} without END`);
    }
    blocks.push({ label, headers, der: decodeBase64(body, startLine) });
  }
  return blocks;
}

function decodeBase64(body: string, line: number): Uint8Array {
  if (!BASE64.test(body) || body.length % 4 !== 0) {
    throw new DecodeError("PEM", line, "body is not base64");
  }
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Encodes one PEM block with 64-character lines.
 *
 * @example
 * ```ts
 * import { encodePem } from "./pem.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   encodePem("CERTIFICATE", new Uint8Array([0, 1, 2])),
 *   "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
 * );
 * ```
 */
export function encodePem(
  label: string,
  der: Uint8Array,
  headers: Readonly<Record<string, string>> = {},
): string {
  let bin = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    bin += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const b64 = btoa(bin);
  let out = `-----BEGIN ${label}-----\n`;
  const names = Object.keys(headers);
  for (const name of names) out += `${name}: ${headers[name]}\n`;
  if (names.length) out += "\n";
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${label}-----\n`;
}
