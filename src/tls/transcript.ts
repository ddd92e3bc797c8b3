/**
 * The handshake transcript (RFC 5246 §7.4.9 `handshake_messages`): every
 * handshake message sent and received, header included, in order, up to
 * the point of use.
 *
 * - Until the cipher suite is known the messages are only buffered; once
 *   {@link Transcript.setHash} names the PRF hash they are hashed and every
 *   later message is hashed as it is added.
 * - The raw bytes stay available as well: CertificateVerify (RFC 5246
 *   §7.4.8) signs the messages themselves with the signature scheme's hash,
 *   which may differ from the PRF hash.
 * - The session hash of the extended master secret (RFC 7627 §3) is the
 *   hash of everything up to and including ClientKeyExchange; the
 *   transcript snapshots it when a ClientKeyExchange is added.
 *
 * ## DTLS
 *
 * Messages go in as if they had been sent unfragmented: the 12-byte DTLS
 * header with fragment_offset 0 and fragment_length equal to length
 * (RFC 6347 §4.2.6). The HelloVerifyRequest and the ClientHello it answers
 * are left out (RFC 6347 §4.2.6: "the initial ClientHello and
 * HelloVerifyRequest MUST NOT be included"): on a HelloVerifyRequest, call
 * {@link Transcript.reset} and start again from the second ClientHello.
 * Adding a HelloVerifyRequest is refused.
 *
 * @module
 */

import { sha384 } from "@noble/hashes/sha2.js";
import { Sha256 } from "../crypto/sha256.ts";
import { concatBytes } from "../bytes/mod.ts";
import { HandshakeType } from "./handshake_type.ts";

/** The PRF hashes of TLS 1.2 suites. */
export type TranscriptHash = "SHA-256" | "SHA-384";

interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): Hasher;
}

function createHasher(alg: TranscriptHash): Hasher {
  return alg === "SHA-384" ? sha384.create() : new Sha256();
}

/** The digest so far, the hash left running. */
function peek(h: Hasher): Uint8Array {
  return h instanceof Sha256 ? h.peekDigest() : h.clone().digest();
}

/**
 * A running handshake hash with the raw messages behind it.
 *
 * @example EMS session hash and Finished hash
 * ```ts
 * import { Transcript } from "./transcript.ts";
 * import { digest } from "../crypto/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hello = new Uint8Array([1, 0, 0, 1, 0xaa]);
 * const cke = new Uint8Array([16, 0, 0, 1, 0xbb]);
 * const t = new Transcript();
 * t.add(hello);
 * t.setHash("SHA-256");
 * t.add(cke);
 * assert.deepEqual(t.sessionHash(), digest("SHA-256", new Uint8Array([...hello, ...cke])));
 * assert.deepEqual(t.hash(), t.sessionHash());
 * ```
 */
export class Transcript {
  #messages: Uint8Array[] = [];
  #length = 0;
  #alg: TranscriptHash | undefined;
  #hasher: Hasher | undefined;
  #sessionHash: Uint8Array | undefined;

  /** Number of messages added since construction or the last reset. */
  get messageCount(): number {
    return this.#messages.length;
  }

  /** Total bytes added. */
  get byteLength(): number {
    return this.#length;
  }

  /** The hash chosen with {@link setHash}, if any. */
  get hashAlgorithm(): TranscriptHash | undefined {
    return this.#alg;
  }

  /**
   * Appends one whole handshake message (header and body). The transcript
   * keeps `message` itself, not a copy: it must not change afterwards.
   *
   * @throws {TypeError} for an empty message or a HelloVerifyRequest, which
   *   never belongs in a transcript (RFC 6347 §4.2.6).
   */
  add(message: Uint8Array): void {
    const type = message[0];
    if (type === undefined) {
      throw new TypeError(
        "Cannot add an empty handshake message to a transcript",
      );
    }
    if (type === HandshakeType.hello_verify_request) {
      throw new TypeError(
        "Cannot add a HelloVerifyRequest to a transcript (RFC 6347 §4.2.6)",
      );
    }
    this.#messages.push(message);
    this.#length += message.length;
    this.#hasher?.update(message);
    if (
      type === HandshakeType.client_key_exchange && this.#hasher !== undefined
    ) {
      this.#sessionHash = peek(this.#hasher);
    }
  }

  /**
   * Chooses the PRF hash once the suite is known and hashes what was
   * buffered so far. Choosing the same hash again is a no-op.
   *
   * @throws {TypeError} if a different hash was chosen before.
   */
  setHash(alg: TranscriptHash): void {
    if (this.#alg !== undefined) {
      if (this.#alg !== alg) {
        throw new TypeError(
          `Cannot switch the transcript hash from ${this.#alg} to ${alg}`,
        );
      }
      return;
    }
    this.#alg = alg;
    const hasher = createHasher(alg);
    for (const m of this.#messages) hasher.update(m);
    this.#hasher = hasher;
    const last = this.#messages.at(-1);
    if (last?.[0] === HandshakeType.client_key_exchange) {
      this.#sessionHash = peek(hasher);
    }
  }

  /**
   * The hash of every message added so far: the `handshake_hash` of a
   * Finished computed now (RFC 5246 §7.4.9).
   *
   * @throws {TypeError} before {@link setHash}.
   */
  hash(): Uint8Array {
    if (this.#hasher === undefined) {
      throw new TypeError("Cannot hash the transcript before setHash()");
    }
    return peek(this.#hasher);
  }

  /**
   * The RFC 7627 §3 session hash: the hash of the messages up to and
   * including the most recent ClientKeyExchange.
   *
   * @throws {TypeError} before a ClientKeyExchange was added or before {@link setHash}.
   */
  sessionHash(): Uint8Array {
    if (this.#sessionHash === undefined) {
      throw new TypeError(
        "Cannot take the session hash before ClientKeyExchange and setHash()",
      );
    }
    return this.#sessionHash.slice();
  }

  /**
   * All messages added so far, concatenated: what CertificateVerify signs
   * (RFC 5246 §7.4.8).
   */
  bytes(): Uint8Array {
    return concatBytes(...this.#messages);
  }

  /**
   * Forgets every message and the chosen hash, as after a
   * HelloVerifyRequest (RFC 6347 §4.2.6).
   */
  reset(): void {
    this.#messages = [];
    this.#length = 0;
    this.#alg = undefined;
    this.#hasher = undefined;
    this.#sessionHash = undefined;
  }
}
