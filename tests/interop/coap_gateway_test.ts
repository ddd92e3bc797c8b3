/**
 * The CoAP gateway as `postern serve` builds it, end to end with libcoap's
 * `coap-client-notls` / `coap-client-openssl` and mosquitto's clients over
 * TCP on the same server. With `CI=true` a missing tool fails the test.
 */
import assert from "node:assert/strict";
import { delay, findPeer, output, startTestServer } from "../net/_support.ts";

const PSK_HEX = "8c70a1b2c3d4e5f60718293a4b5c6d7e";
const TOOLS = [
  "coap-client-notls",
  "coap-client-openssl",
  "mosquitto_pub",
  "mosquitto_sub",
];

Deno.test({
  name:
    "coap gateway: libcoap clients publish, read retained and observe MQTT topics over UDP and DTLS",
  ignore: !TOOLS.every(findPeer),
  async fn() {
    const ts = await startTestServer(["tcp", "coap", "dtls"], {
      psk: { "device-7": PSK_HEX },
    });
    try {
      const mqtt = String(ts.port("tcp"));
      const coap = `coap://127.0.0.1:${ts.port("coap")}`;

      // POST /ps/a/b reaches an MQTT subscriber.
      const sub = output("mosquitto_sub", [
        "-p",
        mqtt,
        "-t",
        "a/b",
        "-C",
        "1",
        "-W",
        "8",
      ], 10_000);
      await delay(500);
      const post = await output("coap-client-notls", [
        "-m",
        "post",
        "-e",
        '{"t":1}',
        `${coap}/ps/a/b`,
      ]);
      assert.doesNotMatch(post, /4\.\d\d|5\.\d\d/);
      assert.equal((await sub).trim(), '{"t":1}');

      // A retained MQTT message is read with GET.
      await output("mosquitto_pub", [
        "-p",
        mqtt,
        "-r",
        "-t",
        "r/1",
        "-m",
        "kept",
      ]);
      await delay(200);
      assert.equal(
        (await output("coap-client-notls", ["-m", "get", `${coap}/ps/r/1`]))
          .trim(),
        "kept",
      );
      assert.match(
        await output("coap-client-notls", ["-m", "get", `${coap}/ps/r/none`]),
        /4\.04/,
      );

      // Observe: an MQTT publish becomes a notification.
      const observe = output("coap-client-notls", [
        "-m",
        "get",
        "-s",
        "3",
        `${coap}/ps/o/1`,
      ], 10_000);
      await delay(1000);
      await output("mosquitto_pub", ["-p", mqtt, "-t", "o/1", "-m", "seen"]);
      assert.match(await observe, /seen/);
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
