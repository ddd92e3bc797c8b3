/**
 * Test-side helpers for TLS over TCP with postern's own TLS 1.2 engine in
 * the client role: dial a listener, run the handshake, get an application
 * stream (or the alert it ended with). Any TLS 1.2 server can be tested
 * with it, e.g. the proof-of-possession check: present a valid client
 * certificate but sign CertificateVerify with another key
 * ({@link mismatchedCertifiedKey}) and expect `decrypt_error`.
 *
 * Also loads PEM certificate/key pairs as a {@link CertifiedKey} and makes
 * an RSA 2048 CA, server and client certificate with `openssl` once per
 * process ({@link rsaFixtures}).
 *
 * @module
 */

import { TlsConnection } from "../../src/tls/stream/connection.ts";
import type {
  CertifiedKey,
  ClientHandshakeConfig,
} from "../../src/tls/handshake/types.ts";
import {
  TlsEngineStream,
  type TlsHandshakeResult,
} from "../../src/net/tls_engine_stream.ts";
import {
  type Certificate,
  decodePem,
  loadPrivateKey,
  parseCertificate,
} from "../../src/pki/mod.ts";
import { openssl } from "./openssl.ts";

/** A dialled TLS connection: the stream and how its handshake ended. */
export interface TlsClientConnection {
  readonly stream: TlsEngineStream;
  readonly result: TlsHandshakeResult;
}

/**
 * Dials `hostname:port` over TCP (Nagle off) and runs a TLS 1.2 client
 * handshake with postern's engine. Never throws for a failed handshake:
 * read `result`.
 *
 * @param port The server port.
 * @param client The client handshake configuration.
 * @param options Host (default 127.0.0.1) and handshake timeout.
 */
export async function connectTlsClient(
  port: number,
  client: ClientHandshakeConfig,
  options: { hostname?: string; timeoutMs?: number; prefix?: Uint8Array } = {},
): Promise<TlsClientConnection> {
  const raw = await Deno.connect({
    hostname: options.hostname ?? "127.0.0.1",
    port,
  });
  raw.setNoDelay(true);
  if (options.prefix !== undefined) await raw.write(options.prefix);
  const stream = new TlsEngineStream(
    raw,
    new TlsConnection({
      role: "client",
      client,
      handshakeTimeoutMs: options.timeoutMs ?? 10_000,
    }),
  );
  let result: TlsHandshakeResult;
  try {
    result = await stream.handshake();
  } catch (err) {
    stream.close();
    result = {
      ok: false,
      closed: {
        kind: "closed",
        reason: err instanceof Error ? err.message : String(err),
      },
    };
  }
  return { stream, result };
}

/** Certificates of a PEM file, in order. */
export function certificatesOf(pem: string): Certificate[] {
  return decodePem(pem)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => parseCertificate(b.der));
}

/** A PEM certificate chain file and its PEM key file as a CertifiedKey. */
export async function certifiedKey(
  certPath: string,
  keyPath: string,
): Promise<CertifiedKey> {
  return {
    chain: certificatesOf(await Deno.readTextFile(certPath)),
    key: loadPrivateKey(await Deno.readTextFile(keyPath)),
  };
}

/**
 * A key pair that fails proof of possession: `certPath`'s chain with the
 * private key of `otherKeyPath` (same key type, so the client signs
 * CertificateVerify with a scheme the server accepts, and the signature
 * does not verify under the certificate's public key).
 */
export async function mismatchedCertifiedKey(
  certPath: string,
  otherKeyPath: string,
): Promise<CertifiedKey> {
  return await certifiedKey(certPath, otherKeyPath);
}

/** RSA 2048 certificates made by {@link rsaFixtures}. */
export interface RsaFixtures {
  readonly dir: string;
  /** Self-signed RSA CA. */
  readonly caPath: string;
  /** Server certificate (SAN localhost, 127.0.0.1; serverAuth). */
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  /** Client certificate, CN rsa-device (clientAuth). */
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
}

let rsaCached: Promise<RsaFixtures> | undefined;

/** RSA CA, server and client certificates, made once per process. */
export function rsaFixtures(): Promise<RsaFixtures> {
  rsaCached ??= buildRsa();
  return rsaCached;
}

async function buildRsa(): Promise<RsaFixtures> {
  const dir = await Deno.makeTempDir({ prefix: "postern-rsa-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  const p = (n: string) => `${dir}/${n}`;
  await Deno.writeTextFile(
    p("ext.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "[dn]",
      "[ca]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier = hash",
      "[server]",
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = DNS:localhost,IP:127.0.0.1",
      "[client]",
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature",
      "extendedKeyUsage = clientAuth",
      "",
    ].join("\n"),
  );
  const key = (n: string) =>
    openssl([
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      p(`${n}.key`),
    ]);
  await Promise.all([key("ca"), key("server"), key("client")]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-config",
    p("ext.cnf"),
    "-extensions",
    "ca",
    "-key",
    p("ca.key"),
    "-subj",
    "/CN=Postern Test RSA CA",
    "-days",
    "3650",
    "-sha256",
    "-out",
    p("ca.crt"),
  ]);
  let serial = 0x2000;
  for (
    const [name, ext, cn] of [["server", "server", "localhost"], [
      "client",
      "client",
      "rsa-device",
    ]] as const
  ) {
    await openssl([
      "req",
      "-new",
      "-config",
      p("ext.cnf"),
      "-key",
      p(`${name}.key`),
      "-subj",
      `/CN=${cn}`,
      "-out",
      p(`${name}.csr`),
    ]);
    await openssl([
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-set_serial",
      String(serial++),
      "-days",
      "365",
      "-sha256",
      "-extfile",
      p("ext.cnf"),
      "-extensions",
      ext,
      "-out",
      p(`${name}.crt`),
    ]);
  }
  return {
    dir,
    caPath: p("ca.crt"),
    serverCertPath: p("server.crt"),
    serverKeyPath: p("server.key"),
    clientCertPath: p("client.crt"),
    clientKeyPath: p("client.key"),
  };
}
