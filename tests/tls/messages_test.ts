import assert from "node:assert/strict";
import { concatBytes, DecodeError } from "../../src/bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../../src/tls/alert.ts";
import {
  type ClientHello,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeChangeCipherSpec,
  decodeClientHello,
  decodeClientKeyExchange,
  decodeFinished,
  decodeHandshakeHeaderTls,
  decodeHandshakeMessage,
  decodeHelloVerifyRequest,
  decodeServerHello,
  decodeServerHelloDone,
  decodeServerKeyExchange,
  encodeCertificate,
  encodeCertificateRequest,
  encodeChangeCipherSpec,
  encodeClientHello,
  encodeClientKeyExchange,
  encodeHandshakeHeaderTls,
  encodeHandshakeTls,
  encodeServerHello,
  encodeServerKeyExchange,
  type ServerHello,
} from "../../src/tls/messages/mod.ts";

function isAlert(description: number) {
  return (e: unknown) =>
    e instanceof TlsAlertError && e.description === description;
}

function bytes(...b: number[]): Uint8Array {
  return new Uint8Array(b);
}
const RANDOM = new Uint8Array(32).fill(0x42);

/** A minimal ClientHello body assembled by hand (RFC 5246 §7.4.1.2). */
function helloBody(parts: {
  sessionId?: Uint8Array;
  cookie?: Uint8Array;
  suites?: Uint8Array;
  compression?: Uint8Array;
  extensions?: Uint8Array;
}): Uint8Array {
  const sid = parts.sessionId ?? new Uint8Array(0);
  const suites = parts.suites ?? bytes(0xc0, 0xa8);
  const comp = parts.compression ?? bytes(0);
  return concatBytes(
    bytes(0xfe, 0xfd),
    RANDOM,
    bytes(sid.length),
    sid,
    parts.cookie === undefined
      ? new Uint8Array(0)
      : concatBytes(bytes(parts.cookie.length), parts.cookie),
    bytes(suites.length >> 8, suites.length & 0xff),
    suites,
    bytes(comp.length),
    comp,
    parts.extensions ?? new Uint8Array(0),
  );
}

const HELLO: ClientHello = {
  version: 0x0303,
  random: RANDOM,
  sessionId: new Uint8Array(0),
  cipherSuites: [0xc02b, 0xc0ae],
  compressionMethods: [0],
  extensions: [
    { type: "server_name", hostName: "broker.local" },
    { type: "supported_groups", groups: [29, 23] },
    { type: "ec_point_formats", formats: [0] },
    { type: "signature_algorithms", schemes: [0x0403, 0x0804] },
    { type: "extended_master_secret" },
    { type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) },
  ],
};

Deno.test("encodeClientHello() and decodeClientHello() round-trip a TLS hello", () => {
  const body = encodeClientHello(HELLO, { dtls: false });
  assert.deepEqual(decodeClientHello(body, { dtls: false }), HELLO);
});

Deno.test("decodeClientHello() reads the DTLS cookie after session_id (RFC 6347 §4.2.1)", () => {
  const body = helloBody({ sessionId: bytes(9), cookie: bytes(1, 2, 3) });
  const hello = decodeClientHello(body, { dtls: true });
  assert.deepEqual(hello.sessionId, bytes(9));
  assert.deepEqual(hello.cookie, bytes(1, 2, 3));
  assert.deepEqual(hello.cipherSuites, [0xc0a8]);
  assert.deepEqual(hello.extensions, []);
  assert.deepEqual(encodeClientHello(hello, { dtls: true }), body);
});

Deno.test("decodeClientHello() reads a TLS hello without a cookie", () => {
  const hello = decodeClientHello(helloBody({}), { dtls: false });
  assert.equal("cookie" in hello, false);
});

Deno.test("encodeClientHello() sends an empty DTLS cookie when none is given", () => {
  const { cookie: _, ...noCookie } = { ...HELLO, cookie: undefined };
  const body = encodeClientHello(noCookie, { dtls: true });
  assert.deepEqual(
    decodeClientHello(body, { dtls: true }).cookie,
    new Uint8Array(0),
  );
});

Deno.test("encodeClientHello() refuses a cookie in TLS", () => {
  assert.throws(
    () => encodeClientHello({ ...HELLO, cookie: bytes(1) }, { dtls: false }),
    TypeError,
  );
});

Deno.test("decodeClientHello() rejects a duplicate extension", () => {
  const ems = bytes(0, 23, 0, 0);
  const body = helloBody({ extensions: concatBytes(bytes(0, 8), ems, ems) });
  assert.throws(
    () => decodeClientHello(body, { dtls: false }),
    isAlert(AlertDescription.illegal_parameter),
  );
});

Deno.test("decodeClientHello() rejects a session_id longer than 32 bytes", () => {
  const body = helloBody({ sessionId: new Uint8Array(33) });
  assert.throws(
    () => decodeClientHello(body, { dtls: false }),
    isAlert(AlertDescription.decode_error),
  );
  const ok = helloBody({ sessionId: new Uint8Array(32) });
  assert.equal(decodeClientHello(ok, { dtls: false }).sessionId.length, 32);
});

Deno.test("decodeClientHello() rejects compression methods without null", () => {
  const body = helloBody({ compression: bytes(1) });
  assert.throws(
    () => decodeClientHello(body, { dtls: false }),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.deepEqual(
    decodeClientHello(helloBody({ compression: bytes(1, 0) }), { dtls: false })
      .compressionMethods,
    [1, 0],
  );
});

Deno.test("decodeClientHello() rejects an empty compression list", () => {
  const body = helloBody({ compression: new Uint8Array(0) });
  assert.throws(
    () => decodeClientHello(body, { dtls: false }),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeClientHello() rejects an empty cipher suite list", () => {
  const body = helloBody({ suites: new Uint8Array(0) });
  assert.throws(
    () => decodeClientHello(body, { dtls: false }),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeClientHello() rejects an odd-length cipher suite list", () => {
  const body = helloBody({ suites: bytes(0xc0, 0xa8, 0) });
  assert.throws(() => decodeClientHello(body, { dtls: false }), DecodeError);
});

Deno.test("decodeClientHello() rejects trailing bytes after the extensions", () => {
  const body = helloBody({ extensions: bytes(0, 4, 0, 23, 0, 0, 0xff) });
  assert.throws(() => decodeClientHello(body, { dtls: false }), DecodeError);
});

Deno.test("decodeClientHello() rejects a truncated body at every length but the one without extensions", () => {
  const body = encodeClientHello(HELLO, { dtls: false });
  const withoutExtensions = 2 + 32 + 1 + 2 + 2 * HELLO.cipherSuites.length + 2;
  for (let n = 0; n < body.length; n++) {
    if (n === withoutExtensions) {
      assert.deepEqual(
        decodeClientHello(body.subarray(0, n), { dtls: false }).extensions,
        [],
      );
      continue;
    }
    assert.throws(
      () => decodeClientHello(body.subarray(0, n), { dtls: false }),
      (e: unknown) => e instanceof DecodeError || e instanceof TlsAlertError,
      `length ${n}`,
    );
  }
});

Deno.test("decodeClientHello() returns copies, not views of the input", () => {
  const body = helloBody({ sessionId: bytes(7, 7), cookie: bytes(5) });
  const hello = decodeClientHello(body, { dtls: true });
  body.fill(0);
  assert.deepEqual(hello.random, RANDOM);
  assert.deepEqual(hello.sessionId, bytes(7, 7));
  assert.deepEqual(hello.cookie, bytes(5));
});

const SERVER_HELLO: ServerHello = {
  version: 0xfefd,
  random: RANDOM,
  sessionId: new Uint8Array(32).fill(1),
  cipherSuite: 0xc0ae,
  compressionMethod: 0,
  extensions: [
    { type: "renegotiation_info", renegotiatedConnection: new Uint8Array(0) },
    { type: "extended_master_secret" },
    { type: "ec_point_formats", formats: [0] },
    { type: "connection_id", cid: bytes(0xca, 0xfe) },
    { type: "server_name" },
    { type: "status_request" },
  ],
};

Deno.test("encodeServerHello() and decodeServerHello() round-trip with empty server_name and status_request", () => {
  const body = encodeServerHello(SERVER_HELLO);
  assert.deepEqual(decodeServerHello(body), SERVER_HELLO);
});

Deno.test("encodeServerHello() leaves out an empty extension block", () => {
  const body = encodeServerHello({
    ...SERVER_HELLO,
    sessionId: new Uint8Array(0),
    extensions: [],
  });
  assert.equal(body.length, 2 + 32 + 1 + 2 + 1);
});

Deno.test("decodeServerHello() rejects a compression method other than null", () => {
  const body = encodeServerHello({ ...SERVER_HELLO, compressionMethod: 1 });
  assert.throws(
    () => decodeServerHello(body),
    isAlert(AlertDescription.illegal_parameter),
  );
});

Deno.test("decodeServerHello() rejects a session_id longer than 32 bytes", () => {
  const body = concatBytes(
    bytes(3, 3),
    RANDOM,
    bytes(33),
    new Uint8Array(33),
    bytes(0xc0, 0x2b, 0),
  );
  assert.throws(
    () => decodeServerHello(body),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeHelloVerifyRequest() rejects trailing bytes and a truncated cookie", () => {
  assert.deepEqual(decodeHelloVerifyRequest(bytes(0xfe, 0xff, 0)), {
    serverVersion: 0xfeff,
    cookie: new Uint8Array(0),
  });
  assert.throws(
    () => decodeHelloVerifyRequest(bytes(0xfe, 0xff, 0, 0)),
    DecodeError,
  );
  assert.throws(
    () => decodeHelloVerifyRequest(bytes(0xfe, 0xff, 2, 0)),
    DecodeError,
  );
});

Deno.test("decodeCertificate() accepts an empty list (RFC 5246 §7.4.6) and rejects an empty entry", () => {
  assert.deepEqual(decodeCertificate(bytes(0, 0, 0)), { certificates: [] });
  assert.throws(
    () => decodeCertificate(bytes(0, 0, 3, 0, 0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeCertificate(bytes(0, 0, 4, 0, 0, 2, 0x30)),
    DecodeError,
  );
  assert.throws(
    () => decodeCertificate(bytes(0, 0, 4, 0, 0, 1, 0x30, 0)),
    DecodeError,
  );
  assert.throws(
    () => encodeCertificate({ certificates: [new Uint8Array(0)] }),
    RangeError,
  );
});

Deno.test("decodeCertificate() reads a chain in order", () => {
  const chain = [new Uint8Array(300).fill(1), new Uint8Array(70000).fill(2)];
  const body = encodeCertificate({ certificates: chain });
  assert.equal(body.length, 3 + 3 + 300 + 3 + 70000);
  assert.deepEqual(decodeCertificate(body).certificates, chain);
});

Deno.test("decodeServerKeyExchange() needs the key exchange to read the body", () => {
  const ecdhePsk = encodeServerKeyExchange({
    form: "ecdhe_psk",
    identityHint: bytes(0x68),
    params: { namedCurve: 29, publicKey: new Uint8Array(32).fill(9) },
  });
  assert.equal(
    decodeServerKeyExchange(ecdhePsk, { kx: "ecdhe_psk" }).form,
    "ecdhe_psk",
  );
  assert.throws(
    () => decodeServerKeyExchange(ecdhePsk, { kx: "psk" }),
    DecodeError,
  );
  assert.throws(
    () => decodeServerKeyExchange(ecdhePsk, { kx: "ecdhe_ecdsa" }),
    (e: unknown) => e instanceof DecodeError || e instanceof TlsAlertError,
  );
});

Deno.test("decodeServerKeyExchange() reads signed ECDHE params for both certificate key exchanges", () => {
  const msg = {
    form: "ecdhe" as const,
    params: { namedCurve: 23, publicKey: new Uint8Array(65).fill(4) },
    signature: { scheme: 0x0403, signature: new Uint8Array(71).fill(0x30) },
  };
  const body = encodeServerKeyExchange(msg);
  assert.deepEqual(body.subarray(0, 4), bytes(3, 0, 23, 65));
  assert.deepEqual(decodeServerKeyExchange(body, { kx: "ecdhe_ecdsa" }), msg);
  assert.deepEqual(decodeServerKeyExchange(body, { kx: "ecdhe_rsa" }), msg);
});

Deno.test("decodeServerKeyExchange() rejects explicit curves (RFC 8422 §5.4)", () => {
  const body = bytes(1, 0, 23, 1, 4, 4, 3, 0, 0);
  assert.throws(
    () => decodeServerKeyExchange(body, { kx: "ecdhe_ecdsa" }),
    isAlert(AlertDescription.illegal_parameter),
  );
});

Deno.test("decodeServerKeyExchange() rejects an empty public point", () => {
  assert.throws(
    () =>
      decodeServerKeyExchange(bytes(0, 0, 3, 0, 23, 0), { kx: "ecdhe_psk" }),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeServerKeyExchange() reads a PSK identity hint and rejects trailing bytes", () => {
  assert.deepEqual(decodeServerKeyExchange(bytes(0, 0), { kx: "psk" }), {
    form: "psk",
    identityHint: new Uint8Array(0),
  });
  assert.throws(
    () => decodeServerKeyExchange(bytes(0, 0, 1), { kx: "psk" }),
    DecodeError,
  );
});

Deno.test("encodeCertificateRequest() and decodeCertificateRequest() round-trip CA names", () => {
  const msg = {
    certificateTypes: [64, 1],
    signatureAlgorithms: [0x0403, 0x0804, 0x0401],
    certificateAuthorities: [bytes(0x30, 0), new Uint8Array(300).fill(0x31)],
  };
  assert.deepEqual(
    decodeCertificateRequest(encodeCertificateRequest(msg)),
    msg,
  );
});

Deno.test("decodeCertificateRequest() rejects empty lists where RFC 5246 §7.4.4 sets a minimum", () => {
  assert.throws(
    () => decodeCertificateRequest(bytes(0, 0, 2, 4, 3, 0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeCertificateRequest(bytes(1, 64, 0, 0, 0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeCertificateRequest(bytes(1, 64, 0, 2, 4, 3, 0, 2, 0, 0)),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeCertificateRequest(bytes(1, 64, 0, 3, 4, 3, 0, 0, 0)),
    DecodeError,
  );
});

Deno.test("decodeServerHelloDone() rejects a non-empty body with decode_error", () => {
  decodeServerHelloDone(new Uint8Array(0));
  assert.throws(
    () => decodeServerHelloDone(bytes(0)),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeClientKeyExchange() reads each form by key exchange", () => {
  const point = new Uint8Array(65).fill(4);
  assert.deepEqual(
    decodeClientKeyExchange(concatBytes(bytes(65), point), {
      kx: "ecdhe_ecdsa",
    }),
    {
      form: "ecdhe",
      publicKey: point,
    },
  );
  assert.deepEqual(
    decodeClientKeyExchange(bytes(0, 2, 0x69, 0x64), { kx: "psk" }),
    {
      form: "psk",
      identity: bytes(0x69, 0x64),
    },
  );
  const both = encodeClientKeyExchange({
    form: "ecdhe_psk",
    identity: bytes(1),
    publicKey: point,
  });
  assert.deepEqual(both.subarray(0, 4), bytes(0, 1, 1, 65));
  assert.deepEqual(decodeClientKeyExchange(both, { kx: "ecdhe_psk" }), {
    form: "ecdhe_psk",
    identity: bytes(1),
    publicKey: point,
  });
});

Deno.test("decodeClientKeyExchange() rejects an empty point and trailing bytes", () => {
  assert.throws(
    () => decodeClientKeyExchange(bytes(0), { kx: "ecdhe_rsa" }),
    isAlert(AlertDescription.decode_error),
  );
  assert.throws(
    () => decodeClientKeyExchange(bytes(0, 0, 0), { kx: "psk" }),
    DecodeError,
  );
  assert.throws(
    () =>
      encodeClientKeyExchange({ form: "ecdhe", publicKey: new Uint8Array(0) }),
    RangeError,
  );
});

Deno.test("decodeCertificateVerify() reads scheme and signature", () => {
  assert.deepEqual(decodeCertificateVerify(bytes(4, 3, 0, 2, 0x30, 0)), {
    scheme: 0x0403,
    signature: bytes(0x30, 0),
  });
  assert.throws(
    () => decodeCertificateVerify(bytes(4, 3, 0, 3, 0x30, 0)),
    DecodeError,
  );
});

Deno.test("decodeFinished() takes the expected verify_data length", () => {
  assert.equal(decodeFinished(new Uint8Array(12)).verifyData.length, 12);
  assert.throws(() => decodeFinished(new Uint8Array(11)), DecodeError);
  assert.equal(
    decodeFinished(new Uint8Array(32), { verifyDataLength: 32 }).verifyData
      .length,
    32,
  );
});

Deno.test("decodeChangeCipherSpec() accepts only the single byte 1", () => {
  assert.deepEqual(encodeChangeCipherSpec(), bytes(1));
  decodeChangeCipherSpec(bytes(1));
  assert.throws(
    () => decodeChangeCipherSpec(bytes(0)),
    isAlert(AlertDescription.illegal_parameter),
  );
  assert.throws(() => decodeChangeCipherSpec(bytes(1, 1)), DecodeError);
  assert.throws(() => decodeChangeCipherSpec(new Uint8Array(0)), DecodeError);
});

Deno.test("encodeHandshakeHeaderTls() and decodeHandshakeHeaderTls() carry a 24-bit length", () => {
  assert.deepEqual(
    encodeHandshakeHeaderTls(11, 0x012345),
    bytes(11, 1, 0x23, 0x45),
  );
  assert.deepEqual(decodeHandshakeHeaderTls(bytes(11, 1, 0x23, 0x45, 9)), {
    msgType: 11,
    length: 0x012345,
  });
  assert.throws(() => decodeHandshakeHeaderTls(bytes(11, 0, 0)), DecodeError);
  assert.throws(() => encodeHandshakeHeaderTls(11, 2 ** 24), RangeError);
  assert.deepEqual(
    encodeHandshakeTls(20, new Uint8Array(12)).subarray(0, 4),
    bytes(20, 0, 0, 12),
  );
});

Deno.test("decodeHandshakeMessage() rejects types postern does not handle with unexpected_message", () => {
  for (const type of [4, 5, 99]) {
    assert.throws(
      () =>
        decodeHandshakeMessage(type, new Uint8Array(0), {
          dtls: true,
          kx: "psk",
        }),
      isAlert(AlertDescription.unexpected_message),
    );
  }
  assert.throws(
    () => decodeHandshakeMessage(3, bytes(0xfe, 0xff, 0), { dtls: false }),
    isAlert(AlertDescription.unexpected_message),
  );
  assert.deepEqual(
    decodeHandshakeMessage(0, new Uint8Array(0), { dtls: false }),
    { type: 0 },
  );
  assert.throws(
    () => decodeHandshakeMessage(0, bytes(1), { dtls: false }),
    isAlert(AlertDescription.decode_error),
  );
});

Deno.test("decodeHandshakeMessage() needs the key exchange for key-exchange messages", () => {
  assert.throws(
    () => decodeHandshakeMessage(16, bytes(0, 0), { dtls: false }),
    TypeError,
  );
  assert.throws(
    () => decodeHandshakeMessage(12, bytes(0, 0), { dtls: false }),
    TypeError,
  );
});
