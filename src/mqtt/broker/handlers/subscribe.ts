/**
 * SUBSCRIBE (MQTT 5.0 §3.8, 3.1.1 §3.8): authorization per filter, shared
 * subscriptions, subscription identifiers, replacement of an existing
 * subscription, SUBACK, then the retained messages per Retain Handling.
 *
 * @module
 */

import type { QoS, SubscribePacket } from "../../packet/types.ts";
import type { Connection } from "../connection.ts";
import type { Message, SessionSubscription } from "../session.ts";
import { type BrokerCore, sharedParts } from "../_core.ts";

/**
 * Handles SUBSCRIBE.
 *
 * @example
 * ```ts
 * import { Broker } from "../broker.ts";
 * import { encodePacket } from "../../packet/codec.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker();
 * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
 * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 0, clientId: "s" }, 4));
 * broker.pollTransmit();
 * broker.handleInput(0, id, encodePacket({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a/#", qos: 1 }] }, 4));
 * assert.deepEqual(broker.pollTransmit()?.bytes, new Uint8Array([0x90, 0x03, 0x00, 0x01, 0x01]));
 * ```
 */
export function handleSubscribe(
  core: BrokerCore,
  conn: Connection,
  packet: SubscribePacket,
  now: number,
): void {
  const session = conn.session;
  if (session === undefined) return;
  const v5 = conn.version === 5;
  const subscriptionId = packet.properties?.subscriptionIdentifiers?.[0];
  const codes: number[] = [];
  const retained: [SessionSubscription, Message[]][] = [];
  const auth = core.auth;
  for (const s of packet.subscriptions) {
    const filter = s.topicFilter;
    if (
      auth?.authorizeSubscribe !== undefined && conn.subject !== undefined &&
      !auth.authorizeSubscribe(conn.subject, filter, {
        clientId: conn.clientId,
      })
    ) {
      codes.push(v5 ? 0x87 : 0x80); // §3.9.3
      continue;
    }
    const share = sharedParts(filter);
    const existing = session.subscriptions.get(filter);
    const sub: SessionSubscription = {
      filter,
      topicFilter: share?.filter ?? filter,
      group: share?.group,
      qos: s.qos,
      noLocal: s.noLocal ?? false,
      retainAsPublished: s.retainAsPublished ?? false,
      retainHandling: s.retainHandling ?? 0,
      subscriptionId,
      session,
    };
    if (existing !== undefined) core.removeSub(existing); // [MQTT-3.8.4-3]
    session.subscriptions.set(filter, sub);
    core.addSub(sub);
    codes.push(s.qos); // [MQTT-3.8.4-6] granted QoS
    // [MQTT-3.3.1-9] (5.0): retain handling; none for shared subscriptions (§4.8.2)
    if (share === undefined) {
      const rh = sub.retainHandling;
      if (rh === 0 || (rh === 1 && existing === undefined)) {
        const matched = core.retained.match(sub.topicFilter, now);
        if (matched.length > 0) retained.push([sub, matched]);
      }
    }
  }
  core.markSession(session);
  // [MQTT-3.8.4-1] SUBACK with the same packet identifier [MQTT-3.8.4-2]
  core.sendPacket(conn, {
    type: "suback",
    packetId: packet.packetId,
    reasonCodes: codes,
  });
  for (const [sub, messages] of retained) {
    for (const m of messages) {
      core.deliver(session, {
        message: m,
        qos: (m.qos < sub.qos ? m.qos : sub.qos) as QoS,
        retain: true, // [MQTT-3.3.1-8] (3.1.1) retained messages keep RETAIN 1
        subscriptionIds: sub.subscriptionId === undefined
          ? undefined
          : [sub.subscriptionId],
      }, { now, cache: undefined });
    }
  }
}
