// The record-layer pieces working together over the simulated link: a toy
// two-flight handshake (client flight with a 5 kB message, server answer)
// built from Flight, FlightTimer, fragmentHandshake, encodeRecord,
// packDatagrams, decodeDatagram, ReplayWindow and Reassembler. Datagrams
// must fit an IPv6 minimum-MTU path, and loss, duplication and reordering
// must only cost retransmissions (RFC 6347 §4.1.1, §4.2.3, §4.2.4).
import assert from "node:assert/strict";
import {
  decodeDatagram,
  decodeHandshakeFragments,
  encodeRecord,
  Flight,
  FlightTimer,
  maxHandshakeFragmentBody,
  packDatagrams,
  Reassembler,
  ReplayWindow,
} from "../../src/dtls/mod.ts";
import {
  type DatagramCore,
  dropNth,
  LossyLink,
} from "../support/lossy_link.ts";
import { SeededRandom } from "../support/rng.ts";

const UDP_PAYLOAD = 1280 - 48;
const FRAGMENT_BODY = maxHandshakeFragmentBody({ recordOverhead: 0 });

class ToyEndpoint implements DatagramCore {
  readonly timer = new FlightTimer();
  readonly #reassembler = new Reassembler();
  readonly #replay = new ReplayWindow();
  readonly #out: Uint8Array[] = [];
  readonly #isClient: boolean;
  #flight: Flight | undefined;
  #sequence = 0;
  readonly received: Uint8Array[] = [];
  transmissions = 0;
  done = false;

  constructor(isClient: boolean, now: number, readonly bodies: Uint8Array[]) {
    this.#isClient = isClient;
    if (isClient) this.#sendFlight(now, true);
  }

  #sendFlight(now: number, arm: boolean): void {
    this.#flight ??= new Flight(
      this.bodies.map((body, i) => ({
        kind: "handshake" as const,
        epoch: 0,
        msgType: this.#isClient ? 11 + i : 2 + i,
        messageSeq: i,
        body,
      })),
    );
    this.transmissions++;
    const records = this.#flight.records(FRAGMENT_BODY).map((r) =>
      encodeRecord({
        type: r.type,
        version: 0xfefd,
        epoch: r.epoch,
        sequenceNumber: this.#sequence++, // a new record number every time
        fragment: r.fragment,
      })
    );
    this.#out.push(...packDatagrams(records, UDP_PAYLOAD));
    if (arm) this.timer.start(now);
  }

  handleInput(now: number, bytes: Uint8Array): void {
    for (const record of decodeDatagram(bytes).records) {
      if (!this.#replay.check(record.sequenceNumber)) continue;
      this.#replay.mark(record.sequenceNumber);
      for (const fragment of decodeHandshakeFragments(record.fragment)) {
        for (const event of this.#reassembler.push(fragment)) {
          if (event.kind === "message") this.received.push(event.body);
          // RFC 6347 §4.2.4: the peer resends its flight, so ours was lost
          // once per flight: on the end of the peer flight's last message
          if (
            event.kind === "retransmitted" && event.endsMessage &&
            event.messageSeq === 1 && !this.#isClient && this.done
          ) {
            this.#sendFlight(now, false);
          }
        }
      }
    }
    const expected = this.#isClient ? 1 : 2;
    if (!this.done && this.received.length === expected) {
      this.done = true;
      if (this.#isClient) this.timer.stop(now);
      else this.#sendFlight(now, false); // last flight: no timer of its own
    }
  }

  handleTimeout(now: number): void {
    if (this.timer.onTimeout(now) === "retransmit") {
      this.#sendFlight(now, false);
    }
  }

  pollTransmit(): Uint8Array | undefined {
    return this.#out.shift();
  }

  nextTimeout(): number | undefined {
    return this.timer.nextDeadline();
  }
}

function pair() {
  const rng = new SeededRandom(5);
  const client = new ToyEndpoint(true, 0, [rng.bytes(5000), new Uint8Array(0)]);
  const server = new ToyEndpoint(false, 0, [rng.bytes(3000)]);
  return { client, server };
}

Deno.test("flight exchange fits a 1280-byte path and completes in one round trip", () => {
  const { client, server } = pair();
  const link = new LossyLink(client, server, {
    latencyMs: 20,
    mtu: UDP_PAYLOAD,
  });
  link.driveBounded(100);
  assert.ok(client.done && server.done);
  assert.deepEqual(server.received, client.bodies);
  assert.deepEqual(client.received, server.bodies);
  assert.equal(link.now, 40);
  assert.equal(link.stats.a.mtuDropped + link.stats.b.mtuDropped, 0);
  assert.ok(link.stats.a.sent >= 5); // 5 kB needs several datagrams
});

Deno.test("flight exchange recovers from a lost server flight through the client's timer", () => {
  const { client, server } = pair();
  const link = new LossyLink(client, server, {
    latencyMs: 20,
    mtu: UDP_PAYLOAD,
    filters: [dropNth("b", 1)],
  });
  link.driveBounded(100);
  assert.ok(client.done);
  assert.equal(client.transmissions, 2); // resent at 1 s
  assert.equal(server.transmissions, 2); // answered the retransmission
  assert.equal(link.now, 1040);
});

Deno.test("flight exchange completes under seeded loss, duplication and reordering", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const { client, server } = pair();
    const link = new LossyLink(client, server, {
      seed,
      lossRate: 0.2,
      duplicateRate: 0.1,
      reorderRate: 0.2,
      latencyMs: 15,
      jitterMs: 10,
      mtu: UDP_PAYLOAD,
    });
    link.driveBounded(2000);
    assert.ok(client.done && server.done, `seed ${seed}`);
    assert.deepEqual(client.received, server.bodies, `seed ${seed}`);
    assert.equal(link.stats.a.mtuDropped, 0);
  }
});
