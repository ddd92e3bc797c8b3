import assert from "node:assert/strict";
import { ByteReader, ByteWriter, DecodeError } from "../../src/bytes/mod.ts";
import { SeededRandom } from "../support/rng.ts";

Deno.test("ByteReader reads big-endian integers of every width", () => {
  const r = new ByteReader(
    new Uint8Array([
      0x01,
      0x02,
      0x03,
      0x04,
      0x05,
      0x06,
      0x07,
      0x08,
      0x09,
      0x0a,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xfe,
      0xdc,
      0xba,
      0x98,
    ]),
  );
  assert.equal(r.uint8(), 0x01);
  assert.equal(r.uint16(), 0x0203);
  assert.equal(r.uint24(), 0x040506);
  assert.equal(r.uint32(), 0x0708090a);
  assert.equal(r.uint48(), 2 ** 48 - 1);
  assert.equal(r.uint32(), 0xfedcba98);
  r.expectEnd();
});

Deno.test("ByteReader.uint16() rejects a truncated value with its offset", () => {
  const r = new ByteReader(new Uint8Array([1, 2, 3]), 100);
  r.uint16();
  assert.throws(
    () => r.uint16("record length"),
    (e: unknown) =>
      e instanceof DecodeError && e.offset === 102 &&
      e.what === "record length",
  );
});

Deno.test("ByteReader.vector16() limits reads to the vector body", () => {
  const r = new ByteReader(new Uint8Array([0, 2, 0xaa, 0xbb, 0xcc]));
  const v = r.vector16("extensions");
  assert.equal(v.uint8(), 0xaa);
  assert.equal(v.uint8(), 0xbb);
  assert.throws(() => v.uint8(), DecodeError);
  assert.equal(r.uint8(), 0xcc);
});

Deno.test("ByteReader.vector24() rejects a length past the input end", () => {
  const r = new ByteReader(new Uint8Array([0, 0, 9, 1, 2]));
  assert.throws(() => r.vector24("certificate_list"), DecodeError);
});

Deno.test("ByteReader.expectEnd() rejects trailing data", () => {
  const r = new ByteReader(new Uint8Array([1, 2]));
  r.uint8();
  assert.throws(() => r.expectEnd("Finished"), /1 trailing bytes/);
});

Deno.test("ByteReader.take() rejects negative and fractional lengths", () => {
  const r = new ByteReader(new Uint8Array(4));
  assert.throws(() => r.take(-1), DecodeError);
  assert.throws(() => r.take(1.5), DecodeError);
  assert.equal(r.take(4).length, 4);
});

Deno.test("ByteReader.sub() reports absolute offsets in nested errors", () => {
  const r = new ByteReader(new Uint8Array([9, 9, 9, 0, 1]));
  r.take(3);
  const inner = r.sub(2);
  inner.uint8();
  inner.uint8();
  assert.throws(
    () => inner.uint8("inner"),
    (e: unknown) => e instanceof DecodeError && e.offset === 5,
  );
});

Deno.test("ByteWriter output reads back through ByteReader", () => {
  const rng = new SeededRandom(42);
  for (let i = 0; i < 200; i++) {
    const values = [
      rng.int(256),
      rng.int(65536),
      rng.int(2 ** 24),
      rng.next(),
      rng.next() * 65536 + rng.int(65536),
    ];
    const body = rng.bytes(rng.int(300));
    const w = new ByteWriter(16);
    w.uint8(values[0]!).uint16(values[1]!).uint24(values[2]!).uint32(
      values[3]!,
    ).uint48(values[4]!);
    w.vector16((v) => v.bytes(body));
    w.vector8((v) => v.uint8(7));
    const r = new ByteReader(w.finish());
    assert.deepEqual(
      [r.uint8(), r.uint16(), r.uint24(), r.uint32(), r.uint48()],
      values,
    );
    assert.deepEqual(r.vector16().rest(), body);
    assert.equal(r.vector8().uint8(), 7);
    r.expectEnd();
  }
});

Deno.test("ByteWriter.vector8() refuses a body longer than 255 bytes", () => {
  const w = new ByteWriter();
  assert.throws(
    () => w.vector8((v) => v.bytes(new Uint8Array(256))),
    RangeError,
  );
});

Deno.test("ByteWriter.uint16() refuses values that do not fit", () => {
  const w = new ByteWriter();
  assert.throws(() => w.uint16(65536), RangeError);
  assert.throws(() => w.uint8(-1), RangeError);
});

Deno.test("ByteReader on random input throws only DecodeError", () => {
  const rng = new SeededRandom(7);
  for (let i = 0; i < 3000; i++) {
    const r = new ByteReader(rng.bytes(rng.int(12)));
    try {
      while (true) {
        switch (rng.int(6)) {
          case 0:
            r.uint8();
            break;
          case 1:
            r.uint24();
            break;
          case 2:
            r.vector8().rest();
            break;
          case 3:
            r.vector16().uint16();
            break;
          case 4:
            r.uint48();
            break;
          default:
            r.take(rng.int(5));
        }
      }
    } catch (e) {
      assert.ok(e instanceof DecodeError, `seed 7 iteration ${i}: ${e}`);
    }
  }
});
