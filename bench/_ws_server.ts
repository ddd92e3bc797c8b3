/**
 * One MQTT broker with one WebSocket listener, for `websocket_load.ts`:
 * `deno run -A bench/_ws_server.ts deno|postern PORT`. `deno` serves it on
 * `Deno.serve` (the `wss` path), `postern` on postern's own WebSocket server
 * over TCP (the `ws` path).
 *
 * @module
 */

import { defaultListener } from "../src/config/mod.ts";
import { Logger } from "../src/log/mod.ts";
import { MqttService } from "../src/net/mqtt_service.ts";
import {
  listenMqttWebSocket,
  serveMqttWebSocket,
} from "../src/net/websocket_listener.ts";

const [mode, portText] = Deno.args;
const logger = new Logger({ sink: () => {}, level: "warn" });
const service = await MqttService.start(logger, { broker: { sysInterval: 0 } });
const cfg = {
  ...defaultListener("ws", "bench"),
  host: "127.0.0.1",
  port: Number(portText),
};
if (mode === "deno") {
  listenMqttWebSocket(cfg, { driver: service.driver, logger });
} else {
  serveMqttWebSocket(Deno.listen({ hostname: cfg.host, port: cfg.port }), cfg, {
    driver: service.driver,
    logger,
  });
}
