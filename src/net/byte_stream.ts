/**
 * The one shape every stream transport is driven through: a TCP or TLS
 * connection from Deno, a `node:tls` socket, postern's own TLS engine, or a
 * WebSocket carrying binary frames.
 *
 * @module
 */

/**
 * A byte stream with Deno's `Conn` read/write contract: `read` fills the
 * buffer and returns the count or `null` at the end; `write` may write less
 * than asked.
 *
 * @example `Deno.Conn` is a ByteStream
 * ```ts
 * import type { ByteStream } from "./byte_stream.ts";
 *
 * function accept(conn: Deno.Conn): ByteStream {
 *   return conn;
 * }
 * ```
 */
export interface ByteStream {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/**
 * Writes all of `data`, looping over short writes.
 *
 * @example
 * ```ts
 * import { writeAll } from "./byte_stream.ts";
 * import assert from "node:assert/strict";
 *
 * const got: number[] = [];
 * await writeAll({
 *   read: () => Promise.resolve(null),
 *   write: (d) => (got.push(d[0]!), Promise.resolve(1)),
 *   close: () => {},
 * }, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(got, [1, 2, 3]);
 * ```
 */
export async function writeAll(
  stream: ByteStream,
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await stream.write(data.subarray(off));
    if (n <= 0) throw new Deno.errors.WriteZero("Cannot write to the stream");
    off += n;
  }
}
