import assert from "node:assert/strict";
import {
  ByteReader,
  ByteWriter,
  concatBytes,
  DecodeError,
} from "../../src/bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../../src/tls/alert.ts";
import {
  decodeConnectionId,
  decodeEcPointFormats,
  decodeEmptyExtension,
  decodeExtensionData,
  decodeExtensions,
  decodeMaxFragmentLength,
  decodeRecordSizeLimit,
  decodeRenegotiationInfo,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeStatusRequest,
  decodeSupportedGroups,
  encodeExtensionData,
  encodeExtensions,
  type Extension,
  extensionCode,
  ExtensionType,
  extensionTypeName,
  findExtension,
  hasExtension,
  maxFragmentLengthBytes,
  readExtensions,
  writeExtensions,
} from "../../src/tls/extensions/mod.ts";

function isAlert(description: number) {
  return (e: unknown) =>
    e instanceof TlsAlertError && e.description === description;
}

function bytes(...b: number[]): Uint8Array {
  return new Uint8Array(b);
}

/** One extension on the wire: type, length, data. */
function ext(code: number, data: Uint8Array): Uint8Array {
  return concatBytes(
    bytes(code >> 8, code & 0xff, data.length >> 8, data.length & 0xff),
    data,
  );
}

function block(...exts: Uint8Array[]): Uint8Array {
  const body = concatBytes(...exts);
  return concatBytes(bytes(body.length >> 8, body.length & 0xff), body);
}

const ALL: Extension[] = [
  { type: "server_name", hostName: "coap.example.org" },
  { type: "max_fragment_length", code: 2 },
  {
    type: "status_request",
    request: {
      kind: "ocsp",
      responderIds: [bytes(0x30, 0)],
      requestExtensions: bytes(0x30, 0),
    },
  },
  { type: "supported_groups", groups: [29, 23] },
  { type: "ec_point_formats", formats: [0] },
  { type: "signature_algorithms", schemes: [0x0403, 0x0503, 0x0804, 0x0401] },
  { type: "encrypt_then_mac" },
  { type: "extended_master_secret" },
  { type: "record_size_limit", limit: 1024 },
  { type: "session_ticket", ticket: bytes(1, 2, 3) },
  { type: "connection_id", cid: bytes(0xde, 0xad) },
  { type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) },
  { type: "unknown", code: 53, data: bytes(0) },
  { type: "unknown", code: 0x1a1a, data: new Uint8Array(0) },
];

Deno.test("encodeExtensions() and decodeExtensions() round-trip every known extension in order", () => {
  const wire = encodeExtensions(ALL);
  assert.deepEqual(decodeExtensions(wire), ALL);
});

Deno.test("decodeExtensions() rejects a duplicate extension with illegal_parameter (RFC 5246 §7.4.1.4)", () => {
  const wire = block(
    ext(23, new Uint8Array(0)),
    ext(10, bytes(0, 2, 0, 23)),
    ext(23, new Uint8Array(0)),
  );
  assert.throws(
    () => decodeExtensions(wire),
    isAlert(AlertDescription.illegal_parameter),
  );
  const unknownTwice = block(ext(0x1a1a, bytes(1)), ext(0x1a1a, bytes(2)));
  assert.throws(
    () => decodeExtensions(unknownTwice),
    isAlert(AlertDescription.illegal_parameter),
  );
});

Deno.test("writeExtensions() refuses a duplicate extension", () => {
  const w = new ByteWriter();
  assert.throws(
    () =>
      writeExtensions(w, [
        { type: "extended_master_secret" },
        { type: "unknown", code: 23, data: new Uint8Array(0) },
      ]),
    RangeError,
  );
});

Deno.test("readExtensions() treats an absent block as no extensions and an empty one likewise", () => {
  assert.deepEqual(
    readExtensions(new ByteReader(new Uint8Array(0)), "client_hello"),
    [],
  );
  assert.deepEqual(
    readExtensions(new ByteReader(bytes(0, 0)), "client_hello"),
    [],
  );
  assert.throws(
    () => readExtensions(new ByteReader(bytes(0)), "client_hello"),
    DecodeError,
  );
  assert.throws(
    () => readExtensions(new ByteReader(bytes(0, 0, 1)), "client_hello"),
    DecodeError,
  );
});

Deno.test("decodeExtensions() rejects an extension running past the block", () => {
  assert.throws(() => decodeExtensions(bytes(0, 4, 0, 23, 0, 1)), DecodeError);
  assert.throws(() => decodeExtensions(bytes(0, 5, 0, 23, 0, 0)), DecodeError);
});

Deno.test("decodeExtensionData() keeps unknown code points raw, including the pre-RFC 9146 CID 53", () => {
  assert.deepEqual(decodeExtensionData(53, bytes(2, 1, 2)), {
    type: "unknown",
    code: 53,
    data: bytes(2, 1, 2),
  });
  assert.deepEqual(decodeExtensionData(54, bytes(2, 1, 2)), {
    type: "connection_id",
    cid: bytes(1, 2),
  });
  assert.equal(extensionTypeName(53), "unknown(53)");
  assert.equal(ExtensionType.connection_id, 54);
});

Deno.test("findExtension() and hasExtension() look up by name and code", () => {
  assert.deepEqual(findExtension(ALL, "supported_groups")?.groups, [29, 23]);
  assert.equal(findExtension(ALL, "record_size_limit")?.limit, 1024);
  assert.equal(findExtension([], "record_size_limit"), undefined);
  assert.equal(hasExtension(ALL, 53), true);
  assert.equal(hasExtension(ALL, 54), true);
  assert.equal(hasExtension(ALL, 43), false);
  assert.equal(extensionCode(ALL[11]!), 0xff01);
});

Deno.test("decodeServerName() reads exactly one host_name (RFC 6066 §3)", () => {
  const name = new TextEncoder().encode("example.com");
  const entry = concatBytes(bytes(0, 0, name.length), name);
  const data = concatBytes(bytes(0, entry.length), entry);
  assert.deepEqual(decodeServerName(data), {
    type: "server_name",
    hostName: "example.com",
  });
  assert.deepEqual(
    encodeExtensionData({ type: "server_name", hostName: "example.com" }),
    data,
  );
  const twice = concatBytes(bytes(0, 2 * entry.length), entry, entry);
  assert.throws(() => decodeServerName(twice), DecodeError);
  const otherType = concatBytes(bytes(0, entry.length, 1), entry.subarray(1));
  assert.throws(() => decodeServerName(otherType), DecodeError);
  assert.throws(() => decodeServerName(bytes(0, 3, 0, 0, 0)), DecodeError);
});

Deno.test("decodeServerName() rejects a host name with a NUL or non-ASCII byte", () => {
  for (
    const bad of [bytes(0x61, 0, 0x62), bytes(0xc3, 0xa9), bytes(0x61, 0x20)]
  ) {
    const entry = concatBytes(bytes(0, 0, bad.length), bad);
    const data = concatBytes(bytes(0, entry.length), entry);
    assert.throws(
      () => decodeServerName(data),
      isAlert(AlertDescription.illegal_parameter),
    );
  }
});

Deno.test("decodeServerName() accepts an empty extension only from the server", () => {
  assert.deepEqual(decodeServerName(new Uint8Array(0), "server_hello"), {
    type: "server_name",
  });
  assert.throws(
    () => decodeServerName(new Uint8Array(0), "client_hello"),
    DecodeError,
  );
});

Deno.test("decodeMaxFragmentLength() accepts codes 1 to 4 (RFC 6066 §4)", () => {
  for (const code of [1, 2, 3, 4] as const) {
    assert.deepEqual(decodeMaxFragmentLength(bytes(code)), {
      type: "max_fragment_length",
      code,
    });
  }
  assert.equal(maxFragmentLengthBytes(3), 2048);
  assert.throws(
    () => decodeMaxFragmentLength(bytes(0)),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(
    () => decodeMaxFragmentLength(bytes(5)),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(() => decodeMaxFragmentLength(bytes(1, 1)), DecodeError);
});

Deno.test("decodeStatusRequest() reads an OCSP request and keeps other types raw", () => {
  const data = bytes(1, 0, 6, 0, 1, 0x30, 0, 1, 0x31, 0, 2, 0xa0, 0);
  assert.deepEqual(decodeStatusRequest(data), {
    type: "status_request",
    request: {
      kind: "ocsp",
      responderIds: [bytes(0x30), bytes(0x31)],
      requestExtensions: bytes(0xa0, 0),
    },
  });
  assert.deepEqual(decodeStatusRequest(bytes(7, 9, 9)), {
    type: "status_request",
    request: { kind: "unknown", statusType: 7, body: bytes(9, 9) },
  });
  assert.deepEqual(
    encodeExtensionData(decodeStatusRequest(bytes(7, 9, 9))),
    bytes(7, 9, 9),
  );
  assert.throws(
    () => decodeStatusRequest(bytes(1, 0, 2, 0, 0, 0, 0)),
    DecodeError,
  );
  assert.throws(() => decodeStatusRequest(bytes(1, 0, 0)), DecodeError);
  assert.throws(() => decodeStatusRequest(new Uint8Array(0)), DecodeError);
  assert.deepEqual(decodeStatusRequest(new Uint8Array(0), "server_hello"), {
    type: "status_request",
  });
});

Deno.test("decodeSupportedGroups() and decodeSignatureAlgorithms() reject empty and odd lists", () => {
  assert.throws(
    () => decodeSupportedGroups(bytes(0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(() => decodeSupportedGroups(bytes(0, 1, 23)), DecodeError);
  assert.throws(
    () => decodeSupportedGroups(bytes(0, 2, 0, 23, 0)),
    DecodeError,
  );
  assert.throws(
    () => decodeSignatureAlgorithms(bytes(0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeSignatureAlgorithms(bytes(0, 3, 4, 3, 5)),
    DecodeError,
  );
  assert.deepEqual(decodeSignatureAlgorithms(bytes(0, 4, 8, 4, 4, 1)).schemes, [
    0x0804,
    0x0401,
  ]);
});

Deno.test("decodeEcPointFormats() requires uncompressed (RFC 8422 §5.1.2)", () => {
  assert.deepEqual(decodeEcPointFormats(bytes(1, 0)).formats, [0]);
  assert.throws(
    () => decodeEcPointFormats(bytes(2, 1, 2)),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(
    () => decodeEcPointFormats(bytes(0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(() => decodeEcPointFormats(bytes(1, 0, 0)), DecodeError);
});

Deno.test("decodeEmptyExtension() rejects data in extended_master_secret and encrypt_then_mac", () => {
  assert.throws(
    () => decodeEmptyExtension(bytes(0), "extended_master_secret"),
    DecodeError,
  );
  assert.throws(() => decodeExtensionData(22, bytes(0)), DecodeError);
  assert.deepEqual(decodeExtensionData(22, new Uint8Array(0)), {
    type: "encrypt_then_mac",
  });
});

Deno.test("decodeRecordSizeLimit() rejects a limit below 64 (RFC 8449 §4)", () => {
  assert.deepEqual(decodeRecordSizeLimit(bytes(0, 64)), {
    type: "record_size_limit",
    limit: 64,
  });
  assert.throws(
    () => decodeRecordSizeLimit(bytes(0, 63)),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(() => decodeRecordSizeLimit(bytes(1)), DecodeError);
  assert.throws(() => decodeRecordSizeLimit(bytes(1, 0, 0)), DecodeError);
  assert.throws(
    () => encodeExtensionData({ type: "record_size_limit", limit: 10 }),
    RangeError,
  );
});

Deno.test("decodeConnectionId() and decodeRenegotiationInfo() read one vector8 and nothing more", () => {
  assert.deepEqual(decodeConnectionId(bytes(0)).cid, new Uint8Array(0));
  assert.throws(() => decodeConnectionId(new Uint8Array(0)), DecodeError);
  assert.throws(() => decodeConnectionId(bytes(1, 1, 1)), DecodeError);
  const verify = new Uint8Array(24).fill(3);
  assert.deepEqual(
    decodeRenegotiationInfo(concatBytes(bytes(24), verify))
      .renegotiatedConnection,
    verify,
  );
  assert.throws(() => decodeRenegotiationInfo(bytes(2, 0)), DecodeError);
});
