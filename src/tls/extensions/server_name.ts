/**
 * The `server_name` extension (RFC 6066 §3).
 *
 * ```text
 * struct {
 *     NameType name_type;              // host_name(0)
 *     select (name_type) {
 *         case host_name: HostName;    // opaque HostName<1..2^16-1>
 *     } name;
 * } ServerName;
 * struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 * ```
 *
 * A server that used the name answers with an empty extension.
 *
 * @module
 */

import { ByteReader, ByteWriter, DecodeError } from "../../bytes/mod.ts";
import { AlertDescription, TlsAlertError } from "../alert.ts";
import type { ExtensionContext } from "./context.ts";

/** `server_name`: the host name the client asked for, or the server's empty answer. */
export interface ServerNameExtension {
  readonly type: "server_name";
  /** ASCII host name; absent in the server's empty acknowledgement. */
  readonly hostName?: string;
}

const HOST_NAME = 0;

/**
 * Encodes the `server_name` extension_data.
 *
 * @example
 * ```ts
 * import { encodeServerName } from "./server_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeServerName({ type: "server_name", hostName: "a.io" }),
 *   new Uint8Array([0, 7, 0, 0, 4, 0x61, 0x2e, 0x69, 0x6f]),
 * );
 * assert.equal(encodeServerName({ type: "server_name" }).length, 0);
 * ```
 */
export function encodeServerName(ext: ServerNameExtension): Uint8Array {
  if (ext.hostName === undefined) return new Uint8Array(0);
  const name = new TextEncoder().encode(ext.hostName);
  if (name.length === 0) {
    throw new RangeError("Cannot encode server_name: empty host name");
  }
  const w = new ByteWriter(name.length + 5);
  w.vector16((list) => {
    list.uint8(HOST_NAME);
    list.vector16((n) => n.bytes(name));
  });
  return w.finish();
}

/**
 * Decodes the `server_name` extension_data.
 *
 * Like OpenSSL, exactly one `host_name` entry is accepted: RFC 6066 left the
 * list extensible, but nobody can parse other name types (RFC 6066 §3). An
 * empty extension is only valid from the server.
 *
 * @throws {DecodeError} on a malformed list, another name type or more than one name.
 * @throws {TlsAlertError} `illegal_parameter` for a host name with a control, space or non-ASCII byte.
 *
 * @example
 * ```ts
 * import { decodeServerName } from "./server_name.ts";
 * import assert from "node:assert/strict";
 *
 * const data = new Uint8Array([0, 7, 0, 0, 4, 0x61, 0x2e, 0x69, 0x6f]);
 * assert.deepEqual(decodeServerName(data), { type: "server_name", hostName: "a.io" });
 * assert.deepEqual(decodeServerName(new Uint8Array(0), "server_hello"), { type: "server_name" });
 * ```
 */
export function decodeServerName(
  data: Uint8Array,
  context: ExtensionContext = "client_hello",
): ServerNameExtension {
  if (data.length === 0 && context === "server_hello") {
    return { type: "server_name" };
  }
  const r = new ByteReader(data);
  const list = r.vector16("server_name.server_name_list");
  r.expectEnd("server_name");
  const type = list.uint8("server_name.name_type");
  if (type !== HOST_NAME) {
    throw new DecodeError(
      "server_name.name_type",
      list.absolutePosition - 1,
      `unsupported name type ${type}`,
    );
  }
  const name = list.vector16("server_name.host_name");
  list.expectEnd("server_name.server_name_list");
  const bytes = name.rest();
  if (bytes.length === 0) {
    throw new DecodeError("server_name.host_name", 3, "empty host name");
  }
  // RFC 6066 §3: "HostName" contains the fully qualified DNS hostname in ASCII.
  if (bytes.some((b) => b < 0x21 || b > 0x7e)) {
    throw new TlsAlertError(
      AlertDescription.illegal_parameter,
      "server_name host name has a byte outside printable ASCII",
    );
  }
  return {
    type: "server_name",
    hostName: String.fromCharCode(...bytes),
  };
}
