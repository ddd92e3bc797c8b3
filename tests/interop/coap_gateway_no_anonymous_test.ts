/**
 * The CoAP gateway with `mqtt.allow_anonymous` off: its in-process link to
 * the broker needs no MQTT credentials, so a DTLS (PSK) CoAP observer and a
 * retained GET see what an authenticated `mosquitto_pub` publishes, while an
 * anonymous `mosquitto_sub` is still refused. With `CI=true` a missing tool
 * fails the test.
 */
import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import { delay, findPeer, output, startTestServer } from "../net/_support.ts";

const KEY_TEXT = "secret-key-7";
const TOOLS = ["coap-client-openssl", "mosquitto_pub", "mosquitto_sub"];

Deno.test({
  name:
    "coap gateway without anonymous MQTT: DTLS observers and retained GETs see authenticated publishes, anonymous mosquitto_sub is refused",
  ignore: !TOOLS.every(findPeer),
  async fn() {
    const ts = await startTestServer(["tcp", "coap", "dtls"], {
      psk: { "device-7": encodeHex(new TextEncoder().encode(KEY_TEXT)) },
      config: { mqtt: { allow_anonymous: false } },
      seed: (store) => store.addUser("alice", "s3cret"),
    });
    try {
      const mqtt = ["-h", "127.0.0.1", "-p", String(ts.port("tcp"))];
      const alice = [...mqtt, "-u", "alice", "-P", "s3cret"];
      const coaps = `coaps://127.0.0.1:${ts.port("dtls")}`;
      const psk = ["-u", "device-7", "-k", KEY_TEXT];

      assert.match(
        await output("mosquitto_sub", [
          ...mqtt,
          "-t",
          "#",
          "-C",
          "1",
          "-W",
          "3",
        ]),
        /not authori[sz]ed|refused/i,
      );

      await output("mosquitto_pub", [
        ...alice,
        "-r",
        "-t",
        "r/1",
        "-m",
        "kept",
      ]);
      await delay(200);
      assert.equal(
        (await output("coap-client-openssl", [
          ...psk,
          "-m",
          "get",
          `${coaps}/ps/r/1`,
        ]))
          .trim(),
        "kept",
      );

      const observe = output("coap-client-openssl", [
        ...psk,
        "-m",
        "get",
        "-s",
        "4",
        `${coaps}/ps/o/1`,
      ]);
      await delay(1500);
      await output("mosquitto_pub", [...alice, "-t", "o/1", "-m", "seen"]);
      assert.match(await observe, /seen/);
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
