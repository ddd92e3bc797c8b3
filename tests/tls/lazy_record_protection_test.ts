import assert from "node:assert/strict";
import { cipherSuiteByName } from "../../src/tls/cipher_suites.ts";
import {
  LazyRecordProtection,
  LIVE_RECORD_PROTECTIONS,
} from "../../src/tls/lazy_record_protection.ts";
import {
  createRecordProtection,
  dtlsSequence,
} from "../../src/tls/record_protection.ts";
import { SeededRandom } from "../support/rng.ts";

const rng = new SeededRandom(9146);

function keysFor(name: string) {
  const s = cipherSuiteByName(name)!;
  return {
    suite: s,
    keys: {
      key: rng.bytes(s.encKeyLength),
      iv: rng.bytes(s.fixedIvLength),
      macKey: rng.bytes(s.macKeyLength),
    },
  };
}

const SUITES = [
  "PSK-AES128-CCM8",
  "ECDHE-ECDSA-AES128-CCM",
  "PSK-AES128-GCM-SHA256",
  "PSK-AES256-GCM-SHA384",
  "PSK-AES128-CBC-SHA256",
];

Deno.test("LazyRecordProtection seals and opens like the eager protection, before and after release", () => {
  for (const name of SUITES) {
    const { suite, keys } = keysFor(name);
    const lazy = new LazyRecordProtection(suite, keys);
    const eager = createRecordProtection(suite, keys);
    assert.equal(lazy.overhead, eager.overhead, name);
    for (let i = 0; i < 3; i++) {
      const seq = dtlsSequence(1, i);
      const plain = rng.bytes(1 + rng.int(100));
      const a = lazy.seal(seq, 23, 0xfefd, plain);
      assert.deepEqual(eager.open(seq, 23, 0xfefd, a), plain, name);
      const b = eager.seal(seq, 23, 0xfefd, plain);
      lazy.release();
      assert.deepEqual(lazy.open(seq, 23, 0xfefd, b), plain, name);
      const tampered = b.slice();
      tampered[tampered.length - 1]! ^= 1;
      assert.equal(lazy.open(seq, 23, 0xfefd, tampered), undefined, name);
    }
  }
});

Deno.test("LazyRecordProtection keeps working when more than the live bound are in use", () => {
  const { suite, keys } = keysFor("PSK-AES128-CCM8");
  const all = Array.from(
    { length: LIVE_RECORD_PROTECTIONS + 8 },
    () => new LazyRecordProtection(suite, keys),
  );
  const seq = dtlsSequence(1, 7);
  const sealed = all[0]!.seal(seq, 23, 0xfefd, new Uint8Array([1, 2, 3]));
  // the first ones were evicted by the later ones: each rebuilds on use
  for (const p of all) {
    assert.deepEqual(
      p.open(seq, 23, 0xfefd, sealed),
      new Uint8Array([1, 2, 3]),
    );
  }
});

Deno.test("LazyRecordProtection refuses keys of the wrong length at once", () => {
  const { suite, keys } = keysFor("PSK-AES128-CCM8");
  assert.throws(
    () => new LazyRecordProtection(suite, { ...keys, iv: new Uint8Array(3) }),
    RangeError,
  );
});

Deno.test("LazyRecordProtection opens Connection ID records", () => {
  const { suite, keys } = keysFor("PSK-AES128-GCM-SHA256");
  const lazy = new LazyRecordProtection(suite, keys);
  const cid = new Uint8Array([4, 2]);
  const seq = dtlsSequence(1, 1);
  const f = lazy.seal(seq, 23, 0xfefd, new Uint8Array([9]), { cid });
  lazy.release();
  assert.deepEqual(lazy.open(seq, 25, 0xfefd, f, { cid }), {
    type: 23,
    content: new Uint8Array([9]),
  });
});
