/**
 * postern: a Deno-native edge broker for CoAP over DTLS and MQTT over TLS.
 *
 * This module is the public library surface; it re-exports each layer's
 * `mod.ts`.
 *
 * @module
 */

export * from "./src/bytes/mod.ts";
export * from "./src/crypto/mod.ts";
export * from "./src/pki/mod.ts";
export * from "./src/config/mod.ts";
export * from "./src/log/mod.ts";
export * from "./src/server.ts";
export * from "./src/mqtt/mod.ts";
export * from "./src/sessions/mod.ts";
/** The MQTT broker core (sans-IO). */
export * as broker from "./src/mqtt/broker/mod.ts";
/** The credential store. */
export * as auth from "./src/auth/mod.ts";
/** TLS 1.2 handshake, messages and record protection shared with DTLS. */
export * as tls from "./src/tls/mod.ts";
/** The DTLS 1.2 record layer, association and endpoint. */
export * as dtls from "./src/dtls/mod.ts";
