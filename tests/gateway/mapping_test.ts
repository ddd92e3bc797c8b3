import assert from "node:assert/strict";
import { CoapGateway } from "../../src/gateway/mapping.ts";
import { BrokerBridge } from "../../src/gateway/broker_bridge.ts";
import { CoapServer } from "../../src/coap/server.ts";
import { decodeMessage, encodeMessage } from "../../src/coap/message.ts";
import {
  OptionNumber,
  pathOptions,
  uintOption,
} from "../../src/coap/options.ts";
import { Broker } from "../../src/mqtt/broker/mod.ts";
import { MqttDriver } from "../../src/net/mqtt_driver.ts";

const TEXT = new TextDecoder();

function request(
  server: CoapServer,
  code: number,
  path: string,
  extra: { payload?: string; observe?: boolean; id?: number } = {},
) {
  const options = [...pathOptions(path)];
  if (extra.observe) options.push(uintOption(OptionNumber.OBSERVE, 0));
  server.handleDatagram(
    0,
    encodeMessage({
      type: 0,
      code,
      messageId: extra.id ?? 1,
      token: new Uint8Array([extra.id ?? 1]),
      options,
      payload: new TextEncoder().encode(extra.payload ?? ""),
    }),
    "c",
  );
  return decodeMessage(server.pollTransmit()!.bytes);
}

const tick = () => new Promise((r) => setTimeout(r, 20));

Deno.test("CoapGateway publishes, answers retained GETs and notifies observers", async () => {
  const { Router } = await import("../../src/coap/router.ts");
  const broker = new Broker({ sysInterval: 0 });
  const driver = new MqttDriver(broker);
  const ref: { gw?: CoapGateway } = {};
  const bridge = new BrokerBridge(driver, {
    onMessage: (m) => ref.gw?.deliver(0, m.topic, m.payload),
  });
  await bridge.ready;
  const gw = new CoapGateway({
    publish: (now, m) => {
      const n = broker.publish(now, m);
      driver.pump();
      return n;
    },
    retained: (t) => bridge.retained(t),
  }, { clock: () => 0 });
  ref.gw = gw;
  const server = new CoapServer(gw.routes(new Router()));
  gw.attach({ notify: (now, path) => server.notify(now, path) });

  assert.equal(
    request(server, 2, "/ps/a/b", { payload: "x", id: 1 }).code,
    0x44,
  );
  assert.equal(request(server, 1, "/ps/a/none", { id: 2 }).code, 0x84);
  assert.equal(request(server, 3, "/ps/a/+", { id: 3 }).code, 0x80);
  const path = "/ps/r/1?retain=true";
  const [p, q] = path.split("?");
  const put = encodeMessage({
    type: 0,
    code: 3,
    messageId: 4,
    token: new Uint8Array([4]),
    options: [...pathOptions(p!), {
      number: OptionNumber.URI_QUERY,
      value: new TextEncoder().encode(q!),
    }],
    payload: new TextEncoder().encode("kept"),
  });
  server.handleDatagram(0, put, "c");
  assert.equal(decodeMessage(server.pollTransmit()!.bytes).code, 0x44);
  await tick();
  const got = request(server, 1, "/ps/r/1", { id: 5 });
  assert.equal(got.code, 0x45);
  assert.equal(TEXT.decode(got.payload), "kept");

  const reg = request(server, 1, "/ps/s/+", { observe: true, id: 6 });
  assert.equal(reg.code, 0x45);
  assert.deepEqual(gw.observedFilters, ["s/+"]);
  broker.publish(0, {
    topic: "s/9",
    payload: new TextEncoder().encode("hi"),
    qos: 0,
    retain: false,
  });
  driver.pump();
  await tick();
  const note = decodeMessage(server.pollTransmit()!.bytes);
  assert.equal(note.code, 0x45);
  assert.equal(TEXT.decode(note.payload), "hi");
  bridge.close();
  driver.close();
  await tick();
});
