import assert from "node:assert/strict";
import {
  ConnackReturnCode,
  connackReturnCodeName,
  isReasonCodeAllowed,
  ReasonCode,
  type ReasonCodePacket,
  reasonName,
} from "../../src/mqtt/mod.ts";

Deno.test("ReasonCode lists the 43 distinct values of MQTT 5.0 §2.4", () => {
  const values = new Set(Object.values(ReasonCode));
  assert.equal(values.size, 43);
  for (const v of values) {
    assert.ok(!reasonName(v).startsWith("Unknown"), `0x${v.toString(16)}`);
  }
  assert.equal(reasonName(0x03), "Unknown reason code 0x03");
  assert.equal(reasonName(0x00), "Success");
  assert.equal(reasonName(0x00, "suback"), "Granted QoS 0");
});

Deno.test("isReasonCodeAllowed() follows each packet's reason code table", () => {
  // sizes of the tables in §3.2.2.2, §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1,
  // §3.9.3, §3.11.3, §3.14.2.1 and §3.15.2.1
  const sizes: Record<ReasonCodePacket, number> = {
    connack: 22,
    puback: 9,
    pubrec: 9,
    pubrel: 2,
    pubcomp: 2,
    suback: 12,
    unsuback: 7,
    disconnect: 29,
    auth: 3,
  };
  for (const [packet, size] of Object.entries(sizes)) {
    let n = 0;
    for (let code = 0; code < 256; code++) {
      if (isReasonCodeAllowed(packet as ReasonCodePacket, code)) n++;
    }
    assert.equal(n, size, packet);
  }
});

Deno.test("connackReturnCodeName() names the 3.1.1 return codes", () => {
  assert.equal(
    connackReturnCodeName(ConnackReturnCode.Accepted),
    "Connection Accepted",
  );
  assert.equal(
    connackReturnCodeName(ConnackReturnCode.NotAuthorized),
    "Connection Refused, not authorized",
  );
  assert.equal(connackReturnCodeName(6), "Unknown return code 0x6");
});
