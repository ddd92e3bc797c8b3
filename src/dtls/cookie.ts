/**
 * Stateless DTLS cookies (RFC 6347 §4.2.1): the server answers a
 * ClientHello without a valid cookie with a HelloVerifyRequest carrying
 * `Cookie = HMAC(Secret, Client-IP, Client-Parameters)` and keeps no state
 * until the client echoes it, so a spoofed source address cannot make the
 * server allocate an association or amplify traffic.
 *
 * - The MAC is HMAC-SHA256 over the peer's address and port and the
 *   ClientHello fields that must not change between the two ClientHellos
 *   (version, random, session_id, cipher_suites, compression_methods —
 *   RFC 6347 §4.2.1: "the client MUST use the same parameter values"). The
 *   caller serialises those fields as `clientHelloBinding`; each input is
 *   length-prefixed so no two different inputs give the same MAC input.
 * - The secret rotates (RFC 6347 §4.2.1: "change the Secret value
 *   frequently"): on the first use after `rotationIntervalMs` has passed,
 *   the current secret becomes the previous one and a fresh one is drawn.
 *   Cookies under the current or the previous secret verify; older ones do
 *   not. A cookie thus stays valid for at least one interval and at most
 *   two; after two idle intervals both secrets are replaced. Time comes in as
 *   `now`; the jar never reads a clock.
 * - Verification computes both candidate MACs and compares both in
 *   constant time, combining the results without short-circuit, so timing
 *   reveals neither how much of a cookie matched nor which secret did.
 *
 * @example
 * ```ts
 * import { CookieJar } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * const jar = new CookieJar();
 * const peer = { hostname: "192.0.2.7", port: 5684 };
 * const binding = new Uint8Array([0xfe, 0xfd, 1, 2, 3]);
 * const cookie = jar.create(0, peer, binding);
 * assert.equal(cookie.length, 32);
 * assert.equal(jar.verify(10, peer, binding, cookie), true);
 * assert.equal(jar.verify(10, { hostname: "192.0.2.7", port: 5685 }, binding, cookie), false);
 * ```
 *
 * @module
 */

import { constantTimeEqual } from "../bytes/mod.ts";
import { HmacKey, randomBytes } from "../crypto/mod.ts";

/**
 * The address a datagram came from (the shape of `Deno.NetAddr`).
 *
 * @example
 * ```ts
 * import type { PeerAddress } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * const peer: PeerAddress = { hostname: "2001:db8::1", port: 5684 };
 * assert.equal(peer.port, 5684);
 * ```
 */
export interface PeerAddress {
  /** IP address in the canonical text form the adapter uses. */
  readonly hostname: string;
  /** UDP port. */
  readonly port: number;
}

/**
 * Options of a {@link CookieJar}.
 *
 * @example
 * ```ts
 * import { CookieJar, type CookieJarOptions } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CookieJarOptions = { rotationIntervalMs: 60_000, cookieLength: 20 };
 * assert.equal(new CookieJar(options).cookieLength, 20);
 * ```
 */
export interface CookieJarOptions {
  /** How long a secret is current, ms (default 300000, five minutes). */
  readonly rotationIntervalMs?: number;
  /** Cookie length, 16..32 bytes (default 32; RFC 6347 allows up to 255). */
  readonly cookieLength?: number;
  /** Source of the secrets (default the CSPRNG; inject only in tests). */
  readonly random?: (length: number) => Uint8Array;
}

const SECRET_LENGTH = 32;
const encoder = new TextEncoder();

/**
 * Makes and checks HelloVerifyRequest cookies with rotating secrets.
 *
 * @example Rotation: the previous secret is still accepted, older ones are not
 * ```ts
 * import { CookieJar } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * const jar = new CookieJar({ rotationIntervalMs: 1000 });
 * const peer = { hostname: "::1", port: 4000 };
 * const binding = new Uint8Array([1]);
 * const cookie = jar.create(0, peer, binding);
 * assert.equal(jar.verify(1500, peer, binding, cookie), true); // previous secret
 * assert.equal(jar.verify(2500, peer, binding, cookie), false); // rotated out
 * ```
 */
export class CookieJar {
  readonly #interval: number;
  readonly #length: number;
  readonly #random: (length: number) => Uint8Array;
  #current: HmacKey | undefined;
  #previous: HmacKey | undefined;
  #rotatedAt = 0;
  #lastPeer: PeerAddress = { hostname: "", port: -1 };
  #lastHead = new Uint8Array(0);

  /**
   * Creates a jar; its first secret is drawn on first use.
   *
   * @param options Rotation interval, cookie length and random source.
   */
  constructor(options: CookieJarOptions = {}) {
    this.#interval = options.rotationIntervalMs ?? 300_000;
    this.#length = options.cookieLength ?? 32;
    this.#random = options.random ?? randomBytes;
    if (!(this.#interval > 0)) {
      throw new RangeError(
        `Cannot create a cookie jar: rotation interval ${this.#interval} is not positive`,
      );
    }
    if (
      !Number.isInteger(this.#length) || this.#length < 16 || this.#length > 32
    ) {
      throw new RangeError(
        `Cannot create a cookie jar: cookie length ${this.#length} is not within 16..32`,
      );
    }
  }

  /** Cookie length in bytes. */
  get cookieLength(): number {
    return this.#length;
  }

  /**
   * The cookie for this peer and ClientHello, under the current secret.
   *
   * @param now Current time, ms.
   * @param peer The datagram's source address.
   * @param clientHelloBinding The serialised ClientHello fields that must
   *   repeat (version, random, session_id, cipher_suites,
   *   compression_methods), whole or as consecutive parts.
   * @returns The cookie to send in the HelloVerifyRequest.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./cookie.ts";
   * import assert from "node:assert/strict";
   *
   * const jar = new CookieJar({ cookieLength: 16 });
   * assert.equal(jar.create(0, { hostname: "10.0.0.1", port: 1 }, new Uint8Array()).length, 16);
   * ```
   */
  create(
    now: number,
    peer: PeerAddress,
    clientHelloBinding: Uint8Array | readonly Uint8Array[],
  ): Uint8Array {
    this.#rotate(now);
    return this.#mac(this.#current!, peer, clientHelloBinding);
  }

  /**
   * Whether `cookie` was made by {@link create} for this peer and binding
   * under the current or the previous secret. Constant time in the cookie's
   * content.
   *
   * @param now Current time, ms.
   * @param peer The datagram's source address.
   * @param clientHelloBinding As for {@link create}, from the new ClientHello.
   * @param cookie The cookie the ClientHello carries.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./cookie.ts";
   * import assert from "node:assert/strict";
   *
   * const jar = new CookieJar();
   * const peer = { hostname: "10.0.0.1", port: 1 };
   * const cookie = jar.create(0, peer, new Uint8Array([1]));
   * assert.equal(jar.verify(0, peer, new Uint8Array([2]), cookie), false);
   * assert.equal(jar.verify(0, peer, new Uint8Array([1]), new Uint8Array()), false);
   * ```
   */
  verify(
    now: number,
    peer: PeerAddress,
    clientHelloBinding: Uint8Array | readonly Uint8Array[],
    cookie: Uint8Array,
  ): boolean {
    this.#rotate(now);
    const current = this.#mac(this.#current!, peer, clientHelloBinding);
    const a = constantTimeEqual(current, cookie) ? 1 : 0;
    // whether a previous secret exists is public (it depends on time only)
    const b = this.#previous !== undefined &&
        constantTimeEqual(
          this.#mac(this.#previous, peer, clientHelloBinding),
          cookie,
        )
      ? 1
      : 0;
    return (a | b) === 1;
  }

  #rotate(now: number): void {
    if (this.#current === undefined) {
      this.#current = this.#newSecret();
      this.#rotatedAt = now;
      return;
    }
    const elapsed = now - this.#rotatedAt;
    if (elapsed < this.#interval) return;
    // two or more intervals: the previous secret is too old as well
    this.#previous = elapsed >= 2 * this.#interval
      ? this.#newSecret()
      : this.#current;
    this.#current = this.#newSecret();
    this.#rotatedAt = now;
  }

  #newSecret(): HmacKey {
    const secret = this.#random(SECRET_LENGTH);
    if (secret.length !== SECRET_LENGTH) {
      throw new RangeError(
        `Cannot rotate the cookie secret: random source gave ${secret.length} bytes`,
      );
    }
    return new HmacKey("SHA-256", secret);
  }

  #mac(
    key: HmacKey,
    peer: PeerAddress,
    binding: Uint8Array | readonly Uint8Array[],
  ): Uint8Array {
    const parts = binding instanceof Uint8Array ? [binding] : binding;
    let length = 0;
    for (const p of parts) length += p.length;
    const head = this.#head(peer);
    const o = head.length - 3;
    head[o] = (length >>> 16) & 0xff;
    head[o + 1] = (length >>> 8) & 0xff;
    head[o + 2] = length & 0xff;
    return key.mac([head, ...parts]).subarray(0, this.#length);
  }

  /**
   * The length-prefixed peer fields, host<1..255> and port(2), then room
   * for the binding's 3-byte length; cached for the last peer, since a
   * cookie is made and checked for the same one.
   */
  #head(peer: PeerAddress): Uint8Array {
    const last = this.#lastPeer;
    if (last.hostname === peer.hostname && last.port === peer.port) {
      return this.#lastHead;
    }
    const host = encoder.encode(peer.hostname);
    const hostLength = Math.min(host.length, 255);
    const head = new Uint8Array(1 + hostLength + 2 + 3);
    head[0] = hostLength;
    head.set(host.subarray(0, hostLength), 1);
    const o = 1 + hostLength;
    head[o] = (peer.port >>> 8) & 0xff;
    head[o + 1] = peer.port & 0xff;
    this.#lastPeer = { hostname: peer.hostname, port: peer.port };
    this.#lastHead = head;
    return head;
  }
}
