/**
 * PUBLISH from a client (MQTT 5.0 §3.3, 4.3; 3.1.1 §3.3, 4.3): inbound topic
 * aliases, the QoS 2 duplicate check and Receive Maximum, authorization,
 * then the retained store and fan-out, then the acknowledgement.
 *
 * @module
 */

import type { PublishPacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { Message } from "../session.ts";
import { type BrokerCore, DisconnectError, splitExpiry } from "../_core.ts";

/**
 * Handles one PUBLISH of an open connection.
 *
 * @example QoS 1 from a 3.1.1 client is acknowledged with PUBACK
 * ```ts
 * import { Broker } from "../broker.ts";
 * import { encodePacket } from "../../packet/codec.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker();
 * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
 * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 0, clientId: "p" }, 4));
 * broker.pollTransmit();
 * broker.handleInput(0, id, encodePacket({ type: "publish", topic: "t", payload: new Uint8Array([1]), qos: 1, retain: false, dup: false, packetId: 7 }, 4));
 * assert.deepEqual(broker.pollTransmit()?.bytes, new Uint8Array([0x40, 0x02, 0x00, 0x07]));
 * ```
 */
export function handlePublish(
  core: BrokerCore,
  conn: Connection,
  packet: PublishPacket,
  now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  core.stats.publishReceived++;
  let topic = packet.topic;
  const props = packet.properties;
  if (props !== undefined) {
    const alias = props.topicAlias;
    if (alias !== undefined) {
      if (alias === 0 || alias > core.limits.topicAliasMaximum) {
        throw new DisconnectError(
          0x94,
          `Cannot accept PUBLISH: topic alias ${alias} over ${core.limits.topicAliasMaximum}`,
        ); // [MQTT-3.3.2-8], [MQTT-3.3.2-9]
      }
      conn.topicAliases ??= new Map();
      if (topic.length === 0) {
        const mapped = conn.topicAliases.get(alias);
        if (mapped === undefined) {
          throw new DisconnectError(
            0x82,
            `Cannot accept PUBLISH: topic alias ${alias} is not mapped`,
          ); // §3.3.2.3.4
        }
        topic = mapped;
      } else conn.topicAliases.set(alias, topic); // [MQTT-3.3.2-12]
    }
    if (props.subscriptionIdentifiers !== undefined) {
      throw new DisconnectError(
        0x82,
        "Cannot accept PUBLISH: subscription identifier from a client",
      ); // [MQTT-3.3.4-6]
    }
  }
  const qos = packet.qos;
  const packetId = packet.packetId ?? 0;
  if (qos === 2) {
    if (session.incomingQos2.has(packetId)) {
      // method A: already delivered, only acknowledge again [MQTT-4.3.3-10]
      core.sendAck(conn, "pubrec", { packetId, reasonCode: 0 });
      return;
    }
    if (session.incomingQos2.size >= core.limits.receiveMaximum) {
      throw new DisconnectError(
        0x93,
        `Cannot accept PUBLISH: more than ${core.limits.receiveMaximum} QoS 2 messages awaiting PUBREL`,
      ); // [MQTT-3.3.4-9] §3.3.4 Receive Maximum exceeded
    }
  }
  const auth = core.auth;
  if (
    auth?.authorizePublish !== undefined && conn.subject !== undefined &&
    !auth.authorizePublish(conn.subject, topic, { clientId: conn.clientId })
  ) {
    if (conn.version === 5) {
      if (qos === 1) {
        core.sendAck(conn, "puback", { packetId, reasonCode: 0x87 });
      }
      if (qos === 2) {
        core.sendAck(conn, "pubrec", { packetId, reasonCode: 0x87 });
      }
      return;
    }
    // 3.1.1 cannot refuse: acknowledge and drop (as Mosquitto)
    if (qos === 1) core.sendAck(conn, "puback", { packetId, reasonCode: 0 });
    if (qos === 2) {
      session.incomingQos2.add(packetId);
      core.sendAck(conn, "pubrec", { packetId, reasonCode: 0 });
    }
    return;
  }
  const message: Message = {
    topic,
    payload: qos > 0 || packet.retain ? packet.payload.slice() : packet.payload,
    qos,
    retain: packet.retain,
    origin: conn.clientId,
  };
  if (props !== undefined) {
    const split = splitExpiry(props, now);
    message.properties = split.properties;
    message.expiresAt = split.expiresAt;
  }
  const delivered = core.publishMessage(message, now);
  if (qos === 0) return;
  const reasonCode = delivered === 0 && conn.version === 5 ? 0x10 : 0;
  if (qos === 1) {
    core.sendAck(conn, "puback", { packetId, reasonCode }); // [MQTT-4.3.2-4]
    return;
  }
  session.incomingQos2.add(packetId); // [MQTT-4.3.3-8]
  core.markSession(session);
  core.sendAck(conn, "pubrec", { packetId, reasonCode }); // [MQTT-4.3.3-8]
}
