/**
 * The DTLS listener as `postern serve` builds it: PSK identities imported
 * from `PSK_AUTHENTICATION_INIT_FILE` into the credential store, the server
 * certificate from the listener's options, tried with `openssl s_client
 * -dtls1_2`. With `CI=true` a missing openssl fails the test.
 */
import assert from "node:assert/strict";
import { startTestServer } from "../net/_support.ts";
import { opensslAvailable } from "../support/openssl.ts";
import { sClientSession } from "../support/openssl_peers.ts";

const PSK_HEX = "8c70a1b2c3d4e5f60718293a4b5c6d7e";

Deno.test({
  name:
    "dtls listener serves PSK devices from the init file and certificates to openssl s_client",
  ignore: !(await opensslAvailable()),
  async fn() {
    const ts = await startTestServer(["dtls"], {
      psk: { "device-7": PSK_HEX },
    });
    try {
      const port = ts.port("dtls");
      const psk = await sClientSession("-dtls1_2", [
        "-connect",
        `127.0.0.1:${port}`,
        "-psk",
        PSK_HEX,
        "-psk_identity",
        "device-7",
        "-cipher",
        "PSK-AES128-CCM8",
      ]);
      assert.match(psk, /PSK-AES128-CCM8/);
      const cert = await sClientSession("-dtls1_2", [
        "-connect",
        `127.0.0.1:${port}`,
        "-CAfile",
        `${ts.certs}/ca.pem`,
        "-verify_return_error",
        "-cipher",
        "ECDHE-ECDSA-AES128-CCM8",
      ]);
      assert.match(cert, /Verify return code: 0 \(ok\)/);
      const events = ts.lines.map((l) => JSON.parse(l));
      const imported = events.find((e) => e.event === "psk.imported");
      assert.equal(imported?.added, 1);
      const established = events.filter((e) => e.event === "dtls.established");
      assert.deepEqual(established.map((e) => e.identity), [
        "psk:device-7",
        undefined,
      ]);
      assert.ok(
        events.some((e) => e.event === "dtls.data" && e.bytes === 6),
        "application data reached the listener",
      );
    } finally {
      await ts.close();
      await Deno.remove(ts.dataDir, { recursive: true });
    }
  },
});
