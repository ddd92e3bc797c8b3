/**
 * EMQX's CoAP connection mode as `postern serve` builds it, over plain UDP
 * with libcoap's `coap-client-openssl` and mosquitto's clients: a
 * connection made with a store user's name and password publishes as that
 * user (a `mosquitto_sub` receives it; the user's ACL applies), a bad token
 * is 4.01, heartbeat and close answer 2.04 and 2.02, and with
 * `gateway.coap.connection_required` a `/ps` request without a token is
 * refused even though anonymous access is on; `postern user rm` ends the
 * user's connections. With `CI=true` a missing tool
 * fails the test.
 */
import assert from "node:assert/strict";
import {
  delay,
  findPeer,
  output,
  run,
  startTestServer,
} from "../net/_support.ts";

const CLI = new URL("../../cli/main.ts", import.meta.url).pathname;

const TOOLS = ["coap-client-openssl", "mosquitto_sub"];

Deno.test({
  name:
    "coap connection mode: coap-client logs in with a store user, publishes with its token to mosquitto_sub; bad token 4.01; connection_required refuses tokenless /ps",
  ignore: !TOOLS.every(findPeer),
  async fn() {
    const ts = await startTestServer(["tcp", "coap"], {
      config: { gateway: { coap: { connection_required: true } } },
      seed: async (store) => {
        await store.addUser("alice", "s3cret");
        await store.setAcl("alice", [
          { permission: "allow", action: "all", topic: "u/alice/#" },
        ]);
      },
    });
    try {
      const coap = `coap://127.0.0.1:${ts.port("coap")}`;
      const client = (method: string, uri: string, payload = "") =>
        output("coap-client-openssl", ["-m", method, "-e", payload, uri]);

      const login = await client(
        "post",
        `${coap}/mqtt/connection?clientid=dev1&username=alice&password=s3cret`,
      );
      const token = login.trim();
      assert.match(token, /^[0-9a-f]{32}$/, login);
      const as = `clientid=dev1&token=${token}`;

      const sub = output("mosquitto_sub", [
        "-p",
        String(ts.port("tcp")),
        "-t",
        "u/alice/#",
        "-v",
        "-C",
        "1",
        "-W",
        "8",
      ], 10_000);
      await delay(500);
      const pub = await client("post", `${coap}/ps/u/alice/t?${as}`, "21.5");
      assert.doesNotMatch(pub, /\d\.\d\d/, pub);
      assert.equal((await sub).trim(), "u/alice/t 21.5");

      assert.match(
        await client("post", `${coap}/ps/u/bob/t?${as}`, "x"),
        /4\.03/,
      );
      assert.match(
        await client(
          "post",
          `${coap}/ps/u/alice/t?clientid=dev1&token=${"0".repeat(32)}`,
          "x",
        ),
        /4\.01/,
      );
      assert.match(
        await client(
          "post",
          `${coap}/mqtt/connection?clientid=dev2&username=alice&password=wrong`,
        ),
        /4\.01/,
      );
      // connection_required: anonymous access is on, yet no token is 4.01.
      assert.match(await client("post", `${coap}/ps/open/t`, "x"), /4\.01/);

      const heartbeat = await client("put", `${coap}/mqtt/connection?${as}`);
      assert.doesNotMatch(heartbeat, /\d\.\d\d/, heartbeat);
      const close = await client("delete", `${coap}/mqtt/connection?${as}`);
      assert.doesNotMatch(close, /\d\.\d\d/, close);
      assert.match(
        await client("post", `${coap}/ps/u/alice/t?${as}`, "late"),
        /4\.01/,
      );

      // Removing the user (another process, through the store's change
      // feed) ends the connections that logged in with it.
      const again = (await client(
        "post",
        `${coap}/mqtt/connection?clientid=dev3&username=alice&password=s3cret`,
      )).trim();
      assert.match(again, /^[0-9a-f]{32}$/);
      const alive = await client(
        "put",
        `${coap}/mqtt/connection?clientid=dev3&token=${again}`,
      );
      assert.doesNotMatch(alive, /\d\.\d\d/, alive);
      const rm = await run(Deno.execPath(), [
        "run",
        "-A",
        CLI,
        "user",
        "rm",
        "alice",
        "--data-dir",
        ts.dataDir,
      ], 30_000);
      assert.equal(rm.code, 0, rm.stderr);
      let refused = "";
      for (let i = 0; i < 10 && !/4\.01/.test(refused); i++) {
        await delay(300);
        refused = await client(
          "put",
          `${coap}/mqtt/connection?clientid=dev3&token=${again}`,
        );
      }
      assert.match(refused, /4\.01/);
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
