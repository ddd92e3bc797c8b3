/**
 * X.501 distinguished names as X.509 uses them (RFC 5280 §4.1.2.4): decoding
 * the RDNSequence, printing it in the RFC 4514 string form, comparing names
 * for certificate path building (RFC 5280 §7.1) and encoding simple names.
 *
 * Name comparison, simplified from RFC 5280 §7.1 / RFC 4518 and documented
 * here because path building depends on it: two names are equal when their
 * DER encodings are identical, or when they have the same number of RDNs and,
 * RDN by RDN, the same set of attribute types whose values match. Values of
 * the character-string types (PrintableString, UTF8String, IA5String,
 * TeletexString, BMPString, UniversalString) match after Unicode NFKC
 * normalisation, lower-casing, removing leading and trailing white space and
 * collapsing inner runs of white space to one space, whatever their string
 * type. Values of any other type match only when their DER is identical.
 * RFC 4518's full insignificant-character handling and prohibited-character
 * checks are not implemented.
 *
 * @module
 */

import { DecodeError, encodeHex } from "../bytes/mod.ts";
import {
  type DerElement,
  derOid,
  DerReader,
  derSequence,
  derSet,
  derTlv,
  stringValue,
  Tag,
} from "./asn1/mod.ts";
import { OID } from "./oids.ts";

/**
 * One AttributeTypeAndValue of a name.
 *
 * @example
 * ```ts
 * import { decodeName, encodeName, type NameAttribute } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const [c]: readonly NameAttribute[] = decodeName(encodeName([{ type: "C", value: "DE" }])).attributes;
 * assert.deepEqual(c?.shortName, "C");
 * assert.equal(c?.tag, 0x13);
 * assert.equal(c?.value, "DE");
 * ```
 */
export interface NameAttribute {
  /** The attribute type OID, e.g. `2.5.4.3`. */
  readonly oid: string;
  /** The short name OpenSSL prints (`CN`, `O`, `emailAddress`), if known. */
  readonly shortName?: string;
  /** Identifier octet of the value (`0x0c` UTF8String, `0x13` PrintableString, …). */
  readonly tag: number;
  /**
   * The value as text for character-string types; otherwise `#` followed by
   * the value's DER in upper-case hex (RFC 4514 §2.4).
   */
  readonly value: string;
  /** The value element's DER (identifier, length and content). */
  readonly der: Uint8Array;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID.commonName]: "CN",
  [OID.surname]: "SN",
  [OID.serialNumber]: "serialNumber",
  [OID.countryName]: "C",
  [OID.localityName]: "L",
  [OID.stateOrProvinceName]: "ST",
  [OID.streetAddress]: "street",
  [OID.organizationName]: "O",
  [OID.organizationalUnitName]: "OU",
  [OID.title]: "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.17": "postalCode",
  "2.5.4.41": "name",
  [OID.givenName]: "GN",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  [OID.domainComponent]: "DC",
  [OID.userId]: "UID",
  [OID.emailAddress]: "emailAddress",
  "1.2.840.113549.1.9.2": "unstructuredName",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
};

const BY_SHORT_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(SHORT_NAMES).map(([oid, name]) => [name.toLowerCase(), oid]),
);

const encoder = new TextEncoder();

const STRING_TAGS: ReadonlySet<number> = new Set([
  Tag.UTF8_STRING,
  Tag.PRINTABLE_STRING,
  Tag.IA5_STRING,
  Tag.VISIBLE_STRING,
  Tag.T61_STRING,
  Tag.BMP_STRING,
  Tag.UNIVERSAL_STRING,
]);

/**
 * A decoded distinguished name: the RDNSequence in DER order (most general
 * first, e.g. `C`, then `O`, then `CN`), with its raw encoding.
 *
 * @example Decode, print and compare
 * ```ts
 * import { decodeName, encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const name = decodeName(encodeName([{ type: "C", value: "DE" }, { type: "O", value: "Acme, Inc." }, { type: "CN", value: "device-1" }]));
 * assert.equal(name.toString(), "CN=device-1,O=Acme\\, Inc.,C=DE");
 * assert.equal(name.commonName, "device-1");
 * assert.ok(name.equals(decodeName(encodeName([{ type: "C", value: "de" }, { type: "O", value: "ACME,  inc." }, { type: "CN", value: "Device-1 " }]))));
 * ```
 */
export class DistinguishedName {
  readonly #raw: Uint8Array;
  readonly #rdns: readonly (readonly NameAttribute[])[];
  #text: string | undefined;
  #key: string | undefined;

  /**
   * Use {@link decodeName}; this constructor takes already-decoded parts.
   *
   * @param raw The Name's DER.
   * @param rdns The RDNs in DER order.
   */
  constructor(raw: Uint8Array, rdns: readonly (readonly NameAttribute[])[]) {
    this.#raw = raw;
    this.#rdns = rdns;
  }

  /** The Name's DER, for byte-exact comparison and re-encoding. */
  get raw(): Uint8Array {
    return this.#raw;
  }

  /** The RDNs in DER order; each holds one or more attributes. */
  get rdns(): readonly (readonly NameAttribute[])[] {
    return this.#rdns;
  }

  /** All attributes in DER order, multi-valued RDNs flattened. */
  get attributes(): readonly NameAttribute[] {
    return this.#rdns.flat();
  }

  /** Whether the name has no RDNs (allowed for a subject with a SAN, RFC 5280 §4.2.1.6). */
  get isEmpty(): boolean {
    return this.#rdns.length === 0;
  }

  /** The most specific (last in DER order) commonName, if any. */
  get commonName(): string | undefined {
    return this.get(OID.commonName).at(-1);
  }

  /**
   * Values of one attribute type, in DER order.
   *
   * @param type A short name (`CN`, `o`, `emailAddress`; any case) or a dotted OID.
   */
  get(type: string): string[] {
    const oid = attributeOid(type);
    return this.attributes.filter((a) => a.oid === oid).map((a) => a.value);
  }

  /**
   * The name in RFC 4514 form, most specific RDN first, as
   * `openssl x509 -nameopt RFC2253` prints it: OpenSSL's short names, a
   * dotted OID with a `#`-hex value for unknown attribute types, `+` between
   * the values of a multi-valued RDN, and `,` `+` `"` `\` `<` `>` `;`, a
   * leading `#` or space, a trailing space and control characters escaped.
   * Characters above U+007F are kept as they are (RFC 4514 §2.4); see
   * {@link DistinguishedName.format} for OpenSSL's `\XX` escaping of them.
   */
  toString(): string {
    this.#text ??= this.format();
    return this.#text;
  }

  /**
   * Formats the name as {@link DistinguishedName.toString} does.
   *
   * @param options `asciiOnly`: escape every UTF-8 octet of characters above
   * U+007F as `\XX`, which is exactly what OpenSSL's `-nameopt RFC2253`
   * prints.
   */
  format(options: { asciiOnly?: boolean } = {}): string {
    const parts: string[] = [];
    for (let i = this.#rdns.length - 1; i >= 0; i--) {
      const rdn = this.#rdns[i] as readonly NameAttribute[];
      const values: string[] = [];
      for (let j = rdn.length - 1; j >= 0; j--) {
        values.push(
          formatAttribute(rdn[j] as NameAttribute, options.asciiOnly ?? false),
        );
      }
      parts.push(values.join("+"));
    }
    return parts.join(",");
  }

  /**
   * A string that is the same for two names exactly when {@link equals}
   * would call them equal; usable as a map key for issuer lookup.
   */
  get key(): string {
    if (this.#key === undefined) {
      this.#key = this.#rdns.map((rdn) =>
        rdn.map((a) => `${a.oid}=${comparableValue(a)}`).sort().join("+")
      ).join(",");
    }
    return this.#key;
  }

  /**
   * Compares two names as described in the module documentation
   * (RFC 5280 §7.1, simplified).
   */
  equals(other: DistinguishedName): boolean {
    return bytesEqual(this.#raw, other.#raw) || this.key === other.key;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function comparableValue(a: NameAttribute): string {
  if (!STRING_TAGS.has(a.tag)) return "#" + encodeHex(a.der);
  const folded = a.value.normalize("NFKC").toLowerCase().trim().replace(
    /\s+/g,
    " ",
  );
  return JSON.stringify(folded);
}

function attributeOid(type: string): string {
  if (/^\d+(\.\d+)+$/.test(type)) return type;
  const oid = BY_SHORT_NAME.get(type.toLowerCase());
  if (!oid) throw new RangeError(`Cannot find attribute type "${type}"`);
  return oid;
}

function formatAttribute(a: NameAttribute, asciiOnly: boolean): string {
  const type = a.shortName ?? a.oid;
  if (!a.shortName || !STRING_TAGS.has(a.tag)) {
    return `${type}=#${encodeHex(a.der).toUpperCase()}`;
  }
  return `${type}=${escapeValue(a.value, asciiOnly)}`;
}

function hexEscape(bytes: Iterable<number>): string {
  let out = "";
  for (const b of bytes) {
    out += "\\" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** RFC 4514 §2.4 escaping, with control characters as `\XX`. */
function escapeValue(value: string, asciiOnly: boolean): string {
  let out = "";
  const chars = [...value];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const code = c.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f) {
      out += hexEscape([code]);
    } else if (code > 0x7f && asciiOnly) {
      out += hexEscape(encoder.encode(c));
    } else if (
      ',+"\\<>;'.includes(c) ||
      (i === 0 && (c === "#" || c === " ")) ||
      (i === chars.length - 1 && c === " ")
    ) {
      out += "\\" + c;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Decodes a Name (RFC 5280 §4.1.2.4: `RDNSequence ::= SEQUENCE OF
 * RelativeDistinguishedName`, each a non-empty SET OF AttributeTypeAndValue).
 *
 * @param input The Name element as read by a {@link DerReader}, or its DER.
 * @throws {DecodeError} on malformed DER, an empty RDN or a character string
 * that is not valid for its type.
 *
 * @example
 * ```ts
 * import { decodeName, encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const name = decodeName(encodeName([{ type: "DC", value: "example" }, { type: "CN", value: "#1" }]));
 * assert.equal(name.toString(), "CN=\\#1,DC=example");
 * assert.equal(name.attributes[0]?.shortName, "DC");
 * ```
 */
export function decodeName(input: DerElement | Uint8Array): DistinguishedName {
  let el: DerElement;
  if (input instanceof Uint8Array) {
    const r = new DerReader(input);
    el = r.read(Tag.SEQUENCE, "Name");
    r.expectEnd("Name");
  } else {
    el = input;
    if (el.tag !== Tag.SEQUENCE) {
      throw new DecodeError("Name", el.offset, "not a SEQUENCE");
    }
  }
  const seq = DerReader.of(el);
  const rdns: NameAttribute[][] = [];
  while (seq.anyLeft()) {
    const set = seq.set("RelativeDistinguishedName");
    const rdn: NameAttribute[] = [];
    while (set.anyLeft()) {
      const atv = set.sequence("AttributeTypeAndValue");
      const oid = atv.oid("AttributeTypeAndValue.type");
      const valueEl = atv.next("AttributeTypeAndValue.value");
      atv.expectEnd("AttributeTypeAndValue");
      const value = STRING_TAGS.has(valueEl.tag)
        ? stringValue(valueEl, "AttributeTypeAndValue.value")
        : "#" + encodeHex(valueEl.raw).toUpperCase();
      const shortName = SHORT_NAMES[oid];
      rdn.push({
        oid,
        ...(shortName ? { shortName } : {}),
        tag: valueEl.tag,
        value,
        der: valueEl.raw,
      });
    }
    if (rdn.length === 0) {
      throw new DecodeError(
        "RelativeDistinguishedName",
        el.valueOffset,
        "empty RDN",
      );
    }
    rdns.push(rdn);
  }
  return new DistinguishedName(el.raw, rdns);
}

/**
 * One attribute for {@link encodeName}.
 *
 * @example
 * ```ts
 * import { decodeName, encodeName, type NameEntry } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * const entries: NameEntry[] = [{ type: "O", value: "Acme" }, { type: "2.5.4.3", value: "gw-1" }];
 * assert.equal(decodeName(encodeName(entries)).toString(), "CN=gw-1,O=Acme");
 * ```
 */
export interface NameEntry {
  /** A short name (`CN`, `O`, `C`, `emailAddress`, …) or a dotted OID. */
  readonly type: string;
  readonly value: string;
}

const PRINTABLE_TYPES: ReadonlySet<string> = new Set([
  OID.countryName,
  OID.serialNumber,
  "2.5.4.46",
]);
const IA5_TYPES: ReadonlySet<string> = new Set([
  OID.emailAddress,
  OID.domainComponent,
]);
/**
 * Encodes a Name with one attribute per RDN, in the order given (most
 * general first). Value types follow OpenSSL's default `utf8only` mask:
 * PrintableString for `C`, `serialNumber` and `dnQualifier`, IA5String for
 * `emailAddress` and `DC`, UTF8String for everything else.
 *
 * @throws {RangeError} for an unknown short name, or a value that does not
 * fit a PrintableString / IA5String type.
 *
 * @example
 * ```ts
 * import { encodeName } from "./name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeName([{ type: "CN", value: "a" }]),
 *   new Uint8Array([0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x61]),
 * );
 * ```
 */
export function encodeName(entries: readonly NameEntry[]): Uint8Array {
  return derSequence(entries.map((e) => {
    const oid = attributeOid(e.type);
    let value: Uint8Array;
    if (PRINTABLE_TYPES.has(oid)) {
      if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(e.value)) {
        throw new RangeError(`Cannot encode "${e.value}" as a PrintableString`);
      }
      value = derTlv(Tag.PRINTABLE_STRING, encoder.encode(e.value));
    } else if (IA5_TYPES.has(oid)) {
      if ([...e.value].some((c) => (c.codePointAt(0) as number) > 0x7f)) {
        throw new RangeError(`Cannot encode "${e.value}" as an IA5String`);
      }
      value = derTlv(Tag.IA5_STRING, encoder.encode(e.value));
    } else {
      value = derTlv(Tag.UTF8_STRING, encoder.encode(e.value));
    }
    return derSet([derSequence([derOid(oid), value])]);
  }));
}
