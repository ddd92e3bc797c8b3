/**
 * CoAP over postern's DTLS with libcoap's `coap-client-openssl`: a PSK
 * identity imported from `PSK_AUTHENTICATION_INIT_FILE` (libcoap's `-k`
 * takes the key as text, the init file as hex), `/.well-known/core`, and a
 * publish through `/ps/...` that a retained GET over plain CoAP returns.
 * With `CI=true` a missing peer fails the test.
 */
import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import { delay, findPeer, output, startTestServer } from "../net/_support.ts";

const KEY_TEXT = "secret-key-7";

Deno.test({
  name:
    "coap-client-openssl reaches the gateway over DTLS with a PSK from the init file",
  ignore: !["coap-client-openssl", "coap-client-notls"].every(findPeer),
  async fn() {
    const ts = await startTestServer(["tcp", "coap", "dtls"], {
      psk: { "device-7": encodeHex(new TextEncoder().encode(KEY_TEXT)) },
    });
    try {
      const coaps = `coaps://127.0.0.1:${ts.port("dtls")}`;
      const core = await output("coap-client-openssl", [
        "-m",
        "get",
        "-u",
        "device-7",
        "-k",
        KEY_TEXT,
        `${coaps}/.well-known/core`,
      ]);
      assert.match(core, /<\/ps\/\*>;rt="core.ps"/);
      const put = await output("coap-client-openssl", [
        "-m",
        "put",
        "-u",
        "device-7",
        "-k",
        KEY_TEXT,
        "-e",
        "21.5",
        `${coaps}/ps/d/7?retain=true`,
      ]);
      assert.doesNotMatch(put, /4\.\d\d|5\.\d\d/);
      let retained = "";
      for (let i = 0; i < 20 && retained !== "21.5"; i++) {
        await delay(100);
        retained = (await output("coap-client-notls", [
          "-m",
          "get",
          `coap://127.0.0.1:${ts.port("coap")}/ps/d/7`,
        ])).trim();
      }
      assert.equal(retained, "21.5");
      const wrong = await output("coap-client-openssl", [
        "-m",
        "get",
        "-u",
        "device-7",
        "-k",
        "not-the-key",
        "-B",
        "3",
        `${coaps}/.well-known/core`,
      ]);
      assert.doesNotMatch(wrong, /core.ps/);
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
