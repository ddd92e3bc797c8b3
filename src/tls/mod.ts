/**
 * TLS 1.2 handshake code shared by postern's DTLS 1.2 stack and its
 * TLS-over-TCP engine: wire enums, alerts, cipher suites, handshake
 * messages and extensions, the key schedule, the transcript, signature
 * schemes and the expected message order.
 *
 * @example Derive the Finished of a PSK handshake
 * ```ts
 * import {
 *   cipherSuiteByName,
 *   masterSecret,
 *   pskPremasterSecret,
 *   Transcript,
 *   verifyData,
 * } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const suite = cipherSuiteByName("PSK-AES128-CCM8")!;
 * const premaster = pskPremasterSecret(new Uint8Array([1, 2]));
 * const master = masterSecret(suite, premaster, new Uint8Array(32), new Uint8Array(32));
 * const transcript = new Transcript();
 * transcript.add(new Uint8Array([1, 0, 0, 0]));
 * transcript.setHash(suite.prfHash);
 * assert.equal(verifyData(suite, master, "client finished", transcript.hash()).length, 12);
 * ```
 *
 * @module
 */

export * from "./alert.ts";
export * from "./cipher_suites.ts";
export * from "./content_type.ts";
export * from "./handshake_type.ts";
export * from "./messages/mod.ts";
export * from "./extensions/mod.ts";
export * from "./signature_schemes.ts";
export * from "./key_schedule.ts";
export * from "./transcript.ts";
export * from "./handshake_order.ts";
export * from "./record_protection.ts";
export * from "./session_cache.ts";
