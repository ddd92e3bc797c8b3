/**
 * The CoAP over DTLS listener registers its observers with the server's
 * one sweeper: with `TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT` at 300 ms the
 * sweeper logs `sweep.done` for `coap/dtls/default` with the count of each
 * sweep; an observer that stops answering is probed and then removed. (The
 * plain `coap` listener registers `coap/default` the same way, at the
 * default 30 min / 24 h.)
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { startServer } from "../../src/server.ts";
import { certsCommand } from "../../cli/certs.ts";
import { encodeMessage } from "../../src/coap/message.ts";
import { connectDtls } from "../../src/net/udp.ts";
import {
  OptionNumber,
  pathOptions,
  uintOption,
} from "../../src/coap/options.ts";

Deno.test("a silent observer over DTLS is probed and removed by the shared sweeper, with the count logged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-coap-sweep-" });
  try {
    await Deno.writeTextFile(
      `${dir}/psk.txt`,
      "quiet:00112233445566778899aabbccddeeff\n",
    );
    assert.equal(await certsCommand(["init", "--dir", `${dir}/certs`]), 0);
    const { config, errors } = loadConfig({
      env: {
        TB_COAP_X509_DTLS_SESSION_REPORT_TIMEOUT: "300",
        TB_COAP_X509_DTLS_SESSION_INACTIVITY_TIMEOUT: "300",
      },
      fileText: JSON.stringify({
        data_dir: `${dir}/data`,
        psk_authentication: { enable: true, init_file: `${dir}/psk.txt` },
        listeners: {
          tcp: { default: { enable: false } },
          coap: { default: { bind: "127.0.0.1:0" } },
          dtls: {
            default: {
              bind: "127.0.0.1:0",
              dtls_options: {
                certfile: `${dir}/certs/server.pem`,
                keyfile: `${dir}/certs/server_key.pem`,
              },
            },
          },
        },
      }),
    });
    assert.deepEqual(errors, []);
    const lines: Record<string, unknown>[] = [];
    const logger = new Logger({
      format: "json",
      sink: (l) => lines.push(JSON.parse(l)),
    });
    const server = await startServer(config, { logger });
    try {
      const dtls = server.listeners.find((l) => l.family === "dtls")!;
      // An observer that never acknowledges anything: a bare DTLS
      // association, no CoAP layer behind it.
      const connection = await connectDtls({
        hostname: "127.0.0.1",
        port: dtls.address.port,
        client: {
          psk: {
            identity: "quiet",
            key: new Uint8Array([
              0x00,
              0x11,
              0x22,
              0x33,
              0x44,
              0x55,
              0x66,
              0x77,
              0x88,
              0x99,
              0xaa,
              0xbb,
              0xcc,
              0xdd,
              0xee,
              0xff,
            ]),
          },
        },
      });
      try {
        await connection.send(encodeMessage({
          type: 1,
          code: 1,
          messageId: 1,
          token: new Uint8Array([1]),
          options: [
            ...pathOptions("/ps/quiet"),
            uintOption(OptionNumber.OBSERVE, 0),
          ],
          payload: new Uint8Array(),
        }));
        // CoAP pings keep the DTLS session active; they do not answer the
        // observer's probe.
        let mid = 100;
        const pings = setInterval(() => {
          void connection.send(encodeMessage({
            type: 0,
            code: 0,
            messageId: mid++,
            token: new Uint8Array(),
            options: [],
            payload: new Uint8Array(),
          }));
        }, 50);
        const removed = () =>
          lines.filter((l) =>
            l.event === "sweep.done" && l.target === "coap/dtls/default" &&
            (l.removed as number) > 0
          );
        for (let i = 0; i < 60 && removed().length === 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        clearInterval(pings);
        assert.equal(
          removed()[0]?.removed,
          1,
          lines.filter((l) => String(l.event).match(/sweep|dtls|coap/)).map((
            l,
          ) => JSON.stringify(l)).join("\n"),
        );
      } finally {
        await connection.close();
      }
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
