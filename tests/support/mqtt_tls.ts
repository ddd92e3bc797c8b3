/**
 * Test-side helpers for MQTT over TLS with client certificates and hot
 * reload, shared by the tests of every TLS path (`node:tls`, postern's TLS
 * engine, `Deno.listenTls`): a `node:tls` MQTT client whose every wait is
 * bounded, a self-signed server certificate, atomic file replacement, and
 * a CRL made with `openssl ca` that revokes one serial of `inter`.
 *
 * @module
 */

import assert from "node:assert/strict";
import tls from "node:tls";
import type net from "node:net";
import { encodePacket } from "../../src/mqtt/mod.ts";
import {
  encodePem,
  issueCertificate,
  parseCertificate,
  privateKeyToPem,
} from "../../src/pki/mod.ts";
import { generateEcKeyPair } from "../../src/crypto/mod.ts";
import { defaultConfig, defaultListener } from "../../src/config/mod.ts";
import type {
  ListenerConfig,
  TlsCredentials,
  TlsOptions,
} from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  type CredentialReloader,
  listenerCredentialReloader,
} from "../../src/net/credential_reloader.ts";
import { type PkiFixtures, pkiFixtures } from "./pki_fixtures.ts";
import { openssl } from "./openssl.ts";
import { sClientExchange } from "./openssl_peers.ts";
import { bounded } from "./bounded.ts";

export { bounded };

/** An MQTT 3.1.1 CONNECT with an empty client id. */
export const CONNECT: Uint8Array = encodePacket({
  type: "connect",
  protocolVersion: 4,
  clean: true,
  keepAlive: 0,
  clientId: "",
}, 4);

/** A CONNACK accepting an MQTT 3.1.1 connection. */
export const CONNACK: Uint8Array = new Uint8Array([0x20, 0x02, 0x00, 0x00]);

/** An MQTT DISCONNECT. */
export const DISCONNECT: Uint8Array = new Uint8Array([0xe0, 0x00]);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * One `openssl s_client -tls1_2 -ign_eof ARGS` run that sends an MQTT
 * {@link CONNECT} then {@link DISCONNECT} through the tunnel (unless
 * `send` is false: then it only handshakes); returns its output and
 * whether a {@link CONNACK} came back.
 */
export async function sClientMqtt(
  args: string[],
  options: { send?: boolean } = {},
): Promise<{ text: string; connack: boolean }> {
  const { stdout, text } = await sClientExchange("-tls1_2", [
    "-ign_eof",
    ...args,
  ], {
    writes: options.send === false ? [] : [
      { afterMs: 300, data: CONNECT },
      { afterMs: 200, data: DISCONNECT },
    ],
    settleMs: 0,
  });
  return { text, connack: contains(stdout, CONNACK) };
}

/** An `ssl` listener's configuration over copies of its files. */
export interface SslListenerFixture {
  readonly f: PkiFixtures;
  /** The copy of `serverChain.pem` the listener reads. */
  readonly certFile: string;
  /** The copy of the server key (encrypted with `keyPassword`, if given). */
  readonly keyFile: string;
  readonly cfg: ListenerConfig;
  /** JSON log lines. */
  readonly lines: string[];
  readonly logger: Logger;
  /** Reloaded on demand only (no watching, no SIGHUP). */
  readonly credentials: CredentialReloader<TlsCredentials>;
}

/**
 * A `verify_peer` `ssl` listener on 127.0.0.1:0 trusting the fixtures'
 * root, whose certificate and key are copies in `dir` (so a test can
 * replace them), with a debug logger and its credential reloader.
 */
export async function sslListenerFixture(
  dir: string,
  options: {
    listener?: Partial<ListenerConfig>;
    tls?: Partial<TlsOptions>;
  } = {},
): Promise<SslListenerFixture> {
  const f = await pkiFixtures();
  const tlsOptions = options.tls ?? {};
  const certFile = `${dir}/server.pem`;
  const keyFile = `${dir}/server.key`;
  await Deno.copyFile(f.serverChainPath, certFile);
  if (tlsOptions.keyPassword === undefined) {
    await Deno.copyFile(f.certs.server.keyPath, keyFile);
  } else {
    await openssl([
      "pkcs8",
      "-topk8",
      "-v2",
      "aes-256-cbc",
      "-in",
      f.certs.server.keyPath,
      "-passout",
      `pass:${tlsOptions.keyPassword}`,
      "-out",
      keyFile,
    ]);
  }
  const ssl = defaultListener("ssl", "default");
  const cfg: ListenerConfig = {
    ...ssl,
    host: "127.0.0.1",
    port: 0,
    ...options.listener,
    tls: {
      ...ssl.tls!,
      verify: "verify_peer",
      certFile,
      keyFile,
      caCertFile: f.certs.root.certPath,
      ...tlsOptions,
    },
  };
  const lines: string[] = [];
  const logger = new Logger({
    format: "json",
    level: "debug",
    sink: (l) => lines.push(l),
  });
  const credentials = await listenerCredentialReloader(defaultConfig(), cfg, {
    logger,
    watch: false,
    sighup: false,
  });
  return { f, certFile, keyFile, cfg, lines, logger, credentials };
}

/** A connected MQTT over TLS client that got its CONNACK. */
export interface MqttTlsClient {
  readonly socket: tls.TLSSocket;
  /** The server certificate's SHA-256 fingerprint, `AA:BB:…`. */
  readonly fingerprint: string;
  /** The CONNACK bytes. */
  readonly connack: Uint8Array;
  /** Whether the socket closed. */
  readonly closed: () => boolean;
  /** The next received chunk; throws after `timeoutMs` (default 5 s). */
  next(timeoutMs?: number): Promise<Uint8Array>;
}

/**
 * Connects over TLS (certificate not checked), sends CONNECT and waits for
 * the CONNACK; every wait is bounded by `timeoutMs` (default 10 s).
 */
export async function mqttTlsClient(
  port: number,
  options: {
    cert?: string;
    key?: string;
    socket?: net.Socket;
    maxVersion?: "TLSv1.2" | "TLSv1.3";
    timeoutMs?: number;
  } = {},
): Promise<MqttTlsClient> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = tls.connect({
    ...(options.socket
      ? { socket: options.socket }
      : { port, host: "127.0.0.1" }),
    servername: "localhost",
    rejectUnauthorized: false,
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    ...(options.cert ? { cert: options.cert, key: options.key } : {}),
  });
  const chunks: Uint8Array[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on("data", (d: Uint8Array) => {
    chunks.push(new Uint8Array(d));
    wake?.();
  });
  socket.on("error", () => wake?.());
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  try {
    await bounded(
      new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
        socket.once("close", () => reject(new Error("closed in handshake")));
      }),
      timeoutMs,
      "the TLS handshake",
    );
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const next = async (ms = 5_000) => {
    const end = Date.now() + ms;
    while (chunks.length === 0) {
      if (closed) throw new Error("closed before data");
      if (Date.now() > end) throw new Error(`no data within ${ms} ms`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return chunks.shift()!;
  };
  socket.write(CONNECT);
  let connack: Uint8Array;
  try {
    connack = await next(timeoutMs);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  assert.equal(connack[0], 0x20);
  return {
    socket,
    fingerprint: socket.getPeerCertificate().fingerprint256 ?? "",
    connack,
    closed: () => closed,
    next,
  };
}

/** A SHA-256 hex fingerprint as `node:tls` prints it (`AA:BB:…`). */
export function colonHex(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}

/** A self-signed P-256 server certificate for `localhost`, PEM. */
export async function selfSignedServer(): Promise<
  { cert: string; key: string; fp: string }
> {
  const key = await generateEcKeyPair("P-256");
  const der = await issueCertificate({
    subject: { CN: "localhost" },
    subjectKey: key,
    now: Date.now(),
    days: 1,
    extKeyUsage: ["serverAuth"],
    subjectAltNames: ["localhost"],
  });
  return {
    cert: encodePem("CERTIFICATE", der),
    key: privateKeyToPem(key),
    fp: colonHex(parseCertificate(der).fingerprintSha256),
  };
}

/** Replaces `path` by a rename, as editors and secret mounts do. */
export async function writeAtomically(
  path: string,
  text: string,
): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, text);
  await Deno.rename(`${path}.tmp`, path);
}

/** A CRL signed by `inter` that revokes `serial`, as DER (`dir` is scratch). */
export async function makeCrlRevoking(
  dir: string,
  f: PkiFixtures,
  serial: bigint,
): Promise<Uint8Array> {
  const hex = serial.toString(16).toUpperCase().padStart(4, "0");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/index.txt`,
    `R\t300101000000Z\t240101000000Z,keyCompromise\t${hex}\tunknown\t/CN=revoked\n`,
  );
  await Deno.writeTextFile(`${dir}/crlnumber`, "10\n");
  await Deno.writeTextFile(
    `${dir}/ca.cnf`,
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/index.txt\ncrlnumber=${dir}/crlnumber\ndefault_md=sha256\ndefault_crl_days=1\ncertificate=${f.certs.inter.certPath}\nprivate_key=${f.certs.inter.keyPath}\n`,
  );
  await openssl([
    "ca",
    "-config",
    `${dir}/ca.cnf`,
    "-gencrl",
    "-out",
    `${dir}/r.crl`,
  ]);
  return new Uint8Array(
    await openssl(["crl", "-in", `${dir}/r.crl`, "-outform", "DER"]),
  );
}

/** A device certificate of `inter` with serial `serial` naming `crlUrl` as its distribution point. */
export async function deviceWithDistributionPoint(
  dir: string,
  f: PkiFixtures,
  options: { cn: string; serial: number; crlUrl: string },
): Promise<{ certPem: string; keyPem: string; der: Uint8Array }> {
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\ncrlDistributionPoints=URI:${options.crlUrl}\n`,
  );
  await openssl([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-noout",
    "-out",
    `${dir}/d.key`,
  ]);
  await openssl([
    "req",
    "-new",
    "-key",
    `${dir}/d.key`,
    "-subj",
    `/CN=${options.cn}`,
    "-out",
    `${dir}/d.csr`,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/d.csr`,
    "-CA",
    f.certs.inter.certPath,
    "-CAkey",
    f.certs.inter.keyPath,
    "-set_serial",
    String(options.serial),
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
    "-extensions",
    "v3",
    "-out",
    `${dir}/d.crt`,
  ]);
  return {
    certPem: await Deno.readTextFile(`${dir}/d.crt`),
    keyPem: await Deno.readTextFile(`${dir}/d.key`),
    der: new Uint8Array(
      await openssl(["x509", "-in", `${dir}/d.crt`, "-outform", "DER"]),
    ),
  };
}

/**
 * The hot-reload contract of every `ssl` listener path: a new server
 * certificate serves new connections while one made before goes on
 * (PINGREQ/PINGRESP), and a broken file is refused (`tls.reload_failed`)
 * and keeps the certificate in use. `connect` connects as `device1` with
 * the certificate and key given.
 */
export async function assertCertificateReload(
  fx: Pick<
    SslListenerFixture,
    "f" | "certFile" | "keyFile" | "lines" | "credentials"
  >,
  connect: (device: { cert: string; key: string }) => Promise<MqttTlsClient>,
): Promise<void> {
  const device = {
    cert: fx.f.certs.device1.pem + fx.f.certs.inter.pem,
    key: await Deno.readTextFile(fx.f.certs.device1.keyPath),
  };
  const old = await connect(device);
  assert.equal(
    old.fingerprint,
    colonHex(parseCertificate(fx.f.certs.server.der).fingerprintSha256),
  );
  const next = await selfSignedServer();
  await writeAtomically(fx.keyFile, next.key);
  await writeAtomically(fx.certFile, next.cert);
  assert.equal(await fx.credentials.reload(), "reloaded");
  const fresh = await connect(device);
  assert.equal(fresh.fingerprint, next.fp);
  // the connection made before the reload still works
  old.socket.write(new Uint8Array([0xc0, 0x00]));
  assert.deepEqual([...await old.next()], [0xd0, 0x00]);

  await writeAtomically(fx.certFile, "-----BEGIN CERTIFICATE-----\nbroken\n");
  assert.equal(await fx.credentials.reload(), "failed");
  assert.ok(fx.lines.some((l) => l.includes("tls.reload_failed")));
  const after = await connect(device);
  assert.equal(after.fingerprint, next.fp);
  for (const c of [old, fresh, after]) c.socket.destroy();
}
