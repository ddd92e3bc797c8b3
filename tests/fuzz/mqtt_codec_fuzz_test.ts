/**
 * Seeded fuzzing of the MQTT codec: mutated golden packets and random bytes
 * go through the stream decoder (in random chunks) and `decodePacket`.
 * Only packets or `MqttError` may come out: any other exception, a hang or
 * unbounded buffering fails the test. Every packet that decodes must encode
 * again and decode to the same value (rustls `fuzz_message`).
 *
 * Reproduce a failure with its seed; iterations and time are bounded.
 */
import assert from "node:assert/strict";
import { concatBytes, decodeHex } from "../../src/bytes/mod.ts";
import {
  decodePacket,
  encodePacket,
  MqttError,
  MqttStreamDecoder,
  type MqttVersion,
  type Packet,
} from "../../src/mqtt/mod.ts";
import { ALL_FIXTURES } from "../mqtt/_fixtures.ts";
import { mutate, SeededRandom } from "../support/rng.ts";

const ITERATIONS = 5000;
const TIME_LIMIT_MS = 15_000;

const CORPUS = ALL_FIXTURES.map((f) => ({
  version: f.version,
  bytes: decodeHex(f.hex),
  connect: f.packet.type === "connect",
}));

function checkReencode(packet: Packet, version: MqttVersion): void {
  const v = packet.type === "connect" ? packet.protocolVersion : version;
  const again = encodePacket(packet, v);
  assert.deepEqual(decodePacket(again, v), packet);
}

/** Feeds `input` in random chunks; returns the packets before any error. */
function feed(
  input: Uint8Array,
  rng: SeededRandom,
  options: { version?: MqttVersion; maximumPacketSize: number },
): number {
  const decoder = new MqttStreamDecoder(options);
  let count = 0;
  let pos = 0;
  while (pos < input.length) {
    const n = 1 + rng.int(Math.min(64, input.length - pos));
    decoder.push(input.subarray(pos, pos + n));
    pos += n;
    for (;;) {
      let packet: Packet | undefined;
      try {
        packet = decoder.next();
      } catch (e) {
        // the decoder wraps a bug's exception too; that must not happen
        if (e instanceof MqttError && !e.message.includes("unexpected")) {
          return count;
        }
        throw e;
      }
      if (packet === undefined) break;
      count++;
      checkReencode(packet, decoder.version ?? 4);
    }
    // at most one partial packet is held
    assert.ok(
      decoder.bufferedBytes <= options.maximumPacketSize + 5,
      `buffered ${decoder.bufferedBytes}`,
    );
  }
  return count;
}

Deno.test("MqttStreamDecoder survives mutated golden packets", () => {
  const rng = new SeededRandom(0x5eed_0001);
  const deadline = Date.now() + TIME_LIMIT_MS;
  let packets = 0;
  let i = 0;
  for (; i < ITERATIONS && Date.now() < deadline; i++) {
    const base = rng.pick(CORPUS);
    const parts = [base.bytes];
    const extra = rng.int(3);
    for (let k = 0; k < extra; k++) {
      const next = rng.pick(CORPUS);
      if (next.version === base.version && !next.connect) {
        parts.push(next.bytes);
      }
    }
    const input = mutate(concatBytes(...parts), rng);
    const maximumPacketSize = rng.pick([16, 64, 256, 1 << 20]);
    try {
      packets += feed(input, rng, { version: base.version, maximumPacketSize });
      // server mode: CONNECT first, version from the CONNECT
      if (base.connect) packets += feed(input, rng, { maximumPacketSize });
    } catch (e) {
      throw new Error(`iteration ${i}: input ${Array.from(input)}`, {
        cause: e,
      });
    }
  }
  assert.ok(i >= 500, `only ${i} iterations ran`);
  assert.ok(packets > 0);
});

Deno.test("decodePacket() survives random bytes in every version", () => {
  const rng = new SeededRandom(0x5eed_0002);
  const deadline = Date.now() + TIME_LIMIT_MS;
  let i = 0;
  for (; i < ITERATIONS && Date.now() < deadline; i++) {
    // a plausible first byte half of the time
    const input = rng.bytes(rng.int(40));
    if (input.length > 1 && rng.int(2) === 0) {
      input[1] = input.length - 2;
    }
    for (const version of [3, 4, 5] as const) {
      try {
        const p = decodePacket(input, version);
        checkReencode(p, version);
      } catch (e) {
        if (!(e instanceof MqttError)) {
          throw new Error(`iteration ${i}: input ${Array.from(input)}`, {
            cause: e,
          });
        }
      }
    }
    feed(input, rng, {
      version: rng.pick([3, 4, 5] as const),
      maximumPacketSize: 64,
    });
  }
  assert.ok(i >= 500, `only ${i} iterations ran`);
});
