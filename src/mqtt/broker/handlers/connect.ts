/**
 * CONNECT (MQTT 5.0 §3.1, 3.1.1 §3.1) and its CONNACK: client identifier
 * assignment, authentication (synchronous or parked on a promise), session
 * takeover, clean start / session present, will, keep alive and the 5.0
 * limits each side announces.
 *
 * @module
 */

import { encodeHex } from "../../../bytes/mod.ts";
import { encodePacket } from "../../packet/codec.ts";
import type {
  ConnackProperties,
  ConnectPacket,
  MqttVersion,
} from "../../packet/types.ts";
import type { AuthContext, AuthResult } from "../auth_hooks.ts";
import type { Connection } from "../connection.ts";
import { Session } from "../session.ts";
import type { BrokerCore } from "../_core.ts";

function connackBytes(version: MqttVersion, code: number): Uint8Array {
  // [MQTT-3.2.2-6] (5.0) / [MQTT-3.2.2-4] (3.1.1): session present 0 on refusal
  return encodePacket(
    { type: "connack", sessionPresent: false, reasonCode: code },
    version,
  );
}

function refuse(
  core: BrokerCore,
  conn: Connection,
  options: { code: number; now: number },
): void {
  core.close(conn, options.now, {
    reason: "refused",
    reasonCode: options.code,
    publishWill: false,
    bytes: connackBytes(conn.version, options.code),
  }); // [MQTT-3.2.2-5] (3.1.1) / [MQTT-3.2.2-7] (5.0): close after a refusal
}

/**
 * Handles CONNECT: checks, client id, then `authenticate`. A promise from
 * the hook parks the connection in `authenticating` (see `auth_hooks.ts`).
 *
 * @example
 * ```ts
 * import { Broker } from "../broker.ts";
 * import { encodePacket } from "../../packet/codec.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker({ random: (n) => new Uint8Array(n) });
 * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
 * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 5, clean: true, keepAlive: 0, clientId: "" }, 5));
 * const out = broker.pollTransmit();
 * assert.equal(out?.bytes[0], 0x20); // CONNACK with an assigned client identifier
 * ```
 */
export function handleConnect(
  core: BrokerCore,
  conn: Connection,
  packet: ConnectPacket,
  now: number,
): void {
  conn.version = packet.protocolVersion;
  if (
    packet.protocolVersion === 5 &&
    packet.properties?.authenticationMethod !== undefined
  ) {
    refuse(core, conn, { code: 0x8c, now }); // §4.12: no enhanced authentication methods
    return;
  }
  conn.clientId = packet.clientId.length > 0
    ? packet.clientId
    : `auto-${encodeHex(core.random(12))}`; // [MQTT-3.1.3-6], [MQTT-3.1.3-7]
  const identity = conn.info.identity;
  const refusal = identity?.refusal?.reason;
  if (refusal !== undefined) {
    const v5 = conn.version === 5;
    const code = refusal === "bad_credentials"
      ? (v5 ? 0x86 : 0x04)
      : (v5 ? 0x87 : 0x05);
    refuse(core, conn, { code, now });
    return;
  }
  if (
    packet.username === undefined && identity === undefined &&
    !core.allowAnonymous
  ) {
    refuse(core, conn, { code: conn.version === 5 ? 0x87 : 0x05, now });
    return;
  }
  const auth = core.auth;
  if (auth?.authenticate === undefined) {
    const subject = packet.username ?? identity?.username ?? conn.clientId;
    finishConnect(core, conn, packet, { result: { ok: true, subject }, now });
    return;
  }
  const ctx: AuthContext = {
    connection: conn.id,
    clientId: conn.clientId,
    username: packet.username,
    password: packet.password,
    remoteAddress: conn.info.remoteAddress,
    identity,
    protocolVersion: packet.protocolVersion,
  };
  let result: AuthResult | Promise<AuthResult> | "error";
  try {
    result = auth.authenticate(ctx);
  } catch {
    result = "error";
  }
  if (result instanceof Promise) {
    conn.state = "authenticating";
    conn.pendingConnect = packet;
    const settled = result.then(
      (r) => core.settle(conn, packet, r),
      () => core.settle(conn, packet, "error"),
    );
    core.emit({ kind: "auth_pending", connection: conn.id, settled });
    return;
  }
  finishConnect(core, conn, packet, { result, now });
}

/**
 * Completes a CONNECT once authentication has an answer: CONNACK, session
 * attach or creation, takeover of an existing connection, will and limits,
 * then the resend of a resumed session's unacknowledged messages.
 *
 * @example
 * ```ts
 * import { Broker } from "../broker.ts";
 * import { encodePacket } from "../../packet/codec.ts";
 * import assert from "node:assert/strict";
 *
 * const broker = new Broker({ auth: { authenticate: () => ({ ok: false, reason: "bad_credentials" }) } });
 * const id = broker.openConnection(0, { remoteAddress: "::1", transport: "tcp" });
 * broker.handleInput(0, id, encodePacket({ type: "connect", protocolVersion: 4, clean: true, keepAlive: 0, clientId: "c" }, 4));
 * assert.deepEqual(broker.pollTransmit()?.bytes, new Uint8Array([0x20, 0x02, 0x00, 0x04]));
 * ```
 */
export function finishConnect(
  core: BrokerCore,
  conn: Connection,
  packet: ConnectPacket,
  options: { result: AuthResult | "error"; now: number },
): void {
  const { result, now } = options;
  const v5 = conn.version === 5;
  if (result === "error" || !result.ok) {
    const code = result === "error"
      ? (v5 ? 0x88 : 0x03)
      : result.reason === "bad_credentials"
      ? (v5 ? 0x86 : 0x04)
      : (v5 ? 0x87 : 0x05);
    refuse(core, conn, { code, now });
    return;
  }
  conn.subject = result.subject;
  const clientId = conn.clientId;
  let session = core.sessions.get(clientId);
  if (session?.connection !== undefined) {
    const old = core.connections.get(session.connection);
    if (old !== undefined) {
      // [MQTT-3.1.4-3] (5.0) / [MQTT-3.1.4-2] (3.1.1): take the session over
      core.close(old, now, {
        reason: "session_taken_over",
        reasonCode: 0x8e,
        publishWill: true,
        bytes: old.version === 5
          ? encodePacket({ type: "disconnect", reasonCode: 0x8e }, 5)
          : undefined,
      });
    }
    session = core.sessions.get(clientId);
  }
  const props = packet.properties;
  const requested = v5
    ? props?.sessionExpiryInterval ?? 0
    : packet.clean
    ? 0
    : core.limits.persistentSessionExpiry;
  const expiry = Math.min(requested, core.limits.maxSessionExpiry);
  if (session?.expiresAt !== undefined && session.expiresAt <= now) {
    core.endSession(session, now);
    session = undefined;
  }
  if (packet.clean && session !== undefined) {
    core.endSession(session, now); // [MQTT-3.1.2-4] (5.0), [MQTT-3.1.2-6] (3.1.1)
    session = undefined;
  }
  const sessionPresent = session !== undefined; // [MQTT-3.2.2-2], [MQTT-3.2.2-3]
  if (session === undefined) {
    session = new Session(clientId);
    core.sessions.set(clientId, session);
  } else {
    session.pendingWill = undefined; // [MQTT-3.1.3-9] (5.0): reconnected within the will delay
  }
  session.expiryInterval = expiry;
  session.expiresAt = undefined;
  core.sessionExpiry.delete(session);
  session.connection = conn.id;
  conn.session = session;
  conn.sessionExpiryInterval = requested;
  const will = packet.will;
  if (will !== undefined) {
    session.will = {
      topic: will.topic,
      payload: will.payload.slice(),
      qos: will.qos,
      retain: will.retain,
      properties: will.properties,
      origin: clientId,
    };
    session.willDelayMs = (will.properties?.willDelayInterval ?? 0) * 1000;
  } else {
    session.will = undefined;
    session.willDelayMs = 0;
  }

  let keepAlive = packet.keepAlive;
  const ack: ConnackProperties = {};
  if (v5) {
    const max = core.limits.maxKeepAlive;
    if (keepAlive > max || (keepAlive === 0 && max < 65535)) {
      keepAlive = max;
      ack.serverKeepAlive = max; // [MQTT-3.2.2-21]
    }
    conn.clientReceiveMaximum = props?.receiveMaximum ?? 65535;
    conn.clientMaximumPacketSize = props?.maximumPacketSize ?? 268_435_460;
    conn.requestProblemInformation = props?.requestProblemInformation ?? true;
    if (core.limits.receiveMaximum < 65535) {
      ack.receiveMaximum = core.limits.receiveMaximum;
    }
    ack.maximumPacketSize = core.limits.maximumPacketSize;
    if (core.limits.topicAliasMaximum > 0) {
      ack.topicAliasMaximum = core.limits.topicAliasMaximum;
    }
    if (packet.clientId.length === 0) {
      ack.assignedClientIdentifier = clientId; // [MQTT-3.2.2-16]
    }
    if (requested !== expiry) ack.sessionExpiryInterval = expiry;
    if (props?.requestResponseInformation === true) {
      ack.responseInformation = core.responseInformation(clientId);
    }
  }
  conn.keepAliveMs = keepAlive * 1000;
  conn.lastInputAt = now;
  conn.state = "open";
  core.connected++;
  core.stats.connectionsAccepted++;
  if (core.connected > core.stats.clientsMaximum) {
    core.stats.clientsMaximum = core.connected;
  }
  core.sendPacket(conn, {
    type: "connack",
    sessionPresent,
    reasonCode: 0,
    ...(v5 ? { properties: ack } : {}),
  });
  core.armKeepAlive(conn);
  core.emit({
    kind: "connected",
    connection: conn.id,
    clientId,
    sessionPresent,
    subject: conn.subject,
  });
  if (sessionPresent) {
    core.resendInflight(conn, session, now); // [MQTT-4.4.0-1]
    core.drainQueue(session, now);
  }
  core.markSession(session);
  core.armPersistAt(now);
}
