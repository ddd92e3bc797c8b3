/**
 * Interop with libcoap (Debian `libcoap3-bin`) over plain UDP.
 * With CI=true a missing `coap-client-notls`/`coap-server-notls` fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CoapUdpClient, serveCoapUdp } from "../../src/net/coap_udp.ts";
import { Router } from "../../src/coap/router.ts";
import { Code } from "../../src/coap/codes.ts";
import { parseLinkFormat } from "../../src/coap/link_format.ts";
import { findPeer, output } from "../net/_support.ts";

const haveClient = findPeer("coap-client-notls") !== undefined;
const haveServer = findPeer("coap-server-notls") !== undefined;

function coapClient(args: string[]): Promise<string> {
  return output("coap-client-notls", ["-B", "10", ...args]);
}

const bigText = Array.from({ length: 120 }, (_, i) => `line ${i} of big;`)
  .join("");

function testRouter(store: { body: Uint8Array }): Router {
  let tick = 0;
  return new Router()
    .add("GET", "/time", () => ({
      code: Code.CONTENT,
      payload: `tick-${tick++}`,
      contentFormat: 0,
    }), { rt: "clock", ct: 0, obs: true })
    .add("GET", "/big", () => ({ code: Code.CONTENT, payload: bigText }))
    .add("PUT", "/store", (r) => {
      store.body = r.payload;
      return { code: Code.CHANGED, payload: `stored ${r.payload.length}` };
    })
    .add("POST", "/echo", (r) => ({
      code: Code.CHANGED,
      payload: `echo:${new TextDecoder().decode(r.payload)}`,
    }));
}

Deno.test({
  name: "libcoap coap-client-notls against our server",
  ignore: !haveClient,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const store = { body: new Uint8Array() };
    const server = serveCoapUdp(testRouter(store), {
      hostname: "127.0.0.1",
      port: 0,
    });
    const base = `coap://127.0.0.1:${server.port}`;
    try {
      const wk = await coapClient(["-m", "get", `${base}/.well-known/core`]);
      assert.match(wk, /<\/time>;rt="clock";ct=0;obs/);
      assert.match(
        await coapClient(["-m", "post", "-e", "hi", `${base}/echo`]),
        /echo:hi/,
      );
      assert.match(
        await coapClient(["-m", "put", "-e", "abc", `${base}/store`]),
        /stored 3/,
      );
      const bigOut = await coapClient(["-m", "get", "-b", "64", `${base}/big`]);
      assert.equal(bigOut.trim(), bigText);
      const file = await Deno.makeTempFile();
      const upload = new TextEncoder().encode("u".repeat(700) + "end");
      await Deno.writeFile(file, upload);
      const up = await coapClient([
        "-m",
        "put",
        "-b",
        "64",
        "-f",
        file,
        `${base}/store`,
      ]);
      await Deno.remove(file);
      assert.match(up, /stored 703/);
      assert.deepEqual(store.body, upload);
      const timer = setInterval(() => server.notify("/time"), 300);
      const obs = await coapClient(["-m", "get", "-s", "3", `${base}/time`]);
      clearInterval(timer);
      const ticks = obs.match(/tick-\d+/g) ?? [];
      assert.ok(ticks.length >= 4, `notifications: ${obs}`);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "our client against libcoap coap-server-notls",
  ignore: !haveServer,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const proc = new Deno.Command("coap-server-notls", {
      args: ["-A", "127.0.0.1", "-p", String(port)],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const client = new CoapUdpClient({ transmission: { ackTimeout: 300 } });
    const peer = `127.0.0.1:${port}`;
    try {
      let wk;
      for (let i = 0; i < 20 && wk === undefined; i++) {
        try {
          wk = await client.request(peer, {
            method: "GET",
            path: "/.well-known/core",
          });
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(wk !== undefined, "libcoap server did not answer");
      const links = parseLinkFormat(new TextDecoder().decode(wk.payload));
      const targets = links.map((l) => l.target);
      assert.ok(targets.includes("/time"), targets.join(","));
      const time = await client.request(peer, { method: "GET", path: "/time" });
      assert.equal(time.code, Code.CONTENT);
      const notes: string[] = [];
      const first = await client.request(
        peer,
        { method: "GET", path: "/time", observe: true },
        (r) => notes.push(new TextDecoder().decode(r.payload)),
      );
      assert.ok(first.observe !== undefined);
      // libcoap's /time notifies once a second.
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(notes.length >= 1, "no notifications from libcoap /time");
      client.cancelObserve(first.id);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close();
      proc.kill("SIGTERM");
      await proc.status;
    }
  },
});
