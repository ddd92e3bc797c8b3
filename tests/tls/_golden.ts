/**
 * Checks shared by the fixture tests and the live OpenSSL test: every
 * captured handshake message decodes, re-encodes to the same bytes and
 * carries what the scenario configured; the key schedule reproduces
 * OpenSSL's master secret and Finished messages; the signatures verify.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concatBytes, decodeHex, encodeHex } from "../../src/bytes/mod.ts";
import { verifySignature } from "../../src/crypto/mod.ts";
import { parseCertificate } from "../../src/pki/mod.ts";
import { AlertDescription, TlsAlertError } from "../../src/tls/alert.ts";
import { cipherSuiteByName } from "../../src/tls/cipher_suites.ts";
import { findExtension, hasExtension } from "../../src/tls/extensions/mod.ts";
import {
  directionKeys,
  extendedMasterSecret,
  keyBlock,
  masterSecret,
  pskPremasterSecret,
  verifyData,
} from "../../src/tls/key_schedule.ts";
import {
  decodeHandshakeMessage,
  encodeHandshakeMessage,
  type HandshakeMessage,
} from "../../src/tls/messages/mod.ts";
import {
  signedParamsData,
  verificationScheme,
} from "../../src/tls/signature_schemes.ts";
import { Transcript } from "../../src/tls/transcript.ts";
import {
  type Fixture,
  messageOf,
  messagesOf,
  openFinished,
  transcriptMessages,
} from "./_fixtures.ts";
import type { CapturedHandshake } from "./_openssl.ts";

/** Decodes every message of `h` and checks that it re-encodes byte for byte. */
export function roundTripAll(h: CapturedHandshake): HandshakeMessage[] {
  const kx = cipherSuiteByName(h.suite)!.kx;
  const out: HandshakeMessage[] = [];
  for (const m of messagesOf(h)) {
    if (m.type === 4) {
      // NewSessionTicket: postern issues and accepts no tickets.
      assert.throws(
        () => decodeHandshakeMessage(m.type, m.body, { dtls: h.dtls, kx }),
        (e: unknown) =>
          e instanceof TlsAlertError &&
          e.description === AlertDescription.unexpected_message,
      );
      continue;
    }
    const msg = decodeHandshakeMessage(m.type, m.body, { dtls: h.dtls, kx });
    assert.equal(msg.type, m.type);
    assert.deepEqual(
      encodeHandshakeMessage(msg, { dtls: h.dtls }),
      m.body,
      `${h.name}: ${m.from} message ${m.type} does not re-encode to the captured bytes`,
    );
    out.push(msg);
  }
  return out;
}

function only<T extends HandshakeMessage["type"]>(
  messages: HandshakeMessage[],
  type: T,
): Extract<HandshakeMessage, { type: T }>[] {
  return messages.filter((m): m is Extract<HandshakeMessage, { type: T }> =>
    m.type === type
  );
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** What each scenario configured, checked on the decoded messages. */
export function checkScenario(
  h: CapturedHandshake,
  messages: HandshakeMessage[],
): void {
  const hellos = only(messages, 1).map((m) => m.body);
  const hello = hellos.at(-1)!;
  const serverHello = only(messages, 2)[0]!.body;
  const suite = cipherSuiteByName(h.suite)!;
  assert.ok(hello.cipherSuites.includes(suite.id));
  assert.equal(serverHello.cipherSuite, suite.id);
  assert.equal(hello.version, h.dtls ? 0xfefd : 0x0303);
  assert.equal(serverHello.version, h.dtls ? 0xfefd : 0x0303);
  assert.deepEqual(hello.compressionMethods, [0]);
  assert.equal(serverHello.compressionMethod, 0);
  assert.equal(
    findExtension(hello.extensions, "extended_master_secret") !== undefined,
    h.ems,
  );
  assert.equal(
    findExtension(serverHello.extensions, "extended_master_secret") !==
      undefined,
    h.ems,
  );
  assert.ok(findExtension(hello.extensions, "signature_algorithms"));
  assert.ok(findExtension(serverHello.extensions, "renegotiation_info"));

  if (h.dtls) {
    // RFC 6347 §4.2.1: the first ClientHello has an empty cookie and the
    // second echoes the HelloVerifyRequest's.
    const hvr = only(messages, 3)[0]!.body;
    assert.equal(hellos.length, 2);
    assert.equal(hellos[0]!.cookie?.length, 0);
    assert.ok(hvr.cookie.length > 0);
    assert.deepEqual(hellos[1]!.cookie, hvr.cookie);
    assert.deepEqual(hellos[1]!.random, hellos[0]!.random);
  } else {
    assert.equal(hello.cookie, undefined);
  }

  const ske = only(messages, 12)[0]?.body;
  const cke = only(messages, 16)[0]!.body;
  switch (h.name) {
    case "dtls-psk-ccm8-hvr-ems":
      assert.deepEqual(ske, {
        form: "psk",
        identityHint: text("postern-hint"),
      });
      assert.deepEqual(cke, { form: "psk", identity: text("device-1") });
      break;
    case "tls-psk-aes256-gcm-sha384-no-ems":
      assert.equal(ske, undefined);
      assert.deepEqual(cke, { form: "psk", identity: text("device-2") });
      break;
    case "tls-ecdhe-psk-cbc":
      assert.equal(ske?.form, "ecdhe_psk");
      assert.deepEqual(ske.identityHint, text("h"));
      assert.equal(cke.form, "ecdhe_psk");
      assert.deepEqual(cke.identity, text("device-3"));
      assert.equal(
        cke.publicKey.length,
        ske.params.namedCurve === 29 ? 32 : 65,
      );
      assert.ok(findExtension(hello.extensions, "encrypt_then_mac"));
      assert.equal(
        findExtension(serverHello.extensions, "encrypt_then_mac"),
        undefined,
      );
      break;
    case "dtls-ecdhe-ecdsa-mutual": {
      assert.equal(ske?.form, "ecdhe");
      assert.equal(ske.signature.scheme, 0x0403);
      assert.deepEqual(findExtension(hello.extensions, "server_name"), {
        type: "server_name",
        hostName: "localhost",
      });
      const certs = only(messages, 11).map((m) => m.body.certificates);
      assert.equal(certs.length, 2);
      assert.equal(h.certificates?.length, 2);
      assert.equal(
        certs[0]![0]!.length,
        h.certificates![0]!.length / 2,
      );
      const request = only(messages, 13)[0]!.body;
      assert.ok(request.certificateTypes.includes(64));
      assert.ok(request.signatureAlgorithms.includes(0x0403));
      assert.equal(only(messages, 15)[0]!.body.scheme, 0x0403);
      assert.equal(cke.form, "ecdhe");
      break;
    }
    case "tls-ecdhe-rsa-pss":
      assert.equal(ske?.form, "ecdhe");
      assert.equal(ske.params.namedCurve, 29);
      assert.equal(ske.signature.scheme, 0x0804);
      assert.deepEqual(
        findExtension(hello.extensions, "signature_algorithms")?.schemes,
        [0x0804],
      );
      assert.deepEqual(
        findExtension(hello.extensions, "supported_groups")?.groups,
        [29],
      );
      assert.equal(
        findExtension(hello.extensions, "status_request")?.request?.kind,
        "ocsp",
      );
      assert.ok(
        hasExtension(hello.extensions, 0xff01) ||
          hello.cipherSuites.includes(0x00ff),
      );
      break;
    default:
      throw new Error(`No checks for scenario ${h.name}`);
  }
}

function randoms(f: CapturedHandshake): [Uint8Array, Uint8Array] {
  return [
    messageOf(f, "client", 1, f.dtls ? 1 : 0).body.subarray(2, 34),
    messageOf(f, "server", 2).body.subarray(2, 34),
  ];
}

/**
 * A PSK handshake's master secret, derived from the PSK (RFC 4279 §2) and,
 * with EMS, the session hash (RFC 7627 §4), equals OpenSSL's keylog.
 */
export function checkPskMasterSecret(f: Fixture): void {
  const suite = f.cipherSuite;
  const [clientRandom, serverRandom] = randoms(f);
  const premaster = pskPremasterSecret(decodeHex(f.psk!));
  let master: Uint8Array;
  if (f.ems) {
    const t = new Transcript();
    for (const m of transcriptMessages(f)) {
      t.add(m.raw);
      if (m.type === 2) t.setHash(suite.prfHash);
      if (m.type === 16) break;
    }
    master = extendedMasterSecret(suite, premaster, t.sessionHash());
  } else {
    master = masterSecret(suite, premaster, clientRandom, serverRandom);
  }
  assert.equal(encodeHex(master), f.masterSecret);
}

/**
 * The key block opens both Finished records and their verify_data matches
 * the transcript hash at that point (RFC 5246 §6.3, §7.4.9; DTLS transcript
 * rules of RFC 6347 §4.2.6).
 */
export function checkFinished(f: Fixture): void {
  const suite = f.cipherSuite;
  const [clientRandom, serverRandom] = randoms(f);
  const master = decodeHex(f.masterSecret);
  const kb = keyBlock(suite, master, clientRandom, serverRandom);
  const t = new Transcript();
  const messages = transcriptMessages(f);
  const lastClient = messages.findLastIndex((m) => m.from === "client");
  for (const m of messages.slice(0, lastClient + 1)) {
    t.add(m.raw);
    if (m.type === 2) t.setHash(suite.prfHash);
  }
  const clientFinished = openFinished(f, "client", directionKeys(kb, "client"));
  const header = f.dtls ? 12 : 4;
  assert.equal(clientFinished[0], 20);
  assert.deepEqual(
    clientFinished.subarray(header),
    verifyData(suite, master, "client finished", t.hash()),
  );
  t.add(clientFinished);
  for (const m of messages.slice(lastClient + 1)) t.add(m.raw);
  const serverFinished = openFinished(f, "server", directionKeys(kb, "server"));
  assert.deepEqual(
    serverFinished.subarray(header),
    verifyData(suite, master, "server finished", t.hash()),
  );
}

/**
 * The ECDHE ServerKeyExchange signature (RFC 8422 §5.4) verifies with the
 * server certificate, and a CertificateVerify (RFC 5246 §7.4.8) with the
 * client certificate over the transcript before it.
 */
export async function checkSignatures(f: Fixture): Promise<void> {
  const all = messagesOf(f);
  const ske = all.find((m) => m.type === 12);
  const signedKx = f.cipherSuite.kx === "ecdhe_ecdsa" ||
    f.cipherSuite.kx === "ecdhe_rsa";
  if (ske && signedKx) {
    const server = parseCertificate(decodeHex(f.certificates![0]!)).publicKey!;
    const [clientRandom, serverRandom] = randoms(f);
    const msg = decodeHandshakeMessage(12, ske.body, {
      dtls: f.dtls,
      kx: f.cipherSuite.kx,
    });
    assert.ok(msg.type === 12 && msg.body.form === "ecdhe");
    const data = signedParamsData(clientRandom, serverRandom, msg.body.params);
    const scheme = verificationScheme(msg.body.signature.scheme, server);
    assert.ok(
      await verifySignature(server, data, msg.body.signature.signature, scheme),
    );
  }
  const messages = transcriptMessages(f);
  const at = messages.findIndex((m) => m.type === 15);
  if (at >= 0) {
    const client = parseCertificate(decodeHex(f.certificates![1]!)).publicKey!;
    const msg = decodeHandshakeMessage(15, messages[at]!.body, {
      dtls: f.dtls,
    });
    assert.ok(msg.type === 15);
    const signed = concatBytes(...messages.slice(0, at).map((m) => m.raw));
    const scheme = verificationScheme(msg.body.scheme, client);
    assert.ok(
      await verifySignature(client, signed, msg.body.signature, scheme),
    );
  }
}
