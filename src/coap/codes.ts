/**
 * CoAP message types and codes (RFC 7252 §3, §12.1; RFC 7959 §2.9 for 2.31,
 * 4.08 and 4.13).
 *
 * A code is one byte: a 3-bit class and a 5-bit detail, written `c.dd`.
 *
 * @module
 */

/**
 * Message types (RFC 7252 §3, the 2-bit T field).
 *
 * @example
 * ```ts
 * import { MessageType, messageTypeName } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(messageTypeName(MessageType.ACK), "ACK");
 * ```
 */
export const MessageType = {
  CON: 0,
  NON: 1,
  ACK: 2,
  RST: 3,
} as const;

/**
 * One of {@link MessageType}.
 *
 * @example
 * ```ts
 * import { MessageType, type MessageType as T } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * const t: T = MessageType.CON;
 * assert.equal(t, 0);
 * ```
 */
export type MessageType = typeof MessageType[keyof typeof MessageType];

/**
 * The name of a message type, for logs.
 *
 * @param type The type.
 * @returns "CON", "NON", "ACK" or "RST".
 *
 * @example
 * ```ts
 * import { messageTypeName } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(messageTypeName(3), "RST");
 * ```
 */
export function messageTypeName(type: MessageType): string {
  switch (type) {
    case MessageType.CON:
      return "CON";
    case MessageType.NON:
      return "NON";
    case MessageType.ACK:
      return "ACK";
    case MessageType.RST:
      return "RST";
  }
}

/**
 * Method and response codes (RFC 7252 §12.1.1, §12.1.2; RFC 7959 §2.9).
 *
 * @example
 * ```ts
 * import { Code, codeString } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(codeString(Code.CONTENT), "2.05");
 * ```
 */
export const Code = {
  EMPTY: 0x00,
  GET: 0x01,
  POST: 0x02,
  PUT: 0x03,
  DELETE: 0x04,
  FETCH: 0x05,
  PATCH: 0x06,
  IPATCH: 0x07,
  CREATED: 0x41,
  DELETED: 0x42,
  VALID: 0x43,
  CHANGED: 0x44,
  CONTENT: 0x45,
  CONTINUE: 0x5f,
  BAD_REQUEST: 0x80,
  UNAUTHORIZED: 0x81,
  BAD_OPTION: 0x82,
  FORBIDDEN: 0x83,
  NOT_FOUND: 0x84,
  METHOD_NOT_ALLOWED: 0x85,
  NOT_ACCEPTABLE: 0x86,
  REQUEST_ENTITY_INCOMPLETE: 0x88,
  PRECONDITION_FAILED: 0x8c,
  REQUEST_ENTITY_TOO_LARGE: 0x8d,
  UNSUPPORTED_CONTENT_FORMAT: 0x8f,
  INTERNAL_SERVER_ERROR: 0xa0,
  NOT_IMPLEMENTED: 0xa1,
  BAD_GATEWAY: 0xa2,
  SERVICE_UNAVAILABLE: 0xa3,
  GATEWAY_TIMEOUT: 0xa4,
  PROXYING_NOT_SUPPORTED: 0xa5,
} as const;

/**
 * Request methods this core dispatches (RFC 7252 §5.8, RFC 8132).
 *
 * @example
 * ```ts
 * import type { Method } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * const m: Method = "GET";
 * assert.equal(m, "GET");
 * ```
 */
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "FETCH";

/**
 * Formats a code as `c.dd` (RFC 7252 §3).
 *
 * @param code The code byte.
 * @returns E.g. "4.04".
 *
 * @example
 * ```ts
 * import { codeString } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(codeString(0x84), "4.04");
 * ```
 */
export function codeString(code: number): string {
  return `${code >> 5}.${String(code & 0x1f).padStart(2, "0")}`;
}

/**
 * Builds a code from class and detail.
 *
 * @param cls Class 0..7.
 * @param detail Detail 0..31.
 * @returns The code byte.
 *
 * @example
 * ```ts
 * import { makeCode, Code } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(makeCode(2, 5), Code.CONTENT);
 * ```
 */
export function makeCode(cls: number, detail: number): number {
  return ((cls & 7) << 5) | (detail & 0x1f);
}

/**
 * Whether a code is a request (class 0, not Empty; RFC 7252 §5.8).
 *
 * @param code The code.
 * @returns True for 0.01–0.31.
 *
 * @example
 * ```ts
 * import { isRequestCode } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isRequestCode(1));
 * assert.ok(!isRequestCode(0));
 * ```
 */
export function isRequestCode(code: number): boolean {
  return code > 0 && code < 32;
}

/**
 * Whether a code is a response (classes 2, 4, 5; RFC 7252 §5.9).
 *
 * @param code The code.
 * @returns True for 2.xx, 4.xx, 5.xx.
 *
 * @example
 * ```ts
 * import { isResponseCode } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isResponseCode(0x45));
 * assert.ok(!isResponseCode(0x25));
 * ```
 */
export function isResponseCode(code: number): boolean {
  const cls = code >> 5;
  return cls === 2 || cls === 4 || cls === 5;
}

/**
 * Whether a response code is a success (2.xx).
 *
 * @param code The code.
 * @returns True for 2.xx.
 *
 * @example
 * ```ts
 * import { isSuccessCode } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSuccessCode(0x44));
 * ```
 */
export function isSuccessCode(code: number): boolean {
  return code >> 5 === 2;
}

/**
 * Maps a method code to its {@link Method} name.
 *
 * @param code The request code.
 * @returns The method, or `undefined` for an unsupported code.
 *
 * @example
 * ```ts
 * import { methodName } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(methodName(2), "POST");
 * assert.equal(methodName(9), undefined);
 * ```
 */
export function methodName(code: number): Method | undefined {
  switch (code) {
    case Code.GET:
      return "GET";
    case Code.POST:
      return "POST";
    case Code.PUT:
      return "PUT";
    case Code.DELETE:
      return "DELETE";
    case Code.FETCH:
      return "FETCH";
    default:
      return undefined;
  }
}

/**
 * Maps a {@link Method} to its code.
 *
 * @param method The method.
 * @returns The code byte.
 *
 * @example
 * ```ts
 * import { methodCode } from "./codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(methodCode("PUT"), 3);
 * ```
 */
export function methodCode(method: Method): number {
  switch (method) {
    case "GET":
      return Code.GET;
    case "POST":
      return Code.POST;
    case "PUT":
      return Code.PUT;
    case "DELETE":
      return Code.DELETE;
    case "FETCH":
      return Code.FETCH;
  }
}
