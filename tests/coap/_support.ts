/**
 * Test helpers: wrap the CoAP server and client as lossy-link cores.
 *
 * @module
 */

import type { DatagramCore } from "../support/lossy_link.ts";
import type { CoapClient } from "../../src/coap/client.ts";
import type { CoapServer } from "../../src/coap/server.ts";

/** The server as side "b", its peer called "client". */
export function serverCore(server: CoapServer): DatagramCore {
  return {
    handleInput: (now, bytes) => server.handleDatagram(now, bytes, "client"),
    handleTimeout: (now) => server.handleTimeout(now),
    pollTransmit: () => server.pollTransmit()?.bytes,
    nextTimeout: () => server.nextTimeout(),
  };
}

/** The client as side "a", its peer called "server". */
export function clientCore(client: CoapClient): DatagramCore {
  return {
    handleInput: (now, bytes) => client.handleDatagram(now, bytes, "server"),
    handleTimeout: (now) => client.handleTimeout(now),
    pollTransmit: () => client.pollTransmit()?.bytes,
    nextTimeout: () => client.nextTimeout(),
  };
}

/** Hex to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}
