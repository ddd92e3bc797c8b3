/**
 * CoAP core benchmarks: codec encode/decode, in-memory CON GET
 * request/response (piggybacked) through CoapServer, and a gateway publish.
 * Load figures over UDP and DTLS beside libcoap: `coap_load.ts`.
 *
 * @module
 */

import { decodeMessage, encodeMessage } from "../src/coap/message.ts";
import { pathOptions } from "../src/coap/options.ts";
import { CoapServer } from "../src/coap/server.ts";
import { Router } from "../src/coap/router.ts";
import { Code } from "../src/coap/codes.ts";
import { CoapGateway } from "../src/gateway/mapping.ts";

const request = {
  type: 0 as const,
  code: Code.GET,
  messageId: 1,
  token: new Uint8Array([1, 2, 3, 4]),
  options: pathOptions("/sensors/temperature", ["unit=c"]),
  payload: new Uint8Array(),
};
const bytes = encodeMessage(request);

Deno.bench("coap encodeMessage (GET, 3 options)", () => {
  encodeMessage(request);
});

Deno.bench("coap decodeMessage (GET, 3 options)", () => {
  decodeMessage(bytes);
});

const server = new CoapServer(
  new Router().add("GET", "/sensors/:id", () => ({
    code: Code.CONTENT,
    payload: "22.3",
  })),
);
let mid = 0;
let now = 0;
Deno.bench("coap server CON GET → piggybacked 2.05", () => {
  mid = (mid + 1) & 0xffff;
  now += 1;
  server.handleDatagram(
    now,
    encodeMessage({ ...request, messageId: mid }),
    "bench",
  );
  server.pollTransmit();
});

// The gateway: a POST /ps/{topic} that publishes (open gateway, the
// broker stubbed), answered piggybacked after its handler's promise settles.
const gateway = new CoapGateway(
  { publish: () => 1, retained: () => undefined },
  {
    clock: () => 0,
  },
);
const gatewayServer = new CoapServer(gateway.routes(new Router()));
const post = {
  ...request,
  code: Code.POST,
  options: pathOptions("/ps/sensors/t1"),
  payload: new TextEncoder().encode('{"t":21.5}'),
};
Deno.bench(
  "coap gateway CON POST /ps/sensors/t1 → piggybacked 2.04",
  async () => {
    mid = (mid + 1) & 0xffff;
    now += 1;
    gatewayServer.handleDatagram(
      now,
      encodeMessage({ ...post, messageId: mid }),
      "bench",
    );
    for (let i = 0; i < 20; i++) {
      await Promise.resolve();
      gatewayServer.handleTimeout(now);
      if (gatewayServer.pollTransmit() !== undefined) return;
    }
    throw new Error("No answer after 20 microtask turns");
  },
);
