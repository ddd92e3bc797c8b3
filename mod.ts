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
