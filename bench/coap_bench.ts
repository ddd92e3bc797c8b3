/**
 * CoAP core benchmarks: codec encode/decode and in-memory CON GET
 * request/response (piggybacked) through CoapServer.
 *
 * @module
 */

import { decodeMessage, encodeMessage } from "../src/coap/message.ts";
import { pathOptions } from "../src/coap/options.ts";
import { CoapServer } from "../src/coap/server.ts";
import { Router } from "../src/coap/router.ts";
import { Code } from "../src/coap/codes.ts";

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
