/**
 * Captures real TLS 1.2 and DTLS 1.2 handshakes from OpenSSL for the
 * handshake-layer tests: `openssl s_client` talks to `openssl s_server`
 * through a Deno relay (TCP or UDP on 127.0.0.1) that records every byte,
 * and the client's `-keylogfile` gives the master secret. Records and
 * handshake headers are parsed inline here, so the tests do not depend on
 * the record layer they are not testing.
 *
 * Running this file regenerates `fixtures/openssl_handshakes.json`:
 * `deno run -A tests/tls/_openssl.ts`.
 *
 * @module
 */

import { encodeHex } from "../../src/bytes/mod.ts";
import { bounded } from "../support/bounded.ts";
import { opensslTest } from "../support/openssl.ts";
import { freePort, stopProcess } from "../support/openssl_peers.ts";

/**
 * A test that needs `openssl`: skipped where it is missing, except in CI
 * (`CI=true`), where a missing openssl fails it.
 */
export const interopTest: typeof opensslTest = opensslTest;

/** Resolves with `promise`, or rejects after `ms`. */
export const within: typeof bounded = bounded;

/**
 * Reads `stream` until `marker` appears, then keeps draining it; `seen`
 * tells whether the marker came before the stream ended.
 */
function watch(
  stream: ReadableStream<Uint8Array>,
  marker: string,
): { seen: Promise<boolean>; done: Promise<string> } {
  let text = "";
  let resolveSeen: (seen: boolean) => void = () => {};
  const seen = new Promise<boolean>((resolve) => (resolveSeen = resolve));
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes(marker)) resolveSeen(true);
    }
    resolveSeen(false);
    return text;
  })();
  return { seen, done };
}

// ---------------------------------------------------------------- records

/** One TLS or DTLS record. */
export interface TlsRecord {
  readonly type: number;
  readonly version: number;
  /** DTLS only; 0 for TLS. */
  readonly epoch: number;
  /** DTLS sequence number; the record's index in its stream for TLS. */
  readonly seq: number;
  readonly fragment: Uint8Array;
  /** The whole record, header included. */
  readonly raw: Uint8Array;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

function u48(b: Uint8Array, o: number): number {
  return u16(b, o) * 2 ** 32 + ((b[o + 2]! << 24) >>> 0) +
    u24(b, o + 3);
}

/** Splits a TLS byte stream into records (5-byte headers, RFC 5246 §6.2.1). */
export function tlsRecords(stream: Uint8Array): TlsRecord[] {
  const out: TlsRecord[] = [];
  let o = 0;
  while (o + 5 <= stream.length) {
    const length = u16(stream, o + 3);
    if (o + 5 + length > stream.length) break;
    out.push({
      type: stream[o]!,
      version: u16(stream, o + 1),
      epoch: 0,
      seq: out.length,
      fragment: stream.slice(o + 5, o + 5 + length),
      raw: stream.slice(o, o + 5 + length),
    });
    o += 5 + length;
  }
  return out;
}

/** Splits a datagram into DTLS records (13-byte headers, RFC 6347 §4.1). */
export function dtlsRecords(datagram: Uint8Array): TlsRecord[] {
  const out: TlsRecord[] = [];
  let o = 0;
  while (o + 13 <= datagram.length) {
    const length = u16(datagram, o + 11);
    if (o + 13 + length > datagram.length) break;
    out.push({
      type: datagram[o]!,
      version: u16(datagram, o + 1),
      epoch: u16(datagram, o + 3),
      seq: u48(datagram, o + 5),
      fragment: datagram.slice(o + 13, o + 13 + length),
      raw: datagram.slice(o, o + 13 + length),
    });
    o += 13 + length;
  }
  return out;
}

/** One plaintext handshake message. */
export interface HandshakeMessageBytes {
  readonly msgType: number;
  readonly body: Uint8Array;
  /**
   * The message as the transcript takes it: the 4-byte TLS header, or the
   * 12-byte DTLS header with fragment_offset 0 and fragment_length = length.
   */
  readonly raw: Uint8Array;
  /** DTLS message_seq (0 for TLS). */
  readonly messageSeq: number;
}

/** The plaintext handshake messages in TLS records before the first ChangeCipherSpec. */
export function tlsHandshakeMessages(
  records: TlsRecord[],
): HandshakeMessageBytes[] {
  const chunks: Uint8Array[] = [];
  for (const r of records) {
    if (r.type === 20) break;
    if (r.type === 22) chunks.push(r.fragment);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const out: HandshakeMessageBytes[] = [];
  let o = 0;
  while (o + 4 <= all.length) {
    const length = u24(all, o + 1);
    out.push({
      msgType: all[o]!,
      body: all.slice(o + 4, o + 4 + length),
      raw: all.slice(o, o + 4 + length),
      messageSeq: 0,
    });
    o += 4 + length;
  }
  return out;
}

/**
 * The epoch-0 handshake messages of DTLS records, reassembled from their
 * fragments (RFC 6347 §4.2.3), duplicates dropped, in message_seq order.
 */
export function dtlsHandshakeMessages(
  records: TlsRecord[],
): HandshakeMessageBytes[] {
  const partial = new Map<
    number,
    { type: number; body: Uint8Array; have: number }
  >();
  const done = new Map<number, HandshakeMessageBytes>();
  for (const r of records) {
    if (r.type !== 22 || r.epoch !== 0) continue;
    let o = 0;
    const f = r.fragment;
    while (o + 12 <= f.length) {
      const msgType = f[o]!;
      const length = u24(f, o + 1);
      const messageSeq = u16(f, o + 4);
      const offset = u24(f, o + 6);
      const fragLength = u24(f, o + 9);
      const piece = f.subarray(o + 12, o + 12 + fragLength);
      o += 12 + fragLength;
      if (done.has(messageSeq)) continue;
      let p = partial.get(messageSeq);
      if (!p) {
        p = { type: msgType, body: new Uint8Array(length), have: 0 };
        partial.set(messageSeq, p);
      }
      p.body.set(piece, offset);
      p.have += piece.length;
      if (p.have >= length) {
        const raw = new Uint8Array(12 + length);
        raw.set([msgType, length >> 16, (length >> 8) & 0xff, length & 0xff]);
        raw.set([messageSeq >> 8, messageSeq & 0xff], 4);
        raw.set(
          [0, 0, 0, length >> 16, (length >> 8) & 0xff, length & 0xff],
          6,
        );
        raw.set(p.body, 12);
        done.set(messageSeq, { msgType, body: p.body, raw, messageSeq });
        partial.delete(messageSeq);
      }
    }
  }
  return [...done.values()].sort((a, b) => a.messageSeq - b.messageSeq);
}

// ---------------------------------------------------------------- captures

/** What one side sent in a relayed handshake. */
export interface Capture {
  /** TLS: the client's byte stream as one chunk; DTLS: its datagrams. */
  readonly fromClient: Uint8Array[];
  readonly fromServer: Uint8Array[];
  /** The client's `-keylogfile` text. */
  readonly keylog: string;
}

/** How to run one handshake. */
export interface CaptureOptions {
  readonly dtls: boolean;
  readonly serverArgs: readonly string[];
  readonly clientArgs: readonly string[];
  /** Extra environment for both processes, e.g. `OPENSSL_CONF`. */
  readonly env?: Record<string, string>;
}

function spawnOpenssl(
  args: readonly string[],
  env: Record<string, string> | undefined,
  stdout: "piped" | "null",
): Deno.ChildProcess {
  return new Deno.Command("openssl", {
    args: [...args],
    ...(env ? { env } : {}),
    stdin: "piped",
    stdout,
    stderr: "null",
  }).spawn();
}

/**
 * Runs `openssl s_client ↔ s_server` through a recording relay until the
 * client's first application data record passes (the handshake is then
 * complete on both sides).
 */
export async function captureHandshake(
  options: CaptureOptions,
): Promise<Capture> {
  const serverPort = freePort(options.dtls ? "udp" : "tcp");
  const server = spawnOpenssl(
    [
      "s_server",
      ...(options.dtls ? ["-dtls1_2"] : ["-tls1_2"]),
      "-accept",
      `127.0.0.1:${serverPort}`,
      "-naccept",
      "1",
      ...options.serverArgs,
    ],
    options.env,
    "piped",
  );
  const serverOut = watch(server.stdout, "ACCEPT");
  const keylogPath = await Deno.makeTempFile({ prefix: "postern-keylog-" });
  let client: Deno.ChildProcess | undefined;
  try {
    if (!await within(serverOut.seen, 10_000, "openssl s_server start")) {
      throw new Error(`openssl s_server did not start on port ${serverPort}`);
    }
    const relay = options.dtls ? udpRelay(serverPort) : tcpRelay(serverPort);
    try {
      client = spawnOpenssl(
        [
          "s_client",
          ...(options.dtls ? ["-dtls1_2"] : ["-tls1_2"]),
          "-connect",
          `127.0.0.1:${relay.port}`,
          "-keylogfile",
          keylogPath,
          "-quiet",
          ...options.clientArgs,
        ],
        options.env,
        "null",
      );
      const writer = client.stdin.getWriter();
      await writer.write(new TextEncoder().encode("hello\n"));
      writer.releaseLock();
      const { fromClient, fromServer } = await within(
        relay.done,
        15_000,
        "relayed handshake",
      );
      return {
        fromClient,
        fromServer,
        keylog: await Deno.readTextFile(keylogPath),
      };
    } finally {
      relay.close();
    }
  } finally {
    if (client) {
      await client.stdin.close().catch(() => {});
      await stopProcess(client);
    }
    await server.stdin.close().catch(() => {});
    await stopProcess(server);
    await serverOut.done;
    await Deno.remove(keylogPath);
  }
}

interface Relay {
  readonly port: number;
  readonly done: Promise<
    { fromClient: Uint8Array[]; fromServer: Uint8Array[] }
  >;
  close(): void;
}

function udpRelay(serverPort: number): Relay {
  const sock = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  const serverAddr: Deno.NetAddr = {
    transport: "udp",
    hostname: "127.0.0.1",
    port: serverPort,
  };
  const done = (async () => {
    let clientAddr: Deno.NetAddr | undefined;
    for (;;) {
      const [data, from] = await sock.receive();
      const addr = from as Deno.NetAddr;
      if (addr.port === serverPort) {
        fromServer.push(data);
        if (clientAddr) await sock.send(data, clientAddr);
        continue;
      }
      clientAddr = addr;
      fromClient.push(data);
      await sock.send(data, serverAddr);
      if (dtlsRecords(data).some((r) => r.type === 23)) {
        return { fromClient, fromServer };
      }
    }
  })();
  return {
    port: (sock.addr as Deno.NetAddr).port,
    done,
    close() {
      sock.close();
      done.catch(() => {});
    },
  };
}

function tcpRelay(serverPort: number): Relay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const done = (async () => {
    const client = await listener.accept();
    conns.push(client);
    const server = await Deno.connect({
      hostname: "127.0.0.1",
      port: serverPort,
    });
    conns.push(server);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const fromClient: Uint8Array[] = [];
    const fromServer: Uint8Array[] = [];
    let clientBytes = new Uint8Array(0);
    const pump = async (
      src: Deno.Conn,
      dst: Deno.Conn,
      log: Uint8Array[],
      stopOnData: boolean,
    ): Promise<void> => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await src.read(buf);
        if (n === null) return;
        const chunk = buf.slice(0, n);
        log.push(chunk);
        await dst.write(chunk);
        if (stopOnData) {
          const next = new Uint8Array(clientBytes.length + n);
          next.set(clientBytes);
          next.set(chunk, clientBytes.length);
          clientBytes = next;
          if (tlsRecords(clientBytes).some((r) => r.type === 23)) return;
        }
      }
    };
    // The client sends data only after the server's last flight reached it.
    pump(server, client, fromServer, false).catch(() => {});
    await pump(client, server, fromClient, true);
    return {
      fromClient: [joined(fromClient)],
      fromServer: [joined(fromServer)],
    };
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    done,
    close() {
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      try {
        listener.close();
      } catch {
        // already closed
      }
      done.catch(() => {});
    },
  };
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** All records one side sent. */
export function recordsOf(chunks: Uint8Array[], dtls: boolean): TlsRecord[] {
  return dtls ? chunks.flatMap(dtlsRecords) : tlsRecords(joined(chunks));
}

/** The master secret for `clientRandom` in a keylog file. */
export function keylogMasterSecret(
  keylog: string,
  clientRandom: Uint8Array,
): string {
  const want = encodeHex(clientRandom);
  for (const line of keylog.split("\n")) {
    const [label, random, secret] = line.trim().split(" ");
    if (label === "CLIENT_RANDOM" && random === want && secret) return secret;
  }
  throw new Error(`No CLIENT_RANDOM ${want} in the keylog`);
}

// ---------------------------------------------------------------- certificates

/** A certificate and key made with openssl for a test. */
export interface TestCredential {
  readonly certPath: string;
  readonly keyPath: string;
  readonly der: Uint8Array;
}

/** Makes a self-signed v3 certificate (EC P-256 or RSA 2048) in `dir`. */
export async function makeCredential(
  dir: string,
  name: string,
  kind: "ec" | "rsa",
): Promise<TestCredential> {
  const certPath = `${dir}/${name}.crt`;
  const keyPath = `${dir}/${name}.key`;
  const keyArgs = kind === "ec"
    ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : ["-newkey", "rsa:2048"];
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      ...keyArgs,
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-days",
      "2",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `openssl req failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const der = await new Deno.Command("openssl", {
    args: ["x509", "-in", certPath, "-outform", "DER"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { certPath, keyPath, der: der.stdout };
}

// ---------------------------------------------------------------- scenarios

/** A PSK the scenarios share. */
export const TEST_PSK = "0102030405060708090a0b0c0d0e0f10";

/** The OpenSSL config that turns the extended master secret off. */
export const NO_EMS_CONF = `openssl_conf = conf
[conf]
ssl_conf = ssl
[ssl]
system_default = sys
[sys]
Options = -ExtendedMasterSecret
`;

/** One captured handshake, flattened for fixtures and tests. */
export interface CapturedHandshake {
  readonly name: string;
  readonly dtls: boolean;
  /** OpenSSL cipher name of the negotiated suite. */
  readonly suite: string;
  readonly psk?: string;
  readonly ems: boolean;
  /** Master secret from the keylog, hex. */
  readonly masterSecret: string;
  /** Plaintext handshake messages in the order sent, `raw` in transcript form, hex. */
  readonly messages: readonly {
    from: "client" | "server";
    type: number;
    raw: string;
  }[];
  /**
   * The protected handshake records after each side's ChangeCipherSpec,
   * hex: the Finished, in DTLS possibly in several fragments.
   */
  readonly protected: readonly { from: "client" | "server"; record: string }[];
  /** DER certificates used, hex. */
  readonly certificates?: readonly string[];
}

/**
 * Interleaves both sides' messages in handshake order: client hello (and
 * after a HelloVerifyRequest the second one), the server's flight, the
 * client's flight, then a NewSessionTicket if the server sent one.
 */
function ordered(
  client: HandshakeMessageBytes[],
  server: HandshakeMessageBytes[],
): { from: "client" | "server"; type: number; raw: string }[] {
  const out: { from: "client" | "server"; type: number; raw: string }[] = [];
  const c = [...client];
  const s = [...server];
  const push = (from: "client" | "server", m: HandshakeMessageBytes) =>
    out.push({ from, type: m.msgType, raw: encodeHex(m.raw) });
  // Client hello; in DTLS possibly HelloVerifyRequest and a second hello.
  push("client", c.shift()!);
  if (s[0]?.msgType === 3) {
    push("server", s.shift()!);
    push("client", c.shift()!);
  }
  // NewSessionTicket follows the client's Finished (RFC 5077 §3.1).
  for (const m of s) if (m.msgType !== 4) push("server", m);
  for (const m of c) push("client", m);
  for (const m of s) if (m.msgType === 4) push("server", m);
  return out;
}

/** Runs a scenario and flattens it. */
export async function captureScenario(
  name: string,
  options: CaptureOptions & {
    suite: string;
    psk?: string;
    ems: boolean;
    certificates?: Uint8Array[];
  },
): Promise<CapturedHandshake> {
  let cap: Capture;
  try {
    cap = await captureHandshake(options);
  } catch {
    // Another process may have taken the free port in between: try once more.
    cap = await captureHandshake(options);
  }
  const cRecords = recordsOf(cap.fromClient, options.dtls);
  const sRecords = recordsOf(cap.fromServer, options.dtls);
  const cMessages = options.dtls
    ? dtlsHandshakeMessages(cRecords)
    : tlsHandshakeMessages(cRecords);
  const sMessages = options.dtls
    ? dtlsHandshakeMessages(sRecords)
    : tlsHandshakeMessages(sRecords);
  const clientHello = cMessages[
    cMessages.length > 0 && options.dtls && sMessages[0]?.msgType === 3 ? 1 : 0
  ]!;
  const clientRandom = clientHello.body.slice(2, 34);
  const protectedAfterCcs = (
    records: TlsRecord[],
    from: "client" | "server",
  ) => {
    const i = records.findIndex((r) => r.type === 20);
    return i < 0
      ? []
      : records.slice(i + 1).filter((r) => r.type === 22).map((r) => ({
        from,
        record: encodeHex(r.raw),
      }));
  };
  return {
    name,
    dtls: options.dtls,
    suite: options.suite,
    ...(options.psk ? { psk: options.psk } : {}),
    ems: options.ems,
    masterSecret: keylogMasterSecret(cap.keylog, clientRandom),
    messages: ordered(cMessages, sMessages),
    protected: [
      ...protectedAfterCcs(cRecords, "client"),
      ...protectedAfterCcs(sRecords, "server"),
    ],
    ...(options.certificates
      ? { certificates: options.certificates.map(encodeHex) }
      : {}),
  };
}

/** The scenarios the fixture file holds; `dir` receives keys and certificates. */
export async function captureAllScenarios(
  dir: string,
): Promise<CapturedHandshake[]> {
  const noEms = `${dir}/no_ems.cnf`;
  await Deno.writeTextFile(noEms, NO_EMS_CONF);
  const server = await makeCredential(dir, "server", "ec");
  const device = await makeCredential(dir, "device", "ec");
  const rsa = await makeCredential(dir, "rsa-server", "rsa");
  const psk = ["-psk", TEST_PSK];
  const out: CapturedHandshake[] = [];
  out.push(
    await captureScenario("dtls-psk-ccm8-hvr-ems", {
      dtls: true,
      suite: "PSK-AES128-CCM8",
      psk: TEST_PSK,
      ems: true,
      serverArgs: [
        ...psk,
        "-nocert",
        "-listen",
        "-psk_hint",
        "postern-hint",
        "-cipher",
        "PSK-AES128-CCM8",
      ],
      clientArgs: [
        ...psk,
        "-psk_identity",
        "device-1",
        "-cipher",
        "PSK-AES128-CCM8",
      ],
    }),
  );
  out.push(
    await captureScenario("tls-psk-aes256-gcm-sha384-no-ems", {
      dtls: false,
      suite: "PSK-AES256-GCM-SHA384",
      psk: TEST_PSK,
      ems: false,
      env: { OPENSSL_CONF: noEms },
      serverArgs: [...psk, "-nocert", "-cipher", "PSK-AES256-GCM-SHA384"],
      clientArgs: [
        ...psk,
        "-psk_identity",
        "device-2",
        "-cipher",
        "PSK-AES256-GCM-SHA384",
      ],
    }),
  );
  out.push(
    await captureScenario("tls-ecdhe-psk-cbc", {
      dtls: false,
      suite: "ECDHE-PSK-AES128-CBC-SHA256",
      psk: TEST_PSK,
      ems: true,
      serverArgs: [
        ...psk,
        "-nocert",
        "-psk_hint",
        "h",
        "-no_etm",
        "-cipher",
        "ECDHE-PSK-AES128-CBC-SHA256",
      ],
      clientArgs: [
        ...psk,
        "-psk_identity",
        "device-3",
        "-cipher",
        "ECDHE-PSK-AES128-CBC-SHA256",
      ],
    }),
  );
  out.push(
    await captureScenario("dtls-ecdhe-ecdsa-mutual", {
      dtls: true,
      suite: "ECDHE-ECDSA-AES128-GCM-SHA256",
      ems: true,
      certificates: [server.der, device.der],
      serverArgs: [
        "-cert",
        server.certPath,
        "-key",
        server.keyPath,
        "-Verify",
        "1",
        "-verifyCAfile",
        device.certPath,
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
      ],
      clientArgs: [
        "-cert",
        device.certPath,
        "-key",
        device.keyPath,
        "-CAfile",
        server.certPath,
        "-servername",
        "localhost",
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
      ],
    }),
  );
  out.push(
    await captureScenario("tls-ecdhe-rsa-pss", {
      dtls: false,
      suite: "ECDHE-RSA-AES256-GCM-SHA384",
      ems: true,
      certificates: [rsa.der],
      serverArgs: [
        "-cert",
        rsa.certPath,
        "-key",
        rsa.keyPath,
        "-cipher",
        "ECDHE-RSA-AES256-GCM-SHA384",
      ],
      clientArgs: [
        "-CAfile",
        rsa.certPath,
        "-sigalgs",
        "rsa_pss_rsae_sha256",
        "-groups",
        "X25519",
        "-status",
        "-cipher",
        "ECDHE-RSA-AES256-GCM-SHA384",
      ],
    }),
  );
  return out;
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "postern-tls-capture-" });
  try {
    const handshakes = await captureAllScenarios(dir);
    const version = new TextDecoder().decode(
      (await new Deno.Command("openssl", { args: ["version"], stdout: "piped" })
        .output()).stdout,
    ).trim();
    const fixture = {
      source:
        `Captured by tests/tls/_openssl.ts from ${version}: openssl s_client and s_server through a Deno relay on 127.0.0.1; master secrets from s_client -keylogfile`,
      handshakes,
    };
    await Deno.writeTextFile(
      new URL("./fixtures/openssl_handshakes.json", import.meta.url),
      JSON.stringify(fixture, null, 2) + "\n",
    );
    console.log(`wrote ${handshakes.length} handshakes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
