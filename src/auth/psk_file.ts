/**
 * PSK init files, as EMQX's `psk_authentication.init_file`
 * (`PSK_AUTHENTICATION_INIT_FILE`) reads them: one `identity<sep>secret`
 * per line, `<sep>` being `PSK_AUTHENTICATION_SEPARATOR` (default `:`).
 *
 * Format, checked for the whole file before anything is written:
 * - lines end with LF or CRLF; a leading UTF-8 BOM is ignored;
 * - blank lines and lines starting with `#` (after leading whitespace)
 *   are skipped;
 * - the identity is what precedes the first separator, the secret what
 *   follows it, both trimmed of surrounding whitespace;
 * - the identity is 1 to 256 UTF-8 bytes without control characters;
 * - the secret is hexadecimal (either case, nothing between digits), an
 *   even number of digits, 1 to 64 bytes;
 * - an identity may appear once per file.
 *
 * Any bad line is a {@link PskFileError} naming the line (and, for a
 * duplicate, the first one); messages never contain a secret. The entries
 * are then written by `importPsks` in chunks of `chunkSize`, all or
 * nothing (see `kv_store.ts` for how).
 *
 * @module
 */

import { AuthError, PskFileError } from "./errors.ts";
import { checkName, MAX_PSK_BYTES } from "./_state.ts";
import { type CredentialStore, type ImportResult, PskEntry } from "./store.ts";
import type { PskAuthenticationConfig } from "../config/mod.ts";

/**
 * Options of {@link parsePskFile} and {@link importPskFile}.
 *
 * @example
 * ```ts
 * import type { PskFileOptions } from "./psk_file.ts";
 *
 * const options: PskFileOptions = { separator: "|", chunkSize: 100 };
 * ```
 */
export interface PskFileOptions {
  /** Between identity and secret (default `:`). */
  separator?: string;
  /** Identities written per batch (default 50). */
  chunkSize?: number;
  /** The file's name, for error messages. */
  file?: string;
}

/**
 * Parses a PSK init file.
 *
 * @param text The file's text.
 * @param options The separator and the file name for messages.
 * @returns The entries in file order; secrets redacted when printed.
 * @throws {PskFileError} for the first bad line.
 * @throws {AuthError} `invalid_psk_file` for an empty separator.
 *
 * @example
 * ```ts
 * import { parsePskFile } from "./psk_file.ts";
 * import { PskFileError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const entries = parsePskFile("# devices\nsensor-1:00112233\n\nsensor-2:AABB\n");
 * assert.deepEqual(entries.map((e) => e.identity), ["sensor-1", "sensor-2"]);
 * assert.deepEqual(entries[1]?.key, new Uint8Array([0xaa, 0xbb]));
 *
 * assert.throws(() => parsePskFile("a:00\nb:zz\n"), (e) => e instanceof PskFileError && e.line === 2);
 * ```
 */
export function parsePskFile(
  text: string,
  options: PskFileOptions = {},
): PskEntry[] {
  const separator = options.separator ?? ":";
  const file = options.file === undefined ? {} : { file: options.file };
  if (typeof separator !== "string" || separator === "") {
    throw new AuthError(
      "invalid_psk_file",
      "Invalid PSK file separator: empty",
    );
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const entries: PskEntry[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const at = line.indexOf(separator);
    if (at < 0) {
      throw new PskFileError(
        lineNo,
        `Missing the separator ${JSON.stringify(separator)}`,
        file,
      );
    }
    const identity = line.slice(0, at).trim();
    try {
      checkName(identity, "PSK identity");
    } catch (err) {
      throw new PskFileError(
        lineNo,
        err instanceof Error ? err.message : String(err),
        file,
      );
    }
    const first = seen.get(identity);
    if (first !== undefined) {
      throw new PskFileError(
        lineNo,
        `Duplicate PSK identity ${
          JSON.stringify(identity)
        } (first on line ${first})`,
        { ...file, firstLine: first },
      );
    }
    seen.set(identity, lineNo);
    const key = parseSecret(line.slice(at + separator.length).trim());
    if (typeof key === "string") {
      throw new PskFileError(
        lineNo,
        `${key} for PSK identity ${JSON.stringify(identity)}`,
        file,
      );
    }
    entries.push(new PskEntry(identity, key));
  });
  return entries;
}

/** The secret's bytes, or what is wrong with it. */
function parseSecret(hex: string): Uint8Array | string {
  if (hex === "") return "Empty secret";
  const bad = hex.search(/[^0-9a-fA-F]/);
  if (bad >= 0) {
    return `Secret is not hexadecimal (character ${bad + 1})`;
  }
  if (hex.length % 2 !== 0) return "Secret has an odd number of hex digits";
  if (hex.length / 2 > MAX_PSK_BYTES) {
    return `Secret is ${
      hex.length / 2
    } bytes, at most ${MAX_PSK_BYTES} allowed`;
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Parses a PSK init file and imports it, all or nothing; identities
 * already there with the same secret are not written again.
 *
 * @param store The store.
 * @param text The file's text.
 * @param options Separator, chunk size, file name for messages.
 * @returns What changed.
 * @throws {PskFileError} for a bad line: nothing is imported.
 * @throws {AuthError} `storage` when the store fails: nothing is imported.
 *
 * @example
 * ```ts
 * import { importPskFile } from "./psk_file.ts";
 * import { MemoryStore } from "./memory_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const result = await importPskFile(store, "a|0011\nb|2233\n", { separator: "|" });
 * assert.deepEqual(result, { added: 2, replaced: 0, unchanged: 0 });
 * await assert.rejects(importPskFile(store, "c|44\nd|4\n", { separator: "|" }), /Line 2/);
 * assert.deepEqual(await store.listPsk(), ["a", "b"]);
 * await store.close();
 * ```
 */
export async function importPskFile(
  store: Pick<CredentialStore, "importPsks">,
  text: string,
  options: PskFileOptions = {},
): Promise<ImportResult> {
  const entries = parsePskFile(text, options);
  return await store.importPsks(
    entries,
    options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize },
  );
}

/**
 * Imports `PSK_AUTHENTICATION_INIT_FILE` at broker start when
 * `PSK_AUTHENTICATION_ENABLED` and a file are configured.
 *
 * @param store The store.
 * @param config `config.psk`.
 * @param readTextFile Reads the file (default `Deno.readTextFile`).
 * @returns What changed, or `undefined` when disabled or no file is set.
 * @throws {PskFileError} for a bad line, naming the file.
 * @throws {AuthError} `invalid_psk_file` when the file cannot be read.
 *
 * @example
 * ```ts
 * import { importPskInitFile } from "./psk_file.ts";
 * import { MemoryStore } from "./memory_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const config = { enabled: true, initFile: "psk.txt", separator: ":", chunkSize: 50 };
 * const result = await importPskInitFile(store, config, () => Promise.resolve("d1:00ff\n"));
 * assert.equal(result?.added, 1);
 * assert.equal(await importPskInitFile(store, { ...config, enabled: false }), undefined);
 * await store.close();
 * ```
 */
export async function importPskInitFile(
  store: Pick<CredentialStore, "importPsks">,
  config: PskAuthenticationConfig,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<ImportResult | undefined> {
  if (!config.enabled || config.initFile === undefined) return undefined;
  const file = config.initFile;
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (err) {
    throw new AuthError(
      "invalid_psk_file",
      `Cannot read the PSK init file ${file}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
  return await importPskFile(store, text, {
    separator: config.separator,
    chunkSize: config.chunkSize,
    file,
  });
}
