/**
 * TLS 1.2 over a byte stream: the record layer and the sans-IO
 * {@link TlsConnection} that drives the handshake machines shared with
 * DTLS. `src/net/tls_engine*.ts` runs it over TCP.
 *
 * @example
 * ```ts
 * import { TlsConnection } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new TlsConnection({ role: "server", server: { psk: () => undefined } });
 * assert.equal(c.established, false);
 * ```
 *
 * @module
 */

export * from "./record.ts";
export * from "./handshake_reader.ts";
export * from "./connection.ts";
