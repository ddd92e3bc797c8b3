/**
 * Test helpers for DTLS on the wire: a virtual-clock driver for one
 * {@link DtlsServerEndpoint} and many client {@link DtlsAssociation}s, a
 * handshake-message editor for epoch-0 datagrams (tampering), and a
 * "wiretap" that knows the PSK and rebuilds both directions' epoch-1 keys
 * from the handshake it saw (to forge records an attacker holding the key
 * could send, e.g. a renegotiating ClientHello).
 *
 * @module
 */

import { DtlsAssociation } from "../../src/dtls/association.ts";
import type { DtlsServerEndpoint } from "../../src/dtls/endpoint.ts";
import type { PeerAddress } from "../../src/dtls/cookie.ts";
import {
  decodeDatagram,
  DTLS_1_2,
  type DtlsRecord,
  encodeRecord,
} from "../../src/dtls/record.ts";
import {
  decodeHandshakeFragments,
  encodeHandshakeFragment,
} from "../../src/dtls/fragment.ts";
import { concatBytes } from "../../src/bytes/mod.ts";
import { digest } from "../../src/crypto/hash.ts";
import { cipherSuiteByName } from "../../src/tls/cipher_suites.ts";
import {
  extendedMasterSecret,
  keyBlock,
  pskPremasterSecret,
} from "../../src/tls/key_schedule.ts";
import {
  createRecordProtection,
  dtlsSequence,
  type RecordProtection,
} from "../../src/tls/record_protection.ts";

/** One client of a {@link Bench}. */
export interface BenchClient {
  readonly association: DtlsAssociation;
  readonly peer: PeerAddress;
}

/** Every datagram the bench carried, in order. */
export interface Captured {
  readonly fromClient: boolean;
  readonly peer: PeerAddress;
  readonly bytes: Uint8Array;
}

const key = (p: PeerAddress) => `${p.hostname}|${p.port}`;

/**
 * Many clients and one endpoint on a virtual clock, no loss. `edit` may
 * rewrite or drop (return `undefined`) any datagram.
 */
export class Bench {
  readonly endpoint: DtlsServerEndpoint;
  readonly clients = new Map<string, BenchClient>();
  readonly wire: Captured[] = [];
  now: number;
  edit: ((d: Captured) => Uint8Array | undefined) | undefined;

  constructor(endpoint: DtlsServerEndpoint, now = 0) {
    this.endpoint = endpoint;
    this.now = now;
  }

  /** Adds (or replaces) the client at `peer` and starts its handshake. */
  connect(peer: PeerAddress, association: DtlsAssociation): BenchClient {
    const c = this.attach(peer, association);
    association.start(this.now);
    return c;
  }

  /** Adds (or replaces) the client at `peer` without starting it. */
  attach(peer: PeerAddress, association: DtlsAssociation): BenchClient {
    const c = { association, peer };
    this.clients.set(key(peer), c);
    return c;
  }

  /** Delivers everything until nothing moves (bounded). */
  async pump(maxRounds = 50): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const c of this.clients.values()) {
        for (let d; (d = c.association.pollTransmit()) !== undefined;) {
          moved = true;
          const out = this.#pass({ fromClient: true, peer: c.peer, bytes: d });
          if (out !== undefined) {
            await this.endpoint.handleInput(this.now, out, c.peer);
          }
        }
      }
      for (let t; (t = this.endpoint.pollTransmit()) !== undefined;) {
        moved = true;
        const out = this.#pass({
          fromClient: false,
          peer: t.to,
          bytes: t.bytes,
        });
        const c = this.clients.get(key(t.to));
        if (out !== undefined && c !== undefined) {
          await c.association.handleInput(this.now, out);
        }
      }
      if (!moved) return;
    }
    throw new Error(`Bench did not settle in ${maxRounds} rounds`);
  }

  /** Advances the clock to `t`, running every due timer on the way. */
  async advanceTo(t: number, maxSteps = 200): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      let next = this.endpoint.nextTimeout();
      for (const c of this.clients.values()) {
        const n = c.association.nextTimeout();
        if (n !== undefined && (next === undefined || n < next)) next = n;
      }
      if (next === undefined || next > t) {
        this.now = t;
        return;
      }
      this.now = Math.max(this.now, next);
      this.endpoint.handleTimeout(this.now);
      for (const c of this.clients.values()) {
        c.association.handleTimeout(this.now);
      }
      await this.pump();
    }
    throw new Error(`Bench timers did not settle before ${t}`);
  }

  #pass(d: Captured): Uint8Array | undefined {
    const out = this.edit === undefined ? d.bytes : this.edit(d);
    if (out !== undefined) this.wire.push({ ...d, bytes: out });
    return out;
  }
}

/** Handshake message types inside one epoch-0 datagram. */
export function handshakeTypes(datagram: Uint8Array): number[] {
  const out: number[] = [];
  for (const r of decodeDatagram(datagram).records) {
    if (r.type !== 22 || r.epoch !== 0) continue;
    for (const f of decodeHandshakeFragments(r.fragment)) out.push(f.msgType);
  }
  return out;
}

/**
 * Rewrites the body of handshake message `msgType` in an epoch-0 datagram
 * (other records unchanged); returns the datagram unchanged when absent.
 */
export function editHandshake(
  datagram: Uint8Array,
  msgType: number,
  edit: (body: Uint8Array) => Uint8Array,
): Uint8Array {
  const records: Uint8Array[] = [];
  for (const r of decodeDatagram(datagram).records) {
    if (r.type !== 22 || r.epoch !== 0) {
      records.push(reencode(r, r.fragment));
      continue;
    }
    const parts = decodeHandshakeFragments(r.fragment).map((f) =>
      f.msgType === msgType
        ? encodeHandshakeFragment({ ...f, body: edit(f.body.slice()) })
        : encodeHandshakeFragment(f)
    );
    records.push(reencode(r, concatBytes(...parts)));
  }
  return concatBytes(...records);
}

function reencode(r: DtlsRecord, fragment: Uint8Array): Uint8Array {
  return encodeRecord({
    type: r.type,
    version: r.version,
    epoch: r.epoch,
    sequenceNumber: r.sequenceNumber,
    fragment,
  });
}

/** Flips bit 0 of byte `at` (negative: from the end). */
export function flip(at: number): (b: Uint8Array) => Uint8Array {
  return (b) => {
    const c = b.slice();
    const i = at < 0 ? c.length + at : at;
    c[i]! ^= 1;
    return c;
  };
}

/** Both directions' epoch-1 protection of one PSK + EMS handshake. */
export interface TappedKeys {
  readonly client: RecordProtection;
  readonly server: RecordProtection;
}

/**
 * Rebuilds the epoch-1 keys of a `suite` PSK handshake with extended
 * master secret from the datagrams of `peer` (RFC 7627 §4: session hash
 * over ClientHello (with cookie) … ClientKeyExchange; RFC 6347 §4.2.6:
 * the first ClientHello and the HelloVerifyRequest are not in it).
 */
export function tapPskKeys(
  wire: readonly Captured[],
  peer: PeerAddress,
  psk: Uint8Array,
  suiteName = "TLS_PSK_WITH_AES_128_CCM_8",
): TappedKeys {
  const suite = cipherSuiteByName(suiteName)!;
  const transcript: Uint8Array[] = [];
  let clientRandom: Uint8Array | undefined;
  let serverRandom: Uint8Array | undefined;
  let done = false;
  for (const d of wire) {
    if (key(d.peer) !== key(peer) || done) continue;
    for (const r of decodeDatagram(d.bytes).records) {
      if (r.type !== 22 || r.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType === 3) {
          transcript.length = 0; // HelloVerifyRequest: start again
          continue;
        }
        if (f.msgType === 1) {
          transcript.length = 0;
          clientRandom = f.body.slice(2, 34);
        }
        if (f.msgType === 2) serverRandom = f.body.slice(2, 34);
        transcript.push(encodeHandshakeFragment(f));
        if (f.msgType === 16) done = true;
      }
    }
  }
  const hash = digest(suite.prfHash, concatBytes(...transcript));
  const master = extendedMasterSecret(suite, pskPremasterSecret(psk), hash);
  const kb = keyBlock(suite, master, clientRandom!, serverRandom!);
  return {
    client: createRecordProtection(suite, {
      key: kb.clientWriteKey,
      iv: kb.clientWriteIv,
      macKey: kb.clientMacKey,
    }),
    server: createRecordProtection(suite, {
      key: kb.serverWriteKey,
      iv: kb.serverWriteIv,
      macKey: kb.serverMacKey,
    }),
  };
}

/** An epoch-1 record sealed with `p`. */
export function sealRecord(
  p: RecordProtection,
  type: number,
  seq: number,
  plaintext: Uint8Array,
): Uint8Array {
  return encodeRecord({
    type,
    version: DTLS_1_2,
    epoch: 1,
    sequenceNumber: seq,
    fragment: p.seal(dtlsSequence(1, seq), type, DTLS_1_2, plaintext),
  });
}

/** Opens every epoch-1 record of a datagram with `p`: `[type, plaintext]`. */
export function openRecords(
  p: RecordProtection,
  datagram: Uint8Array,
): Array<[number, Uint8Array | undefined]> {
  return decodeDatagram(datagram).records.filter((r) => r.epoch === 1).map((
    r,
  ) => [
    r.type,
    p.open(dtlsSequence(1, r.sequenceNumber), r.type, r.version, r.fragment),
  ]);
}

/** A PSK client association. */
export function pskClient(
  psk: Uint8Array,
  identity = "device-1",
  extra: { cipherSuites?: readonly string[] } = {},
): DtlsAssociation {
  return new DtlsAssociation({
    role: "client",
    client: { psk: { identity, key: psk }, ...extra },
  });
}

/**
 * Rewrites the fragment of every record of `datagram` that `match` selects
 * (header unchanged).
 */
export function editRecords(
  datagram: Uint8Array,
  match: (r: DtlsRecord) => boolean,
  edit: (r: DtlsRecord) => Uint8Array,
): Uint8Array {
  return concatBytes(
    ...decodeDatagram(datagram).records.map((r) =>
      reencode(r, match(r) ? edit(r) : r.fragment)
    ),
  );
}

/**
 * Opens an epoch-1 record with `p`, edits the plaintext and seals it again
 * under the same sequence number: what a man in the middle holding the
 * keys could do.
 */
export function resealed(
  p: RecordProtection,
  edit: (plain: Uint8Array) => Uint8Array,
): (r: DtlsRecord) => Uint8Array {
  return (r) => {
    const seq = dtlsSequence(r.epoch, r.sequenceNumber);
    const plain = p.open(seq, r.type, r.version, r.fragment);
    if (plain === undefined) throw new Error("Cannot open the record to edit");
    return p.seal(seq, r.type, r.version, edit(plain));
  };
}
