/**
 * The gateway's device API and pub/sub resources as `postern serve` builds
 * them, with libcoap's clients (`coap-client-notls`, `coap-client-openssl`)
 * and mosquitto's clients on the same server:
 * - ThingsBoard telemetry with an access token in the path, and without it
 *   over DTLS with a PSK, reaching `mosquitto_sub` on
 *   `devices/{device}/telemetry`; an unknown token is 4.01;
 * - an RPC request published with `mosquitto_pub` on
 *   `devices/D/rpc/request/7` reaching an observing CoAP client, and its
 *   answer POSTed to `/api/v1/{token}/rpc/7` reaching `mosquitto_sub` on
 *   `devices/D/rpc/response/7`;
 * - an Observe on `coaps://.../ps/sensors/%23` with a client certificate
 *   (two-way DTLS) receiving what `mosquitto_pub` publishes;
 * - a block-wise GET (`-b 64`) of a 4 KiB retained message and a 4 KiB
 *   block-wise POST.
 * With `CI=true` a missing peer fails the test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeHex } from "../../src/bytes/mod.ts";
import {
  delay,
  devCerts,
  findPeer,
  output,
  startTestServer,
} from "../net/_support.ts";

const KEY_TEXT = "secret-key-7";
const TOKEN = "A1b2C3d4E5f6G7h8I9j0";
const TOOLS = [
  "coap-client-notls",
  "coap-client-openssl",
  "mosquitto_pub",
  "mosquitto_sub",
];

Deno.test({
  name:
    "coap device API and pub/sub with libcoap and mosquitto clients: tokens, PSK, two-way DTLS, RPC, 4 KiB block-wise",
  ignore: !TOOLS.every(findPeer),
  async fn() {
    const certs = await devCerts();
    const ts = await startTestServer(["tcp", "coap", "dtls"], {
      psk: { "device-7": encodeHex(new TextEncoder().encode(KEY_TEXT)) },
      dtls: { cacertfile: `${certs}/ca.pem` },
      seed: async (store) => {
        await store.addToken("D", TOKEN);
      },
    });
    try {
      const mqtt = ["-h", "127.0.0.1", "-p", String(ts.port("tcp"))];
      const coap = `coap://127.0.0.1:${ts.port("coap")}`;
      const coaps = `coaps://127.0.0.1:${ts.port("dtls")}`;
      const psk = ["-u", "device-7", "-k", KEY_TEXT];
      const cert = [
        "-c",
        `${certs}/client.pem`,
        "-j",
        `${certs}/client_key.pem`,
        "-C",
        `${certs}/ca.pem`,
      ];
      const sub = (topic: string, count = 1) =>
        output("mosquitto_sub", [
          ...mqtt,
          "-t",
          topic,
          "-C",
          String(count),
          "-W",
          "10",
        ]);

      // Telemetry with the token in the path.
      const telemetry = sub("devices/D/telemetry");
      await delay(400);
      const post = await output("coap-client-notls", [
        "-m",
        "post",
        "-e",
        '{"t":21}',
        `${coap}/api/v1/${TOKEN}/telemetry`,
      ]);
      assert.doesNotMatch(post, /\d\.\d\d/, post);
      assert.equal((await telemetry).trim(), '{"t":21}');
      assert.match(
        await output("coap-client-notls", [
          "-m",
          "post",
          "-e",
          "1",
          `${coap}/api/v1/not-a-token/telemetry`,
        ]),
        /4\.01/,
      );

      // Telemetry over DTLS, the device named by its PSK identity.
      const pskTelemetry = sub("devices/device-7/telemetry");
      await delay(400);
      await output("coap-client-openssl", [
        "-m",
        "post",
        ...psk,
        "-e",
        '{"t":7}',
        `${coaps}/api/v1/telemetry`,
      ]);
      assert.equal((await pskTelemetry).trim(), '{"t":7}');

      // RPC: MQTT application → observing CoAP device → MQTT application.
      const observer = output("coap-client-notls", [
        "-m",
        "get",
        "-s",
        "4",
        `${coap}/api/v1/${TOKEN}/rpc`,
      ]);
      const answer = sub("devices/D/rpc/response/7");
      await delay(1000);
      await output("mosquitto_pub", [
        ...mqtt,
        "-q",
        "1",
        "-t",
        "devices/D/rpc/request/7",
        "-m",
        '{"method":"ping","params":{}}',
      ]);
      assert.match(
        await observer,
        /\{"id":7,"method":"ping","params":\{\}\}/,
      );
      await output("coap-client-notls", [
        "-m",
        "post",
        "-e",
        '{"pong":true}',
        `${coap}/api/v1/${TOKEN}/rpc/7`,
      ]);
      assert.equal((await answer).trim(), '{"pong":true}');

      // Observe over two-way DTLS with a client certificate.
      const sensors = output("coap-client-openssl", [
        "-m",
        "get",
        "-s",
        "5",
        ...cert,
        `${coaps}/ps/sensors/%23`,
      ]);
      await delay(1500);
      await output("mosquitto_pub", [...mqtt, "-t", "sensors/t1", "-m", "hot"]);
      await output("mosquitto_pub", [
        ...mqtt,
        "-t",
        "other/t1",
        "-m",
        "unseen",
      ]);
      const seen = await sensors;
      assert.match(seen, /hot/);
      assert.doesNotMatch(seen, /unseen/);

      // 4 KiB: retained message read block-wise, and a block-wise POST.
      const big = Array.from(
        { length: 256 },
        (_, i) => `${i}`.padStart(15, ".") + "\n",
      )
        .join("");
      assert.equal(big.length, 4096);
      await Deno.writeTextFile(`${ts.dataDir}/big.txt`, big);
      await output("mosquitto_pub", [
        ...mqtt,
        "-r",
        "-t",
        "big/r",
        "-f",
        `${ts.dataDir}/big.txt`,
      ]);
      await delay(300);
      const read = await output("coap-client-notls", [
        "-m",
        "get",
        "-b",
        "64",
        `${coap}/ps/big/r`,
      ]);
      assert.equal(read.replace(/\n+$/, ""), big.replace(/\n+$/, ""));
      const upload = sub("big/up");
      await delay(400);
      const sent = await output("coap-client-notls", [
        "-m",
        "post",
        "-b",
        "64",
        "-f",
        `${ts.dataDir}/big.txt`,
        `${coap}/ps/big/up`,
      ]);
      assert.doesNotMatch(sent, /\d\.\d\d/, sent);
      assert.equal(
        (await upload).replace(/\n+$/, ""),
        big.replace(/\n+$/, ""),
      );
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
