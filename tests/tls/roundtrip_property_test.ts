// encode → decode round trips for every handshake message and extension
// (rustls fuzz_message; mqtt-packet "mirror" tests), over generated values.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeExtensions,
  encodeExtensions,
  type Extension,
  extensionCode,
  ExtensionType,
} from "../../src/tls/extensions/mod.ts";
import {
  type CertificateRequest,
  type ClientHello,
  type ClientKeyExchange,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeClientHello,
  decodeClientKeyExchange,
  decodeFinished,
  decodeHelloVerifyRequest,
  decodeServerHello,
  decodeServerKeyExchange,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeClientKeyExchange,
  encodeFinished,
  encodeHelloVerifyRequest,
  encodeServerHello,
  encodeServerKeyExchange,
  type ServerHello,
  type ServerKeyExchange,
} from "../../src/tls/messages/mod.ts";
import type { KeyExchange } from "../../src/tls/cipher_suites.ts";

const RUNS = { numRuns: 150 };
const NO_NULL_PROTO = { noNullPrototype: true };

function bytes(minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength, maxLength });
}
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const KNOWN_CODES = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.max_fragment_length,
  ExtensionType.status_request,
  ExtensionType.supported_groups,
  ExtensionType.ec_point_formats,
  ExtensionType.signature_algorithms,
  ExtensionType.encrypt_then_mac,
  ExtensionType.extended_master_secret,
  ExtensionType.record_size_limit,
  ExtensionType.session_ticket,
  ExtensionType.connection_id,
  ExtensionType.renegotiation_info,
]);

const hostName = fc.domain();

function extension(
  context: "client_hello" | "server_hello",
): fc.Arbitrary<Extension> {
  const serverName: fc.Arbitrary<Extension> = context === "client_hello"
    ? hostName.map((h) => ({ type: "server_name", hostName: h }))
    : fc.oneof(
      fc.constant<Extension>({ type: "server_name" }),
      hostName.map((h): Extension => ({ type: "server_name", hostName: h })),
    );
  const ocsp = fc.record({
    responderIds: fc.array(bytes(1, 20), { maxLength: 3 }),
    requestExtensions: bytes(0, 20),
  }, NO_NULL_PROTO).map((r) => ({ kind: "ocsp" as const, ...r }));
  const otherStatus = fc.record({
    statusType: fc.integer({ min: 2, max: 255 }),
    body: bytes(0, 10),
  }, NO_NULL_PROTO).map((r) => ({ kind: "unknown" as const, ...r }));
  const statusRequest: fc.Arbitrary<Extension> = fc.oneof(ocsp, otherStatus)
    .map((request) => ({
      type: "status_request",
      request,
    }));
  return fc.oneof(
    serverName,
    fc.integer({ min: 1, max: 4 }).map((code): Extension => ({
      type: "max_fragment_length",
      code: code as 1 | 2 | 3 | 4,
    })),
    context === "client_hello" ? statusRequest : fc.oneof(
      statusRequest,
      fc.constant<Extension>({ type: "status_request" }),
    ),
    fc.array(u16, { minLength: 1, maxLength: 10 }).map((groups): Extension => ({
      type: "supported_groups",
      groups,
    })),
    fc.array(u8, { maxLength: 5 }).map((f): Extension => ({
      type: "ec_point_formats",
      formats: [0, ...f],
    })),
    fc.array(u16, { minLength: 1, maxLength: 20 }).map((
      schemes,
    ): Extension => ({
      type: "signature_algorithms",
      schemes,
    })),
    fc.constant<Extension>({ type: "encrypt_then_mac" }),
    fc.constant<Extension>({ type: "extended_master_secret" }),
    fc.integer({ min: 64, max: 0xffff }).map((limit): Extension => ({
      type: "record_size_limit",
      limit,
    })),
    bytes(0, 40).map((ticket): Extension => ({
      type: "session_ticket",
      ticket,
    })),
    bytes(0, 255).map((cid): Extension => ({ type: "connection_id", cid })),
    bytes(0, 24).map((r): Extension => ({
      type: "renegotiation_info",
      renegotiatedConnection: r,
    })),
    fc.record({
      code: u16.filter((c) => !KNOWN_CODES.has(c)),
      data: bytes(0, 30),
    }, NO_NULL_PROTO).map((
      r,
    ): Extension => ({ type: "unknown", ...r })),
  );
}

function extensions(context: "client_hello" | "server_hello") {
  return fc.uniqueArray(extension(context), {
    selector: extensionCode,
    maxLength: 8,
  });
}

function clientHello(dtls: boolean): fc.Arbitrary<ClientHello> {
  return fc.record({
    version: u16,
    random: bytes(32, 32),
    sessionId: bytes(0, 32),
    cookie: bytes(0, 255),
    cipherSuites: fc.array(u16, { minLength: 1, maxLength: 40 }),
    compressionMethods: fc.array(u8, { maxLength: 4 }).map((m) => [...m, 0]),
    extensions: extensions("client_hello"),
  }, NO_NULL_PROTO).map((
    { cookie, ...rest },
  ) => (dtls ? { ...rest, cookie } : rest));
}

const serverHello: fc.Arbitrary<ServerHello> = fc.record({
  version: u16,
  random: bytes(32, 32),
  sessionId: bytes(0, 32),
  cipherSuite: u16,
  compressionMethod: fc.constant(0),
  extensions: extensions("server_hello"),
}, NO_NULL_PROTO);

const params = fc.record(
  { namedCurve: u16, publicKey: bytes(1, 255) },
  NO_NULL_PROTO,
);
const signed = fc.record(
  { scheme: u16, signature: bytes(0, 600) },
  NO_NULL_PROTO,
);

const serverKeyExchange: fc.Arbitrary<ServerKeyExchange> = fc.oneof(
  fc.record({ params, signature: signed }, NO_NULL_PROTO).map((r) => ({
    form: "ecdhe" as const,
    ...r,
  })),
  bytes(0, 128).map((identityHint) => ({ form: "psk" as const, identityHint })),
  fc.record({ identityHint: bytes(0, 128), params }, NO_NULL_PROTO).map((
    r,
  ) => ({ form: "ecdhe_psk" as const, ...r })),
);

const clientKeyExchange: fc.Arbitrary<ClientKeyExchange> = fc.oneof(
  bytes(1, 255).map((publicKey) => ({ form: "ecdhe" as const, publicKey })),
  bytes(0, 128).map((identity) => ({ form: "psk" as const, identity })),
  fc.record(
    { identity: bytes(0, 128), publicKey: bytes(1, 255) },
    NO_NULL_PROTO,
  ).map((r) => ({
    form: "ecdhe_psk" as const,
    ...r,
  })),
);

function kxFor(
  form: "ecdhe" | "psk" | "ecdhe_psk",
  certificate: KeyExchange,
): KeyExchange {
  return form === "ecdhe" ? certificate : form;
}

const certificateRequest: fc.Arbitrary<CertificateRequest> = fc.record({
  certificateTypes: fc.array(u8, { minLength: 1, maxLength: 5 }),
  signatureAlgorithms: fc.array(u16, { minLength: 1, maxLength: 20 }),
  certificateAuthorities: fc.array(bytes(1, 100), { maxLength: 4 }),
}, NO_NULL_PROTO);

Deno.test("decodeExtensions() inverts encodeExtensions() in both hello contexts", () => {
  for (const context of ["client_hello", "server_hello"] as const) {
    fc.assert(
      fc.property(extensions(context), (exts) => {
        assert.deepEqual(
          decodeExtensions(encodeExtensions(exts), context),
          exts,
        );
      }),
      RUNS,
    );
  }
});

Deno.test("decodeClientHello() inverts encodeClientHello() for TLS and DTLS", () => {
  for (const dtls of [false, true]) {
    fc.assert(
      fc.property(clientHello(dtls), (hello) => {
        const body = encodeClientHello(hello, { dtls });
        const back = decodeClientHello(body, { dtls });
        assert.deepEqual(back, hello);
        assert.deepEqual(encodeClientHello(back, { dtls }), body);
      }),
      RUNS,
    );
  }
});

Deno.test("decodeServerHello() inverts encodeServerHello()", () => {
  fc.assert(
    fc.property(serverHello, (hello) => {
      assert.deepEqual(decodeServerHello(encodeServerHello(hello)), hello);
    }),
    RUNS,
  );
});

Deno.test("decodeHelloVerifyRequest() inverts encodeHelloVerifyRequest()", () => {
  fc.assert(
    fc.property(
      fc.record({ serverVersion: u16, cookie: bytes(0, 255) }, NO_NULL_PROTO),
      (hvr) => {
        assert.deepEqual(
          decodeHelloVerifyRequest(encodeHelloVerifyRequest(hvr)),
          hvr,
        );
      },
    ),
    RUNS,
  );
});

Deno.test("decodeCertificate() inverts encodeCertificate()", () => {
  fc.assert(
    fc.property(fc.array(bytes(1, 1500), { maxLength: 4 }), (certificates) => {
      assert.deepEqual(decodeCertificate(encodeCertificate({ certificates })), {
        certificates,
      });
    }),
    RUNS,
  );
});

Deno.test("decodeServerKeyExchange() inverts encodeServerKeyExchange() given the key exchange", () => {
  fc.assert(
    fc.property(
      serverKeyExchange,
      fc.constantFrom<KeyExchange>("ecdhe_ecdsa", "ecdhe_rsa"),
      (msg, cert) => {
        const kx = kxFor(msg.form, cert);
        assert.deepEqual(
          decodeServerKeyExchange(encodeServerKeyExchange(msg), { kx }),
          msg,
        );
      },
    ),
    RUNS,
  );
});

Deno.test("decodeCertificateRequest() inverts encodeCertificateRequest()", () => {
  fc.assert(
    fc.property(certificateRequest, (msg) => {
      assert.deepEqual(
        decodeCertificateRequest(encodeCertificateRequest(msg)),
        msg,
      );
    }),
    RUNS,
  );
});

Deno.test("decodeClientKeyExchange() inverts encodeClientKeyExchange() given the key exchange", () => {
  fc.assert(
    fc.property(
      clientKeyExchange,
      fc.constantFrom<KeyExchange>("ecdhe_ecdsa", "ecdhe_rsa"),
      (msg, cert) => {
        const kx = kxFor(msg.form, cert);
        assert.deepEqual(
          decodeClientKeyExchange(encodeClientKeyExchange(msg), { kx }),
          msg,
        );
      },
    ),
    RUNS,
  );
});

Deno.test("decodeCertificateVerify() and decodeFinished() invert their encoders", () => {
  fc.assert(
    fc.property(signed, bytes(12, 12), (cv, verifyData) => {
      assert.deepEqual(
        decodeCertificateVerify(encodeCertificateVerify(cv)),
        cv,
      );
      assert.deepEqual(decodeFinished(encodeFinished({ verifyData })), {
        verifyData,
      });
    }),
    RUNS,
  );
});
