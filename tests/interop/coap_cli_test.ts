/**
 * `postern coap` against libcoap's `coap-server-openssl` (Debian
 * `libcoap3-bin`), plain CoAP and CoAP over DTLS with a PSK: discovery,
 * a block-wise PUT and GET, and an observation. With `CI=true` a missing
 * peer fails the test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { coapCommand } from "../../cli/coap.ts";
import { encodeHex } from "../../src/bytes/mod.ts";
import { findPeer } from "../net/_support.ts";

const KEY_TEXT = "secret-key-9";

async function cli(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await coapCommand(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test({
  name: "postern coap against libcoap coap-server-openssl, plain and DTLS PSK",
  ignore: !findPeer("coap-server-openssl"),
  async fn() {
    const port = 20000 + Math.floor(Math.random() * 20000) * 2 % 20000;
    const server = new Deno.Command("coap-server-openssl", {
      args: [
        "-A",
        "127.0.0.1",
        "-p",
        String(port),
        "-k",
        KEY_TEXT,
        "-h",
        "hint",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const dir = await Deno.makeTempDir({ prefix: "postern-coap-cli-" });
    try {
      const plain = `coap://127.0.0.1:${port}`;
      let wk = { code: 1, out: "", err: "" };
      for (let i = 0; i < 20 && wk.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        wk = await cli([
          "get",
          `${plain}/.well-known/core`,
          "--timeout",
          "300",
        ]);
      }
      assert.equal(wk.code, 0, wk.err);
      assert.match(wk.out, /<\/time>;if="clock"/);

      // Block1 upload and Block2 download with 64-byte blocks.
      const body = Array.from({ length: 80 }, (_, i) => `row ${i};`).join("");
      await Deno.writeTextFile(`${dir}/body.txt`, body);
      const put = await cli([
        "put",
        `${plain}/example_data`,
        "--payload-file",
        `${dir}/body.txt`,
        "--block-size",
        "64",
      ]);
      assert.equal(put.code, 0, put.err);
      const get = await cli([
        "get",
        `${plain}/example_data`,
        "--block-size",
        "64",
      ]);
      assert.equal(get.code, 0, get.err);
      assert.equal(get.out, body);
      const missing = await cli(["get", `${plain}/nothing-here`]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /4\.04/);

      // DTLS with a PSK: libcoap's -k is text, ours is hex.
      const psk = [
        "--psk-identity",
        "device-9",
        "--psk-key",
        encodeHex(new TextEncoder().encode(KEY_TEXT)),
      ];
      const secure = `coaps://127.0.0.1:${port + 1}`;
      const time = await cli(["get", `${secure}/time`, ...psk]);
      assert.equal(time.code, 0, time.err);
      assert.match(time.out, /\d\d:\d\d:\d\d/);
      const observed = await cli([
        "observe",
        `${secure}/time`,
        ...psk,
        "--count",
        "2",
      ]);
      assert.equal(observed.code, 0, observed.err);
      assert.equal(observed.out.split("\n").length, 3, observed.out);
      const wrong = await cli([
        "get",
        `${secure}/time`,
        "--psk-identity",
        "device-9",
        "--psk-key",
        "00112233",
        "--handshake-timeout",
        "1500",
      ]);
      assert.equal(wrong.code, 1);
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
