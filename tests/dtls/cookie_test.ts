// Stateless cookies (RFC 6347 §4.2.1): bound to the peer and the ClientHello
// binding, with secret rotation driven by `now`.
import assert from "node:assert/strict";
import { CookieJar } from "../../src/dtls/cookie.ts";
import { SeededRandom } from "../support/rng.ts";

const PEER = { hostname: "203.0.113.5", port: 5684 };
const BINDING = new Uint8Array([
  0xfe,
  0xfd,
  ...new Array(32).fill(1),
  0,
  0,
  2,
  0xc0,
  0xa8,
  1,
  0,
]);

function seeded(seed: number): (n: number) => Uint8Array {
  const rng = new SeededRandom(seed);
  return (n) => rng.bytes(n);
}

Deno.test("CookieJar.verify() accepts the cookie it made for the same peer and binding", () => {
  const jar = new CookieJar();
  const cookie = jar.create(0, PEER, BINDING);
  assert.equal(cookie.length, 32);
  assert.equal(jar.verify(1, PEER, BINDING, cookie), true);
  assert.deepEqual(jar.create(2, PEER, BINDING), cookie); // deterministic within a secret
});

Deno.test("CookieJar.verify() rejects another address, port, binding or a changed cookie", () => {
  const jar = new CookieJar();
  const cookie = jar.create(0, PEER, BINDING);
  assert.equal(
    jar.verify(0, { ...PEER, hostname: "203.0.113.6" }, BINDING, cookie),
    false,
  );
  assert.equal(jar.verify(0, { ...PEER, port: 5685 }, BINDING, cookie), false);
  const other = BINDING.slice();
  other[5] = 9; // a different client random
  assert.equal(jar.verify(0, PEER, other, cookie), false);
  for (let i = 0; i < cookie.length; i++) {
    const bad = cookie.slice();
    bad[i] = bad[i]! ^ 1;
    assert.equal(jar.verify(0, PEER, BINDING, bad), false, `byte ${i}`);
  }
  assert.equal(jar.verify(0, PEER, BINDING, cookie.subarray(0, 31)), false);
  assert.equal(jar.verify(0, PEER, BINDING, new Uint8Array(0)), false);
  // another jar (another secret) does not accept it
  assert.equal(new CookieJar().verify(0, PEER, BINDING, cookie), false);
});

Deno.test("CookieJar fields cannot be shifted into each other", () => {
  const jar = new CookieJar({ random: seeded(1) });
  const a = jar.create(
    0,
    { hostname: "1.2.3.4", port: 1 },
    new Uint8Array([5]),
  );
  const b = jar.create(
    0,
    { hostname: "1.2.3.", port: 0x3400 | 1 },
    new Uint8Array([5]),
  );
  assert.notDeepEqual(a, b);
});

Deno.test("CookieJar accepts cookies of the previous secret and rejects older ones", () => {
  const jar = new CookieJar({ rotationIntervalMs: 60_000, random: seeded(2) });
  const c0 = jar.create(1000, PEER, BINDING);
  assert.equal(jar.verify(60_999, PEER, BINDING, c0), true); // same secret
  const c1 = jar.create(61_000, PEER, BINDING); // rotation
  assert.notDeepEqual(c0, c1);
  assert.equal(jar.verify(61_000, PEER, BINDING, c0), true); // previous
  assert.equal(jar.verify(61_000, PEER, BINDING, c1), true);
  assert.equal(jar.verify(121_000, PEER, BINDING, c0), false); // two rotations old
  assert.equal(jar.verify(121_000, PEER, BINDING, c1), true);
});

Deno.test("CookieJar replaces both secrets after two idle intervals", () => {
  const jar = new CookieJar({ rotationIntervalMs: 1000, random: seeded(3) });
  const c = jar.create(0, PEER, BINDING);
  assert.equal(jar.verify(2000, PEER, BINDING, c), false);
});

Deno.test("CookieJar does not rotate when time goes backwards", () => {
  const jar = new CookieJar({ rotationIntervalMs: 1000 });
  const c = jar.create(5000, PEER, BINDING);
  assert.equal(jar.verify(100, PEER, BINDING, c), true);
});

Deno.test("CookieJar checks its options", () => {
  assert.equal(
    new CookieJar({ cookieLength: 16 }).create(0, PEER, BINDING).length,
    16,
  );
  assert.throws(() => new CookieJar({ cookieLength: 8 }), RangeError);
  assert.throws(() => new CookieJar({ cookieLength: 33 }), RangeError);
  assert.throws(() => new CookieJar({ rotationIntervalMs: 0 }), RangeError);
  assert.throws(
    () =>
      new CookieJar({ random: () => new Uint8Array(3) }).create(
        0,
        PEER,
        BINDING,
      ),
    RangeError,
  );
});
