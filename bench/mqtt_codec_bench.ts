/**
 * MQTT codec micro benchmarks: PUBLISH encode and decode (64 B and 1 KiB,
 * 3.1.1 and 5.0), and the stream decoder fed 64 KiB chunks of many packets.
 * The broker's target is 166,000 QoS 0 messages/s (Mosquitto, 64 B, 1→1, see
 * ANCHORS.md): one decode plus one encode per message must stay well under
 * 6 µs.
 *
 *   deno bench --allow-all bench/mqtt_codec_bench.ts
 */
import {
  decodePacket,
  encodePacket,
  encodePublishInto,
  MqttStreamDecoder,
  type MqttVersion,
  type PublishPacket,
} from "../src/mqtt/mod.ts";

function publish(size: number, version: MqttVersion): PublishPacket {
  const p: PublishPacket = {
    type: "publish",
    topic: "sensors/building-1/floor-2/temperature",
    payload: new Uint8Array(size).fill(0x61),
    qos: 1,
    packetId: 4242,
    retain: false,
    dup: false,
  };
  if (version === 5) {
    p.properties = {
      messageExpiryInterval: 60,
      userProperties: [["unit", "C"]],
    };
  }
  return p;
}

for (const size of [64, 1024]) {
  for (const version of [4, 5] as const) {
    const label = `${size === 64 ? "64 B" : "1 KiB"} v${version}`;
    const packet = publish(size, version);
    const bytes = encodePacket(packet, version);
    Deno.bench({
      name: `encodePacket() PUBLISH ${label}`,
      group: `encode ${label}`,
      baseline: true,
      fn() {
        encodePacket(packet, version);
      },
    });
    const target = new Uint8Array(bytes.length);
    Deno.bench({
      name: `encodePublishInto() PUBLISH ${label}`,
      group: `encode ${label}`,
      fn() {
        encodePublishInto(packet, { version, target, offset: 0 });
      },
    });
    Deno.bench({
      name: `decodePacket() PUBLISH ${label}`,
      group: `decode ${label}`,
      fn() {
        decodePacket(bytes, version);
      },
    });
  }
}

/** Many back-to-back packets, cut into 64 KiB reads. */
function stream(size: number, version: MqttVersion): {
  chunks: Uint8Array[];
  count: number;
} {
  const one = encodePacket(publish(size, version), version);
  const count = Math.ceil((1 << 20) / one.length); // about 1 MiB of traffic
  const all = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) all.set(one, i * one.length);
  const chunks: Uint8Array[] = [];
  for (let pos = 0; pos < all.length; pos += 65536) {
    chunks.push(all.subarray(pos, pos + 65536));
  }
  return { chunks, count };
}

for (const size of [64, 1024]) {
  for (const version of [4, 5] as const) {
    const { chunks, count } = stream(size, version);
    const label = `${size === 64 ? "64 B" : "1 KiB"} v${version}`;
    Deno.bench({
      name: `MqttStreamDecoder ${count} PUBLISH ${label} in 64 KiB chunks`,
      group: "stream",
      fn() {
        const d = new MqttStreamDecoder({
          version,
          maximumPacketSize: 1 << 20,
        });
        let n = 0;
        for (const c of chunks) {
          d.push(c);
          while (d.next() !== undefined) n++;
        }
        if (n !== count) throw new Error(`decoded ${n} of ${count}`);
      },
    });
  }
}
