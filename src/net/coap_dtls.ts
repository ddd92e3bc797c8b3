/**
 * A CoAP client over one DTLS association (RFC 7252 §9.1, `coaps://`):
 * {@link connectDtls} for the handshake (PSK or certificates), the
 * {@link CoapClientDriver} of the plain-UDP client for the exchanges.
 *
 * @module
 */

import type { ClientRequest, ClientResponse } from "../coap/client.ts";
import type { TransmissionOptions } from "../coap/message_layer.ts";
import type { ClientHandshakeConfig } from "../tls/handshake/types.ts";
import { connectDtls, type DtlsClientConnection } from "./udp.ts";
import { CoapClientDriver } from "./coap_udp.ts";

const SERVER = "server";

/**
 * Options of {@link CoapDtlsClient.connect}.
 *
 * @example
 * ```ts
 * import type { CoapDtlsConnectOptions } from "./coap_dtls.ts";
 *
 * const o: CoapDtlsConnectOptions = { hostname: "127.0.0.1", port: 5684, client: { psk: { identity: "d", key: new Uint8Array(16) } } };
 * ```
 */
export interface CoapDtlsConnectOptions {
  /** Server host. */
  readonly hostname: string;
  /** Server port (5684 for `coaps`). */
  readonly port: number;
  /** PSK or certificate credentials and trust. */
  readonly client: ClientHandshakeConfig;
  /** Message-layer parameters. */
  readonly transmission?: TransmissionOptions;
  /** Give up the handshake after this many ms (default 30 000). */
  readonly handshakeTimeoutMs?: number;
}

/**
 * A CoAP client over DTLS.
 *
 * @example Against the DTLS echo of nobody: the handshake times out
 * ```ts
 * import { CoapDtlsClient } from "./coap_dtls.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(CoapDtlsClient.connect({ hostname: "127.0.0.1", port: 9, client: { psk: { identity: "d", key: new Uint8Array(16) } }, handshakeTimeoutMs: 200 }));
 * ```
 */
export class CoapDtlsClient {
  readonly #connection: DtlsClientConnection;
  readonly #driver: CoapClientDriver;
  readonly #loop: Promise<void>;

  private constructor(
    connection: DtlsClientConnection,
    transmission: TransmissionOptions | undefined,
  ) {
    this.#connection = connection;
    const driver = new CoapClientDriver(
      (bytes) => void connection.send(bytes),
      transmission,
    );
    this.#driver = driver;
    this.#loop = (async () => {
      for (let d = await connection.read(); d; d = await connection.read()) {
        driver.receive(d, SERVER);
      }
    })();
  }

  /**
   * Completes a DTLS handshake with the server.
   *
   * @param options Address, credentials, message-layer parameters.
   * @returns The connected client.
   */
  static async connect(
    options: CoapDtlsConnectOptions,
  ): Promise<CoapDtlsClient> {
    const connection = await connectDtls({
      hostname: options.hostname,
      port: options.port,
      client: options.client,
      ...(options.handshakeTimeoutMs === undefined
        ? {}
        : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    });
    return new CoapDtlsClient(connection, options.transmission);
  }

  /**
   * Sends a request and resolves with the (reassembled) response.
   *
   * @param request The request.
   * @param onNotification Called for each notification of an observation.
   * @returns The first response and the exchange ID.
   */
  request(
    request: ClientRequest,
    onNotification?: (r: ClientResponse) => void,
  ): Promise<ClientResponse & { id: number }> {
    return this.#driver.request(SERVER, request, onNotification);
  }

  /**
   * Ends an observation (GET with Observe 1).
   *
   * @param id The exchange ID from {@link CoapDtlsClient.request}.
   */
  cancelObserve(id: number): void {
    this.#driver.cancelObserve(id);
  }

  /** Sends close_notify and closes the socket. */
  async close(): Promise<void> {
    this.#driver.close();
    await this.#connection.close();
    await this.#loop;
  }
}
